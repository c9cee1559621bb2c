"""MobileNetV3 for text detection: four feature maps at strides 4, 8, 16 and 32.

The blocks are those of the recognition variant (``rec_mobilenet_v3``), but every stride is 2 in
both directions, there is no final pool, and the blocks are grouped into four ``stages`` whose
outputs feed an FPN neck. Checkpoint keys match PaddleOCR's ``det_mobilenet_v3.py``
(``conv``, ``stages.S.N``; the last stage ends with the 1x1 ``ConvBNLayer``).

Configs select it as ``name: MobileNetV3`` under ``Architecture.model_type: det``; it is
registered as ``det/MobileNetV3`` (see ``ppocr.registry.Registry.resolve``).

Example:
    >>> import paddle
    >>> net = MobileNetV3(model_name="large", scale=0.5)
    >>> [list(f.shape) for f in net(paddle.rand([1, 3, 64, 64]))]
    [[1, 16, 16, 16], [1, 24, 8, 8], [1, 56, 4, 4], [1, 480, 2, 2]]
    >>> net.out_channels
    [16, 24, 56, 480]
"""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.backbones.rec_mobilenet_v3 import _LARGE, _LAST_CONV, _SMALL, SUPPORTED_SCALES
from ppocr.modeling.layers import ConvBNLayer, ResidualUnit, make_divisible
from ppocr.registry import BACKBONES


# Indices of the blocks (rows of the recognition tables) that downsample by 2 in detection.
# Recognition keeps the width and pools at the end instead, so its stride slots differ (large
# row 6 is stride 1 there).
_DOWNSAMPLE = {"large": (1, 3, 6, 12), "small": (0, 1, 3, 8)}


def _det_rows(model_name: str) -> list[tuple[int, int, int, bool, str, int]]:
    """The recognition block table with detection strides: (kernel, expanded, out, se, act, stride)."""
    table = _LARGE if model_name == "large" else _SMALL
    return [(k, exp, c, se, act, 2 if i in _DOWNSAMPLE[model_name] else 1)
            for i, (k, exp, c, se, act, _) in enumerate(table)]


@BACKBONES.register(name="det/MobileNetV3")
class MobileNetV3(nn.Layer):
    """MobileNetV3 large/small, detection variant.

    A stride-2 stem, then four stages that end at strides 4, 8, 16 and 32. A new stage starts at
    each stride-2 block after the stem's resolution has been halved once more (for ``large``
    the block at index 1 does that inside stage 0).

    Args:
        in_channels: image channels.
        model_name: ``'large'`` or ``'small'``.
        scale: width multiplier, one of 0.35, 0.5, 0.75, 1.0, 1.25.
        disable_se: drop every SE gate (PP-OCR's mobile detectors do, for speed).

    Attributes:
        out_channels: channels of the four outputs, e.g. ``[16, 24, 56, 480]`` for large x0.5.

    Shape:
        [B, in_channels, H, W] -> four maps [B, out_channels[i], H / s, W / s] for
        s = 4, 8, 16, 32 (precisely: each stride-2 step gives ceil(size / 2)).

    Raises:
        ValueError: unknown ``model_name`` or unsupported ``scale``.
    """

    def __init__(self, in_channels: int = 3, model_name: str = "large", scale: float = 0.5,
                 disable_se: bool = False):
        super().__init__()
        if model_name not in _LAST_CONV:
            raise ValueError(f"model_name must be 'large' or 'small', got {model_name!r}")
        if scale not in SUPPORTED_SCALES:
            raise ValueError(f"scale must be one of {list(SUPPORTED_SCALES)}, got {scale!r}")
        if not isinstance(disable_se, bool):
            raise ValueError(f"disable_se must be true or false, got {disable_se!r}")
        self.model_name = model_name
        self.scale = scale
        self.disable_se = disable_se

        inplanes = make_divisible(16 * scale)
        self.conv = ConvBNLayer(in_channels, inplanes, 3, stride=2, padding=1, act="hardswish")
        # The first stride-2 block that may open a new stage: large keeps its index-1 block
        # (stride 4) in stage 0, small's index-0 block is already the stride-4 one.
        first_split = 2 if model_name == "large" else 0
        stages: list[nn.Sequential] = []
        self.out_channels: list[int] = []
        blocks: list[nn.Layer] = []
        for i, (k, exp, c, se, act, stride) in enumerate(_det_rows(model_name)):
            if stride == 2 and i > first_split:
                stages.append(nn.Sequential(*blocks))
                self.out_channels.append(inplanes)
                blocks = []
            out = make_divisible(scale * c)
            blocks.append(ResidualUnit(inplanes, make_divisible(scale * exp), out, k, stride,
                                       use_se=se and not disable_se, act=act))
            inplanes = out
        last = make_divisible(scale * _LAST_CONV[model_name])
        blocks.append(ConvBNLayer(inplanes, last, 1, act="hardswish"))
        stages.append(nn.Sequential(*blocks))
        self.out_channels.append(last)
        self.stages = nn.LayerList(stages)

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        x = self.conv(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs
