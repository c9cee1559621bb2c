"""The det transforms as configs chain them: contract per transform, SimpleDataSet train/eval samples, batching."""
import json

import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401
from ppocr.data import SimpleDataSet, build_transforms, collate_skip_none
from ppocr.registry import TRANSFORMS
from ppocr.testing import make_det_data
from ppocr.utils.errors import DataError

DET_TRANSFORMS = ["DetLabelEncode", "IaaAugment", "EastRandomCropData", "RandomCropImgMask", "MakeBorderMap",
                  "MakeShrinkMap", "DetResizeForTest"]
REQUIRED = {"RandomCropImgMask": {"size": [32, 48], "main_key": "shrink_map", "crop_keys": ["image", "shrink_map"]}}
NEEDS_MAPS = {"RandomCropImgMask"}

NORMALIZE = [{"NormalizeImage": {"scale": "1./255.", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                                 "order": "hwc"}}, {"ToCHWImage": None}]
TRAIN_MAPS = ["image", "threshold_map", "threshold_mask", "shrink_map", "shrink_mask"]


def train_transforms(size=128):
    return ([{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
             {"IaaAugment": {"augmenter_args": [{"type": "Fliplr", "args": {"p": 0.5}},
                                                {"type": "Affine", "args": {"rotate": [-10, 10]}},
                                                {"type": "Resize", "args": {"size": [0.5, 3]}}]}},
             {"EastRandomCropData": {"size": [size, size], "max_tries": 50, "keep_ratio": True}},
             {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
             {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}}]
            + NORMALIZE + [{"KeepKeys": {"keep_keys": TRAIN_MAPS}}])


def eval_transforms():
    return ([{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"DetLabelEncode": None},
             {"DetResizeForTest": {"limit_side_len": 320, "limit_type": "max"}}]
            + NORMALIZE + [{"KeepKeys": {"keep_keys": ["image", "shape_list", "polys", "ignore_tags"]}}])


def _det_sample():
    img = np.full((96, 128, 3), 230, np.uint8)
    cv2.putText(img, "ab12", (10, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    label = json.dumps([{"transcription": "ab12", "points": [[8, 24], [80, 24], [80, 56], [8, 56]]},
                        {"transcription": "###", "points": [[90, 70], [120, 70], [120, 90], [90, 90]]}])
    return {"img_path": "x.png", "label": label, "image": cv2.imencode(".png", img)[1].tobytes()}


def test_every_det_transform_is_listed():
    det_like = {n for n in TRANSFORMS.names() if n.startswith(("Det", "Make", "Iaa", "East")) or "Mask" in n}
    assert det_like <= set(DET_TRANSFORMS)


@pytest.mark.parametrize("name", DET_TRANSFORMS)
def test_det_transform_contract(name):
    cls = TRANSFORMS.get(name)
    doc = cls.__doc__ or ""
    assert "Required keys" in doc and "Modified keys" in doc and "Added keys" in doc
    pipeline = [{"DecodeImage": {"img_mode": "BGR"}}]
    if name != "DetLabelEncode":
        pipeline.append({"DetLabelEncode": None})
    if name in NEEDS_MAPS:
        pipeline.append({"MakeShrinkMap": None})
    ops = build_transforms(pipeline + [{name: REQUIRED.get(name)}], None, "t")
    assert repr(ops.ops[-1]).startswith(name + "(")
    np.random.seed(0)
    out = ops(_det_sample())
    assert isinstance(out, dict) and isinstance(out["image"], np.ndarray)
    for key, value in out.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), f"{name} produced non-finite {key}"
    assert out["polys"].ndim == 3 and out["polys"].shape[0] == len(out["ignore_tags"])


@pytest.fixture(scope="module")
def det_root(tmp_path_factory):
    return make_det_data(str(tmp_path_factory.mktemp("det")), num_train=3, num_eval=2, seed=5)


def _dataset(root, split, transforms, **kw):
    return SimpleDataSet(data_dir=root, label_file_list=[f"{root}/det_gt_{split}.txt"], transforms=transforms,
                         mode="Train" if split == "train" else "Eval", seed=1, **kw)


def test_train_samples_and_batch(det_root):
    ds = _dataset(det_root, "train", train_transforms(128))
    samples = [ds[i] for i in range(len(ds))]
    for s in samples:
        assert list(s) == TRAIN_MAPS
        assert s["image"].shape == (3, 128, 128) and s["image"].dtype == np.float32
        for k in TRAIN_MAPS[1:]:
            assert s[k].shape == (128, 128) and s[k].dtype == np.float32 and np.isfinite(s[k]).all()
        assert 0.3 - 1e-6 <= s["threshold_map"].min() and s["threshold_map"].max() <= 0.7 + 1e-6
        assert set(np.unique(s["shrink_map"])) <= {0.0, 1.0} and set(np.unique(s["shrink_mask"])) <= {0.0, 1.0}
    assert any(s["shrink_map"].sum() > 0 for s in samples)
    batch = collate_skip_none(samples[:2] + [None])
    assert list(batch["image"].shape) == [2, 3, 128, 128] and list(batch["shrink_map"].shape) == [2, 128, 128]
    assert int(batch["skipped"][0]) == 1
    ds.set_epoch(0)
    again = ds[0]
    assert all(np.array_equal(again[k], samples[0][k]) for k in TRAIN_MAPS)  # seeded per sample


def test_eval_samples_and_batch(det_root):
    ds = _dataset(det_root, "eval", eval_transforms())
    s = ds[0]
    assert list(s) == ["image", "shape_list", "polys", "ignore_tags"]
    assert s["image"].shape == (3, 256, 320)  # 256 x 320 page, max side 320
    np.testing.assert_allclose(s["shape_list"], [256, 320, 1.0, 1.0])
    assert s["polys"].dtype == np.float32 and s["polys"].shape[1:] == (4, 2) and len(s["polys"]) > 0
    assert s["ignore_tags"].dtype == bool
    batch = collate_skip_none([s])
    assert list(batch["polys"].shape) == [1] + list(s["polys"].shape)
    assert list(batch["shape_list"].shape) == [1, 4]


def _write(tmp_path, label):
    img = np.full((64, 96, 3), 230, np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    (tmp_path / "gt.txt").write_text(f"a.png\t{label}\n", encoding="utf-8")
    return str(tmp_path)


def _ds(root, transforms, **kw):
    return SimpleDataSet(data_dir=root, label_file_list=[f"{root}/gt.txt"], transforms=transforms, **kw)


def test_bad_label_reports_file_and_line(tmp_path):
    root = _write(tmp_path, '[{"transcription": "a", "points": [[1, 2], [3, 4]}]')
    with pytest.raises(DataError, match=r"gt\.txt:1: the detection label is not valid JSON .*expected \[\{"):
        _ds(root, train_transforms(64))[0]
    assert _ds(root, train_transforms(64), skip_bad_samples=True)[0] is None


def test_degenerate_error_option_reports_file_and_line(tmp_path):
    root = _write(tmp_path, '[{"transcription": "a", "points": [[1, 2], [30, 2], [1, 2], [30, 2]]}]')
    transforms = [{"DecodeImage": None}, {"DetLabelEncode": {"degenerate": "error"}}]
    with pytest.raises(DataError, match=r"gt\.txt:1: text region 0 \('a'\) is degenerate: fewer than 3 distinct"):
        _ds(root, transforms)[0]
    out = _ds(root, [{"DecodeImage": None}, {"DetLabelEncode": None}])[0]
    assert out["ignore_tags"].tolist() == [True]


@pytest.mark.parametrize("label", ["", "[]"])
def test_page_without_text_trains(tmp_path, label):
    root = _write(tmp_path, label)
    s = _ds(root, train_transforms(64))[0]
    assert s["shrink_map"].sum() == 0 and s["shrink_mask"].min() == 1
    assert s["threshold_mask"].sum() == 0 and np.allclose(s["threshold_map"], 0.3)
