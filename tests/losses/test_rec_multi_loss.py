"""MultiLoss (CTC + SAR/NRTR), SARLoss and NRTRLoss against hand-computed references."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr.losses  # noqa: F401  (registration)
from ppocr.losses import build_loss
from ppocr.losses.rec_att_loss import NRTRLoss, SARLoss
from ppocr.utils.errors import ConfigError, DataError


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_sar_loss_ignores_padding_and_shifts():
    rng = np.random.RandomState(0)
    pred = rng.randn(2, 5, 6).astype("float32")          # 6 predicted classes -> padding index 6
    label = np.array([[5, 1, 2, 5, 6], [5, 3, 5, 6, 6]])
    got = float(SARLoss()(paddle.to_tensor(pred), {"label": paddle.to_tensor(label)})["loss"])
    lp = _log_softmax(pred[:, :-1])
    tgt = label[:, 1:]
    keep = tgt != 6
    ref = -np.mean([lp[b, t, tgt[b, t]] for b in range(2) for t in range(4) if keep[b, t]])
    assert got == pytest.approx(ref, rel=1e-5)


def test_nrtr_loss_smoothed_over_non_padding():
    rng = np.random.RandomState(1)
    label = np.array([[2, 5, 6, 3, 0, 0], [2, 7, 3, 0, 0, 0]])
    length = np.array([2, 1])
    pred = rng.randn(2, 3, 9).astype("float32")             # 1 + max(length) positions
    got = float(NRTRLoss()(paddle.to_tensor(pred), {"label": paddle.to_tensor(label),
                                                  "length": paddle.to_tensor(length)})["loss"])
    tgt = label[:, 1:4].reshape(-1)
    lp = _log_softmax(pred.reshape(-1, 9))
    soft = np.full((6, 9), 0.1 / 8)
    soft[np.arange(6), tgt] = 0.9
    per = -(soft * lp).sum(1)
    assert got == pytest.approx(per[tgt != 0].mean(), rel=1e-5)
    plain = float(NRTRLoss(smoothing=False)(paddle.to_tensor(pred), {"label": paddle.to_tensor(label),
                                                                   "length": paddle.to_tensor(length)})["loss"])
    assert plain == pytest.approx(-lp[np.arange(6), tgt][tgt != 0].mean(), rel=1e-5)


def test_multi_loss_routes_branches_and_weights():
    rng = np.random.RandomState(2)
    preds = {"ctc": paddle.to_tensor(rng.randn(2, 8, 5).astype("float32")),
             "nrtr": paddle.to_tensor(rng.randn(2, 3, 9).astype("float32"))}
    batch = {"label_ctc": paddle.to_tensor(np.array([[1, 2, 0], [3, 0, 0]])),
             "label_gtc": paddle.to_tensor(np.array([[2, 5, 6, 3, 0], [2, 7, 3, 0, 0]])),
             "length": paddle.to_tensor(np.array([2, 1]))}
    loss = build_loss({"name": "MultiLoss", "loss_config_list": [{"CTCLoss": None}, {"NRTRLoss": None}],
                       "weight_2": 0.5})
    out = loss(preds, batch)
    ctc = build_loss({"name": "CTCLoss"})(preds["ctc"], {"label": batch["label_ctc"], "length": batch["length"]})
    nrtr = NRTRLoss()(preds["nrtr"], {"label": batch["label_gtc"], "length": batch["length"]})
    assert float(out["CTCLoss"]) == pytest.approx(float(ctc["loss"]), rel=1e-6)
    assert float(out["NRTRLoss"]) == pytest.approx(0.5 * float(nrtr["loss"]), rel=1e-6)
    assert float(out["loss"]) == pytest.approx(float(out["CTCLoss"]) + float(out["NRTRLoss"]), rel=1e-6)


def test_multi_loss_errors():
    with pytest.raises(ConfigError, match="NRTRLoss"):
        build_loss({"name": "MultiLoss", "loss_config_list": [{"CTCLoss": None}, {"NRTRLos": None}]})
    with pytest.raises(ConfigError, match="smoothing"):
        build_loss({"name": "MultiLoss", "loss_config_list": [{"NRTRLoss": {"smoothin": True}}]})
    loss = build_loss({"name": "MultiLoss", "loss_config_list": [{"CTCLoss": None}, {"SARLoss": None}]})
    with pytest.raises(DataError, match="label_sar"):
        loss({"ctc": paddle.rand([1, 4, 5]), "sar": paddle.rand([1, 3, 5])},
             {"label_ctc": paddle.to_tensor([[1, 0]]), "length": paddle.to_tensor([1])})
