"""MobileNetV3's inverted residual block (shared by the recognition and detection variants)."""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.layers.conv_bn import ConvBNLayer, IntOrPair, to_pair
from ppocr.modeling.layers.se_module import SEModule


class ResidualUnit(nn.Layer):
    """1x1 expand -> depthwise kxk (strided) -> optional SE -> 1x1 linear projection (+ identity).

    The identity shortcut is added when the stride is 1 in both directions and the channel
    count is unchanged. Checkpoint keys: ``expand_conv``, ``bottleneck_conv``, ``mid_se``,
    ``linear_conv`` (PaddleOCR's names).

    Args:
        in_channels: input channels.
        mid_channels: expanded (depthwise) channels.
        out_channels: output channels.
        kernel_size: depthwise kernel size (odd int).
        stride: int or (sh, sw) of the depthwise conv.
        use_se: insert an SE gate after the depthwise conv.
        act: activation of the expand and depthwise convs.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, ceil(H / sh), ceil(W / sw)].
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, kernel_size: int,
                 stride: IntOrPair, use_se: bool, act: str | None = None):
        super().__init__()
        self.if_shortcut = to_pair(stride, "stride") == (1, 1) and in_channels == out_channels
        self.expand_conv = ConvBNLayer(in_channels, mid_channels, 1, act=act)
        self.bottleneck_conv = ConvBNLayer(mid_channels, mid_channels, kernel_size, stride=stride,
                                           groups=mid_channels, act=act)
        self.mid_se = SEModule(mid_channels) if use_se else None
        self.linear_conv = ConvBNLayer(mid_channels, out_channels, 1, act=None)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.bottleneck_conv(self.expand_conv(x))
        if self.mid_se is not None:
            y = self.mid_se(y)
        y = self.linear_conv(y)
        if self.if_shortcut:
            y = x + y
        return y
