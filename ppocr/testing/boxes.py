"""Comparing detected boxes in tests: as polygons, whatever vertex they start at."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ppocr.utils.geometry import order_corners, order_polygon, signed_area


def same_polygon(a: np.ndarray, b: np.ndarray, atol: float = 1e-3) -> bool:
    """Whether two polygons have the same vertices in the same cyclic order (any start vertex).

    Args:
        a: ``[K, 2]`` x, y.
        b: ``[K, 2]`` x, y.
        atol: tolerance per coordinate, in pixels.
    """
    a = np.asarray(a, np.float64).reshape(-1, 2)
    b = np.asarray(b, np.float64).reshape(-1, 2)
    if a.shape != b.shape:
        return False
    return any(np.allclose(np.roll(a, -k, axis=0), b, atol=atol) for k in range(len(a)))


def assert_same_boxes(got: Sequence[np.ndarray], want: Sequence[np.ndarray], atol: float = 1e-3) -> None:
    """Assert box ``i`` of ``got`` is polygon ``i`` of ``want`` (:func:`same_polygon`), and that every
    box in ``got`` is already in the toolkit's vertex order (:mod:`ppocr.utils.geometry`)."""
    assert len(got) == len(want), f"{len(got)} boxes, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g, np.float32).reshape(-1, 2)
        assert same_polygon(g, w, atol), f"box {i}: {g.tolist()} is not the polygon {np.asarray(w).tolist()}"
        assert_canonical(g, f"box {i}")


def assert_canonical(box: np.ndarray, what: str = "box") -> None:
    """Assert ``box`` is clockwise on screen and starts at its top-left vertex."""
    box = np.asarray(box, np.float32).reshape(-1, 2)
    ordered = order_corners(box) if len(box) == 4 else order_polygon(box)
    np.testing.assert_array_equal(box, ordered, err_msg=f"{what} is not in the toolkit's vertex order")
    assert signed_area(box) >= 0, f"{what} runs counter-clockwise"
