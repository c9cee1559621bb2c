"""Weight regularizers for ``Optimizer.regularizer``: ``{name: L2, factor: 1.0e-5}``.

They become the optimizer's ``weight_decay``. Paddle applies them only to parameters whose
``ParamAttr`` sets no regularizer of its own; such parameters keep theirs.
"""
from __future__ import annotations

import paddle

from ppocr.optimizer._checks import check_number
from ppocr.registry import Registry

REGULARIZERS = Registry("regularizer")


@REGULARIZERS.register()
@REGULARIZERS.register(name="L1Decay")
class L1:
    """L1 weight decay (``paddle.regularizer.L1Decay``); also accepted as ``L1Decay``.

    Args:
        factor: the coefficient, >= 0.
    """

    def __init__(self, factor: float = 0.0):
        self.factor = check_number("factor", factor, low=0)

    def __call__(self) -> paddle.regularizer.L1Decay:
        """Return the paddle regularizer."""
        return paddle.regularizer.L1Decay(coeff=self.factor)


@REGULARIZERS.register()
@REGULARIZERS.register(name="L2Decay")
class L2:
    """L2 weight decay (``paddle.regularizer.L2Decay``); also accepted as ``L2Decay``.

    Args:
        factor: the coefficient, >= 0.
    """

    def __init__(self, factor: float = 0.0):
        self.factor = check_number("factor", factor, low=0)

    def __call__(self) -> paddle.regularizer.L2Decay:
        """Return the paddle regularizer."""
        return paddle.regularizer.L2Decay(coeff=self.factor)
