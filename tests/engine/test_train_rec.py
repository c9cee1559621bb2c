"""End-to-end recognition pipeline on tiny rendered data: train, resume, evaluate, export, predict."""
import os
import subprocess
import sys

import cv2
import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.engine import evaluate, export, infer, train
from ppocr.engine.trainer import HookBase
from ppocr.registry import HOOKS
from ppocr.testing import REPO_ROOT, make_rec_data, rec_config

RECORDED: dict[str, list] = {}


@HOOKS.register()
class LossRecorderHook(HookBase):
    """Test hook: records (global_step, loss) of every optimizer step under RECORDED[key]."""

    def __init__(self, key: str):
        self.key = key

    def after_step(self):
        info = self.trainer.step_info
        if info.get("optimizer_stepped"):
            RECORDED.setdefault(self.key, []).append((self.trainer.state.global_step, info["losses"]["loss"]))


HOOKS_WITH = "Hooks=[LRSchedulerHook, LoggerHook, EvalHook, CheckpointHook, {{LossRecorderHook: {{key: {}}}}}]"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_rec_data(str(tmp_path_factory.mktemp("rec")), num_train=8, num_eval=4)


def test_smoke_train_eval_export_predict(data_dir, tmp_path):
    save = str(tmp_path / "out")
    result = train(rec_config(data_dir, save, ["Global.epoch_num=1"]))
    assert result["global_step"] == 4
    for name in ("latest", "best_accuracy"):
        for ext in ("pdparams", "pdopt", "states"):
            assert os.path.isfile(os.path.join(save, f"{name}.{ext}"))
    assert os.path.isfile(os.path.join(save, "config.yml")) and os.path.isfile(os.path.join(save, "train.log"))
    log = open(os.path.join(save, "train.log")).read()
    for field in ("epoch: [1/1]", "global_step: 4", "avg_reader_cost", "ips:", "eta:", "cur metric", "acc"):
        assert field in log

    best = os.path.join(save, "best_accuracy")
    metric = evaluate(rec_config(data_dir, save, [f"Global.checkpoints={best}"]))
    assert set(metric) >= {"acc", "norm_edit_dis"}

    inf_dir = str(tmp_path / "inference")
    export(rec_config(data_dir, save, [f"Global.pretrained_model={best}", f"Global.save_inference_dir={inf_dir}"]))
    assert os.path.isfile(os.path.join(inf_dir, "inference.pdiparams"))
    assert os.path.isfile(os.path.join(inf_dir, "inference.yml"))

    # exported model == training-time model on the same images
    eval_imgs = os.path.join(data_dir, "eval")
    trained = infer(rec_config(data_dir, save, [f"Global.checkpoints={best}", f"Global.infer_img={eval_imgs}",
                                                f"Global.save_res_path={tmp_path / 'res.txt'}"]))
    from ppocr.inference.predict_rec import TextRecognizer

    rec = TextRecognizer({"rec_model_dir": inf_dir, "use_gpu": False, "rec_image_shape": "3,32,64",
                          "rec_batch_num": 1, "use_space_char": False})
    imgs = [cv2.imread(r["img_path"]) for r in trained]
    served, _ = rec(imgs)
    assert [t for t, _ in served] == [r["text"] for r in trained]
    np.testing.assert_allclose([s for _, s in served], [r["score"] for r in trained], rtol=1e-4, atol=1e-5)


def test_model_learns(data_dir, tmp_path):
    """Loss falls and accuracy rises on a tiny set the model can memorise (reshape neck: fast to fit)."""
    save = str(tmp_path / "learn")
    key = "learn"
    train_file = os.path.join(data_dir, "rec_gt_train.txt")
    r = train(rec_config(data_dir, save, ["Global.epoch_num=25", "Train.loader.batch_size_per_card=4",
                                          "Architecture.Neck.encoder_type=reshape",
                                          f"Eval.dataset.label_file_list=[{train_file}]",
                                          "Global.eval_batch_step=[0, 10]", HOOKS_WITH.format(key)]))
    losses = [l for _, l in RECORDED[key]]
    assert np.mean(losses[-5:]) < 0.2 * np.mean(losses[:3]), losses
    # the metric of the logged training batch (cal_metric_during_train); eval-mode metrics of a 50-step
    # run mostly measure how far BatchNorm's running statistics lag the fast-moving weights
    accs = [record["acc"] for _, record in r["history"]["train"]]
    assert len(accs) == 50 and max(accs[:5]) < 0.5 and max(accs[-5:]) >= 0.75, accs
    log = open(os.path.join(save, "train.log")).read()  # the same figures in PaddleOCR's log line
    assert f"global_step: 50, lr: {r['history']['train'][-1][1]['lr']:.6f}, acc: {accs[-1]:.6f}" in log


