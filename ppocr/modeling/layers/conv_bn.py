"""Conv2D (no bias) -> BatchNorm -> optional activation: the block every CNN backbone uses."""
from __future__ import annotations

from typing import Sequence, Union

import paddle
import paddle.nn as nn

from ppocr.modeling.layers.activation import build_activation

IntOrPair = Union[int, Sequence[int]]


def to_pair(value: IntOrPair, what: str = "value") -> tuple[int, int]:
    """Return ``(v, v)`` for an int, or the two ints of a 2-sequence.

    Raises:
        ValueError: anything else.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{what} must be an int or a pair of ints (height, width), got {value!r}")


class ConvBNLayer(nn.Layer):
    """Convolution without bias, BatchNorm, then an optional activation.

    Checkpoint keys: ``conv.weight``, ``bn.weight``, ``bn.bias``, ``bn._mean``, ``bn._variance``
    (the same names PaddleOCR's MobileNetV3 uses).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw); recognition backbones use (2, 1) to keep width.
        padding: int or (ph, pw); None gives "same"-style padding ``dilation * (k - 1) // 2``.
        groups: convolution groups (``groups == in_channels`` for depthwise).
        dilation: int or (dh, dw).
        act: activation name (see ``layers.activation.ACTIVATIONS``) or None.
        if_act: False disables ``act`` (PaddleOCR's switch, kept for config compatibility).

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H', W'] with the usual conv arithmetic.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair | None = None, groups: int = 1,
                 dilation: IntOrPair = 1, act: str | None = None, if_act: bool = True):
        super().__init__()
        k = to_pair(kernel_size, "kernel_size")
        d = to_pair(dilation, "dilation")
        stride = to_pair(stride, "stride")
        if padding is None:
            padding = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
        else:
            padding = to_pair(padding, "padding")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.conv = nn.Conv2D(in_channels, out_channels, kernel_size=k, stride=stride,
                              padding=padding, dilation=d, groups=groups, bias_attr=False)
        self.bn = nn.BatchNorm2D(out_channels)
        self.act = build_activation(act) if if_act else None

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.bn(self.conv(x))
        if self.act is not None:
            x = self.act(x)
        return x
