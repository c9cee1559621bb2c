"""Losses; importing this package registers them in ``LOSSES``."""
from __future__ import annotations

from ppocr.losses import rec_ctc_loss  # noqa: F401  (registration)
from ppocr.losses import rec_att_loss, rec_multi_loss  # noqa: F401  (registration)
from ppocr.losses import det_db_loss  # noqa: F401  (registration)
from ppocr.losses import cls_loss  # noqa: F401  (registration)
from ppocr.losses import kie_vqa_loss  # noqa: F401  (registration)
from ppocr.losses import combined_loss, kie_distillation_loss  # noqa: F401  (registration)
from ppocr.losses import distillation_loss, det_distillation_loss, rec_distillation_loss  # noqa: F401  (registration)
from ppocr.registry import LOSSES, build


def build_loss(cfg: dict, global_cfg: dict | None = None):
    """Build the loss the ``Loss`` config section names.

    Args:
        cfg: the section, e.g. ``{"name": "CTCLoss"}``.
        global_cfg: the ``Global`` section (a few keys reach losses that declare them).

    Returns:
        A callable ``loss(preds, batch) -> {"loss": scalar, ...}``.

    Raises:
        ConfigError: unknown name or option.
    """
    return build(cfg, LOSSES, where="Loss", global_cfg=global_cfg)


__all__ = ["build_loss"]
