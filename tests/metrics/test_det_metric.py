"""DetMetric against hand-computed precision / recall / h-mean (ICDAR 2015 rules)."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.metrics import build_metric
from ppocr.metrics.det_metric import DetMetric, to_polygon
from ppocr.postprocess.db_postprocess import DBPostProcess
from ppocr.utils.errors import ConfigError


def box(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def preds(*images):
    """Per image a list of quads, as DBPostProcess returns them."""
    return [{"points": np.array(quads, np.float32).reshape(-1, 4, 2)} for quads in images]


def batch(*images):
    """Per image a list of (quad, ignore); padded to one [B, N, 4, 2] array as the loader collates."""
    n = max(len(im) for im in images)
    polys = np.zeros((len(images), n, 4, 2), np.float32)
    tags = np.zeros((len(images), n), bool)
    for i, im in enumerate(images):
        for j, (quad, ignore) in enumerate(im):
            polys[i, j], tags[i, j] = quad, ignore
    return {"polys": polys, "ignore_tags": tags}


def prh(p, r):
    return {"precision": p, "recall": r, "hmean": 2 * p * r / (p + r) if p + r else 0.0}


def check(got, want):
    assert set(got) == {"precision", "recall", "hmean"}
    for k in want:
        assert got[k] == pytest.approx(want[k], abs=1e-9), (k, got, want)


A, B, C = box(0, 0, 40, 10), box(0, 20, 40, 30), box(50, 0, 90, 10)


def test_perfect_and_builder():
    m = build_metric({"name": "DetMetric", "main_indicator": "hmean"})
    assert m.main_indicator == "hmean"
    check(m(preds([A + 1, B]), batch([(A, False), (B, False)])), prh(1.0, 1.0))
    check(m.get_metric(), prh(1.0, 1.0))
    check(m.get_metric(), prh(0.0, 0.0))  # get_metric reset the totals


def test_dont_care_false_positive_and_weak_overlap():
    # A matched; the prediction on do-not-care C is dropped; one prediction far away is a false
    # positive; the one on B overlaps it with IoU 1/3 only, so B is missed and it is a false positive.
    m = DetMetric()
    p = preds([A, box(52, 0, 88, 10), box(100, 100, 120, 110), box(20, 20, 60, 30)])
    got = m(p, batch([(A, False), (B, False), (C, True)]))
    check(got, prh(1 / 3, 1 / 2))
    assert got["hmean"] == pytest.approx(0.4)


def test_prediction_half_inside_dont_care_is_kept():
    # intersection / prediction area = 0.5 is not > 0.5: the prediction counts (as a false positive)
    m = DetMetric()
    check(m(preds([box(70, 0, 110, 10)]), batch([(C, True)])), prh(0.0, 0.0))
    assert (m.num_det, m.num_gt, m.matched) == (1, 0, 0)


def test_matching_is_one_to_one():
    m = DetMetric()
    check(m(preds([A, A + 0.5]), batch([(A, False)])), prh(0.5, 1.0))
    check(m(preds([A]), batch([(A, False), (A + 0.5, False)])), prh(1.0, 0.5))


def test_iou_threshold_edge():
    gt = box(0, 0, 10, 10)
    check(DetMetric()(preds([box(0, 0, 10, 5)]), batch([(gt, False)])), prh(1.0, 1.0))  # IoU 0.5
    check(DetMetric()(preds([box(0, 0, 10, 4.9)]), batch([(gt, False)])), prh(0.0, 0.0))  # IoU 0.49


def test_no_predictions_no_ground_truth_and_accumulation():
    m = DetMetric()
    check(m(preds([]), batch([(A, False), (B, False)])), prh(0.0, 0.0))  # 2 missed
    no_gt = {"polys": np.zeros((1, 0, 4, 2), np.float32), "ignore_tags": np.zeros((1, 0), bool)}
    check(m(preds([C]), no_gt), prh(0.0, 0.0))  # 1 false positive
    check(m(preds([], [A]), batch([], [(A, False)])), prh(1.0, 1.0))  # a batch of two images
    # totals: 1 matched of 3 ground truths and 2 predictions
    check(m.get_metric(), prh(1 / 2, 1 / 3))


def test_accumulates_over_two_batches():
    m = DetMetric()
    check(m(preds([A]), batch([(A, False), (B, False)])), prh(1.0, 0.5))
    check(m(preds([C, B]), batch([(C, False)])), prh(0.5, 1.0))
    check(m.get_metric(), prh(2 / 3, 2 / 3))


def test_dont_care_ground_truth_is_not_counted():
    m = DetMetric()
    check(m(preds([]), batch([(A, True)])), prh(0.0, 0.0))
    assert m.num_gt == 0
    check(m(preds([A]), batch([(A, True), (B, False)])), prh(0.0, 0.0))  # A's prediction dropped, B missed
    assert (m.num_gt, m.num_det) == (1, 0)


def test_paddle_tensors_and_ragged_polygons():
    m = DetMetric()
    tensors = {k: paddle.to_tensor(v) for k, v in batch([(A, False), (B, False)]).items()}
    check(m(preds([A, B]), tensors), prh(1.0, 1.0))
    poly_preds = [{"points": [A, np.array([[0, 20], [20, 18], [40, 20], [40, 30], [0, 30]], np.float32)]}]
    check(m(poly_preds, {"polys": [np.stack([A, B])], "ignore_tags": [np.array([False, False])]}), prh(1.0, 1.0))


def test_invalid_polygons_do_not_crash():
    bowtie = np.array([[0, 0], [40, 10], [40, 0], [0, 10]], np.float32)  # self-intersecting
    assert to_polygon(bowtie) is not None and to_polygon(bowtie).area > 0
    assert to_polygon(np.zeros((4, 2))) is None
    assert to_polygon(np.array([[0, 0], [1, 1], [2, 2], [3, 3]])) is None  # collinear
    assert to_polygon(np.array([[0, 0], [np.nan, 1], [2, 0]])) is None
    m = DetMetric()
    nan_box = np.full((4, 2), np.nan, np.float32)
    got = m(preds([bowtie, nan_box, A]), batch([(bowtie, False), (np.zeros((4, 2)), False), (A, False)]))
    # the zero polygon (padding) is ignored, the NaN prediction too; A matches, the bowtie matches itself
    check(got, prh(1.0, 1.0))


def test_end_to_end_with_db_postprocess():
    maps = np.zeros((1, 1, 64, 96), np.float32)
    maps[0, 0, 14:27, 14:57] = 1.0  # the shrunk core of a text box at (10, 10)-(60, 30)
    shape_list = np.array([[128, 192, 0.5, 0.5]])
    result = DBPostProcess(unclip_ratio=1.5)(maps, shape_list)
    check(DetMetric()(result, batch([(box(20, 20, 120, 60), False)])), prh(1.0, 1.0))


def test_errors():
    with pytest.raises(ConfigError, match="hmean"):
        build_metric({"name": "DetMetric", "main_indicator": "f1"})
    m = DetMetric()
    with pytest.raises(ValueError, match="ignore_tags"):
        m(preds([A]), {"polys": np.zeros((1, 0, 4, 2))})
    with pytest.raises(ValueError, match="2 predictions"):
        m(preds([A], [B]), batch([(A, False)]))
