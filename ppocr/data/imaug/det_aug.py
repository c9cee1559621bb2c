"""Text-detection augmentation: flips/affine/resize (``IaaAugment``) and text-aware crops.

Every geometric change of ``image`` is applied to ``polys`` too. Randomness comes from the
global ``np.random`` generator, which the datasets seed per sample.
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from ppocr.data.imaug import det_functional as DF
from ppocr.registry import TRANSFORMS, Registry, build
from ppocr.utils.errors import ConfigError, DataError, SampleError

logger = logging.getLogger(__name__)

#: The augmenters ``IaaAugment.augmenter_args`` can name (``type``), with imgaug's names and meaning.
IAA_AUGMENTERS = Registry("IaaAugment augmenter")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _value_range(name: str, value, low: float, high: float) -> tuple[float, float]:
    """Read an imgaug-style parameter: a number (fixed) or ``[lo, hi]`` (uniform), within ``[low, high]``."""
    if _is_number(value):
        lo = hi = float(value)
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(v) for v in value):
        lo, hi = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name} must be a number or a [low, high] pair of numbers, got {value!r}")
    if lo > hi:
        raise ValueError(f"{name} must be [low, high] with low <= high, got {value!r}")
    if lo < low or hi > high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
    return lo, hi


def _draw(rng_range: tuple[float, float]) -> float:
    lo, hi = rng_range
    return lo if lo == hi else float(np.random.uniform(lo, hi))


def _fmt(r: tuple[float, float]) -> str:
    return f"{r[0]:g}" if r[0] == r[1] else f"[{r[0]:g}, {r[1]:g}]"


def _check_det_sample(data: dict, op: str) -> tuple[np.ndarray, np.ndarray]:
    img = data.get("image")
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or 0 in img.shape[:2]:
        got = f"shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise SampleError(f"{op} expects a decoded HxWxC image (put DecodeImage before it), got {got}")
    if "polys" not in data:
        raise DataError(f"{op} needs 'polys' in the sample; put DetLabelEncode before it "
                        f"(keys present: {', '.join(map(repr, data))})")
    polys = np.asarray(data["polys"], np.float32)
    if polys.ndim != 3 or polys.shape[2] != 2:
        raise SampleError(f"{op} expects polys of shape [N, K, 2], got {polys.shape}")
    return img, polys


# --------------------------------------------------------------------------------------------
# augmenters (IaaAugment's building blocks; each maps (image, polys) -> (image, polys))
# --------------------------------------------------------------------------------------------
@IAA_AUGMENTERS.register()
class Fliplr:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 1.0):
        self.p = _value_range("Fliplr.p", p, 0.0, 1.0)[0]

    def __call__(self, img: np.ndarray, polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if np.random.random_sample() >= self.p:
            return img, polys
        return np.ascontiguousarray(img[:, ::-1]), DF.hflip_polys(polys, img.shape[1])

    def __repr__(self) -> str:
        return f"Fliplr(p={self.p:g})"


@IAA_AUGMENTERS.register()
class Flipud:
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 1.0):
        self.p = _value_range("Flipud.p", p, 0.0, 1.0)[0]

    def __call__(self, img: np.ndarray, polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if np.random.random_sample() >= self.p:
            return img, polys
        return np.ascontiguousarray(img[::-1]), DF.vflip_polys(polys, img.shape[0])

    def __repr__(self) -> str:
        return f"Flipud(p={self.p:g})"


@IAA_AUGMENTERS.register()
class Affine:
    """Rotate/scale/shear about the image centre and shift; the image keeps its size.

    Each parameter is a number (fixed) or ``[low, high]`` (uniform per image), as in imgaug.
    Content leaving the image is cut off; uncovered corners get ``cval``.

    Args:
        rotate: degrees, positive is clockwise on screen.
        scale: zoom factor.
        shear: degrees of horizontal shear.
        translate_percent: shift as a fraction of the image size, drawn separately for x and y.
        cval: grey level of uncovered pixels.
    """

    def __init__(self, rotate: float | Sequence[float] = 0.0, scale: float | Sequence[float] = 1.0,
                 shear: float | Sequence[float] = 0.0, translate_percent: float | Sequence[float] = 0.0,
                 cval: float = 0):
        self.rotate = _value_range("Affine.rotate", rotate, -360.0, 360.0)
        self.scale = _value_range("Affine.scale", scale, 1e-3, 100.0)
        self.shear = _value_range("Affine.shear", shear, -80.0, 80.0)
        self.translate_percent = _value_range("Affine.translate_percent", translate_percent, -1.0, 1.0)
        self.cval = _value_range("Affine.cval", cval, 0.0, 255.0)[0]

    def __call__(self, img: np.ndarray, polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = img.shape[:2]
        shift = (_draw(self.translate_percent) * w, _draw(self.translate_percent) * h)
        m = DF.affine_matrix(w, h, rotate=_draw(self.rotate), scale=_draw(self.scale), shear=_draw(self.shear),
                             translate=shift)
        return DF.warp_affine(img, m, (w, h), self.cval), DF.affine_polys(polys, m)

    def __repr__(self) -> str:
        return (f"Affine(rotate={_fmt(self.rotate)}, scale={_fmt(self.scale)}, shear={_fmt(self.shear)}, "
                f"translate_percent={_fmt(self.translate_percent)}, cval={self.cval:g})")


@IAA_AUGMENTERS.register()
class Resize:
    """Scale the image (and polygons) by one factor for both sides.

    Args:
        size: relative factor, a number or ``[low, high]`` (uniform per image). imgaug's
            absolute pixel sizes are not supported, so factors above 10 are rejected.
    """

    def __init__(self, size: float | Sequence[float] = 1.0):
        try:
            self.size = _value_range("Resize.size", size, 0.01, 10.0)
        except ValueError as e:
            raise ValueError(f"{e}; size is a relative scale factor such as [0.5, 3] (absolute pixel sizes "
                             "are not supported)") from e

    def __call__(self, img: np.ndarray, polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = img.shape[:2]
        s = _draw(self.size)
        nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
        if (nw, nh) == (w, h):
            return img, polys
        out = DF.resize_image(img, nw, nh)
        scaled = np.array(polys, np.float32, copy=True)
        scaled[..., 0] *= nw / float(w)
        scaled[..., 1] *= nh / float(h)
        return out, scaled

    def __repr__(self) -> str:
        return f"Resize(size={_fmt(self.size)})"


DEFAULT_IAA_ARGS = ({"type": "Fliplr", "args": {"p": 0.5}},
                    {"type": "Affine", "args": {"rotate": [-10, 10]}},
                    {"type": "Resize", "args": {"size": [0.5, 3]}})


@TRANSFORMS.register()
class IaaAugment:
    """Apply a sequence of geometric augmenters to ``image`` and ``polys`` (PaddleOCR's config shape).

    Implemented with OpenCV/numpy (no imgaug). Augmenters, each ``{type: Name, args: {...}}``:
    ``Fliplr(p)``, ``Flipud(p)``, ``Affine(rotate, scale, shear, translate_percent, cval)``,
    ``Resize(size)``; a parameter is a number or a ``[low, high]`` range drawn per image.

    Example config::

        - IaaAugment:
            augmenter_args:
              - {type: Fliplr, args: {p: 0.5}}
              - {type: Affine, args: {rotate: [-10, 10]}}
              - {type: Resize, args: {size: [0.5, 3]}}

    Polygons may leave the image; the crop and map transforms after it clip or drop them.

    Required keys: ``image`` (``HxW[xC]``), ``polys`` (``[N, K, 2]``).
    Modified keys: ``image`` (size changes with ``Resize``), ``polys``.
    Added keys: none.

    Args:
        augmenter_args: the list above; ``None`` gives PaddleOCR's default (the example).
    """

    def __init__(self, augmenter_args: Sequence[dict] | None = None):
        if augmenter_args is None:
            augmenter_args = DEFAULT_IAA_ARGS
        if not isinstance(augmenter_args, (list, tuple)):
            raise TypeError(f"augmenter_args must be a list of {{type: Name, args: {{...}}}}, got {augmenter_args!r}")
        self.augmenters = []
        for i, entry in enumerate(augmenter_args):
            if not isinstance(entry, dict) or "type" not in entry or set(entry) - {"type", "args"}:
                raise ValueError(f"augmenter_args[{i}] must be {{type: Name, args: {{...}}}}, got {entry!r}")
            args = entry.get("args") or {}
            if not isinstance(args, dict):
                raise TypeError(f"augmenter_args[{i}].args must be a mapping, got {args!r}")
            try:
                self.augmenters.append(build({"name": entry["type"], **args}, IAA_AUGMENTERS,
                                             where=f"augmenter_args[{i}]"))
            except ConfigError as e:
                raise ValueError(str(e)) from e

    def __call__(self, data: dict) -> dict:
        img, polys = _check_det_sample(data, "IaaAugment")
        for aug in self.augmenters:
            img, polys = aug(img, polys)
        data["image"] = img
        data["polys"] = polys
        return data

    def __repr__(self) -> str:
        return f"IaaAugment(augmenters=[{', '.join(map(repr, self.augmenters))}])"


# --------------------------------------------------------------------------------------------
# crops
# --------------------------------------------------------------------------------------------
def _check_size(name: str, size) -> list[int]:
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size):
        raise ValueError(f"{name} must be two positive integers, got {size!r}")
    return [int(v) for v in size]


def _pick_pair(free: np.ndarray) -> tuple[int, int]:
    """Two free cut positions: from two different free runs when there are several."""
    spans = DF.runs(free)
    if len(spans) > 1:
        picked = np.sort(np.random.choice(len(spans), 2, replace=False))
        a, b = (int(np.random.randint(spans[k][0], spans[k][1] + 1)) for k in picked)
    else:
        a, b = (int(v) for v in np.random.randint(spans[0][0], spans[0][1] + 1, size=2))
    return min(a, b), max(a, b)


@TRANSFORMS.register()
class EastRandomCropData:
    """Crop a random region that cuts through no text, then scale it into a fixed-size canvas.

    Crop edges are drawn among the positions no (care) text region spans, on each axis
    (from two different text-free stretches when there are several), so a text region is
    either wholly inside the crop or wholly outside. A crop is accepted when both sides are at
    least ``min_crop_side_ratio`` of the image and at least one care region is in it;
    after ``max_tries`` failures (or with no care text) the whole image is used. The crop is
    scaled to fit ``size`` with its aspect ratio kept and padded with zeros at the right and
    bottom (``keep_ratio``), or stretched to ``size``. Regions entirely outside the crop are
    dropped (with their texts and tags); do-not-care regions may be cut.

    Required keys: ``image`` (``HxW[xC]``), ``polys`` (``[N, K, 2]``), ``ignore_tags`` (``[N]``),
    ``texts`` (optional).
    Modified keys: ``image`` (``size[1] x size[0]``), ``polys``, ``ignore_tags``, ``texts``.
    Added keys: none.

    Args:
        size: output ``[width, height]`` (PaddleOCR's order).
        max_tries: attempts before falling back to the whole image.
        keep_ratio: keep the aspect ratio and pad, or stretch to ``size``.
        min_crop_side_ratio: smallest crop side as a fraction of the image side.
    """

    def __init__(self, size: Sequence[int] = (640, 640), max_tries: int = 50, keep_ratio: bool = True,
                 min_crop_side_ratio: float = 0.1):
        self.size = _check_size("size", size)
        if isinstance(max_tries, bool) or not isinstance(max_tries, int) or max_tries < 0:
            raise ValueError(f"max_tries must be an integer >= 0, got {max_tries!r}")
        if not isinstance(keep_ratio, bool):
            raise TypeError(f"keep_ratio must be true or false, got {keep_ratio!r}")
        if not _is_number(min_crop_side_ratio) or not 0.0 <= min_crop_side_ratio <= 1.0:
            raise ValueError(f"min_crop_side_ratio must be a number in [0, 1], got {min_crop_side_ratio!r}")
        self.max_tries = max_tries
        self.keep_ratio = keep_ratio
        self.min_crop_side_ratio = float(min_crop_side_ratio)

    def crop_box(self, h: int, w: int, care: np.ndarray) -> tuple[int, int, int, int]:
        """Draw ``(x0, y0, x1, y1)`` for an ``h x w`` image with care polygons ``care``."""
        if len(care) == 0:
            return 0, 0, w, h
        free_x = DF.free_cut_positions(np.stack([care[..., 0].min(1), care[..., 0].max(1)], 1), w)
        free_y = DF.free_cut_positions(np.stack([care[..., 1].min(1), care[..., 1].max(1)], 1), h)
        for _ in range(self.max_tries):
            x0, x1 = _pick_pair(free_x)
            y0, y1 = _pick_pair(free_y)
            if x1 - x0 < self.min_crop_side_ratio * w or y1 - y0 < self.min_crop_side_ratio * h or \
                    x1 == x0 or y1 == y0:
                continue
            if not DF.polys_outside_rect(care, x0, y0, x1, y1).all():
                return x0, y0, x1, y1
        return 0, 0, w, h

    def __call__(self, data: dict) -> dict:
        img, polys = _check_det_sample(data, "EastRandomCropData")
        ignore = np.asarray(data.get("ignore_tags", np.zeros(len(polys), bool)), bool)
        if len(ignore) != len(polys):
            raise SampleError(f"EastRandomCropData: {len(polys)} polys but {len(ignore)} ignore_tags")
        h, w = img.shape[:2]
        x0, y0, x1, y1 = self.crop_box(h, w, polys[~ignore])
        crop = img[y0:y1, x0:x1]
        cw, ch = x1 - x0, y1 - y0
        out_w, out_h = self.size
        if self.keep_ratio:
            nw, nh, _ = DF.scale_to_fit(cw, ch, out_w, out_h)
            out = np.zeros((out_h, out_w) + img.shape[2:], img.dtype)
            out[:nh, :nw] = DF.resize_image(crop, nw, nh)
        else:
            nw, nh = out_w, out_h
            out = DF.resize_image(crop, nw, nh)
        keep = ~DF.polys_outside_rect(polys, x0, y0, x1, y1)
        moved = (polys[keep] - np.array([x0, y0], np.float32)) * np.array([nw / cw, nh / ch], np.float32)
        data["image"] = out
        data["polys"] = moved.astype(np.float32).reshape(-1, polys.shape[1], 2)
        data["ignore_tags"] = ignore[keep]
        if "texts" in data:
            data["texts"] = [t for t, k in zip(data["texts"], keep) if k]
        return data

    def __repr__(self) -> str:
        return (f"EastRandomCropData(size={self.size}, max_tries={self.max_tries}, keep_ratio={self.keep_ratio}, "
                f"min_crop_side_ratio={self.min_crop_side_ratio:g})")


@TRANSFORMS.register()
class RandomCropImgMask:
    """Cut a ``size`` window out of the image and its maps, usually over text; pad when smaller.

    When ``main_key`` (e.g. ``shrink_map``) has text, with probability ``1 - p`` the window is
    placed so it overlaps the text's bounding rows and columns; otherwise it is placed
    uniformly. Every array named in ``crop_keys`` is cut the same way (``HxW``, ``HxWxC`` and
    ``CxHxW`` layouts are recognised from the main map's size) and zero-padded at the right
    and bottom to exactly ``size``. ``polys``, when present and not in ``crop_keys``, are
    shifted by the window's origin (not clipped or filtered).

    Required keys: ``main_key`` and every ``crop_keys`` entry.
    Modified keys: the ``crop_keys`` arrays (``size``), ``polys`` (shifted).
    Added keys: none.

    Args:
        size: window ``[height, width]`` (PaddleOCR's order for this transform).
        main_key: the ``HxW`` map whose non-zero pixels are text.
        crop_keys: names of the arrays to cut.
        p: probability of a uniformly placed window even when there is text.
    """

    def __init__(self, size: Sequence[int], main_key: str, crop_keys: Sequence[str], p: float = 3 / 8):
        self.size = _check_size("size", size)
        if not isinstance(main_key, str) or not main_key:
            raise TypeError(f"main_key must be a key name such as 'shrink_map', got {main_key!r}")
        if isinstance(crop_keys, str) or not isinstance(crop_keys, (list, tuple)) or not crop_keys or \
                not all(isinstance(k, str) for k in crop_keys):
            raise TypeError(f"crop_keys must be a non-empty list of key names, got {crop_keys!r}")
        self.main_key = main_key
        self.crop_keys = list(crop_keys)
        self.p = _value_range("p", p, 0.0, 1.0)[0]

    @staticmethod
    def _window_start(lo: int, hi: int, length: int, win: int) -> int:
        """Origin of a ``win`` window on ``[0, length)`` that overlaps ``[lo, hi]``."""
        if length <= win:
            return 0
        a, b = max(0, lo - win + 1), min(length - win, hi)
        return int(np.random.randint(a, b + 1))

    def __call__(self, data: dict) -> dict:
        missing = [k for k in [self.main_key] + self.crop_keys if k not in data]
        if missing:
            raise DataError(f"RandomCropImgMask: key {missing[0]!r} is not in the sample; keys present: "
                            f"{', '.join(map(repr, data))}. Put the transform that adds it before RandomCropImgMask")
        main = np.asarray(data[self.main_key])
        if main.ndim == 3:
            main = main.max(axis=2) if main.shape[2] <= 4 else main.max(axis=0)
        if main.ndim != 2:
            raise SampleError(f"RandomCropImgMask: main_key {self.main_key!r} must be an HxW map, got {main.shape}")
        h, w = main.shape
        th, tw = self.size
        text = main > 0
        if text.any() and np.random.random_sample() >= self.p:
            rows, cols = np.flatnonzero(text.any(1)), np.flatnonzero(text.any(0))
            i = self._window_start(int(rows[0]), int(rows[-1]), h, th)
            j = self._window_start(int(cols[0]), int(cols[-1]), w, tw)
        else:
            i = int(np.random.randint(0, h - th + 1)) if h > th else 0
            j = int(np.random.randint(0, w - tw + 1)) if w > tw else 0
        for k in self.crop_keys:
            data[k] = self._cut(k, np.asarray(data[k]), h, w, i, j)
        if "polys" in data and "polys" not in self.crop_keys:
            data["polys"] = (np.asarray(data["polys"], np.float32) - np.array([j, i], np.float32)).astype(np.float32)
        return data

    def _cut(self, key: str, arr: np.ndarray, h: int, w: int, i: int, j: int) -> np.ndarray:
        th, tw = self.size
        if arr.shape[:2] == (h, w):          # HxW or HxWxC
            part = arr[i:i + th, j:j + tw]
            out = np.zeros((th, tw) + arr.shape[2:], arr.dtype)
            out[:part.shape[0], :part.shape[1]] = part
        elif arr.ndim == 3 and arr.shape[1:] == (h, w):   # CxHxW
            part = arr[:, i:i + th, j:j + tw]
            out = np.zeros((arr.shape[0], th, tw), arr.dtype)
            out[:, :part.shape[1], :part.shape[2]] = part
        else:
            raise SampleError(f"RandomCropImgMask: {key!r} has shape {arr.shape}, which does not match "
                              f"{self.main_key!r} ({h}x{w})")
        return out

    def __repr__(self) -> str:
        return (f"RandomCropImgMask(size={self.size}, main_key={self.main_key!r}, crop_keys={self.crop_keys!r}, "
                f"p={self.p:g})")
