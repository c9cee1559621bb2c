"""NRTR head: a transformer decoder over a sequence of visual features (PP-OCRv4/v5 train it beside
the CTC branch of a ``MultiHead``, the "GTC" guiding branch).

Checkpoint keys follow PaddleOCR's ``rec_nrtr_head.py`` (``Transformer`` without encoder layers):
``embedding.embedding``, ``positional_encoding.pe``, ``decoder.N.self_attn.qkv``,
``decoder.N.cross_attn.q`` / ``.kv``, ``.out_proj``, ``norm1..3``, ``mlp.fc1/fc2``, ``tgt_word_prj``.

Token ids (``NRTRLabelEncode``): 0 padding, 1 unknown, 2 start, 3 end, then the dictionary.
"""
from __future__ import annotations

import math

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle.nn.initializer import Constant, Normal, XavierNormal

from ppocr.modeling.layers.transformer import Mlp
from ppocr.registry import HEADS
from ppocr.utils.errors import DataError

START, END = 2, 3


class MultiheadAttention(nn.Layer):
    """Scaled dot-product attention; self-attention (key ``qkv``) or cross-attention (``q``, ``kv``).

    Shape:
        query [B, Tq, D], key [B, Tk, D] (cross only), attn_mask broadcastable to [B, H, Tq, Tk]
        -> [B, Tq, D].
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, self_attn: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"the model width ({embed_dim}) must be divisible by the number of heads ({num_heads})")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.self_attn = self_attn
        if self_attn:
            self.qkv = nn.Linear(embed_dim, embed_dim * 3)
        else:
            self.q = nn.Linear(embed_dim, embed_dim)
            self.kv = nn.Linear(embed_dim, embed_dim * 2)
        self.attn_drop = nn.Dropout(dropout)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query: paddle.Tensor, key: paddle.Tensor | None = None,
                attn_mask: paddle.Tensor | None = None) -> paddle.Tensor:
        tq = query.shape[1]
        if self.self_attn:
            qkv = self.qkv(query).reshape([0, tq, 3, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            tk = key.shape[1]
            q = self.q(query).reshape([0, tq, self.num_heads, self.head_dim]).transpose([0, 2, 1, 3])
            kv = self.kv(key).reshape([0, tk, 2, self.num_heads, self.head_dim]).transpose([2, 0, 3, 1, 4])
            k, v = kv[0], kv[1]
        attn = q.matmul(k.transpose([0, 1, 3, 2])) * self.scale
        if attn_mask is not None:
            attn = attn + attn_mask
        attn = self.attn_drop(F.softmax(attn, axis=-1))
        x = attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, tq, self.embed_dim])
        return self.out_proj(x)


class TransformerDecoderLayer(nn.Layer):
    """Post-norm decoder block: masked self-attention, cross-attention on the memory, ReLU MLP."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, attention_dropout_rate: float,
                 residual_dropout_rate: float, epsilon: float = 1e-5):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=attention_dropout_rate, self_attn=True)
        self.norm1 = nn.LayerNorm(d_model, epsilon=epsilon)
        self.dropout1 = nn.Dropout(residual_dropout_rate)
        self.cross_attn = MultiheadAttention(d_model, nhead, dropout=attention_dropout_rate)
        self.norm2 = nn.LayerNorm(d_model, epsilon=epsilon)
        self.dropout2 = nn.Dropout(residual_dropout_rate)
        self.mlp = Mlp(d_model, dim_feedforward, act="relu", drop=residual_dropout_rate)
        self.norm3 = nn.LayerNorm(d_model, epsilon=epsilon)
        self.dropout3 = nn.Dropout(residual_dropout_rate)

    def forward(self, tgt: paddle.Tensor, memory: paddle.Tensor, self_mask: paddle.Tensor) -> paddle.Tensor:
        tgt = self.norm1(tgt + self.dropout1(self.self_attn(tgt, attn_mask=self_mask)))
        tgt = self.norm2(tgt + self.dropout2(self.cross_attn(tgt, key=memory)))
        return self.norm3(tgt + self.dropout3(self.mlp(tgt)))


class PositionalEncoding(nn.Layer):
    """Sinusoidal positions added to a [B, T, D] sequence, then dropout (buffer ``pe`` [max_len, 1, D])."""

    def __init__(self, dim: int, dropout: float, max_len: int = 5000):
        super().__init__()
        position = np.arange(max_len, dtype=np.float32)[:, None]
        div = np.exp(np.arange(0, dim, 2).astype(np.float32) * (-math.log(10000.0) / dim))
        pe = np.zeros([max_len, dim], dtype=np.float32)
        pe[:, 0::2] = np.sin(position * div)
        pe[:, 1::2] = np.cos(position * div)
        self.register_buffer("pe", paddle.to_tensor(pe[:, None, :]))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = x.transpose([1, 0, 2]) + self.pe[:x.shape[1]]
        return self.dropout(x).transpose([1, 0, 2])


