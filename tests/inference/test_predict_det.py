"""TextDetector on a DB model trained briefly here and exported: it must see what the training-time model sees.

A 2-step model's probability map carries no text knowledge, so the boxes compared below come from a
threshold placed in a wide gap of the map's values (no pixel sits within 2.5e-5 of it, while served and
dygraph maps agree to 1e-5). What is checked is that serving (inference.yml pre-processing,
paddle.inference, DBPostProcess with the flags) equals the training-time path (Eval transforms, dygraph model, tools/infer_det.py's engine.infer).
"""
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import paddle
import pytest
import yaml

import ppocr  # noqa: F401  (registers components)
from ppocr.data.imaug import build_transforms
from ppocr.engine import export, infer, train
from ppocr.utils.checkpoint import load_pretrained
from ppocr.engine.evaluator import label_free_transforms
from ppocr.engine.program import build_core
from ppocr.inference.predict_det import TextDetector, filter_boxes
from ppocr.inference.utility import parse_args
from ppocr.testing import REPO_ROOT, make_det_data
from ppocr.testing.boxes import assert_same_boxes
from ppocr.utils.config import get_config
from ppocr.utils.errors import ConfigError

SMOKE_DET = os.path.join(REPO_ROOT, "configs", "_smoke", "det_smoke.yml")
BASE = {"use_gpu": False, "cpu_threads": 1}


def det_config(data_dir, save_dir, overrides=()):
    opts = [f"Global.save_model_dir={save_dir}", f"Train.dataset.data_dir={data_dir}",
            f"Train.dataset.label_file_list=[{os.path.join(data_dir, 'det_gt_train.txt')}]",
            f"Eval.dataset.data_dir={data_dir}",
            f"Eval.dataset.label_file_list=[{os.path.join(data_dir, 'det_gt_eval.txt')}]"]
    return get_config(SMOKE_DET, opts + list(overrides))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("det")
    data = make_det_data(str(root / "data"), num_train=4, num_eval=2, seed=0)
    save, inf = str(root / "out"), str(root / "inference")
    train(det_config(data, save, ["Global.max_steps=2"]))
    export(det_config(data, save, [f"Global.pretrained_model={save}/latest", f"Global.save_inference_dir={inf}"]))
    cfg = det_config(data, save)
    core = build_core(cfg)
    model = core["model"]
    load_pretrained(os.path.join(save, "latest"), model)
    model.eval()
    images = sorted(os.path.join(data, "eval", f) for f in os.listdir(os.path.join(data, "eval")))
    return {"data": data, "save": save, "inf": inf, "cfg": cfg, "model": model, "images": images}


def _dygraph_maps(model, batch):
    with paddle.no_grad():
        return model({"image": paddle.to_tensor(batch)})["maps"].numpy()[:, :1]


def _gap_threshold(maps):
    """The middle of the widest gap between map values in their 35-60th percentiles (an untrained map's
    connected regions above the median are large enough to become boxes)."""
    vals = np.unique(np.concatenate([m.ravel() for m in maps]))
    lo, hi = np.percentile(vals, [35, 60])
    vals = vals[(vals >= lo) & (vals <= hi)]
    i = int(np.argmax(np.diff(vals)))
    assert vals[i + 1] - vals[i] > 5e-5, "no usable gap in the probability map"  # >> served-vs-dygraph 1e-5
    return float((vals[i] + vals[i + 1]) / 2)


def test_preprocessing_and_maps_match_training_model(trained):
    det = TextDetector({"det_model_dir": trained["inf"], **BASE})
    eval_ops = build_transforms(label_free_transforms(trained["cfg"]["Eval"]["dataset"]["transforms"],
                                                      ("image", "shape_list")), trained["cfg"]["Global"], "Eval")
    for path in trained["images"]:
        batch, shape = det.preprocess(cv2.imread(path))
        with open(path, "rb") as f:
            want = eval_ops({"img_path": path, "image": f.read()})
        np.testing.assert_allclose(batch[0], want["image"], atol=1e-6)
        np.testing.assert_allclose(shape, want["shape_list"], rtol=1e-6)
        served = det.forward(batch)
        assert served.shape == (1, 1, 64, 64)  # the smoke config's DetResizeForTest image_shape
        np.testing.assert_allclose(served, _dygraph_maps(trained["model"], batch), atol=1e-5)


