"""Tests of the Hershey text renderer and the demo-set writer."""
import os

import cv2
import numpy as np
import pytest

from ppocr.data.demo.rec import make_rec_demo
from ppocr.data.demo.render import (LEGIBLE_FACES, HersheyFont, random_label, random_word, render_line)


def test_same_seed_same_pixels():
    a = render_line("hello42", np.random.default_rng(7))
    b = render_line("hello42", np.random.default_rng(7))
    c = render_line("hello42", np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


@pytest.mark.parametrize("face", LEGIBLE_FACES)
@pytest.mark.parametrize("height", [24, 32])
def test_shape_and_dtype(face, height):
    img = render_line("word", np.random.default_rng(0), font=HersheyFont(face, italic=True), height=height)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[0] == height and img.shape[2] == 3
    assert 1.0 < img.shape[1] / height < 6.0  # tight-ish crop of a 4-letter word


@pytest.mark.parametrize("text", ["caf\u00e9", "\u6587\u5b57", "tab\there", "   "])
def test_unrenderable_text_raises(text):
    with pytest.raises(ValueError):
        render_line(text, np.random.default_rng(0))


@pytest.mark.parametrize("seed", range(6))
def test_quad_covers_ink(seed):
    rng = np.random.default_rng(seed)
    img, quad = render_line(random_label(rng), rng, return_quad=True, max_angle=4, max_shear=0.3,
                            blur_prob=0.0, max_noise=0.0)
    h, w = img.shape[:2]
    assert quad.shape == (4, 2) and quad.dtype == np.float32
    assert quad[:, 0].min() >= 0 and quad[:, 1].min() >= 0 and quad[:, 0].max() <= w and quad[:, 1].max() <= h
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    dark = grey < np.median(grey) - 40
    assert dark.sum() > 20
    poly = quad.reshape(-1, 1, 2)
    ys, xs = np.nonzero(dark)
    dist = [cv2.pointPolygonTest(poly, (float(x) + 0.5, float(y) + 0.5), True) for x, y in zip(xs, ys)]
    assert min(dist) >= -1.0  # every dark pixel centre lies inside the quad (1 px tolerance)


def test_labels_are_lowercase_alnum_in_range():
    rng = np.random.default_rng(0)
    labels = [random_label(rng, 2, 10) for _ in range(300)]
    assert all(2 <= len(t) <= 10 and t.isalnum() and t == t.lower() and t.isascii() for t in labels)
    assert len(set(labels)) > 200
    assert any(t.isdigit() for t in labels) and any(t.isalpha() for t in labels)
    w = random_word(rng, "ab", 3, 3)
    assert len(w) == 3 and set(w) <= {"a", "b"}


def test_make_rec_demo_writes_paddleocr_labels(tmp_path):
    stats = make_rec_demo(str(tmp_path), num_train=4, num_eval=2, seed=0)
    assert stats["train"] == 4 and stats["eval"] == 2
    for split, n in (("train", 4), ("eval", 2)):
        lines = (tmp_path / f"rec_gt_{split}.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == n
        for line in lines:
            rel, text = line.split("\t")
            assert rel.startswith(f"{split}/") and text
            img = cv2.imread(os.path.join(tmp_path, rel))
            assert img is not None and img.shape[0] == 32 and img.shape[2] == 3
    again = tmp_path / "again"
    make_rec_demo(str(again), num_train=4, num_eval=2, seed=0)
    assert (again / "rec_gt_train.txt").read_bytes() == (tmp_path / "rec_gt_train.txt").read_bytes()
    assert (again / "train" / "000003.png").read_bytes() == (tmp_path / "train" / "000003.png").read_bytes()
