"""General-purpose transforms: decoding, normalisation, layout and key selection."""
from __future__ import annotations

import logging
import re
from typing import Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)



@TRANSFORMS.register()
class DecodeImage:
    """Decode encoded image bytes into an ``HxWxC`` ``uint8`` array.

    JPEG files are decoded with EXIF orientation applied (unless ``ignore_orientation``);
    other formats are decoded unchanged and then normalised: 16-bit and float images are
    scaled to 8 bit, RGBA is composited over white, palette images come out as colour.

    Required keys: ``image`` (bytes), ``img_path`` (optional, used in error messages).
    Modified keys: ``image`` (``HxWx3`` for BGR/RGB, ``HxWx1`` for GRAY; ``CxHxW`` with
    ``channel_first``).
    Added keys: none.

    Args:
        img_mode: ``'BGR'``, ``'RGB'`` or ``'GRAY'``.
        channel_first: transpose to ``CxHxW``.
        ignore_orientation: do not rotate JPEGs by their EXIF orientation tag.

    Raises:
        SampleError: on empty or undecodable bytes.
    """

    MODES = ("BGR", "RGB", "GRAY")

    def __init__(self, img_mode: str = "BGR", channel_first: bool = False, ignore_orientation: bool = False):
        if img_mode not in self.MODES:
            raise ValueError(f"img_mode must be one of {', '.join(self.MODES)}, got {img_mode!r}")
        for arg, val in (("channel_first", channel_first), ("ignore_orientation", ignore_orientation)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        self.img_mode = img_mode
        self.channel_first = channel_first
        self.ignore_orientation = ignore_orientation

    def __call__(self, data: dict) -> dict:
        where = data.get("img_path", "<bytes>")
        img = F.decode_image(data["image"], where, jpeg_grey=self.img_mode == "GRAY",
                             ignore_orientation=self.ignore_orientation)
        img = F.to_channels(F.normalize_image(img), 1 if self.img_mode == "GRAY" else 3)
        if self.img_mode == "RGB":
            img = np.ascontiguousarray(img[:, :, ::-1])
        if self.channel_first:
            img = np.ascontiguousarray(img.transpose(2, 0, 1))
        data["image"] = img
        return data

    def __repr__(self) -> str:
        return (f"DecodeImage(img_mode={self.img_mode!r}, channel_first={self.channel_first}, "
                f"ignore_orientation={self.ignore_orientation})")


_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_SCALE_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?:/\s*(?P<den>{_NUMBER})\s*)?$")


def parse_scale(scale: float | int | str) -> float:
    """Parse NormalizeImage's ``scale``: a number, or a string ``'a'`` or ``'a/b'`` (e.g. ``'1./255.'``).

    Args:
        scale: number or string; never evaluated as code.

    Returns:
        The scale as float.

    Raises:
        TypeError: not a number or string.
        ValueError: a string that is not ``number`` or ``number/number``, or a zero denominator.
    """
    if isinstance(scale, bool):
        raise TypeError(f"scale must be a number or a string like '1./255.', got {scale!r}")
    if isinstance(scale, (int, float)):
        return float(scale)
    if not isinstance(scale, str):
        raise TypeError(f"scale must be a number or a string like '1./255.', got {type(scale).__name__} {scale!r}")
    m = _SCALE_RE.match(scale)
    if not m:
        raise ValueError(f"scale must be a number or 'number/number' such as '1./255.', got {scale!r}")
    num = float(m.group("num"))
    if m.group("den") is None:
        return num
    den = float(m.group("den"))
    if den == 0:
        raise ValueError(f"scale {scale!r} divides by zero")
    return num / den


@TRANSFORMS.register()
class NormalizeImage:
    """Compute ``(image * scale - mean) / std`` per channel, as float32.

    Required keys: ``image`` (``HxWxC`` for ``order='hwc'``, ``CxHxW`` for ``'chw'``).
    Modified keys: ``image`` (float32, same layout).
    Added keys: none.

    Args:
        scale: number or ``'a/b'`` string; default ``1/255``.
        mean: per-channel mean; default ImageNet ``[0.485, 0.456, 0.406]``.
        std: per-channel std; default ImageNet ``[0.229, 0.224, 0.225]``.
        order: ``'hwc'`` or ``'chw'``: where the channel axis of the input is.
    """

    def __init__(self, scale: float | str | None = None, mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None, order: str = "hwc"):
        self.scale = parse_scale(scale) if scale is not None else 1.0 / 255.0
        mean = [0.485, 0.456, 0.406] if mean is None else mean
        std = [0.229, 0.224, 0.225] if std is None else std
        for arg, val in (("mean", mean), ("std", std)):
            if not isinstance(val, (list, tuple)) or not val or \
                    not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in val):
                raise TypeError(f"{arg} must be a non-empty list of numbers, got {val!r}")
        if len(mean) != len(std):
            raise ValueError(f"mean and std must have the same length, got {len(mean)} and {len(std)}")
        if any(s == 0 for s in std):
            raise ValueError(f"std must not contain 0, got {list(std)}")
        if order not in ("hwc", "chw"):
            raise ValueError(f"order must be 'hwc' or 'chw', got {order!r}")
        self.order = order
        shape = (1, 1, -1) if order == "hwc" else (-1, 1, 1)
        self.mean = np.asarray(mean, dtype=np.float32).reshape(shape)
        self.std = np.asarray(std, dtype=np.float32).reshape(shape)

    def __call__(self, data: dict) -> dict:
        img = np.asarray(data["image"])
        if img.ndim == 2:
            img = img[:, :, None] if self.order == "hwc" else img[None]
        c = img.shape[2] if self.order == "hwc" else img.shape[0]
        if c != self.mean.size and self.mean.size != 1:
            raise SampleError(f"NormalizeImage: image has {c} channels ({self.order} shape {img.shape}) but "
                              f"mean/std have {self.mean.size} values; match them or fix the order")
        data["image"] = ((img.astype(np.float32) * self.scale - self.mean) / self.std).astype(np.float32)
        return data

    def __repr__(self) -> str:
        return (f"NormalizeImage(scale={self.scale:g}, mean={self.mean.ravel().tolist()}, "
                f"std={self.std.ravel().tolist()}, order={self.order!r})")


