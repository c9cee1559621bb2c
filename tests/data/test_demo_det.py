"""The synthetic detection pages: determinism, labels that parse and sit on ink, the CLI."""
import json
import os
import runpy

import cv2
import numpy as np
import pytest
from shapely.geometry import Polygon

from ppocr.data.imaug.det_label_ops import DetLabelEncode
from ppocr.testing import REPO_ROOT, make_det_data
from ppocr.data.demo.det import make_det_demo, render_det_page


def _files(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def test_same_seed_same_files(tmp_path):
    a = _files(make_det_data(str(tmp_path / "a"), num_train=2, num_eval=1, seed=3))
    b = _files(make_det_data(str(tmp_path / "b"), num_train=2, num_eval=1, seed=3))
    c = _files(make_det_data(str(tmp_path / "c"), num_train=2, num_eval=1, seed=4))
    assert sorted(a) == ["det_gt_eval.txt", "det_gt_train.txt", "eval/000000.png", "train/000000.png",
                         "train/000001.png"]
    assert a == b
    assert a["det_gt_train.txt"] != c["det_gt_train.txt"]


@pytest.mark.parametrize("seed", range(3))
def test_regions_parse_and_cover_ink(seed):
    img, regions = render_det_page(np.random.default_rng(seed), fine_print_prob=1.0, rotate_prob=0.5)
    h, w = img.shape[:2]
    assert img.dtype == np.uint8 and img.shape[2] == 3 and 576 <= w <= 704 and 416 <= h <= 544
    out = DetLabelEncode(degenerate="error")({"label": json.dumps(regions), "image": img})
    polys, ignore = out["polys"], out["ignore_tags"]
    assert polys.shape == (len(regions), 4, 2) and len(regions) >= 10 and ignore.any()
    assert polys[..., 0].min() >= 0 and polys[..., 0].max() <= w
    assert polys[..., 1].min() >= 0 and polys[..., 1].max() <= h
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    paper = float(np.median(grey))
    for poly, text in zip(polys, out["texts"]):
        inside = np.zeros_like(grey)
        cv2.fillPoly(inside, [np.round(poly).astype(np.int32)], 1)
        assert grey[inside > 0].min() < paper - 50, f"no ink inside the box of {text!r}"
        assert text == "###" or (text.isalnum() and text.isascii())
    shapes = [Polygon(p) for p in polys]
    for i in range(len(shapes)):  # words do not overlap
        for j in range(i + 1, len(shapes)):
            assert shapes[i].intersection(shapes[j]).area < 1.0, (out["texts"][i], out["texts"][j])


def test_empty_pages_and_fixed_size():
    img, regions = render_det_page(np.random.default_rng(0), width=200, height=150, empty_prob=1.0)
    assert img.shape == (150, 200, 3) and regions == []


def test_make_det_demo_stats(tmp_path):
    stats = make_det_demo(str(tmp_path), num_train=2, num_eval=1, seed=0, width=256, height=192)
    assert stats["train"] == 2 and stats["eval"] == 1 and stats["words"] > 0 and 0 < stats["bytes"] < 100_000
    lines = (tmp_path / "det_gt_train.txt").read_text(encoding="utf-8").splitlines()
    rel, label = lines[0].split("\t", 1)
    assert rel == "train/000000.png" and cv2.imread(str(tmp_path / rel)).shape == (192, 256, 3)
    assert all(set(r) == {"transcription", "points"} and len(r["points"]) == 4 for r in json.loads(label))
    with pytest.raises(ValueError, match="page counts must be >= 0"):
        make_det_demo(str(tmp_path), num_train=-1)


def test_cli_det_option_and_unchanged_rec_default(tmp_path, capsys):
    main = runpy.run_path(os.path.join(REPO_ROOT, "tools", "make_demo_data.py"))["main"]
    main(["--task", "det", "--out", str(tmp_path / "det"), "--train", "1", "--eval", "1", "--seed", "2"])
    assert (tmp_path / "det" / "det_gt_train.txt").is_file() and (tmp_path / "det" / "eval" / "000000.png").is_file()
    assert "1 train + 1 eval pages" in capsys.readouterr().out
    main(["--out", str(tmp_path / "rec"), "--train", "2", "--eval", "1"])
    assert len((tmp_path / "rec" / "rec_gt_train.txt").read_text().splitlines()) == 2
    assert "2 train + 1 eval images" in capsys.readouterr().out


def test_bundled_demo_set_is_consistent():
    root = os.path.join(REPO_ROOT, "train_data", "demo", "det")
    if not os.path.isfile(os.path.join(root, "det_gt_train.txt")):
        pytest.skip("train_data/demo/det not generated")
    for split, count in (("train", 200), ("eval", 50)):
        lines = open(os.path.join(root, f"det_gt_{split}.txt"), encoding="utf-8").read().splitlines()
        assert len(lines) == count
        for line in lines[:5]:
            rel, label = line.split("\t", 1)
            assert os.path.isfile(os.path.join(root, rel))
            DetLabelEncode(degenerate="error")({"label": label})
