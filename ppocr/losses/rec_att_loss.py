"""Cross-entropy losses of the attention heads that guide PP-OCRv3/v4/v5 training: SAR and NRTR."""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.registry import LOSSES
from ppocr.utils.errors import DataError


def _label(batch: dict, who: str) -> paddle.Tensor:
    if "label" not in batch:
        raise DataError(f"{who} needs batch['label'] (its label encoder's output), got keys {sorted(batch)}")
    return batch["label"].astype("int64")


@LOSSES.register()
class SARLoss(nn.Layer):
    """Mean cross-entropy of SAR's next-character predictions; padding positions are ignored.

    The head's step ``t`` predicts label position ``t + 1`` (the label starts with the start token),
    so the last prediction and the first label position are dropped, as in PaddleOCR.

    Args:
        ignore_index: the padding class to ignore; None takes the number of predicted classes, which
            is ``SARLabelEncode``'s padding index (what PaddleOCR's trainer sets, dictionary + 2).

    Shape:
        preds [B, L, C]; batch['label'] [B, L] -> ``{"loss": scalar}``.
    """

    def __init__(self, ignore_index: int | None = None):
        super().__init__()
        if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, int)):
            raise TypeError(f"ignore_index must be an integer or null, got {ignore_index!r}")
        self.ignore_index = ignore_index

    def forward(self, preds: paddle.Tensor, batch: dict) -> dict[str, paddle.Tensor]:
        label = _label(batch, "SARLoss")[:, 1:]
        pred = preds[:, :-1, :]
        if label.shape[1] != pred.shape[1]:
            raise DataError(f"SARLoss: predictions for {pred.shape[1]} steps but labels of {label.shape[1]}")
        classes = pred.shape[2]
        ignore = classes if self.ignore_index is None else self.ignore_index
        loss = F.cross_entropy(pred.reshape([-1, classes]), label.reshape([-1]), ignore_index=ignore,
                               reduction="mean")
        return {"loss": loss}


@LOSSES.register()
class NRTRLoss(nn.Layer):
    """Cross-entropy of NRTR's next-token predictions over the non-padding tokens (id 0 is padding).

    The targets are the label after its start token, ``1 + max(length)`` of them (characters, end
    token, padding), the positions ``NRTRHead`` predicts.

    Args:
        smoothing: label smoothing with eps 0.1 (PaddleOCR's default), mean over non-padding tokens.
        ignore_index: the class ignored without smoothing.

    Shape:
        preds [B, T, C]; batch['label'] [B, L]; batch['length'] [B] -> ``{"loss": scalar}``.
    """

    def __init__(self, smoothing: bool = True, ignore_index: int = 0):
        super().__init__()
        if not isinstance(smoothing, bool):
            raise TypeError(f"smoothing must be true or false, got {smoothing!r}")
        self.smoothing = smoothing
        self.ignore_index = ignore_index

    def forward(self, preds: paddle.Tensor, batch: dict) -> dict[str, paddle.Tensor]:
        if "length" not in batch:
            raise DataError(f"NRTRLoss needs batch['length'], got keys {sorted(batch)}")
        max_len = int(batch["length"].max())
        tgt = _label(batch, "NRTRLoss")[:, 1:2 + max_len].reshape([-1])
        classes = preds.shape[2]
        pred = preds.reshape([-1, classes])
        if pred.shape[0] != tgt.shape[0]:
            raise DataError(f"NRTRLoss: {pred.shape[0]} predicted tokens but {tgt.shape[0]} targets")
        if not self.smoothing:
            return {"loss": F.cross_entropy(pred, tgt, ignore_index=self.ignore_index, reduction="mean")}
        eps = 0.1
        one_hot = F.one_hot(tgt, classes)
        soft = one_hot * (1 - eps) + (1 - one_hot) * eps / (classes - 1)
        per_token = -(soft * F.log_softmax(pred, axis=1)).sum(axis=1)
        keep = tgt != 0
        return {"loss": per_token.masked_select(keep).mean()}
