"""The vertex order of every box the toolkit returns.

Detection returns quads (``[4, 2]``) or polygons (``[K, 2]``) in image pixels (x right, y down).
Their vertex order is a contract, the same in training-time inference, ``predict_det``,
``predict_system``, results files and visualisation, and it does not depend on how a library
(OpenCV's ``minAreaRect``/``boxPoints``, ``findContours``) happens to list the corners:

* **orientation**: clockwise on screen (with y pointing down), i.e. a positive shoelace area;
* **start**: the top-left vertex, the one with the smallest ``x + y`` (PaddleOCR's
  ``order_points_clockwise``); ties, counted after rounding to 1/1000 px so that float noise
  does not decide them, go to the smaller ``y``, then the smaller ``x``;
* quads are put in that order from their corner *set* (any input order gives the same
  result); polygons keep their sequence of vertices and are only reversed and rotated.

Example:
    >>> order_corners([[10, 30], [90, 10], [10, 10], [90, 30]]).tolist()
    [[10.0, 10.0], [90.0, 10.0], [90.0, 30.0], [10.0, 30.0]]
"""
from __future__ import annotations

import numpy as np

#: Decimal places kept when comparing ``x + y`` for the start vertex (see the module docstring).
TIE_DECIMALS = 3


def _start_index(pts: np.ndarray) -> int:
    """Index of the top-left vertex: smallest rounded ``x + y``, then smaller ``y``, then ``x``."""
    s = np.round(pts[:, 0].astype(np.float64) + pts[:, 1], TIE_DECIMALS)
    return int(np.lexsort((pts[:, 0], pts[:, 1], s))[0])


def signed_area(points: np.ndarray) -> float:
    """Shoelace area of a polygon in image axes: positive when its vertices run clockwise on screen.

    Args:
        points: ``[K, 2]`` x, y.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x, y = pts[:, 0], pts[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))


def order_corners(corners: np.ndarray) -> np.ndarray:
    """Put four corners in the toolkit's order: clockwise on screen from the top-left.

    The corners are sorted by their angle around the centroid (which also untangles a quad given
    in a self-intersecting order), then rotated to start at the top-left vertex.

    Args:
        corners: ``[4, 2]`` x, y in any order.

    Returns:
        ``[4, 2]`` float32: top-left, top-right, bottom-right, bottom-left.
    """
    pts = np.asarray(corners, dtype=np.float32).reshape(4, 2)
    centre = pts.astype(np.float64).mean(axis=0)
    angle = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])  # grows clockwise on screen
    cyclic = pts[np.lexsort((pts[:, 1], pts[:, 0], angle))]
    return np.roll(cyclic, -_start_index(cyclic), axis=0)


def order_polygon(points: np.ndarray) -> np.ndarray:
    """Orient a polygon clockwise on screen and start it at its top-left vertex.

    The sequence of vertices is kept (a concave outline stays the same outline); it is only
    reversed when it runs counter-clockwise, and rotated.

    Args:
        points: ``[K, 2]`` x, y (``K >= 3``).

    Returns:
        ``[K, 2]`` float32.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if signed_area(pts) < 0:
        pts = pts[::-1]
    return np.ascontiguousarray(np.roll(pts, -_start_index(pts), axis=0))
