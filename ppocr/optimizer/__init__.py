"""Optimizer, learning-rate schedule, regularizer and gradient clipping from the ``Optimizer`` section.

Usage::

    from ppocr.optimizer import build_optimizer
    cfg = {"name": "Adam", "beta1": 0.9, "beta2": 0.999, "clip_norm_global": 5,
           "lr": {"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 2},
           "regularizer": {"name": "L2", "factor": 1e-5}}
    optimizer, lr_scheduler = build_optimizer(cfg, epochs=100, step_each_epoch=len(loader), model=model)
    # each step: loss.backward(); optimizer.step(); optimizer.clear_grad(); lr_scheduler.step()

``optimizer.state_dict()`` contains the scheduler's state under ``'LR_Scheduler'`` and
``optimizer.set_state_dict()`` restores it into the returned scheduler object (they are the
same object), so saving the optimizer alone resumes both.
"""
from __future__ import annotations

import logging
import numbers

import paddle
from paddle.optimizer.lr import LRScheduler

from ppocr.optimizer import learning_rate, optimizer, regularizer  # noqa: F401  (register components)
from ppocr.optimizer.learning_rate import Const, Cosine, Linear, OneCycle, Piecewise
from ppocr.optimizer.optimizer import SGD, Adam, AdamW, Momentum, RMSProp
from ppocr.optimizer.regularizer import L1, L2, REGULARIZERS
from ppocr.registry import LR_SCHEDULERS, OPTIMIZERS, accepted_params, build
from ppocr.utils.errors import ConfigError

__all__ = ["build_optimizer", "build_lr_scheduler", "Adam", "AdamW", "Momentum", "SGD", "RMSProp",
           "Const", "Cosine", "Piecewise", "Linear", "OneCycle", "L1", "L2", "REGULARIZERS"]

logger = logging.getLogger(__name__)

_BUILDER_KEYS = ("epochs", "step_each_epoch")


