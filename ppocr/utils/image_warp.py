"""Perspective warps that give the same pixels on every OpenCV release.

``cv2.warpPerspective`` changed between OpenCV 4 and 5: with the same matrix, OpenCV 5.1 gives a quarter of
a text crop's pixels a value 1-4 levels away from OpenCV 4.10's, which is enough for a recogniser to read
"So" as "Sa". PaddleOCR's released results were made on OpenCV 4, whose ``warpPerspective`` samples the
source on a 1/32-pixel grid and interpolates with fixed-point coefficients through ``cv2.remap``. Here that
sampling grid is computed in numpy, as OpenCV 4 computes it (destination blocks of at most 1024 pixels,
positions in double precision, rounded half to even), and handed to ``cv2.remap`` in its fixed-point form,
whose interpolation both releases share.

Example:
    >>> matrix = cv2.getPerspectiveTransform(corners, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    >>> crop = warp_perspective(page, matrix, (w, h))      # the pixels OpenCV 4's warpPerspective gives
"""
from __future__ import annotations

import cv2
import numpy as np

#: Sub-pixel positions are multiples of ``1 / TAB_SIZE`` (OpenCV's ``INTER_TAB_SIZE``).
INTER_BITS = 5
TAB_SIZE = 1 << INTER_BITS
#: OpenCV computes the sampling grid in destination blocks of at most ``BLOCK * BLOCK`` pixels.
BLOCK = 32
#: Interpolation weights are integers scaled by ``COEF_SCALE`` (OpenCV's ``INTER_REMAP_COEF_SCALE``).
COEF_BITS = 15
COEF_SCALE = 1 << COEF_BITS
#: ``remap_cubic`` works through the output in chunks of about this many pixels (bounded memory).
PIXELS_PER_CHUNK = 1 << 15


