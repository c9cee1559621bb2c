"""MobileNetV1-Enhance, the PP-OCRv3 recognition backbone (PaddleOCR ``rec_mv1_enhance.py``).

A stride-2 stem, thirteen depthwise-separable blocks (5x5 kernels and SE gates in the last ones)
that halve the height three times but keep the width, and a final pool. A [B, 3, 48, 320] line
becomes [B, 512, 1, 40] at scale 0.5 with the PP-OCRv3 options (``last_conv_stride: [1, 2]``,
``last_pool_type: avg``, ``last_pool_kernel_size: [2, 2]``), and [B, 512, 1, 80] with the defaults.

Checkpoint keys match PaddleOCR's: ``conv1._conv``, ``conv1._batch_norm``,
``block_list.N._depthwise_conv`` / ``._se`` / ``._pointwise_conv``.

Example:
    >>> net = MobileNetV1Enhance(scale=0.5, last_conv_stride=[1, 2], last_pool_type="avg")
    >>> net(paddle.rand([2, 3, 48, 320])).shape
    [2, 512, 1, 40]
"""
from __future__ import annotations

import paddle
import paddle.nn as nn
from paddle import ParamAttr
from paddle.nn.initializer import KaimingNormal
from paddle.regularizer import L2Decay

from ppocr.modeling.layers import SEModule, to_pair
from ppocr.registry import BACKBONES

# Blocks after the stem: (in, depthwise, pointwise) widths before scaling, vertical stride, kernel, SE.
_BLOCKS = [
    (32, 32, 64, 1, 3, False),
    (64, 64, 128, 1, 3, False),
    (128, 128, 128, 1, 3, False),
    (128, 128, 256, 2, 3, False),
    (256, 256, 256, 1, 3, False),
    (256, 256, 512, 2, 3, False),
    *[(512, 512, 512, 1, 5, False)] * 5,
    (512, 512, 1024, 2, 5, True),
]
POOL_TYPES = ("max", "avg")


class ConvBNHardswish(nn.Layer):
    """Conv (Kaiming-normal init, no bias) -> BatchNorm (no weight decay) -> hardswish.

    Keys ``_conv`` and ``_batch_norm``, PaddleOCR's names in this backbone.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H', W'].
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int | tuple[int, int],
                 padding: int, groups: int = 1):
        super().__init__()
        self._conv = nn.Conv2D(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                               groups=groups, weight_attr=ParamAttr(initializer=KaimingNormal()), bias_attr=False)
        self._batch_norm = nn.BatchNorm2D(out_channels, weight_attr=ParamAttr(regularizer=L2Decay(0.0)),
                                          bias_attr=ParamAttr(regularizer=L2Decay(0.0)))
        self.act = nn.Hardswish()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.act(self._batch_norm(self._conv(x)))


class DepthwiseSeparable(nn.Layer):
    """Depthwise kxk conv -> optional SE gate -> pointwise 1x1 conv (keys ``_depthwise_conv``, ``_se``,
    ``_pointwise_conv``).

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, ceil(H / sh), ceil(W / sw)].
    """

    def __init__(self, in_channels: int, dw_channels: int, out_channels: int, stride: int | tuple[int, int],
                 kernel_size: int, use_se: bool):
        super().__init__()
        self._depthwise_conv = ConvBNHardswish(in_channels, dw_channels, kernel_size, stride,
                                               padding=kernel_size // 2, groups=dw_channels)
        self._se = SEModule(dw_channels, reduction=4, act="relu", gate="hardsigmoid") if use_se else None
        self._pointwise_conv = ConvBNHardswish(dw_channels, out_channels, 1, 1, padding=0)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self._depthwise_conv(x)
        if self._se is not None:
            x = self._se(x)
        return self._pointwise_conv(x)


@BACKBONES.register()
class MobileNetV1Enhance(nn.Layer):
    """MobileNetV1-Enhance for text recognition (PP-OCRv3).

    Args:
        in_channels: image channels.
        scale: width multiplier (PP-OCRv3: 0.5); channel counts are ``int(width * scale)``.
        last_conv_stride: stride of the last block's depthwise conv, an int or ``[sh, sw]``
            (PP-OCRv3: ``[1, 2]``, halving the width once more).
        last_pool_type: ``'max'`` (2x2 max-pool, stride 2) or ``'avg'`` (average pool of
            ``last_pool_kernel_size``, stride the same).
        last_pool_kernel_size: kernel and stride of the average pool (PP-OCRv3: ``[2, 2]``);
            the max-pool is always 2x2, as in PaddleOCR.

    Attributes:
        out_channels: ``int(1024 * scale)``.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H', W']: the blocks give H / 16 rows and
        W / (2 * sw) columns, the pool divides both again by its kernel (rounding down), e.g.
        48 x 320 -> 3 x 80 -> 1 x 40 with the PP-OCRv3 options.

    Raises:
        ValueError: a non-positive scale, an unknown pool type or malformed strides/kernels.
    """

    def __init__(self, in_channels: int = 3, scale: float = 0.5, last_conv_stride: int | list[int] = 1,
                 last_pool_type: str = "max", last_pool_kernel_size: list[int] = (3, 2)):
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        if last_pool_type not in POOL_TYPES:
            raise ValueError(f"last_pool_type must be one of {list(POOL_TYPES)}, got {last_pool_type!r}")
        last_stride = to_pair(last_conv_stride, "last_conv_stride")
        pool_kernel = to_pair(last_pool_kernel_size, "last_pool_kernel_size")
        self.scale = scale

        def ch(width: int) -> int:
            return int(width * scale)

        self.conv1 = ConvBNHardswish(in_channels, ch(32), 3, stride=2, padding=1)
        blocks = [DepthwiseSeparable(ch(cin), ch(dw), ch(cout), (stride, 1) if stride == 2 else 1, k, se)
                  for cin, dw, cout, stride, k, se in _BLOCKS]
        blocks.append(DepthwiseSeparable(ch(1024), ch(1024), ch(1024), last_stride, 5, True))
        self.block_list = nn.Sequential(*blocks)
        if last_pool_type == "avg":
            self.pool = nn.AvgPool2D(kernel_size=pool_kernel, stride=pool_kernel, padding=0)
        else:
            self.pool = nn.MaxPool2D(kernel_size=2, stride=2, padding=0)
        self.out_channels = ch(1024)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.pool(self.block_list(self.conv1(x)))
