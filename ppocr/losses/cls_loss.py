"""Cross-entropy loss of the text-direction classifier (PaddleOCR's ``ClsLoss``)."""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.registry import LOSSES
from ppocr.utils.errors import DataError


@LOSSES.register()
class ClsLoss(nn.Layer):
    """Softmax cross-entropy between the head's logits and the class ids, mean over the batch.

    Example:
        >>> ClsLoss()(paddle.to_tensor([[2.0, -1.0]]), {"label": paddle.to_tensor([0])})["loss"]

    Shape:
        preds: [B, C] logits (``ClsHead`` in training mode); batch['label']: [B] (or [B, 1]) int class
        ids from ``ClsLabelEncode``. Output ``loss``: scalar.
    """

    def __init__(self):
        super().__init__()

    def forward(self, preds: paddle.Tensor, batch: dict) -> dict[str, paddle.Tensor]:
        if "label" not in batch:
            raise DataError(f"ClsLoss needs batch['label'] (the class id from ClsLabelEncode; keep 'label' in "
                            f"KeepKeys); got keys {sorted(batch)}")
        if len(preds.shape) != 2:
            raise DataError(f"ClsLoss expects logits [B, C] (ClsHead), got shape {list(preds.shape)}")
        label = batch["label"].astype("int64").reshape([-1])
        if label.shape[0] != preds.shape[0]:
            raise DataError(f"ClsLoss got {preds.shape[0]} predictions but {label.shape[0]} labels")
        return {"loss": F.cross_entropy(preds, label, reduction="mean")}
