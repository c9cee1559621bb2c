"""Training-workflow hooks of Tesseract's ``lstmtraining`` and kraken's ``ketos train``.

The program adds them when their ``Global`` keys are set (:func:`workflow_hooks`); each is also
registered in ``HOOKS``. One job each:

* :class:`FreezeBackboneHook` (``freeze_backbone: N``): train only the head for the first N samples.
* :class:`PerfectSampleDelayHook` (``perfect_sample_delay: N``): skip back-propagating perfect lines.
* :class:`DivergenceHook` (``divergence: {...}``): revert to the last good state and lower the LR.
* :class:`EarlyStoppingHook` (``early_stopping: {lag, min_delta, min_epochs}``, ``target_error_rate``).
* :class:`LineProgressHook` (line recognisers; ``debug_interval: N``): Tesseract-style progress lines.
"""
from __future__ import annotations

import copy
import logging
import math
from collections import deque

import numpy as np
import paddle

from ppocr.engine import contracts as C
from ppocr.engine.trainer import HookBase
from ppocr.metrics.line_report import align, char_errors, word_errors
from ppocr.registry import HOOKS
from ppocr.utils.config import global_options
from ppocr.utils.errors import ConfigError
from ppocr.utils.logging import get_rank

logger = logging.getLogger(__name__)


def _unwrap(model):
    return model._layers if isinstance(model, paddle.DataParallel) else model


# -- freezing ------------------------------------------------------------------------------------
@HOOKS.register()
class FreezeBackboneHook(HookBase):
    """Freezes the model's ``backbone_parameters()`` (all but the last layer, or all but the appended
    layers) until ``samples`` training samples have been seen (kraken's ``--freeze-backbone``)."""

    def __init__(self, samples: int):
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
            raise ConfigError(f"Global.freeze_backbone must be a number of samples >= 0, got {samples!r}")
        self.samples = samples
        self.frozen: list = []

    def before_train(self):
        model = _unwrap(self.trainer.model)
        if not isinstance(model, C.HasBackbone):
            raise ConfigError(f"Global.freeze_backbone needs a model with backbone_parameters() (spec-built models), "
                              f"got {type(model).__name__}")
        if self.trainer.state.samples_seen >= self.samples:
            return
        self.frozen = [p for p in model.backbone_parameters() if not p.stop_gradient]
        for p in self.frozen:
            p.stop_gradient = True
        logger.info("freeze_backbone: %d parameter tensors below layer %s frozen until %d samples are seen",
                    len(self.frozen), getattr(model, "head_index", "?"), self.samples)

    def after_step(self):
        if self.frozen and self.trainer.state.samples_seen >= self.samples:
            for p in self.frozen:
                p.stop_gradient = False
            logger.info("freeze_backbone: %d samples seen at iteration %d; training all layers now",
                        self.trainer.state.samples_seen, self.trainer.state.global_step)
            self.frozen = []

    def after_train(self):
        for p in self.frozen:
            p.stop_gradient = False


# -- perfect sample delay ------------------------------------------------------------------------
def greedy_perfect(preds, label, length) -> np.ndarray:
    """Per sample: does the CTC best path (arg-max, repeats merged, blanks dropped) equal the label codes?"""
    p = preds[-1] if isinstance(preds, (list, tuple)) else preds
    ids = p.detach().numpy().argmax(axis=-1) if isinstance(p, paddle.Tensor) else np.asarray(p).argmax(-1)
    lab = label.numpy() if isinstance(label, paddle.Tensor) else np.asarray(label)
    lens = (length.numpy() if isinstance(length, paddle.Tensor) else np.asarray(length)).reshape(-1)
    out = np.zeros(ids.shape[0], dtype=bool)
    for b in range(ids.shape[0]):
        row = ids[b]
        keep = row != 0
        keep[1:] &= row[1:] != row[:-1]
        out[b] = row[keep].tolist() == lab[b][:int(lens[b])].tolist()
    return out


class PerfectSampleDelay:
    """Tesseract's ``--perfect_sample_delay``: a perfectly recognised line is back-propagated only when
    at least ``delay`` imperfect lines were seen since the last perfect line that was let through.

    The first perfect line passes. :meth:`weights` turns per-sample "perfect" flags (in batch order)
    into loss weights: 1 (train on it) or 0 (skip).
    """

    def __init__(self, delay: int):
        self.delay = delay
        self.imperfect_since = delay
        self.skipped = 0

    def weights(self, perfect: np.ndarray) -> np.ndarray:
        w = np.ones(len(perfect), dtype=np.float32)
        for i, ok in enumerate(perfect):
            if not ok:
                self.imperfect_since += 1
            elif self.imperfect_since >= self.delay:
                self.imperfect_since = 0
            else:
                w[i] = 0.0
                self.skipped += 1
        return w


@HOOKS.register()
class PerfectSampleDelayHook(HookBase):
    """Gives the loss per-sample weights (``batch['sample_weight']``) from the batch's own decoded
    predictions: perfect lines within the delay weigh 0 (see :class:`PerfectSampleDelay`)."""

    def __init__(self, delay: int):
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise ConfigError(f"Global.perfect_sample_delay must be an int >= 0, got {delay!r}")
        self.policy = PerfectSampleDelay(delay)

    def before_train(self):
        loss_fn = self.trainer.loss_fn
        if not C.takes(loss_fn, "sample_weight"):
            raise ConfigError(f"Global.perfect_sample_delay needs a loss that takes per-sample weights (CTCLoss), got "
                              f"{type(loss_fn).__name__}")
        self.trainer.add_sample_weighter(self.weights)

    def weights(self, preds, batch) -> np.ndarray:
        """The trainer's sample-weight extension point: 0 for perfect lines within the delay, else 1."""
        perfect = greedy_perfect(preds, batch["label"], batch["length"])
        before = self.policy.skipped
        w = self.policy.weights(perfect)
        self.trainer.step_info["perfect_skipped"] = self.policy.skipped - before
        return w

    def after_train(self):
        logger.info("perfect_sample_delay %d: %d perfect lines were not back-propagated", self.policy.delay,
                    self.policy.skipped)


# -- divergence ------------------------------------------------------------------------------------
@HOOKS.register()
class DivergenceHook(HookBase):
    """Reverts to the last good weights and optimizer state and multiplies the LR by ``lr_factor`` when
    the loss is NaN/inf or its mean over ``window`` steps exceeds ``factor`` x its lowest such mean.

    A good state is kept in memory every ``snapshot_interval`` optimizer steps while the loss is
    healthy. Tests start after ``warmup`` steps (NaN/inf always counts). After ``max_reverts``
    reverts training stops.
    """

    DEFAULTS = {"factor": 3.0, "window": 20, "lr_factor": 0.5, "warmup": 50, "snapshot_interval": 20,
                "max_reverts": 10}
    #: the guard every run has unless ``Global.nan_guard: false`` (without ``Global.divergence``): only NaN/inf
    #: losses count, three in a row revert (the trainer has already dropped their updates)
    NAN_GUARD = {"factor": None, "nonfinite_run": 3, "snapshot_interval": 100, "warmup": 0}

    def __init__(self, factor: float | None = 3.0, window: int = 20, lr_factor: float = 0.5, warmup: int = 50,
                 snapshot_interval: int = 20, max_reverts: int = 10, nonfinite_run: int = 1):
        if (factor is not None and not factor > 1) or not 0 < lr_factor < 1 or nonfinite_run < 1:
            raise ConfigError(f"Global.divergence needs factor > 1 (or null: NaN/inf only), 0 < lr_factor < 1 and "
                              f"nonfinite_run >= 1, got {factor}, {lr_factor}, {nonfinite_run}")
        self.factor = None if factor is None else float(factor)
        self.nonfinite_run, self._nonfinite = int(nonfinite_run), 0
        self.window, self.lr_factor = max(1, int(window)), float(lr_factor)
        self.warmup, self.every, self.max_reverts = int(warmup), max(1, int(snapshot_interval)), int(max_reverts)
        self.losses: deque = deque(maxlen=self.window)
        self.best = math.inf
        self.snapshot: dict | None = None
        self.reverts = 0
        self.steps = 0

    def state_dict(self) -> dict:
        """The guard's counters (the in-memory snapshot is not saved: a resumed run takes a new one at its first
        healthy step, from the checkpoint's weights)."""
        return {"best": self.best, "reverts": self.reverts, "steps": self.steps, "losses": list(self.losses)}

    def set_state_dict(self, state: dict) -> None:
        self.best, self.reverts, self.steps = float(state["best"]), int(state["reverts"]), int(state["steps"])
        self.losses = deque(state.get("losses", []), maxlen=self.window)

    def _take_snapshot(self):
        st = self.trainer.state
        model = _unwrap(self.trainer.model)
        opt = {k: (v.clone() if isinstance(v, paddle.Tensor) else copy.deepcopy(v))
               for k, v in self.trainer.optimizer.state_dict().items()}
        self.snapshot = {"step": st.global_step, "model": {k: v.clone() for k, v in model.state_dict().items()},
                         "optimizer": opt}

    def _revert(self, why: str):
        st, opt = self.trainer.state, self.trainer.optimizer
        if self.snapshot is None and self.factor is None and self.reverts < self.max_reverts:
            lr = self.trainer.scale_lr(self.lr_factor)   # NaN guard before its first snapshot: the LR alone
            self.reverts += 1
            logger.warning("%s at iteration %d, before any good state was kept: lr x%g (now %.6g)", why,
                           st.global_step, self.lr_factor, lr)
            return
        if self.snapshot is None or self.reverts >= self.max_reverts:
            self.trainer.request_stop(f"{why} at iteration {st.global_step} and "
                                      + ("no good state to revert to" if self.snapshot is None else
                                         f"{self.reverts} reverts already") + "; lower Optimizer.lr")
            return
        _unwrap(self.trainer.model).set_state_dict(self.snapshot["model"])
        saved = dict(self.snapshot["optimizer"])
        if "LR_Scheduler" in opt.state_dict():  # keep the schedule where it is
            saved["LR_Scheduler"] = opt.state_dict()["LR_Scheduler"]
        opt.set_state_dict(saved)
        opt.clear_grad()
        lr = self.trainer.scale_lr(self.lr_factor)
        self.reverts += 1
        self.losses.clear()
        logger.warning("divergence at iteration %d (%s): reverting to iteration %d, lr x%g (now %.6g)",
                       st.global_step, why, self.snapshot["step"], self.lr_factor, lr)

    def after_step(self):
        info = self.trainer.step_info
        if not info.get("optimizer_stepped") or "loss" not in info.get("losses", {}):
            return
        loss = info["losses"]["loss"]
        self.steps += 1
        if not math.isfinite(loss) or info.get("nonfinite_skipped"):
            self._nonfinite += 1
            if self._nonfinite >= self.nonfinite_run:
                self._nonfinite = 0
                self._revert(f"loss {loss}" if not math.isfinite(loss) else "a NaN/inf gradient")
            return
        self._nonfinite = 0
        self.losses.append(loss)
        mean = sum(self.losses) / len(self.losses)
        if self.factor is not None and self.steps > self.warmup and len(self.losses) == self.window:
            if mean > self.factor * self.best:
                self._revert(f"mean loss {mean:.4g} > {self.factor:g} x best {self.best:.4g}")
                return
            self.best = min(self.best, mean)
        if self.snapshot is None or self.trainer.state.global_step - self.snapshot["step"] >= self.every:
            self._take_snapshot()


# -- early stopping --------------------------------------------------------------------------------
@HOOKS.register()
class EarlyStoppingHook(HookBase):
    """Stops when the validation metric (the EvalHook's main indicator, higher is better) has not
    improved by more than ``min_delta`` for ``lag`` evaluations, but not before ``min_epochs``
    epochs are complete (kraken's ``--lag/--min-delta/--min-epochs``); and/or as soon as the
    validation CER is at most ``target_error_rate`` (Tesseract's ``--target_error_rate``, a fraction)."""

    DEFAULTS = {"lag": 10, "min_delta": 0.0, "min_epochs": 0}
    requires = {"eval": "Global.early_stopping/target_error_rate need validation: add an Eval section (and "
                        "EvalHook, Global.eval_batch_step)"}

    def __init__(self, lag: int | None = 10, min_delta: float = 0.0, min_epochs: int = 0,
                 target_error_rate: float | None = None):
        if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int) or lag < 1):
            raise ConfigError(f"Global.early_stopping.lag must be an int >= 1, got {lag!r}")
        self.lag, self.min_delta, self.min_epochs = lag, float(min_delta), int(min_epochs)
        self.target = None if target_error_rate is None else float(target_error_rate)
        self.best: float | None = None
        self.bad = 0
        self.seen = -1

    def state_dict(self) -> dict:
        return {"best": self.best, "bad": self.bad, "seen": self.seen}

    def set_state_dict(self, state: dict) -> None:
        self.best, self.bad, self.seen = state.get("best"), int(state.get("bad", 0)), int(state.get("seen", -1))

    def after_step(self):
        st = self.trainer.state
        event = self.trainer.storage.latest("eval")
        if event is None or event[0] == self.seen or event[0] != st.global_step:
            return
        self.seen = event[0]
        metric, main_indicator = event[1]["metrics"], event[1]["main_indicator"]
        cer = metric.get("cer")
        if self.target is not None and cer is not None and cer <= self.target:
            self.trainer.request_stop(f"validation CER {cer:.4f} <= Global.target_error_rate {self.target:g}")
            return
        if self.lag is None:
            return
        value = metric[main_indicator]
        if self.best is None or value > self.best + self.min_delta:
            self.best, self.bad = value, 0
            return
        self.bad += 1
        done = st.epoch - 1
        logger.info("early stopping: %s %.4f, no improvement over %.4f for %d/%d evaluations", main_indicator,
                    value, self.best, self.bad, self.lag)
        if self.bad >= self.lag and done >= self.min_epochs:
            self.trainer.request_stop(f"{main_indicator} did not improve by more than {self.min_delta:g} for "
                                      f"{self.lag} evaluations (best {self.best:.4f}; Global.early_stopping)")


