"""Transformer pieces shared by the SVTR neck and the NRTR decoder: MLP, attention, encoder block.

Checkpoint keys follow PaddleOCR's ``rec_svtrnet.py`` / ``rec_nrtr_head.py`` (``fc1``/``fc2``,
``qkv``/``proj``, ``q``/``kv``/``out_proj``, ``norm1``/``norm2``, ``mixer``, ``mlp``), so released
weights load by name.
"""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle.nn.initializer import Constant, KaimingUniform, TruncatedNormal

from ppocr.modeling.layers.activation import build_activation


class ConvBNAct(nn.Layer):
    """Conv2D (Kaiming-uniform init, no bias) -> BatchNorm -> activation, as the SVTR layers use it.

    Checkpoint keys: ``conv.weight``, ``norm.weight``, ``norm.bias``, ``norm._mean``, ``norm._variance``.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: int or ``[kh, kw]``.
        padding: int or ``[ph, pw]``.
        act: activation name (``'swish'``, ``'gelu'``, ...).

    Shape:
        [B, in_channels, H, W] -> [B, out_channels, H', W'].
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | list[int] = 3,
                 padding: int | list[int] = 0, act: str = "swish"):
        super().__init__()
        self.conv = nn.Conv2D(in_channels, out_channels, kernel_size=kernel_size, padding=padding,
                              weight_attr=paddle.ParamAttr(initializer=KaimingUniform()), bias_attr=False)
        self.norm = nn.BatchNorm2D(out_channels)
        self.act = build_activation(act)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.act(self.norm(self.conv(x)))


class Mlp(nn.Layer):
    """Linear -> activation -> dropout -> linear -> dropout (keys ``fc1``, ``fc2``).

    Args:
        in_features: input and output width.
        hidden_features: hidden width.
        act: activation name.
        drop: dropout probability after each linear layer.

    Shape:
        [..., in_features] -> [..., in_features].
    """

    def __init__(self, in_features: int, hidden_features: int, act: str = "gelu", drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = build_activation(act)
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.drop(self.act(self.fc1(x)))
        return self.drop(self.fc2(x))


trunc_normal = TruncatedNormal(std=0.02)
zeros = Constant(0.0)
ones = Constant(1.0)


def init_transformer_weights(m: nn.Layer) -> None:
    """SVTR's initialisation, for ``layer.apply``: Linear weights truncated-normal (std 0.02) with zero bias,
    LayerNorm scale 1 and shift 0."""
    if isinstance(m, nn.Linear):
        trunc_normal(m.weight)
        if m.bias is not None:
            zeros(m.bias)
    elif isinstance(m, nn.LayerNorm):
        zeros(m.bias)
        ones(m.weight)


class GlobalAttention(nn.Layer):
    """Multi-head self-attention over all positions (SVTR's ``Global`` mixer; keys ``qkv``, ``proj``).

    Args:
        dim: token width; must be divisible by ``num_heads``.
        num_heads: attention heads.
        qkv_bias: bias in the query/key/value projection.
        qk_scale: query scale; None gives ``(dim // num_heads) ** -0.5``.
        attn_drop: dropout on the attention weights.
        proj_drop: dropout after the output projection.

    Shape:
        [B, N, dim] -> [B, N, dim].
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False, qk_scale: float | None = None,
                 attn_drop: float = 0.0, proj_drop: float = 0.0):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim ({dim}) must be divisible by num_heads ({num_heads})")
        self.num_heads = num_heads
        self.dim = dim
        self.head_dim = dim // num_heads
        self.scale = qk_scale or self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias_attr=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.mask: paddle.Tensor | None = None   # additive attention mask (SVTRNet's ``Local`` mixer sets one)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        qkv = self.qkv(x).reshape([0, -1, 3, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q.matmul(k.transpose([0, 1, 3, 2]))
        if self.mask is not None:
            attn = attn + self.mask
        attn = self.attn_drop(F.softmax(attn, axis=-1))
        x = attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, -1, self.dim])
        return self.proj_drop(self.proj(x))


class SVTRBlock(nn.Layer):
    """Pre-norm transformer encoder block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``.

    Keys ``norm1``, ``mixer``, ``norm2``, ``mlp`` (PaddleOCR's ``Block`` with ``mixer='Global'``,
    ``prenorm=False``, no drop path).

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width over ``dim``.
        qkv_bias: bias in the attention's input projection.
        qk_scale: see :class:`GlobalAttention`.
        drop: dropout after the attention projection and in the MLP.
        attn_drop: dropout on the attention weights.
        act: MLP activation.
        epsilon: LayerNorm epsilon.

    Shape:
        [B, N, dim] -> [B, N, dim].
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = False,
                 qk_scale: float | None = None, drop: float = 0.0, attn_drop: float = 0.0, act: str = "gelu",
                 epsilon: float = 1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, epsilon=epsilon)
        self.mixer = GlobalAttention(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale,
                                     attn_drop=attn_drop, proj_drop=drop)
        self.norm2 = nn.LayerNorm(dim, epsilon=epsilon)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act=act, drop=drop)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x + self.mixer(self.norm1(x))
        return x + self.mlp(self.norm2(x))
