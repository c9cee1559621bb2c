"""The UDML pieces on their own: CombinedLoss, the Distillation* losses, post-processors and DistillationMetric."""
import os

import numpy as np
import pytest

from ppocr.utils.errors import CheckpointError, ConfigError

paddle = pytest.importorskip("paddle")

from ppocr.losses import build_loss  # noqa: E402
from ppocr.metrics import build_metric  # noqa: E402
from ppocr.postprocess import build_post_process  # noqa: E402


def _ser_outputs(seed=0, b=2, w=2, length=4, c=5, h=6, layers=2):
    rng = np.random.default_rng(seed)
    t = lambda *s: paddle.to_tensor(rng.standard_normal(s).astype("float32"))  # noqa: E731
    out = {"backbone_out": t(b, w * length, c)}
    out.update({f"hidden_states_{i}": t(b * w, length, h) for i in range(layers)})
    return out


def _batch(b=2, w=2, length=4, c=5):
    mask = np.ones((b, w, length), np.int64)
    mask[:, 1, 2:] = 0  # padding in the second window
    labels = np.random.default_rng(1).integers(0, c, (b, w, length))
    labels[mask == 0] = -100
    return {"attention_mask": paddle.to_tensor(mask), "labels": paddle.to_tensor(labels)}


def test_combined_loss_weights_and_sums_the_terms():
    student, teacher, batch = _ser_outputs(0), _ser_outputs(1), _batch()
    preds = {"Student": student, "Teacher": teacher}
    loss = build_loss({"name": "CombinedLoss", "loss_config_list": [
        {"DistillationVQASerTokenLayoutLMLoss": {"weight": 1.0, "model_name_list": ["Student", "Teacher"],
                                                 "key": "backbone_out", "num_classes": 5}},
        {"DistillationSERDMLLoss": {"weight": 2.0, "act": "softmax", "use_log": True,
                                    "model_name_pairs": [["Student", "Teacher"]], "key": "backbone_out"}},
        {"DistillationVQADistanceLoss": {"weight": 0.5, "mode": "l2", "model_name_pairs": [["Student", "Teacher"]],
                                         "key": "hidden_states_1", "name": "loss_1"}}]})
    out = loss(preds, batch)
    assert set(out) == {"loss_ser_Student", "loss_ser_Teacher", "loss_dml_ser_0", "loss_1_l2_0", "loss"}
    np.testing.assert_allclose(float(out["loss"]), sum(float(v) for k, v in out.items() if k != "loss"), rtol=1e-6)

    from ppocr.losses.kie_vqa_loss import VQASerTokenLayoutLMLoss
    own = VQASerTokenLayoutLMLoss(5, key="backbone_out")(student, batch)["loss"]
    np.testing.assert_allclose(float(out["loss_ser_Student"]), float(own), rtol=1e-6)
    # the mutual KL: symmetric, 0 between a model and itself, over real tokens only (weight 2 applied)
    p = paddle.nn.functional.softmax(student["backbone_out"], -1).reshape([-1, 5]).numpy()
    q = paddle.nn.functional.softmax(teacher["backbone_out"], -1).reshape([-1, 5]).numpy()
    real = batch["attention_mask"].numpy().reshape(-1) == 1
    kl = lambda a, b: (b * (np.log(b + 1e-10) - np.log(a + 1e-10))).sum(-1).mean()  # noqa: E731
    np.testing.assert_allclose(float(out["loss_dml_ser_0"]), 2.0 * (kl(p[real], q[real]) + kl(q[real], p[real])) / 2,
                               rtol=1e-5)
    same = build_loss({"name": "DistillationSERDMLLoss", "model_name_pairs": [["Student", "Student"]]})
    assert float(same(preds, batch)["loss_dml_ser_0"]) == pytest.approx(0.0, abs=1e-6)
    hs = [x["hidden_states_1"].numpy().reshape(-1, 6)[real] for x in (student, teacher)]
    np.testing.assert_allclose(float(out["loss_1_l2_0"]), 0.5 * ((hs[0] - hs[1]) ** 2).mean(), rtol=1e-5)


def test_distance_loss_reads_stacked_re_hidden_states():
    rng = np.random.default_rng(0)
    stacked = [paddle.to_tensor(rng.standard_normal((2, 3, 4, 6)).astype("float32")) for _ in range(2)]
    preds = {"Student": {"hidden_states": stacked[0], "loss": paddle.to_tensor(1.0)},
             "Teacher": {"hidden_states": stacked[1], "loss": paddle.to_tensor(3.0)}}
    batch = {"attention_mask": paddle.ones([2, 4], "int64")}
    dist = build_loss({"name": "DistillationVQADistanceLoss", "key": "hidden_states_2", "mode": "l1",
                       "model_name_pairs": [["Student", "Teacher"]]})
    expected = np.abs(stacked[0].numpy()[:, 2] - stacked[1].numpy()[:, 2]).mean()
    np.testing.assert_allclose(float(dist(preds, batch)["loss_distance_l1_0"]), expected, rtol=1e-5)
    with pytest.raises(ConfigError, match="has 3 layers"):
        build_loss({"name": "DistillationVQADistanceLoss", "key": "hidden_states_5"})(preds, batch)
    own = build_loss({"name": "DistillationLossFromOutput", "model_name_list": ["Student", "Teacher"],
                      "key": "loss", "reduction": "mean"})(preds, batch)
    assert {k: float(v) for k, v in own.items()} == {"loss_re_Student": 1.0, "loss_re_Teacher": 3.0}


