"""Learning-rate schedules, stepped once per training STEP (iteration).

Each class is registered in ``LR_SCHEDULERS`` under its config ``name``. The builder gives it
``epochs`` and ``step_each_epoch``; epoch-valued options are converted to steps with
``step_each_epoch`` (fractional epochs allowed, rounded to the nearest step, halves up). Calling the
object returns a ``paddle.optimizer.lr.LRScheduler``; the trainer calls its ``step()`` after
every optimizer step.

Warm-up: with ``warmup_epoch > 0`` the schedule is wrapped in ``LinearWarmup``, which rises
linearly from 0 (at step 0) to the schedule's first value over
``warmup_epoch * step_each_epoch`` steps (rounded, at least 1). The wrapped schedule then starts
from its own step 0 and is sized to the steps left (``epochs * step_each_epoch - warmup``), so
it ends exactly when training ends. Milestones given in epochs (``Piecewise.decay_epochs``)
count from the start of training, warm-up included.
"""
from __future__ import annotations

import logging
import math
from typing import Sequence

import paddle
from paddle.optimizer.lr import LRScheduler

from ppocr.optimizer._checks import check_bool, check_number, check_positive_int
from ppocr.registry import LR_SCHEDULERS

logger = logging.getLogger(__name__)


class _ScaledLR:
    """Mixin: the scheduler's value times ``_lr_scale``; its own schedule state is untouched."""

    _lr_scale = 1.0

    def __call__(self):
        return super().__call__() * self._lr_scale


def scale_lr(optimizer, factor: float) -> float:
    """Multiply the optimizer's learning rate by ``factor`` from now on (any schedule); returns the new LR.

    A schedule keeps its own position; its values are multiplied. The trainer's ``scale_lr`` is
    the extension point hooks call (``DivergenceHook``); it also records the factor for resuming.
    """
    lr = optimizer._learning_rate
    if isinstance(lr, LRScheduler):
        if not isinstance(lr, _ScaledLR):
            lr.__class__ = type(f"Scaled{type(lr).__name__}", (_ScaledLR, type(lr)), {})
        lr._lr_scale = lr._lr_scale * factor
    else:
        optimizer.set_lr(float(lr) * factor)
    return float(optimizer.get_lr())


def epochs_to_steps(epochs: float, step_each_epoch: int) -> int:
    """Convert a (possibly fractional) number of epochs to steps, rounding halves up."""
    return int(math.floor(epochs * step_each_epoch + 0.5))


class ConstantLR(LRScheduler):
    """An ``LRScheduler`` that always returns its base learning rate."""

    def get_lr(self) -> float:
        return self.base_lr


class _Schedule:
    """Shared step bookkeeping: total steps, warm-up steps and the warm-up wrapper."""

    def __init__(self, epochs: int, step_each_epoch: int, warmup_epoch: float):
        self.epochs = check_positive_int("epochs", epochs)
        self.step_each_epoch = check_positive_int("step_each_epoch", step_each_epoch)
        warmup_epoch = check_number("warmup_epoch", warmup_epoch, low=0)
        self.total_steps = self.epochs * self.step_each_epoch
        self.warmup_steps = max(1, epochs_to_steps(warmup_epoch, self.step_each_epoch)) if warmup_epoch > 0 else 0
        self.warmup_epoch = warmup_epoch

    def _decay_steps(self) -> int:
        """Steps left after warm-up; raises if warm-up takes the whole training."""
        left = self.total_steps - self.warmup_steps
        if left < 1:
            raise ValueError(f"warmup_epoch={self.warmup_epoch} ({self.warmup_steps} steps) leaves no "
                             f"steps to decay over in {self.epochs} epochs x {self.step_each_epoch} "
                             "steps; lower warmup_epoch or raise Global.epoch_num")
        return left

    def _with_warmup(self, schedule: LRScheduler | float, peak: float) -> LRScheduler:
        if self.warmup_steps == 0:
            return schedule if isinstance(schedule, LRScheduler) else ConstantLR(learning_rate=peak)
        return paddle.optimizer.lr.LinearWarmup(learning_rate=schedule, warmup_steps=self.warmup_steps,
                                                start_lr=0.0, end_lr=peak)


