"""ClsLoss: the mean softmax cross-entropy, and clear errors."""
import numpy as np
import paddle
import pytest

from ppocr.losses import build_loss
from ppocr.utils.errors import DataError


def test_value_is_mean_cross_entropy():
    logits = np.array([[2.0, -1.0], [0.5, 0.25], [-3.0, 1.0]], np.float32)
    label = np.array([0, 1, 1])
    want = np.mean([np.log(np.exp(r).sum()) - r[t] for r, t in zip(logits.astype(np.float64), label)])
    loss_fn = build_loss({"name": "ClsLoss"})
    for lab in (label, label[:, None]):  # [B] or [B, 1]
        got = float(loss_fn(paddle.to_tensor(logits), {"label": paddle.to_tensor(lab)})["loss"])
        assert got == pytest.approx(want, rel=1e-5)


def test_errors():
    loss_fn = build_loss({"name": "ClsLoss"})
    with pytest.raises(DataError, match="KeepKeys"):
        loss_fn(paddle.rand([2, 2]), {"image": paddle.rand([2, 3, 4, 4])})
    with pytest.raises(DataError, match=r"\[B, C\]"):
        loss_fn(paddle.rand([2, 5, 2]), {"label": paddle.to_tensor([0, 1])})
    with pytest.raises(DataError, match="3 labels"):
        loss_fn(paddle.rand([2, 2]), {"label": paddle.to_tensor([0, 1, 1])})