@TRANSFORMS.register()
class Resize:
    """Resize the image to a fixed ``[h, w]`` (bilinear), ignoring its aspect ratio.

    KIE configs use it for LayoutXLM's visual input (``size: [224, 224]``); the token boxes
    (``bbox``) are already on the page-relative 0-1000 grid and do not change. Detection
    polygons (``polys``), when present, are scaled with the image.

    Required keys: ``image`` (``HxW[xC]``).
    Modified keys: ``image`` (``h x w [x C]``); ``polys`` (``[N, K, 2]`` pixels) when present.
    Added keys: none.

    Args:
        size: ``[h, w]``, two positive integers.

    Raises:
        SampleError: the image is missing or not an ``HxW[xC]`` array.
    """

    def __init__(self, size: Sequence[int] = (640, 640)):
        if (isinstance(size, (str, bytes)) or not isinstance(size, (list, tuple)) or len(size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
            raise ValueError(f"size must be [h, w] with two positive integers, got {size!r}")
        self.size = (int(size[0]), int(size[1]))

    def __call__(self, data: dict) -> dict:
        img = data.get("image")
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or 0 in img.shape[:2]:
            shape = getattr(img, "shape", type(img).__name__)
            raise SampleError(f"Resize needs a decoded HxW[xC] image, got {shape}; put DecodeImage before it")
        h, w = self.size
        src_h, src_w = img.shape[:2]
        data["image"] = F.keep_channel_axis(cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR), img)
        if data.get("polys") is not None:
            polys = np.array(data["polys"], dtype=np.float32, copy=True)
            polys[..., 0] *= w / float(src_w)
            polys[..., 1] *= h / float(src_h)
            data["polys"] = polys
        return data

    def __repr__(self) -> str:
        return f"Resize(size={list(self.size)})"


@TRANSFORMS.register()
class ToCHWImage:
    """Transpose ``HxWxC`` to ``CxHxW`` (an ``HxW`` image becomes ``1xHxW``).

    Required keys: ``image``.
    Modified keys: ``image``.
    Added keys: none.
    """

    def __call__(self, data: dict) -> dict:
        img = np.asarray(data["image"])
        if img.ndim == 2:
            img = img[:, :, None]
        if img.ndim != 3:
            raise SampleError(f"ToCHWImage expects an HxWxC image, got shape {img.shape}")
        data["image"] = np.ascontiguousarray(img.transpose(2, 0, 1))
        return data

    def __repr__(self) -> str:
        return "ToCHWImage()"


@TRANSFORMS.register()
class KeepKeys:
    """Return a new dict with only ``keep_keys``, in that order.

    Required keys: every name in ``keep_keys``.
    Modified keys: all other keys are dropped.
    Added keys: none.

    Args:
        keep_keys: names to keep, e.g. ``['image', 'label', 'length']``.

    Raises:
        DataError: a key is missing (names it and the keys present).
    """

    def __init__(self, keep_keys: Sequence[str]):
        if isinstance(keep_keys, str) or not isinstance(keep_keys, (list, tuple)) or not keep_keys:
            raise TypeError(f"keep_keys must be a non-empty list of key names, got {keep_keys!r}")
        if not all(isinstance(k, str) for k in keep_keys):
            raise TypeError(f"keep_keys must contain only strings, got {keep_keys!r}")
        if len(set(keep_keys)) != len(keep_keys):
            raise ValueError(f"keep_keys lists a key twice: {keep_keys!r}")
        self.keep_keys = list(keep_keys)

    def __call__(self, data: dict) -> dict:
        missing = [k for k in self.keep_keys if k not in data]
        if missing:
            raise DataError(f"KeepKeys: key {missing[0]!r} is not in the sample; keys present: "
                            f"{', '.join(map(repr, data))}. Add the transform that produces it before "
                            "KeepKeys or remove it from keep_keys")
        return {k: data[k] for k in self.keep_keys}

    def __repr__(self) -> str:
        return f"KeepKeys(keep_keys={self.keep_keys!r})"
