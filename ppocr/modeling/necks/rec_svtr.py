"""The SVTR sequence encoder of PP-OCRv3/v4/v5 (``SequenceEncoder`` with ``encoder_type: svtr``).

A conv reduction, a few global self-attention blocks over the feature map's positions, then a
conv that fuses the result with the (shortcut) input. Checkpoint keys follow PaddleOCR's
``EncoderWithSVTR``: ``conv1``..``conv4``, ``svtr_block.N``, ``norm``, ``conv1x1``.
"""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.layers import to_pair
from ppocr.modeling.layers.transformer import ConvBNAct, SVTRBlock, init_transformer_weights



class EncoderWithSVTR(nn.Layer):
    """SVTR global-mixing encoder over a [B, C, H, W] feature map.

    ``conv1`` (kxk, C -> C/8) and ``conv2`` (1x1, -> ``hidden_dims``) reduce, ``depth`` pre-norm
    attention blocks mix all H*W positions, ``conv3`` (1x1) restores C channels, the input is
    concatenated (the shortcut), ``conv4`` (kxk, 2C -> C/8) and ``conv1x1`` (-> ``dims``) fuse.
    With ``use_guide`` the encoder reads a detached copy of its input: no gradient flows from
    the CTC branch into the backbone through it, so the backbone learns from the other
    (guiding) branch of a ``MultiHead``, as PaddleOCR does.

    Args:
        in_channels: channels of the backbone output (at least 8).
        dims: output channels.
        depth: number of attention blocks.
        hidden_dims: width of the attention blocks.
        use_guide: detach the input (see above).
        num_heads: attention heads (``hidden_dims`` must be divisible by it).
        qkv_bias: bias in the attention input projection.
        mlp_ratio: MLP width over ``hidden_dims``.
        drop_rate: dropout in the blocks.
        attn_drop_rate: dropout on the attention weights.
        drop_path: stochastic depth; PaddleOCR's configs leave it 0 and only 0 is supported.
        kernel_size: ``[kh, kw]`` of ``conv1`` and ``conv4`` (``'same'`` padding).
        qk_scale: attention query scale (None: ``head_dim ** -0.5``).

    Shape:
        [B, in_channels, H, W] -> [B, dims, H, W].

    Raises:
        ValueError: bad sizes, or a non-zero ``drop_path``.
    """

    def __init__(self, in_channels: int, dims: int = 64, depth: int = 2, hidden_dims: int = 120,
                 use_guide: bool = False, num_heads: int = 8, qkv_bias: bool = True, mlp_ratio: float = 2.0,
                 drop_rate: float = 0.1, attn_drop_rate: float = 0.1, drop_path: float = 0.0,
                 kernel_size: list[int] = (3, 3), qk_scale: float | None = None):
        super().__init__()
        for arg, val in (("in_channels", in_channels), ("dims", dims), ("depth", depth),
                         ("hidden_dims", hidden_dims), ("num_heads", num_heads)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(f"{arg} must be a positive integer, got {val!r}")
        if in_channels < 8:
            raise ValueError(f"in_channels must be at least 8 (the encoder reduces it 8-fold), got {in_channels}")
        if hidden_dims % num_heads:
            raise ValueError(f"hidden_dims ({hidden_dims}) must be divisible by num_heads ({num_heads})")
        if drop_path:
            raise ValueError(f"drop_path must be 0 in the SVTR encoder (PaddleOCR's configs use 0), got {drop_path!r}")
        if not isinstance(use_guide, bool):
            raise TypeError(f"use_guide must be true or false, got {use_guide!r}")
        kh, kw = to_pair(kernel_size, "kernel_size")
        pad = [kh // 2, kw // 2]
        self.use_guide = use_guide
        self.depth = depth
        reduced = in_channels // 8
        self.conv1 = ConvBNAct(in_channels, reduced, [kh, kw], padding=pad, act="swish")
        self.conv2 = ConvBNAct(reduced, hidden_dims, 1, act="swish")
        self.svtr_block = nn.LayerList([
            SVTRBlock(hidden_dims, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale,
                      drop=drop_rate, attn_drop=attn_drop_rate, act="swish", epsilon=1e-5)
            for _ in range(depth)])
        self.norm = nn.LayerNorm(hidden_dims, epsilon=1e-6)
        self.conv3 = ConvBNAct(hidden_dims, in_channels, 1, act="swish")
        self.conv4 = ConvBNAct(2 * in_channels, reduced, [kh, kw], padding=pad, act="swish")
        self.conv1x1 = ConvBNAct(reduced, dims, 1, act="swish")
        self.out_channels = dims
        self.apply(init_transformer_weights)


    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        z = x.detach() if self.use_guide else x
        h = z
        z = self.conv2(self.conv1(z))
        _, c, hh, ww = z.shape
        z = z.flatten(2).transpose([0, 2, 1])
        for blk in self.svtr_block:
            z = blk(z)
        z = self.norm(z)
        z = z.reshape([0, hh, ww, c]).transpose([0, 3, 1, 2])
        z = paddle.concat((h, self.conv3(z)), axis=1)
        return self.conv1x1(self.conv4(z))
