"""Optimizers for the ``Optimizer`` section, keyed like PaddleOCR's.

Each class holds the optimizer's own hyper-parameters (checked on construction) and, when
called with the model, the learning-rate scheduler, the regularizer and the gradient clip
that ``build_optimizer`` made, returns the ``paddle.optimizer.Optimizer``.
"""
from __future__ import annotations

import logging
from typing import Optional, Union

import paddle
from paddle.optimizer.lr import LRScheduler

from ppocr.optimizer._checks import check_bool, check_number
from ppocr.registry import OPTIMIZERS
from ppocr.optimizer.regularizer import L2

logger = logging.getLogger(__name__)

WeightDecay = Optional[Union[paddle.regularizer.L1Decay, paddle.regularizer.L2Decay]]
GradClip = Optional[Union[paddle.nn.ClipGradByNorm, paddle.nn.ClipGradByGlobalNorm]]


def _betas(beta1: float, beta2: float, epsilon: float) -> tuple[float, float, float]:
    return (check_number("beta1", beta1, low=0, high=1, high_open=True),
            check_number("beta2", beta2, low=0, high=1, high_open=True),
            check_number("epsilon", epsilon, low=0, low_open=True))


@OPTIMIZERS.register()
class Adam:
    """Adam.

    Args:
        beta1: first-moment decay, in [0, 1).
        beta2: second-moment decay, in [0, 1).
        epsilon: numerical stabiliser, > 0.
        lazy_mode: update only the rows of sparse gradients that are present.
    """

    supports_regularizer = True

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8, lazy_mode: bool = False):
        self.beta1, self.beta2, self.epsilon = _betas(beta1, beta2, epsilon)
        self.lazy_mode = check_bool("lazy_mode", lazy_mode)

    def __call__(self, model: paddle.nn.Layer, learning_rate: LRScheduler, weight_decay: WeightDecay = None,
                 grad_clip: GradClip = None) -> paddle.optimizer.Optimizer:
        """Return a ``paddle.optimizer.Adam`` over ``model.parameters()``."""
        return paddle.optimizer.Adam(learning_rate=learning_rate, beta1=self.beta1, beta2=self.beta2,
                                     epsilon=self.epsilon, parameters=model.parameters(),
                                     weight_decay=weight_decay, grad_clip=grad_clip, lazy_mode=self.lazy_mode)


@OPTIMIZERS.register()
class AdamW:
    """AdamW: Adam with decoupled weight decay (``weight_decay``).

    As in PaddleOCR, ``Optimizer.regularizer: {name: L2, factor: f}`` sets ``weight_decay`` to
    ``f`` instead (PaddleOCR's KIE configs use ``factor: 0``: no decay).

    Args:
        beta1: first-moment decay, in [0, 1).
        beta2: second-moment decay, in [0, 1).
        epsilon: numerical stabiliser, > 0.
        weight_decay: decoupled decay coefficient, >= 0.
        no_weight_decay_name: space-separated substrings; parameters whose structured name
            (as in ``model.named_parameters()``, e.g. ``"head.fc.bias"``) contains one are not
            decayed. E.g. ``"norm bias pos_embed"``.
        one_dim_param_no_weight_decay: do not decay 1-D parameters (biases, norm scales).
    """

    supports_regularizer = False

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                 weight_decay: float = 0.01, no_weight_decay_name: str | None = None,
                 one_dim_param_no_weight_decay: bool = False):
        self.beta1, self.beta2, self.epsilon = _betas(beta1, beta2, epsilon)
        self.weight_decay = check_number("weight_decay", weight_decay, low=0)
        if no_weight_decay_name is not None and not isinstance(no_weight_decay_name, str):
            raise ValueError("no_weight_decay_name must be a space-separated string of name parts, "
                             f"got {no_weight_decay_name!r}")
        self.no_weight_decay_name = (no_weight_decay_name or "").split()
        self.one_dim_param_no_weight_decay = check_bool("one_dim_param_no_weight_decay",
                                                        one_dim_param_no_weight_decay)

    def use_regularizer(self, reg) -> None:
        """Take ``Optimizer.regularizer`` as PaddleOCR does: an L2 ``factor`` becomes ``weight_decay``.

        Args:
            reg: the built regularizer (``ppocr.optimizer.regularizer.L2``).

        Raises:
            ValueError: not an L2 regularizer (AdamW's decoupled decay has no L1 form).
        """
        if not isinstance(reg, L2):
            raise ValueError(f"AdamW's decoupled decay can only come from an L2 regularizer, got "
                             f"{type(reg).__name__}; use {{name: L2, factor: ...}} or AdamW's weight_decay")
        self.weight_decay = reg.factor
        logger.info("AdamW: weight_decay %g from Optimizer.regularizer L2 factor", self.weight_decay)

    def decay_param_names(self, model: paddle.nn.Layer) -> set[str] | None:
        """Internal names (``param.name``) of the parameters to decay, or ``None`` for all."""
        if not self.no_weight_decay_name and not self.one_dim_param_no_weight_decay:
            return None
        decay, skipped = set(), []
        for name, p in model.named_parameters():
            if any(part in name for part in self.no_weight_decay_name) or (
                    self.one_dim_param_no_weight_decay and len(p.shape) == 1):
                skipped.append(name)
            else:
                decay.add(p.name)
        logger.debug("AdamW: no weight decay for %d parameters: %s", len(skipped), ", ".join(skipped))
        return decay

    def __call__(self, model: paddle.nn.Layer, learning_rate: LRScheduler, weight_decay: WeightDecay = None,
                 grad_clip: GradClip = None) -> paddle.optimizer.Optimizer:
        """Return a ``paddle.optimizer.AdamW`` over ``model.parameters()``.

        ``weight_decay`` (a regularizer) must be ``None``: AdamW decays with its own coefficient.
        """
        if weight_decay is not None:
            raise ValueError("AdamW uses its own decoupled weight_decay; drop Optimizer.regularizer "
                             "and set Optimizer.weight_decay instead")
        decay = self.decay_param_names(model)
        return paddle.optimizer.AdamW(
            learning_rate=learning_rate, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
            parameters=model.parameters(), weight_decay=self.weight_decay, grad_clip=grad_clip,
            apply_decay_param_fun=None if decay is None else decay.__contains__)


