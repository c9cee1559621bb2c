"""Pure array math used by the transforms: no dict handling, no randomness of its own.

Every function takes explicit parameters (the transforms draw them from the global RNGs), so
each piece can be tested on its own. Images are ``HxW``, ``HxWx1`` or ``HxWx3`` ``uint8``
arrays unless a function says otherwise.
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from ppocr.utils.errors import SampleError

_JPEG_MAGIC = b"\xff\xd8"


def decode_image(buf, where: str = "<bytes>", page: int = 0, jpeg_grey: bool = False,
                 ignore_orientation: bool = False) -> np.ndarray:
    """Decode an encoded image: the one decoder of training, evaluation and serving.

    JPEG files are turned by their EXIF orientation (unless ``ignore_orientation``); every other
    format, TIFF included, comes as it is, depth and alpha kept (OpenCV applies a TIFF orientation
    tag only when it also drops the alpha channel, so transparency wins). Follow with
    :func:`normalize_image` (or :func:`to_bgr`) for a ``uint8`` grey or BGR image.

    Args:
        buf: the file's bytes (``bytes``, ``bytearray``, ``memoryview`` or a ``uint8`` array).
        where: the file or sample, for messages.
        page: page of a multi-page TIFF (from 0).
        jpeg_grey: decode JPEGs straight to grey (libjpeg's luma, as ``cv2.IMREAD_GRAYSCALE``).
        ignore_orientation: do not apply the EXIF orientation.

    Returns:
        The decoded array, any depth, ``HxW`` or ``HxWxC`` with C in 1-4.

    Raises:
        SampleError: empty, unreadable or not an image, or no such page.
    """
    if isinstance(buf, np.ndarray):
        buf = buf.tobytes()
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise SampleError(f"cannot decode image {where}: expected encoded bytes, got {type(buf).__name__}")
    if len(buf) == 0:
        raise SampleError(f"cannot decode image {where}: 0 bytes; the file is empty or not an image")
    arr = np.frombuffer(buf, dtype=np.uint8)
    jpeg = bytes(buf[:2]) == _JPEG_MAGIC
    if jpeg and jpeg_grey:
        flags = cv2.IMREAD_GRAYSCALE
    elif jpeg:
        flags = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH
    else:
        flags = cv2.IMREAD_UNCHANGED
    if ignore_orientation and flags != cv2.IMREAD_UNCHANGED:
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    try:
        if page == 0:
            img = cv2.imdecode(arr, flags)
        else:
            ok, pages = cv2.imdecodemulti(arr, flags)
            if not ok or page >= len(pages):
                raise SampleError(f"image {where} has {len(pages) if ok else 0} page(s), no page {page} "
                                  "(pages count from 0)")
            img = pages[page]
    except cv2.error as e:
        raise SampleError(f"cannot decode image {where}: OpenCV failed ({str(e).strip()}); "
                          "the file is empty or not an image") from e
    if img is None or img.size == 0:
        raise SampleError(f"cannot decode image {where}: OpenCV could not read {len(buf)} bytes "
                          f"starting with {bytes(buf[:8])!r}; the file is empty or not an image")
    return img


def normalize_image(img: np.ndarray) -> np.ndarray:
    """The one channel conversion: any decoded or user-given array to ``uint8`` grey ``HxW`` or BGR ``HxWx3``.

    16-bit and float images are scaled to 8 bit (:func:`to_uint8`); a single channel becomes
    ``HxW``; grey + alpha and BGRA are composited over white (:func:`composite_alpha`), giving grey
    and BGR. Then :func:`to_channels` gives the 1 or 3 channels a model reads.

    Raises:
        ValueError: not an ``HxW`` / ``HxWxC`` array with C in 1-4, or an empty one.
    """
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or 0 in img.shape[:2]:
        got = f"shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise ValueError(f"expected an HxW or HxWxC image array, got {got}")
    img = to_uint8(img)
    if img.ndim == 2:
        return img
    c = img.shape[2]
    if c not in (1, 2, 3, 4):
        raise ValueError(f"expected 1, 2, 3 or 4 channels, got {c}")
    if c in (2, 4):
        img = composite_alpha(img)
    return np.ascontiguousarray(img[:, :, 0]) if img.shape[2] == 1 else img


def to_bgr(img: np.ndarray) -> np.ndarray:
    """``uint8`` ``HxWx3`` BGR from any image array (:func:`normalize_image`, then 3 channels)."""
    return np.ascontiguousarray(to_channels(normalize_image(img), 3))


def keep_channel_axis(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Restore a trailing channel axis of size 1 that an OpenCV call dropped.

    Args:
        out: the OpenCV result.
        like: the input image whose layout ``out`` should follow.

    Returns:
        ``out`` reshaped to ``HxWx1`` when ``like`` was ``HxWx1`` and ``out`` is 2-D.
    """
    if like.ndim == 3 and out.ndim == 2:
        return out[:, :, None]
    return out


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Convert a decoded image of any depth to ``uint8``.

    16-bit images are scaled by ``255/65535``; float images are taken as ``[0, 1]`` when their
    maximum is at most 1, else as ``[0, 255]``, and clipped.

    Args:
        img: decoded image.

    Returns:
        The ``uint8`` image (``img`` itself when it already is ``uint8``).
    """
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return np.round(img.astype(np.float32) / 257.0).astype(np.uint8)
    if img.dtype == np.int8:
        return (img.astype(np.int16) + 128).astype(np.uint8)
    if np.issubdtype(img.dtype, np.floating):
        f = img.astype(np.float32)
        if f.size and np.nanmax(f) <= 1.0:
            f = f * 255.0
        return np.clip(np.nan_to_num(f), 0, 255).round().astype(np.uint8)
    info = np.iinfo(img.dtype)
    f = (img.astype(np.float64) - info.min) / float(info.max - info.min) * 255.0
    return f.round().astype(np.uint8)


def composite_alpha(img: np.ndarray, background: int = 255) -> np.ndarray:
    """Blend a ``uint8`` image whose last channel is alpha over a flat background and drop the alpha.

    Args:
        img: ``HxWx4`` BGRA or ``HxWx2`` grey + alpha.
        background: grey level of the background (white by default, so dark text on a
            transparent background stays readable).

    Returns:
        ``HxWx3`` or ``HxWx1`` ``uint8`` image.
    """
    color = img[:, :, :-1].astype(np.float32)
    alpha = img[:, :, -1:].astype(np.float32) / 255.0
    out = color * alpha + float(background) * (1.0 - alpha)
    return np.clip(out.round(), 0, 255).astype(np.uint8)


def rec_resized_width(h: int, w: int, img_h: int, img_w: int, padding: bool = True) -> int:
    """Width a text line is resized to: aspect ratio kept, capped at ``img_w``.

    Args:
        h: source height.
        w: source width.
        img_h: target height.
        img_w: target (maximum) width.
        padding: when False the image is stretched to exactly ``img_w``.

    Returns:
        ``min(img_w, ceil(img_h * w / h))`` (at least 1), or ``img_w`` without padding.
    """
    if not padding:
        return img_w
    return max(1, min(img_w, int(math.ceil(img_h * w / float(h)))))


def resize_norm_img(img: np.ndarray, image_shape: Sequence[int], padding: bool = True) -> tuple[np.ndarray, float]:
    """Resize a text-line image to a fixed height, scale to ``[-1, 1]`` and right-pad with zeros.

    Args:
        img: ``HxW``, ``HxWx1`` or ``HxWx3`` ``uint8`` image.
        image_shape: ``(C, H, W)`` of the output; ``C`` is 1 (grey) or 3.
        padding: keep the aspect ratio and pad (True) or stretch to ``W`` (False).

    Returns:
        ``(chw, valid_ratio)``: the ``CxHxW`` float32 tensor and ``resized_w / W`` (at most 1).

    Shape:
        output: ``(C, H, W)``.
    """
    img_c, img_h, img_w = (int(v) for v in image_shape)
    img = to_channels(img, img_c)
    h, w = img.shape[:2]
    resized_w = rec_resized_width(h, w, img_h, img_w, padding)
    resized = cv2.resize(img, (resized_w, img_h), interpolation=cv2.INTER_LINEAR)
    resized = resized.reshape(img_h, resized_w, -1).astype(np.float32)
    resized = (resized / 255.0 - 0.5) / 0.5
    out = np.zeros((img_c, img_h, img_w), dtype=np.float32)
    out[:, :, :resized_w] = resized.transpose(2, 0, 1)
    return out, min(1.0, resized_w / float(img_w))


def to_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """Convert an image to ``channels`` (1 or 3) channels, BGR order assumed for colour.

    Args:
        img: ``HxW``, ``HxWx1`` or ``HxWx3`` image (any dtype), or a ``uint8`` one with alpha
            (``HxWx2``, ``HxWx4``), which is composited over white first as :func:`normalize_image` does.
        channels: 1 or 3.

    Returns:
        ``HxWx1`` or ``HxWx3`` array of the input's dtype.
    """
    if img.ndim == 3 and img.shape[2] in (2, 4):
        img = normalize_image(img)
    if img.ndim == 2:
        img = img[:, :, None]
    c = img.shape[2]
    if c == channels:
        return img
    if channels == 1:
        return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY)[:, :, None]
    return np.repeat(img[:, :, :1], 3, axis=2)


def grid_warp(img: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Warp an image by displacing control points along its top and bottom edges.

    ``n + 1`` control points sit evenly along the top edge and ``n + 1`` along the bottom edge.
    Each gets a displacement ``(dx, dy)`` in pixels; displacements are interpolated linearly
    along x between points and along y between the two edges, and every output pixel samples
    the input at its position plus that displacement. One segment with random corner
    offsets gives a perspective-like warp, several segments give a TIA-style local distortion.
    The border is replicated, so the output never gains black wedges.

    Args:
        img: ``HxW[xC]`` image.
        top: ``(n + 1, 2)`` displacements of the top-edge control points.
        bottom: ``(n + 1, 2)`` displacements of the bottom-edge control points.

    Returns:
        The warped image, same shape and dtype.
    """
    h, w = img.shape[:2]
    top = np.asarray(top, dtype=np.float32)
    bottom = np.asarray(bottom, dtype=np.float32)
    if top.shape != bottom.shape or top.ndim != 2 or top.shape[1] != 2 or top.shape[0] < 2:
        raise ValueError(f"top and bottom must both be (n+1, 2) with n >= 1, got {top.shape} and {bottom.shape}")
    xs = np.arange(w, dtype=np.float32)
    knots = np.linspace(0, max(w - 1, 1), top.shape[0], dtype=np.float32)
    t_dx, t_dy = np.interp(xs, knots, top[:, 0]), np.interp(xs, knots, top[:, 1])
    b_dx, b_dy = np.interp(xs, knots, bottom[:, 0]), np.interp(xs, knots, bottom[:, 1])
    t = (np.arange(h, dtype=np.float32) / float(max(h - 1, 1)))[:, None]
    dx = (1 - t) * t_dx[None, :] + t * b_dx[None, :]
    dy = (1 - t) * t_dy[None, :] + t * b_dy[None, :]
    map_x = (xs[None, :] + dx).astype(np.float32)
    map_y = (np.arange(h, dtype=np.float32)[:, None] + dy).astype(np.float32)
    out = cv2.remap(img, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return keep_channel_axis(out, img)


def gaussian_blur(img: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    """Gaussian blur with an odd kernel size ``ksize`` and standard deviation ``sigma``."""
    if ksize < 1 or ksize % 2 == 0:
        raise ValueError(f"ksize must be a positive odd integer, got {ksize}")
    return keep_channel_axis(cv2.GaussianBlur(img, (ksize, ksize), sigma), img)


def add_noise(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Add a float noise array (broadcastable to ``img``) to a ``uint8`` image, clipping to 0..255."""
    return np.clip(img.astype(np.float32) + noise, 0, 255).round().astype(np.uint8)


def adjust_hsv(img: np.ndarray, hue_shift: float, sat_scale: float, val_scale: float) -> np.ndarray:
    """Shift hue and scale saturation and value of a BGR ``uint8`` image.

    Args:
        img: ``HxWx3`` BGR image (other layouts are returned unchanged).
        hue_shift: added to OpenCV's hue (0..180, wraps around).
        sat_scale: factor on saturation.
        val_scale: factor on value (brightness).

    Returns:
        The adjusted image.
    """
    if img.ndim != 3 or img.shape[2] != 3:
        return img
    hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[:, :, 0] = np.mod(hsv[:, :, 0] + hue_shift, 180.0)
    hsv[:, :, 1] = np.clip(hsv[:, :, 1] * sat_scale, 0, 255)
    hsv[:, :, 2] = np.clip(hsv[:, :, 2] * val_scale, 0, 255)
    return cv2.cvtColor(hsv.round().astype(np.uint8), cv2.COLOR_HSV2BGR)


def adjust_contrast_brightness(img: np.ndarray, contrast: float, brightness: float) -> np.ndarray:
    """Return ``clip((img - mean) * contrast + mean + brightness)`` as ``uint8``."""
    f = img.astype(np.float32)
    mean = float(f.mean()) if f.size else 0.0
    return np.clip((f - mean) * contrast + mean + brightness, 0, 255).round().astype(np.uint8)


def crop_rows(img: np.ndarray, top: int, bottom: int) -> np.ndarray:
    """Remove ``top`` rows from the top and ``bottom`` rows from the bottom, keeping at least one row."""
    h = img.shape[0]
    top = max(0, int(top))
    bottom = max(0, int(bottom))
    if top + bottom >= h:
        return img
    return img[top:h - bottom]


def reverse_colors(img: np.ndarray) -> np.ndarray:
    """Invert a ``uint8`` image (``255 - img``)."""
    return 255 - img


def hconcat_lines(left: np.ndarray, right: np.ndarray, height: int) -> np.ndarray:
    """Resize two text-line images to ``height`` (aspect kept, width rounded) and put them side by side.

    Args:
        left: ``HxW[xC]`` image.
        right: image with the same number of channels.
        height: output height.

    Returns:
        ``height x (w1 + w2) [xC]`` image of the inputs' dtype.

    Raises:
        ValueError: the channel counts differ.
    """
    if left.ndim != right.ndim or (left.ndim == 3 and left.shape[2] != right.shape[2]):
        raise ValueError(f"cannot join lines of shapes {left.shape} and {right.shape}: channels differ")
    parts = [cv2.resize(img, (round(img.shape[1] / img.shape[0] * height), height)) for img in (left, right)]
    return np.concatenate(parts, axis=1)
