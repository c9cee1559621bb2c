import random

import cv2
import numpy as np
import pytest

from ppocr.data.imaug import functional as F
from ppocr.data.imaug.rec_img_aug import RecAug, RecResizeImg


def _text_image(h=32, w=80):
    img = np.full((h, w, 3), 230, np.uint8)
    cv2.putText(img, "ab12", (4, h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 40, 160), 2)
    return img


def test_resize_keeps_aspect_and_pads():
    img = np.full((16, 20, 3), 255, np.uint8)  # ratio 1.25 -> width 40 at height 32
    out = RecResizeImg(image_shape=[3, 32, 100])({"image": img})
    x = out["image"]
    assert x.shape == (3, 32, 100) and x.dtype == np.float32
    assert np.allclose(x[:, :, :40], 1.0) and np.all(x[:, :, 40:] == 0)
    assert out["valid_ratio"] == pytest.approx(0.4)


def test_resize_range_and_wide_images():
    img = np.random.RandomState(0).randint(0, 256, (10, 200, 3), dtype=np.uint8)
    out = RecResizeImg(image_shape=[3, 32, 100])({"image": img})
    assert out["image"].shape == (3, 32, 100) and out["valid_ratio"] == 1.0
    assert out["image"].min() >= -1.0 and out["image"].max() <= 1.0
    wide = RecResizeImg(image_shape=[3, 32, 100], eval_mode=True)({"image": img})
    assert wide["image"].shape == (3, 32, 640)


def test_resize_without_padding_and_grey():
    img = np.zeros((16, 20, 3), np.uint8)
    out = RecResizeImg(image_shape=[3, 32, 100], padding=False)({"image": img})
    assert np.allclose(out["image"], -1.0) and out["valid_ratio"] == 1.0
    grey = RecResizeImg(image_shape=[1, 32, 100])({"image": _text_image()})
    assert grey["image"].shape == (1, 32, 100)


@pytest.mark.parametrize("shape", [[3, 32], [2, 32, 100], [3, 0, 100], "3,32,100"])
def test_resize_rejects_bad_shape(shape):
    with pytest.raises(ValueError, match="image_shape"):
        RecResizeImg(image_shape=shape)


def test_rec_aug_changes_image_with_prob_one():
    img = _text_image()
    for seed in range(5):
        random.seed(seed)
        np.random.seed(seed)
        out = RecAug(*([1.0] * 7))({"image": img.copy()})["image"]
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
        assert 0 < out.shape[0] <= img.shape[0] and out.shape[1] == img.shape[1]
        assert out.shape != img.shape or not np.array_equal(out, img)


def test_rec_aug_prob_zero_is_identity_and_tiny_images_survive():
    img = _text_image()
    assert np.array_equal(RecAug(*([0.0] * 7))({"image": img.copy()})["image"], img)
    tiny = np.full((3, 2, 3), 128, np.uint8)
    out = RecAug(*([1.0] * 7))({"image": tiny})["image"]
    assert out.shape == (3, 2, 3)
    grey = RecAug(*([1.0] * 7))({"image": np.full((20, 40, 1), 100, np.uint8)})["image"]
    assert grey.ndim == 3 and grey.shape[2] == 1


def test_rec_aug_reproducible_under_same_seed():
    img = _text_image()
    outs = []
    for _ in range(2):
        random.seed(7)
        np.random.seed(7)
        outs.append(RecAug(*([0.7] * 7))({"image": img.copy()})["image"])
    assert np.array_equal(outs[0], outs[1])


def test_rec_aug_validates_probs():
    with pytest.raises(ValueError, match="blur_prob"):
        RecAug(blur_prob=1.5)
    with pytest.raises(TypeError, match="tia_prob"):
        RecAug(tia_prob="high")


def test_grid_warp_identity_and_shift():
    img = _text_image()
    zero = np.zeros((3, 2))
    assert np.array_equal(F.grid_warp(img, zero, zero), img)
    shift = np.tile([[1.0, 0.0]], (3, 1))  # sample one pixel to the right everywhere
    out = F.grid_warp(img, shift, shift)
    assert np.array_equal(out[:, :-1], img[:, 1:])
