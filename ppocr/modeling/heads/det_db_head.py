"""DB head: shrink-probability, threshold and approximate-binary maps at input resolution.

Differentiable binarization (Liao et al., AAAI 2020): the head predicts a text probability map
``P`` and a threshold map ``T``; in training the approximate binary map
``B = sigmoid(k * (P - T))`` lets the threshold be learnt end to end. At inference only ``P``
is needed (boxes come from ``P > thresh``), so eval mode returns just that, which also keeps the
exported program small. Checkpoint keys match PaddleOCR's ``det_db_head.py`` (``binarize.*``,
``thresh.*`` with ``conv1``, ``conv_bn1``, ``conv2``, ``conv_bn2``, ``conv3``).

Example:
    >>> import paddle
    >>> head = DBHead(in_channels=64)
    >>> head(paddle.rand([2, 64, 16, 16]))["maps"].shape      # training
    [2, 3, 64, 64]
    >>> head.eval()
    >>> head(paddle.rand([2, 64, 16, 16]))["maps"].shape      # eval / export
    [2, 1, 64, 64]
"""
from __future__ import annotations

import math
from typing import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, KaimingUniform, Uniform

from ppocr.registry import HEADS


def _bias_attr(fan_in: int) -> ParamAttr:
    bound = 1.0 / math.sqrt(fan_in)
    return ParamAttr(initializer=Uniform(-bound, bound))


def _bn(channels: int) -> nn.BatchNorm2D:
    return nn.BatchNorm2D(channels, weight_attr=ParamAttr(initializer=Constant(1.0)),
                          bias_attr=ParamAttr(initializer=Constant(1e-4)))


class DBMapHead(nn.Layer):
    """One DB output branch: kxk conv -> BN -> ReLU -> 2x2/2 deconv -> BN -> ReLU ->
    2x2/2 deconv to one channel -> sigmoid (PaddleOCR's ``Head``).

    Args:
        in_channels: input channels (at least 4; the hidden width is ``in_channels // 4``).
        kernel_list: kernels of the conv and the two deconvs (PaddleOCR's ``[3, 2, 2]``).
        fix_nan: in training mode, replace NaN activations after each BN + ReLU by 0
            (PP-OCRv4/v5 mobile set it; eval mode and export are unaffected).

    Shape:
        [B, in_channels, H, W] -> [B, 1, 4H, 4W] for the default kernels, values in (0, 1).
    """

    def __init__(self, in_channels: int, kernel_list: Sequence[int] = (3, 2, 2), fix_nan: bool = False):
        super().__init__()
        mid = in_channels // 4
        k1, k2, k3 = kernel_list
        self.fix_nan = fix_nan
        self.conv1 = nn.Conv2D(in_channels, mid, k1, padding=k1 // 2, bias_attr=False)
        self.conv_bn1 = _bn(mid)
        self.conv2 = nn.Conv2DTranspose(mid, mid, k2, stride=2, weight_attr=ParamAttr(initializer=KaimingUniform()),
                                        bias_attr=_bias_attr(mid * 4))
        self.conv_bn2 = _bn(mid)
        self.conv3 = nn.Conv2DTranspose(mid, 1, k3, stride=2, weight_attr=ParamAttr(initializer=KaimingUniform()),
                                        bias_attr=_bias_attr(mid * 4))

    def _no_nan(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.fix_nan and self.training:
            return paddle.where(paddle.isnan(x), paddle.zeros_like(x), x)
        return x

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self._no_nan(F.relu(self.conv_bn1(self.conv1(x))))
        x = self._no_nan(F.relu(self.conv_bn2(self.conv2(x))))
        return F.sigmoid(self.conv3(x))


@HEADS.register()
class DBHead(nn.Layer):
    """Differentiable-binarization head.

    Args:
        in_channels: channels of the neck output (the builder passes the neck's
            ``out_channels``); at least 4.
        k: steepness of the approximate step function ``sigmoid(k * (P - T))`` (DB uses 50).
        kernel_list: kernels of each branch's conv and two deconvs, ``[3, 2, 2]`` as in PaddleOCR.
        fix_nan: in training mode, zero NaN activations inside both branches (PaddleOCR's option,
            set by the PP-OCRv4/v5 mobile configs).

    Shape:
        [B, in_channels, H / 4, W / 4] -> ``{"maps": [B, 3, H, W]}`` in training (channels:
        shrink probability, threshold, approximate binary map) and ``{"maps": [B, 1, H, W]}``
        (shrink probability only) in eval mode.

    Raises:
        ValueError: ``in_channels`` is not an int >= 4 (e.g. a backbone's list of four channel
            counts because the config has no neck), ``k`` is not positive, or ``kernel_list``
            is not three positive ints (the first odd).
    """

    def __init__(self, in_channels: int, k: float = 50, kernel_list: list[int] = (3, 2, 2), fix_nan: bool = False):
        super().__init__()
        if isinstance(in_channels, (list, tuple)):
            raise ValueError(f"DBHead needs one feature map but got in_channels={list(in_channels)} (a "
                             "backbone's four maps); add a neck such as DBFPN to Architecture.Neck")
        if not isinstance(in_channels, int) or in_channels < 4:
            raise ValueError(f"DBHead in_channels must be an int >= 4, got {in_channels!r}")
        if isinstance(k, bool) or not isinstance(k, (int, float)) or k <= 0:
            raise ValueError(f"DBHead k (step-function steepness) must be a positive number, got {k!r}")
        if (not isinstance(kernel_list, (list, tuple)) or len(kernel_list) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in kernel_list)
                or kernel_list[0] % 2 == 0):
            raise ValueError(f"DBHead kernel_list must be three positive ints [conv, deconv, deconv] with an odd "
                             f"conv kernel, e.g. [3, 2, 2]; got {kernel_list!r}")
        if not isinstance(fix_nan, bool):
            raise ValueError(f"DBHead fix_nan must be true or false, got {fix_nan!r}")
        self.in_channels = in_channels
        self.k = float(k)
        self.binarize = DBMapHead(in_channels, kernel_list, fix_nan)
        self.thresh = DBMapHead(in_channels, kernel_list, fix_nan)

    def forward(self, x: paddle.Tensor) -> dict[str, paddle.Tensor]:
        shrink = self.binarize(x)
        if not self.training:
            return {"maps": shrink}
        threshold = self.thresh(x)
        binary = F.sigmoid(self.k * (shrink - threshold))
        return {"maps": paddle.concat([shrink, threshold, binary], axis=1)}
