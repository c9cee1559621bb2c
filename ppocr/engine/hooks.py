"""Training hooks: logging, LR steps, evaluation + best model, checkpoints, VisualDL, time limit.

Each hook is selected by name in the config's ``Hooks`` list (or the defaults in
the task's ``default_hooks``, ``ppocr.engine.task``) and gets its settings from ``Global``.
"""
from __future__ import annotations

import datetime
import logging
import os
import signal
import threading
import time
from collections import deque
from typing import Any, Callable

import paddle

from ppocr.utils.checkpoint import atomic_write, rng_state, save_checkpoint
from ppocr.engine import contracts as C
from ppocr.engine.trainer import HookBase
from ppocr.registry import HOOKS
from ppocr.utils.errors import ConfigError
from ppocr.utils.logging import get_rank

logger = logging.getLogger(__name__)


class Checkpointer:
    """Saves the model, optimizer and the full training state under ``save_dir/<name>``.

    ``side_files`` maps a suffix to an object with ``save(path)`` (e.g. ``'.codec.json'``: the
    codec); each is written beside every checkpoint as ``<name><suffix>``.
    """

    def __init__(self, save_dir: str, model, optimizer, lr_scheduler=None, scaler=None,
                 side_files: dict | None = None):
        self.save_dir, self.model, self.optimizer = save_dir, model, optimizer
        self.lr_scheduler, self.scaler = lr_scheduler, scaler
        self.side_files = dict(side_files or {})

    def states(self, trainer, epoch_done: bool) -> dict[str, Any]:
        st = trainer.state
        return {
            # PaddleOCR meaning: last completed epoch; plus batches consumed of the next one.
            "epoch": st.epoch if epoch_done else st.epoch - 1,
            "step_in_epoch": 0 if epoch_done else st.step_in_epoch,
            "global_step": st.global_step,
            "best_model_dict": dict(st.best),
            "samples_seen": st.samples_seen,
            "skipped": st.skipped,
            "lr_scale": st.lr_scale,
            "rng": rng_state(),
            "lr_scheduler": self.lr_scheduler.state_dict() if self.lr_scheduler is not None else None,
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "hooks": trainer.hook_states(),
        }

    def save(self, name: str, trainer, epoch_done: bool = False) -> str:
        """Write checkpoint ``save_dir/<name>``; a model with ``save_checkpoint(prefix, optimizer, states)``
        (e.g. a model directory plus ``prefix.pdopt``) writes its own layout, atomically."""
        prefix = os.path.join(self.save_dir, name)
        layer = self.model._layers if isinstance(self.model, paddle.DataParallel) else self.model
        side = {suffix: obj.save for suffix, obj in self.side_files.items()}
        if isinstance(layer, C.SavesOwnCheckpoints):
            layer.save_checkpoint(prefix, self.optimizer, self.states(trainer, epoch_done))
            for suffix, write in side.items():
                atomic_write(prefix + suffix, write)
        else:   # the side files are part of the checkpoint: old and new never mix
            save_checkpoint(prefix, self.model, self.optimizer, self.states(trainer, epoch_done), side_files=side)
        logger.info("save model in %s", prefix)
        return prefix


@HOOKS.register()
class LRSchedulerHook(HookBase):
    """Steps the LR schedule once per optimizer step (schedules are defined per step)."""

    def __init__(self, lr_scheduler):
        self.lr_scheduler = lr_scheduler

    def after_step(self):
        if self.lr_scheduler is not None and self.trainer.step_info.get("optimizer_stepped"):
            self.lr_scheduler.step()


