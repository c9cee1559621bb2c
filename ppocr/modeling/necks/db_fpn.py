"""Feature pyramid necks for DB text detection: DBFPN, RSEFPN and LKPAN.

Each takes the four backbone maps (strides 4, 8, 16, 32), merges them top-down, brings every
level to ``out_channels // 4`` channels at stride 4 and concatenates them, so the head sees one
map [B, out_channels, H / 4, W / 4]. Checkpoint keys match PaddleOCR's ``necks/db_fpn.py``
(``in2_conv`` ... ``p5_conv``, ``asf``; ``ins_conv``, ``inp_conv``; ``pan_head_conv``,
``pan_lat_conv``), which is why the blocks below use plain ``Conv2D`` layers.

Upsampling is nearest-neighbour to the size of the finer map, not by a fixed factor of 2, so
inputs whose sides are not multiples of 32 still work (for multiples of 32 the two agree).

Example:
    >>> import paddle
    >>> neck = DBFPN(in_channels=[16, 24, 56, 480], out_channels=64)
    >>> feats = [paddle.rand([1, c, 64 // s, 64 // s]) for c, s in zip([16, 24, 56, 480], [4, 8, 16, 32])]
    >>> neck(feats).shape
    [1, 64, 16, 16]
"""
from __future__ import annotations

import logging
from typing import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import KaimingUniform

from ppocr.modeling.layers import SEModule, build_activation
from ppocr.registry import NECKS

logger = logging.getLogger(__name__)


def _kaiming() -> ParamAttr:
    return ParamAttr(initializer=KaimingUniform())


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
          groups: int = 1, bias: bool = False) -> nn.Conv2D:
    """A "same"-padded conv with Kaiming-uniform weights (bias-free unless asked)."""
    return nn.Conv2D(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2,
                     groups=groups, weight_attr=_kaiming(), bias_attr=None if bias else False)


def _upsample_to(x: paddle.Tensor, ref: paddle.Tensor) -> paddle.Tensor:
    """Nearest-neighbour resize of ``x`` to the spatial size of ``ref`` (dynamic-shape safe)."""
    return F.interpolate(x, size=paddle.shape(ref)[2:], mode="nearest")


def _check_channels(name: str, in_channels: Sequence[int], out_channels: int) -> list[int]:
    if (not isinstance(in_channels, (list, tuple)) or len(in_channels) != 4
            or not all(isinstance(c, int) and c > 0 for c in in_channels)):
        raise ValueError(f"{name} needs the channels of four backbone maps (strides 4, 8, 16, 32) as "
                         f"in_channels, got {in_channels!r}; use a detection backbone (model_type: det "
                         "with MobileNetV3 or ResNet_vd, or PPLCNetV3 with det: true), which returns four maps")
    if not isinstance(out_channels, int) or out_channels < 4 or out_channels % 4:
        raise ValueError(f"{name}: out_channels must be a positive multiple of 4 (four levels of "
                         f"out_channels // 4 are concatenated), got {out_channels!r}")
    return list(in_channels)


def _check_maps(name: str, x) -> None:
    if not isinstance(x, (list, tuple)) or len(x) != 4:
        got = f"{len(x)} items" if isinstance(x, (list, tuple)) else type(x).__name__
        raise ValueError(f"{name} expects a list of four feature maps (strides 4, 8, 16, 32), got {got}")


def _check_intracl(name: str, intracl: bool) -> None:
    if intracl:
        raise ValueError(f"{name}: intracl=True (PP-OCRv4's IntraCL blocks) is not implemented; "
                         "remove intracl or set it to false")


class ASFBlock(nn.Layer):
    """DB++ adaptive scale fusion: per-pixel weights for each of the concatenated levels.

    A 3x3 conv mixes the concatenated levels; a spatial attention (channel mean -> 3x3 conv ->
    ReLU -> 1x1 conv -> sigmoid) is added back, and a 1x1 conv + sigmoid turns the result into
    one weight map per level; each level is scaled by its weight and the levels re-concatenated.

    Args:
        in_channels: channels of the concatenated input (the neck's ``out_channels``).
        inter_channels: channels after the first conv.
        num_levels: number of concatenated levels (each ``in_channels / num_levels`` wide).

    Shape:
        fused [B, in_channels, H, W] and ``num_levels`` maps [B, C_i, H, W] ->
        [B, sum(C_i), H, W].
    """

    def __init__(self, in_channels: int, inter_channels: int, num_levels: int = 4):
        super().__init__()
        self.num_levels = num_levels
        self.conv = _conv(in_channels, inter_channels, 3, bias=True)
        self.spatial_scale = nn.Sequential(_conv(1, 1, 3), nn.ReLU(), _conv(1, 1, 1), nn.Sigmoid())
        self.channel_scale = nn.Sequential(_conv(inter_channels, num_levels, 1), nn.Sigmoid())

    def forward(self, fused: paddle.Tensor, levels: Sequence[paddle.Tensor]) -> paddle.Tensor:
        fused = self.conv(fused)
        spatial = self.spatial_scale(paddle.mean(fused, axis=1, keepdim=True))
        weights = self.channel_scale(spatial + fused)
        return paddle.concat([weights[:, i:i + 1] * levels[i] for i in range(self.num_levels)], axis=1)