@LR_SCHEDULERS.register()
class Const(_Schedule):
    """Constant learning rate (the default when ``Optimizer.lr`` has no ``name``).

    Args:
        learning_rate: the rate, > 0.
        epochs: training epochs (from the builder).
        step_each_epoch: steps per epoch (from the builder).
        warmup_epoch: linear warm-up length in epochs (may be fractional).
    """

    def __init__(self, learning_rate: float, epochs: int, step_each_epoch: int, warmup_epoch: float = 0.0):
        super().__init__(epochs, step_each_epoch, warmup_epoch)
        self.learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)

    def __call__(self) -> LRScheduler:
        """Return the paddle scheduler."""
        return self._with_warmup(self.learning_rate, self.learning_rate)


@LR_SCHEDULERS.register()
class Cosine(_Schedule):
    """Cosine annealing from ``learning_rate`` to 0 over the steps after warm-up.

    Args:
        learning_rate: the peak rate, > 0.
        epochs: training epochs (from the builder).
        step_each_epoch: steps per epoch (from the builder).
        warmup_epoch: linear warm-up length in epochs (may be fractional).
    """

    def __init__(self, learning_rate: float, epochs: int, step_each_epoch: int, warmup_epoch: float = 0.0):
        super().__init__(epochs, step_each_epoch, warmup_epoch)
        self.learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
        self.decay_steps = self._decay_steps()

    def __call__(self) -> LRScheduler:
        """Return the paddle scheduler."""
        cosine = paddle.optimizer.lr.CosineAnnealingDecay(learning_rate=self.learning_rate,
                                                         T_max=self.decay_steps)
        return self._with_warmup(cosine, self.learning_rate)


@LR_SCHEDULERS.register()
class Piecewise(_Schedule):
    """Step-wise constant rate: ``values[i]`` until ``decay_epochs[i]``, then the next value.

    Args:
        decay_epochs: increasing epochs (from the start of training, may be fractional) at
            which the rate changes; each must fall after the warm-up.
        values: rates, one more than ``decay_epochs``; all > 0.
        epochs: training epochs (from the builder).
        step_each_epoch: steps per epoch (from the builder).
        warmup_epoch: linear warm-up length in epochs, rising to ``values[0]``.
    """

    def __init__(self, decay_epochs: Sequence[float], values: Sequence[float], epochs: int,
                 step_each_epoch: int, warmup_epoch: float = 0.0):
        super().__init__(epochs, step_each_epoch, warmup_epoch)
        if not isinstance(decay_epochs, (list, tuple)):
            raise ValueError(f"decay_epochs must be a list of epochs, got {decay_epochs!r}")
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"values must be a non-empty list of learning rates, got {values!r}")
        if len(values) != len(decay_epochs) + 1:
            raise ValueError(f"values must have one more entry than decay_epochs ({len(decay_epochs)} "
                             f"epochs -> {len(decay_epochs) + 1} values), got {len(values)} values {list(values)}")
        self.values = [check_number(f"values[{i}]", v, low=0, low_open=True) for i, v in enumerate(values)]
        steps = [epochs_to_steps(check_number(f"decay_epochs[{i}]", e, low=0, low_open=True), self.step_each_epoch)
                 for i, e in enumerate(decay_epochs)]
        for i, s in enumerate(steps):
            if s <= self.warmup_steps:
                raise ValueError(f"decay_epochs[{i}]={decay_epochs[i]} (step {s}) must come after the "
                                 f"warm-up ({self.warmup_steps} steps)")
            if i and s <= steps[i - 1]:
                raise ValueError(f"decay_epochs must increase (in steps of 1/{self.step_each_epoch} epoch), "
                                 f"got {list(decay_epochs)}")
        self.boundaries = steps

    def __call__(self) -> LRScheduler:
        """Return the paddle scheduler."""
        piecewise = paddle.optimizer.lr.PiecewiseDecay(
            boundaries=[s - self.warmup_steps for s in self.boundaries], values=list(self.values))
        return self._with_warmup(piecewise, self.values[0])


