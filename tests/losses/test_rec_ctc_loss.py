"""CTCLoss: value, focal variant, errors, and that it trains a tiny model."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import itertools
import math

import numpy as np
import paddle
import pytest

from ppocr.losses import build_loss
from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.modeling import build_model
from ppocr.registry import LOSSES
from ppocr.utils.errors import ConfigError, DataError


def _brute_force_nll(logits: np.ndarray, label: list) -> float:
    """-log sum over all alignments that collapse to ``label`` (blank 0)."""
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
        if collapsed == label:
            total += np.prod([probs[t, c] for t, c in enumerate(path)])
    return -math.log(total)


def test_matches_brute_force():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 4, 3)).astype("float32")
    labels = [[1, 2], [2]]
    batch = {"label": paddle.to_tensor([[1, 2], [2, 0]], dtype="int64"),
             "length": paddle.to_tensor([2, 1], dtype="int64")}
    loss = CTCLoss()(paddle.to_tensor(logits), batch)["loss"]
    want = np.mean([_brute_force_nll(logits[i], labels[i]) for i in range(2)])
    assert float(loss) == pytest.approx(want, rel=1e-4)
    # heads with return_feats hand over (feats, logits)
    assert float(CTCLoss()((None, paddle.to_tensor(logits)), batch)["loss"]) == pytest.approx(want, rel=1e-4)
    focal = float(CTCLoss(use_focal_loss=True)(paddle.to_tensor(logits), batch)["loss"])
    assert 0 < focal < want


# options a loss needs beyond its defaults
REQUIRED = {"CombinedLoss": {"loss_config_list": [{"CTCLoss": {"weight": 1.0}}]},
            "MultiLoss": {"loss_config_list": [{"CTCLoss": None}, {"NRTRLoss": None}]},
            "DistillationDKDLoss": {"multi_head": True}}


@pytest.mark.parametrize("name", LOSSES.names())
def test_registered_losses_build(name):
    assert callable(build_loss({"name": name, **REQUIRED.get(name, {})}))


def test_errors():
    with pytest.raises(ConfigError, match="use_focal_loss"):
        build_loss({"name": "CTCLoss", "use_focal": True})
    with pytest.raises(DataError, match="length"):
        CTCLoss()(paddle.rand([1, 4, 3]), {"label": paddle.to_tensor([[1]])})


def test_overfits_tiny_batch():
    paddle.seed(0)
    model = build_model({"model_type": "rec", "Backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
                         "Neck": {"name": "SequenceEncoder", "encoder_type": "fc", "hidden_size": 32},
                         "Head": {"name": "CTCHead", "fc_decay": 0.0}}, num_classes=6)
    loss_fn = build_loss({"name": "CTCLoss"})
    batch = {"image": paddle.rand([2, 3, 32, 64]),
             "label": paddle.to_tensor([[1, 2, 3], [4, 5, 0]], dtype="int64"),
             "length": paddle.to_tensor([3, 2], dtype="int64")}
    opt = paddle.optimizer.Adam(learning_rate=5e-3, parameters=model.parameters())
    losses = []
    for _ in range(30):
        loss = loss_fn(model(batch), batch)["loss"]
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0], losses
