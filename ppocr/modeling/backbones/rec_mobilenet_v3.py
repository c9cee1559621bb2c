"""MobileNetV3 for text recognition: height shrinks 32x, width only 4x.

Layer settings follow PaddleOCR's ``rec_mobilenet_v3.py`` (stem stride 2, three stages with
stride (2, 1), final 2x2 max-pool), so a [B, 3, 32, W] line image becomes [B, C, 1, W / 4].
Checkpoint keys match PaddleOCR's (``conv1``, ``blocks.N``, ``conv2``).

Example:
    >>> import paddle
    >>> net = MobileNetV3(model_name="small", scale=0.5)
    >>> net(paddle.rand([2, 3, 32, 100])).shape
    [2, 288, 1, 25]
"""
from __future__ import annotations

from typing import Sequence

import paddle
import paddle.nn as nn

from ppocr.modeling.layers import ConvBNLayer, ResidualUnit, make_divisible
from ppocr.registry import BACKBONES

SUPPORTED_SCALES = (0.35, 0.5, 0.75, 1.0, 1.25)

# Rows: kernel, expanded channels, out channels, SE, activation, stride slot. The stride slot is
# None for stride 1, or the index ``i`` into large_stride/small_stride; ``i == 0`` of the large
# model is a plain int stride, the others are (stride[i], 1).
_LARGE = [
    (3, 16, 16, False, "relu", 0),
    (3, 64, 24, False, "relu", 1),
    (3, 72, 24, False, "relu", None),
    (5, 72, 40, True, "relu", 2),
    (5, 120, 40, True, "relu", None),
    (5, 120, 40, True, "relu", None),
    (3, 240, 80, False, "hardswish", None),
    (3, 200, 80, False, "hardswish", None),
    (3, 184, 80, False, "hardswish", None),
    (3, 184, 80, False, "hardswish", None),
    (3, 480, 112, True, "hardswish", None),
    (3, 672, 112, True, "hardswish", None),
    (5, 672, 160, True, "hardswish", 3),
    (5, 960, 160, True, "hardswish", None),
    (5, 960, 160, True, "hardswish", None),
]
_SMALL = [
    (3, 16, 16, True, "relu", 0),
    (3, 72, 24, False, "relu", 1),
    (3, 88, 24, False, "relu", None),
    (5, 96, 40, True, "hardswish", 2),
    (5, 240, 40, True, "hardswish", None),
    (5, 240, 40, True, "hardswish", None),
    (5, 120, 48, True, "hardswish", None),
    (5, 144, 48, True, "hardswish", None),
    (5, 288, 96, True, "hardswish", 3),
    (5, 576, 96, True, "hardswish", None),
    (5, 576, 96, True, "hardswish", None),
]
_LAST_CONV = {"large": 960, "small": 576}
_DEFAULT_STRIDES = {"large": (1, 2, 2, 2), "small": (2, 2, 2, 2)}


def _check_strides(value: Sequence[int] | None, model_name: str, arg: str) -> tuple[int, ...]:
    if value is None:
        return _DEFAULT_STRIDES[model_name]
    if (not isinstance(value, (list, tuple)) or len(value) != 4
            or not all(isinstance(v, int) and v in (1, 2) for v in value)):
        raise ValueError(f"{arg} must be a list of 4 vertical strides, each 1 or 2 "
                         f"(default {list(_DEFAULT_STRIDES[model_name])}), got {value!r}")
    return tuple(value)


@BACKBONES.register()
class MobileNetV3(nn.Layer):
    """MobileNetV3 large/small, recognition variant.

    Args:
        in_channels: image channels.
        model_name: ``'large'`` or ``'small'``.
        scale: width multiplier, one of 0.35, 0.5, 0.75, 1.0, 1.25.
        large_stride: 4 vertical strides of the large model's stride stages (default
            [1, 2, 2, 2]); the first is applied in both directions.
        small_stride: 4 vertical strides of the small model's stages (default [2, 2, 2, 2]).
        disable_se: drop every SE gate.

    Attributes:
        out_channels: channels of the output feature map.

    Shape:
        [B, in_channels, 32, W] -> [B, out_channels, 1, W / 4] with the default strides
        (precisely: height 32 / 32, width floor(ceil(W / 2) / 2)).

    Raises:
        ValueError: unknown ``model_name``, unsupported ``scale`` or malformed strides.
    """

    def __init__(self, in_channels: int = 3, model_name: str = "large", scale: float = 0.5,
                 large_stride: Sequence[int] | None = None, small_stride: Sequence[int] | None = None,
                 disable_se: bool = False):
        super().__init__()
        if model_name not in _LAST_CONV:
            raise ValueError(f"model_name must be 'large' or 'small', got {model_name!r}")
        if scale not in SUPPORTED_SCALES:
            raise ValueError(f"scale must be one of {list(SUPPORTED_SCALES)}, got {scale!r}")
        if model_name == "large":
            strides, cfg = _check_strides(large_stride, "large", "large_stride"), _LARGE
        else:
            strides, cfg = _check_strides(small_stride, "small", "small_stride"), _SMALL
        self.model_name = model_name
        self.scale = scale

        inplanes = make_divisible(16 * scale)
        self.conv1 = ConvBNLayer(in_channels, inplanes, 3, stride=2, padding=1, act="hardswish")
        blocks = []
        for k, exp, c, se, act, slot in cfg:
            if slot is None:
                stride = 1
            elif model_name == "large" and slot == 0:
                stride = strides[0]
            else:
                stride = (strides[slot], 1)
            out = make_divisible(scale * c)
            blocks.append(ResidualUnit(inplanes, make_divisible(scale * exp), out, k, stride,
                                       use_se=se and not disable_se, act=act))
            inplanes = out
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = make_divisible(scale * _LAST_CONV[model_name])
        self.conv2 = ConvBNLayer(inplanes, self.out_channels, 1, act="hardswish")
        self.pool = nn.MaxPool2D(kernel_size=2, stride=2, padding=0)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.conv1(x)
        x = self.blocks(x)
        x = self.conv2(x)
        return self.pool(x)