# -- progress lines --------------------------------------------------------------------------------
@HOOKS.register()
class LineProgressHook(HookBase):
    """Every ``print_batch_step`` iterations: samples seen, mean character and word error over the last
    ``window`` training lines (best-path decoding of the training batch), skip ratio and LR. With
    ``debug_interval`` N > 0, every N iterations the wrongly recognised lines of the batch are
    logged: truth, aligned truth and aligned recognition (``_`` marks a gap)."""

    def __init__(self, postprocess, print_batch_step: int = 10, debug_interval: int = 0, window: int = 100):
        self.post, self.every = postprocess, max(1, int(print_batch_step))
        self.debug = int(debug_interval or 0)
        self.errors: deque = deque(maxlen=int(window))

    def after_step(self):
        tr = self.trainer
        st, batch = tr.state, tr.batch
        if get_rank() != 0 or tr.preds is None or "label" not in batch:
            return
        preds, labels = self.post(tr.preds, batch["label"])
        wrong = []
        for (pred, _), (truth, _) in zip(preds, labels):
            ce, we = char_errors(truth, pred), word_errors(truth, pred)
            self.errors.append((ce / max(len(truth), 1), we / max(len(truth.split()), 1)))
            if ce:
                wrong.append((truth, pred))
        if not tr.step_info.get("optimizer_stepped"):
            return
        if self.debug and st.global_step % self.debug == 0:
            for truth, pred in wrong[:5]:
                a_truth, a_pred = align(truth, pred)
                logger.info("iteration %d:\n  Truth:         %s\n  Aligned truth: %s\n  Recognised:    %s",
                            st.global_step, truth, a_truth, a_pred)
        if st.global_step % self.every:
            return
        n = len(self.errors)
        seen = st.samples_seen + st.skipped
        # every process reads as many lines (DistributedBatchSampler): rank 0's count times the world size
        parts = [f"iteration {st.global_step}", f"samples {st.samples_seen * getattr(tr, 'world_size', 1)}",
                 f"char error {100 * sum(e[0] for e in self.errors) / max(n, 1):.2f}%",
                 f"word error {100 * sum(e[1] for e in self.errors) / max(n, 1):.2f}%",
                 f"skip ratio {100 * st.skipped / max(seen, 1):.2f}%", f"lr {tr.optimizer.get_lr():.6g}"]
        logger.info("At " + ", ".join(parts) + f" (last {n} lines)")


def workflow_hooks(g: dict, postprocess=None, line_recognizer: bool = False) -> tuple[list, list]:
    """The hooks the ``Global`` keys ask for: ``(first, last)``; ``first`` run before the config's
    hooks (so a reverted or frozen state is what gets evaluated and saved), ``last`` after them."""
    first, last = [], []
    if g.get("freeze_backbone"):
        first.append(FreezeBackboneHook(g["freeze_backbone"]))
    if g.get("perfect_sample_delay"):
        first.append(PerfectSampleDelayHook(g["perfect_sample_delay"]))
    if g.get("divergence"):
        opts = global_options("divergence", g["divergence"], DivergenceHook.DEFAULTS, allow_true=True)
        first.append(DivergenceHook(**opts))
    elif g.get("nan_guard", True):
        first.append(DivergenceHook(**DivergenceHook.NAN_GUARD))
    stop = g.get("early_stopping")
    if stop or g.get("target_error_rate") is not None:
        opts = global_options("early_stopping", stop, EarlyStoppingHook.DEFAULTS, allow_true=True) if stop \
            else {"lag": None}
        last.append(EarlyStoppingHook(**opts, target_error_rate=g.get("target_error_rate")))
    if postprocess is not None and (line_recognizer or g.get("debug_interval")):
        last.append(LineProgressHook(postprocess, g.get("print_batch_step", 10), g.get("debug_interval") or 0))
    return first, last
