"""Squeeze-and-excitation channel gate."""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppocr.modeling.layers.activation import build_activation


class SEModule(nn.Layer):
    """Global average pool -> 1x1 conv (reduce) -> act -> 1x1 conv (expand) -> gate -> scale.

    Checkpoint keys: ``conv1.weight/bias``, ``conv2.weight/bias`` (as in PaddleOCR).

    Args:
        channels: input and output channels.
        reduction: squeeze ratio; the hidden width is ``max(1, channels // reduction)``.
        act: activation between the two convs.
        gate: gating activation; ``'hard_sigmoid'`` is PaddleOCR's MobileNetV3 choice.

    Shape:
        [B, C, H, W] -> [B, C, H, W].
    """

    def __init__(self, channels: int, reduction: int = 4, act: str = "relu",
                 gate: str = "hard_sigmoid"):
        super().__init__()
        if reduction < 1:
            raise ValueError(f"reduction must be >= 1, got {reduction}")
        hidden = max(1, channels // reduction)
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        self.conv1 = nn.Conv2D(channels, hidden, kernel_size=1)
        self.act = build_activation(act)
        self.conv2 = nn.Conv2D(hidden, channels, kernel_size=1)
        self.gate = build_activation(gate)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        w = self.conv1(self.avg_pool(x))
        if self.act is not None:
            w = self.act(w)
        w = self.conv2(w)
        if self.gate is not None:
            w = self.gate(w)
        return x * w
