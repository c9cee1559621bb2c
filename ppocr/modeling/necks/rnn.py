"""Sequence encoders for CTC recognition: feature map [B, C, 1, W] -> sequence [B, W, D]."""
from __future__ import annotations

import paddle
import paddle.nn as nn
from paddle import ParamAttr
from paddle.regularizer import L2Decay

from ppocr.modeling.necks.rec_svtr import EncoderWithSVTR
from ppocr.registry import NECKS, nearest
from ppocr.utils.errors import ConfigError


class Im2Seq(nn.Layer):
    """Drop the height axis and put width first: the columns become time steps.

    Args:
        in_channels: channels of the feature map.

    Shape:
        [B, C, 1, W] -> [B, W, C].

    Raises:
        ConfigError: the feature map's height is not 1 (image height and backbone disagree).
    """

    def __init__(self, in_channels: int):
        super().__init__()
        self.out_channels = in_channels

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        h = x.shape[2]
        if isinstance(h, int) and h not in (1, -1):
            raise ConfigError(
                f"SequenceEncoder needs backbone features of height 1, got shape {list(x.shape)} "
                f"(height {h}). The image height does not fit the backbone: the recognition "
                f"MobileNetV3/ResNet divide height by 32, so set the height in the resize "
                f"transform's image_shape (e.g. RecResizeImg image_shape: [3, 32, 320]) to 32, "
                f"or pick a backbone made for taller images.")
        x = x.squeeze(axis=2)
        return x.transpose([0, 2, 1])


class EncoderWithRNN(nn.Layer):
    """Two-layer bidirectional LSTM (checkpoint keys ``lstm.*``).

    Args:
        in_channels: feature size of each time step.
        hidden_size: LSTM units per direction.

    Shape:
        [B, T, in_channels] -> [B, T, 2 * hidden_size].
    """

    def __init__(self, in_channels: int, hidden_size: int):
        super().__init__()
        self.out_channels = hidden_size * 2
        self.lstm = nn.LSTM(in_channels, hidden_size, num_layers=2, direction="bidirectional")

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x, _ = self.lstm(x)
        return x


class EncoderWithFC(nn.Layer):
    """One linear layer per time step (checkpoint keys ``fc.*``), weight decay 1e-5.

    Args:
        in_channels: feature size of each time step.
        hidden_size: output size.

    Shape:
        [B, T, in_channels] -> [B, T, hidden_size].
    """

    def __init__(self, in_channels: int, hidden_size: int):
        super().__init__()
        self.out_channels = hidden_size
        self.fc = nn.Linear(in_channels, hidden_size,
                            weight_attr=ParamAttr(regularizer=L2Decay(1e-5)))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.fc(x)


_ENCODERS = {"rnn": EncoderWithRNN, "fc": EncoderWithFC, "svtr": EncoderWithSVTR, "reshape": None}


@NECKS.register()
class SequenceEncoder(nn.Layer):
    """Im2Seq followed by an optional per-sequence encoder, or the SVTR encoder followed by Im2Seq.

    Example:
        >>> neck = SequenceEncoder(in_channels=288, encoder_type="rnn", hidden_size=48)
        >>> neck(paddle.rand([2, 288, 1, 25])).shape
        [2, 25, 96]

    Args:
        in_channels: channels of the backbone output.
        encoder_type: ``'rnn'`` (2-layer BiLSTM, out ``2 * hidden_size``), ``'fc'`` (Linear, out
            ``hidden_size``), ``'svtr'`` (:class:`~ppocr.modeling.necks.rec_svtr.EncoderWithSVTR` on the
            feature map, then Im2Seq; out ``dims``) or ``'reshape'`` (no encoder, out ``in_channels``).
        hidden_size: see ``encoder_type``.
        dims, depth, hidden_dims, use_guide, num_heads, qkv_bias, mlp_ratio, drop_rate,
            attn_drop_rate, drop_path, kernel_size, qk_scale: options of the ``svtr`` encoder
            (PaddleOCR's names and defaults); the other encoders ignore them.

    Attributes:
        out_channels: feature size of each output time step.

    Shape:
        [B, in_channels, 1, W] -> [B, W, out_channels].

    Raises:
        ValueError: unknown ``encoder_type``.
        ConfigError: (forward) a feature height other than 1.
    """

    def __init__(self, in_channels: int, encoder_type: str = "rnn", hidden_size: int = 48, dims: int = 64,
                 depth: int = 2, hidden_dims: int = 120, use_guide: bool = False, num_heads: int = 8,
                 qkv_bias: bool = True, mlp_ratio: float = 2.0, drop_rate: float = 0.1, attn_drop_rate: float = 0.1,
                 drop_path: float = 0.0, kernel_size: list[int] = (3, 3), qk_scale: float | None = None):
        super().__init__()
        if encoder_type not in _ENCODERS:
            raise ValueError(f"encoder_type must be one of {list(_ENCODERS)}, got {encoder_type!r}; "
                             f"{nearest(str(encoder_type), _ENCODERS)}")
        if not isinstance(hidden_size, int) or hidden_size < 1:
            raise ValueError(f"hidden_size must be a positive int, got {hidden_size!r}")
        self.encoder_type = encoder_type
        self.encoder_reshape = Im2Seq(in_channels)
        enc_cls = _ENCODERS[encoder_type]
        if encoder_type == "svtr":
            self.encoder = EncoderWithSVTR(in_channels, dims=dims, depth=depth, hidden_dims=hidden_dims,
                                           use_guide=use_guide, num_heads=num_heads, qkv_bias=qkv_bias,
                                           mlp_ratio=mlp_ratio, drop_rate=drop_rate, attn_drop_rate=attn_drop_rate,
                                           drop_path=drop_path, kernel_size=kernel_size, qk_scale=qk_scale)
        else:
            self.encoder = enc_cls(in_channels, hidden_size) if enc_cls is not None else None
        self.out_channels = in_channels if self.encoder is None else self.encoder.out_channels

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.encoder_type == "svtr":  # SVTR mixes the 2-D map; the columns become time steps after it
            return self.encoder_reshape(self.encoder(x))
        x = self.encoder_reshape(x)
        if self.encoder is not None:
            x = self.encoder(x)
        return x