@LR_SCHEDULERS.register()
class Linear(_Schedule):
    """Polynomial decay from ``learning_rate`` to ``end_lr`` over the steps after warm-up.

    ``lr(t) = (learning_rate - end_lr) * (1 - t / decay_steps) ** power + end_lr``; linear
    with the default ``power=1``.

    Args:
        learning_rate: the start rate, > 0.
        epochs: training epochs (from the builder).
        step_each_epoch: steps per epoch (from the builder).
        end_lr: the final rate, >= 0.
        power: the polynomial's power, > 0.
        warmup_epoch: linear warm-up length in epochs (may be fractional).
    """

    def __init__(self, learning_rate: float, epochs: int, step_each_epoch: int, end_lr: float = 0.0,
                 power: float = 1.0, warmup_epoch: float = 0.0):
        super().__init__(epochs, step_each_epoch, warmup_epoch)
        self.learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True)
        self.end_lr = check_number("end_lr", end_lr, low=0)
        self.power = check_number("power", power, low=0, low_open=True)
        self.decay_steps = self._decay_steps()

    def __call__(self) -> LRScheduler:
        """Return the paddle scheduler."""
        poly = paddle.optimizer.lr.PolynomialDecay(learning_rate=self.learning_rate,
                                                   decay_steps=self.decay_steps, end_lr=self.end_lr,
                                                   power=self.power, cycle=False)
        return self._with_warmup(poly, self.learning_rate)


@LR_SCHEDULERS.register()
class OneCycle(_Schedule):
    """One-cycle policy: ``max_lr / divide_factor`` up to ``max_lr``, then down to ``end_learning_rate``.

    Wraps ``paddle.optimizer.lr.OneCycleLR`` over the steps after warm-up; a warm-up (rarely
    needed, the cycle already rises) ends at the cycle's start rate ``max_lr / divide_factor``.

    Args:
        max_lr: the peak rate, > 0.
        epochs: training epochs (from the builder).
        step_each_epoch: steps per epoch (from the builder).
        warmup_epoch: linear warm-up length in epochs (may be fractional).
        divide_factor: start rate is ``max_lr / divide_factor``; >= 1.
        end_learning_rate: the final rate, >= 0.
        phase_pct: fraction of the cycle spent rising, in (0, 1) (below 0.5 with ``three_phase``).
        anneal_strategy: ``'cos'`` or ``'linear'``.
        three_phase: rise, fall back to the start rate, then anneal to ``end_learning_rate``.
    """

    def __init__(self, max_lr: float, epochs: int, step_each_epoch: int, warmup_epoch: float = 0.0,
                 divide_factor: float = 25.0, end_learning_rate: float = 1e-4, phase_pct: float = 0.3,
                 anneal_strategy: str = "cos", three_phase: bool = False):
        super().__init__(epochs, step_each_epoch, warmup_epoch)
        self.max_lr = check_number("max_lr", max_lr, low=0, low_open=True)
        self.divide_factor = check_number("divide_factor", divide_factor, low=1)
        self.end_learning_rate = check_number("end_learning_rate", end_learning_rate, low=0)
        self.three_phase = check_bool("three_phase", three_phase)
        self.phase_pct = check_number("phase_pct", phase_pct, low=0, high=0.5 if three_phase else 1,
                                      low_open=True, high_open=True)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.cycle_steps = self._decay_steps()
        if self.phase_pct * self.cycle_steps < 2:
            raise ValueError(f"phase_pct={self.phase_pct} of {self.cycle_steps} steps leaves fewer than 2 "
                             "steps for the rising phase; raise phase_pct or train longer")

    def __call__(self) -> LRScheduler:
        """Return the paddle scheduler."""
        cycle = paddle.optimizer.lr.OneCycleLR(
            max_learning_rate=self.max_lr, total_steps=self.cycle_steps, divide_factor=self.divide_factor,
            end_learning_rate=self.end_learning_rate, phase_pct=self.phase_pct,
            anneal_strategy=self.anneal_strategy, three_phase=self.three_phase)
        return self._with_warmup(cycle, self.max_lr / self.divide_factor)
