"""TextSystem: crops, reading order, score filter, visualisation, and the predict_system.py CLI.

Reading a page needs a detector that finds words and a recogniser that reads them; training both is far
too slow for a unit test. So the pipeline test (``test_system_reads_page_in_reading_order``) renders a
page whose word quads are known and injects

* a detector that returns those quads (shuffled, corners ordered as TextDetector orders them), and
* a recogniser that reads each crop's pixels: normalised cross-correlation against separately rendered
  images of the vocabulary (other backgrounds, margins and noise). A crop of the wrong region, or one
  not turned upright, does not match its word; the test shows that by disabling the turn.

The real predictors are covered by ``test_cli_with_exported_models``: det and rec models trained for two
steps and exported, run through ``tools/infer/predict_system.py`` (output structure only: such models
read nothing). The fully trained demo models are checked separately with :func:`read_page` and
:func:`label_reading_order`.
"""
import json
import math
import os
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.inference import predict_system as PS
from ppocr.inference import visualize as V
from ppocr.inference.predict_system import (TextSystem, filter_by_score, get_rotate_crop_image, label_reading_order,
                                            read_page, reading_order, sorted_boxes)
from ppocr.testing import REPO_ROOT
from ppocr.testing.boxes import assert_same_boxes
from ppocr.utils.errors import ConfigError
from ppocr.utils.geometry import order_corners
from ppocr.data.demo.render import render_line

WORDS = ["north", "river", "73", "glass", "pak", "mind", "zebra"]  # in reading order on the page
RENDER = dict(font="simplex", height=32, max_angle=0.0, max_shear=0.0, margin=(2, 4), blur_prob=0.0, max_noise=2.0)


