"""The text-direction classifier's transforms: ClsLabelEncode, ClsResizeImg, BaseDataAugmentation, RandAugment."""
import math
import random

import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401  (registers the transforms)
from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.cls_label_ops import ClsLabelEncode
from ppocr.data.imaug.randaugment import OPERATIONS, RandAugment
from ppocr.data.imaug.rec_img_aug import BaseDataAugmentation, ClsResizeImg
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import ConfigError, SampleError

GLOBAL = {"label_list": ["0", "180"]}


def _line(h=40, w=150):
    img = np.full((h, w, 3), 225, np.uint8)
    cv2.putText(img, "Hello", (5, h - 10), cv2.FONT_HERSHEY_SIMPLEX, 1, (30, 30, 30), 2)
    return img


def _reference_resize(img, shape):
    """PaddleOCR's resize_norm_img, written out as its predict_cls.py does it."""
    c, h, w = shape
    ratio = img.shape[1] / float(img.shape[0])
    resized_w = w if math.ceil(h * ratio) > w else int(math.ceil(h * ratio))
    out = cv2.resize(img, (resized_w, h)).astype("float32").transpose((2, 0, 1)) / 255
    out -= 0.5
    out /= 0.5
    pad = np.zeros((c, h, w), np.float32)
    pad[:, :, :resized_w] = out
    return pad


@pytest.mark.parametrize("name", [n for n in TRANSFORMS.names() if TRANSFORMS.get(n).__module__.endswith(".cls_label_ops")])
def test_cls_transform_contract(name):
    doc = TRANSFORMS.get(name).__doc__ or ""
    assert "Required" in doc and "Modified" in doc
    ops = build_transforms([{"DecodeImage": {"img_mode": "BGR"}}, {name: None}], GLOBAL, "t")
    assert name in repr(ops.ops[-1])
    out = ops({"img_path": "x.png", "label": "180", "image": cv2.imencode(".png", _line())[1].tobytes()})
    assert isinstance(out, dict) and "image" in out


def test_label_encode():
    enc = ClsLabelEncode(label_list=["0", "180"])
    assert int(enc({"label": "0"})["label"]) == 0 and int(enc({"label": "180 "})["label"]) == 1
    assert enc.check_label("180") is None and "label_list" in enc.check_label("90")
    with pytest.raises(SampleError, match="'90'"):
        enc({"label": "90"})
    assert ClsLabelEncode(label_list=[0, 180]).label_list == ["0", "180"]  # -o Global.label_list=[0,180]
    with pytest.raises(ValueError, match="Global.label_list"):
        ClsLabelEncode()
    with pytest.raises(ValueError, match="more than once"):
        ClsLabelEncode(label_list=["0", "0"])
    with pytest.raises(TypeError, match="list of class names"):
        ClsLabelEncode(label_list="0,180")


def test_label_list_reaches_encoder_from_global():
    ops = build_transforms([{"ClsLabelEncode": None}], {"label_list": ["up", "down"]}, "t")
    assert ops.ops[0].label_list == ["up", "down"]


@pytest.mark.parametrize("hw", [(40, 150), (30, 400), (48, 20), (100, 60)])
def test_resize_matches_paddleocr(hw):
    img = cv2.resize(_line(), (hw[1], hw[0]))
    out = ClsResizeImg(image_shape=[3, 48, 192])({"image": img})["image"]
    assert out.shape == (3, 48, 192) and out.dtype == np.float32
    np.testing.assert_array_equal(out, _reference_resize(img, (3, 48, 192)))
    with pytest.raises(ValueError, match="image_shape"):
        ClsResizeImg(image_shape=[48, 192])


def test_base_augmentation_effects():
    img = _line()
    never = BaseDataAugmentation(crop_prob=0, reverse_prob=0, noise_prob=0, jitter_prob=0, blur_prob=0,
                                 hsv_aug_prob=0)
    np.testing.assert_array_equal(never({"image": img.copy()})["image"], img)
    rev = BaseDataAugmentation(crop_prob=0, reverse_prob=1, noise_prob=0, jitter_prob=0, blur_prob=0, hsv_aug_prob=0)
    np.testing.assert_array_equal(rev({"image": img.copy()})["image"], 255 - img)
    crop = BaseDataAugmentation(crop_prob=1, reverse_prob=0, noise_prob=0, jitter_prob=0, blur_prob=0, hsv_aug_prob=0)
    heights = set()
    for seed in range(30):
        random.seed(seed)
        out = crop({"image": img.copy()})["image"]
        heights.add(out.shape[0])
        assert out.shape[1:] == img.shape[1:]
    assert heights <= set(range(32, 40)) and len(heights) > 3
    noise = BaseDataAugmentation(crop_prob=0, reverse_prob=0, noise_prob=1, jitter_prob=0, blur_prob=0, hsv_aug_prob=0)
    np.random.seed(0)
    diff = noise({"image": img.copy()})["image"].astype(int) - img
    assert set(np.unique(diff)) <= {-2, -1, 0, 1} and (diff == -1).mean() > 0.3  # truncation darkens by one
    everything = BaseDataAugmentation(crop_prob=1, reverse_prob=1, noise_prob=1, jitter_prob=1, blur_prob=1,
                                      hsv_aug_prob=1)
    random.seed(1), np.random.seed(1)
    a = everything({"image": img.copy()})["image"]
    random.seed(1), np.random.seed(1)
    b = everything({"image": img.copy()})["image"]
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.uint8 and a.ndim == 3
    grey = everything({"image": img[:, :, :1].copy()})["image"]
    assert grey.ndim == 3 and grey.shape[2] == 1
    with pytest.raises(ConfigError, match="crop_prob"):
        build_transforms([{"BaseDataAugmentation": {"crop_prob": 2}}], None, "t")


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_randaugment_operations_keep_the_image(name, monkeypatch):
    aug = RandAugment(prob=1.0, num_layers=1)
    monkeypatch.setattr(np.random, "choice", lambda names: name)
    img = _line()
    out = aug({"image": img.copy()})["image"]
    assert out.shape == img.shape and out.dtype == np.uint8
    if name in ("shearX", "shearY", "translateX", "translateY", "rotate", "posterize", "solarize", "invert"):
        assert not np.array_equal(out, img), name
    grey = aug({"image": img[:, :, :1].copy()})["image"]
    assert grey.shape == (40, 150, 1)


def test_randaugment_probability_and_checks():
    img = _line()
    assert RandAugment(prob=0.0)({"image": img})["image"] is img
    np.random.seed(3), random.seed(3)
    a = RandAugment(prob=1.0)({"image": img.copy()})["image"]
    np.random.seed(3), random.seed(3)
    b = RandAugment(prob=1.0)({"image": img.copy()})["image"]
    np.testing.assert_array_equal(a, b)
    assert RandAugment().levels["posterize"] == 2 and RandAugment().levels["rotate"] == 15.0
    with pytest.raises(ValueError, match="magnitude"):
        RandAugment(magnitude=11)
    with pytest.raises(ValueError, match="fillcolor"):
        RandAugment(fillcolor=[1, 2])
    with pytest.raises(SampleError, match="DecodeImage"):
        RandAugment(prob=1.0)({"image": b"png"})
