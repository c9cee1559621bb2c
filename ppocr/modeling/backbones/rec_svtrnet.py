"""SVTRNet: the SVTR recognition backbone (PP-OCRv4's recognition teacher and server SVTR recogniser).

A two- or three-conv patch embedding (stride 4 or 8), a learnt position embedding, then three
stages of transformer blocks whose token mixer is ``Global`` attention, ``Local`` (windowed)
attention or ``Conv`` (a grouped kxk conv over the token map); between stages a strided conv (or
pooling) halves the height. Checkpoint keys follow PaddleOCR's ``rec_svtrnet.py``:
``patch_embed.proj.<i>.conv|norm``, ``pos_embed``, ``blocks1..3.<i>.norm1|mixer|norm2|mlp``,
``sub_sample1|2.conv|proj|norm``, ``last_conv`` and ``norm``.

Example config (the PP-OCRv4 distillation teacher)::

    Backbone:
      name: SVTRNet
      img_size: [48, 320]
      out_char_num: 40
      out_channels: 192
      patch_merging: Conv
      embed_dim: [64, 128, 256]
      depth: [3, 6, 3]
      num_heads: [2, 4, 8]
      mixer: [Conv, Conv, Conv, Conv, Conv, Conv, Global, Global, Global, Global, Global, Global]
      local_mixer: [[5, 5], [5, 5], [5, 5]]
      last_stage: false
      prenorm: true
"""
from __future__ import annotations

import logging

import numpy as np
import paddle
import paddle.nn as nn
from paddle.nn.initializer import KaimingNormal, KaimingUniform

from ppocr.modeling.layers.activation import build_activation
from ppocr.modeling.layers.transformer import GlobalAttention, Mlp, init_transformer_weights, trunc_normal, zeros
from ppocr.registry import BACKBONES

logger = logging.getLogger(__name__)

MIXERS = ("Global", "Local", "Conv")
PATCH_MERGING = ("Conv", "Pool")


class DropPath(nn.Layer):
    """Stochastic depth: in training, zero a sample's residual branch with probability ``p`` (and scale the
    kept ones by ``1 / (1 - p)``); identity in eval mode."""

    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = paddle.floor(keep + paddle.rand([x.shape[0]] + [1] * (x.ndim - 1), dtype=x.dtype))
        return x / keep * mask