@NECKS.register()
class DBFPN(nn.Layer):
    """The FPN of DB (and DB++ with ``use_asf``).

    1x1 convs bring each backbone map to ``out_channels``; the maps are summed top-down (coarse
    upsampled onto fine); a 3x3 conv reduces each level to ``out_channels // 4``; all levels are
    upsampled to stride 4 and concatenated (coarsest first).

    Args:
        in_channels: channels of the four backbone maps (the builder passes the backbone's).
        out_channels: output channels, a multiple of 4 (PaddleOCR uses 256; PP-OCR mobile 96).
        use_asf: reweight the levels with ``ASFBlock`` (DB++).

    Attributes:
        out_channels: as given.

    Shape:
        four maps [B, in_channels[i], H / s, W / s] (s = 4, 8, 16, 32) ->
        [B, out_channels, H / 4, W / 4].

    Raises:
        ValueError: ``in_channels`` is not four ints, or ``out_channels`` not a multiple of 4.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, use_asf: bool = False):
        super().__init__()
        in_channels = _check_channels("DBFPN", in_channels, out_channels)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.use_asf = bool(use_asf)
        c = out_channels
        self.in2_conv = _conv(in_channels[0], c, 1)
        self.in3_conv = _conv(in_channels[1], c, 1)
        self.in4_conv = _conv(in_channels[2], c, 1)
        self.in5_conv = _conv(in_channels[3], c, 1)
        self.p5_conv = _conv(c, c // 4, 3)
        self.p4_conv = _conv(c, c // 4, 3)
        self.p3_conv = _conv(c, c // 4, 3)
        self.p2_conv = _conv(c, c // 4, 3)
        self.asf = ASFBlock(c, c // 4) if self.use_asf else None

    def forward(self, x: Sequence[paddle.Tensor]) -> paddle.Tensor:
        _check_maps("DBFPN", x)
        c2, c3, c4, c5 = x
        in5 = self.in5_conv(c5)
        out4 = self.in4_conv(c4) + _upsample_to(in5, c4)
        out3 = self.in3_conv(c3) + _upsample_to(out4, c3)
        out2 = self.in2_conv(c2) + _upsample_to(out3, c2)
        # coarse to fine, the order PaddleOCR's programs use the convs in
        p5, p4, p3 = self.p5_conv(in5), self.p4_conv(out4), self.p3_conv(out3)
        p2 = self.p2_conv(out2)
        levels = [_upsample_to(p5, p2), _upsample_to(p4, p2), _upsample_to(p3, p2), p2]
        fused = paddle.concat(levels, axis=1)
        if self.asf is not None:
            fused = self.asf(fused, levels)
        return fused


class RSELayer(nn.Layer):
    """Conv (no bias) followed by an SE gate, optionally residual: ``y + SE(y)``.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: conv kernel (odd).
        shortcut: add the conv output to the gated output.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H, W].
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, shortcut: bool = True):
        super().__init__()
        self.out_channels = out_channels
        self.shortcut = shortcut
        self.in_conv = _conv(in_channels, out_channels, kernel_size)
        self.se_block = SEModule(out_channels, reduction=4)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.in_conv(x)
        y = self.se_block(x)
        return x + y if self.shortcut else y


