"""CTC head: per-time-step class scores."""
from __future__ import annotations

import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Uniform
from paddle.regularizer import L2Decay

from ppocr.registry import HEADS


def _fc_attrs(fc_decay: float, fan_in: int) -> tuple[ParamAttr, ParamAttr]:
    """Weight and bias attributes: L2 decay and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) init."""
    stdv = 1.0 / math.sqrt(fan_in)
    return tuple(ParamAttr(regularizer=L2Decay(fc_decay), initializer=Uniform(-stdv, stdv))
                 for _ in range(2))


@HEADS.register()
class CTCHead(nn.Layer):
    """Linear projection to class scores, one or two layers (checkpoint keys ``fc`` or
    ``fc1``/``fc2``), each with L2 weight decay ``fc_decay`` on weight and bias.

    Example:
        >>> head = CTCHead(in_channels=96, out_channels=37)
        >>> head.eval()
        >>> head(paddle.rand([2, 25, 96])).sum(axis=-1)  # probabilities in eval mode

    Args:
        in_channels: feature size of each time step.
        out_channels: number of classes including the CTC blank (index 0).
        fc_decay: L2 regularisation coefficient of the linear layers.
        mid_channels: if set, a hidden linear layer of this width comes first (no activation,
            as in PaddleOCR).
        return_feats: in training, return ``(features, logits)``; features are the input of the
            last linear layer.

    Shape:
        [B, T, in_channels] -> [B, T, out_channels]: logits in training mode, softmax
        probabilities in eval mode.
    """

    def __init__(self, in_channels: int, out_channels: int, fc_decay: float = 0.0004,
                 mid_channels: int | None = None, return_feats: bool = False):
        super().__init__()
        if not isinstance(out_channels, int) or out_channels < 2:
            raise ValueError(f"out_channels (classes incl. blank) must be an int >= 2, got {out_channels!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.mid_channels = mid_channels
        self.return_feats = return_feats
        if mid_channels is None:
            w, b = _fc_attrs(fc_decay, in_channels)
            self.fc = nn.Linear(in_channels, out_channels, weight_attr=w, bias_attr=b)
        else:
            w, b = _fc_attrs(fc_decay, in_channels)
            self.fc1 = nn.Linear(in_channels, mid_channels, weight_attr=w, bias_attr=b)
            w, b = _fc_attrs(fc_decay, mid_channels)
            self.fc2 = nn.Linear(mid_channels, out_channels, weight_attr=w, bias_attr=b)

    def forward(self, x: paddle.Tensor):
        if self.mid_channels is None:
            logits = self.fc(x)
        else:
            x = self.fc1(x)
            logits = self.fc2(x)
        if not self.training:
            return F.softmax(logits, axis=2)
        if self.return_feats:
            return x, logits
        return logits