def test_boxes_match_engine_infer(trained, tmp_path):
    probe = TextDetector({"det_model_dir": trained["inf"], **BASE})
    maps = [probe.forward(probe.preprocess(cv2.imread(p))[0]) for p in trained["images"]]
    thresh = _gap_threshold(maps)
    det = TextDetector({"det_model_dir": trained["inf"], "det_db_thresh": thresh, "det_db_box_thresh": 0.0, **BASE})
    assert det.postprocess.thresh == thresh and det.postprocess.max_candidates == 100  # flags + inference.yml
    eval_dir = os.path.join(trained["data"], "eval")
    engine = infer(det_config(trained["data"], trained["save"], [
        f"Global.checkpoints={trained['save']}/latest", f"Global.infer_img={eval_dir}",
        f"Global.save_res_path={tmp_path / 'res.txt'}", f"PostProcess.thresh={thresh}", "PostProcess.box_thresh=0.0"]))
    found = 0
    for res in engine:
        img = cv2.imread(res["img_path"])
        boxes, elapsed = det(img)
        want = np.asarray(res["points"], np.float32).reshape(-1, 4, 2)
        assert boxes.dtype == np.float32 and boxes.shape == want.shape and elapsed > 0
        assert_same_boxes(boxes, want, atol=1e-3)  # as polygons; both already in the canonical order
        assert (boxes[..., 0] <= img.shape[1] - 1).all() and (boxes[..., 1] <= img.shape[0] - 1).all()
        found += len(boxes)
        # the same image as grey, BGRA and 16-bit arrays gives the same boxes
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        bgra = np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])
        for variant in (grey, grey[:, :, None], bgra, img.astype(np.uint16) * 257):
            assert_same_boxes(det(variant)[0], boxes, atol=1e-3)
    assert found >= 2  # the comparison is not vacuous


