"""DB post-processing: text boxes from a shrink-probability map.

Threshold the map, take each connected region's contour, score it by the mean probability
inside, grow it back by the DB offset ``area * unclip_ratio / perimeter`` (the shrink applied to
the labels, undone) and map it to source-image pixels.

Example:
    >>> post = DBPostProcess(thresh=0.3, box_thresh=0.6, unclip_ratio=1.5)
    >>> model.eval()
    >>> result = post(model(batch), batch["shape_list"])
    >>> result[0]["points"].shape          # boxes of the first image, corners clockwise from top-left
    (N, 4, 2)
"""
from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np
import paddle
import pyclipper
from shapely.geometry import Polygon

from ppocr.registry import POSTPROCESS
from ppocr.utils.geometry import order_corners, order_polygon

logger = logging.getLogger(__name__)


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, paddle.Tensor):
        return x.numpy()
    return np.asarray(x)


def min_area_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The minimum-area rotated rectangle around ``points`` and its shorter side.

    Args:
        points: [K, 2] x, y (K >= 1).

    Returns:
        ``(corners [4, 2] ordered by ``order_corners``, shorter side length)``.
    """
    rect = cv2.minAreaRect(np.asarray(points, dtype=np.float32).reshape(-1, 1, 2))
    return order_corners(cv2.boxPoints(rect)), float(min(rect[1]))


def unclip(points: np.ndarray, unclip_ratio: float) -> list[np.ndarray]:
    """Grow a polygon outwards by ``area * unclip_ratio / perimeter`` (round joins), as PaddleOCR does.

    The offset distance comes from the exact polygon; the offset itself runs on pyclipper's integer grid,
    the vertices truncated to whole pixels (what pyclipper does with the float corners PaddleOCR hands it),
    with pyclipper's default round-join tolerance (0.25 px). So the grown outline has integer vertices,
    the same ones PaddleOCR's ``DBPostProcess.unclip`` returns (a corner that ``cv2.minAreaRect`` puts a
    float32 step below a whole pixel in one OpenCV release and on it in another moves by one pixel).

    Args:
        points: [K, 2] polygon (K >= 3).
        unclip_ratio: DB's expansion ratio.

    Returns:
        The grown polygons as [M, 2] float arrays (integer-valued); empty for a degenerate input (zero
        area or length, non-finite coordinates).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3 or not np.isfinite(pts).all():
        return []
    poly = Polygon(pts)
    if poly.length <= 0 or poly.area <= 0:
        return []
    distance = poly.area * unclip_ratio / poly.length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(np.trunc(pts).astype(np.int64).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return [np.asarray(p, dtype=np.float64) for p in offset.Execute(distance) if len(p) >= 3]


def mean_inside(prob: np.ndarray, polygon: np.ndarray) -> float:
    """Mean of ``prob`` over the pixels a polygon covers (PaddleOCR's ``box_score_fast``/``box_score_slow``).

    The polygon is rasterised with ``cv2.fillPoly`` in the window of its bounding box (floor/ceil of
    its extent, clipped to the map), its vertices shifted into that window and truncated to whole
    pixels, as PaddleOCR does; the mean is ``cv2.mean``'s (double precision).

    Args:
        prob: [H, W] map.
        polygon: [K, 2] x, y in map pixels; parts outside the map are ignored.

    Returns:
        The mean, or 0.0 when the polygon covers no pixel of the map.
    """
    h, w = prob.shape
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    x0 = int(np.clip(np.floor(pts[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(pts[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(pts[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(pts[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    cv2.fillPoly(mask, [(pts - [x0, y0]).astype(np.int32)], 1)
    if not mask.any():
        return 0.0
    return float(cv2.mean(np.ascontiguousarray(prob[y0:y1 + 1, x0:x1 + 1], dtype=np.float32), mask)[0])


def to_source_pixels(coords: np.ndarray, map_size: int, src_size: float, ratio: float) -> np.ndarray:
    """Map coordinates along one axis from map pixels to source pixels, rounded to whole pixels.

    When the map covers the whole resized image (``round(ratio * src_size) == map_size``, the usual case),
    this is PaddleOCR's ``round(x / map_size * src_size)`` in float32 (its arithmetic under numpy 1.x);
    for a padded map it is ``round(x / ratio)``. ``np.round`` rounds halves to even, as PaddleOCR's does.
    """
    x = np.asarray(coords, dtype=np.float32)
    if round(ratio * src_size) == map_size:
        return np.round(x / np.float32(map_size) * np.float32(src_size)).astype(np.float64)
    return np.round(x.astype(np.float64) / ratio)


@POSTPROCESS.register()
class DBPostProcess:
    """Turns DB shrink-probability maps into boxes (``'quad'``) or polygons (``'poly'``).

    Per connected region of ``prob > thresh`` (at most ``max_candidates``, with ``use_dilation``
    after a 2x2 dilation):

    * ``quad``: minimum-area rectangle of the contour; dropped if its short side is under 3 px or
      its score under ``box_thresh``; grown by ``unclip`` (it must stay one polygon); the rectangle
      around the grown shape must have a short side of at least 5 px.
    * ``poly``: the contour simplified by ``approxPolyDP`` (0.2% of its perimeter, at least 4
      points); scored, grown (it must stay one polygon) and size-checked the same way.

    Score (``score_mode``): ``'fast'`` is the mean probability inside the rectangle (``quad``)
    or the simplified polygon (``poly``, whatever the mode, as PaddleOCR scores polygons);
    ``'slow'`` inside the exact contour (``quad``).

    Coordinates go from map pixels to source pixels (:func:`to_source_pixels`: PaddleOCR's
    ``round(x / map_w * src_w)``, or ``round(x / ratio_w)`` for a padded map, with ``src_w`` and
    ``ratio_w`` from ``shape_list``), are clipped to ``[0, src_w - 1] x [0, src_h - 1]``, and put
    in the toolkit's vertex order (clockwise on screen from the top-left,
    :mod:`ppocr.utils.geometry`). So every vertex is a whole pixel, the numbers PaddleOCR's
    ``DBPostProcess`` and ``filter_tag_det_res`` give. NaNs in the map count as 0.

    Args:
        thresh: binarisation threshold of the probability map.
        box_thresh: minimum mean probability of a kept box.
        max_candidates: at most this many contours per image are examined.
        unclip_ratio: expansion ratio (DB trains with shrink ratio 0.4, whose inverse is about 1.5-2).
        use_dilation: dilate the binary map by a 2x2 kernel first (joins broken regions).
        score_mode: ``'fast'`` or ``'slow'``.
        box_type: ``'quad'`` or ``'poly'``.

    Attributes:
        eval_keys: ``('shape_list',)``: the evaluator passes ``batch['shape_list']``.
        infer_keys: ``('shape_list',)``: inference (``tools/infer_det.py``, the exported model's
            pre-processing) keeps ``shape_list`` from ``DetResizeForTest`` too.
        key_aliases: ``shape_list`` may be kept as ``shape`` (PaddleOCR's det configs:
            ``KeepKeys: [image, shape, polys, ignore_tags]``).

    Raises:
        ValueError: an argument out of range.
    """

    eval_keys = ("shape_list",)
    infer_keys = ("shape_list",)
    key_aliases = {"shape_list": ("shape",)}  # PaddleOCR's det configs keep DetResizeForTest's 'shape'
    MIN_SIZE = 3
    SCORE_MODES = ("fast", "slow")
    BOX_TYPES = ("quad", "poly")

    def __init__(self, thresh: float = 0.3, box_thresh: float = 0.7, max_candidates: int = 1000,
                 unclip_ratio: float = 2.0, use_dilation: bool = False, score_mode: str = "fast",
                 box_type: str = "quad"):
        for arg, value in (("thresh", thresh), ("box_thresh", box_thresh)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"{arg} must be a probability in [0, 1], got {value!r}")
        if isinstance(max_candidates, bool) or not isinstance(max_candidates, int) or max_candidates < 1:
            raise ValueError(f"max_candidates must be a positive int, got {max_candidates!r}")
        if isinstance(unclip_ratio, bool) or not isinstance(unclip_ratio, (int, float)) or unclip_ratio <= 0:
            raise ValueError(f"unclip_ratio must be a positive number (typically 1.5-2.0), got {unclip_ratio!r}")
        if not isinstance(use_dilation, bool):
            raise ValueError(f"use_dilation must be true or false, got {use_dilation!r}")
        if score_mode not in self.SCORE_MODES:
            raise ValueError(f"score_mode must be 'fast' or 'slow', got {score_mode!r}")
        if box_type not in self.BOX_TYPES:
            raise ValueError(f"box_type must be 'quad' or 'poly', got {box_type!r}")
        self.thresh = float(thresh)
        self.box_thresh = float(box_thresh)
        self.max_candidates = max_candidates
        self.unclip_ratio = float(unclip_ratio)
        self.use_dilation = use_dilation
        self.score_mode = score_mode
        self.box_type = box_type

    def __repr__(self) -> str:
        return (f"DBPostProcess(thresh={self.thresh}, box_thresh={self.box_thresh}, max_candidates="
                f"{self.max_candidates}, unclip_ratio={self.unclip_ratio}, use_dilation={self.use_dilation}, "
                f"score_mode={self.score_mode!r}, box_type={self.box_type!r})")

    def __call__(self, preds: Any, shape_list: Any = None) -> list[dict[str, Any]]:
        """Boxes of a batch.

        Args:
            preds: the model output ``{'maps': [B, C, H, W]}`` (channel 0 is the shrink
                probability; C is 1 in eval mode, 3 in training mode), or that array/tensor
                itself (an exported model's output; a one-item list of it is accepted too).
            shape_list: [B, 4] rows ``[src_h, src_w, ratio_h, ratio_w]`` (tensor, array or
                list); ``None`` keeps map coordinates.

        Returns:
            Per image ``{'points': ..., 'scores': float32 [N]}``; ``points`` is a float32
            ``[N, 4, 2]`` array for ``quad`` (``[0, 4, 2]`` when nothing is found) or a list of
            float32 ``[K, 2]`` arrays for ``poly``, in source-image pixels.

        Raises:
            ValueError: ``preds`` or ``shape_list`` of the wrong kind or shape.
        """
        probs = self._prob_maps(preds)
        shapes = self._shapes(shape_list, probs)
        results = []
        for prob, (src_h, src_w, ratio_h, ratio_w) in zip(probs, shapes):
            bitmap = (prob > self.thresh).astype(np.uint8)
            if self.use_dilation:
                bitmap = cv2.dilate(bitmap, np.ones((2, 2), dtype=np.uint8))
            find = self._polygons if self.box_type == "poly" else self._quads
            boxes, scores = find(prob, bitmap)
            scaled = []
            for box in boxes:
                box = box.astype(np.float64)
                box[:, 0] = np.clip(to_source_pixels(box[:, 0], prob.shape[1], src_w, ratio_w), 0, src_w - 1)
                box[:, 1] = np.clip(to_source_pixels(box[:, 1], prob.shape[0], src_h, ratio_h), 0, src_h - 1)
                # ordered last: scaling by ratio_w != ratio_h and clipping can move the top-left corner
                scaled.append(order_corners(box) if self.box_type == "quad" else order_polygon(box))
            if self.box_type == "quad":
                points: Any = np.stack(scaled) if scaled else np.zeros((0, 4, 2), dtype=np.float32)
            else:
                points = scaled
            results.append({"points": points, "scores": np.asarray(scores, dtype=np.float32)})
        return results

    @staticmethod
    def _prob_maps(preds: Any) -> np.ndarray:
        if isinstance(preds, dict):
            if "maps" not in preds:
                raise ValueError(f"DBPostProcess expects the DB head output under 'maps', got keys {sorted(preds)}")
            preds = preds["maps"]
        elif isinstance(preds, (list, tuple)) and len(preds) == 1:
            preds = preds[0]
        if not isinstance(preds, (paddle.Tensor, np.ndarray)):
            raise ValueError(f"DBPostProcess expects a paddle.Tensor or np.ndarray [B, 1, H, W], "
                             f"got {type(preds).__name__}")
        maps = _to_numpy(preds)
        if maps.ndim == 4:
            maps = maps[:, 0]
        elif maps.ndim != 3:
            raise ValueError(f"DBPostProcess expects maps of shape [B, C, H, W] or [B, H, W], "
                             f"got shape {list(maps.shape)}")
        return np.nan_to_num(maps.astype(np.float32, copy=False), nan=0.0, posinf=1.0, neginf=0.0)

    @staticmethod
    def _shapes(shape_list: Any, probs: np.ndarray) -> np.ndarray:
        n, h, w = probs.shape
        if shape_list is None:
            return np.tile(np.array([[h, w, 1.0, 1.0]]), (n, 1))
        shapes = _to_numpy(shape_list).astype(np.float64)
        if shapes.ndim == 1 and shapes.size == 4:
            shapes = shapes[None]
        if shapes.ndim != 2 or shapes.shape[1] != 4 or shapes.shape[0] != n:
            raise ValueError(f"shape_list must be [B, 4] rows [src_h, src_w, ratio_h, ratio_w] for the {n} "
                             f"map(s), got shape {list(shapes.shape)}")
        out = shapes.copy()
        for row in out:
            if not (np.isfinite(row[:2]).all() and row[0] > 0 and row[1] > 0):
                logger.warning("shape_list row %s has no usable source size; boxes stay in map pixels", row)
                row[:] = [h, w, 1.0, 1.0]
            for i, size, src in ((2, h, row[0]), (3, w, row[1])):
                if not (np.isfinite(row[i]) and row[i] > 0):
                    row[i] = size / src  # no usable ratio: the map covers the whole source image
        return out

    def _contours(self, bitmap: np.ndarray) -> list[np.ndarray]:
        found = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        contours = found[-2]  # OpenCV 3 returns (image, contours, hierarchy)
        return list(contours[:self.max_candidates])

    def _score(self, prob: np.ndarray, fast_polygon: np.ndarray, contour: np.ndarray) -> float:
        return mean_inside(prob, fast_polygon if self.score_mode == "fast" else contour.reshape(-1, 2))

    def _quads(self, prob: np.ndarray, bitmap: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        boxes, scores = [], []
        for contour in self._contours(bitmap):
            box, short_side = min_area_box(contour)
            if short_side < self.MIN_SIZE:
                continue
            score = self._score(prob, box, contour)
            if score < self.box_thresh:
                continue
            grown = unclip(box, self.unclip_ratio)
            if len(grown) != 1:
                continue
            box, short_side = min_area_box(grown[0])
            if short_side < self.MIN_SIZE + 2:
                continue
            boxes.append(box)
            scores.append(score)
        return boxes, scores

    def _polygons(self, prob: np.ndarray, bitmap: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        boxes, scores = [], []
        for contour in self._contours(bitmap):
            approx = cv2.approxPolyDP(contour, 0.002 * cv2.arcLength(contour, True), True).reshape(-1, 2)
            if len(approx) < 4:
                continue
            score = mean_inside(prob, approx)
            if score < self.box_thresh:
                continue
            grown = unclip(approx, self.unclip_ratio)
            if len(grown) != 1:
                continue
            _, short_side = min_area_box(grown[0])
            if short_side < self.MIN_SIZE + 2:
                continue
            boxes.append(grown[0])
            scores.append(score)
        return boxes, scores
