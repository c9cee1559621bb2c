"""The training loop. Everything else (logging, LR steps, evaluation, checkpoints, VisualDL) is a hook.

Hooks see the trainer at fixed points of the loop, publish and read events through
``trainer.storage`` (:mod:`ppocr.engine.events`), and change the run only through its named
extension points: :meth:`Trainer.request_stop`, :meth:`Trainer.add_sample_weighter` (per-sample loss
weights) and :meth:`Trainer.scale_lr` (an LR multiplier on any schedule).

Example:
    >>> trainer = Trainer(model, loss_fn, optimizer, train_loader, epoch_num=10, hooks=[LoggerHook(10)])
    >>> trainer.train()
"""
from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import paddle

from ppocr.engine.events import EventStorage
from ppocr.engine.ranks import RankMeeting
from ppocr.optimizer.learning_rate import scale_lr
from ppocr.registry import HOOKS
from ppocr.utils.errors import ConfigError, DataError

logger = logging.getLogger(__name__)


@dataclass
class TrainState:
    """Everything that must survive a resume besides weights and optimizer state."""

    epoch: int = 1                 # the epoch in progress (1-based)
    step_in_epoch: int = 0         # batches of `epoch` already consumed
    global_step: int = 0           # optimizer steps taken
    best: dict = field(default_factory=dict)   # best eval metric (and its step/epoch)
    samples_seen: int = 0
    skipped: int = 0               # samples dropped by the data pipeline so far
    lr_scale: float = 1.0          # product of the factors given to Trainer.scale_lr
    nonfinite: int = 0             # optimizer updates skipped because a loss was NaN or infinite