def test_flags_override_inference_yml(trained, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(trained["inf"], model_dir)
    yml = yaml.safe_load((model_dir / "inference.yml").read_text())
    yml["PostProcess"]["thresh"] = 0.45
    (model_dir / "inference.yml").write_text(yaml.safe_dump(yml))
    img = cv2.imread(trained["images"][0])  # 256 x 320
    det = TextDetector({"det_model_dir": str(model_dir), **BASE})
    assert det.postprocess.thresh == 0.45 and det.postprocess.unclip_ratio == 1.5
    assert det.preprocess(img)[0].shape == (1, 3, 64, 64)
    args = parse_args(["--det_model_dir", str(model_dir), "--use_gpu", "false", "--cpu_threads", "1",
                       "--det_limit_side_len", "160", "--det_db_thresh", "0.2", "--det_db_score_mode", "slow",
                       "--det_box_type", "poly", "--use_dilation", "true"])
    det = TextDetector(args)
    batch, shape = det.preprocess(img)
    assert batch.shape == (1, 3, 128, 160)  # limit_type max from the flag default, sides multiples of 32
    np.testing.assert_allclose(shape, [256, 320, 0.5, 0.5])
    post = det.postprocess
    assert (post.thresh, post.score_mode, post.box_type, post.use_dilation) == (0.2, "slow", "poly", True)
    polys, _ = det(img)
    assert isinstance(polys, list) and all(p.ndim == 2 and p.shape[1] == 2 for p in polys)
    # no inference.yml: PaddleOCR's default DB pipeline (limit 960, max) and the flag values
    (model_dir / "inference.yml").unlink()
    det = TextDetector({"det_model_dir": str(model_dir), **BASE})
    assert det.preprocess(img)[0].shape == (1, 3, 256, 320) and det.postprocess.thresh == 0.3
    boxes, _ = det(np.full((50, 70, 3), 255, np.uint8))  # a blank image is fine
    assert boxes.shape[1:] == (4, 2)


def test_filter_boxes_orders_clips_and_drops():
    boxes = np.array([[[50, 30], [10, 10], [50, 10], [10, 30]],       # shuffled corners
                      [[-5, 5], [30, 5], [30, 40], [-5, 40]],          # sticks out left
                      [[5, 5], [8, 5], [8, 40], [5, 40]],              # 3 px wide: dropped
                      [[5, 5], [8, 6], [8, 40], [5, 39]],              # 3.16 px wide: int() is 3, dropped
                      [[5, 5], [8.9, 5], [8.9, 30], [5, 30]]], np.float32)  # whole pixels: 3 px wide, dropped
    out = filter_boxes(boxes, height=35, width=60)
    np.testing.assert_array_equal(out[0], [[10, 10], [50, 10], [50, 30], [10, 30]])
    np.testing.assert_array_equal(out[1], [[0, 5], [30, 5], [30, 34], [0, 34]])
    assert out.shape == (2, 4, 2) and filter_boxes(np.zeros((0, 4, 2)), 10, 10).shape == (0, 4, 2)
    # PaddleOCR's clip_det_res: clipped, then truncated to whole pixels
    np.testing.assert_array_equal(filter_boxes(np.float32([[[1.7, 2.2], [20.9, 2.2], [20.9, 9.5], [1.7, 9.5]]]), 9, 20),
                                  [[[1, 2], [19, 2], [19, 8], [1, 8]]])


def test_errors(trained, tmp_path):
    with pytest.raises(ConfigError, match="--det_model_dir"):
        TextDetector({"det_model_dir": str(tmp_path / "missing"), **BASE})
    with pytest.raises(ConfigError, match="det_algorithm"):
        TextDetector({"det_model_dir": trained["inf"], "det_algorithm": "EAST", **BASE})
    with pytest.raises(ConfigError, match="--det_db_thresh"):
        TextDetector({"det_model_dir": trained["inf"], "det_db_thresh": 1.5, **BASE})
    with pytest.raises(ConfigError, match="--det_db_unclip_ratio"):
        TextDetector({"det_model_dir": trained["inf"], "det_db_unclip_ratio": 0, **BASE})
    with pytest.raises(ConfigError, match="--det_limit_type"):
        TextDetector({"det_model_dir": trained["inf"], "det_limit_type": "maximum", **BASE})
    with pytest.raises(ConfigError, match="--det_box_type"):
        TextDetector({"det_model_dir": trained["inf"], "det_box_type": "polygon", **BASE})
    with pytest.raises(ValueError, match="det_db_tresh"):
        TextDetector({"det_model_dir": trained["inf"], "det_db_tresh": 0.3})
    rec_like = tmp_path / "rec_like"
    shutil.copytree(trained["inf"], rec_like)
    (rec_like / "inference.yml").write_text(yaml.safe_dump({"Global": {"model_type": "rec"}}))
    with pytest.raises(ConfigError, match="'rec' model"):
        TextDetector({"det_model_dir": str(rec_like), **BASE})
    det = TextDetector({"det_model_dir": trained["inf"], **BASE})
    with pytest.raises(ValueError, match="image array"):
        det(np.zeros(5, np.uint8))


def test_cli(trained, tmp_path):
    img_dir = tmp_path / "imgs"
    img_dir.mkdir()
    for p in trained["images"]:
        shutil.copy(p, img_dir)
    (img_dir / "notes.txt").write_text("not an image")
    out = tmp_path / "vis"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "infer", "predict_det.py"),
                           "--det_model_dir", trained["inf"], "--image_dir", str(img_dir), "--use_gpu", "false",
                           "--cpu_threads", "1", "--det_db_thresh", "0", "--det_db_box_thresh", "0",
                           "--draw_img_save_dir", str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Total predict time for 2 images" in proc.stdout and "notes.txt" in proc.stderr
    lines = (out / "det_results.txt").read_text().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["000000.png", "000001.png"]
    for ln in lines:
        boxes = np.asarray(json.loads(ln.split("\t")[1]))
        assert boxes.ndim == 3 and boxes.shape[1:] == (4, 2) and len(boxes) >= 1  # thresh 0: the whole page
    for name in ("000000.png", "000001.png"):
        vis = cv2.imread(str(out / f"det_res_{name}"))
        assert vis is not None and vis.shape == cv2.imread(str(img_dir / name)).shape
    bad = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "infer", "predict_det.py"),
                          "--det_model_dir", str(tmp_path / "nope"), "--image_dir", str(img_dir)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 2 and "--det_model_dir" in bad.stderr