@pytest.mark.parametrize("cfg, match", [
    ({"name": "CombinedLoss", "loss_config_list": []}, "non-empty list"),
    ({"name": "CombinedLoss", "loss_config_list": [{"LossFromOutput": {"weight": -1}}]}, "weight"),
    ({"name": "CombinedLoss", "loss_config_list": [{"DistillationSERDMLLoss": {"use_log": False}}]}, "use_log"),
    ({"name": "CombinedLoss", "loss_config_list": [{"DistillationVQADistanceLoss": {"mode": "l3"}}]}, "mode"),
    ({"name": "DistillationSERDMLLoss", "model_name_pairs": ["Student", "Teacher"]}, r"\[name, name\] pairs"),
])
def test_bad_distillation_loss_configs(cfg, match):
    with pytest.raises(ConfigError, match=match):
        build_loss(cfg)


def test_wrong_model_name_is_explained():
    loss = build_loss({"name": "DistillationSERDMLLoss", "model_name_pairs": [["Student", "Student2"]]})
    with pytest.raises(ConfigError, match=r"'Student2'.*\['Student', 'Teacher'\]"):
        loss({"Student": _ser_outputs(), "Teacher": _ser_outputs()}, _batch())


def test_distillation_post_process_and_metric(tmp_path):
    class_path = tmp_path / "classes.txt"
    class_path.write_text("OTHER\nQUESTION\nANSWER\n", encoding="utf-8")
    post = build_post_process({"name": "DistillationSerPostProcess", "model_name": ["Student", "Teacher"],
                               "key": "backbone_out", "class_path": str(class_path)})
    labels = paddle.to_tensor(np.array([[1, 2, 0, 3, 4, -100]]))
    good = np.full((1, 6, 5), -5.0, "float32")
    good[0, np.arange(6), [1, 2, 0, 3, 4, 0]] = 5.0
    preds = {"Student": {"backbone_out": paddle.to_tensor(good)}, "Teacher": paddle.to_tensor(-good)}
    result = post(preds, labels)
    metric = build_metric({"name": "DistillationMetric", "base_metric_name": "VQASerTokenMetric",
                           "main_indicator": "hmean", "key": "Student"})
    metric(result)
    scores = metric.get_metric()
    assert scores["hmean"] == 1.0 and scores["Teacher_hmean"] < 1.0 and metric.main_indicator == "hmean"
    with pytest.raises(ConfigError, match="base_metric_name"):
        build_metric({"name": "DistillationMetric", "base_metric_name": "NoSuchMetric"})


def test_distillation_model_checkpoints_hold_the_student(kie_data, starter, tmp_path):
    pytest.importorskip("paddlenlp")
    from ppocr.modeling import build_model

    sub = {"pretrained": None, "freeze_params": False, "return_all_feats": True, "model_type": "kie",
           "algorithm": "LayoutXLM", "Transform": None,
           "Backbone": {"name": "LayoutXLMForSer", "pretrained": starter, "mode": "vi", "num_classes": 7}}
    model = build_model({"model_type": "kie", "name": "DistillationModel", "algorithm": "Distillation",
                         "Models": {"Teacher": dict(sub, freeze_params=True), "Student": sub}})
    assert model.model_names == ["Teacher", "Student"]
    assert all(p.stop_gradient for p in model.Teacher.parameters())
    assert not any(p.stop_gradient for p in model.Student.parameters())
    prefix = str(tmp_path / "best_accuracy")
    model.save_checkpoint(prefix, None, {"epoch": 1})
    assert sorted(os.listdir(tmp_path)) == ["best_accuracy"]
    with pytest.raises(CheckpointError, match="holds only the Student"):
        model.load_checkpoint(prefix)
    with pytest.raises(ConfigError, match="needs a model named 'Student'"):
        build_model({"model_type": "kie", "name": "DistillationModel", "Models": {"Student2": sub}})
    with pytest.raises(ConfigError, match="Models.Student: .*Backbone"):
        build_model({"model_type": "kie", "name": "DistillationModel",
                     "Models": {"Student": dict(sub, Backbone=dict(sub["Backbone"], nam_classes=7))}})
