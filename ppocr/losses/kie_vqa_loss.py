"""Losses for LayoutXLM key information extraction (SER token classification, RE from the model output)."""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.registry import LOSSES
from ppocr.utils.errors import ConfigError, DataError

IGNORE_INDEX = -100
REDUCTIONS = ("none", "mean", "sum")


@LOSSES.register()
class VQASerTokenLayoutLMLoss(nn.Layer):
    """Token cross-entropy over the real tokens of a form (attention mask 1, label not -100).

    Example:
        >>> loss_fn = VQASerTokenLayoutLMLoss(num_classes=7, key="backbone_out")
        >>> loss_fn(model(batch), batch)["loss"]

    Args:
        num_classes: number of BIO tags (the model's ``num_classes``); checked against the
            logits when given, taken from them when null.
        key: take the logits from ``preds[key]`` when the model returns a dict (training mode
            returns ``{'backbone_out': logits, ...}``).

    Shape:
        preds ``[B, T, num_classes]``; batch['labels'] ``[B, T]`` or ``[B, W, L]`` with
        ``W * L = T``; batch['attention_mask'] the same (optional). Output ``loss``: scalar
        (0 when a batch has no labelled token).
    """

    def __init__(self, num_classes: int | None = None, key: str | None = None):
        super().__init__()
        if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ConfigError(f"Loss.num_classes must be a positive integer, got {num_classes!r}")
        self.num_classes = num_classes
        self.key = key

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        if isinstance(preds, dict):
            if self.key is None or self.key not in preds:
                raise ConfigError(f"Loss.key must name the logits in the model output {sorted(preds)}, got {self.key!r}")
            preds = preds[self.key]
        elif isinstance(preds, (list, tuple)):
            preds = preds[0]
        if "labels" not in batch:
            raise DataError(f"VQASerTokenLayoutLMLoss needs batch['labels']; keep 'labels' in KeepKeys (got "
                            f"{sorted(batch)})")
        if self.num_classes is not None and preds.shape[-1] != self.num_classes:
            raise ConfigError(f"the model outputs {preds.shape[-1]} classes but Loss.num_classes is {self.num_classes}; "
                              "both must be 2 * (classes in class_path) - 1")
        logits = preds.reshape([-1, preds.shape[-1]])
        labels = batch["labels"].reshape([-1]).astype("int64")
        active = labels != IGNORE_INDEX
        if batch.get("attention_mask") is not None:
            active = active & (batch["attention_mask"].reshape([-1]) == 1)
        if not bool(active.any()):
            return {"loss": logits.sum() * 0.0}
        return {"loss": F.cross_entropy(logits[active], labels[active])}


@LOSSES.register()
class LossFromOutput(nn.Layer):
    """Use a loss the model computed itself (``preds[key]``), optionally reduced.

    Args:
        key: the output entry holding the loss (``'loss'`` for ``LayoutXLMForRe``).
        reduction: ``'none'`` (as is), ``'mean'`` or ``'sum'``.
    """

    def __init__(self, key: str = "loss", reduction: str = "none"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ConfigError(f"Loss.reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.key = key
        self.reduction = reduction

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        loss = preds
        if isinstance(preds, dict):
            if self.key not in preds:
                raise DataError(f"LossFromOutput: the model output has no {self.key!r} (keys {sorted(preds)}); in "
                                "training the RE model needs batch['relations'] to compute its loss")
            loss = preds[self.key]
        if self.reduction == "mean":
            loss = paddle.mean(loss)
        elif self.reduction == "sum":
            loss = paddle.sum(loss)
        return {"loss": loss}