class PatchConv(nn.Layer):
    """Conv 3x3 stride 2 (with bias) -> BatchNorm -> GELU (keys ``conv``, ``norm``)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2D(in_channels, out_channels, 3, stride=2, padding=1,
                              weight_attr=paddle.ParamAttr(initializer=KaimingUniform()))
        self.norm = nn.BatchNorm2D(out_channels)
        self.act = nn.GELU()

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.act(self.norm(self.conv(x)))


class PatchEmbed(nn.Layer):
    """``sub_num`` stride-2 convs (2: ``C/2, C``; 3: ``C/4, C/2, C``), then tokens ``[B, N, C]``."""

    def __init__(self, in_channels: int, embed_dim: int, sub_num: int):
        super().__init__()
        widths = [embed_dim // 2, embed_dim] if sub_num == 2 else [embed_dim // 4, embed_dim // 2, embed_dim]
        layers, cin = [], in_channels
        for w in widths:
            layers.append(PatchConv(cin, w))
            cin = w
        self.proj = nn.Sequential(*layers)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.proj(x).flatten(2).transpose([0, 2, 1])


class ConvMixer(nn.Layer):
    """The ``Conv`` token mixer: a kxk conv with ``num_heads`` groups over the [H, W] token map."""

    def __init__(self, dim: int, num_heads: int, hw: list[int], local_k: list[int]):
        super().__init__()
        self.hw, self.dim = hw, dim
        self.local_mixer = nn.Conv2D(dim, dim, local_k, 1, [local_k[0] // 2, local_k[1] // 2], groups=num_heads,
                                     weight_attr=paddle.ParamAttr(initializer=KaimingNormal()))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x.transpose([0, 2, 1]).reshape([0, self.dim, self.hw[0], self.hw[1]])
        return self.local_mixer(x).flatten(2).transpose([0, 2, 1])


class Attention(GlobalAttention):
    """Multi-head self-attention over the tokens (keys ``qkv``, ``proj``); ``Local`` masks every query to a
    ``local_k`` window of the [H, W] token map."""

    def __init__(self, dim: int, num_heads: int, mixer: str, hw: list[int], local_k: list[int], qkv_bias: bool,
                 qk_scale: float | None, attn_drop: float, proj_drop: float):
        super().__init__(dim, num_heads, qkv_bias, qk_scale, attn_drop, proj_drop)
        if mixer == "Local":
            h, w = hw
            hk, wk = local_k
            allowed = np.zeros([h * w, h + hk - 1, w + wk - 1], dtype=np.float32)
            for i in range(h):
                for j in range(w):
                    allowed[i * w + j, i:i + hk, j:j + wk] = 1.0
            allowed = allowed[:, hk // 2:h + hk // 2, wk // 2:w + wk // 2].reshape([h * w, h * w])
            mask = np.where(allowed > 0, 0.0, -np.inf).astype(np.float32)
            self.mask = paddle.to_tensor(mask[None, None])


class SVTRNetBlock(nn.Layer):
    """One SVTRNet block (keys ``norm1``, ``mixer``, ``norm2``, ``mlp``).

    ``prenorm`` (PaddleOCR's name; the norm follows each residual sum): ``x = norm1(x + mixer(x))``,
    ``x = norm2(x + mlp(x))``; otherwise ``x + mixer(norm1(x))``, ``x + mlp(norm2(x))``.
    """

    def __init__(self, dim: int, num_heads: int, mixer: str, local_k: list[int], hw: list[int],
                 mlp_ratio: float, qkv_bias: bool, qk_scale: float | None, drop: float, attn_drop: float,
                 drop_path: float, act: str, epsilon: float, prenorm: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, epsilon=epsilon)
        if mixer == "Conv":
            self.mixer = ConvMixer(dim, num_heads, hw, local_k)
        else:
            self.mixer = Attention(dim, num_heads, mixer, hw, local_k, qkv_bias, qk_scale, attn_drop, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, epsilon=epsilon)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act=act, drop=drop)
        self.prenorm = prenorm

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.prenorm:
            x = self.norm1(x + self.drop_path(self.mixer(x)))
            return self.norm2(x + self.drop_path(self.mlp(x)))
        x = x + self.drop_path(self.mixer(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SubSample(nn.Layer):
    """Halve the token map's height between stages: a 3x3 conv of stride ``[2, 1]`` (``Conv``, key ``conv``) or
    the mean of 3x5 average and max pooling and a linear projection (``Pool``, key ``proj``); then LayerNorm
    (key ``norm``). [B, C, H, W] -> [B, H/2 * W, out_channels]."""

    def __init__(self, in_channels: int, out_channels: int, types: str):
        super().__init__()
        self.types = types
        if types == "Pool":
            self.avgpool = nn.AvgPool2D(kernel_size=[3, 5], stride=[2, 1], padding=[1, 2])
            self.maxpool = nn.MaxPool2D(kernel_size=[3, 5], stride=[2, 1], padding=[1, 2])
            self.proj = nn.Linear(in_channels, out_channels)
        else:
            self.conv = nn.Conv2D(in_channels, out_channels, 3, stride=[2, 1], padding=1,
                                  weight_attr=paddle.ParamAttr(initializer=KaimingNormal()))
        self.norm = nn.LayerNorm(out_channels)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.types == "Pool":
            x = (self.avgpool(x) + self.maxpool(x)) * 0.5
            return self.norm(self.proj(x.flatten(2).transpose([0, 2, 1])))
        return self.norm(self.conv(x).flatten(2).transpose([0, 2, 1]))


def _ints(value, n: int | None, arg: str) -> list[int]:
    if (not isinstance(value, (list, tuple)) or (n is not None and len(value) != n)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        raise ValueError(f"{arg} must be a list of {n or 'some'} positive integers, got {value!r}")
    return list(value)


@BACKBONES.register()
class SVTRNet(nn.Layer):
    """The SVTR backbone (see the module docstring).

    Args:
        img_size: ``[H, W]`` of the input; the position embedding and the token maps are sized for it.
        in_channels: image channels.
        embed_dim: token width of the three stages.
        depth: blocks per stage.
        num_heads: attention heads (and ``Conv`` mixer groups) per stage.
        mixer: one of ``Global``, ``Local``, ``Conv`` per block (``sum(depth)`` entries).
        local_mixer: ``[kh, kw]`` per stage: the ``Local`` window or the ``Conv`` mixer kernel.
        patch_merging: ``Conv`` or ``Pool`` between stages (anything else: none, the height stays).
        mlp_ratio: MLP width over the token width.
        qkv_bias: bias in the attention input projection.
        qk_scale: query scale (None: ``head_dim ** -0.5``).
        drop_rate: dropout after the position embedding, the attention projection and in the MLPs.
        last_drop: dropout after the last stage's conv (``last_stage``).
        attn_drop_rate: dropout on the attention weights.
        drop_path_rate: stochastic depth, rising linearly from 0 to this over the blocks.
        epsilon: LayerNorm epsilon of the blocks.
        out_channels: channels of the ``last_stage`` conv.
        out_char_num: output width of the ``last_stage`` pooling (time steps).
        act: MLP activation (``nn.GELU`` as PaddleOCR writes it, or ``gelu``, ``swish``...).
        last_stage: pool to ``[1, out_char_num]``, 1x1 conv to ``out_channels``, hard-swish, dropout.
        sub_num: stride-2 convs of the patch embedding (2 or 3).
        prenorm: the blocks' norm placement (see :class:`SVTRNetBlock`); without it a final LayerNorm
            (key ``norm``) follows the last stage.

    Attributes:
        out_channels: ``out_channels`` with ``last_stage``; else the last stage's token width
            (``embed_dim[2]``), what the next component receives.

    Shape:
        [B, in_channels, H, W] -> ``last_stage``: [B, out_channels, 1, out_char_num]; else the last
        stage's tokens [B, N, embed_dim[2]] (N = H / 2**sub_num / 4 * W / 2**sub_num with patch merging),
        as PaddleOCR returns them: a ``MultiHead`` with ``use_pool`` folds them into rows and pools them
        to one row ([B, C, 1, W']), which the CTC neck needs.

    Raises:
        ValueError: inconsistent sizes, an unknown mixer or an image size not divisible by the strides.
    """

    def __init__(self, img_size: list[int] = (32, 100), in_channels: int = 3, embed_dim: list[int] = (64, 128, 256),
                 depth: list[int] = (3, 6, 3), num_heads: list[int] = (2, 4, 8),
                 mixer: list[str] = ("Local",) * 6 + ("Global",) * 6,
                 local_mixer: list[list[int]] = ((7, 11), (7, 11), (7, 11)), patch_merging: str | None = "Conv",
                 mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None,
                 drop_rate: float = 0.0, last_drop: float = 0.1, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.1, epsilon: float = 1e-6, out_channels: int = 192,
                 out_char_num: int = 25, act: str = "nn.GELU", last_stage: bool = True, sub_num: int = 2,
                 prenorm: bool = True):
        super().__init__()
        img_size = _ints(img_size, 2, "img_size")
        embed_dim = _ints(embed_dim, 3, "embed_dim")
        depth = _ints(depth, 3, "depth")
        num_heads = _ints(num_heads, 3, "num_heads")
        if not isinstance(local_mixer, (list, tuple)) or len(local_mixer) != 3:
            raise ValueError(f"local_mixer must be three [kh, kw] pairs, got {local_mixer!r}")
        local_mixer = [_ints(k, 2, f"local_mixer[{i}]") for i, k in enumerate(local_mixer)]
        if not isinstance(mixer, (list, tuple)) or len(mixer) != sum(depth) or any(m not in MIXERS for m in mixer):
            raise ValueError(f"mixer must list one of {list(MIXERS)} per block ({sum(depth)} entries), got {mixer!r}")
        if sub_num not in (2, 3):
            raise ValueError(f"sub_num must be 2 or 3, got {sub_num!r}")
        for d, h in zip(embed_dim, num_heads):
            if d % h:
                raise ValueError(f"embed_dim {d} must be divisible by num_heads {h}")
        act_name = act[3:].lower() if isinstance(act, str) and act.startswith("nn.") else act
        build_activation(act_name)  # fails early, naming the allowed names
        stride = 2 ** sub_num
        merging = patch_merging if patch_merging in PATCH_MERGING else None
        if img_size[0] % (stride * (4 if merging else 1)) or img_size[1] % stride:
            raise ValueError(f"img_size {img_size} must be divisible by the strides ({stride * (4 if merging else 1)} "
                             f"in height, {stride} in width)")
        self.img_size, self.embed_dim, self.prenorm = img_size, embed_dim, prenorm
        self.patch_merging, self.last_stage = merging, last_stage
        self.hw = [img_size[0] // stride, img_size[1] // stride]
        self.patch_embed = PatchEmbed(in_channels, embed_dim[0], sub_num)
        self.pos_embed = self.create_parameter([1, self.hw[0] * self.hw[1], embed_dim[0]],
                                               default_initializer=zeros)
        self.pos_drop = nn.Dropout(drop_rate)
        rates = np.linspace(0, drop_path_rate, sum(depth))
        heights = [self.hw[0], self.hw[0] // 2 if merging else self.hw[0], self.hw[0] // 4 if merging else self.hw[0]]
        start = 0
        for stage in range(3):
            blocks = [SVTRNetBlock(embed_dim[stage], num_heads[stage], mixer[start + i], local_mixer[stage],
                                   [heights[stage], self.hw[1]], mlp_ratio, qkv_bias, qk_scale, drop_rate,
                                   attn_drop_rate, float(rates[start + i]), act_name, epsilon, prenorm)
                      for i in range(depth[stage])]
            setattr(self, f"blocks{stage + 1}", nn.LayerList(blocks))
            start += depth[stage]
            if stage < 2 and merging:
                setattr(self, f"sub_sample{stage + 1}", SubSample(embed_dim[stage], embed_dim[stage + 1], merging))
        self.heights = heights
        if last_stage:
            self.avg_pool = nn.AdaptiveAvgPool2D([1, out_char_num])
            self.last_conv = nn.Conv2D(embed_dim[2], out_channels, 1, bias_attr=False)
            self.hardswish = nn.Hardswish()
            self.dropout = nn.Dropout(p=last_drop, mode="downscale_in_infer")
            self.out_channels = out_channels
        else:
            self.out_channels = embed_dim[2]
            if out_channels != embed_dim[2]:
                logger.info("SVTRNet: last_stage is false, so the output has embed_dim[2]=%d channels "
                            "(out_channels=%d applies to the last stage only)", embed_dim[2], out_channels)
        if not prenorm:
            self.norm = nn.LayerNorm(embed_dim[-1], epsilon=epsilon)
        trunc_normal(self.pos_embed)
        self.apply(init_transformer_weights)


    def _as_map(self, x: paddle.Tensor, stage: int) -> paddle.Tensor:
        return x.transpose([0, 2, 1]).reshape([0, self.embed_dim[stage], self.heights[stage], self.hw[1]])

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if list(x.shape[2:]) != self.img_size and -1 not in x.shape[2:]:
            raise ValueError(f"SVTRNet is built for images of {self.img_size} (img_size), got {list(x.shape[2:])}")
        x = self.pos_drop(self.patch_embed(x) + self.pos_embed)
        for stage in range(3):
            if stage and self.patch_merging:
                x = getattr(self, f"sub_sample{stage}")(self._as_map(x, stage - 1))
            for blk in getattr(self, f"blocks{stage + 1}"):
                x = blk(x)
        if not self.prenorm:
            x = self.norm(x)
        if self.last_stage:
            x = self.dropout(self.hardswish(self.last_conv(self.avg_pool(self._as_map(x, 2)))))
        return x
