"""The vertex-order contract of detected boxes: clockwise on screen, from the top-left, whatever the input order."""
import itertools
import math

import cv2
import numpy as np
import pytest

from ppocr.postprocess.db_postprocess import DBPostProcess, min_area_box
from ppocr.testing.boxes import assert_canonical, assert_same_boxes, same_polygon
from ppocr.utils.geometry import order_corners, order_polygon, signed_area


def _rect(cx, cy, w, h, degrees):
    """Corners of a w x h rectangle turned by ``degrees`` (clockwise on screen), from its own top-left."""
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    local = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return (local @ rot.T + [cx, cy]).astype(np.float32)


def _expected_start(corners):
    s = np.round(corners[:, 0].astype(np.float64) + corners[:, 1], 3)
    return corners[np.lexsort((corners[:, 0], corners[:, 1], s))[0]]


ANGLES = [0, 1, 7, 30, 44.9, 45, 45.1, 60, 89, 90, 91, 135, 180, 225, 300, -8, -45, -80]


@pytest.mark.parametrize("degrees", ANGLES)
@pytest.mark.parametrize("size", [(120, 20), (20, 120), (40, 40)])
def test_rotated_boxes_any_corner_order(degrees, size):
    rect = _rect(200, 150, size[0], size[1], degrees)
    results = [order_corners(rect[list(p)]) for p in itertools.permutations(range(4))]
    for out in results:  # every input order gives the very same array
        np.testing.assert_array_equal(out, results[0])
    out = results[0]
    assert same_polygon(out, rect, atol=1e-4) or same_polygon(out, rect[::-1], atol=1e-4)
    assert signed_area(out) > 0  # clockwise on screen (y down)
    np.testing.assert_array_equal(out[0], _expected_start(rect))
    np.testing.assert_array_equal(order_corners(out), out)  # idempotent


def test_ties_do_not_depend_on_input_order_or_float_noise():
    diamond = np.float32([[50, 0], [100, 50], [50, 100], [0, 50]])  # x + y ties: 50 for two corners
    noisy = diamond + np.float32([[0, 2e-5], [0, 0], [0, 0], [-1e-5, 0]])
    for pts in (diamond, noisy, diamond[::-1], noisy[[2, 0, 3, 1]]):
        out = order_corners(pts)
        np.testing.assert_allclose(out, [[50, 0], [100, 50], [50, 100], [0, 50]], atol=1e-4)  # the upper one starts


def test_axis_aligned_and_self_intersecting_input():
    want = [[10, 10], [90, 10], [90, 30], [10, 30]]
    np.testing.assert_array_equal(order_corners([[10, 30], [90, 10], [10, 10], [90, 30]]), want)  # a bow-tie order
    np.testing.assert_array_equal(order_corners([[90, 30], [10, 30], [10, 10], [90, 10]]), want)  # counter-clockwise


def test_polygons_keep_their_outline():
    # an L-shaped (concave) outline, given counter-clockwise from another vertex
    ell = np.float32([[40, 40], [40, 20], [10, 20], [10, 0], [0, 0], [0, 40]])
    out = order_polygon(ell)
    np.testing.assert_array_equal(out, [[0, 0], [10, 0], [10, 20], [40, 20], [40, 40], [0, 40]])
    assert same_polygon(out, ell[::-1]) and signed_area(out) > 0
    np.testing.assert_array_equal(order_polygon(out), out)


def test_min_area_box_is_ordered_whatever_opencv_returns():
    rng = np.random.default_rng(0)
    for _ in range(50):
        rect = _rect(*rng.uniform(50, 250, 2), *rng.uniform(5, 80, 2), rng.uniform(-180, 180))
        pts = np.concatenate([rect, rect.mean(axis=0, keepdims=True)])[rng.permutation(5)]
        box, short = min_area_box(pts)
        assert_canonical(box)
        assert same_polygon(box, order_corners(cv2.boxPoints(cv2.minAreaRect(pts))), atol=1e-4)
        assert short > 0


@pytest.mark.parametrize("box_type", ["quad", "poly"])
def test_db_boxes_are_ordered_after_scaling(box_type):
    """Rotated text regions in a map scaled differently in x and y: every returned box is in the contract's order."""
    prob = np.zeros((160, 160), np.float32)
    for centre, angle in (((50, 40), 30), ((110, 110), -60), ((60, 120), 80)):
        cv2.fillPoly(prob, [np.round(_rect(*centre, 50, 14, angle)).astype(np.int32)], 1.0)
    post = DBPostProcess(thresh=0.5, box_thresh=0.5, unclip_ratio=1.5, box_type=box_type)
    shape_list = np.array([[320, 200, 160 / 320, 160 / 200]])  # src_h, src_w, ratio_h, ratio_w
    boxes = post(prob[None, None], shape_list)[0]["points"]
    assert len(boxes) == 3
    for box in boxes:
        assert_canonical(box)
    assert_same_boxes(boxes, [np.roll(b, 1, axis=0) for b in boxes])  # the helper ignores the start vertex
    with pytest.raises(AssertionError, match="not the polygon"):
        assert_same_boxes(boxes, [b[::-1] for b in boxes])  # ... but not the orientation