@HOOKS.register()
class LoggerHook(HookBase):
    """Logs PaddleOCR's training line every ``print_batch_step`` optimizer steps (rank 0)."""

    publishes = ("train",)

    def __init__(self, print_batch_step: int = 10, log_smooth_window: int = 20, steps_per_epoch: int = 1,
                 train_metric: Callable | None = None):
        self.every = max(1, int(print_batch_step))
        self.window = max(1, int(log_smooth_window))
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.train_metric = train_metric
        self.losses: dict[str, deque] = {}

    def _reset_window(self):
        self.reader, self.samples, self.steps = 0.0, 0, 0
        self.skipped_at_window = self.trainer.state.skipped
        self.t_last = time.perf_counter()

    def before_epoch(self):
        self.skipped_at_epoch = self.trainer.state.skipped

    def after_epoch(self):
        st = self.trainer.state
        if st.skipped > self.skipped_at_epoch and get_rank() == 0:
            logger.warning("epoch %d: skipped %d bad samples (total %d); the first ones are logged above with "
                           "file, line and reason", st.epoch, st.skipped - self.skipped_at_epoch, st.skipped)

    def before_train(self):
        self.t_start = time.perf_counter()
        self.step_start = self.trainer.state.global_step
        self._reset_window()

    def after_step(self):
        info, st = self.trainer.step_info, self.trainer.state
        for k, v in info.get("losses", {}).items():
            self.losses.setdefault(k, deque(maxlen=self.window)).append(v)
        self.reader += info.get("reader_cost", 0.0)
        self.samples += info.get("samples", 0)
        self.steps += 1
        if not info.get("optimizer_stepped") or st.global_step % self.every or get_rank() != 0:
            return
        now = time.perf_counter()
        wall = now - self.t_last
        record = {"epoch": st.epoch, "lr": self.trainer.optimizer.get_lr()}
        if self.train_metric is not None:
            record.update(self.train_metric(self.trainer.preds, self.trainer.batch))
        record.update({k: sum(q) / len(q) for k, q in self.losses.items()})
        self.trainer.storage.put("train", record, st.global_step)
        parts = [f"epoch: [{st.epoch}/{self.trainer.epoch_num}]", f"global_step: {st.global_step}",
                 f"lr: {record['lr']:.6f}"]
        parts += [f"{k}: {v:.6f}" for k, v in record.items() if k not in ("epoch", "lr")]
        done = st.global_step - self.step_start
        total = (self.trainer.epoch_num - st.epoch + 1) * self.steps_per_epoch - st.step_in_epoch + st.global_step
        if self.trainer.max_steps:
            total = min(total, self.trainer.max_steps)
        eta = (now - self.t_start) / max(done, 1) * max(total - st.global_step, 0)
        parts += [f"avg_reader_cost: {self.reader / self.steps:.5f} s",
                  f"avg_batch_cost: {wall / self.steps:.5f} s",
                  f"avg_samples: {self.samples / self.steps:.1f}",
                  f"ips: {self.samples / max(wall, 1e-9):.5f} samples/s",
                  f"eta: {datetime.timedelta(seconds=int(eta))}"]
        if st.skipped:
            parts.append(f"skipped: {st.skipped - self.skipped_at_window} (total {st.skipped})")
        logger.info(", ".join(parts))
        self._reset_window()


@HOOKS.register()
class EvalHook(HookBase):
    """Evaluates every ``interval`` steps after ``start`` (every process, the whole Eval set) and saves
    ``best_accuracy`` (rank 0)."""

    def __init__(self, evaluate: Callable[[], dict], main_indicator: str, start: int = 0, interval: int = 500,
                 checkpointer: Checkpointer | None = None, final_eval: bool = True):
        self.evaluate, self.main_indicator = evaluate, main_indicator
        self.start, self.interval = int(start), max(1, int(interval))
        self.checkpointer, self.final_eval = checkpointer, final_eval
        self.last_step = -1

    publishes = ("eval",)

    def _run(self):
        # Every process evaluates the whole Eval set (as PaddleOCR does), so none waits in a collective
        # while another evaluates (a slow evaluation would outlast the collective's timeout); the replicas
        # are identical, so all reach the same metric and the same early-stopping decision. Rank 0 saves.
        st = self.trainer.state
        self.last_step = st.global_step
        metric = self.evaluate()
        logger.info("cur metric, " + ", ".join(f"{k}: {v}" for k, v in metric.items()))
        if self.main_indicator not in metric:
            raise ConfigError(f"the eval metric has no {self.main_indicator!r} (got {sorted(metric)}); "
                              "set Metric.main_indicator to one of them")
        self.trainer.storage.put("eval", {"metrics": metric, "main_indicator": self.main_indicator}, st.global_step)
        best = st.best.get(self.main_indicator)
        if best is None or metric[self.main_indicator] >= best:
            epoch = st.epoch if st.step_in_epoch else st.epoch - 1   # after the loop, epoch already advanced
            st.best = dict(metric, best_epoch=epoch, best_step=st.global_step)
            if self.checkpointer is not None and get_rank() == 0:
                self.checkpointer.save("best_accuracy", self.trainer)
        logger.info("best metric, " + ", ".join(f"{k}: {v}" for k, v in st.best.items()))

    def after_step(self):
        st = self.trainer.state
        if (self.trainer.step_info.get("optimizer_stepped") and st.global_step > self.start
                and (st.global_step - self.start) % self.interval == 0):
            self._run()

    def after_train(self):
        if self.final_eval and self.trainer.state.global_step != self.last_step and self.trainer.state.global_step:
            self._run()