class HookBase:
    """A hook sees the trainer at fixed points of the loop. Override what you need.

    ``publishes`` names the events it puts into ``trainer.storage``; ``requires`` maps those it
    cannot run without to what the user should do when none of the run's hooks publishes one (the
    trainer checks before training).
    """

    trainer: "Trainer"
    publishes: tuple[str, ...] = ()
    requires: dict[str, str] = {}

    def before_train(self): ...
    def before_epoch(self): ...
    def before_step(self): ...
    def after_step(self): ...
    def after_epoch(self): ...
    def after_train(self): ...

    def state_dict(self) -> dict:
        """What the hook must carry across a resume (saved in every checkpoint); plain data only."""
        return {}

    def set_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned; called before ``before_train`` of a resumed run."""


class Trainer:
    """Runs epochs of ``run_step`` over ``train_loader`` and calls the hooks around them.

    Args:
        model: ``model(batch)`` returns predictions.
        loss_fn: ``loss_fn(preds, batch)`` returns a dict with ``loss``.
        optimizer: a paddle optimizer (its LR scheduler is stepped by a hook).
        train_loader: yields batch dicts; ``batch['skipped']`` counts dropped samples.
        epoch_num: last epoch to run.
        hooks: called in order at each point of the loop.
        set_epoch: ``set_epoch(loader, epoch, start_batch)`` positions the loader (data order and
            augmentation are functions of seed, epoch and index).
        accumulation_steps: batches per optimizer step.
        amp: ``None`` or a dict ``{'level': 'O1', 'dtype': 'float16', 'scaler': GradScaler | None}``, optionally
            with ``'custom_white_list'`` / ``'custom_black_list'`` (op names to run in low precision / keep in
            float32, ``Global.amp_custom_white_list`` / ``amp_custom_black_list``).
        max_steps: stop after this many optimizer steps (``None``: no limit).
        input_keys: batch keys the model reads (a batch with none of them had every sample dropped).
        nan_guard: drop an update whose loss or gradient is NaN or infinite (``Global.nan_guard``, default on).
        batch_locations: ``i -> ['file:line', ...]`` of batch ``i`` of the current epoch, for the NaN log.
    """

    def __init__(self, model, loss_fn: Callable, optimizer, train_loader: Iterable, *, epoch_num: int,
                 hooks: list[HookBase], set_epoch: Callable | None = None, accumulation_steps: int = 1,
                 amp: dict | None = None, max_steps: int | None = None, input_keys: Iterable[str] = ("image",),
                 nan_guard: bool = True, batch_locations: Callable[[int], list[str]] | None = None):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_loader, self.epoch_num = train_loader, epoch_num
        self.set_epoch = set_epoch
        self.accumulation_steps = max(1, int(accumulation_steps))
        self.amp, self.max_steps = amp, max_steps
        self.input_keys = tuple(input_keys)
        self.nan_guard, self.batch_locations = bool(nan_guard), batch_locations
        self.state = TrainState()
        self.hooks: list[HookBase] = []
        for h in hooks:
            h.trainer = self
            self.hooks.append(h)
        self._check_events()
        self.storage = EventStorage()
        self._sample_weighters: list[Callable] = []
        self._nonfinite_pending = False
        self._nonfinite_run = 0
        self.stop_reason: str | None = None
        self.world_size = paddle.distributed.get_world_size()
        self._meeting = RankMeeting(self.world_size)
        self._last_batch: dict | None = None
        self.step_info: dict[str, Any] = {}
        self.batch: dict | None = None
        self.preds = None

    def _call(self, point: str) -> None:
        for h in self.hooks:
            getattr(h, point)()

    def _check_events(self) -> None:
        published = {name for h in self.hooks for name in h.publishes}
        for h in self.hooks:
            for name, fix in h.requires.items():
                if name not in published:
                    by = [n for n in HOOKS.names() if name in getattr(HOOKS.get(n), "publishes", ())]
                    raise ConfigError(f"{fix} ({type(h).__name__} reads the {name!r} events, which no hook of this "
                                      f"run publishes; {' or '.join(by) or 'no registered hook'} does)")

    # -- extension points for hooks --------------------------------------------------------------
    def add_sample_weighter(self, fn: Callable) -> None:
        """Give the loss per-sample weights: ``fn(preds, batch)`` returns a ``[B]`` array, multiplied into
        ``batch['sample_weight']`` before the loss (which must take it, e.g. ``CTCLoss``)."""
        self._sample_weighters.append(fn)

    def scale_lr(self, factor: float) -> float:
        """Multiply the learning rate by ``factor`` from now on, whatever the schedule; returns the new LR.
        The product of all factors is kept in ``state.lr_scale`` and checkpointed."""
        self.state.lr_scale *= float(factor)
        return scale_lr(self.optimizer, factor)

    def _hook_keys(self) -> list[str]:
        """``ClassName`` per hook, ``ClassName#2`` ... for repeats, in list order (stable for one config)."""
        seen: dict[str, int] = {}
        keys = []
        for h in self.hooks:
            name = type(h).__name__
            seen[name] = seen.get(name, 0) + 1
            keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
        return keys

    def hook_states(self) -> dict[str, dict]:
        """Each hook's non-empty ``state_dict()``, keyed as :meth:`_hook_keys` names them."""
        out = {}
        for key, h in zip(self._hook_keys(), self.hooks):
            state = h.state_dict()
            if state:
                out[key] = state
        return out

    def set_hook_states(self, states: dict[str, dict] | None) -> None:
        """Give each hook its saved state; state for a hook this run does not have is reported, not applied."""
        states = dict(states or {})
        for key, h in zip(self._hook_keys(), self.hooks):
            if key in states:
                h.set_state_dict(states.pop(key))
        for key in states:
            logger.warning("the checkpoint holds state for hook %s, which this run does not have; it is ignored",
                           key)

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step (hooks use it, e.g. for time limits)."""
        self.stop_reason = self.stop_reason or reason

    def _agree_on_stop(self, where: str) -> None:
        """With several processes, wait for all of them, and stop all at the same step when any one asks to.

        A rank that left the loop alone would leave the others waiting in the next gradient all-reduce (rank 0
        alone saves checkpoints, each rank sees its own loss and its own clock); one that ran ahead into the
        all-reduce while another still evaluated or saved would die at gloo's 30 s timeout. The meeting goes
        through the launcher's store, which has no such timeout (:mod:`ppocr.engine.ranks`).
        """
        if self._meeting.meet(bool(self.stop_reason), where) and not self.stop_reason:
            self.stop_reason = "another process asked to stop (see its log)"

    def train(self) -> TrainState:
        self.model.train()
        self._call("before_train")
        try:
            while self.state.epoch <= self.epoch_num and not self.stop_reason:
                self._run_epoch()
        finally:
            self._call("after_train")
        return self.state

    def _run_epoch(self) -> None:
        st = self.state
        if self.set_epoch is not None:
            self.set_epoch(self.train_loader, st.epoch, st.step_in_epoch)
        self._call("before_epoch")
        t_read = time.perf_counter()
        for batch in self.train_loader:
            reader_cost = time.perf_counter() - t_read
            skipped = batch.pop("skipped", None)
            self.step_info = {"reader_cost": reader_cost, "skipped": int(skipped.sum()) if skipped is not None else 0}
            st.step_in_epoch += 1
            st.skipped += self.step_info["skipped"]
            placeholder = False
            if not any(k in batch for k in self.input_keys):
                # every sample of this batch was dropped (and counted)
                if self.world_size == 1:
                    t_read = time.perf_counter()
                    continue
                batch, placeholder = self._placeholder_batch(), True
            else:
                self._last_batch = batch
            self.batch = batch
            self._call("before_step")
            self.run_step(batch, weight=0.0 if placeholder else 1.0)
            self._call("after_step")
            if self.max_steps is not None and st.global_step >= self.max_steps:
                self.request_stop(f"reached Global.max_steps={self.max_steps}")
            if self.world_size > 1:
                self._agree_on_stop(f"step {st.global_step}")
            if self.stop_reason:
                return
            t_read = time.perf_counter()
        self._call("after_epoch")
        st.epoch += 1
        st.step_in_epoch = 0
        if self.world_size > 1:
            self._agree_on_stop(f"epoch {st.epoch - 1}")

    def _autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return paddle.amp.auto_cast(level=self.amp["level"], dtype=self.amp["dtype"],
                                    custom_white_list=self.amp.get("custom_white_list"),
                                    custom_black_list=self.amp.get("custom_black_list"))

    def _placeholder_batch(self) -> dict:
        """With several processes a rank cannot leave out a step (the others would wait for its gradients in the
        all-reduce, and the ranks would drift apart by a step): when all of its samples were skipped it steps on
        its previous batch with weight 0, so its gradient is zero and the others' gradients are averaged with it."""
        if self._last_batch is None:
            first = getattr(self.train_loader, "first_usable_batch", None)
            self._last_batch = first() if first is not None else None
        if self._last_batch is None:
            raise DataError("every sample of this process's first batch was skipped (see the skip warnings above) "
                            "and no usable sample was found to stand in for it: fix or remove the bad samples")
        return self._last_batch

    def run_step(self, batch: dict, weight: float = 1.0) -> None:
        """Forward, backward and (every ``accumulation_steps`` batches) an optimizer step. ``weight`` 0 makes
        a placeholder step (see :meth:`_placeholder_batch`): zero gradient, no samples counted."""
        t0 = time.perf_counter()
        size = int(next(batch[k] for k in self.input_keys if k in batch).shape[0])
        with self._autocast():
            preds = self.model(batch)
            if self._sample_weighters:
                weights = np.ones(size, np.float32)
                for fn in self._sample_weighters:
                    weights = weights * np.asarray(fn(preds, batch), np.float32)
                batch = dict(batch, sample_weight=paddle.to_tensor(weights))
            losses = self.loss_fn(preds, batch)
        loss = losses["loss"]
        values = {k: float(v) for k, v in losses.items()}  # one device sync for the log and the NaN guard
        self._nonfinite_pending |= not math.isfinite(values["loss"])
        if weight != 1.0:
            loss = loss * weight
        scaled = loss / self.accumulation_steps if self.accumulation_steps > 1 else loss
        scaler = self.amp.get("scaler") if self.amp else None
        if scaler is not None:
            scaler.scale(scaled).backward()
        else:
            scaled.backward()
        stepped = self.state.step_in_epoch % self.accumulation_steps == 0
        if stepped and self.nan_guard and scaler is None and not self._nonfinite_pending:
            self._nonfinite_pending = not self._grads_finite()   # (AMP's scaler checks gradients itself)
        skipped_update = stepped and self.nan_guard and self._agree_nonfinite()
        if skipped_update:  # the iteration counts (schedule and hooks go on), its update is dropped
            self.optimizer.clear_grad()
            self.state.global_step += 1
            self._skip_update(values["loss"])
        elif stepped:
            self._nonfinite_run = 0
            if scaler is not None:
                scaler.step(self.optimizer)
                scaler.update()
            else:
                self.optimizer.step()
            self.optimizer.clear_grad()
            self.state.global_step += 1
        n = size if weight else 0
        self.state.samples_seen += n
        self.preds = preds
        self.step_info.update(losses=values, samples=n,
                              batch_cost=time.perf_counter() - t0, optimizer_stepped=stepped,
                              nonfinite_skipped=skipped_update)

    #: consecutive skipped updates after which training stops
    MAX_NONFINITE = 20

    def _agree_nonfinite(self) -> bool:
        """Whether the update about to happen had a NaN/inf loss on any process (all skip it together)."""
        bad, self._nonfinite_pending = self._nonfinite_pending, False
        if self.world_size > 1:
            flag = paddle.to_tensor([1 if bad else 0], dtype="int32")
            paddle.distributed.all_reduce(flag, op=paddle.distributed.ReduceOp.MAX)
            bad = bool(flag.item())
        return bad

    def _grads_finite(self) -> bool:
        """Whether every gradient is finite (one reduction per parameter and one device sync)."""
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        if not grads:
            return True
        return bool(paddle.all(paddle.stack([paddle.isfinite(g).all() for g in grads])).item())

    def _skip_update(self, loss_value: float) -> None:
        """A NaN/inf loss or gradient: the update is dropped, so the weights (and the checkpoints) stay finite."""
        self.state.nonfinite += 1
        self._nonfinite_run += 1
        if self.state.nonfinite <= 5:
            what = f"loss is {loss_value}" if not math.isfinite(loss_value) else "a gradient is NaN or infinite"
            files = self.batch_locations(self.state.step_in_epoch - 1) if self.batch_locations else []
            shown = (f"; the batch: {', '.join(files[:8])}" + (f" and {len(files) - 8} more" if len(files) > 8 else "")
                     if files else "")
            logger.warning("%s at iteration %d: its update is skipped (weights unchanged)%s%s", what,
                           self.state.global_step, shown,
                           "; further skips are only counted" if self.state.nonfinite == 5 else "")
        if self._nonfinite_run >= self.MAX_NONFINITE:
            self.request_stop(f"the loss was NaN or infinite for {self._nonfinite_run} updates in a row; lower "
                              "Optimizer.lr, check the data, or set Global.divergence to revert and lower the LR")