class Embeddings(nn.Layer):
    """Token embedding (normal init, std ``d_model ** -0.5``), scaled by ``sqrt(d_model)``."""

    def __init__(self, d_model: int, vocab: int, padding_idx: int = 0, scale_embedding: bool = True):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d_model, padding_idx=padding_idx,
                                      weight_attr=paddle.ParamAttr(initializer=Normal(0.0, d_model ** -0.5)))
        self.d_model = d_model
        self.scale_embedding = scale_embedding

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = self.embedding(x)
        return x * math.sqrt(self.d_model) if self.scale_embedding else x


def causal_mask(size: int) -> paddle.Tensor:
    """[1, 1, size, size]: 0 on and below the diagonal, -inf above (no peeking at later tokens)."""
    return paddle.triu(paddle.full([size, size], float("-inf"), dtype="float32"), diagonal=1).unsqueeze([0, 1])


@HEADS.register()
class NRTRHead(nn.Layer):
    """Transformer decoder head (PaddleOCR's ``Transformer`` with ``num_encoder_layers: -1``).

    In training it reads the NRTR targets, ``forward(src, targets=(label, length))``, and returns the
    logits of the next token at each of the ``1 + max(length)`` positions after the start token
    (teacher forcing). In eval mode it decodes greedily up to ``max_text_length`` tokens and
    returns ``[token ids [B, T], probabilities [B, T]]``.

    Args:
        in_channels: width of the visual sequence, the model width ``d_model`` (``nrtr_dim``).
        out_channels: size of ``NRTRLabelEncode``'s vocabulary (dictionary + 4); the output layer
            has one class more, as PaddleOCR's.
        nhead: attention heads (default ``in_channels // 32``, as ``MultiHead`` builds it).
        num_decoder_layers: decoder blocks.
        dim_feedforward: MLP width (default ``4 * in_channels``).
        max_text_length: decoding steps in eval mode.
        attention_dropout_rate: dropout on the attention weights.
        residual_dropout_rate: dropout on the residual branches and the positions.
        scale_embedding: multiply the token embedding by ``sqrt(d_model)``.

    Shape:
        src [B, N, in_channels] -> [B, 1 + max(length), out_channels + 1] (training).
    """

    def __init__(self, in_channels: int, out_channels: int, nhead: int | None = None, num_decoder_layers: int = 4,
                 dim_feedforward: int | None = None, max_text_length: int = 25, attention_dropout_rate: float = 0.0,
                 residual_dropout_rate: float = 0.1, scale_embedding: bool = True):
        super().__init__()
        for arg, val in (("in_channels", in_channels), ("out_channels", out_channels),
                         ("num_decoder_layers", num_decoder_layers), ("max_text_length", max_text_length)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(f"{arg} must be a positive integer, got {val!r}")
        nhead = nhead or max(1, in_channels // 32)
        dim_feedforward = dim_feedforward or 4 * in_channels
        self.d_model = in_channels
        self.out_channels = out_channels + 1
        self.max_len = max_text_length
        self.embedding = Embeddings(in_channels, self.out_channels, padding_idx=0, scale_embedding=scale_embedding)
        self.positional_encoding = PositionalEncoding(in_channels, residual_dropout_rate)
        self.decoder = nn.LayerList([
            TransformerDecoderLayer(in_channels, nhead, dim_feedforward, attention_dropout_rate, residual_dropout_rate)
            for _ in range(num_decoder_layers)])
        self.tgt_word_prj = nn.Linear(in_channels, self.out_channels, bias_attr=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Layer) -> None:
        if isinstance(m, nn.Linear):
            XavierNormal()(m.weight)
            if m.bias is not None:
                Constant(0.0)(m.bias)

    def _decode(self, tokens: paddle.Tensor, memory: paddle.Tensor) -> paddle.Tensor:
        tgt = self.positional_encoding(self.embedding(tokens))
        mask = causal_mask(tgt.shape[1])
        for layer in self.decoder:
            tgt = layer(tgt, memory, self_mask=mask)
        return tgt

    def forward(self, src: paddle.Tensor, targets: tuple | None = None):
        if not self.training:
            return self.forward_test(src)
        if targets is None:
            raise DataError("NRTRHead needs the NRTR labels in training (targets=(label, length)); keep label_gtc "
                            "and length in Train KeepKeys")
        label, length = targets
        max_len = int(length.max())
        tokens = label.astype("int64")[:, :2 + max_len][:, :-1]   # start token + characters (+ end), shifted
        return self.tgt_word_prj(self._decode(tokens, src))

    def forward_test(self, src: paddle.Tensor) -> list[paddle.Tensor]:
        b = src.shape[0]
        seq = paddle.full([b, 1], START, dtype="int64")
        prob = paddle.full([b, 1], 1.0, dtype="float32")
        for _ in range(1, self.max_len):
            step = F.softmax(self.tgt_word_prj(self._decode(seq, src)[:, -1, :]), axis=-1)
            idx = paddle.argmax(step, axis=-1)
            if bool((idx == END).all()):
                break
            seq = paddle.concat([seq, idx.reshape([-1, 1])], axis=1)
            prob = paddle.concat([prob, paddle.max(step, axis=-1).reshape([-1, 1])], axis=1)
        return [seq, prob]
