"""DBPostProcess on synthetic probability maps: known boxes come back, edge cases do not crash."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import paddle
import pyclipper
import pytest
from shapely.geometry import Polygon

from ppocr.postprocess import build_post_process
from ppocr.postprocess.db_postprocess import DBPostProcess, to_source_pixels, unclip
from ppocr.utils.errors import ConfigError

SHRINK_RATIO = 0.4  # what MakeShrinkMap uses; unclip_ratio 1.5 about undoes it


def _shrunk(poly, ratio=SHRINK_RATIO):
    """The DB label core of a text polygon: offset inwards by area * (1 - r^2) / perimeter."""
    p = Polygon(poly)
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(np.round(poly).astype(int).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(offset.Execute(-p.area * (1 - ratio ** 2) / p.length)[0])


def _prob_map(h, w, polys, value=1.0):
    m = np.zeros((h, w), np.float32)
    for poly in polys:
        cv2.fillPoly(m, [_shrunk(np.asarray(poly, np.float64)).astype(np.int32)], value)
    return m


def _rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def _iou(a, b):
    a, b = Polygon(a), Polygon(b)
    return a.intersection(b).area / a.union(b).area


def _match(boxes, expected, tol):
    """Each expected quad has a returned quad whose ordered corners are within ``tol`` px."""
    assert len(boxes) == len(expected)
    for want in expected:
        assert min(np.abs(np.asarray(b) - want).max() for b in boxes) <= tol, (boxes, want)


def test_eval_keys_and_defaults():
    post = build_post_process({"name": "DBPostProcess"})
    assert post.eval_keys == ("shape_list",)
    assert (post.thresh, post.box_thresh, post.max_candidates, post.unclip_ratio) == (0.3, 0.7, 1000, 2.0)
    assert "box_type='quad'" in repr(post)


def test_recovers_axis_aligned_boxes_in_map_pixels():
    rects = [_rect(10, 10, 60, 30), _rect(20, 40, 90, 58)]
    maps = _prob_map(64, 96, rects)[None, None]
    (result,) = DBPostProcess(unclip_ratio=1.5)({"maps": paddle.to_tensor(maps)}, None)
    points = result["points"]
    assert isinstance(points, np.ndarray) and points.shape == (2, 4, 2) and points.dtype == np.float32
    _match(points, rects, tol=2.0)  # corners come back clockwise from the top-left
    np.testing.assert_allclose(result["scores"], 1.0)


def test_shape_list_maps_to_source_pixels():
    rects = [_rect(10, 10, 60, 30)]
    maps = _prob_map(64, 96, rects)[None, None]
    # The eval resize shrank a 128 x 192 source by (0.5, 0.5), and a 256 x 128 one by (0.25, 0.75).
    shape_list = paddle.to_tensor([[128, 192, 0.5, 0.5], [256, 128, 0.25, 0.75]], dtype="float32")
    result = DBPostProcess(unclip_ratio=1.5)(np.concatenate([maps, maps]), shape_list)
    _match(result[0]["points"], [rects[0] / [0.5, 0.5]], tol=4.0)
    _match(result[1]["points"], [rects[0] / [0.75, 0.25]], tol=8.0)  # 2 map px, scaled by 1 / 0.25


def test_recovers_a_rotated_rectangle():
    corners = cv2.boxPoints(((48, 48), (60, 20), 30)).astype(np.float64)
    maps = _prob_map(96, 96, [corners])[None, None]
    (result,) = DBPostProcess(unclip_ratio=1.5, box_thresh=0.6)(maps, np.array([[96, 96, 1.0, 1.0]]))
    (box,) = result["points"]
    assert _iou(box, corners) > 0.85
    # same corners, whatever order cv2 gave them in
    dists = np.linalg.norm(box[:, None] - corners[None], axis=-1)
    assert dists.min(axis=1).max() <= 3.0, (box, corners)


def test_poly_mode_returns_polygons():
    rects = [_rect(10, 10, 60, 30), _rect(20, 40, 90, 58)]
    maps = _prob_map(64, 96, rects)[None, None]
    (result,) = DBPostProcess(unclip_ratio=1.5, box_type="poly")(maps, None)
    assert isinstance(result["points"], list) and len(result["points"]) == 2
    for poly in result["points"]:
        assert poly.ndim == 2 and poly.shape[1] == 2 and len(poly) >= 4
        rect = max(rects, key=lambda r: _iou(poly, r))
        # rounded corners (the unclip offset joins round) but the extent within a few pixels
        assert _iou(poly, rect) > 0.7
        bounds, want = np.r_[poly.min(0), poly.max(0)], np.r_[rect.min(0), rect.max(0)]
        assert np.abs(bounds - want).max() <= 3.0, (bounds, want)


@pytest.mark.parametrize("box_type", ["quad", "poly"])
@pytest.mark.parametrize("fill", [0.0, 1.0, np.nan])
def test_empty_full_and_nan_maps(box_type, fill):
    maps = np.full((2, 1, 32, 48), fill, np.float32)
    result = DBPostProcess(box_type=box_type)(maps, np.array([[64, 96, 0.5, 0.5]] * 2))
    assert len(result) == 2
    for r in result:
        if fill == 1.0:  # one region covering everything, clipped to the source image
            assert len(r["points"]) == 1
            pts = np.asarray(r["points"][0])
            assert pts[:, 0].min() == 0 and pts[:, 0].max() == 95 and pts[:, 1].max() == 63
        else:
            assert len(r["points"]) == 0 and len(r["scores"]) == 0
            if box_type == "quad":
                assert r["points"].shape == (0, 4, 2)
            else:
                assert r["points"] == []


def test_specks_and_lines_are_dropped():
    maps = np.zeros((1, 1, 32, 32), np.float32)
    maps[0, 0, 5, 5] = 1.0  # one pixel
    maps[0, 0, 10, 2:30] = 1.0  # a 1-pixel-thin line
    maps[0, 0, 20:22, 20:22] = 1.0  # 2x2
    for box_type in ("quad", "poly"):
        (result,) = DBPostProcess(box_type=box_type)(maps, None)
        assert len(result["points"]) == 0


def test_box_thresh_and_score_modes():
    rects = [_rect(10, 10, 60, 30)]
    maps = _prob_map(64, 96, rects, value=0.5)[None, None]
    assert len(DBPostProcess(box_thresh=0.6)(maps, None)[0]["points"]) == 0
    for mode in ("fast", "slow"):
        (result,) = DBPostProcess(box_thresh=0.4, score_mode=mode, unclip_ratio=1.5)(maps, None)
        _match(result["points"], rects, tol=2.0)
        assert result["scores"][0] == pytest.approx(0.5, abs=0.05)


def test_max_candidates_and_dilation():
    maps = np.zeros((1, 1, 64, 64), np.float32)
    for y in (4, 24, 44):
        maps[0, 0, y:y + 12, 8:56] = 1.0
    assert len(DBPostProcess(max_candidates=2)(maps, None)[0]["points"]) <= 2
    assert len(DBPostProcess()(maps, None)[0]["points"]) == 3
    split = np.zeros((1, 1, 32, 64), np.float32)
    split[0, 0, 8:20, 4:30] = 1.0
    split[0, 0, 8:20, 31:60] = 1.0  # a one-pixel gap
    assert len(DBPostProcess()(split, None)[0]["points"]) == 2
    assert len(DBPostProcess(use_dilation=True)(split, None)[0]["points"]) == 1


def test_clipped_to_the_image():
    maps = _prob_map(32, 32, [_rect(-6, 4, 20, 20)])[None, None]
    (result,) = DBPostProcess(unclip_ratio=3.0)(maps, np.array([[64, 64, 0.5, 0.5]]))
    pts = result["points"]
    assert len(pts) == 1 and pts.min() >= 0 and pts.max() <= 63


def test_argument_and_input_errors():
    with pytest.raises(ConfigError, match="box_type"):
        build_post_process({"name": "DBPostProcess", "box_type": "rect"})
    with pytest.raises(ConfigError, match="score_mode"):
        build_post_process({"name": "DBPostProcess", "score_mode": "exact"})
    with pytest.raises(ConfigError, match="thresh"):
        build_post_process({"name": "DBPostProcess", "thresh": 3})
    with pytest.raises(ConfigError, match="unclip_ratio"):
        build_post_process({"name": "DBPostProcess", "unclip_ratio": 0})
    post = DBPostProcess()
    with pytest.raises(ValueError, match="'maps'"):
        post({"logits": np.zeros((1, 1, 8, 8))}, None)
    with pytest.raises(ValueError, match="shape_list"):
        post(np.zeros((2, 1, 8, 8)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        post(np.zeros((8, 8)), None)


def test_whole_pixels_as_paddleocr():
    """PaddleOCR's arithmetic: the unclip runs on the corners truncated to whole pixels, and boxes come back in
    whole source pixels, round(x / map_w * src_w)."""
    corners = cv2.boxPoints(((48.3, 40.6), (60.2, 18.7), 17)).astype(np.float64)
    (grown,) = unclip(corners, 1.5)
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(np.trunc(corners).astype(int).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    (want,) = offset.Execute(Polygon(corners).area * 1.5 / Polygon(corners).length)
    np.testing.assert_array_equal(grown, want)
    maps = _prob_map(96, 96, [corners])[None, None]
    (result,) = DBPostProcess(unclip_ratio=1.5, box_thresh=0.5)(maps, np.array([[130, 150, 96 / 130, 96 / 150]]))
    assert len(result["points"]) == 1
    np.testing.assert_array_equal(result["points"], np.round(result["points"]))
    # the map covers the resized image: x / 96 * 150 in float32; a padded map (ratio * src != map size): x / ratio
    np.testing.assert_array_equal(to_source_pixels(np.array([10.0, 47.9]), 96, 150, 96 / 150), [16, 75])
    np.testing.assert_array_equal(to_source_pixels(np.array([10.0, 47.9]), 128, 150, 96 / 150), [16, 75])  # not 12, 56
