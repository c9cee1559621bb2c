"""VGSL line recognition end to end on tiny rendered lines: train, codec files, eval, export, predict parity."""
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

import ppocr  # noqa: F401  (registers components)
from ppocr.testing import write_lines
from ppocr.engine import evaluate, export, infer, train
from ppocr.testing import REPO_ROOT
from ppocr.vgsl.codec import Codec
from ppocr.utils.config import get_config
from ppocr.utils.errors import DataError

SMOKE = os.path.join(REPO_ROOT, "configs", "_smoke", "vgsl_smoke.yml")
TRAIN = ["abc def", "cab fed", "bad cafe", "face bead"]
EVAL = ["dab fee", "bead cab"]




@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("lines")
    return {"train": write_lines(str(root / "train"), TRAIN, 0), "eval": write_lines(str(root / "eval"), EVAL, 1),
            "root": str(root)}


def _cfg(data, save, overrides=()):
    return get_config(SMOKE, [f"Global.save_model_dir={save}", f"Train.dataset.data=[{data['train']}]",
                              f"Eval.dataset.data=[{data['eval']}]", *overrides])


def test_smoke_train_eval_export_predict(data, tmp_path):
    save = str(tmp_path / "out")
    result = train(_cfg(data, save))
    assert result["global_step"] == 2  # 4 lines, batch 2, one epoch
    codec = Codec.load(os.path.join(save, "codec.json"))
    assert codec == Codec.from_texts(TRAIN) and codec.num_classes == 8
    for name in ("latest", "best_accuracy"):
        assert Codec.load(os.path.join(save, f"{name}.codec.json")) == codec
    best = os.path.join(save, "best_accuracy")

    # eval finds the stored codec: the Train data is not even read
    metric = evaluate(_cfg(data, save, [f"Global.checkpoints={best}", "Train.dataset.data=[/nonexistent]"]))
    assert {"acc", "norm_edit_dis", "cer"} <= set(metric)

    inf_dir = str(tmp_path / "inference")
    export(_cfg(data, save, [f"Global.pretrained_model={best}", f"Global.save_inference_dir={inf_dir}"]))
    with open(os.path.join(inf_dir, "inference.yml"), encoding="utf-8") as f:
        yml = yaml.safe_load(f)
    assert yml["PostProcess"]["name"] == "VGSLLabelDecode" and Codec.from_dict(yml["PostProcess"]["codec"]) == codec
    assert yml["PreProcess"]["transform_ops"][0] == {"VGSLResizeLine": {"image_shape": [1, 24, 0]}}

    trained = infer(_cfg(data, save, [f"Global.checkpoints={best}", f"Global.infer_img={data['eval']}",
                                      f"Global.save_res_path={tmp_path / 'res.txt'}"]))
    from ppocr.inference.predict_lines import LineRecognizer

    images = [open(r["img_path"], "rb").read() for r in trained]
    served, _ = LineRecognizer({"rec_model_dir": inf_dir, "use_gpu": False, "rec_batch_num": 1})(images)
    assert [t for t, _ in served] == [r["text"] for r in trained]
    np.testing.assert_allclose([s for _, s in served], [r["score"] for r in trained], rtol=1e-4, atol=1e-5)
    batched, _ = LineRecognizer({"rec_model_dir": inf_dir, "use_gpu": False, "rec_batch_num": 2})(images)
    assert len(batched) == 2

    r = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "infer", "predict_lines.py"),
                        "--rec_model_dir", inf_dir, "--image_dir", data["eval"], "--use_gpu", "false",
                        "--save_res_path", str(tmp_path / "pred.txt")],
                       capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert len((tmp_path / "pred.txt").read_text(encoding="utf-8").splitlines()) == 2


def test_eval_lines_outside_the_codec_are_counted_and_named(data, tmp_path):
    odd = write_lines(str(tmp_path / "odd"), ["abc Xy", "bad cafe"], 2)
    cfg = _cfg(data, str(tmp_path / "a"), [f"Eval.dataset.data=[{odd}]", "Global.max_steps=1"])
    with pytest.raises(DataError, match=r"encoding failed.*'X' U\+0058.*skip_bad_samples"):
        train(cfg)
    cfg = _cfg(data, str(tmp_path / "b"), [f"Eval.dataset.data=[{odd}]", "Global.max_steps=1",
                                           "Eval.dataset.skip_bad_samples=True"])
    result = train(cfg)
    assert result["last_eval"]["skipped"] == 1
    log = open(tmp_path / "b" / "train.log", encoding="utf-8").read()
    assert "1 of 2 lines have characters outside the codec" in log and "'X' (1 line)" in log
    assert "encoding failed: cannot encode 'abc Xy'" in log


def test_codec_options_and_file(data, tmp_path):
    from ppocr.utils.errors import ConfigError

    with pytest.raises(ConfigError, match="did you mean 'normalization'"):
        train(_cfg(data, str(tmp_path / "a"), ["Global.codec.normalisation=NFD"]))
    path = str(tmp_path / "codec.json")
    Codec.from_texts(TRAIN + ["xyz"]).save(path)
    result = train(_cfg(data, str(tmp_path / "b"), [f"Global.codec.file={path}", "Global.max_steps=1"]))
    assert result["global_step"] == 1
    assert Codec.load(os.path.join(tmp_path, "b", "codec.json")).num_classes == 11