def _check_counts(epochs: int, step_each_epoch: int) -> None:
    for arg, value in (("epochs", epochs), ("step_each_epoch", step_each_epoch)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{arg} must be an integer >= 1, got {value!r}")


def build_lr_scheduler(cfg: dict | float, epochs: int, step_each_epoch: int) -> LRScheduler:
    """Build the per-step learning-rate scheduler that ``Optimizer.lr`` describes.

    Args:
        cfg: the ``lr`` mapping (``name`` defaults to ``Const``), or a bare number meaning
            ``{name: Const, learning_rate: number}``. PaddleOCR's ``epochs`` key is accepted
            when it equals ``epochs`` (the schedule always spans the whole training).
        epochs: number of training epochs (``Global.epoch_num``).
        step_each_epoch: optimizer steps per epoch (batches per epoch).

    Returns:
        A ``paddle.optimizer.lr.LRScheduler``; call its ``step()`` once per optimizer step.

    Raises:
        ConfigError: unknown schedule or key, or a rejected value.
        ValueError: ``epochs`` or ``step_each_epoch`` is not a positive integer.
    """
    _check_counts(epochs, step_each_epoch)
    if isinstance(cfg, numbers.Real) and not isinstance(cfg, bool):
        cfg = {"learning_rate": cfg}
    if not isinstance(cfg, dict):
        raise ConfigError(f"Optimizer.lr: expected a mapping such as {{name: Cosine, learning_rate: 0.001}}, "
                          f"got {cfg!r}")
    cfg = dict(cfg)
    cfg.setdefault("name", "Const")
    if "epochs" in cfg and cfg["epochs"] == epochs and not isinstance(cfg["epochs"], bool):
        del cfg["epochs"]  # PaddleOCR configs repeat Global.epoch_num here (lr.epochs: *epoch_num)
    for key in _BUILDER_KEYS:
        if key in cfg:
            if key == "epochs":
                raise ConfigError(f"Optimizer.lr.epochs is {cfg[key]!r} but Global.epoch_num is {epochs}; the "
                                  "schedule always spans the whole training (Global.epoch_num). Remove "
                                  "Optimizer.lr.epochs or set it equal to Global.epoch_num")
            raise ConfigError(f"Optimizer.lr: {key!r} is not a schedule option; it comes from the training data "
                              f"loader. Remove Optimizer.lr.{key}")
    schedule = build(cfg, LR_SCHEDULERS, where="Optimizer.lr", epochs=epochs, step_each_epoch=step_each_epoch)
    return schedule()


def _grad_clip(clip_norm, clip_norm_global):
    if clip_norm is not None and clip_norm_global is not None:
        raise ConfigError("Optimizer: set either clip_norm (per-parameter ClipGradByNorm) or clip_norm_global "
                          f"(ClipGradByGlobalNorm), not both; got clip_norm={clip_norm!r}, "
                          f"clip_norm_global={clip_norm_global!r}")
    for key, value, cls in (("clip_norm", clip_norm, paddle.nn.ClipGradByNorm),
                            ("clip_norm_global", clip_norm_global, paddle.nn.ClipGradByGlobalNorm)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
            raise ConfigError(f"Optimizer.{key} must be a number > 0, got {value!r}")
        return cls(clip_norm=float(value))
    return None


def _regularizer_as_decay(opt, reg, name: str, decay_given: bool) -> None:
    """Hand ``Optimizer.regularizer`` to an optimizer with decoupled decay (AdamW), as PaddleOCR does.

    PaddleOCR passes an L2 regularizer's ``factor`` to AdamW as its decoupled ``weight_decay``
    (its KIE configs use ``regularizer: {name: L2, factor: 0}``, i.e. no decay at all).
    """
    take = getattr(opt, "use_regularizer", None)
    if take is None:
        raise ConfigError(f"Optimizer: {name} does not take Optimizer.regularizer; it decays weights with its "
                          "own weight_decay option. Remove the regularizer section")
    if decay_given:
        raise ConfigError(f"Optimizer: set either {name}'s weight_decay or Optimizer.regularizer (whose L2 factor "
                          f"{name} uses as its decoupled weight_decay, as in PaddleOCR), not both")
    try:
        take(reg)
    except ValueError as e:
        raise ConfigError(f"Optimizer.regularizer: {e}") from e


def build_optimizer(cfg: dict, epochs: int, step_each_epoch: int, model: paddle.nn.Layer
                    ) -> tuple[paddle.optimizer.Optimizer, LRScheduler]:
    """Build the optimizer and its learning-rate scheduler from the ``Optimizer`` section.

    Args:
        cfg: the ``Optimizer`` section: ``name`` (Adam, AdamW, Momentum, SGD, RMSProp) and its
            options, ``lr`` (required; see ``build_lr_scheduler``), optional ``regularizer``
            (``{name: L1|L2, factor}``; for AdamW an L2 ``factor`` is its decoupled
            ``weight_decay``, as in PaddleOCR), optional ``clip_norm`` or ``clip_norm_global``.
        epochs: number of training epochs (``Global.epoch_num``).
        step_each_epoch: optimizer steps per epoch (batches per epoch).
        model: the model whose parameters are optimized.

    Returns:
        ``(optimizer, lr_scheduler)``; the optimizer reads its rate from ``lr_scheduler``,
        which the caller steps once per optimizer step.

    Raises:
        ConfigError: missing ``lr``, unknown name or key anywhere (with the nearest valid
            names), conflicting options or a rejected value.
        ValueError: ``epochs`` or ``step_each_epoch`` is not a positive integer.
    """
    if not isinstance(cfg, dict):
        raise ConfigError(f"Optimizer: expected a mapping with a 'name' key, got {cfg!r}")
    _check_counts(epochs, step_each_epoch)
    cfg = dict(cfg)
    if "lr" not in cfg:
        hint = (f"; move learning_rate={cfg['learning_rate']!r} under it"
                if "learning_rate" in cfg else "")
        raise ConfigError("Optimizer: missing 'lr'; add e.g. lr: {name: Cosine, learning_rate: 0.001}" + hint)
    if "learning_rate" in cfg:
        raise ConfigError("Optimizer: 'learning_rate' belongs under Optimizer.lr, "
                          "e.g. lr: {name: Const, learning_rate: 0.001}")
    lr_cfg = cfg.pop("lr")
    reg_cfg = cfg.pop("regularizer", None)
    grad_clip = _grad_clip(cfg.pop("clip_norm", None), cfg.pop("clip_norm_global", None))

    name = cfg.get("name")
    if isinstance(name, str) and name in OPTIMIZERS and "weight_decay" in cfg \
            and "weight_decay" not in accepted_params(OPTIMIZERS.get(name))[0]:
        raise ConfigError(f"Optimizer: {name} has no option 'weight_decay'; use "
                          "regularizer: {name: L2, factor: ...} (or the AdamW optimizer)")
    opt = build(cfg, OPTIMIZERS, where="Optimizer")
    weight_decay = None
    if reg_cfg is not None:
        reg = build(reg_cfg, REGULARIZERS, where="Optimizer.regularizer")
        if opt.supports_regularizer:
            weight_decay = reg()
        else:
            _regularizer_as_decay(opt, reg, name, "weight_decay" in cfg)
    lr_scheduler = build_lr_scheduler(lr_cfg, epochs, step_each_epoch)
    try:
        optim = opt(model, learning_rate=lr_scheduler, weight_decay=weight_decay, grad_clip=grad_clip)
    except ValueError as e:
        raise ConfigError(f"Optimizer: {e}") from e
    logger.info("optimizer %s, lr schedule %s (%d epochs x %d steps), regularizer %s, grad clip %s",
                name, lr_cfg.get("name", "Const") if isinstance(lr_cfg, dict) else "Const", epochs,
                step_each_epoch, reg_cfg.get("name") if isinstance(reg_cfg, dict) else None,
                type(grad_clip).__name__ if grad_clip is not None else None)
    return optim, lr_scheduler