@NECKS.register()
class RSEFPN(nn.Layer):
    """FPN whose lateral and output convs are ``RSELayer`` s (PP-OCRv3 mobile detector).

    Args:
        in_channels: channels of the four backbone maps.
        out_channels: output channels, a multiple of 4 (PP-OCRv3 uses 96).
        shortcut: residual SE layers (``y + SE(y)``) instead of plain gating.
        intracl: PP-OCRv4's IntraCL blocks; only ``False`` is supported.

    Attributes:
        out_channels: as given.

    Shape:
        four maps (strides 4, 8, 16, 32) -> [B, out_channels, H / 4, W / 4].

    Raises:
        ValueError: bad channels, or ``intracl=True``.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, shortcut: bool = True,
                 intracl: bool = False):
        super().__init__()
        in_channels = _check_channels("RSEFPN", in_channels, out_channels)
        _check_intracl("RSEFPN", intracl)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.ins_conv = nn.LayerList([RSELayer(c, out_channels, 1, shortcut=shortcut) for c in in_channels])
        self.inp_conv = nn.LayerList([RSELayer(out_channels, out_channels // 4, 3, shortcut=shortcut)
                                      for _ in in_channels])

    def forward(self, x: Sequence[paddle.Tensor]) -> paddle.Tensor:
        _check_maps("RSEFPN", x)
        c2, c3, c4, c5 = x
        in5 = self.ins_conv[3](c5)
        out4 = self.ins_conv[2](c4) + _upsample_to(in5, c4)
        out3 = self.ins_conv[1](c3) + _upsample_to(out4, c3)
        out2 = self.ins_conv[0](c2) + _upsample_to(out3, c2)
        # coarse to fine, the order PaddleOCR's programs use the convs in
        p5, p4, p3 = self.inp_conv[3](in5), self.inp_conv[2](out4), self.inp_conv[1](out3)
        p2 = self.inp_conv[0](out2)
        return paddle.concat([_upsample_to(p5, p2), _upsample_to(p4, p2), _upsample_to(p3, p2), p2], axis=1)


class DSConv(nn.Layer):
    """Depthwise-separable block with an inverted bottleneck (LKPAN ``lite``).

    depthwise kxk conv -> BN -> 1x1 expand (x4) -> BN -> act -> 1x1 project; when the channel
    count changes, a 1x1 projection of the input is added (PaddleOCR's rule: no residual at all
    when it does not). Plain layers keep PaddleOCR's keys (``conv1``, ``bn1``, ``conv2``,
    ``bn2``, ``conv3``, ``conv_end``).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: depthwise kernel (odd).
        act: activation after the expansion (``'relu'`` or ``'hardswish'``).

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H, W].
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, act: str = "relu"):
        super().__init__()
        self.conv1 = _conv(in_channels, in_channels, kernel_size, groups=in_channels)
        self.bn1 = nn.BatchNorm2D(in_channels)
        self.conv2 = _conv(in_channels, in_channels * 4, 1)
        self.bn2 = nn.BatchNorm2D(in_channels * 4)
        self.act = build_activation(act)
        self.conv3 = _conv(in_channels * 4, out_channels, 1)
        self.conv_end = _conv(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.bn2(self.conv2(self.bn1(self.conv1(x))))
        if self.act is not None:
            y = self.act(y)
        y = self.conv3(y)
        if self.conv_end is not None:
            y = y + self.conv_end(x)
        return y


@NECKS.register()
class LKPAN(nn.Layer):
    """Large-kernel path aggregation network (PP-OCRv3 server detector).

    Top-down FPN sum as in DBFPN, 9x9 convs to ``out_channels // 4``, then a bottom-up path
    (stride-2 3x3 convs added onto each coarser level) and 9x9 lateral convs, all upsampled to
    stride 4 and concatenated.

    Args:
        in_channels: channels of the four backbone maps.
        out_channels: output channels, a multiple of 4 (PaddleOCR uses 256).
        mode: ``'large'`` (plain 9x9 convs) or ``'lite'`` (``DSConv`` blocks).
        intracl: PP-OCRv4's IntraCL blocks; only ``False`` is supported.

    Attributes:
        out_channels: as given.

    Shape:
        four maps (strides 4, 8, 16, 32) -> [B, out_channels, H / 4, W / 4].

    Raises:
        ValueError: bad channels, unknown ``mode``, or ``intracl=True``.
    """

    MODES = ("lite", "large")

    def __init__(self, in_channels: Sequence[int], out_channels: int, mode: str = "large",
                 intracl: bool = False):
        super().__init__()
        in_channels = _check_channels("LKPAN", in_channels, out_channels)
        _check_intracl("LKPAN", intracl)
        if not isinstance(mode, str) or mode.lower() not in self.MODES:
            raise ValueError(f"LKPAN mode must be 'lite' or 'large', got {mode!r}")
        self.mode = mode.lower()
        self.in_channels = in_channels
        self.out_channels = out_channels
        q = out_channels // 4

        def big(cin: int, cout: int) -> nn.Layer:
            return DSConv(cin, cout, 9) if self.mode == "lite" else _conv(cin, cout, 9)

        self.ins_conv = nn.LayerList([_conv(c, out_channels, 1) for c in in_channels])
        self.inp_conv = nn.LayerList([big(out_channels, q) for _ in in_channels])
        self.pan_head_conv = nn.LayerList([_conv(q, q, 3, stride=2) for _ in in_channels[1:]])
        self.pan_lat_conv = nn.LayerList([big(q, q) for _ in in_channels])

    def forward(self, x: Sequence[paddle.Tensor]) -> paddle.Tensor:
        _check_maps("LKPAN", x)
        c2, c3, c4, c5 = x
        in5 = self.ins_conv[3](c5)
        out4 = self.ins_conv[2](c4) + _upsample_to(in5, c4)
        out3 = self.ins_conv[1](c3) + _upsample_to(out4, c3)
        out2 = self.ins_conv[0](c2) + _upsample_to(out3, c2)
        # the convs in the order PaddleOCR's programs use them
        f5, f4 = self.inp_conv[3](in5), self.inp_conv[2](out4)
        f3, f2 = self.inp_conv[1](out3), self.inp_conv[0](out2)
        pan3 = f3 + self.pan_head_conv[0](f2)
        pan4 = f4 + self.pan_head_conv[1](pan3)
        pan5 = f5 + self.pan_head_conv[2](pan4)
        p2, p3 = self.pan_lat_conv[0](f2), self.pan_lat_conv[1](pan3)
        p4, p5 = self.pan_lat_conv[2](pan4), self.pan_lat_conv[3](pan5)
        return paddle.concat([_upsample_to(p5, p2), _upsample_to(p4, p2), _upsample_to(p3, p2), p2], axis=1)