@HOOKS.register()
class CheckpointHook(HookBase):
    """Writes ``latest`` after each epoch and when training stops early, ``iter_epoch_N`` every
    ``save_epoch_step`` epochs (rank 0)."""

    def __init__(self, checkpointer: Checkpointer, save_epoch_step: int = 1):
        self.checkpointer = checkpointer
        self.save_epoch_step = max(1, int(save_epoch_step))

    def after_epoch(self):
        if get_rank() != 0:
            return
        self.checkpointer.save("latest", self.trainer, epoch_done=True)
        if self.trainer.state.epoch % self.save_epoch_step == 0:
            self.checkpointer.save(f"iter_epoch_{self.trainer.state.epoch}", self.trainer, epoch_done=True)

    def after_train(self):
        if self.trainer.stop_reason and get_rank() == 0:
            logger.info("stopping: %s", self.trainer.stop_reason)
            path = self.checkpointer.save("latest", self.trainer)
            logger.info("saved %s at step %d; to continue, add -o Global.checkpoints=%s to the same command",
                        path, self.trainer.state.global_step, os.path.abspath(path))


@HOOKS.register()
class SignalHook(HookBase):
    """Ctrl-C (SIGINT) or SIGTERM during training: finish the current step, then stop, so ``CheckpointHook``
    saves ``latest`` and the run resumes from it exactly (kraken's abort checkpoint). A second signal
    stops at once. The handlers are installed for the run only (main thread) and restored afterwards.

    Under ``paddle.distributed.launch``, a signal to the launcher reaches every process as SIGTERM, repeated
    three times 0.2 s apart (the launcher's ``terminate``), and the launcher kills what is left after 30 s.
    So a repeat within ``repeat_window_s`` of the first signal is the same request, not a second one; the
    processes agree on the step to stop at (:mod:`ppocr.engine.ranks`) and rank 0 saves ``latest``.
    """

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self, repeat_window_s: float = 1.0):
        self.repeat_window_s = float(repeat_window_s)
        self.previous: dict = {}
        self.received_at: float | None = None

    def _handle(self, signum, frame):
        name = signal.Signals(signum).name
        now = time.monotonic()
        if self.received_at is not None:
            if now - self.received_at < self.repeat_window_s:
                return
            self._restore()
            raise KeyboardInterrupt(f"second {name}: stopping without saving")
        self.received_at = now
        logger.warning("received %s: finishing this step, saving latest, then stopping (send it again to stop "
                       "at once)", name)
        self.trainer.request_stop(f"received {name}")

    def before_train(self):
        if threading.current_thread() is not threading.main_thread():
            return
        for name in self.SIGNALS:
            sig = getattr(signal, name)
            self.previous[sig] = signal.signal(sig, self._handle)

    def _restore(self):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}

    def after_train(self):
        self._restore()


@HOOKS.register()
class TimeLimitHook(HookBase):
    """Stops training after ``seconds`` of wall time (``latest`` is then saved by CheckpointHook)."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)

    def before_train(self):
        self.t0 = time.perf_counter()

    def after_step(self):
        if time.perf_counter() - self.t0 >= self.seconds:
            self.trainer.request_stop(f"reached Global.max_train_seconds={self.seconds:g}")


@HOOKS.register()
class VisualDLHook(HookBase):
    """Writes train loss, LR and eval metrics as VisualDL scalars under ``log_dir`` (rank 0)."""

    def __init__(self, log_dir: str, every: int = 10):
        self.log_dir, self.every = log_dir, max(1, int(every))
        self.writer = None
        self._seen_eval = -1

    def before_train(self):
        if get_rank() == 0:
            from visualdl import LogWriter
            self.writer = LogWriter(logdir=self.log_dir)

    def after_step(self):
        if self.writer is None:
            return
        st, info = self.trainer.state, self.trainer.step_info
        if info.get("optimizer_stepped") and st.global_step % self.every == 0:
            for k, v in info.get("losses", {}).items():
                self.writer.add_scalar(tag=f"TRAIN/{k}", step=st.global_step, value=v)
            self.writer.add_scalar(tag="TRAIN/lr", step=st.global_step, value=self.trainer.optimizer.get_lr())
        event = self.trainer.storage.latest("eval")
        if event is not None and event[0] != self._seen_eval:
            self._seen_eval = event[0]
            for k, v in event[1]["metrics"].items():
                if isinstance(v, (int, float)):
                    self.writer.add_scalar(tag=f"EVAL/{k}", step=st.global_step, value=v)

    def after_train(self):
        if self.writer is not None:
            self.writer.close()