def _block_width(width: int, height: int) -> int:
    """Width of OpenCV 4's destination blocks (``bh0 = min(16, h)``, ``bw0 = min(1024 // bh0, w)``)."""
    return min(BLOCK * BLOCK // min(BLOCK // 2, height), width)


def perspective_grid(inverse: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-point sampling grid of a ``width`` x ``height`` destination (``cv2.remap``'s two-map form).

    Args:
        inverse: 3x3 matrix from destination to source pixels.
        width: destination width.
        height: destination height.

    Returns:
        ``(xy, alpha)``: int16 ``[H, W, 2]`` whole source pixels and uint16 ``[H, W]`` indices of the
        1/32-pixel fractions (``y_frac * 32 + x_frac``).
    """
    m = np.asarray(inverse, np.float64).reshape(3, 3)
    xs = np.arange(width, dtype=np.float64)
    start = np.floor_divide(np.arange(width), _block_width(width, height)) * _block_width(width, height)
    offset = xs - start  # OpenCV adds m[., 0] * offset to the value at the block's first column
    ys = np.arange(height, dtype=np.float64)[:, None]
    start = start.astype(np.float64)[None, :]

    def along(row: np.ndarray) -> np.ndarray:
        return (row[0] * start + row[1] * ys + row[2]) + row[0] * offset[None, :]

    x, y, w = along(m[0]), along(m[1]), along(m[2])
    scale = np.divide(TAB_SIZE, w, out=np.zeros_like(w), where=w != 0)
    limit = (np.iinfo(np.int32).min, np.iinfo(np.int32).max)
    xi = np.rint(np.clip(x * scale, *limit)).astype(np.int64)
    yi = np.rint(np.clip(y * scale, *limit)).astype(np.int64)
    xy = np.stack([xi >> INTER_BITS, yi >> INTER_BITS], axis=-1)
    xy = np.clip(xy, np.iinfo(np.int16).min, np.iinfo(np.int16).max).astype(np.int16)
    alpha = ((yi & (TAB_SIZE - 1)) * TAB_SIZE + (xi & (TAB_SIZE - 1))).astype(np.uint16)
    return xy, alpha


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """OpenCV's bicubic weights (``A = -0.75``) of the four taps around fraction ``t``, in float32."""
    a = np.float32(-0.75)
    one = np.float32(1)
    t = t.astype(np.float32)
    w0 = ((a * (t + one) - np.float32(5) * a) * (t + one) + np.float32(8) * a) * (t + one) - np.float32(4) * a
    w1 = ((a + np.float32(2)) * t - (a + np.float32(3))) * t * t + one
    u = one - t
    w2 = ((a + np.float32(2)) * u - (a + np.float32(3))) * u * u + one
    w3 = one - w0 - w1 - w2
    return np.stack([w0, w1, w2, w3], axis=-1)


def cubic_table() -> np.ndarray:
    """OpenCV's fixed-point bicubic table: int32 ``[TAB_SIZE**2, 4, 4]`` weights that sum to ``2**15``.

    Entry ``fy * 32 + fx`` holds ``round(wy[k1] * wx[k2] * 2**15)``; when the rounded weights do not sum to
    ``2**15``, the difference goes to the largest (sum too small) or smallest (too large) of the four
    weights ``[2:4, 2:4]``, where OpenCV puts it.
    """
    frac = _cubic_weights(np.arange(TAB_SIZE, dtype=np.float32) / np.float32(TAB_SIZE))
    table = np.zeros((TAB_SIZE * TAB_SIZE, 4, 4), np.int32)
    for fy in range(TAB_SIZE):
        for fx in range(TAB_SIZE):
            w = np.rint((frac[fy][:, None] * frac[fx][None, :]) * np.float32(COEF_SCALE)).astype(np.int32)
            diff = int(w.sum()) - COEF_SCALE
            if diff:
                lo = hi = (2, 2)
                for k1 in (2, 3):
                    for k2 in (2, 3):
                        if w[k1, k2] < w[lo]:
                            lo = (k1, k2)
                        elif w[k1, k2] > w[hi]:
                            hi = (k1, k2)
                w[hi if diff < 0 else lo] -= diff
            table[fy * TAB_SIZE + fx] = w
    return table


_TABLE: list[np.ndarray] = []


def remap_cubic(img: np.ndarray, xy: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """OpenCV 4's fixed-point bicubic ``remap`` of ``img`` with a two-map grid, borders replicated.

    Each output value is ``(sum of 16 weights * pixels + 2**14) >> 15``, saturated to the dtype's range. The
    sums are taken as float64 products of integers, which are exact (far below 2**53).
    """
    if not _TABLE:
        _TABLE.append(cubic_table().reshape(-1, 16).astype(np.float64))
    h, w = img.shape[:2]
    flat = img.reshape(h * w, -1)
    x = xy[..., 0].reshape(-1).astype(np.intp)
    y = xy[..., 1].reshape(-1).astype(np.intp)
    weights_of = alpha.reshape(-1).astype(np.intp)
    info = np.iinfo(img.dtype)
    out = np.empty((x.size, flat.shape[1]), img.dtype)
    taps = np.arange(-1, 3)
    for start in range(0, x.size, PIXELS_PER_CHUNK):
        part = slice(start, start + PIXELS_PER_CHUNK)
        cols = np.clip(x[part, None] + taps, 0, w - 1)
        rows = np.clip(y[part, None] + taps, 0, h - 1)
        index = (rows[:, :, None] * w + cols[:, None, :]).reshape(-1, 16)  # row-major 4 x 4 neighbourhood
        total = np.matmul(_TABLE[0][weights_of[part]][:, None, :], flat[index].astype(np.float64))[:, 0]
        out[part] = np.clip((total.astype(np.int64) + (1 << (COEF_BITS - 1))) >> COEF_BITS, info.min, info.max)
    return out.reshape(xy.shape[:2] + img.shape[2:])


def warp_perspective(img: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``cv2.warpPerspective(img, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)`` as
    OpenCV 4 computes it, on any OpenCV.

    Args:
        img: ``HxW[xC]`` ``uint8`` image.
        matrix: 3x3 source-to-destination transform (``cv2.getPerspectiveTransform``).
        size: ``(width, height)`` of the output.

    Returns:
        The warped image, ``img``'s dtype and channels.

    Raises:
        ValueError: ``size`` not two positive integers, ``img`` not ``uint8``, or ``matrix`` not invertible.
    """
    width, height = (int(v) for v in size)
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be a positive (width, height), got {size!r}")
    if img.dtype != np.uint8:
        raise ValueError(f"warp_perspective takes uint8 images, got {img.dtype}")
    ok, inverse = cv2.invert(np.asarray(matrix, np.float64).reshape(3, 3), flags=cv2.DECOMP_LU)
    if not ok:
        raise ValueError(f"the perspective matrix is singular: {np.asarray(matrix).tolist()}")
    xy, alpha = perspective_grid(inverse, width, height)
    return remap_cubic(img, xy, alpha)
