"""KIE inference: the infer tools (training-time models) in both infer_mode settings, the exported models through
the ppstructure predictors (same labels and links as the training-time models), drawings and flags.

Reading pages needs trained det and rec models, far too slow here; ``infer_mode: True`` is tested with an
injected OCR engine that returns the label file's lines for each page ("perfect OCR"), so both modes see the
same text and must give the same result.
"""
import copy
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ppocr.testing import REPO_ROOT
from ppocr.testing.kie import smoke_config
from ppocr.utils.errors import ConfigError

paddle = pytest.importorskip("paddle")
pytest.importorskip("paddlenlp")

from ppocr.engine import export, train  # noqa: E402
from ppocr.kie.infer import infer_ser, infer_ser_re  # noqa: E402
from ppocr.kie.pipeline import RESULTS_FILE  # noqa: E402


def _with(cfg, **glob):
    cfg = copy.deepcopy(cfg)
    cfg["Global"].update(glob)
    return cfg


@pytest.fixture(scope="module")
def trained(kie_data, starter, tmp_path_factory):
    """SER and RE smoke models trained for two steps, their configs (weights from Backbone.checkpoints) and exports."""
    root = tmp_path_factory.mktemp("kie_infer")
    out = {}
    for kind in ("ser", "re"):
        cfg = smoke_config(f"kie_{kind}_smoke", kie_data, starter, str(root / kind))
        train(copy.deepcopy(cfg))
        cfg["Architecture"]["Backbone"]["checkpoints"] = str(root / kind / "latest")
        export(_with(cfg, save_inference_dir=str(root / f"{kind}_inference")))
        out[kind], out[f"{kind}_inference"] = cfg, str(root / f"{kind}_inference")
    return out


def _label_lines(kie_data):
    """{image path: its label entries} of the eval split."""
    pages = {}
    with open(os.path.join(kie_data, "eval.json"), encoding="utf-8") as f:
        for line in f:
            rel, ann = line.rstrip("\n").split("\t", 1)
            pages[os.path.join(kie_data, rel)] = json.loads(ann)
    return pages


def perfect_ocr(kie_data):
    """An OCR engine that returns each eval page's labelled lines (text and box only), found by image content."""
    pages = _label_lines(kie_data)
    images = {path: cv2.imread(path) for path in pages}

    def engine(img):
        path = next(p for p, im in images.items() if im.shape == img.shape and np.array_equal(im, img))
        return [{"transcription": e["transcription"], "points": e["points"]} for e in pages[path]]

    return engine


def _results(out_dir, name=RESULTS_FILE):
    with open(os.path.join(out_dir, name), encoding="utf-8") as f:
        return [(ln.split("\t", 1)[0], json.loads(ln.split("\t", 1)[1])) for ln in f if ln.strip()]


def _preds(result):
    return [(line["transcription"], line["pred_id"]) for line in result["ocr_info"]]


def test_infer_ser_label_file_and_ocr_modes_agree(trained, kie_data, tmp_path):
    cfg = trained["ser"]
    by_label = infer_ser(_with(cfg, infer_img=os.path.join(kie_data, "eval.json"), infer_mode=False,
                               save_res_path=str(tmp_path / "label")))
    by_ocr = infer_ser(_with(cfg, infer_img=os.path.join(kie_data, "eval"), infer_mode=True,
                             save_res_path=str(tmp_path / "ocr")), ocr_engine=perfect_ocr(kie_data))
    assert len(by_label) == len(by_ocr) == 3
    for a, b in zip(by_label, by_ocr):
        assert os.path.samefile(a["img_path"], b["img_path"])
        assert _preds(a) == _preds(b) and len(a["ocr_info"]) == len(_label_lines(kie_data)[a["img_path"]])
        for line in a["ocr_info"]:
            assert {"transcription", "bbox", "pred_id", "pred", "score"} <= set(line) and "label" not in line
        vis = cv2.imread(a["vis_path"])
        assert a["vis_path"].endswith("_ser.jpg") and vis.shape == cv2.imread(a["img_path"]).shape
    written = _results(str(tmp_path / "label"))
    assert [p for p, _ in written] == [r["img_path"] for r in by_label]
    assert [_preds(r) for _, r in written] == [_preds(r) for r in by_label]


def test_infer_mode_true_needs_ocr_models(trained, kie_data, tmp_path):
    with pytest.raises(ConfigError, match="kie_det_model_dir"):
        infer_ser(_with(trained["ser"], infer_img=os.path.join(kie_data, "eval"), infer_mode=True,
                        save_res_path=str(tmp_path)))