@pytest.mark.parametrize("stop_at", [3, 4])   # mid-epoch and at an epoch boundary (4 steps/epoch)
def test_resume_continues_exactly(data_dir, tmp_path, stop_at):
    common = ["Global.epoch_num=2", "Train.loader.num_workers=0"]
    full, part = f"full{stop_at}", f"part{stop_at}"
    train(rec_config(data_dir, str(tmp_path / "a"), common + [HOOKS_WITH.format(full)]))
    train(rec_config(data_dir, str(tmp_path / "b"), common + [f"Global.max_steps={stop_at}", HOOKS_WITH.format(part)]))
    train(rec_config(data_dir, str(tmp_path / "b"), common + [f"Global.checkpoints={tmp_path / 'b' / 'latest'}",
                                                             HOOKS_WITH.format(part)]))
    assert [s for s, _ in RECORDED[part]] == list(range(1, 9))
    np.testing.assert_allclose([l for _, l in RECORDED[part]], [l for _, l in RECORDED[full]], rtol=1e-6, atol=1e-7)
    a = paddle.load(str(tmp_path / "a" / "latest.pdparams"))
    b = paddle.load(str(tmp_path / "b" / "latest.pdparams"))
    for k in a:
        np.testing.assert_allclose(a[k].numpy(), b[k].numpy(), rtol=1e-6, atol=1e-7)


def test_pretrained_reports_mismatch(data_dir, tmp_path):
    save = str(tmp_path / "p")
    train(rec_config(data_dir, save, ["Global.max_steps=1"]))
    # a bigger neck: the LSTM and head weights no longer fit and must be reported, the backbone loads
    train(rec_config(data_dir, str(tmp_path / "q"), [f"Global.pretrained_model={save}/latest", "Global.max_steps=1",
                                                     "Architecture.Neck.hidden_size=24"]))
    log = open(tmp_path / "q" / "train.log").read()
    assert "pretrained mismatched: neck." in log and "pretrained mismatched: backbone" not in log
    assert "loaded" in log


def _cli(*args):
    return subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "train.py"), *args],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)


def test_cli_rejects_typos_before_training(data_dir, tmp_path):
    cfg = os.path.join(REPO_ROOT, "configs", "_smoke", "rec_smoke.yml")
    r = _cli("-c", cfg, "-o", f"Global.save_model_dir={tmp_path}", "Architecture.Neck.hiden_size=8")
    assert r.returncode == 2 and "hidden_size" in r.stdout + r.stderr
    r = _cli("-c", cfg, "-o", "Global.epoch_nmu=3")
    assert r.returncode == 2 and "epoch_num" in r.stdout + r.stderr
    r = _cli("-c", cfg, "-o", f"Global.save_model_dir={tmp_path}", "Architecture.Backbone.name=MobileNetV4")
    assert r.returncode == 2 and "MobileNetV3" in r.stdout + r.stderr


def test_resume_rejects_partial_checkpoint(data_dir, tmp_path):
    save = str(tmp_path / "c")
    train(rec_config(data_dir, save, ["Global.max_steps=1"]))
    with open(os.path.join(save, "latest.pdparams"), "ab") as f:
        f.write(b"torn")
    # the final evaluation saved best_accuracy at the same step: the torn latest is passed over for it
    r = train(rec_config(data_dir, save, [f"Global.checkpoints={save}/latest", "Global.max_steps=2"]))
    assert r["global_step"] == 2
    assert "resuming from" in open(os.path.join(save, "train.log")).read()
    with open(os.path.join(save, "latest.pdparams"), "ab") as f:
        f.write(b"torn")
    for ext in ("pdparams", "pdopt", "states"):
        os.remove(os.path.join(save, f"best_accuracy.{ext}"))
    from ppocr.utils.errors import CheckpointError
    with pytest.raises(CheckpointError, match="partly"):  # nothing complete to fall back on
        train(rec_config(data_dir, save, [f"Global.checkpoints={save}/latest"]))