@OPTIMIZERS.register()
class Momentum:
    """SGD with momentum.

    Args:
        momentum: momentum factor, >= 0.
    """

    supports_regularizer = True

    def __init__(self, momentum: float = 0.9):
        self.momentum = check_number("momentum", momentum, low=0)

    def __call__(self, model: paddle.nn.Layer, learning_rate: LRScheduler, weight_decay: WeightDecay = None,
                 grad_clip: GradClip = None) -> paddle.optimizer.Optimizer:
        """Return a ``paddle.optimizer.Momentum`` over ``model.parameters()``."""
        return paddle.optimizer.Momentum(learning_rate=learning_rate, momentum=self.momentum,
                                         parameters=model.parameters(), weight_decay=weight_decay,
                                         grad_clip=grad_clip)


@OPTIMIZERS.register()
class SGD:
    """Plain stochastic gradient descent (no options)."""

    supports_regularizer = True

    def __init__(self):
        pass

    def __call__(self, model: paddle.nn.Layer, learning_rate: LRScheduler, weight_decay: WeightDecay = None,
                 grad_clip: GradClip = None) -> paddle.optimizer.Optimizer:
        """Return a ``paddle.optimizer.SGD`` over ``model.parameters()``."""
        return paddle.optimizer.SGD(learning_rate=learning_rate, parameters=model.parameters(),
                                    weight_decay=weight_decay, grad_clip=grad_clip)


@OPTIMIZERS.register()
class RMSProp:
    """RMSProp.

    Args:
        rho: decay of the squared-gradient average, in (0, 1).
        momentum: momentum factor, >= 0.
        epsilon: numerical stabiliser, > 0.
    """

    supports_regularizer = True

    def __init__(self, rho: float = 0.95, momentum: float = 0.0, epsilon: float = 1e-6):
        self.rho = check_number("rho", rho, low=0, high=1, low_open=True, high_open=True)
        self.momentum = check_number("momentum", momentum, low=0)
        self.epsilon = check_number("epsilon", epsilon, low=0, low_open=True)

    def __call__(self, model: paddle.nn.Layer, learning_rate: LRScheduler, weight_decay: WeightDecay = None,
                 grad_clip: GradClip = None) -> paddle.optimizer.Optimizer:
        """Return a ``paddle.optimizer.RMSProp`` over ``model.parameters()``."""
        return paddle.optimizer.RMSProp(learning_rate=learning_rate, rho=self.rho, epsilon=self.epsilon,
                                        momentum=self.momentum, parameters=model.parameters(),
                                        weight_decay=weight_decay, grad_clip=grad_clip)
