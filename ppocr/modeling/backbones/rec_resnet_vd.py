"""ResNet-vd for text recognition: stages 2-4 stride (2, 1), so height shrinks 32x, width 4x.

Layer settings follow PaddleOCR's ``rec_resnet_vd.py``: a three-conv 3x3 stem (32, 32, 64
channels), a 3x3/2 max-pool, four stages whose first block projects through the vd shortcut
(average pool then 1x1 conv), and a final 2x2 max-pool.

Example:
    >>> import paddle
    >>> net = ResNet(layers=18)
    >>> net(paddle.rand([2, 3, 32, 100])).shape
    [2, 512, 1, 25]
"""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.layers import BasicBlock, BottleneckBlock, ConvBNLayer
from ppocr.registry import BACKBONES

DEPTHS = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
    200: (3, 12, 48, 3),
}
_WIDTHS = (64, 128, 256, 512)


@BACKBONES.register()
class ResNet(nn.Layer):
    """ResNet-vd, recognition variant.

    Args:
        in_channels: image channels.
        layers: depth, one of 18, 34 (BasicBlock) or 50, 101, 152, 200 (BottleneckBlock).

    Attributes:
        out_channels: 512 for 18/34, 2048 for 50 and deeper.

    Shape:
        [B, in_channels, 32, W] -> [B, out_channels, 1, W / 4]
        (precisely: width floor(ceil(W / 2) / 2)).

    Raises:
        ValueError: unsupported ``layers``.
    """

    def __init__(self, in_channels: int = 3, layers: int = 34):
        super().__init__()
        if layers not in DEPTHS:
            raise ValueError(f"layers must be one of {sorted(DEPTHS)}, got {layers!r}")
        self.layers = layers
        block_cls = BottleneckBlock if layers >= 50 else BasicBlock

        self.conv1_1 = ConvBNLayer(in_channels, 32, 3, act="relu")
        self.conv1_2 = ConvBNLayer(32, 32, 3, act="relu")
        self.conv1_3 = ConvBNLayer(32, 64, 3, act="relu")
        self.pool2d_max = nn.MaxPool2D(kernel_size=3, stride=2, padding=1)

        stages = []
        channels = 64
        for s, (depth, width) in enumerate(zip(DEPTHS[layers], _WIDTHS)):
            blocks = []
            for i in range(depth):
                stride = (2, 1) if i == 0 and s != 0 else (1, 1)
                blocks.append(block_cls(channels, width, stride=stride, shortcut=i != 0,
                                        if_first=s == 0 and i == 0))
                channels = width * block_cls.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.LayerList(stages)
        self.out_pool = nn.MaxPool2D(kernel_size=2, stride=2, padding=0)
        self.out_channels = channels

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.conv1_3(self.conv1_2(self.conv1_1(x)))
        x = self.pool2d_max(x)
        for stage in self.stages:
            x = stage(x)
        return self.out_pool(x)