# ----------------------------------------------------------------------------------------------- helpers
def _paste(page, patch, matrix):
    """Warp ``patch`` onto ``page`` with the 2x3 ``matrix``; return the patch's quad on the page."""
    h, w = patch.shape[:2]
    cv2.warpAffine(patch, matrix, (page.shape[1], page.shape[0]), dst=page, flags=cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_TRANSPARENT)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    return (corners @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def render_page(seed=0):
    """A 420x300 page: two lines of words (one word rotated 6 degrees, one scaled 1.25x), then a vertical
    word written top to bottom. Returns (page, quads in reading order)."""
    rng = np.random.default_rng(seed)
    page = np.full((300, 420, 3), 235, np.uint8)
    patches = {w: render_line(w, rng, **RENDER) for w in WORDS}
    quads = []
    for word, x, y in (("north", 20, 22), ("river", 140, 26), ("73", 260, 20)):
        quads.append(_paste(page, patches[word], np.float64([[1, 0, x], [0, 1, y]])))
    glass = patches["glass"]
    centre = (glass.shape[1] / 2.0, glass.shape[0] / 2.0)
    rot = cv2.getRotationMatrix2D(centre, 6.0, 1.0)  # counter-clockwise on screen
    rot[:, 2] += [30, 95]
    quads.append(_paste(page, glass, rot))
    quads.append(_paste(page, patches["pak"], np.float64([[1.25, 0, 170], [0, 1.25, 88]])))
    quads.append(_paste(page, patches["mind"], np.float64([[1, 0, 290], [0, 1, 100]])))
    vertical = np.ascontiguousarray(np.rot90(patches["zebra"], k=-1))  # clockwise: reads top to bottom
    h, w = vertical.shape[:2]
    page[170:170 + h, 40:40 + w] = vertical
    quads.append(np.array([[40, 170], [40 + w, 170], [40 + w, 170 + h], [40, 170 + h]], np.float32))
    return page, quads


class QuadDetector:
    """Returns fixed quads in a shuffled order, corners ordered as TextDetector orders them."""

    def __init__(self, quads, seed=0):
        order = np.random.default_rng(seed).permutation(len(quads))
        self.boxes = np.stack([order_corners(quads[i]) for i in order]).astype(np.float32)

    def __call__(self, img):
        return self.boxes.copy(), 0.001


class TemplateRecognizer:
    """Reads a crop by normalised cross-correlation with rendered images of a vocabulary (best match wins;
    the score is the correlation)."""

    SIZE = (96, 24)

    def __init__(self, words, seed=1, copies=2):
        rng = np.random.default_rng(seed)
        self.templates = [(w, self._normalise(render_line(w, rng, **RENDER))) for w in words for _ in range(copies)]

    @classmethod
    def _normalise(cls, img):
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
        v = cv2.resize(grey, cls.SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
        v -= v.mean()
        return v / max(float(np.linalg.norm(v)), 1e-6)

    def __call__(self, crops):
        start = time.perf_counter()
        out = []
        for crop in crops:
            v = self._normalise(crop)
            out.append(max(((w, float((v * t).sum())) for w, t in self.templates), key=lambda r: r[1]))
        return out, time.perf_counter() - start


# ------------------------------------------------------------------------------------------------ crops
def test_axis_aligned_crop_is_exact():
    img = np.random.default_rng(0).integers(0, 256, (60, 90, 3), dtype=np.uint8)
    quad = np.float32([[10, 5], [70, 5], [70, 35], [10, 35]])
    np.testing.assert_array_equal(get_rotate_crop_image(img, quad), img[5:35, 10:70])
    tall = np.float32([[10, 5], [30, 5], [30, 55], [10, 55]])  # 50 / 20 >= 1.5: turned counter-clockwise
    np.testing.assert_array_equal(get_rotate_crop_image(img, tall), np.rot90(img[5:55, 10:30]))
    with pytest.raises(ValueError, match="4 finite"):
        get_rotate_crop_image(img, np.zeros((3, 2)))


def _smooth_patch(h, w, seed=0):
    noise = np.random.default_rng(seed).integers(0, 256, (h // 4, w // 4, 3)).astype(np.uint8)
    return cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize("kind", ["rotation", "perspective"])
def test_perspective_crop_recovers_patch(kind):
    patch = _smooth_patch(40, 120)
    src = np.float32([[0, 0], [120, 0], [120, 40], [0, 40]])
    if kind == "rotation":  # 25 degrees about (140, 90): edge lengths stay 120 x 40
        a = math.radians(25)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        quad = ((src - [60, 20]) @ rot.T + [140, 90]).astype(np.float32)
    else:
        quad = np.float32([[60, 50], [200, 70], [190, 130], [70, 110]])
    page = cv2.warpPerspective(patch, cv2.getPerspectiveTransform(src, quad), (280, 200), flags=cv2.INTER_CUBIC)
    crop = get_rotate_crop_image(page, quad)
    edges = [np.linalg.norm(quad[i] - quad[(i + 1) % 4]) for i in range(4)]
    # whole pixels by truncation, as PaddleOCR's get_rotate_crop_image (int())
    assert crop.shape[:2] == (int(max(edges[1], edges[3])), int(max(edges[0], edges[2])))
    # corner-to-corner maps between two rectangles reduce to a scaling: the crop is the resized patch
    want = cv2.resize(patch, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    inner = (slice(3, -3), slice(3, -3))
    assert np.abs(crop.astype(np.float32) - want)[inner].mean() < 6.0
    assert np.abs(np.rot90(crop, 2).astype(np.float32) - want)[inner].mean() > 20.0  # the check has teeth


# ------------------------------------------------------------------------------------------ reading order
def _grid(lines, xs, height=24, y0=30, pitch=50, jitter=0.0, seed=0):
    rng = np.random.default_rng(seed)
    boxes = []
    for r in range(lines):
        for x in xs:
            y = y0 + r * pitch + rng.uniform(-jitter, jitter)
            boxes.append(np.float32([[x, y], [x + 60, y], [x + 60, y + height], [x, y + height]]))
    return boxes


def _shuffled(boxes, seed=0):
    perm = np.random.default_rng(seed).permutation(len(boxes))
    return [boxes[i] for i in perm], perm


def test_reading_order_lines_with_jitter_and_mixed_heights():
    boxes = _grid(3, [20, 100, 180, 260], jitter=6)
    boxes[5] = boxes[5] + np.float32([[0, -6], [0, -6], [0, 6], [0, 6]])  # a taller word in line 2
    shuffled, perm = _shuffled(boxes)
    assert [int(perm[i]) for i in reading_order(shuffled)] == list(range(12))
    # sorted_boxes returns the boxes themselves
    np.testing.assert_array_equal(np.stack(sorted_boxes(shuffled)), np.stack(boxes))
    assert reading_order([]) == [] and sorted_boxes(np.zeros((0, 4, 2), np.float32)) == []


def test_reading_order_rotated_page():
    """A page turned by 7 degrees: a line drifts 35 px over its width, more than half the line pitch."""
    boxes = _grid(4, [20, 100, 180, 260, 340], height=20, pitch=45)
    a = math.radians(7)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    turned = [((b - [200, 100]) @ rot.T + [200, 140]).astype(np.float32) for b in boxes]
    shuffled, perm = _shuffled(turned, seed=3)
    assert [int(perm[i]) for i in reading_order(shuffled)] == list(range(20))
    ordered = [order_corners(b) for b in shuffled]  # corner order does not matter either
    assert [int(perm[i]) for i in reading_order(ordered)] == list(range(20))


def test_reading_order_rotated_words_and_columns():
    # words individually turned by up to +-8 degrees (as in the demo pages) stay in their line
    rng = np.random.default_rng(1)
    boxes = []
    for b in _grid(3, [20, 110, 200, 290], height=26, pitch=55):
        a = math.radians(rng.uniform(-8, 8))
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        c = b.mean(axis=0)
        boxes.append(((b - c) @ rot.T + c).astype(np.float32))
    shuffled, perm = _shuffled(boxes, seed=2)
    assert [int(perm[i]) for i in reading_order(shuffled)] == list(range(12))
    # two columns, the right one in a smaller font with its own line pitch. The order is by text line
    # across the page (PaddleOCR's sorted_boxes semantics, no column analysis): line centres are
    # left 42, 92, 142 and right 35, 71, 107, 143; 42/35 and 142/143 are one line each.
    left = _grid(3, [20, 90], height=24, y0=30, pitch=50)       # boxes 0-5
    right = _grid(4, [300, 370], height=14, y0=28, pitch=36)    # boxes 6-13
    shuffled, perm = _shuffled(left + right, seed=4)
    got = [int(perm[i]) for i in reading_order(shuffled)]
    assert got == [0, 1, 6, 7, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13]
    # an explicit tolerance merges close lines
    assert reading_order(_grid(2, [20, 100], pitch=20), line_tolerance=25) == [0, 2, 1, 3]


# -------------------------------------------------------------------------------------------- the system
def test_system_reads_page_in_reading_order(tmp_path):
    page, quads = render_page()
    recognizer = TemplateRecognizer(WORDS)
    system = TextSystem({"drop_score": 0.5, "save_crop_res": True, "crop_res_save_dir": str(tmp_path / "crops")},
                        text_detector=QuadDetector(quads), text_recognizer=recognizer)
    results = system(page)
    assert [text for _, (text, _) in results] == WORDS
    assert_same_boxes([box for box, _ in results], quads, atol=1e-4)  # as polygons, and in the canonical order
    for _, (_, score) in results:
        assert 0.5 <= score <= 1.0
    assert sorted(os.listdir(tmp_path / "crops")) == sorted(f"mg_crop_{i}.jpg" for i in range(len(WORDS)))
    assert set(system.last_time) == {"det", "rec", "cls", "all"} and system.last_time["all"] > 0
    grey_results, times = system(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), return_time=True)
    assert [t for _, (t, _) in grey_results] == WORDS and times == system.last_time
    regions = read_page(page, system=system)
    assert [r["transcription"] for r in regions] == WORDS
    assert all(np.asarray(r["points"]).shape == (4, 2) and isinstance(r["score"], float) for r in regions)
    # the label-side helper for the acceptance check gives the same order from ground-truth regions
    shuffled = [{"transcription": WORDS[i], "points": quads[i].tolist()} for i in (6, 2, 0, 4, 1, 5, 3)]
    shuffled.append({"transcription": "###", "points": [[0, 0], [5, 0], [5, 5], [0, 5]]})
    assert label_reading_order(shuffled) == WORDS


def test_system_test_has_teeth(monkeypatch):
    """Without turning tall crops upright the vertical word is no longer read; a wrong box misreads."""
    page, quads = render_page()
    recognizer = TemplateRecognizer(WORDS)
    monkeypatch.setattr(PS, "TALL_RATIO", float("inf"))
    system = TextSystem({"drop_score": 0.5}, text_detector=QuadDetector(quads), text_recognizer=recognizer)
    assert "zebra" not in [t for _, (t, _) in system(page)]
    monkeypatch.undo()
    shifted = [q + np.float32([40, 0]) if i == 0 else q for i, q in enumerate(quads)]
    system = TextSystem({"drop_score": 0.5}, text_detector=QuadDetector(shifted), text_recognizer=recognizer)
    assert "north" not in [t for _, (t, _) in system(page)]


def test_drop_score_and_errors():
    boxes = [np.float32([[x, 10], [x + 40, 10], [x + 40, 30], [x, 30]]) for x in (10, 60, 110)]
    res = [("a", 0.9), ("b", 0.3), ("c", 0.5)]
    assert [t for _, (t, _) in filter_by_score(boxes, res, 0.5)] == ["a", "c"]  # >= drop_score is kept
    assert len(filter_by_score(boxes, res, 0.0)) == 3
    with pytest.raises(ValueError, match="2 recognition results for 3 boxes"):
        filter_by_score(boxes, res[:2], 0.5)

    def recognise(crops):
        return [r for r, _ in zip(res, crops)], 0.0

    system = TextSystem({"drop_score": 0.6}, text_detector=lambda img: (np.stack(boxes), 0.0),
                        text_recognizer=recognise)
    assert [t for _, (t, _) in system(np.full((40, 160, 3), 255, np.uint8))] == ["a"]
    empty = TextSystem({}, text_detector=lambda img: (np.zeros((0, 4, 2), np.float32), 0.0),
                       text_recognizer=lambda crops: pytest.fail("no crops, no recognition"))
    assert empty(np.full((40, 160), 255, np.uint8)) == []
    with pytest.raises(ConfigError, match="--cls_model_dir is not set"):
        TextSystem({"use_angle_cls": True}, text_detector=QuadDetector(boxes), text_recognizer=recognise)
    with pytest.raises(ConfigError, match="--drop_score"):
        TextSystem({"drop_score": float("nan")}, text_detector=QuadDetector(boxes), text_recognizer=recognise)
    with pytest.raises(ValueError, match="drop_scor"):
        TextSystem({"drop_scor": 0.5})


# ------------------------------------------------------------------------------------------ visualisation
def _ink_in(panel, box):
    x0, y0 = np.floor(box.min(axis=0)).astype(int) + 2
    x1, y1 = np.ceil(box.max(axis=0)).astype(int) - 2
    return int((panel[y0:y1, x0:x1] < 128).any(axis=2).sum())


@pytest.mark.parametrize("font", ["system", "hershey"])
def test_draw_ocr_box_txt(monkeypatch, font, caplog):
    page, quads = render_page()
    if font == "hershey":  # no font anywhere: OpenCV's Hershey text, with a warning for the missing path
        monkeypatch.setattr(V, "SYSTEM_FONTS", ())
        monkeypatch.setattr(V, "SYSTEM_FONT_GLOBS", ())
        monkeypatch.setattr(V, "_bundled_fonts", lambda: [])
        monkeypatch.setattr(V, "_warned", set())  # warned once per process; another test may have had it
        assert V.find_font("/no/such/font.ttf") is None
        assert "/no/such/font.ttf" in caplog.text
    else:
        path = V.find_font(None)
        if path is None:
            pytest.skip("no TrueType font on this machine")
        assert V.TextPainter(path).font_path == path
    scores = [0.9] * 6 + [0.2]  # the last box (zebra) is under drop_score and not drawn
    vis = V.draw_ocr_box_txt(page, quads, WORDS, scores, drop_score=0.5)
    assert vis.shape == (300, 840, 3) and vis.dtype == np.uint8
    right = vis[:, 420:]
    for quad in quads[:6]:
        assert _ink_in(right, quad) > 20  # text written inside each kept box
    assert _ink_in(right, quads[6]) == 0
    assert not np.array_equal(vis[:, :420], page)  # boxes tinted on the left


# --------------------------------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def exported_models(tmp_path_factory):
    """Det and rec smoke models trained for two steps and exported."""
    from ppocr.engine import export, train
    from ppocr.testing import make_det_data, make_rec_data, rec_config
    from ppocr.utils.config import get_config

    root = tmp_path_factory.mktemp("system")
    rec_data = make_rec_data(str(root / "rec_data"), num_train=4, num_eval=2)
    rec_save, rec_inf = str(root / "rec_out"), str(root / "rec_inf")
    train(rec_config(rec_data, rec_save, ["Global.max_steps=2"]))
    export(rec_config(rec_data, rec_save, [f"Global.pretrained_model={rec_save}/latest",
                                           f"Global.save_inference_dir={rec_inf}"]))
    det_data = make_det_data(str(root / "det_data"), num_train=2, num_eval=2, seed=1)
    det_save, det_inf = str(root / "det_out"), str(root / "det_inf")
    opts = [f"Global.save_model_dir={det_save}", f"Train.dataset.data_dir={det_data}",
            f"Train.dataset.label_file_list=[{det_data}/det_gt_train.txt]", f"Eval.dataset.data_dir={det_data}",
            f"Eval.dataset.label_file_list=[{det_data}/det_gt_eval.txt]"]
    smoke = os.path.join(REPO_ROOT, "configs", "_smoke", "det_smoke.yml")
    train(get_config(smoke, opts + ["Global.max_steps=2"]))
    export(get_config(smoke, opts + [f"Global.pretrained_model={det_save}/latest",
                                     f"Global.save_inference_dir={det_inf}"]))
    return {"det": det_inf, "rec": rec_inf, "images": os.path.join(det_data, "eval")}


def test_cli_with_exported_models(exported_models, tmp_path):
    out, crops = tmp_path / "results", tmp_path / "crops"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # thresholds 0: an untrained map still yields a box (the whole page), so every stage runs
    cmd = [sys.executable, os.path.join(REPO_ROOT, "tools", "infer", "predict_system.py"),
           "--det_model_dir", exported_models["det"], "--rec_model_dir", exported_models["rec"],
           "--image_dir", exported_models["images"], "--use_gpu", "false", "--cpu_threads", "1",
           "--det_db_thresh", "0", "--det_db_box_thresh", "0", "--drop_score", "0", "--save_crop_res", "true",
           "--crop_res_save_dir", str(crops), "--draw_img_save_dir", str(out), "--vis_font_path", "/no/font.ttf"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Total predict time for 2 images" in proc.stdout and "/no/font.ttf" in proc.stderr
    lines = (out / PS.RESULTS_FILE).read_text(encoding="utf-8").splitlines()
    names = sorted(os.listdir(exported_models["images"]))
    assert [ln.split("\t")[0] for ln in lines] == names
    n_regions = 0
    for ln, name in zip(lines, names):
        regions = json.loads(ln.split("\t", 1)[1])
        assert len(regions) >= 1
        for r in regions:
            assert set(r) == {"transcription", "points"} and isinstance(r["transcription"], str)
            assert np.asarray(r["points"]).shape == (4, 2)
        n_regions += len(regions)
        src = cv2.imread(os.path.join(exported_models["images"], name))
        vis = cv2.imread(str(out / name))
        assert vis is not None and vis.shape == (src.shape[0], 2 * src.shape[1], 3)
    assert len(os.listdir(crops)) == n_regions


# ------------------------------------------------------------------------------------- tools/eval_system.py
def test_eval_system_scores_reading_order(tmp_path):
    from ppocr.inference.system_eval import load_labels, score_pages

    page, quads = render_page()
    cv2.imwrite(str(tmp_path / "page.png"), page)
    regions = [{"transcription": WORDS[i].upper() if i == 0 else WORDS[i], "points": quads[i].tolist()}
               for i in (3, 0, 6, 1, 5, 2, 4)]
    regions.append({"transcription": "###", "points": [[0, 0], [5, 0], [5, 5], [0, 5]]})
    label = tmp_path / "gt.txt"
    label.write_text(f"page.png\t{json.dumps(regions)}\n\n", encoding="utf-8")
    pages = load_labels(str(label), str(tmp_path))
    assert pages == [(str(tmp_path / "page.png"), ["NORTH"] + WORDS[1:])]
    system = TextSystem({"drop_score": 0.5}, text_detector=QuadDetector(quads), text_recognizer=TemplateRecognizer(WORDS))
    perfect = score_pages(pages, system, lower=True)
    assert (perfect["wer"], perfect["found_any_order"], perfect["page_exact"]) == (0.0, 1.0, 1.0)
    cased = score_pages(pages, system)
    assert (cased["word_errors"], cased["page_exact"]) == (1, 0.0)      # NORTH vs north
    # a detector that misses a word: one deletion
    missing = TextSystem({"drop_score": 0.5}, text_detector=QuadDetector(quads[:-1]),
                         text_recognizer=TemplateRecognizer(WORDS))
    assert score_pages(pages, missing, lower=True)["word_errors"] == 1
    label.write_text("page.png\t[{\"points\": [[0, 0]]}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gt.txt:1: expected"):
        load_labels(str(label), str(tmp_path))


def test_minarea_crop_takes_corners_as_paddleocr():
    """PaddleOCR's get_minarea_rect_crop: of the rectangle's corners sorted by x, the upper of the two leftmost first,
    the lower one last; the upper of the two rightmost second. A steep box starts at its upper-left end."""
    for angle in (10, 35, 60, 80, 100, 145):
        rect = ((120.0, 90.0), (90.0, 24.0), float(angle))
        got = PS.rect_corners_left_to_right(rect)
        by_x = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
        assert sorted(got[[0, 3]].tolist()) == sorted(by_x[:2]) and got[0][1] <= got[3][1]
        assert sorted(got[[1, 2]].tolist()) == sorted(by_x[2:]) and got[1][1] <= got[2][1]
    img = np.random.default_rng(1).integers(0, 256, (200, 240, 3), dtype=np.uint8)
    poly = cv2.boxPoints(((120.0, 100.0), (90.0, 24.0), 60.0))
    crop = PS.get_minarea_rect_crop(img, poly)
    np.testing.assert_array_equal(crop, get_rotate_crop_image(img, PS.rect_corners_left_to_right(
        cv2.minAreaRect(poly.astype(np.int32)))))
