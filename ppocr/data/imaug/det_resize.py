"""Evaluation/inference resize of a text-detection image to network-friendly sides."""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from ppocr.data.imaug import det_functional as DF
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError

logger = logging.getLogger(__name__)

#: Side lengths are multiples of this (the total stride of DB's backbone + FPN).
STRIDE = 32


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


@TRANSFORMS.register()
class DetResizeForTest:
    """Resize a detection image for evaluation or inference; sides become multiples of 32.

    Modes (PaddleOCR's options; give at most one of ``image_shape``, ``limit_side_len``
    (+ ``limit_type``) and ``resize_long``; nothing means ``limit_side_len: 736, limit_type: min``):

    * ``limit_side_len`` + ``limit_type``: ``'max'`` shrinks so the longer side is at most
      ``limit_side_len``; ``'min'`` enlarges so the shorter side is at least ``limit_side_len``;
      ``'resize_long'`` scales the longer side to exactly ``limit_side_len``. Sides are then
      truncated to whole pixels and rounded to the nearest multiple of 32 (halves to even, at least
      32), PaddleOCR's arithmetic.
    * ``image_shape: [h, w]``: resize to exactly that (multiples of 32); with ``keep_ratio`` the
      width follows the aspect ratio instead, rounded up to a multiple of 32.
    * ``resize_long: n``: scale the longer side to ``n``, sides rounded to multiples of 32.

    Whatever the mode, a result whose longer side exceeds ``max_side_limit`` is scaled down to
    it (sides rounded down to multiples of 32), so a 10000x8000 scan never becomes a huge
    tensor; the resize itself allocates only the output.

    ``polys`` (evaluation ground truth) stay in source-image coordinates: the metric compares
    them with predictions mapped back through ``shape_list``.

    Required keys: ``image`` (``HxW[xC]``).
    Modified keys: ``image`` (resized).
    Added keys: ``shape_list`` (float32 ``[src_h, src_w, ratio_h, ratio_w]`` with
    ``ratio = resized / source``), and ``shape``, the same array under PaddleOCR's key name so
    PaddleOCR configs (``keep_keys: [image, shape, polys, ignore_tags]``) work unchanged.

    Args:
        limit_side_len: side limit of the limit modes.
        limit_type: ``'max'``, ``'min'`` or ``'resize_long'``.
        image_shape: fixed output ``[h, w]``.
        keep_ratio: with ``image_shape``, keep the aspect ratio (the width follows the height).
        resize_long: longer side of the ``resize_long`` mode.
        max_side_limit: cap on the longer output side; ``None`` disables it.
    """

    LIMIT_TYPES = ("max", "min", "resize_long")

    def __init__(self, limit_side_len: int | None = None, limit_type: str | None = None,
                 image_shape: Sequence[int] | None = None, keep_ratio: bool = False,
                 resize_long: int | None = None, max_side_limit: int | None = 4000):
        modes = [n for n, v in (("image_shape", image_shape), ("limit_side_len/limit_type",
                 limit_side_len if limit_side_len is not None else limit_type), ("resize_long", resize_long))
                 if v is not None]
        if len(modes) > 1:
            raise ValueError(f"give only one resize mode, got {' and '.join(modes)}")
        if not isinstance(keep_ratio, bool):
            raise TypeError(f"keep_ratio must be true or false, got {keep_ratio!r}")
        if keep_ratio and image_shape is None:
            raise ValueError("keep_ratio only applies with image_shape")
        self.image_shape = None
        self.resize_long = None
        self.limit_side_len = None
        self.limit_type = None
        if image_shape is not None:
            if not isinstance(image_shape, (list, tuple)) or len(image_shape) != 2:
                raise ValueError(f"image_shape must be [height, width], got {image_shape!r}")
            self.image_shape = [_positive_int("image_shape", v) for v in image_shape]
            if any(v % STRIDE for v in self.image_shape):
                near = [DF.round_to_multiple(v, STRIDE) for v in self.image_shape]
                raise ValueError(f"image_shape sides must be multiples of {STRIDE}, got {list(image_shape)}; "
                                 f"use e.g. {near}")
            self.mode = "image_shape"
        elif resize_long is not None:
            self.resize_long = _positive_int("resize_long", resize_long)
            self.mode = "resize_long"
        else:
            self.limit_side_len = _positive_int("limit_side_len", 736 if limit_side_len is None else limit_side_len)
            self.limit_type = "min" if limit_type is None else limit_type
            if self.limit_type not in self.LIMIT_TYPES:
                raise ValueError(f"limit_type must be one of {', '.join(map(repr, self.LIMIT_TYPES))}, "
                                 f"got {limit_type!r}")
            self.mode = "limit"
        self.keep_ratio = keep_ratio
        self.max_side_limit = None if max_side_limit is None else _positive_int("max_side_limit", max_side_limit)
        if self.max_side_limit is not None and self.max_side_limit < STRIDE:
            raise ValueError(f"max_side_limit must be at least {STRIDE}, got {max_side_limit}")

    def target_size(self, h: int, w: int) -> tuple[int, int]:
        """Output ``(height, width)`` for a source of ``h x w`` pixels."""
        if self.mode == "image_shape":
            rh, rw = self.image_shape
            if self.keep_ratio:
                rw = DF.round_to_multiple(w * rh / float(h), STRIDE, "ceil")
        else:
            if self.mode == "resize_long":
                ratio = self.resize_long / float(max(h, w))
            elif self.limit_type == "max":
                ratio = min(1.0, self.limit_side_len / float(max(h, w)))
            elif self.limit_type == "min":
                ratio = max(1.0, self.limit_side_len / float(min(h, w)))
            else:
                ratio = self.limit_side_len / float(max(h, w))
            # PaddleOCR truncates the scaled sides to whole pixels before rounding to the stride
            # (int(528.7) = 528 -> 16.5 strides -> 16, where 528.7 / 32 would round to 17)
            rh = DF.round_to_multiple(int(h * ratio), STRIDE)
            rw = DF.round_to_multiple(int(w * ratio), STRIDE)
        return DF.cap_side(rh, rw, self.max_side_limit, STRIDE)

    def __call__(self, data: dict) -> dict:
        img = data.get("image")
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or 0 in img.shape[:2]:
            got = f"shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
            raise SampleError(f"DetResizeForTest expects a decoded HxWxC image (put DecodeImage before it), got {got}")
        h, w = img.shape[:2]
        rh, rw = self.target_size(h, w)
        if (rh, rw) != (h, w):
            img = DF.resize_image(img, rw, rh)
        shape = np.array([h, w, rh / float(h), rw / float(w)], np.float32)
        data["image"] = img
        data["shape_list"] = shape
        data["shape"] = shape
        return data

    def __repr__(self) -> str:
        if self.mode == "image_shape":
            opts = f"image_shape={self.image_shape}, keep_ratio={self.keep_ratio}"
        elif self.mode == "resize_long":
            opts = f"resize_long={self.resize_long}"
        else:
            opts = f"limit_side_len={self.limit_side_len}, limit_type={self.limit_type!r}"
        return f"DetResizeForTest({opts}, max_side_limit={self.max_side_limit})"
