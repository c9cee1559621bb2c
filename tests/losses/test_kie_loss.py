"""KIE losses: token cross-entropy over real tokens; the RE model's own loss."""
import numpy as np
import pytest

from ppocr.losses.kie_vqa_loss import LossFromOutput, VQASerTokenLayoutLMLoss
from ppocr.utils.errors import ConfigError, DataError

paddle = pytest.importorskip("paddle")


def test_ser_loss_counts_only_labelled_real_tokens():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 6, 5)).astype(np.float32)
    labels = np.array([[1, 2, 0, -100, -100, -100], [3, 4, 4, 0, 2, -100]])
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0]])  # position (1, 4) is labelled but masked out
    keep = (labels != -100) & (mask == 1)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -logp[keep, labels[keep]].mean()
    loss_fn = VQASerTokenLayoutLMLoss(num_classes=5, key="backbone_out")
    batch = {"labels": paddle.to_tensor(labels), "attention_mask": paddle.to_tensor(mask)}
    got = loss_fn({"backbone_out": paddle.to_tensor(logits), "hidden_states_0": None}, batch)["loss"]
    assert float(got) == pytest.approx(float(expected), rel=1e-5)
    windowed = {"labels": batch["labels"].reshape([2, 2, 3]), "attention_mask": batch["attention_mask"].reshape([2, 2, 3])}
    assert float(loss_fn({"backbone_out": paddle.to_tensor(logits)}, windowed)["loss"]) == pytest.approx(float(got))
    empty = {"labels": paddle.full([2, 6], -100, "int64")}
    assert float(loss_fn({"backbone_out": paddle.to_tensor(logits)}, empty)["loss"]) == 0.0


def test_ser_loss_errors():
    loss_fn = VQASerTokenLayoutLMLoss(num_classes=7, key="backbone_out")
    logits = paddle.zeros([1, 4, 5])
    with pytest.raises(ConfigError, match="outputs 5 classes but Loss.num_classes is 7"):
        loss_fn(logits, {"labels": paddle.zeros([1, 4], "int64")})
    with pytest.raises(DataError, match="labels"):
        loss_fn(logits, {})
    with pytest.raises(ConfigError, match="Loss.key"):
        VQASerTokenLayoutLMLoss(7, key="logits")({"backbone_out": logits}, {"labels": None})


def test_loss_from_output():
    preds = {"loss": paddle.to_tensor([1.0, 3.0])}
    assert float(LossFromOutput("loss", "mean")(preds, {})["loss"]) == 2.0
    assert float(LossFromOutput("loss", "sum")(preds, {})["loss"]) == 4.0
    assert LossFromOutput()(preds, {})["loss"].shape == [2]
    with pytest.raises(DataError, match="relations"):
        LossFromOutput()({"relation_probs": 1}, {})
    with pytest.raises(ConfigError, match="reduction"):
        LossFromOutput(reduction="avg")
