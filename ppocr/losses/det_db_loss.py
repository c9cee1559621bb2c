"""DB (differentiable binarization) detection loss."""
from __future__ import annotations

import logging

import paddle
import paddle.nn as nn

from ppocr.losses.det_basic_loss import BalanceLoss, DiceLoss, MaskL1Loss
from ppocr.registry import LOSSES
from ppocr.utils.errors import DataError

logger = logging.getLogger(__name__)

TARGET_KEYS = ("shrink_map", "shrink_mask", "threshold_map", "threshold_mask")


@LOSSES.register()
class DBLoss(nn.Layer):
    """``alpha * L_shrink + beta * L_threshold + L_binary`` over the three maps of ``DBHead``.

    * ``L_shrink``: ``BalanceLoss(main_loss_type)`` (OHEM with ``ohem_ratio`` negatives per
      positive when ``main_loss_type`` is ``BCELoss``) of the shrink probability vs
      ``shrink_map`` within ``shrink_mask``.
    * ``L_threshold``: masked L1 of the threshold map vs ``threshold_map`` within
      ``threshold_mask``.
    * ``L_binary``: Dice of the approximate binary map vs ``shrink_map`` within ``shrink_mask``.

    Example:
        >>> loss_fn = DBLoss()
        >>> out = loss_fn(model(batch), batch)   # model in training mode: {"maps": [B, 3, H, W]}
        >>> out["loss"].backward()

    Args:
        balance_loss: hard negative mining for the shrink-map loss (see ``BalanceLoss``).
        main_loss_type: shrink-map loss, ``'DiceLoss'``, ``'BCELoss'`` or ``'MaskL1Loss'``.
        alpha: weight of the shrink-map loss.
        beta: weight of the threshold-map loss.
        ohem_ratio: negatives kept per positive by the mining.
        eps: numerical guard of the ratios.

    Shape:
        preds: ``{"maps": [B, 3, H, W]}`` (or that tensor); batch keys ``shrink_map``,
        ``shrink_mask``, ``threshold_map``, ``threshold_mask``: [B, H, W] float32 (from the
        ``MakeShrinkMap`` and ``MakeBorderMap`` transforms). Output: ``loss``,
        ``loss_shrink_maps`` (already times alpha), ``loss_threshold_maps`` (times beta),
        ``loss_binary_maps``, all scalars.

    Raises:
        ValueError: unknown ``main_loss_type`` or bad numbers (reported as ConfigError by the builder).
    """

    def __init__(self, balance_loss: bool = True, main_loss_type: str = "DiceLoss", alpha: float = 5,
                 beta: float = 10, ohem_ratio: float = 3, eps: float = 1e-6):
        super().__init__()
        for arg, value in (("alpha", alpha), ("beta", beta), ("eps", eps)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{arg} must be a number >= 0, got {value!r}")
        self.alpha = alpha
        self.beta = beta
        self.dice_loss = DiceLoss(eps=eps)
        self.l1_loss = MaskL1Loss(eps=eps)
        self.bce_loss = BalanceLoss(balance_loss=balance_loss, main_loss_type=main_loss_type,
                                    negative_ratio=ohem_ratio, eps=eps)

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        maps = preds["maps"] if isinstance(preds, dict) else preds
        if not isinstance(maps, paddle.Tensor) or maps.ndim != 4 or maps.shape[1] != 3:
            got = list(maps.shape) if isinstance(maps, paddle.Tensor) else type(maps).__name__
            raise DataError(f"DBLoss expects the training-mode DBHead output {{'maps': [B, 3, H, W]}}, got {got}; "
                            "an eval-mode model returns only the shrink map")
        missing = [k for k in TARGET_KEYS if k not in batch]
        if missing:
            raise DataError(f"DBLoss needs batch keys {list(TARGET_KEYS)} (from MakeShrinkMap and MakeBorderMap, "
                            f"kept by KeepKeys); missing {missing}, got keys {sorted(batch)}")
        targets = {k: (v if isinstance(v, paddle.Tensor) else paddle.to_tensor(v)).astype("float32")
                   for k, v in ((k, batch[k]) for k in TARGET_KEYS)}
        for k, v in targets.items():
            if list(v.shape) != [maps.shape[0], maps.shape[2], maps.shape[3]]:
                raise DataError(f"DBLoss: batch[{k!r}] has shape {list(v.shape)} but the predicted maps are "
                                f"{[maps.shape[0], maps.shape[2], maps.shape[3]]} ([B, H, W]); the training image "
                                "sides must be multiples of 32 (e.g. EastRandomCropData size [640, 640]) so the "
                                "model output matches the label maps")
        maps = maps.astype("float32")  # AMP may hand over float16 maps; the targets are float32
        shrink, threshold, binary = maps[:, 0], maps[:, 1], maps[:, 2]
        loss_shrink = self.alpha * self.bce_loss(shrink, targets["shrink_map"], targets["shrink_mask"])
        loss_threshold = self.beta * self.l1_loss(threshold, targets["threshold_map"], targets["threshold_mask"])
        loss_binary = self.dice_loss(binary, targets["shrink_map"], targets["shrink_mask"])
        return {"loss": loss_shrink + loss_threshold + loss_binary, "loss_shrink_maps": loss_shrink,
                "loss_threshold_maps": loss_threshold, "loss_binary_maps": loss_binary}
