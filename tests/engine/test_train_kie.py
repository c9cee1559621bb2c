"""SER, RE and UDML through the engine (train / evaluate / export) with PaddleOCR's KIE checkpoint layout:
``prefix/`` (paddlenlp model directory + ``metric.states``) and ``prefix.pdopt``, resumed from
``Architecture.Backbone.checkpoints``."""
import copy
import os

import numpy as np
import pytest
import yaml

from ppocr.testing.kie import smoke_config

paddle = pytest.importorskip("paddle")
pytest.importorskip("paddlenlp")

from ppocr.engine import evaluate, export, train  # noqa: E402

DIR_FILES = {"model_state.pdparams", "config.json", "model_config.json", "metric.states"}


def _checkpoint(cfg, path):
    cfg = copy.deepcopy(cfg)
    cfg["Architecture"]["Backbone"]["checkpoints"] = path
    return cfg


@pytest.mark.parametrize("kind", ["ser", "re"])
def test_train_evaluate_export_with_checkpoint_directories(kind, kie_data, starter, tmp_path):
    save = str(tmp_path / kind)
    cfg = smoke_config(f"kie_{kind}_smoke", kie_data, starter, save)
    result = train(copy.deepcopy(cfg))
    assert result["global_step"] == 2
    assert set(result["last_eval"]) >= {"precision", "recall", "hmean"}
    assert sorted(os.listdir(save)) == ["best_accuracy", "best_accuracy.pdopt", "config.yml", "latest",
                                        "latest.pdopt", "train.log"]  # no .pdparams files, no temporary leftovers
    assert set(os.listdir(os.path.join(save, "latest"))) == DIR_FILES

    # Architecture.Backbone.checkpoints (PaddleOCR's way) and Global.checkpoints both select the weights
    best = os.path.join(save, "best_accuracy")
    by_backbone = evaluate(_checkpoint(cfg, best))
    by_global = evaluate(copy.deepcopy(cfg) | {"Global": dict(cfg["Global"], checkpoints=best)})
    assert by_backbone["hmean"] == by_global["hmean"] == result["best"]["hmean"]

    inf = str(tmp_path / f"{kind}_inference")
    export(_checkpoint(cfg, best) | {"Global": dict(cfg["Global"], save_inference_dir=inf)})
    assert {"inference.pdiparams", "inference.yml", "assets"} <= set(os.listdir(inf))
    with open(os.path.join(inf, "inference.yml"), encoding="utf-8") as f:
        yml = yaml.safe_load(f)
    assert yml["Global"] == {"model_type": "kie", "algorithm": "LayoutXLM"}
    ops = {next(iter(e)): next(iter(e.values())) for e in yml["PreProcess"]["transform_ops"]}
    enc = ops["VQATokenLabelEncode"]
    assert enc["infer_mode"] is True and enc["class_path"] == "assets/class_list.txt"
    assert sorted(os.listdir(os.path.join(inf, enc["tokenizer_path"]))) == [
        "sentencepiece.bpe.model", "special_tokens_map.json", "tokenizer_config.json"]  # the tokenizer, no weights
    keep = ops["KeepKeys"]["keep_keys"]
    assert {"input_ids", "bbox", "attention_mask", "token_type_ids", "line_ids", "ocr_info"} <= set(keep)
    assert "labels" not in keep and ("entities" in keep) == (kind == "re")


def test_resume_from_checkpoint_directory_continues_exactly(kie_data, starter, tmp_path):
    """Stopped mid-epoch and resumed from Backbone.checkpoints (optimizer, LR, step, RNG restored): the same
    weights as one uninterrupted run."""
    common = {"epoch_num": 2, "max_steps": None}
    full = smoke_config("kie_ser_smoke", kie_data, starter, str(tmp_path / "full"))
    full["Global"].update(common)
    assert train(full)["global_step"] == 6  # 6 forms, batch 2: 3 steps per epoch
    part = smoke_config("kie_ser_smoke", kie_data, starter, str(tmp_path / "part"))
    part["Global"].update(common, max_steps=4)
    assert train(copy.deepcopy(part))["global_step"] == 4
    part["Global"]["max_steps"] = None
    assert train(_checkpoint(part, str(tmp_path / "part" / "latest")))["global_step"] == 6
    a = paddle.load(str(tmp_path / "full" / "latest" / "model_state.pdparams"))
    b = paddle.load(str(tmp_path / "part" / "latest" / "model_state.pdparams"))
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_allclose(a[k].numpy(), b[k].numpy(), rtol=1e-6, atol=1e-7, err_msg=k)


def test_udml_trains_and_saves_the_student_only(kie_data, starter, tmp_path):
    save = str(tmp_path / "udml")
    cfg = smoke_config("kie_ser_udml_smoke", kie_data, starter, save)
    result = train(copy.deepcopy(cfg))
    assert result["global_step"] == 2
    assert {"hmean", "Teacher_hmean"} <= set(result["last_eval"])
    logged = result["history"]["train"][-1][1]
    assert {"loss_ser_Student", "loss_ser_Teacher", "loss_dml_ser_0", "loss_0_l2_0"} <= set(logged)
    latest = os.path.join(save, "latest")
    assert set(os.listdir(latest)) == DIR_FILES
    # the checkpoint is a plain SER model directory: the non-distillation config loads and evaluates it
    ser = smoke_config("kie_ser_smoke", kie_data, starter, str(tmp_path / "ser"))
    student = evaluate(_checkpoint(ser, latest))
    assert student["hmean"] == pytest.approx(result["last_eval"]["hmean"])
    params = paddle.load(os.path.join(latest, "model_state.pdparams"))
    assert not any(k.startswith(("Student", "Teacher")) for k in params)

    from ppocr.utils.errors import CheckpointError, ConfigError
    with pytest.raises(CheckpointError, match="holds only the Student"):
        train(copy.deepcopy(cfg) | {"Global": dict(cfg["Global"], checkpoints=latest)})
    with pytest.raises(ConfigError, match="export the student with the non-distillation config"):
        export(copy.deepcopy(cfg) | {"Global": dict(cfg["Global"], checkpoints=latest,
                                                     save_inference_dir=str(tmp_path / "x"))})


def test_kie_config_without_architecture_name_builds_kie_model(starter):
    from ppocr.modeling import build_model
    from ppocr.modeling.architectures.kie_model import KIEModel

    model = build_model({"model_type": "kie", "algorithm": "LayoutXLM", "Transform": None,
                         "Backbone": {"name": "LayoutXLMForSer", "pretrained": starter, "mode": "vi",
                                      "num_classes": 7}})
    assert isinstance(model, KIEModel)
