"""Detection distillation losses (PP-OCRv3/v4 CML): DB on each student, and students taught by a teacher's maps.

Example (``configs/det/PP-OCRv4/PP-OCRv4_det_cml.yml``)::

    Loss:
      name: CombinedLoss
      loss_config_list:
      - DistillationDilaDBLoss: {weight: 1.0, model_name_pairs: [[Student, Teacher], [Student2, Teacher]],
                                 key: maps, balance_loss: true, main_loss_type: DiceLoss, alpha: 5, beta: 10,
                                 ohem_ratio: 3}
      - DistillationDMLLoss: {model_name_pairs: [Student, Student2], maps_name: thrink_maps, weight: 1.0, key: maps}
      - DistillationDBLoss: {weight: 1.0, model_name_list: [Student, Student2], balance_loss: true,
                             main_loss_type: DiceLoss, alpha: 5, beta: 10, ohem_ratio: 3}
"""
from __future__ import annotations

import cv2
import numpy as np
import paddle

from ppocr.losses.det_db_loss import DBLoss
from ppocr.losses.distillation_common import model_names, model_pairs, pick
from ppocr.registry import LOSSES
from ppocr.utils.errors import DataError

#: the teacher's shrink probability above which a pixel is text for the students (PaddleOCR's 0.3)
TEACHER_THRESH = 0.3


@LOSSES.register()
class DistillationDBLoss(DBLoss):
    """``DBLoss`` of every model in ``model_name_list`` against the labels.

    Logged terms: ``<name>_<model>_loss_shrink_maps``, ``..._loss_threshold_maps``, ``..._loss_binary_maps``;
    ``loss`` is their sum.

    Args:
        model_name_list: the models (their output's ``maps``).
        balance_loss, main_loss_type, alpha, beta, ohem_ratio, eps: see ``DBLoss``. (PaddleOCR's class
            ignores them and uses DBLoss's defaults, which are the values its configs give.)
        name: prefix of the logged terms.
    """

    def __init__(self, model_name_list: list[str] = ("Student",), balance_loss: bool = True,
                 main_loss_type: str = "DiceLoss", alpha: float = 5, beta: float = 10, ohem_ratio: float = 3,
                 eps: float = 1e-6, name: str = "db"):
        super().__init__(balance_loss=balance_loss, main_loss_type=main_loss_type, alpha=alpha, beta=beta,
                         ohem_ratio=ohem_ratio, eps=eps)
        self.model_name_list = model_names(model_name_list)
        self.name = name

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out: dict[str, paddle.Tensor] = {}
        for m in self.model_name_list:
            part = super().forward(pick(preds, m), batch)
            out.update({f"{self.name}_{m}_{k}": v for k, v in part.items() if k != "loss"})
        out["loss"] = paddle.add_n(list(out.values()))
        return out


@LOSSES.register()
class DistillationDilaDBLoss(DBLoss):
    """A student learns the teacher's text regions: the teacher's shrink map thresholded at 0.3 and dilated
    by a 2x2 kernel is the target of the student's shrink map (``alpha`` x the balanced shrink loss) and
    binary map (Dice), both within ``shrink_mask``.

    Logged terms: ``<name>_<student>_<teacher>`` per pair; ``loss`` is their sum.

    Args:
        model_name_pairs: ``[[student, teacher], ...]``.
        key: the maps entry of each output (``maps``).
        balance_loss, main_loss_type, alpha, beta, ohem_ratio, eps: see ``DBLoss`` (as PaddleOCR, only the
            shrink-map loss, its ``alpha`` and the Dice loss are used).
        name: prefix of the logged terms.
    """

    def __init__(self, model_name_pairs: list = (("Student", "Teacher"),), key: str | None = "maps",
                 balance_loss: bool = True, main_loss_type: str = "DiceLoss", alpha: float = 5, beta: float = 10,
                 ohem_ratio: float = 3, eps: float = 1e-6, name: str = "dila_dbloss"):
        super().__init__(balance_loss=balance_loss, main_loss_type=main_loss_type, alpha=alpha, beta=beta,
                         ohem_ratio=ohem_ratio, eps=eps)
        self.model_name_pairs = model_pairs(model_name_pairs)
        self.key, self.name = key, name

    @staticmethod
    def teacher_regions(shrink: paddle.Tensor) -> paddle.Tensor:
        """``[B, H, W]`` teacher probabilities -> float32 0/1 map: ``> 0.3``, dilated by a 2x2 kernel."""
        binary = (shrink.detach().numpy() > TEACHER_THRESH).astype(np.uint8)
        kernel = np.ones([2, 2], dtype=np.uint8)
        return paddle.to_tensor(np.stack([cv2.dilate(b, kernel) for b in binary]).astype(np.float32))

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        if "shrink_mask" not in batch:
            raise DataError(f"DistillationDilaDBLoss needs batch['shrink_mask'] (MakeShrinkMap, kept by KeepKeys), "
                            f"got keys {sorted(batch)}")
        mask = batch["shrink_mask"].astype("float32")
        out: dict[str, paddle.Tensor] = {}
        for student, teacher in self.model_name_pairs:
            s, t = pick(preds, student, self.key), pick(preds, teacher, self.key)
            target = self.teacher_regions(t[:, 0])
            shrink = self.alpha * self.bce_loss(s[:, 0], target, mask)
            out[f"{self.name}_{student}_{teacher}"] = shrink + self.dice_loss(s[:, 2], target, mask)
        out["loss"] = paddle.add_n(list(out.values()))
        return out
