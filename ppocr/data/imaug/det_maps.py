"""DB (Differentiable Binarization) training targets: the threshold map and the shrunk text map."""
from __future__ import annotations

import logging

import numpy as np

from ppocr.data.imaug import det_functional as DF
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)


def _ratio(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return float(value)


def _scheduled_ratio(shrink_ratio: float, total_epoch, epoch) -> float:
    """PaddleOCR's ramp: ``shrink_ratio + 0.2 * epoch / total_epoch`` when ``total_epoch`` is given."""
    if total_epoch is None:
        return shrink_ratio
    if isinstance(total_epoch, bool) or not isinstance(total_epoch, int) or total_epoch < 1:
        raise ValueError(f"total_epoch must be a positive int (the run's epoch_num), got {total_epoch!r}")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= total_epoch:
        raise ValueError(f"epoch must be an int in [0, total_epoch={total_epoch}], got {epoch!r}")
    return _ratio("shrink_ratio + 0.2 * epoch / total_epoch", shrink_ratio + 0.2 * epoch / float(total_epoch))


_SCHEDULE_DOC = """
    ``total_epoch`` (PP-OCRv4/v5 configs set it to ``epoch_num``) and ``epoch`` are PaddleOCR's
    shrink schedule: the ratio becomes ``shrink_ratio + 0.2 * epoch / total_epoch``. PaddleOCR fills
    in ``epoch`` only when it rebuilds the Train dataset every epoch (a ``ratio_list`` below 1);
    otherwise it is 0, as here, where transforms are built once: the ratio stays ``shrink_ratio``
    unless ``epoch`` is given."""


def _det_inputs(data: dict, op: str) -> tuple[int, int, np.ndarray, np.ndarray]:
    img = data.get("image")
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or 0 in img.shape[:2]:
        got = f"shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise SampleError(f"{op} expects a decoded HxWxC image (put it before NormalizeImage/ToCHWImage), got {got}")
    for key in ("polys", "ignore_tags"):
        if key not in data:
            raise DataError(f"{op} needs {key!r} in the sample; put DetLabelEncode before it "
                            f"(keys present: {', '.join(map(repr, data))})")
    polys = np.asarray(data["polys"], np.float32)
    ignore = np.asarray(data["ignore_tags"], bool)
    if polys.ndim != 3 or polys.shape[2] != 2 or ignore.shape != (len(polys),):
        raise SampleError(f"{op} expects polys [N, K, 2] and ignore_tags [N], got {polys.shape} and {ignore.shape}")
    return img.shape[0], img.shape[1], polys, ignore


@TRANSFORMS.register()
class MakeBorderMap:
    """DB's threshold map: high near text borders, ``thresh_min`` elsewhere.

    Each care polygon is grown by ``D = A (1 - r^2) / L`` (area ``A``, perimeter ``L``,
    ``r = shrink_ratio``). Inside the grown polygon's box a pixel at distance ``d`` from the
    nearest edge of the original polygon scores ``1 - min(d / D, 1)``; the map keeps the
    maximum over polygons and is rescaled to ``[thresh_min, thresh_max]``. The mask is 1 inside
    every grown polygon. Distances are exact point-to-segment distances, computed for all
    pixels and edges at once with numpy (see ``det_functional.edge_distance_map``).
    Do-not-care polygons are left out.

    Required keys: ``image`` (``HxW[xC]``, for the size), ``polys`` (``[N, K, 2]``),
    ``ignore_tags`` (``[N]``).
    Modified keys: none.
    Added keys: ``threshold_map``, ``threshold_mask`` (``HxW`` float32).

    Args:
        shrink_ratio: ``r`` above.
        thresh_min: map value far from borders.
        thresh_max: map value on a border.
        total_epoch: with ``epoch``, the shrink schedule below.
        epoch: the epoch the schedule is at (0).
    """

    def __init__(self, shrink_ratio: float = 0.4, thresh_min: float = 0.3, thresh_max: float = 0.7,
                 total_epoch: int | None = None, epoch: int = 0):
        self.shrink_ratio = _scheduled_ratio(_ratio("shrink_ratio", shrink_ratio), total_epoch, epoch)
        for name, v in (("thresh_min", thresh_min), ("thresh_max", thresh_max)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {v!r}")
        if thresh_min > thresh_max:
            raise ValueError(f"thresh_min ({thresh_min}) must not exceed thresh_max ({thresh_max})")
        self.thresh_min = float(thresh_min)
        self.thresh_max = float(thresh_max)

    def __call__(self, data: dict) -> dict:
        h, w, polys, ignore = _det_inputs(data, "MakeBorderMap")
        canvas = np.zeros((h, w), np.float32)
        mask = np.zeros((h, w), np.float32)
        for poly, skip in zip(polys, ignore):
            if not skip:
                DF.draw_border_map(poly, canvas, mask, self.shrink_ratio)
        canvas *= np.float32(self.thresh_max - self.thresh_min)
        canvas += np.float32(self.thresh_min)
        data["threshold_map"] = canvas
        data["threshold_mask"] = mask
        return data

    def __repr__(self) -> str:
        return (f"MakeBorderMap(shrink_ratio={self.shrink_ratio:g}, thresh_min={self.thresh_min:g}, "
                f"thresh_max={self.thresh_max:g})")


@TRANSFORMS.register()
class MakeShrinkMap:
    """DB's probability target: each text polygon shrunk by ``D = A (1 - r^2) / L``, and its mask.

    Points are clipped to the image first. A polygon is left out of the map and masked out
    (``shrink_mask = 0`` over it, i.e. do-not-care) when it is tagged do-not-care, its area is
    under one pixel, its box is thinner than ``min_text_size``, or no shrink leaves exactly one
    polygon (milder ratios are tried first; see ``det_functional.shrink_polygon``).
    ``ignore_tags`` itself is not changed.

    Required keys: ``image`` (``HxW[xC]``, for the size), ``polys`` (``[N, K, 2]``),
    ``ignore_tags`` (``[N]``).
    Modified keys: none.
    Added keys: ``shrink_map`` (``HxW`` float32, 1 on shrunk text), ``shrink_mask`` (``HxW``
    float32, 0 on do-not-care regions).

    Args:
        min_text_size: smallest box side, in pixels, of a text region that is trained on.
        shrink_ratio: ``r`` above.
        total_epoch: with ``epoch``, the shrink schedule below.
        epoch: the epoch the schedule is at (0).
    """

    def __init__(self, min_text_size: int = 8, shrink_ratio: float = 0.4, total_epoch: int | None = None,
                 epoch: int = 0):
        if isinstance(min_text_size, bool) or not isinstance(min_text_size, (int, float)) or min_text_size < 0:
            raise ValueError(f"min_text_size must be a number >= 0, got {min_text_size!r}")
        self.min_text_size = min_text_size
        self.shrink_ratio = _scheduled_ratio(_ratio("shrink_ratio", shrink_ratio), total_epoch, epoch)

    def __call__(self, data: dict) -> dict:
        h, w, polys, ignore = _det_inputs(data, "MakeShrinkMap")
        gt = np.zeros((h, w), np.float32)
        mask = np.ones((h, w), np.float32)
        polys = DF.clip_polys(polys, w - 1, h - 1)
        for poly, skip in zip(polys, ignore):
            side = min(np.ptp(poly[:, 0]), np.ptp(poly[:, 1]))
            shrunk = None
            if not skip and DF.polygon_area(poly) >= 1.0 and side >= self.min_text_size:
                shrunk = DF.shrink_polygon(poly, self.shrink_ratio)
            if shrunk is None:
                DF.fill_polys(mask, [poly], 0.0)
            else:
                DF.fill_polys(gt, [shrunk], 1.0)
        data["shrink_map"] = gt
        data["shrink_mask"] = mask
        return data

    def __repr__(self) -> str:
        return f"MakeShrinkMap(min_text_size={self.min_text_size}, shrink_ratio={self.shrink_ratio:g})"


MakeBorderMap.__doc__ += _SCHEDULE_DOC
MakeShrinkMap.__doc__ += _SCHEDULE_DOC
