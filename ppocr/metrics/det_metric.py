"""Text detection metric: precision, recall and h-mean under the ICDAR 2015 IoU protocol."""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
import paddle
from shapely.errors import GEOSException
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from ppocr.registry import METRICS

logger = logging.getLogger(__name__)


def _to_numpy(x: Any) -> Any:
    if isinstance(x, paddle.Tensor):
        return x.numpy()
    return x


def to_polygon(points: Any) -> BaseGeometry | None:
    """A shapely polygon from [K, 2] points, repaired with ``buffer(0)`` if self-intersecting.

    Args:
        points: [K, 2] x, y (any array-like).

    Returns:
        The polygon (possibly a MultiPolygon after repair), or None when it has no area
        (fewer than 3 points, non-finite values, all points collinear, zero padding).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3 or not np.isfinite(pts).all():
        return None
    try:
        poly = Polygon(pts)
        if not poly.is_valid:
            poly = poly.buffer(0)
    except (GEOSException, ValueError):
        return None
    if poly.is_empty or poly.area <= 0:
        return None
    return poly


def _intersection_area(a: BaseGeometry, b: BaseGeometry) -> float:
    try:
        return float(a.intersection(b).area)
    except GEOSException:
        return 0.0


@METRICS.register()
class DetMetric:
    """Accumulates detection quality over batches (ICDAR 2015 rules, as PaddleOCR's DetMetric).

    Per image:

    1. Ground-truth polygons tagged ignore ("do not care", e.g. ``###`` text) are not counted.
    2. A prediction whose intersection with a do-not-care polygon covers more than
       ``area_precision_constraint`` of its own area is dropped (neither hit nor miss).
    3. The remaining predictions and cared-for ground truths are matched one-to-one, greedily in
       order (ground truth outer, prediction inner, as the ICDAR script does), when their IoU is
       at least ``iou_constraint``.

    Over all images: ``precision = matched / predictions``, ``recall = matched / ground truths``
    (each 0.0 when its denominator is 0) and ``hmean = 2PR / (P + R)`` (0.0 when both are 0).

    Polygons are compared with shapely; a self-intersecting polygon is repaired with
    ``buffer(0)``, and one without area (collinear points, zero padding) is ignored.

    Args:
        main_indicator: the key the best-checkpoint logic compares: ``'hmean'``, ``'precision'``
            or ``'recall'``.
        iou_constraint: minimum IoU of a match.
        area_precision_constraint: share of a prediction's area inside a do-not-care polygon
            above which the prediction is dropped.

    Example:
        >>> m = DetMetric()
        >>> box = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=np.float32)
        >>> m([{"points": box[None]}], {"polys": box[None, None], "ignore_tags": np.array([[False]])})
        {'precision': 1.0, 'recall': 1.0, 'hmean': 1.0}
    """

    MAIN_INDICATORS = ("hmean", "precision", "recall")

    def __init__(self, main_indicator: str = "hmean", iou_constraint: float = 0.5,
                 area_precision_constraint: float = 0.5):
        if main_indicator not in self.MAIN_INDICATORS:
            raise ValueError(f"main_indicator must be one of {', '.join(self.MAIN_INDICATORS)}, "
                             f"got {main_indicator!r}")
        for arg, value in (("iou_constraint", iou_constraint),
                           ("area_precision_constraint", area_precision_constraint)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"{arg} must be a number in [0, 1], got {value!r}")
        self.main_indicator = main_indicator
        self.iou_constraint = float(iou_constraint)
        self.area_precision_constraint = float(area_precision_constraint)
        self.reset()

    def reset(self) -> None:
        """Clear the running totals."""
        self.matched = 0
        self.num_gt = 0
        self.num_det = 0

    @staticmethod
    def _summary(matched: int, num_gt: int, num_det: int) -> dict[str, float]:
        precision = matched / num_det if num_det else 0.0
        recall = matched / num_gt if num_gt else 0.0
        hmean = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "hmean": hmean}

    def evaluate_image(self, gt_polys: Sequence, ignore_tags: Sequence[bool],
                       pred_polys: Sequence) -> tuple[int, int, int]:
        """Counts for one image.

        Args:
            gt_polys: ground-truth polygons, each [K, 2].
            ignore_tags: one bool per ground truth (True: do not care).
            pred_polys: predicted polygons, each [K, 2].

        Returns:
            ``(matched, cared-for ground truths, counted predictions)``.
        """
        cares, dont_cares = [], []
        for points, ignore in zip(gt_polys, ignore_tags):
            poly = to_polygon(points)
            if poly is not None:
                (dont_cares if bool(ignore) else cares).append(poly)
        preds = []
        for points in pred_polys:
            poly = to_polygon(points)
            if poly is None:
                continue
            if any(_intersection_area(poly, dc) / poly.area > self.area_precision_constraint for dc in dont_cares):
                continue
            preds.append(poly)
        pred_taken = [False] * len(preds)
        matched = 0
        for gt in cares:
            for j, pred in enumerate(preds):
                if pred_taken[j]:
                    continue
                inter = _intersection_area(gt, pred)
                union = gt.area + pred.area - inter
                if union > 0 and inter / union >= self.iou_constraint:
                    pred_taken[j] = True
                    matched += 1
                    break
        return matched, len(cares), len(preds)

    def __call__(self, preds: Sequence[dict], batch: dict) -> dict[str, float]:
        """Score one batch and add it to the running totals.

        Args:
            preds: per image ``{'points': [N, K, 2] array or list of [K, 2]}`` (what
                ``DBPostProcess`` returns).
            batch: holds ``polys`` ([B, N, K, 2], or a per-image list of [N_i, K, 2]) and
                ``ignore_tags`` ([B, N] bool), as paddle tensors, numpy arrays or lists.

        Returns:
            ``{'precision', 'recall', 'hmean'}`` for this batch alone.

        Raises:
            ValueError: missing keys or mismatched lengths.
        """
        if not isinstance(batch, dict) or "polys" not in batch or "ignore_tags" not in batch:
            got = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
            raise ValueError(f"DetMetric needs batch['polys'] and batch['ignore_tags'] (keep them with KeepKeys "
                             f"in the Eval transforms); got {got}")
        polys, tags = _to_numpy(batch["polys"]), _to_numpy(batch["ignore_tags"])
        if not isinstance(preds, (list, tuple)) or len(preds) != len(polys) or len(tags) != len(polys):
            n_pred = len(preds) if isinstance(preds, (list, tuple)) else type(preds).__name__
            raise ValueError(f"DetMetric got {n_pred} predictions, {len(polys)} polys and {len(tags)} ignore_tags "
                             "entries; expected one of each per image (preds as DBPostProcess returns them)")
        totals = [0, 0, 0]
        for pred, gt_polys, ignore in zip(preds, polys, tags):
            if not isinstance(pred, dict) or "points" not in pred:
                raise ValueError(f"DetMetric expects per-image dicts with 'points', got {type(pred).__name__}")
            gt_polys, ignore = _to_numpy(gt_polys), np.asarray(_to_numpy(ignore)).reshape(-1)
            if len(gt_polys) != len(ignore):
                raise ValueError(f"DetMetric: {len(gt_polys)} ground-truth polygons but {len(ignore)} ignore_tags")
            counts = self.evaluate_image(gt_polys, ignore, _to_numpy(pred["points"]))
            totals = [t + c for t, c in zip(totals, counts)]
        self.matched += totals[0]
        self.num_gt += totals[1]
        self.num_det += totals[2]
        return self._summary(*totals)

    def get_metric(self) -> dict[str, float]:
        """Return ``{'precision', 'recall', 'hmean'}`` over everything since the last reset, then reset."""
        result = self._summary(self.matched, self.num_gt, self.num_det)
        self.reset()
        return result
