"""Weight regularizers for ``Optimizer.regularizer``: ``{name: L2, factor: 1.0e-5}``.

They become the optimizer's ``weight_decay``. Paddle applies them only to parameters whose
``ParamAttr`` sets no regularizer of its own; such parameters keep theirs.
"""
from __future__ import annotations

import paddle

from ppocr.optimizer._checks import check_number
from ppocr.registry import Registry

REGULARIZERS = Registry("regularizer")


class _Decay:
    """Weight decay of one kind; subclasses name the paddle regularizer.

    Args:
        factor: the coefficient, >= 0.
    """

    paddle_cls: type = paddle.regularizer.L2Decay

    def __init__(self, factor: float = 0.0):
        self.factor = check_number("factor", factor, low=0)

    def __call__(self):
        """Return the paddle regularizer."""
        return self.paddle_cls(coeff=self.factor)


@REGULARIZERS.register()
@REGULARIZERS.register(name="L1Decay")
class L1(_Decay):
    """L1 weight decay (``paddle.regularizer.L1Decay``); also accepted as ``L1Decay``."""

    paddle_cls = paddle.regularizer.L1Decay


@REGULARIZERS.register()
@REGULARIZERS.register(name="L2Decay")
class L2(_Decay):
    """L2 weight decay (``paddle.regularizer.L2Decay``); also accepted as ``L2Decay``."""

    paddle_cls = paddle.regularizer.L2Decay
