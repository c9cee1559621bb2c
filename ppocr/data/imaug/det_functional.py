"""Pure polygon and raster math of the text-detection transforms: no dict handling, no randomness.

Conventions:

* A set of polygons is an ``[N, K, 2]`` float32 array of ``(x, y)`` points; polygons with fewer
  than ``K`` points are padded by repeating their last point (a zero-length edge, which no
  computation here is affected by).
* Geometric transforms treat coordinates as continuous with pixel ``(i, j)`` covering
  ``[i, i + 1) x [j, j + 1)``: a horizontal flip maps ``x`` to ``w - x`` and resizing by ``s``
  maps ``x`` to ``s * x``, which is exactly what ``cv2.resize`` does to the pixels.
* The training maps follow PaddleOCR: a polygon is rasterised with ``cv2.fillPoly`` on its
  coordinates as given (here at 1/16 pixel precision instead of truncated to integers) and
  distances are measured from integer pixel positions, so they sit half a pixel off the
  continuous convention; this does not matter for training.

Anchor for the split between math and transforms: ``ppocr/data/imaug/functional.py``.
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np
import pyclipper
import shapely
from shapely.geometry import Polygon
from shapely.validation import explain_validity

#: Fixed-point bits used for pyclipper (integer coordinates) and ``cv2.fillPoly``'s ``shift``.
SUBPIXEL_BITS = 4
_SUBPIXEL = float(1 << SUBPIXEL_BITS)

#: Elements of one ``[edges, H, W]`` block in :func:`edge_distance_map` (bounds its memory).
MAX_DISTANCE_BLOCK = 1 << 22


# --------------------------------------------------------------------------------------------
# polygon sets
# --------------------------------------------------------------------------------------------
def pad_polygons(polys: Sequence[np.ndarray], min_points: int = 4) -> np.ndarray:
    """Stack polygons of different point counts into one ``[N, K, 2]`` float32 array.

    Each polygon is padded to ``K = max(point counts)`` by repeating its last point.

    Args:
        polys: ``(k_i, 2)`` point arrays (``k_i >= 1``).
        min_points: ``K`` of the empty result (``[0, min_points, 2]``).

    Returns:
        The stacked polygons.
    """
    if len(polys) == 0:
        return np.zeros((0, min_points, 2), np.float32)
    k = max(len(p) for p in polys)
    out = np.empty((len(polys), k, 2), np.float32)
    for i, p in enumerate(polys):
        p = np.asarray(p, np.float32).reshape(-1, 2)
        out[i, :len(p)] = p
        out[i, len(p):] = p[-1]
    return out


def unique_points(poly: np.ndarray) -> np.ndarray:
    """Drop consecutive repeated points (padding included) and a closing point equal to the first."""
    poly = np.asarray(poly, np.float64).reshape(-1, 2)
    if len(poly) == 0:
        return poly
    keep = np.ones(len(poly), bool)
    keep[1:] = np.any(poly[1:] != poly[:-1], axis=1)
    poly = poly[keep]
    if len(poly) > 1 and np.all(poly[0] == poly[-1]):
        poly = poly[:-1]
    return poly


def polygon_problems(polys: np.ndarray, min_area: float = 1e-6) -> list[str | None]:
    """Say, for each polygon of a set, why it cannot be a text region (``None`` when it can).

    The checks run vectorised over the set (shapely's array functions); only the rare
    invalid polygons are examined one by one for the message.

    Args:
        polys: ``[N, K, 2]`` points (padding allowed).
        min_area: areas at or below this count as zero.

    Returns:
        Per polygon ``'fewer than 3 distinct points'``, ``'zero area ...'``,
        ``'self-intersecting (...)'`` or ``None``.
    """
    polys = np.asarray(polys, np.float64)
    n = len(polys)
    if n == 0:
        return []
    k = polys.shape[1]
    same = np.all(polys[:, :, None, :] == polys[:, None, :, :], axis=-1)          # [N, K, K]
    distinct = k - np.any(np.tril(same, -1), axis=2).sum(axis=1)
    x, y = polys[..., 0], polys[..., 1]
    area = 0.5 * np.abs((x * np.roll(y, -1, axis=1) - y * np.roll(x, -1, axis=1)).sum(axis=1))
    out: list[str | None] = [None] * n
    candidates = np.flatnonzero(distinct >= 3)
    valid = np.ones(n, bool)
    if len(candidates):
        valid[candidates] = shapely.is_valid(shapely.polygons(polys[candidates]))
    for i in range(n):
        if distinct[i] < 3:
            out[i] = "fewer than 3 distinct points"
        elif not valid[i]:
            out[i] = _invalid_reason(polys[i])
        elif area[i] <= min_area:
            out[i] = "zero area"
    return out


def _invalid_reason(poly: np.ndarray) -> str:
    pts = unique_points(poly)
    centred = pts - pts.mean(axis=0)
    if np.linalg.matrix_rank(centred, tol=1e-9 * max(1.0, float(np.abs(centred).max()))) < 2:
        return "zero area (all points on one line)"
    return f"self-intersecting ({explain_validity(Polygon(pts))})"


def polygon_problem(poly: np.ndarray, min_area: float = 1e-6) -> str | None:
    """:func:`polygon_problems` for one ``(K, 2)`` polygon."""
    return polygon_problems(np.asarray(poly, np.float64).reshape(1, -1, 2), min_area)[0]


def polygon_area(poly: np.ndarray) -> float:
    """Absolute shoelace area of a polygon (padding allowed)."""
    p = np.asarray(poly, np.float64).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_perimeter(poly: np.ndarray) -> float:
    """Perimeter of the closed polygon (zero-length padding edges add nothing)."""
    p = np.asarray(poly, np.float64).reshape(-1, 2)
    return float(np.sum(np.hypot(*(np.roll(p, -1, axis=0) - p).T)))


def clip_polys(polys: np.ndarray, x_max: float, y_max: float) -> np.ndarray:
    """Clip every point to ``[0, x_max] x [0, y_max]`` (point-wise, so the point count is kept)."""
    out = np.array(polys, np.float32, copy=True)
    np.clip(out[..., 0], 0, x_max, out=out[..., 0])
    np.clip(out[..., 1], 0, y_max, out=out[..., 1])
    return out


def polys_outside_rect(polys: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """``[N]`` bool: the polygon lies entirely outside ``[x0, x1] x [y0, y1]`` (touching counts as outside)."""
    if len(polys) == 0:
        return np.zeros(0, bool)
    xs, ys = polys[..., 0], polys[..., 1]
    return (xs.max(1) <= x0) | (xs.min(1) >= x1) | (ys.max(1) <= y0) | (ys.min(1) >= y1)


# --------------------------------------------------------------------------------------------
# geometry
# --------------------------------------------------------------------------------------------
def hflip_polys(polys: np.ndarray, width: int) -> np.ndarray:
    """Mirror polygons left-right in an image ``width`` pixels wide (``x -> width - x``)."""
    out = np.array(polys, np.float32, copy=True)
    out[..., 0] = width - out[..., 0]
    return out


def vflip_polys(polys: np.ndarray, height: int) -> np.ndarray:
    """Mirror polygons top-bottom in an image ``height`` pixels high (``y -> height - y``)."""
    out = np.array(polys, np.float32, copy=True)
    out[..., 1] = height - out[..., 1]
    return out


def affine_matrix(width: int, height: int, rotate: float = 0.0, scale: float = 1.0, shear: float = 0.0,
                  translate: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The ``2x3`` matrix of a rotation/scale/shear about the image centre followed by a shift.

    Args:
        width: image width.
        height: image height.
        rotate: degrees, positive turns the content clockwise on screen (y points down).
        scale: zoom factor.
        shear: degrees of horizontal shear (``x += tan(shear) * y`` about the centre).
        translate: shift ``(dx, dy)`` in pixels.

    Returns:
        ``2x3`` float64 matrix acting on continuous coordinates (see the module docstring).
    """
    cx, cy = width / 2.0, height / 2.0
    a = math.radians(rotate)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    lin = scale * rot @ np.array([[1.0, math.tan(math.radians(shear))], [0.0, 1.0]])
    offset = np.array([cx + translate[0], cy + translate[1]]) - lin @ np.array([cx, cy])
    return np.hstack([lin, offset[:, None]])


def affine_polys(polys: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a ``2x3`` affine matrix (continuous coordinates) to ``[..., 2]`` points."""
    m = np.asarray(matrix, np.float64)
    pts = np.asarray(polys, np.float64)
    return (pts @ m[:, :2].T + m[:, 2]).astype(np.float32)


def warp_affine(img: np.ndarray, matrix: np.ndarray, size: tuple[int, int], border_value: float = 0) -> np.ndarray:
    """Warp an image by a continuous-coordinate ``2x3`` matrix (bilinear, constant border).

    Args:
        img: ``HxW[xC]`` image.
        matrix: the matrix :func:`affine_polys` applies to the polygons.
        size: output ``(width, height)``.
        border_value: fill of pixels that map outside the source.

    Returns:
        The warped image; a trailing channel axis of size 1 is kept.
    """
    m = np.asarray(matrix, np.float64)
    # pixel centres sit at i + 0.5 in continuous coordinates, at i for OpenCV
    cv_m = m.copy()
    cv_m[:, 2] = m[:, 2] + m[:, :2] @ np.array([0.5, 0.5]) - 0.5
    out = cv2.warpAffine(img, cv_m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border_value)
    if img.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def resize_image(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``cv2.resize`` to ``(width, height)`` (bilinear) keeping a trailing channel axis of size 1."""
    out = cv2.resize(img, (int(width), int(height)), interpolation=cv2.INTER_LINEAR)
    if img.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def rotated_rect_corners(width: int, height: int, angle: float) -> np.ndarray:
    """Corners of a ``width x height`` image rotated ``angle`` degrees counter-clockwise, as PIL's
    ``Image.rotate(angle, expand=True)`` places it: ``[4, 2]`` float32, clockwise from the original
    top-left, in the expanded canvas (whose sides are the rotated corners' span, rounded outwards)."""
    rad = math.radians(angle)
    cos, sin = round(math.cos(rad), 15), round(math.sin(rad), 15)  # as PIL rounds them: exact at 90 degrees
    cx, cy = width / 2.0, height / 2.0
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64) - [cx, cy]
    # counter-clockwise on screen (y points down)
    rotated = np.stack([corners[:, 0] * cos + corners[:, 1] * sin, -corners[:, 0] * sin + corners[:, 1] * cos], 1)
    span = [math.ceil(rotated[:, k].max() + c) - math.floor(rotated[:, k].min() + c) for k, c in ((0, cx), (1, cy))]
    return (rotated + np.array(span, np.float64) / 2.0).astype(np.float32)


def rotate_crop(img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Cut the quadrilateral ``quad`` (``[4, 2]``, clockwise from top-left) out of ``img`` as an
    upright rectangle, by a perspective warp (bicubic, border repeated).

    The rectangle is ``int(max(top, bottom edge))`` wide and ``int(max(left, right edge))`` tall
    (truncated, at least 1, as PaddleOCR's CopyPaste cuts; the inference crop rounds), and is
    turned 90 degrees counter-clockwise when at least 1.5 times as tall as wide.
    """
    pts = np.asarray(quad, np.float32)
    w = max(1, int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3]))))
    h = max(1, int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2]))))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    crop = cv2.warpPerspective(img, cv2.getPerspectiveTransform(pts, dst), (w, h), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
    if crop.shape[0] / float(crop.shape[1]) >= 1.5:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


# --------------------------------------------------------------------------------------------
# cropping
# --------------------------------------------------------------------------------------------
def free_cut_positions(extents: np.ndarray, size: int) -> np.ndarray:
    """Where a crop edge may fall without cutting through text, along one axis.

    Args:
        extents: ``[N, 2]`` ``(min, max)`` of each text region on this axis.
        size: image size on this axis.

    Returns:
        ``[size + 1]`` bool over the positions ``0..size`` between pixels; position ``p`` is
        free unless ``floor(min) < p < ceil(max)`` for some text. Both image edges are always free.
    """
    covered = np.zeros(size + 2, np.int32)
    for lo, hi in np.asarray(extents, np.float64).reshape(-1, 2):
        a = int(np.clip(math.floor(lo), 0, size)) + 1
        b = int(np.clip(math.ceil(hi), 0, size))
        if a <= b:
            covered[a] += 1
            covered[b] -= 1
    free = np.cumsum(covered)[:size + 1] == 0
    free[0] = free[size] = True
    return free


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, end_inclusive), ...]`` of the runs of True in a 1-D bool array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(s), int(e) - 1) for s, e in zip(edges[::2], edges[1::2])]


def scale_to_fit(width: int, height: int, out_w: int, out_h: int) -> tuple[int, int, float]:
    """Size of a ``width x height`` image scaled by one factor to fit ``out_w x out_h``.

    Returns:
        ``(new_w, new_h, scale)`` with ``new_w <= out_w``, ``new_h <= out_h``, both at least 1.
    """
    scale = min(out_w / float(width), out_h / float(height))
    return (max(1, min(out_w, int(round(width * scale)))), max(1, min(out_h, int(round(height * scale)))), scale)


# --------------------------------------------------------------------------------------------
# offsetting and training maps
# --------------------------------------------------------------------------------------------
def shrink_distance(poly: np.ndarray, ratio: float) -> float:
    """DB's offset ``D = A (1 - r^2) / L`` for area ``A``, perimeter ``L`` and ratio ``r``."""
    perimeter = polygon_perimeter(poly)
    if perimeter <= 0:
        return 0.0
    return polygon_area(poly) * (1.0 - ratio * ratio) / perimeter


def offset_polygon(poly: np.ndarray, delta: float) -> list[np.ndarray]:
    """Grow (``delta > 0``) or shrink (``delta < 0``) a polygon with round joins (pyclipper).

    Coordinates go through pyclipper at ``1/16`` pixel precision.

    Args:
        poly: ``(K, 2)`` points (padding allowed).
        delta: offset distance in pixels.

    Returns:
        The resulting polygons as float32 ``(M, 2)`` arrays; empty when the shrink eats the
        polygon, several when it splits it.
    """
    pts = unique_points(poly)
    if len(pts) < 3:
        return []
    pco = pyclipper.PyclipperOffset()
    pco.AddPath([tuple(p) for p in np.round(pts * _SUBPIXEL).astype(np.int64).tolist()],
                pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return [np.asarray(r, np.float32).reshape(-1, 2) / _SUBPIXEL for r in pco.Execute(delta * _SUBPIXEL)]


def fill_polys(canvas: np.ndarray, polys: Sequence[np.ndarray], value: float) -> None:
    """Fill polygons (float coordinates, 1/16 px precision) on ``canvas`` in place with ``value``."""
    pts = [np.round(np.asarray(p, np.float64).reshape(-1, 2) * _SUBPIXEL).astype(np.int32) for p in polys]
    pts = [p for p in pts if len(p)]
    if pts:
        cv2.fillPoly(canvas, pts, value, lineType=cv2.LINE_8, shift=SUBPIXEL_BITS)


def edge_distance_map(poly: np.ndarray, x0: int, y0: int, width: int, height: int,
                      max_block: int = MAX_DISTANCE_BLOCK) -> np.ndarray:
    """Distance from each pixel of a window to the nearest edge of a closed polygon.

    Pixel ``(i, j)`` of the window is the point ``(x0 + j, y0 + i)``. All edges are handled at
    once by broadcasting an ``[edges, height, width]`` block (split into blocks of at most
    ``max_block`` elements for large windows or many edges), so no Python loop runs per pixel.

    Args:
        poly: ``(K, 2)`` points; edge ``k`` joins point ``k`` and ``k + 1`` (the last joins the first).
        x0: window left, in image pixels.
        y0: window top.
        width: window width (>= 1).
        height: window height (>= 1).
        max_block: largest number of elements of one broadcast block.

    Returns:
        ``height x width`` float32 distances.
    """
    a = np.asarray(poly, np.float32).reshape(-1, 2)
    b = np.roll(a, -1, axis=0)
    d = b - a
    len2 = (d * d).sum(1)
    inv = np.where(len2 > 0, 1.0 / np.maximum(len2, 1e-12), 0.0).astype(np.float32)
    xs = np.arange(x0, x0 + width, dtype=np.float32)
    ys = np.arange(y0, y0 + height, dtype=np.float32)
    best = np.full((height, width), np.inf, np.float32)
    step = max(1, max_block // max(1, width * height))
    for s in range(0, len(a), step):
        ax, ay = a[s:s + step, 0, None, None], a[s:s + step, 1, None, None]
        dx, dy = d[s:s + step, 0, None, None], d[s:s + step, 1, None, None]
        px = xs[None, None, :] - ax            # [k, 1, W]
        py = ys[None, :, None] - ay            # [k, H, 1]
        t = px * dx + py * dy                  # [k, H, W]: projection onto the edge, in units of |d|^2
        t *= inv[s:s + step, None, None]
        np.clip(t, 0.0, 1.0, out=t)
        ex = px - t * dx
        ey = py - t * dy
        ex *= ex
        ey *= ey
        ex += ey
        np.minimum(best, ex.min(axis=0), out=best)
    return np.sqrt(best)


def draw_border_map(poly: np.ndarray, canvas: np.ndarray, mask: np.ndarray, shrink_ratio: float) -> None:
    """Add one text polygon to DB's threshold canvas and mask, in place.

    The polygon is grown by ``D`` (:func:`shrink_distance`); ``mask`` gets 1 inside the grown
    polygon, and every pixel of its bounding box (clipped to the image) gets
    ``canvas = max(canvas, 1 - min(dist / D, 1))``, where ``dist`` is its distance to the
    nearest edge of the original polygon.

    Args:
        poly: ``(K, 2)`` points.
        canvas: ``HxW`` float32, values in ``[0, 1]``.
        mask: ``HxW`` float32.
        shrink_ratio: ``r`` of ``D = A (1 - r^2) / L``.
    """
    dist = shrink_distance(poly, shrink_ratio)
    if not dist > 0:
        return
    grown = offset_polygon(poly, dist)
    if not grown:
        return
    fill_polys(mask, grown, 1.0)
    pts = np.concatenate(grown)
    h, w = canvas.shape
    x_lo = max(0, int(math.floor(pts[:, 0].min())))
    x_hi = min(w - 1, int(math.ceil(pts[:, 0].max())))
    y_lo = max(0, int(math.floor(pts[:, 1].min())))
    y_hi = min(h - 1, int(math.ceil(pts[:, 1].max())))
    if x_lo > x_hi or y_lo > y_hi:
        return
    dmap = edge_distance_map(poly, x_lo, y_lo, x_hi - x_lo + 1, y_hi - y_lo + 1)
    dmap *= np.float32(1.0 / dist)
    np.clip(dmap, 0.0, 1.0, out=dmap)
    np.subtract(1.0, dmap, out=dmap)
    region = canvas[y_lo:y_hi + 1, x_lo:x_hi + 1]
    np.fmax(region, dmap, out=region)


def shrink_polygon(poly: np.ndarray, shrink_ratio: float) -> np.ndarray | None:
    """Shrink a text polygon for DB's probability map; ``None`` when it cannot be shrunk.

    Tries ``r = shrink_ratio`` first; if the shrink splits the polygon (curved or thin text)
    or removes it, tries milder ratios ``2r, 3r, ... < 1`` and keeps the first that leaves
    exactly one polygon.

    Args:
        poly: ``(K, 2)`` points.
        shrink_ratio: ``r`` of ``D = A (1 - r^2) / L``, in ``(0, 1)``.

    Returns:
        The shrunk polygon, ``(M, 2)`` float32, or ``None``.
    """
    ratios = np.arange(shrink_ratio, 1.0 - 1e-9, shrink_ratio) if shrink_ratio < 1 else [1.0]
    for r in ratios:
        pieces = offset_polygon(poly, -shrink_distance(poly, float(r)))
        if len(pieces) == 1:
            return pieces[0]
    return None


# --------------------------------------------------------------------------------------------
# evaluation resize
# --------------------------------------------------------------------------------------------
def round_to_multiple(value: float, base: int = 32, mode: str = "round") -> int:
    """Round ``value`` to a multiple of ``base`` (``round``, ``floor`` or ``ceil``), at least ``base``."""
    f = {"round": round, "floor": math.floor, "ceil": math.ceil}[mode]
    return max(base, int(f(value / base)) * base)


def cap_side(h: int, w: int, max_side: int | None, base: int = 32) -> tuple[int, int]:
    """Scale ``(h, w)`` down so the longer side is at most ``max_side``; multiples of ``base`` kept.

    Returns ``(h, w)`` unchanged when already small enough or ``max_side`` is ``None``.
    """
    if max_side is None or max(h, w) <= max_side:
        return h, w
    s = max_side / float(max(h, w))
    return round_to_multiple(h * s, base, "floor"), round_to_multiple(w * s, base, "floor")
