"""Distillation losses against numpy formulas of PaddleOCR's definitions, and the MultiHead branch alias."""
import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.losses import build_loss
from ppocr.utils.errors import ConfigError


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_dkd_matches_formula():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(2, 3, 5)).astype("float32"), rng.normal(size=(2, 3, 5)).astype("float32")
    label = np.array([[2, 1, 3, 4, 0], [2, 4, 0, 0, 0]], dtype="int64")  # start, chars, end, padding
    batch = {"label_gtc": paddle.to_tensor(label), "length": paddle.to_tensor([2, 1])}
    preds = {"Student": {"head_out": {"gtc": paddle.to_tensor(s)}}, "Teacher": {"head_out": {"nrtr": paddle.to_tensor(t)}}}
    loss = build_loss({"name": "DistillationDKDLoss", "model_name_pairs": [["Student", "Teacher"]], "key": "head_out",
                       "multi_head": True, "dis_head": "gtc", "alpha": 1.0, "beta": 2.0})(preds, batch)
    tgt = label[:, 1:4].reshape(-1)
    ps, pt = _softmax(s.reshape(-1, 5)), _softmax(t.reshape(-1, 5))
    gt = np.eye(5)[tgt]
    bs = np.stack([(ps * gt).sum(1), (ps * (1 - gt)).sum(1)], 1)
    bt = np.stack([(pt * gt).sum(1), (pt * (1 - gt)).sum(1)], 1)
    tckd = (bt * (np.log(bt + 1e-10) - np.log(bs))).sum(1).mean()
    qs, qt = _softmax(s.reshape(-1, 5) - 1000 * gt), _softmax(t.reshape(-1, 5) - 1000 * gt)
    nckd = (qt * (np.log(qt + 1e-10) - np.log(qs + 1e-45))).sum(1).mean()
    assert float(loss["dkd_0"]) == pytest.approx(tckd + 2.0 * nckd, rel=1e-4)


def test_ctc_logits_matches_formula():
    rng = np.random.default_rng(1)
    s, t = rng.normal(size=(2, 4, 6)).astype("float32"), rng.normal(size=(2, 8, 6)).astype("float32")
    preds = {"Student": {"head_out": {"ctc": paddle.to_tensor(s)}}, "Teacher": {"head_out": {"ctc": paddle.to_tensor(t)}}}
    loss = build_loss({"name": "DistillCTCLogits", "model_name_pairs": [["Student", "Teacher"]], "key": "head_out"})(
        preds, {})["ctc_logits_0"]
    sign = np.ones(6, dtype="float32")
    sign[0] = -1
    p, q = _softmax(s * sign / 0.5).mean(1), _softmax(t * sign / 0.5).mean(1)
    want = (q * np.log((q + 1e-6) / (p + 1e-6) + 1e-6)).sum() / 2
    assert float(loss) == pytest.approx(want, rel=1e-4)


def test_det_dml_and_dila():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(size=(2, 3, 8, 8)).astype("float32"), rng.uniform(size=(2, 3, 8, 8)).astype("float32")
    preds = {"Student": {"maps": paddle.to_tensor(a)}, "Student2": {"maps": paddle.to_tensor(b)},
             "Teacher": {"maps": paddle.to_tensor(b)}}
    dml = build_loss({"name": "DistillationDMLLoss", "model_name_pairs": ["Student", "Student2"],
                      "maps_name": "thrink_maps", "key": "maps"})(preds, {})
    p1, p2, e = a[:, 0], b[:, 0], 1e-5
    want = (0.5 * (p2 * np.log((p2 + e) / (p1 + e) + e) + p1 * np.log((p1 + e) / (p2 + e) + e))).mean(axis=(1, 2))
    assert float(dml["dml_thrink_maps_0"]) == pytest.approx(want.mean(), rel=1e-4)
    batch = {"shrink_mask": paddle.ones([2, 8, 8])}
    dila = build_loss({"name": "DistillationDilaDBLoss", "model_name_pairs": [["Student", "Teacher"]],
                       "key": "maps"})(preds, batch)
    assert np.isfinite(float(dila["loss"])) and set(dila) == {"dila_dbloss_Student_Teacher", "loss"}


def test_errors_name_the_option():
    with pytest.raises(ConfigError, match="multi_head"):
        build_loss({"name": "DistillationDKDLoss"})
    with pytest.raises(ConfigError, match="model_name_pairs"):
        build_loss({"name": "DistillCTCLogits", "model_name_pairs": "Student"})
    with pytest.raises(ConfigError, match="maps_name"):
        build_loss({"name": "DistillationDMLLoss", "maps_name": "shrink"})
