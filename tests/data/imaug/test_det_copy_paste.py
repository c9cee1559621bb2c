"""CopyPaste (PP-OCRv4/v5 mobile det) and the extra samples the dataset hands it."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

import ppocr  # noqa: F401
from ppocr.data import SimpleDataSet
from ppocr.data.imaug import NeedsExtraSamples
from ppocr.data.imaug import det_functional as DF
from ppocr.data.imaug.det_copy_paste import CopyPaste
from ppocr.testing import make_det_data
from ppocr.utils.errors import DataError


def _quad(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def _sample(h=120, w=160, boxes=((10, 10, 50, 30),), colour=230, texts=None):
    img = np.full((h, w, 3), colour, np.uint8)
    polys = np.stack([_quad(*b) for b in boxes]) if boxes else np.zeros((0, 4, 2), np.float32)
    for b in boxes:
        cv2.rectangle(img, b[:2], b[2:], (0, 0, 255), -1)
    return {"image": img, "polys": polys, "ignore_tags": np.zeros(len(boxes), bool),
            "texts": list(texts or ["t"] * len(boxes))}


def test_pastes_care_regions_where_no_text_is():
    np.random.seed(0)
    src = _sample()
    ext = _sample(boxes=((5, 5, 45, 25), (60, 60, 100, 80), (100, 10, 140, 30)), colour=200, texts=["a", "b", "###"])
    ext["ignore_tags"][2] = True
    src["ext_data"] = [ext]
    before = src["image"].copy()
    out = CopyPaste(objects_paste_ratio=1.0)(src)
    assert "ext_data" not in out
    n = len(out["polys"])
    assert 1 < n <= 3  # at most the two care regions are added
    assert out["polys"].shape[1:] == (4, 2) and len(out["ignore_tags"]) == n == len(out["texts"])
    assert not out["ignore_tags"][1:].any() and set(out["texts"][1:]) <= {"a", "b"}
    assert (out["image"] != before).any() and out["image"].shape == before.shape and out["image"].dtype == np.uint8
    h, w = before.shape[:2]
    assert out["polys"][..., 0].max() <= w and out["polys"][..., 1].max() <= h and out["polys"].min() >= 0
    # limit_paste: no pasted region's box overlaps the original text
    for poly in out["polys"][1:]:
        assert DF.polys_outside_rect(out["polys"][:1], *poly.min(0), *poly.max(0)).all()


def test_passes_unchanged_without_regions_or_extra_sample():
    op = CopyPaste()
    for ext in ([], [_sample(boxes=())]):
        src = _sample()
        src["ext_data"] = ext
        out = op(src)
        assert len(out["polys"]) == 1 and "ext_data" not in out
    src = _sample(boxes=())
    src["ext_data"] = [_sample()]
    assert len(op(src)["polys"]) == 0
    with pytest.raises(DataError, match="ext_data"):
        op(_sample())


def test_arguments_and_protocol():
    assert isinstance(CopyPaste(), NeedsExtraSamples) and CopyPaste.ext_data_num == 1
    assert repr(CopyPaste()) == "CopyPaste(objects_paste_ratio=0.2, limit_paste=True)"
    with pytest.raises(ValueError, match="objects_paste_ratio"):
        CopyPaste(objects_paste_ratio=2)
    with pytest.raises(TypeError, match="limit_paste"):
        CopyPaste(limit_paste="yes")


@pytest.mark.parametrize("angle", [0, 30, 90, 200, 315])
def test_rotated_rect_corners_match_pil_rotate(angle):
    w, h = 40, 16
    rotated = Image.fromarray(np.full((h, w), 255, np.uint8)).rotate(angle, expand=True)
    corners = DF.rotated_rect_corners(w, h, angle)
    # the corners sit symmetrically in PIL's expanded canvas
    np.testing.assert_allclose(corners.min(0) + corners.max(0), rotated.size, atol=1e-4)
    ys, xs = np.nonzero(np.asarray(rotated) > 127)
    assert abs(xs.min() - corners[:, 0].min()) <= 1.5 and abs(xs.max() + 1 - corners[:, 0].max()) <= 1.5
    assert abs(ys.min() - corners[:, 1].min()) <= 1.5 and abs(ys.max() + 1 - corners[:, 1].max()) <= 1.5


def test_rotate_crop_upright_and_tall():
    img = np.arange(60 * 80 * 3, dtype=np.uint8).reshape(60, 80, 3)
    crop = DF.rotate_crop(img, _quad(10, 5, 40, 25))
    assert crop.shape == (20, 30, 3)
    np.testing.assert_array_equal(crop[2:-2, 2:-2], img[7:23, 12:38])
    assert DF.rotate_crop(img, _quad(10, 5, 20, 45)).shape == (10, 40, 3)  # tall: turned


def test_dataset_supplies_extra_samples(tmp_path):
    root = make_det_data(str(tmp_path), num_train=3, num_eval=1, width=160, height=128)
    transforms = [{"DecodeImage": {"img_mode": "BGR"}}, {"DetLabelEncode": None}, {"CopyPaste": None}]
    ds = SimpleDataSet(root, f"{root}/det_gt_train.txt", transforms, seed=3)
    assert ds.ext_data_num == 1 and len(ds.ext_ops) == 2
    seen = ds[0]
    again = ds[0]
    assert len(seen["polys"]) >= len(json.loads(open(f"{root}/det_gt_train.txt").readline().split("\t", 1)[1]))
    np.testing.assert_array_equal(seen["image"], again["image"])  # seeded per sample: reproducible
    plain = SimpleDataSet(root, f"{root}/det_gt_train.txt", transforms[:2])
    assert plain.ext_data_num == 0 and "ext_data" not in plain[0]
