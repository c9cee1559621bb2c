"""PP-LCNetV3: the backbone of the PP-OCRv4/v5 mobile detectors and recognisers.

One class serves both tasks, as in PaddleOCR's ``rec_lcnetv3.py``: ``det=True`` returns four maps
(strides 4, 8, 16, 32) for an FPN neck, ``det=False`` one recognition map of height 1.

Every depthwise and pointwise conv is a ``LearnableRepLayer``: while training it sums
``conv_kxk_num`` kxk conv+BN branches, a 1x1 conv+BN branch (when k > 1) and a BN-only identity
branch (when shape-preserving), then a learnable affine ``scale * x + bias`` and a
hardswish-plus-affine activation. ``rep()`` folds the branches into one conv with bias, which is
the form PaddleOCR's exported inference models contain; ``load_fused`` goes the other way, and a
layer set that way keeps computing that conv in training too (its BNs' statistics stay frozen; see
``LearnableRepLayer``), so a model imported from a release fine-tunes from what the release computes.

Checkpoint keys match PaddleOCR's: ``conv1``, ``blocks2`` ... ``blocks6`` (``N.dw_conv``,
``N.se``, ``N.pw_conv``; inside a rep layer ``identity``, ``conv_kxk.I``, ``conv_1x1``, ``lab``,
``act.lab``; after ``rep()``, ``reparam_conv``) and, for detection, ``layer_list.I``.

Example:
    >>> import paddle
    >>> net = PPLCNetV3(scale=0.75, det=True)
    >>> net.out_channels
    [12, 18, 42, 360]
    >>> [list(f.shape) for f in net(paddle.rand([1, 3, 64, 64]))]
    [[1, 12, 16, 16], [1, 18, 8, 8], [1, 42, 4, 4], [1, 360, 2, 2]]
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant
from paddle.regularizer import L2Decay

from ppocr.modeling.layers import ConvBNLayer, SEModule, make_divisible
from ppocr.registry import BACKBONES

logger = logging.getLogger(__name__)

# Block tables: stage name -> rows of (dw kernel, in channels, out channels, stride, use SE),
# channels before scaling. Detection halves the size at the start of blocks3..blocks6;
# recognition keeps the width (it only halves it once, in blocks5) so text columns survive.
NET_CONFIG_DET: dict[str, list] = {
    "blocks2": [[3, 16, 32, 1, False]],
    "blocks3": [[3, 32, 64, 2, False], [3, 64, 64, 1, False]],
    "blocks4": [[3, 64, 128, 2, False], [3, 128, 128, 1, False]],
    "blocks5": [[3, 128, 256, 2, False]] + [[5, 256, 256, 1, False]] * 4,
    "blocks6": [[5, 256, 512, 2, True], [5, 512, 512, 1, True],
                [5, 512, 512, 1, False], [5, 512, 512, 1, False]],
}
NET_CONFIG_REC: dict[str, list] = {
    "blocks2": [[3, 16, 32, 1, False]],
    "blocks3": [[3, 32, 64, 1, False], [3, 64, 64, 1, False]],
    "blocks4": [[3, 64, 128, (2, 1), False], [3, 128, 128, 1, False]],
    "blocks5": [[3, 128, 256, (1, 2), False]] + [[5, 256, 256, 1, False]] * 4,
    "blocks6": [[5, 256, 512, (2, 1), True], [5, 512, 512, 1, True],
                [5, 512, 512, (2, 1), False], [5, 512, 512, 1, False]],
}
STAGES = ("blocks2", "blocks3", "blocks4", "blocks5", "blocks6")
# Widths the detection outputs are projected to (times ``scale``): MobileNetV3-large x1's, so
# the PP-OCR necks keep their sizes.
DET_OUT_CHANNELS = (16, 24, 56, 480)
CHANNEL_DIVISOR = 16


def _scale_lr(layer: nn.Layer, lr_mult: float) -> None:
    """Multiply the learning rate of every parameter of ``layer`` by ``lr_mult``."""
    if lr_mult == 1.0:
        return
    for p in layer.parameters():
        p.optimize_attr["learning_rate"] = p.optimize_attr.get("learning_rate", 1.0) * lr_mult


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride, groups: int = 1) -> ConvBNLayer:
    """Conv (no bias) + BN without activation; the BN's scale and shift are never weight-decayed."""
    layer = ConvBNLayer(in_channels, out_channels, kernel_size, stride=stride,
                        padding=(kernel_size - 1) // 2, groups=groups)
    layer.bn.weight.regularizer = L2Decay(0.0)
    layer.bn.bias.regularizer = L2Decay(0.0)
    return layer


def _stride_is(stride, value: int) -> bool:
    """True when ``stride`` (an int or an (h, w) pair) is ``value`` in both directions."""
    if isinstance(stride, int):
        return stride == value
    return tuple(stride) == (value, value)


def _bn_to_scale_shift(bn: nn.BatchNorm2D) -> tuple[np.ndarray, np.ndarray]:
    """The per-channel ``(a, b)`` with ``bn(x) == a * x + b`` in eval mode."""
    std = np.sqrt(bn._variance.numpy().astype(np.float64) + bn._epsilon)
    a = bn.weight.numpy().astype(np.float64) / std
    return a, bn.bias.numpy().astype(np.float64) - bn._mean.numpy().astype(np.float64) * a


def _set_bn(bn: nn.BatchNorm2D, weight: np.ndarray | float, bias: np.ndarray | float) -> None:
    """Make ``bn`` the affine map ``weight * x + bias``: running mean 0 and variance ``1 - eps`` (it divides by
    exactly 1), which are also the statistics that mark a layer set by ``load_fused``."""
    c = bn.weight.shape[0]
    bn.weight.set_value(np.broadcast_to(np.asarray(weight, "float32"), [c]).copy())
    bn.bias.set_value(np.broadcast_to(np.asarray(bias, "float32"), [c]).copy())
    bn._mean.set_value(np.zeros([c], "float32"))
    bn._variance.set_value(np.full([c], 1.0 - bn._epsilon, "float32"))


def _frozen_bn(bn: nn.BatchNorm2D, x: paddle.Tensor) -> paddle.Tensor:
    """``bn(x)`` as in eval mode (running statistics), in any mode: differentiable in ``x`` and the BN's scale
    and shift, and the statistics are read only, never updated. Works for ``SyncBatchNorm`` too, which ignores
    ``use_global_stats``."""
    scale = bn.weight * paddle.rsqrt(bn._variance + bn._epsilon)
    shift = bn.bias - bn._mean * scale
    return x * scale.astype(x.dtype).reshape([1, -1, 1, 1]) + shift.astype(x.dtype).reshape([1, -1, 1, 1])


def holds_fused_statistics(layers: Sequence["LearnableRepLayer"]) -> list[bool]:
    """For each unfused layer, whether its branch BNs hold the statistics ``load_fused`` writes (every running
    mean exactly 0, every running variance exactly ``1 - eps``), read in one transfer to the host."""
    if not layers:
        return []
    marks = []
    for layer in layers:
        bns = layer.branch_norms()
        means = paddle.concat([bn._mean for bn in bns])
        variances = paddle.concat([bn._variance - (1.0 - bn._epsilon) for bn in bns])
        marks.append(paddle.logical_and(paddle.all(means == 0), paddle.all(variances == 0)))
    return [bool(v) for v in paddle.stack(marks).numpy()]


def refresh_frozen_statistics(layers: Sequence["LearnableRepLayer"]) -> None:
    """Set ``frozen_statistics`` of each unfused layer in ``layers`` from its BN statistics (one host read)."""
    pending = [layer for layer in layers if not layer.is_repped]
    for layer, frozen in zip(pending, holds_fused_statistics(pending)):
        layer.frozen_statistics = frozen


class LearnableAffineBlock(nn.Layer):
    """``scale * x + bias`` with two learnable scalars.

    Args:
        scale_value: initial scale.
        bias_value: initial bias.
        lr_mult: learning-rate multiplier of the stage.
        lab_lr: extra learning-rate multiplier of these two scalars.

    Shape:
        any -> same.
    """

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0, lr_mult: float = 1.0,
                 lab_lr: float = 0.1):
        super().__init__()
        self.scale = self.create_parameter([1], attr=ParamAttr(learning_rate=lr_mult * lab_lr),
                                           default_initializer=Constant(scale_value))
        self.bias = self.create_parameter([1], attr=ParamAttr(learning_rate=lr_mult * lab_lr),
                                          default_initializer=Constant(bias_value))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.scale * x + self.bias


