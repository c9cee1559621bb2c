"""SAR head (show, attend and read): an LSTM encoder of the feature columns and a 2-D attention
LSTM decoder. PP-OCRv3 trains it beside the CTC branch of a ``MultiHead`` (the guiding branch).

Checkpoint keys follow PaddleOCR's ``rec_sar_head.py``: ``encoder.rnn_encoder``, ``encoder.linear``,
``decoder.conv1x1_1``, ``decoder.conv3x3_1``, ``decoder.conv1x1_2``, ``decoder.rnn_decoder``,
``decoder.embedding``, ``decoder.prediction``.
"""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.registry import HEADS
from ppocr.utils.errors import DataError


def _rnn(gru: bool, **kwargs) -> nn.Layer:
    return nn.GRU(**kwargs) if gru else nn.LSTM(**kwargs)


class SAREncoder(nn.Layer):
    """Max-pool the height away, run a 2-layer LSTM over the columns, keep the last valid step.

    Shape:
        feat [B, C, H, W], valid_ratios [B] or None -> holistic feature [B, d_enc * (1 + bi)].
    """

    def __init__(self, d_model: int, d_enc: int, bi_rnn: bool = False, drop_rnn: float = 0.1, gru: bool = False):
        super().__init__()
        out = d_enc * (2 if bi_rnn else 1)
        self.rnn_encoder = _rnn(gru, input_size=d_model, hidden_size=d_enc, num_layers=2, time_major=False,
                                dropout=drop_rnn, direction="bidirectional" if bi_rnn else "forward")
        self.linear = nn.Linear(out, out)

    def forward(self, feat: paddle.Tensor, valid_ratios: paddle.Tensor | None) -> paddle.Tensor:
        cols = F.max_pool2d(feat, kernel_size=(feat.shape[2], 1), stride=1, padding=0).squeeze(2)
        states = self.rnn_encoder(cols.transpose([0, 2, 1]))[0]          # [B, T, C]
        t = states.shape[1]
        if valid_ratios is None:
            last = states[:, -1, :]
        else:  # the step under the right edge of the text (the rest is padding)
            steps = paddle.minimum(paddle.full_like(valid_ratios, t), paddle.ceil(valid_ratios * t)) - 1
            idx = steps.astype("int64").reshape([-1, 1, 1]).expand([-1, 1, states.shape[2]])
            last = paddle.take_along_axis(states, idx, axis=1).squeeze(1)
        return self.linear(last)


class ParallelSARDecoder(nn.Layer):
    """LSTM decoder with 2-D attention over the feature map, all steps in parallel (teacher forcing).

    Classes: ``out_channels`` in all, the last two are the start/end token (``out_channels - 2``) and
    padding (``out_channels - 1``); the prediction covers ``out_channels - 1`` classes (no padding).
    """

    def __init__(self, out_channels: int, d_model: int, d_enc: int, enc_bi_rnn: bool = False,
                 dec_bi_rnn: bool = False, dec_drop_rnn: float = 0.0, dec_gru: bool = False, d_k: int = 64,
                 pred_dropout: float = 0.1, max_text_length: int = 30, pred_concat: bool = True):
        super().__init__()
        self.num_classes = out_channels
        self.start_idx = out_channels - 2
        self.padding_idx = out_channels - 1
        self.max_seq_len = max_text_length
        self.pred_concat = pred_concat
        enc_out = d_enc * (2 if enc_bi_rnn else 1)
        dec_out = enc_out * (2 if dec_bi_rnn else 1)
        self.conv1x1_1 = nn.Linear(dec_out, d_k)
        self.conv3x3_1 = nn.Conv2D(d_model, d_k, kernel_size=3, stride=1, padding=1)
        self.conv1x1_2 = nn.Linear(d_k, 1)
        self.rnn_decoder = _rnn(dec_gru, input_size=enc_out, hidden_size=enc_out, num_layers=2, time_major=False,
                                dropout=dec_drop_rnn, direction="bidirectional" if dec_bi_rnn else "forward")
        self.embedding = nn.Embedding(out_channels, enc_out, padding_idx=self.padding_idx)
        self.pred_dropout = nn.Dropout(pred_dropout)
        fc_in = dec_out + d_model + enc_out if pred_concat else d_model
        self.prediction = nn.Linear(fc_in, out_channels - 1)

    def _2d_attention(self, dec_in: paddle.Tensor, feat: paddle.Tensor, holistic: paddle.Tensor,
                      valid_ratios: paddle.Tensor | None) -> paddle.Tensor:
        y = self.rnn_decoder(dec_in)[0]                                   # [B, T, C]
        query = self.conv1x1_1(y).unsqueeze([3, 4])                       # [B, T, d_k, 1, 1]
        key = self.conv3x3_1(feat).unsqueeze(1)                           # [B, 1, d_k, h, w]
        weight = paddle.tanh(key + query).transpose([0, 1, 3, 4, 2])       # [B, T, h, w, d_k]
        weight = self.conv1x1_2(weight)                                   # [B, T, h, w, 1]
        b, t, h, w, _ = weight.shape
        if valid_ratios is not None:  # no attention on the padding right of the text
            valid_w = paddle.minimum(paddle.full_like(valid_ratios, w), paddle.ceil(valid_ratios * w))
            cols = paddle.arange(w, dtype=valid_w.dtype).reshape([1, 1, 1, w, 1])
            pad = cols >= valid_w.reshape([-1, 1, 1, 1, 1])
            weight = paddle.where(pad, paddle.full_like(weight, float("-inf")), weight)
        weight = F.softmax(weight.reshape([b, t, -1]), axis=-1).reshape([b, t, h, w, 1])
        weight = weight.transpose([0, 1, 4, 2, 3])                         # [B, T, 1, h, w]
        glimpse = paddle.sum(feat.unsqueeze(1) * weight, axis=(3, 4))      # [B, T, C]
        if self.pred_concat:
            hol = holistic.expand([b, t, holistic.shape[-1]])
            out = self.prediction(paddle.concat((y, glimpse.astype(y.dtype), hol.astype(y.dtype)), axis=2))
        else:
            out = self.prediction(glimpse)
        return self.pred_dropout(out)

    def forward_train(self, feat, holistic, label, valid_ratios):
        emb = self.embedding(label)                                       # [B, L, C]
        holistic = holistic.unsqueeze(1).astype(emb.dtype)                # [B, 1, C]
        out = self._2d_attention(paddle.concat((holistic, emb), axis=1), feat, holistic, valid_ratios)
        return out[:, 1:, :]                                              # [B, L, classes - 1]

    def forward_test(self, feat, holistic, valid_ratios):
        b = feat.shape[0]
        start = self.embedding(paddle.full([b], self.start_idx, dtype="int64"))
        holistic = holistic.unsqueeze(1)
        dec_in = paddle.concat((holistic, start.unsqueeze(1).expand([b, self.max_seq_len, start.shape[1]])), axis=1)
        outputs = []
        for i in range(1, self.max_seq_len + 1):
            step = F.softmax(self._2d_attention(dec_in, feat, holistic, valid_ratios)[:, i, :], axis=-1)
            outputs.append(step)
            if i < self.max_seq_len:
                nxt = self.embedding(paddle.argmax(step, axis=1)).unsqueeze(1)
                dec_in = paddle.concat((dec_in[:, :i + 1], nxt, dec_in[:, i + 2:]), axis=1)
        return paddle.stack(outputs, axis=1)


