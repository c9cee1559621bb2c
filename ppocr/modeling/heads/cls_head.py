"""Classification head: global average pooling and one linear layer (PaddleOCR's text-direction ``ClsHead``)."""
from __future__ import annotations

import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Uniform

from ppocr.registry import HEADS


@HEADS.register()
class ClsHead(nn.Layer):
    """Average-pool the feature map to one vector per image and score ``class_dim`` classes.

    The linear layer's weight starts uniform in ``[-1/sqrt(in_channels), 1/sqrt(in_channels)]``
    (the bias at zero), as in PaddleOCR; checkpoint keys are ``fc.weight`` / ``fc.bias``, so
    PaddleOCR's classifier checkpoints load by name.

    Example:
        >>> head = ClsHead(in_channels=200, class_dim=2)
        >>> head.eval()
        >>> head(paddle.rand([4, 200, 1, 48])).shape  # probabilities in eval mode
        [4, 2]

    Args:
        in_channels: channels of the backbone's feature map.
        class_dim: number of classes (``len(Global.label_list)``: 2 for ``['0', '180']``).

    Attributes:
        out_channels: ``class_dim``.

    Shape:
        [B, in_channels, H, W] -> [B, class_dim]: logits in training mode, softmax probabilities
        in eval mode.
    """

    def __init__(self, in_channels: int, class_dim: int):
        super().__init__()
        for arg, val in (("in_channels", in_channels), ("class_dim", class_dim)):
            if isinstance(val, bool) or not isinstance(val, int):
                raise TypeError(f"{arg} must be an integer, got {val!r}")
        if in_channels < 1:
            raise ValueError(f"in_channels must be >= 1, got {in_channels}")
        if class_dim < 2:
            raise ValueError(f"class_dim (the number of classes, len(Global.label_list)) must be >= 2, got {class_dim}")
        self.in_channels = in_channels
        self.out_channels = class_dim
        self.pool = nn.AdaptiveAvgPool2D(1)
        bound = 1.0 / math.sqrt(in_channels)
        self.fc = nn.Linear(in_channels, class_dim, weight_attr=ParamAttr(initializer=Uniform(-bound, bound)))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = paddle.flatten(self.pool(x), start_axis=1)
        logits = self.fc(x)
        if not self.training:
            return F.softmax(logits, axis=1)
        return logits