class Act(nn.Layer):
    """An activation followed by a ``LearnableAffineBlock`` (keys ``act``, ``lab``).

    Args:
        act: ``'hswish'`` (hardswish) or ``'relu'``.
        lr_mult: learning-rate multiplier of the stage.
        lab_lr: learning-rate multiplier of the affine scalars.
    """

    ACTS = ("hswish", "relu")

    def __init__(self, act: str = "hswish", lr_mult: float = 1.0, lab_lr: float = 0.1):
        super().__init__()
        if act not in self.ACTS:
            raise ValueError(f"act must be 'hswish' or 'relu', got {act!r}")
        self.act = nn.Hardswish() if act == "hswish" else nn.ReLU()
        self.lab = LearnableAffineBlock(lr_mult=lr_mult, lab_lr=lab_lr)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.lab(self.act(x))


class LearnableRepLayer(nn.Layer):
    """A re-parameterisable conv: several conv+BN branches while training, one conv after ``rep()``.

    Training form: ``sum(conv_kxk[i](x)) + conv_1x1(x) + identity(x)`` (the 1x1 branch when
    ``kernel_size > 1``; the BN-only identity branch when the layer keeps shape and stride 1),
    then ``lab`` and, unless the stride is 2, ``act``. In eval mode every branch is affine in
    ``x``, so the sum equals one kxk conv with bias; ``rep()`` builds it (``reparam_conv``).

    Frozen statistics (a layer set by ``load_fused``). A released inference model holds only the
    fused conv; ``load_fused`` puts it into the branches with BNs that pass through (running mean 0,
    variance ``1 - eps``). Trained with batch statistics those BNs would normalise each channel and
    the layer would no longer compute the conv, so such a layer computes its BNs with their running
    statistics in training too, and never updates them: every branch stays affine in ``x``, training
    and eval compute the same function, ``rep()`` gives exactly it, and the optimizer changes kernels,
    BN scales and shifts from the release's values. Whether a layer is such a layer is read from its
    statistics at each training forward (``frozen_statistics``), not stored: the state dict keeps
    PaddleOCR's keys, and any load (``Global.checkpoints``, ``Global.pretrained_model``, ``set_state_dict``)
    restores it with the statistics. It cannot misfire on a layer trained with batch statistics (they
    change at the first step) or on a new one (variance 1). Eval mode is unchanged (running statistics).
    Not chosen: a persistable flag buffer (a new key in every layer: PaddleOCR's checkpoints and earlier
    ones would no longer fit a strict resume, and Paddle has no load hook to turn it back into a Python
    flag) and BN's ``use_global_stats`` (a Python attribute that no load restores, and ``SyncBatchNorm``
    ignores it); the frozen branches are computed here from the BN's tensors (``_frozen_bn``).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: odd kernel of the kxk branches.
        stride: int or (h, w) pair.
        groups: conv groups (``in_channels`` for depthwise).
        num_conv_branches: number of parallel kxk conv+BN branches.
        lr_mult: learning-rate multiplier of every parameter here.
        lab_lr: extra learning-rate multiplier of the affine scalars.

    Attributes:
        is_repped: True once ``rep()`` has fused the branches.
        frozen_statistics: whether training uses the BNs' running statistics (a layer set by
            ``load_fused``, or loaded from a checkpoint of one); refreshed from the statistics at every
            training forward.
        refresh_in_forward: True (default): the training forward reads the statistics itself; an owner that
            refreshes all its layers at once (``PPLCNetV3``: one host read per forward) sets it False, and
            then a layer called on its own uses what its owner's last training forward read.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H', W'] (usual conv arithmetic, "same" padding).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int | Sequence[int] = 1,
                 groups: int = 1, num_conv_branches: int = 1, lr_mult: float = 1.0, lab_lr: float = 0.1):
        super().__init__()
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd positive int, got {kernel_size!r}")
        if not isinstance(num_conv_branches, int) or num_conv_branches < 1:
            raise ValueError(f"num_conv_branches (conv_kxk_num) must be an int >= 1, got {num_conv_branches!r}")
        self.is_repped = False
        self.frozen_statistics = False
        self.refresh_in_forward = True
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride if isinstance(stride, int) else tuple(stride)
        self.groups = groups
        self.padding = (kernel_size - 1) // 2

        keeps_shape = in_channels == out_channels and _stride_is(self.stride, 1)
        self.identity = nn.BatchNorm2D(in_channels) if keeps_shape else None
        self.conv_kxk = nn.LayerList([_conv_bn(in_channels, out_channels, kernel_size, self.stride, groups)
                                      for _ in range(num_conv_branches)])
        self.conv_1x1 = _conv_bn(in_channels, out_channels, 1, self.stride, groups) if kernel_size > 1 else None
        self.lab = LearnableAffineBlock(lab_lr=lab_lr)
        self.act = Act(lab_lr=lab_lr)
        _scale_lr(self, lr_mult)

    def branch_norms(self) -> list[nn.BatchNorm2D]:
        """The BNs of the branches (kxk, then 1x1, then identity); empty once repped."""
        if self.is_repped:
            return []
        bns = [branch.bn for branch in self.conv_kxk]
        if self.conv_1x1 is not None:
            bns.append(self.conv_1x1.bn)
        if self.identity is not None:
            bns.append(self.identity)
        return bns

    def _branch_sum(self, x: paddle.Tensor, frozen: bool) -> paddle.Tensor:
        def norm(bn: nn.BatchNorm2D, y: paddle.Tensor) -> paddle.Tensor:
            return _frozen_bn(bn, y) if frozen else bn(y)

        out = 0
        if self.identity is not None:
            out += norm(self.identity, x)
        if self.conv_1x1 is not None:
            out += norm(self.conv_1x1.bn, self.conv_1x1.conv(x))
        for branch in self.conv_kxk:
            out += norm(branch.bn, branch.conv(x))
        return out

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.is_repped:
            out = self.reparam_conv(x)
        elif self.training:
            if self.refresh_in_forward and paddle.in_dynamic_mode():
                refresh_frozen_statistics([self])
            out = self._branch_sum(x, self.frozen_statistics)
        else:  # eval: running statistics either way
            out = self._branch_sum(x, False)
        out = self.lab(out)
        if not _stride_is(self.stride, 2):
            out = self.act(out)
        return out

    def _fused_kernel_bias(self) -> tuple[np.ndarray, np.ndarray]:
        """The kxk kernel and the bias of the single conv equal to the branches' sum (eval mode)."""
        k, c = self.kernel_size, self.kernel_size // 2
        kernel = np.zeros([self.out_channels, self.in_channels // self.groups, k, k], np.float64)
        bias = np.zeros([self.out_channels], np.float64)
        for branch in self.conv_kxk:
            a, b = _bn_to_scale_shift(branch.bn)
            kernel += branch.conv.weight.numpy().astype(np.float64) * a[:, None, None, None]
            bias += b
        if self.conv_1x1 is not None:
            a, b = _bn_to_scale_shift(self.conv_1x1.bn)
            kernel[:, :, c, c] += self.conv_1x1.conv.weight.numpy()[:, :, 0, 0].astype(np.float64) * a[:, None]
            bias += b
        if self.identity is not None:
            a, b = _bn_to_scale_shift(self.identity)
            per_group = self.in_channels // self.groups
            channels = np.arange(self.in_channels)
            kernel[channels, channels % per_group, c, c] += a
            bias += b
        return kernel.astype(np.float32), bias.astype(np.float32)

    def _new_reparam_conv(self) -> nn.Conv2D:
        return nn.Conv2D(self.in_channels, self.out_channels, self.kernel_size, stride=self.stride,
                         padding=self.padding, groups=self.groups)

    @paddle.no_grad()
    def rep(self) -> None:
        """Fold the branches into ``reparam_conv`` (a kxk conv with bias) and drop them.

        The result computes what the eval-mode branches computed (BN running statistics are
        folded in). Idempotent. Afterwards the layer has PaddleOCR's exported form; it can no
        longer be trained as multi-branch.
        """
        if self.is_repped:
            return
        kernel, bias = self._fused_kernel_bias()
        conv = self._new_reparam_conv()
        conv.weight.set_value(kernel)
        conv.bias.set_value(bias)
        self.reparam_conv = conv
        for branch in ("conv_kxk", "conv_1x1", "identity"):  # the training branches go, as on export
            delattr(self, branch)
            setattr(self, branch, None)
        self.is_repped = True
        self.frozen_statistics = False

    @paddle.no_grad()
    def load_fused(self, weight, bias) -> None:
        """Set the layer from a fused conv (``reparam_conv``'s weight and bias), keeping its branches.

        The inverse of ``rep()`` for importing a released inference model into a trainable model:
        afterwards the eval-mode output equals ``lab(conv(x, weight) + bias)`` (then ``act``).
        The first kxk branch takes the kernel, with a BN that adds ``bias`` and otherwise passes
        through; the other kxk branches, the 1x1 branch and the identity BN are set to add zero
        (their BN scale and shift are 0, their kernels are kept, so they learn again from there).
        Every branch BN gets running mean 0 and variance ``1 - eps``, which makes the layer one with
        frozen statistics (see the class docstring): in training mode too it computes that conv, and
        its BNs' statistics stay as they are. On a repped layer the fused conv itself is set.

        Args:
            weight: array or tensor of shape [out_channels, in_channels / groups, k, k].
            bias: array or tensor of shape [out_channels].

        Raises:
            ValueError: a shape that does not fit this layer.
        """
        weight = np.asarray(weight.numpy() if isinstance(weight, paddle.Tensor) else weight, "float32")
        bias = np.asarray(bias.numpy() if isinstance(bias, paddle.Tensor) else bias, "float32")
        want = [self.out_channels, self.in_channels // self.groups, self.kernel_size, self.kernel_size]
        if list(weight.shape) != want:
            raise ValueError(f"weight must have shape {want} for this layer, got {list(weight.shape)}")
        if list(bias.shape) != [self.out_channels]:
            raise ValueError(f"bias must have shape [{self.out_channels}], got {list(bias.shape)}")
        if self.is_repped:
            self.reparam_conv.weight.set_value(weight)
            self.reparam_conv.bias.set_value(bias)
            return
        first, *others = self.conv_kxk
        first.conv.weight.set_value(weight)
        _set_bn(first.bn, 1.0, bias)
        for branch in others + ([self.conv_1x1] if self.conv_1x1 is not None else []):
            # a zero BN scale silences the branch but, unlike a zero kernel too, still gets gradients
            _set_bn(branch.bn, 0.0, 0.0)
        if self.identity is not None:
            _set_bn(self.identity, 0.0, 0.0)
        self.frozen_statistics = True


class LCNetV3Block(nn.Layer):
    """Depthwise rep conv -> optional SE -> pointwise rep conv.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: stride of the depthwise conv (int or (h, w)).
        dw_size: depthwise kernel size.
        use_se: add a squeeze-and-excitation gate (ReLU, hard sigmoid 1/6) after the depthwise conv.
        conv_kxk_num: kxk branches of each rep conv.
        lr_mult: learning-rate multiplier.
        lab_lr: learning-rate multiplier of the affine scalars.

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H / sh, W / sw].
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int | Sequence[int], dw_size: int,
                 use_se: bool = False, conv_kxk_num: int = 4, lr_mult: float = 1.0, lab_lr: float = 0.1):
        super().__init__()
        self.use_se = use_se
        self.dw_conv = LearnableRepLayer(in_channels, in_channels, dw_size, stride=stride, groups=in_channels,
                                         num_conv_branches=conv_kxk_num, lr_mult=lr_mult, lab_lr=lab_lr)
        if use_se:
            self.se = SEModule(in_channels, reduction=4, act="relu", gate="hardsigmoid")
            _scale_lr(self.se, lr_mult)
        self.pw_conv = LearnableRepLayer(in_channels, out_channels, 1, stride=1,
                                         num_conv_branches=conv_kxk_num, lr_mult=lr_mult, lab_lr=lab_lr)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.dw_conv(x)
        if self.use_se:
            x = self.se(x)
        return self.pw_conv(x)


def _check_net_config(net_config: dict) -> dict[str, list]:
    if not isinstance(net_config, dict) or sorted(net_config) != sorted(STAGES):
        got = sorted(net_config) if isinstance(net_config, dict) else type(net_config).__name__
        raise ValueError(f"net_config must map each of {list(STAGES)} to a list of "
                         f"[kernel, in_channels, out_channels, stride, use_se] rows, got {got}")
    for stage in STAGES:
        rows = net_config[stage]
        if not isinstance(rows, (list, tuple)) or not rows:
            raise ValueError(f"net_config.{stage} must be a non-empty list of rows, got {rows!r}")
        for row in rows:
            if not isinstance(row, (list, tuple)) or len(row) != 5:
                raise ValueError(f"net_config.{stage}: each row is [kernel, in_channels, out_channels, "
                                 f"stride, use_se], got {row!r}")
    return {stage: [list(r) for r in net_config[stage]] for stage in STAGES}


@BACKBONES.register()
class PPLCNetV3(nn.Layer):
    """PP-LCNetV3 (PP-OCRv4/v5 mobile), for detection (``det=True``) or recognition.

    Configs select it as ``name: PPLCNetV3`` under either ``model_type`` (one class, as in
    PaddleOCR); a detection config must say ``det: true``.

    Args:
        in_channels: image channels.
        scale: width multiplier (PP-OCRv4/v5 mobile det 0.75, rec 0.95).
        conv_kxk_num: parallel kxk branches of every rep conv (4).
        lr_mult_list: six learning-rate multipliers: stem, blocks2 ... blocks6.
        lab_lr: learning-rate multiplier of the learnable affine scalars.
        det: return the four detection maps (projected by ``layer_list`` 1x1 convs) instead of
            the recognition map.
        net_config: a block table replacing the built-in one (``NET_CONFIG_DET`` or
            ``NET_CONFIG_REC``): ``{blocks2: [[kernel, in_c, out_c, stride, use_se], ...], ...,
            blocks6: [...]}``, channels before scaling.
        pretrained: accepted for PaddleOCR's configs (their PP-OCRv4 CML students set it); it has no effect
            there either: weights come from ``Global.pretrained_model`` or ``Architecture.Models.<name>.pretrained``.

    In training, each forward first reads which of its rep layers were set from a fused release (their
    ``frozen_statistics``, see ``LearnableRepLayer``), all in one host read.

    Attributes:
        out_channels: detection: ``int(c * scale)`` for c in 16, 24, 56, 480 (``[12, 18, 42, 360]``
            at 0.75); recognition: the last stage's width (``make_divisible(512 * scale, 16)``).

    Shape:
        detection: [B, C, H, W] -> four maps at strides 4, 8, 16, 32.
        recognition: [B, C, H, W] -> [B, out_channels, 1, 40] in training (adaptive average
        pool) and [B, out_channels, H / 48, W / 8] in eval mode (3x2 average pool; 1 x W / 8
        for the usual 48-pixel height).

    Raises:
        ValueError: bad ``scale``, ``conv_kxk_num``, ``lr_mult_list``, ``lab_lr`` or ``net_config``.
    """

    def __init__(self, in_channels: int = 3, scale: float = 1.0, conv_kxk_num: int = 4,
                 lr_mult_list: list[float] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0), lab_lr: float = 0.1,
                 det: bool = False, net_config: dict | None = None, pretrained: bool | None = None):
        super().__init__()
        if pretrained is not None and not isinstance(pretrained, bool):
            raise ValueError(f"pretrained must be true, false or null (weights come from Global.pretrained_model or "
                             f"Architecture.Models.<name>.pretrained), got {pretrained!r}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        if isinstance(conv_kxk_num, bool) or not isinstance(conv_kxk_num, int) or conv_kxk_num < 1:
            raise ValueError(f"conv_kxk_num must be an int >= 1, got {conv_kxk_num!r}")
        if (not isinstance(lr_mult_list, (list, tuple)) or len(lr_mult_list) != 6
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in lr_mult_list)):
            raise ValueError(f"lr_mult_list must be six numbers (stem, blocks2 ... blocks6), got {lr_mult_list!r}")
        if isinstance(lab_lr, bool) or not isinstance(lab_lr, (int, float)) or lab_lr < 0:
            raise ValueError(f"lab_lr must be a number >= 0, got {lab_lr!r}")
        if not isinstance(det, bool):
            raise ValueError(f"det must be true or false, got {det!r}")
        self.scale = float(scale)
        self.det = det
        self.lr_mult_list = [float(v) for v in lr_mult_list]
        if net_config is None:
            net_config = NET_CONFIG_DET if det else NET_CONFIG_REC
        self.net_config = _check_net_config(net_config)

        def width(c: float) -> int:
            return make_divisible(c * scale, CHANNEL_DIVISOR)

        self.conv1 = _conv_bn(in_channels, width(16), 3, stride=2)
        _scale_lr(self.conv1, self.lr_mult_list[0])
        for i, stage in enumerate(STAGES):
            blocks = [LCNetV3Block(width(cin), width(cout), stride=s if isinstance(s, int) else tuple(s),
                                   dw_size=k, use_se=bool(se), conv_kxk_num=conv_kxk_num,
                                   lr_mult=self.lr_mult_list[i + 1], lab_lr=lab_lr)
                      for k, cin, cout, s, se in self.net_config[stage]]
            setattr(self, stage, nn.Sequential(*blocks))

        if det:
            stage_channels = [width(self.net_config[s][-1][2]) for s in STAGES[1:]]
            self.out_channels = [int(c * scale) for c in DET_OUT_CHANNELS]
            self.layer_list = nn.LayerList([nn.Conv2D(cin, cout, 1)
                                            for cin, cout in zip(stage_channels, self.out_channels)])
        else:
            self.out_channels = width(self.net_config["blocks6"][-1][2])
        for layer in self._rep_layers():  # forward refreshes them all with one host read
            layer.refresh_in_forward = False

    def _rep_layers(self) -> list[LearnableRepLayer]:
        return [m for m in self.sublayers() if isinstance(m, LearnableRepLayer)]

    def forward(self, x: paddle.Tensor) -> paddle.Tensor | list[paddle.Tensor]:
        if self.training and paddle.in_dynamic_mode():
            refresh_frozen_statistics(self._rep_layers())  # which layers came from a fused release
        x = self.blocks2(self.conv1(x))
        feats = []
        for stage in STAGES[1:]:
            x = getattr(self, stage)(x)
            feats.append(x)
        if self.det:
            return [proj(f) for proj, f in zip(self.layer_list, feats)]
        if self.training:
            return F.adaptive_avg_pool2d(x, [1, 40])
        return F.avg_pool2d(x, [3, 2])