@HEADS.register()
class SARHead(nn.Layer):
    """SAR recognition head (PaddleOCR's options and defaults).

    In training mode it needs the targets: ``forward(feat, targets=(label, valid_ratio))`` with the
    SAR label (``SARLabelEncode``: start token, characters, end token, padding) and each image's
    ``valid_ratio``; it returns logits of the next character at every step. In eval mode it
    decodes greedily (``max_text_length`` steps) and returns per-step probabilities.

    Args:
        in_channels: channels of the feature map.
        out_channels: classes: dictionary + unknown + start/end + padding (``SARLabelEncode``).
        enc_dim: LSTM width of the encoder.
        max_text_length: decoding steps in eval mode.
        enc_bi_rnn, enc_drop_rnn, enc_gru: encoder LSTM direction, dropout, GRU instead of LSTM.
        dec_bi_rnn, dec_drop_rnn, dec_gru: the same for the decoder.
        d_k: attention width.
        pred_dropout: dropout on the predictions.
        pred_concat: predict from the decoder state, the glimpse and the holistic feature.

    Shape:
        feat [B, in_channels, H, W] -> [B, L, out_channels - 1] (training, L = label length) or
        [B, max_text_length, out_channels - 1] (eval).
    """

    def __init__(self, in_channels: int, out_channels: int, enc_dim: int = 512, max_text_length: int = 30,
                 enc_bi_rnn: bool = False, enc_drop_rnn: float = 0.1, enc_gru: bool = False,
                 dec_bi_rnn: bool = False, dec_drop_rnn: float = 0.0, dec_gru: bool = False, d_k: int = 512,
                 pred_dropout: float = 0.1, pred_concat: bool = True):
        super().__init__()
        for arg, val in (("in_channels", in_channels), ("out_channels", out_channels), ("enc_dim", enc_dim),
                         ("max_text_length", max_text_length), ("d_k", d_k)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(f"{arg} must be a positive integer, got {val!r}")
        if out_channels < 4:
            raise ValueError(f"out_channels (dictionary + 3 special classes) must be at least 4, got {out_channels}")
        if not 0 <= enc_drop_rnn < 1:
            raise ValueError(f"enc_drop_rnn must be in [0, 1), got {enc_drop_rnn!r}")
        self.out_channels = out_channels
        self.encoder = SAREncoder(in_channels, enc_dim, bi_rnn=enc_bi_rnn, drop_rnn=enc_drop_rnn, gru=enc_gru)
        self.decoder = ParallelSARDecoder(out_channels, in_channels, enc_dim, enc_bi_rnn=enc_bi_rnn,
                                          dec_bi_rnn=dec_bi_rnn, dec_drop_rnn=dec_drop_rnn, dec_gru=dec_gru,
                                          d_k=d_k, pred_dropout=pred_dropout, max_text_length=max_text_length,
                                          pred_concat=pred_concat)

    def forward(self, feat: paddle.Tensor, targets: tuple | None = None) -> paddle.Tensor:
        label, valid_ratios = targets if targets is not None else (None, None)
        holistic = self.encoder(feat, valid_ratios)
        if not self.training:
            return self.decoder.forward_test(feat, holistic, valid_ratios)
        if label is None:
            raise DataError("SARHead needs the SAR labels in training (targets=(label, valid_ratio)); keep "
                            "label_sar and valid_ratio in Train KeepKeys")
        return self.decoder.forward_train(feat, holistic, label.astype("int64"), valid_ratios)
