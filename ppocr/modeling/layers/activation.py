"""Activation layers selected by name, so configs and blocks can say ``act='hardswish'``."""
from __future__ import annotations

from typing import Callable

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.registry import nearest


class HardSigmoid(nn.Layer):
    """``clip(slope * x + offset, 0, 1)``.

    PaddleOCR's MobileNetV3 SE gates use ``slope=0.2`` (the ``'hard_sigmoid'`` name here);
    ``'hardsigmoid'`` is the textbook ``slope=1/6``.

    Args:
        slope: gradient of the linear part.
        offset: value at ``x = 0``.

    Shape:
        any -> same.
    """

    def __init__(self, slope: float = 0.2, offset: float = 0.5):
        super().__init__()
        self.slope = slope
        self.offset = offset

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return F.hardsigmoid(x, slope=self.slope, offset=self.offset)

    def extra_repr(self) -> str:
        return f"slope={self.slope}, offset={self.offset}"


# Parameter-free activations only: the checkpoint keys of a block do not depend on its act.
ACTIVATIONS: dict[str, Callable[[], nn.Layer]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
    "hard_swish": nn.Hardswish,
    "hard_sigmoid": lambda: HardSigmoid(slope=0.2, offset=0.5),
    "hardsigmoid": lambda: HardSigmoid(slope=1.0 / 6.0, offset=0.5),
    "sigmoid": nn.Sigmoid,
    "swish": nn.Swish,
    "silu": nn.Silu,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
}


def build_activation(name: str | None) -> nn.Layer | None:
    """Return a fresh activation layer for ``name``, or ``None`` for ``None``/``'none'``.

    Args:
        name: one of ``ACTIVATIONS`` (``relu``, ``hardswish``, ``hard_sigmoid``, ...), or None.

    Returns:
        The activation layer, or None when no activation is wanted.

    Raises:
        ValueError: unknown name (the message lists the nearest valid names).
    """
    if name is None or (isinstance(name, str) and name.lower() == "none"):
        return None
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; {nearest(str(name), ACTIVATIONS)}")
    return ACTIVATIONS[name]()
