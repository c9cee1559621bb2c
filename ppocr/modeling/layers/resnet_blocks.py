"""ResNet-vd residual blocks: the shortcut downsamples with an average pool, then a 1x1 conv.

Shared by the recognition ResNet (strides like (2, 1)) and later detection variants (stride 2).
"""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.layers.conv_bn import ConvBNLayer, IntOrPair, to_pair


class VDShortcut(ConvBNLayer):
    """Projection shortcut of ResNet-vd: a 1x1 ConvBN without activation.

    With ``vd=True`` it average-pools by ``stride`` (ceil mode) and then applies a stride-1
    1x1 ConvBN; otherwise a plain strided 1x1 ConvBN. The pool has no parameters, so the
    checkpoint keys are those of ``ConvBNLayer`` (``conv.*``, ``bn.*``).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: int or (sh, sw).
        vd: use the pool-then-conv form.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, ceil(H / sh), ceil(W / sw)].
    """

    def __init__(self, in_channels: int, out_channels: int, stride: IntOrPair, vd: bool):
        stride = to_pair(stride, "stride")
        super().__init__(in_channels, out_channels, 1, stride=(1, 1) if vd else stride, act=None)
        self.pool = nn.AvgPool2D(kernel_size=stride, stride=stride, padding=0, ceil_mode=True) if vd else None

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.pool is not None:
            x = self.pool(x)
        return super().forward(x)


def _make_shortcut(in_channels: int, out_channels: int, stride: IntOrPair, shortcut: bool,
                   if_first: bool) -> VDShortcut | None:
    if shortcut:
        return None
    vd = not if_first and to_pair(stride, "stride") != (1, 1)
    return VDShortcut(in_channels, out_channels, stride, vd=vd)


class BasicBlock(nn.Layer):
    """Two 3x3 ConvBN layers plus a shortcut (ResNet-18/34).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: int or (sh, sw) of the first conv.
        shortcut: True for an identity shortcut; False builds a projection (``short``).
        if_first: first block of the network; its projection never uses the vd pool.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, ceil(H / sh), ceil(W / sw)].
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: IntOrPair = 1,
                 shortcut: bool = True, if_first: bool = False):
        super().__init__()
        self.conv0 = ConvBNLayer(in_channels, out_channels, 3, stride=stride, act="relu")
        self.conv1 = ConvBNLayer(out_channels, out_channels, 3, act=None)
        self.short = _make_shortcut(in_channels, out_channels, stride, shortcut, if_first)
        self.relu = nn.ReLU()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.conv1(self.conv0(x))
        short = x if self.short is None else self.short(x)
        return self.relu(y + short)


class BottleneckBlock(nn.Layer):
    """1x1 reduce -> 3x3 (strided) -> 1x1 expand (x4) plus a shortcut (ResNet-50 and deeper).

    Args:
        in_channels: input channels.
        out_channels: width of the bottleneck; the block outputs ``4 * out_channels``.
        stride: int or (sh, sw) of the 3x3 conv.
        shortcut: True for an identity shortcut; False builds a projection (``short``).
        if_first: first block of the network; its projection never uses the vd pool.

    Shape:
        [B, in_channels, H, W] -> [B, 4 * out_channels, ceil(H / sh), ceil(W / sw)].
    """

    expansion = 4

    def __init__(self, in_channels: int, out_channels: int, stride: IntOrPair = 1,
                 shortcut: bool = True, if_first: bool = False):
        super().__init__()
        self.conv0 = ConvBNLayer(in_channels, out_channels, 1, act="relu")
        self.conv1 = ConvBNLayer(out_channels, out_channels, 3, stride=stride, act="relu")
        self.conv2 = ConvBNLayer(out_channels, out_channels * 4, 1, act=None)
        self.short = _make_shortcut(in_channels, out_channels * 4, stride, shortcut, if_first)
        self.relu = nn.ReLU()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.conv2(self.conv1(self.conv0(x)))
        short = x if self.short is None else self.short(x)
        return self.relu(y + short)