def test_infer_ser_re_cli_with_label_file(trained, kie_data, tmp_path):
    out = tmp_path / "re_res"
    ser_cfg = os.path.join(tmp_path, "ser.yml")
    re_cfg = os.path.join(tmp_path, "re.yml")
    from ppocr.utils.config import dump_config

    dump_config(trained["ser"], ser_cfg)
    dump_config(_with(trained["re"], infer_img=os.path.join(kie_data, "eval.json"), infer_mode=False), re_cfg)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "infer_kie_token_ser_re.py"),
                           "-c", re_cfg, "-o", f"Global.save_res_path={out}", "-c_ser", ser_cfg,
                           "-o_ser", "Global.seed=3"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = _results(str(out))
    assert len(results) == 3
    for path, record in results:
        assert set(record) == {"ocr_info", "relations"} and record["ocr_info"]
        texts = {x["transcription"] for x in record["ocr_info"]}
        assert all(len(pair) == 2 and {pair[0]["transcription"], pair[1]["transcription"]} <= texts
                   for pair in record["relations"])
        stem = os.path.splitext(os.path.basename(path))[0]
        vis = cv2.imread(str(out / f"{stem}_ser_re.jpg"))
        page = cv2.imread(path)
        assert vis.shape == (page.shape[0], 2 * page.shape[1], 3)  # SER drawing | RE drawing


def test_exported_models_agree_with_training_time_models(trained, kie_data, tmp_path):
    """ppstructure's predictors (paddle.inference, inference.yml + assets) give the training-time labels and links."""
    from ppstructure.kie import predict_kie_token_ser, predict_kie_token_ser_re

    engine = perfect_ocr(kie_data)
    ref = infer_ser_re(_with(trained["re"], infer_img=os.path.join(kie_data, "eval"), infer_mode=True,
                             save_res_path=str(tmp_path / "ref")), trained["ser"], ocr_engine=engine)
    from ppocr.inference.utility import parse_args

    args = parse_args(["--ser_model_dir", trained["ser_inference"], "--re_model_dir", trained["re_inference"],
                       "--image_dir", os.path.join(kie_data, "eval"), "--use_gpu", "false", "--use_visual_backbone",
                       "false", "--output", str(tmp_path / "served"), "--vis_font_path", "/no/such/font.ttf"])
    served = predict_kie_token_ser_re.predict(args, ocr_engine=engine)
    assert len(served) == len(ref) == 3
    for a, b in zip(ref, served):
        assert _preds(a) == _preds(b)
        np.testing.assert_allclose([x["score"] for x in a["ocr_info"]], [x["score"] for x in b["ocr_info"]],
                                   rtol=1e-4, atol=1e-5)
        pairs = [[(q["transcription"], r["transcription"]) for q, r in res["relations"]] for res in (a, b)]
        assert pairs[0] == pairs[1]
    assert os.path.isfile(tmp_path / "served" / "infer.txt")

    ser_only = predict_kie_token_ser.predict(
        parse_args(["--ser_model_dir", trained["ser_inference"], "--image_dir", os.path.join(kie_data, "eval"),
                    "--use_gpu", "false", "--output", str(tmp_path / "ser_only"),
                    "--ser_dict_path", os.path.join(kie_data, "class_list.txt"), "--ocr_order_method", "tb-yx"]),
        ocr_engine=engine)
    assert [_preds(r) for r in ser_only] == [_preds(r) for r in ref]
    assert sorted(os.listdir(tmp_path / "ser_only")) == ["000000_ser.jpg", "000001_ser.jpg", "000002_ser.jpg",
                                                          "infer.txt"]


def test_predictor_flags_are_checked(trained):
    from ppstructure.kie.predict_kie_token_ser import KIEPredictor

    base = {"ser_model_dir": trained["ser_inference"], "use_gpu": False}
    with pytest.raises(ConfigError, match="use_visual_backbone false"):
        KIEPredictor(dict(base, use_visual_backbone=True))
    with pytest.raises(ConfigError, match="LayoutXLM"):
        KIEPredictor(dict(base, kie_algorithm="LayoutLMv2"))
    with pytest.raises(ConfigError, match="det_model_dir"):
        from ppocr.kie.pipeline import text_system_engine
        text_system_engine({"det_model_dir": None, "rec_model_dir": None})


def test_drawings_with_and_without_a_font(tmp_path):
    from ppocr.kie.visualize import draw_re_results, draw_ser_results

    page = np.full((120, 200, 3), 255, np.uint8)
    q = {"transcription": "Name:", "bbox": [10, 40, 60, 55], "pred": "QUESTION", "pred_id": 1}
    a = {"transcription": "Ann", "points": [[80, 40], [120, 40], [120, 55], [80, 55]], "pred": "ANSWER", "pred_id": 2}
    o = {"transcription": "x", "bbox": [10, 90, 20, 100], "pred": "O", "pred_id": 0}
    for font in (None, "/no/such/font.ttf"):
        ser = draw_ser_results(page, [q, a, o], font_path=font)
        assert ser.shape == page.shape and (ser != 255).any()
        assert tuple(ser[47, 30]) != (255, 255, 255) and tuple(ser[47, 100]) != tuple(ser[47, 30])  # class colours
        re = draw_re_results(page, [(q, a)], font_path=font)
        assert tuple(re[47, 70]) != (255, 255, 255)  # the link between the boxes
    from ppocr.inference import visualize as V

    painter = V.TextPainter(None)  # OpenCV's Hershey font
    assert draw_ser_results(page, [q], painter=painter).shape == page.shape
