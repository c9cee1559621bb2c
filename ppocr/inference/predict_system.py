"""End-to-end OCR on whole images: detect, sort, crop, recognise (PaddleOCR's ``TextSystem``).

For each image :class:`TextSystem`:

1. detects boxes with :class:`~ppocr.inference.predict_det.TextDetector`;
2. puts them in reading order with :func:`sorted_boxes` (lines top to bottom, boxes in a line left
   to right; see :func:`reading_order`);
3. cuts each box out with a perspective transform (:func:`get_rotate_crop_image`; polygons use
   their minimum-area rectangle) and turns crops at least 1.5 times as tall as wide by 90 degrees
   counter-clockwise (vertical text written top to bottom becomes a horizontal line);
4. with ``--use_angle_cls true``, classifies each crop's direction with
   :class:`~ppocr.inference.predict_cls.TextClassifier` and turns the upside-down ones by 180 degrees
   (``--cls_model_dir``, ``--cls_thresh``), as PaddleOCR's ``TextSystem`` does;
5. recognises all crops in width-sorted batches with
   :class:`~ppocr.inference.predict_rec.TextRecognizer`;
6. drops results scoring under ``--drop_score``.

:func:`predict_images` is the loop behind ``tools/infer/predict_system.py``: it writes
``<draw_img_save_dir>/system_results.txt`` with one line per image,
``image_name<TAB>[{"transcription": ..., "points": [[x, y], ...]}, ...]``, and the visualisation of
each image (:func:`ppocr.inference.visualize.draw_ocr_box_txt`) under the same name.

Example:
    >>> from ppocr.inference.predict_system import TextSystem
    >>> ocr = TextSystem({"det_model_dir": "inference/det", "rec_model_dir": "inference/rec", "use_gpu": False})
    >>> for box, (text, score) in ocr(cv2.imread("page.png")):
    ...     print(text, score)
    >>> ocr.last_time                     # seconds of the latest call
    {'det': 0.08, 'rec': 0.05, 'cls': 0.0, 'all': 0.14}
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import time
from typing import Any, Callable, Mapping, Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.inference.predict_cls import TextClassifier
from ppocr.inference.predict_det import TextDetector
from ppocr.inference.predict_rec import TextRecognizer
from ppocr.inference.utility import predict_over_images, read_image, to_namespace, write_image
from ppocr.inference.visualize import TextPainter, draw_ocr_box_txt, find_font
from ppocr.postprocess.db_postprocess import min_area_box
from ppocr.utils.errors import ConfigError
from ppocr.utils.geometry import order_corners
from ppocr.utils.image_warp import warp_perspective

logger = logging.getLogger(__name__)

#: Crops whose height/width ratio is at least this are turned by 90 degrees.
TALL_RATIO = 1.5
#: Name of the results file :func:`predict_images` writes in ``draw_img_save_dir``.
RESULTS_FILE = "system_results.txt"
#: Labels that mark do-not-care regions in PaddleOCR det labels.
IGNORE_TEXTS = ("###", "*")


def get_rotate_crop_image(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Cut a quadrilateral out of ``img`` as an upright rectangle (perspective transform), as PaddleOCR does.

    The output is ``max(top, bottom edge)`` wide and ``max(left, right edge)`` tall, truncated to whole
    pixels (PaddleOCR's ``int()``; at least 1); corner ``points[i]`` maps to the output corner ``(0, 0)``,
    ``(w, 0)``, ``(w, h)``, ``(0, h)`` for ``i = 0..3``, with bicubic interpolation (for ``uint8`` images
    OpenCV 4's fixed-point ``warpPerspective``, computed by :func:`ppocr.utils.image_warp.warp_perspective`
    so that OpenCV 5 gives the same pixels), so an axis-aligned box with integer corners yields exactly
    ``img[y0:y1, x0:x1]``. Pixels outside ``img`` repeat its border. A result at least :data:`TALL_RATIO`
    times as tall as wide is rotated 90 degrees counter-clockwise.

    Args:
        img: ``HxW[xC]`` image.
        points: ``[4, 2]`` corners, clockwise from the top-left of the text.

    Returns:
        The crop, same dtype and channels as ``img``.

    Raises:
        ValueError: ``points`` is not 4 finite points.
    """
    pts = np.asarray(points, np.float32)
    if pts.shape != (4, 2) or not np.isfinite(pts).all():
        raise ValueError(f"expected 4 finite (x, y) corners, got array of shape {pts.shape}")
    width = max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[3] - pts[2]))
    height = max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2]))
    w, h = max(1, int(width)), max(1, int(height))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(pts, dst)
    if img.dtype == np.uint8:  # OpenCV 4's pixels whatever OpenCV is installed (ppocr.utils.image_warp)
        crop = warp_perspective(img, matrix, (w, h))
    else:
        crop = cv2.warpPerspective(img, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if crop.shape[0] / float(crop.shape[1]) >= TALL_RATIO:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


def rect_corners_left_to_right(rect: Any) -> np.ndarray:
    """The corners of a ``cv2.minAreaRect`` result as PaddleOCR's crops take them.

    The corners are sorted by x (ties keep OpenCV's order). Of the two leftmost, the upper one comes
    first and the lower one last; of the two rightmost, the upper one second and the lower one third
    (at equal heights, the second of each pair counts as the upper one). For boxes turned by less than
    45 degrees this is the toolkit's clockwise order from the top-left; steeper boxes start at their
    upper-left end, which decides how their crop is turned.
    """
    p = sorted(cv2.boxPoints(rect).tolist(), key=lambda q: q[0])
    top_left, bottom_left = (p[0], p[1]) if p[1][1] > p[0][1] else (p[1], p[0])
    top_right, bottom_right = (p[2], p[3]) if p[3][1] > p[2][1] else (p[3], p[2])
    return np.array([top_left, top_right, bottom_right, bottom_left], np.float32)


def get_minarea_rect_crop(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Crop the minimum-area rectangle around a polygon (for ``--det_box_type poly``), as PaddleOCR does.

    The rectangle is OpenCV's around the polygon's vertices truncated to whole pixels, its corners taken
    by :func:`rect_corners_left_to_right`.

    Args:
        img: ``HxW[xC]`` image.
        points: ``[K, 2]`` polygon (``K >= 3``).

    Returns:
        The crop, as :func:`get_rotate_crop_image` returns it.
    """
    pts = np.asarray(points, np.float32).reshape(-1, 2).astype(np.int32)
    return get_rotate_crop_image(img, rect_corners_left_to_right(cv2.minAreaRect(pts)))


def _geometry(box: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """``(centre, width, height, angle)`` of a quad (ordered here) or a polygon's minimum-area rectangle."""
    pts = np.asarray(box, np.float32).reshape(-1, 2)
    quad = order_corners(pts) if len(pts) == 4 else min_area_box(pts)[0]
    top = quad[1] - quad[0]
    width = float(np.linalg.norm(top))
    height = float((np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2)
    return quad.mean(axis=0).astype(np.float64), width, height, math.atan2(float(top[1]), float(top[0]))


def reading_order(boxes: Sequence[np.ndarray], line_tolerance: float | None = None) -> list[int]:
    """Indices of ``boxes`` in reading order: lines top to bottom, each line left to right.

    The page's text angle is the median angle of the top edges of boxes wider than tall (0 if
    there are none); box centres are rotated by minus that angle, so the lines of a skewed page are
    still found. Boxes are then taken by rising centre; a box joins the current line when its
    centre is within ``line_tolerance`` of the line's mean centre, else starts a new line. Lines are
    read in the order they were started, boxes in a line by centre from left to right.

    This is a line-based order, like PaddleOCR's ``sorted_boxes``: boxes of neighbouring columns
    that share a text line are read across the columns; separating columns needs layout analysis.

    Args:
        boxes: ``[4, 2]`` quads (any corner order) or ``[K, 2]`` polygons, in image pixels.
        line_tolerance: largest vertical distance in pixels between a box's centre and its line's
            centre; ``None`` uses half the smaller of the box's and the line's mean height
            (PaddleOCR uses a fixed 10 px on the top-left corners).

    Returns:
        The permutation of ``range(len(boxes))``.
    """
    if len(boxes) == 0:
        return []
    geo = [_geometry(b) for b in boxes]
    angles = [a for _, w, h, a in geo if w >= h and abs(a) < math.pi / 4]
    angle = float(np.median(angles)) if angles else 0.0
    c, s = math.cos(angle), math.sin(angle)
    centres = np.array([[g[0][0] * c + g[0][1] * s, -g[0][0] * s + g[0][1] * c] for g in geo])
    heights = np.array([g[2] for g in geo])
    lines: list[dict[str, Any]] = []
    for i in sorted(range(len(boxes)), key=lambda k: (centres[k, 1], centres[k, 0])):
        if lines:
            line = lines[-1]
            tol = line_tolerance if line_tolerance is not None else 0.5 * min(heights[i], line["height"])
            if abs(centres[i, 1] - line["y"]) <= tol:
                line["members"].append(i)
                n = len(line["members"])
                line["y"] += (centres[i, 1] - line["y"]) / n
                line["height"] += (heights[i] - line["height"]) / n
                continue
        lines.append({"members": [i], "y": centres[i, 1], "height": heights[i]})
    return [i for line in lines for i in sorted(line["members"], key=lambda k: centres[k, 0])]


def sorted_boxes(dt_boxes: Sequence[np.ndarray], line_tolerance: float | None = None) -> list[np.ndarray]:
    """``dt_boxes`` in reading order (see :func:`reading_order`), as a list of arrays."""
    return [np.asarray(dt_boxes[i]) for i in reading_order(dt_boxes, line_tolerance)]


def filter_by_score(boxes: Sequence[np.ndarray], rec_res: Sequence[tuple[str, float]],
                    drop_score: float) -> list[tuple[np.ndarray, tuple[str, float]]]:
    """``(box, (text, score))`` pairs whose score is at least ``drop_score``, order kept."""
    if len(boxes) != len(rec_res):
        raise ValueError(f"got {len(rec_res)} recognition results for {len(boxes)} boxes")
    return [(box, (text, float(score))) for box, (text, score) in zip(boxes, rec_res) if float(score) >= drop_score]


class TextSystem:
    """Detection + recognition on whole images.

    Args:
        args: an ``argparse.Namespace`` from :func:`ppocr.inference.utility.parse_args`, or a dict of
            the same option names.
        text_detector: a callable ``img -> (boxes, seconds)`` to use instead of building a
            :class:`TextDetector` from ``--det_model_dir``.
        text_recognizer: a callable ``[crops] -> ([(text, score)], seconds)`` to use instead of
            building a :class:`TextRecognizer` from ``--rec_model_dir``.
        text_classifier: with ``--use_angle_cls``, a callable ``[crops] -> (crops, [(label, score)], seconds)``
            to use instead of building a :class:`TextClassifier` from ``--cls_model_dir``.

    Attributes:
        last_time: ``{'det', 'rec', 'cls', 'all'}`` seconds of the latest call.
        drop_score: results scoring under this are dropped.
        use_angle_cls: whether crops go through the text-direction classifier.

    Raises:
        ConfigError: a bad ``--drop_score``, or a predictor's error (``--use_angle_cls true`` without
            ``--cls_model_dir``, say).
    """

    def __init__(self, args: argparse.Namespace | Mapping[str, Any],
                 text_detector: Callable[[np.ndarray], tuple[Any, float]] | None = None,
                 text_recognizer: Callable[[list], tuple[list, float]] | None = None,
                 text_classifier: Callable[[list], tuple[list, list, float]] | None = None):
        args = to_namespace(args)
        drop = getattr(args, "drop_score", 0.5)
        if isinstance(drop, bool) or not isinstance(drop, (int, float)) or not math.isfinite(drop):
            raise ConfigError(f"--drop_score must be a number (0.5 by default), got {drop!r}")
        self.args = args
        self.drop_score = float(drop)
        self.text_detector = text_detector if text_detector is not None else TextDetector(args)
        self.text_recognizer = text_recognizer if text_recognizer is not None else TextRecognizer(args)
        self.use_angle_cls = bool(getattr(args, "use_angle_cls", False))
        self.text_classifier = None
        if self.use_angle_cls:
            self.text_classifier = text_classifier if text_classifier is not None else TextClassifier(args)
        self.save_crop_res = bool(getattr(args, "save_crop_res", False))
        self.crop_res_save_dir = getattr(args, "crop_res_save_dir", "./output")
        self.crop_index = 0
        self.last_time: dict[str, float] = {}

    def crop(self, img: np.ndarray, box: np.ndarray) -> np.ndarray:
        """The upright crop of one detected box (quad or polygon)."""
        pts = np.asarray(box, np.float32).reshape(-1, 2)
        if len(pts) == 4:
            return get_rotate_crop_image(img, pts)
        return get_minarea_rect_crop(img, pts)

    def _save_crops(self, crops: list[np.ndarray], rec_res: list[tuple[str, float]]) -> None:
        os.makedirs(self.crop_res_save_dir, exist_ok=True)
        for crop, (text, score) in zip(crops, rec_res):
            path = os.path.join(self.crop_res_save_dir, f"mg_crop_{self.crop_index}.jpg")
            cv2.imwrite(path, crop)
            logger.debug("crop %s: %r %.3f", path, text, score)
            self.crop_index += 1

    def __call__(self, img: np.ndarray, return_time: bool = False, cls: bool = True):
        """Read the text of one image.

        Args:
            img: ``HxW[xC]`` image array, BGR for colour (grey, BGRA, 16-bit are converted).
            return_time: also return the timing dict (as :attr:`last_time`).
            cls: with ``--use_angle_cls``, classify the crops' direction (PaddleOCR's ``cls`` argument).

        Returns:
            ``[(box, (text, score)), ...]`` in reading order, without results under
            ``drop_score``; with ``return_time``, ``(results, {'det', 'rec', 'cls', 'all'})``.
        """
        start = time.perf_counter()
        image = F.to_bgr(img)
        dt_boxes, det_time = self.text_detector(image)
        boxes = sorted_boxes(dt_boxes)
        crops = [self.crop(image, b) for b in boxes]
        cls_time = 0.0
        if self.text_classifier is not None and cls and crops:
            crops, cls_res, cls_time = self.text_classifier(crops)
            logger.debug("text direction of %d crops: %s", len(crops), cls_res)
        rec_res, rec_time = self.text_recognizer(crops) if crops else ([], 0.0)
        if len(rec_res) != len(crops):
            raise ValueError(f"the recogniser returned {len(rec_res)} results for {len(crops)} crops")
        if self.save_crop_res:
            self._save_crops(crops, rec_res)
        results = filter_by_score(boxes, rec_res, self.drop_score)
        self.last_time = {"det": float(det_time), "rec": float(rec_time), "cls": float(cls_time),
                          "all": time.perf_counter() - start}
        logger.debug("%d boxes, %d results kept (drop_score %.2f), %s", len(boxes), len(results),
                     self.drop_score, self.last_time)
        return (results, dict(self.last_time)) if return_time else results


def to_regions(results: Sequence[tuple[np.ndarray, tuple[str, float]]]) -> list[dict[str, Any]]:
    """PaddleOCR's result records: ``[{"transcription", "points" (int pixels), "score"}]``."""
    return [{"transcription": text, "points": np.round(np.asarray(box, np.float64)).astype(int).tolist(),
             "score": float(score)} for box, (text, score) in results]


def read_page(image: str | np.ndarray, system: TextSystem | None = None, **options: Any) -> list[dict[str, Any]]:
    """Read one page: its words in reading order.

    Args:
        image: an image path or array.
        system: a :class:`TextSystem` to reuse; without one it is built from ``options``.
        **options: inference flags by name (``det_model_dir``, ``rec_model_dir``, ``drop_score``,
            ``use_gpu`` ...; ``use_gpu`` defaults to False here).

    Returns:
        ``[{"transcription", "points", "score"}, ...]`` in reading order.

    Raises:
        ConfigError: an unreadable image path, or bad options.

    Example:
        >>> words = [r["transcription"] for r in read_page("page.png", det_model_dir="inference/det",
        ...                                                  rec_model_dir="inference/rec")]
    """
    if system is None:
        system = TextSystem({"use_gpu": False, **options})
    elif options:
        raise ValueError(f"pass either a TextSystem or options, not both (got {sorted(options)})")
    if isinstance(image, str):
        path, image = image, read_image(image)
        if image is None:
            raise ConfigError(f"cannot read image {path!r}")
    return to_regions(system(image))


def label_reading_order(regions: Sequence[Mapping[str, Any]], line_tolerance: float | None = None) -> list[str]:
    """The transcriptions of PaddleOCR det label regions in reading order (do-not-care ones left out).

    Args:
        regions: ``[{"transcription", "points"}, ...]`` as in a ``det_gt_*.txt`` line.
        line_tolerance: see :func:`reading_order`.

    Returns:
        The expected output of :func:`read_page` on that image, as words.
    """
    kept = [r for r in regions if r["transcription"] not in IGNORE_TEXTS]
    order = reading_order([np.asarray(r["points"], np.float32) for r in kept], line_tolerance)
    return [kept[i]["transcription"] for i in order]


def predict_images(args: argparse.Namespace, system: TextSystem | None = None) -> list[dict[str, Any]]:
    """Run the system over ``--image_dir`` and write results and visualisations to ``--draw_img_save_dir``.

    Args:
        args: parsed flags.
        system: a :class:`TextSystem` to use (default: built from ``args``).

    Returns:
        Per image ``{"image", "regions", "time", "vis_path"}``.

    Raises:
        ConfigError: bad flags, or no readable image.
    """
    system = system or TextSystem(args)
    out_dir = args.draw_img_save_dir
    painter = TextPainter(find_font(args.vis_font_path))

    def handle(path: str, img: np.ndarray) -> tuple[str, dict]:
        results, times = system(img, return_time=True)
        name = os.path.basename(path)
        regions = to_regions(results)
        logger.info("%s: %d text regions, %.3fs (det %.3fs, rec %.3fs)", name, len(regions), times["all"],
                    times["det"], times["rec"])
        for r in regions:
            logger.info("    %s\t%.3f", r["transcription"], r["score"])
        vis = draw_ocr_box_txt(img, [b for b, _ in results], [t for _, (t, _) in results],
                               [s for _, (_, s) in results], system.drop_score, painter=painter)
        vis_path = os.path.join(out_dir, name)
        write_image(vis_path, vis)
        line = name + "\t" + json.dumps([{"transcription": r["transcription"], "points": r["points"]}
                                         for r in regions], ensure_ascii=False)
        return line, {"image": path, "regions": regions, "time": times, "vis_path": vis_path}

    return predict_over_images(args.image_dir, out_dir, RESULTS_FILE, handle)
