"""Masked map losses for segmentation-style text detectors (DB and relatives).

These are building blocks with the signature ``loss(pred, gt, mask) -> scalar`` over maps of
one shape (usually [B, H, W]); they are not registered, since a config names the detector's
loss (``DBLoss``), which combines them. ``mask`` is 1 where a pixel counts and 0 where it is
ignored (do-not-care text, outside the threshold band, ...).

Example:
    >>> pred, gt, mask = paddle.rand([2, 8, 8]), paddle.zeros([2, 8, 8]), paddle.ones([2, 8, 8])
    >>> BalanceLoss(main_loss_type="BCELoss", negative_ratio=3)(pred, gt, mask)
"""
from __future__ import annotations

import logging

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

logger = logging.getLogger(__name__)


def _check_same_shape(name: str, **maps: paddle.Tensor) -> None:
    shapes = {k: list(v.shape) for k, v in maps.items()}
    if len({tuple(s) for s in shapes.values()}) != 1:
        raise ValueError(f"{name} needs maps of one shape, got " + ", ".join(f"{k} {s}" for k, s in shapes.items()))


class DiceLoss(nn.Layer):
    """``1 - 2 * sum(pred * gt * mask) / (sum(pred * mask) + sum(gt * mask) + eps)``.

    Args:
        eps: keeps the ratio finite when everything is masked out (the loss is then 1).

    Shape:
        pred, gt, mask: same shape -> scalar in [0, 1] (for pred and gt in [0, 1]).
    """

    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor,
                weights: paddle.Tensor | None = None) -> paddle.Tensor:
        _check_same_shape("DiceLoss", pred=pred, gt=gt, mask=mask)
        if weights is not None:
            mask = weights * mask
        intersection = paddle.sum(pred * gt * mask)
        union = paddle.sum(pred * mask) + paddle.sum(gt * mask) + self.eps
        return 1.0 - 2.0 * intersection / union


class MaskL1Loss(nn.Layer):
    """Mean absolute error over the masked pixels: ``sum(|pred - gt| * mask) / (sum(mask) + eps)``.

    Args:
        eps: keeps the ratio finite when the mask is empty (the loss is then 0).

    Shape:
        pred, gt, mask: same shape -> scalar.
    """

    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor) -> paddle.Tensor:
        _check_same_shape("MaskL1Loss", pred=pred, gt=gt, mask=mask)
        return paddle.sum(paddle.abs(pred - gt) * mask) / (paddle.sum(mask) + self.eps)


class BCELoss(nn.Layer):
    """Binary cross-entropy of probabilities (not logits), optionally unreduced.

    ``mask`` is accepted for a uniform signature but not applied here: ``BalanceLoss`` applies it
    when it picks the pixels.

    Args:
        reduction: ``'none'`` (per pixel), ``'mean'`` or ``'sum'``.

    Shape:
        pred, gt: same shape, values in [0, 1] -> same shape (``'none'``) or scalar.
    """

    REDUCTIONS = ("none", "mean", "sum")

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in self.REDUCTIONS:
            raise ValueError(f"BCELoss reduction must be one of {list(self.REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor | None = None) -> paddle.Tensor:
        _check_same_shape("BCELoss", pred=pred, gt=gt)
        return F.binary_cross_entropy(pred, gt, reduction=self.reduction)


class BalanceLoss(nn.Layer):
    """A main loss with online hard negative mining (OHEM), as DB trains its shrink map.

    Positives are masked pixels with ``gt = 1``, negatives masked pixels with ``gt = 0``. With a
    per-pixel main loss (``BCELoss``) the result averages the loss over all positives and the
    ``min(#negatives, negative_ratio * #positives)`` negatives with the highest loss. Dice and
    masked L1 already reduce to a scalar, so there is nothing to mine: their value is weighted
    by ``n / (n + eps)`` with ``n`` the number of pixels OHEM would keep, which is the value
    itself unless the crop has no positive pixel, where it is 0 (PaddleOCR's arithmetic).
    Either way an image without text contributes no shrink-map loss, as in DB.

    Args:
        balance_loss: apply the mining; ``False`` returns the main loss unchanged (for BCE, the
            mean over masked pixels).
        main_loss_type: ``'DiceLoss'``, ``'BCELoss'`` or ``'MaskL1Loss'``.
        negative_ratio: at most this many negatives per positive (DB uses 3).
        return_origin: also return the unbalanced main loss.
        eps: numerical guard of the averages.

    Shape:
        pred, gt, mask: same shape (e.g. [B, H, W]) -> scalar (or ``(scalar, main loss)``).

    Raises:
        ValueError: unknown ``main_loss_type`` or a negative ``negative_ratio``.
    """

    MAIN_LOSSES = ("DiceLoss", "BCELoss", "MaskL1Loss")

    def __init__(self, balance_loss: bool = True, main_loss_type: str = "DiceLoss", negative_ratio: float = 3,
                 return_origin: bool = False, eps: float = 1e-6):
        super().__init__()
        if main_loss_type not in self.MAIN_LOSSES:
            raise ValueError(f"main_loss_type must be one of {list(self.MAIN_LOSSES)}, got {main_loss_type!r}")
        if isinstance(negative_ratio, bool) or not isinstance(negative_ratio, (int, float)) or negative_ratio < 0:
            raise ValueError(f"negative_ratio (ohem_ratio) must be a number >= 0, got {negative_ratio!r}")
        self.balance_loss = bool(balance_loss)
        self.main_loss_type = main_loss_type
        self.negative_ratio = negative_ratio
        self.return_origin = return_origin
        self.eps = eps
        if main_loss_type == "DiceLoss":
            self.loss = DiceLoss(eps)
        elif main_loss_type == "BCELoss":
            self.loss = BCELoss(reduction="none")
        else:
            self.loss = MaskL1Loss(eps)

    def forward(self, pred: paddle.Tensor, gt: paddle.Tensor, mask: paddle.Tensor):
        _check_same_shape("BalanceLoss", pred=pred, gt=gt, mask=mask)
        loss = self.loss(pred, gt, mask)
        if not self.balance_loss:
            result = (loss * mask).sum() / (mask.sum() + self.eps) if loss.ndim > 0 else loss
        else:
            positive = gt * mask
            negative = (1.0 - gt) * mask
            n_pos = int(positive.sum())
            n_neg = int(min(float(negative.sum()), n_pos * self.negative_ratio))
            if loss.ndim == 0:
                n = n_pos + n_neg
                result = loss * (n / (n + self.eps))
            else:
                total = (positive * loss).sum()
                if n_neg > 0:
                    total = total + paddle.topk((negative * loss).reshape([-1]), k=n_neg)[0].sum()
                result = total / (n_pos + n_neg + self.eps)
        if self.return_origin:
            return result, loss
        return result
