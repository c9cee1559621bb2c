"""ResNet-vd for text detection: four feature maps at strides 4, 8, 16 and 32.

Layer settings follow PaddleOCR's ``det_resnet_vd.py``: a three-conv 3x3 stem whose first conv
has stride 2, a 3x3/2 max-pool, then four stages; stages 2-4 start with a stride-2 block whose
projection shortcut is the vd form (2x2 average pool, then 1x1 conv). The blocks are the shared
``BasicBlock`` (18/34) and ``BottleneckBlock`` (50 and deeper) of ``ppocr.modeling.layers``, so
the checkpoint keys are this toolkit's (``stages.S.N.conv0.conv.weight``), not PaddleOCR's
``bb_S_N._conv`` names.

Example:
    >>> import paddle
    >>> net = ResNet_vd(layers=18)
    >>> [list(f.shape) for f in net(paddle.rand([1, 3, 64, 64]))]
    [[1, 64, 16, 16], [1, 128, 8, 8], [1, 256, 4, 4], [1, 512, 2, 2]]
"""
from __future__ import annotations

from typing import Sequence

import paddle
import paddle.nn as nn

from ppocr.modeling.backbones.rec_resnet_vd import DEPTHS
from ppocr.modeling.layers import BasicBlock, BottleneckBlock, ConvBNLayer
from ppocr.registry import BACKBONES

_WIDTHS = (64, 128, 256, 512)


def _check_dcn_stage(dcn_stage: bool | Sequence[bool] | None) -> None:
    """Deformable convolution is not implemented; accept only the values that switch it off."""
    if dcn_stage is None or dcn_stage is False:
        return
    if isinstance(dcn_stage, (list, tuple)) and not any(dcn_stage):
        return
    raise ValueError(f"dcn_stage={dcn_stage!r} asks for deformable convolutions, which this toolkit does "
                     "not implement; remove dcn_stage or set it to null or [False, False, False, False]")


@BACKBONES.register()
class ResNet_vd(nn.Layer):  # noqa: N801  (PaddleOCR's config name)
    """ResNet-vd, detection variant.

    Args:
        in_channels: image channels.
        layers: depth, one of 18, 34 (BasicBlock) or 50, 101, 152, 200 (BottleneckBlock).
        dcn_stage: accepted for PaddleOCR config compatibility only when it switches deformable
            convolutions off (null, false, or a list of four false).

    Attributes:
        out_channels: ``[64, 128, 256, 512]`` for 18/34, ``[256, 512, 1024, 2048]`` for 50+.

    Shape:
        [B, in_channels, H, W] -> four maps [B, out_channels[i], H / s, W / s] for
        s = 4, 8, 16, 32 (precisely: each stride-2 step gives ceil(size / 2)).

    Raises:
        ValueError: unsupported ``layers``, or ``dcn_stage`` asking for deformable convolutions.
    """

    def __init__(self, in_channels: int = 3, layers: int = 50,
                 dcn_stage: bool | Sequence[bool] | None = None):
        super().__init__()
        if layers not in DEPTHS:
            raise ValueError(f"layers must be one of {sorted(DEPTHS)}, got {layers!r}")
        _check_dcn_stage(dcn_stage)
        self.layers = layers
        block_cls = BottleneckBlock if layers >= 50 else BasicBlock

        self.conv1_1 = ConvBNLayer(in_channels, 32, 3, stride=2, act="relu")
        self.conv1_2 = ConvBNLayer(32, 32, 3, act="relu")
        self.conv1_3 = ConvBNLayer(32, 64, 3, act="relu")
        self.pool2d_max = nn.MaxPool2D(kernel_size=3, stride=2, padding=1)

        stages = []
        self.out_channels: list[int] = []
        channels = 64
        for s, (depth, width) in enumerate(zip(DEPTHS[layers], _WIDTHS)):
            blocks = []
            for i in range(depth):
                stride = 2 if i == 0 and s != 0 else 1
                blocks.append(block_cls(channels, width, stride=stride, shortcut=i != 0,
                                        if_first=s == 0 and i == 0))
                channels = width * block_cls.expansion
            stages.append(nn.Sequential(*blocks))
            self.out_channels.append(channels)
        self.stages = nn.LayerList(stages)

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        x = self.conv1_3(self.conv1_2(self.conv1_1(x)))
        x = self.pool2d_max(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs
