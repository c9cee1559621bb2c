"""End-to-end text-direction classifier pipeline on tiny rendered lines: train, evaluate, export, infer, and
PaddleOCR's configs/cls/cls_mv3.yml through the tools."""
import os
import subprocess
import sys

import numpy as np
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.engine import evaluate, export, infer, train
from ppocr.testing import REPO_ROOT, cls_config, make_cls_data

CLS_MV3 = os.path.join(REPO_ROOT, "configs", "cls", "cls_mv3.yml")
NO_AUGMENTATION = ("Train.dataset.transforms=[{DecodeImage: {img_mode: BGR}}, {ClsLabelEncode: }, "
                   "{ClsResizeImg: {image_shape: [3, 48, 192]}}, {KeepKeys: {keep_keys: [image, label]}}]")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_cls_data(str(tmp_path_factory.mktemp("cls")), num_train=8, num_eval=4)


def test_smoke_train_eval_export_infer(data_dir, tmp_path):
    save = str(tmp_path / "out")
    result = train(cls_config(data_dir, save))
    assert result["global_step"] == 2 and result["last_eval"] is not None
    for ext in ("pdparams", "pdopt", "states"):
        assert os.path.isfile(os.path.join(save, f"best_accuracy.{ext}"))
    log = open(os.path.join(save, "train.log")).read()
    assert "global_step: 2" in log and "acc" in log

    best = os.path.join(save, "best_accuracy")
    metric = evaluate(cls_config(data_dir, save, [f"Global.checkpoints={best}"]))
    assert 0.0 <= metric["acc"] <= 1.0

    inf_dir = str(tmp_path / "inference")
    export(cls_config(data_dir, save, [f"Global.pretrained_model={best}", f"Global.save_inference_dir={inf_dir}"]))
    assert os.path.isfile(os.path.join(inf_dir, "inference.pdiparams"))
    import yaml

    infer_cfg = yaml.safe_load(open(os.path.join(inf_dir, "inference.yml")))
    assert infer_cfg["PostProcess"] == {"name": "ClsPostProcess", "label_list": ["0", "180"]}
    assert [next(iter(op)) for op in infer_cfg["PreProcess"]["transform_ops"]] == ["DecodeImage", "ClsResizeImg",
                                                                                  "KeepKeys"]

    res = str(tmp_path / "res.txt")
    results = infer(cls_config(data_dir, save, [f"Global.checkpoints={best}", f"Global.save_res_path={res}",
                                                f"Global.infer_img={os.path.join(data_dir, 'eval')}"]))
    assert len(results) == 4 and all(r["label"] in ("0", "180") and 0.5 <= r["score"] <= 1 for r in results)
    assert len(open(res).read().splitlines()) == 4


def test_model_learns(tmp_path):
    """Loss falls and the accuracy of the logged training batches rises from chance to near 1 within 48 steps (as
    for recognition, eval-mode figures of so short a run mostly measure how far BatchNorm's statistics lag)."""
    data = make_cls_data(str(tmp_path / "data"), num_train=64, num_eval=4, seed=1)
    r = train(cls_config(data, str(tmp_path / "learn"), ["Global.epoch_num=12", "Train.loader.batch_size_per_card=16",
                                                         "Optimizer.lr.learning_rate=0.002", NO_AUGMENTATION]))
    records = [rec for _, rec in r["history"]["train"]]
    assert len(records) == 48
    accs, losses = [rec["acc"] for rec in records], [rec["loss"] for rec in records]
    assert np.mean(accs[:4]) <= 0.7 and np.mean(accs[-8:]) >= 0.9, accs
    assert np.mean(losses[-8:]) < 0.4 * np.mean(losses[:4]), losses


def test_label_outside_label_list_is_named_before_training(data_dir, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("train/000000.png\t0\ntrain/000001.png\t90\n")
    from ppocr.utils.errors import DataError

    with pytest.raises(DataError, match=r"bad.txt:2.*'90'.*label_list"):
        train(cls_config(data_dir, str(tmp_path / "o"), [f"Train.dataset.label_file_list=[{bad}]"]))


def test_paddleocr_config_through_the_tools(data_dir, tmp_path):
    """configs/cls/cls_mv3.yml as PaddleOCR ships it, data paths (and, for speed, the loader) changed."""
    save, inf = str(tmp_path / "out"), str(tmp_path / "inf")
    data = [f"Train.dataset.data_dir={data_dir}",
            f"Train.dataset.label_file_list=[{os.path.join(data_dir, 'cls_gt_train.txt')}]",
            f"Eval.dataset.data_dir={data_dir}",
            f"Eval.dataset.label_file_list=[{os.path.join(data_dir, 'cls_gt_eval.txt')}]",
            "Train.loader.batch_size_per_card=4", "Train.loader.num_workers=0", "Eval.loader.num_workers=0",
            f"Global.save_model_dir={save}", "Global.use_gpu=false"]

    def tool(name, *opts):
        done = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", name), "-c", CLS_MV3, "-o", *data,
                               *opts], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        return done.stdout + done.stderr

    tool("train.py", "Global.epoch_num=1")
    assert os.path.isfile(os.path.join(save, "best_accuracy.pdparams"))
    out = tool("eval.py", f"Global.checkpoints={save}/best_accuracy")
    assert "acc:" in out
    tool("export_model.py", f"Global.pretrained_model={save}/best_accuracy", f"Global.save_inference_dir={inf}")
    assert os.path.isfile(os.path.join(inf, "inference.yml"))
