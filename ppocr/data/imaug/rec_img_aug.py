"""Text-recognition image transforms: augmentation before resizing, and the final resize."""
from __future__ import annotations

import math
import random
from typing import Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError


def _check_image(img, op: str) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or img.shape[0] == 0 or img.shape[1] == 0:
        got = f"shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise SampleError(f"{op} expects a decoded HxWxC image (put DecodeImage before it), got {got}")
    return img


def _check_prob(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return float(value)


@TRANSFORMS.register()
class RecAug:
    """Random photometric and geometric augmentation of a text-line image (before resizing).

    Each effect is applied independently with its own probability, in this order:

    * ``tia``: one of three control-point warps (TIA-style local distortion with several
      segments, horizontal stretch of the segments, or perspective from the four corners);
    * ``crop``: remove a few rows at the top and/or bottom (images of at least 8 rows);
    * ``blur``: Gaussian blur, kernel 3 or 5;
    * ``hsv_aug``: hue shift, saturation and value scaling (colour images only);
    * ``jitter``: contrast and brightness jitter;
    * ``noise``: additive Gaussian noise;
    * ``reverse``: colour inversion (``255 - image``).

    Randomness comes from the global ``random`` / ``np.random`` generators, which the
    datasets seed per sample, so results are reproducible for a given seed, epoch and index.

    Required keys: ``image`` (``HxW[xC]`` ``uint8``).
    Modified keys: ``image`` (``uint8``, same channel count; height may shrink by cropping).
    Added keys: none.

    Args:
        tia_prob: probability of a warp.
        crop_prob: probability of a top/bottom crop.
        reverse_prob: probability of inverting the colours.
        noise_prob: probability of Gaussian noise.
        jitter_prob: probability of contrast/brightness jitter.
        blur_prob: probability of a Gaussian blur.
        hsv_aug_prob: probability of an HSV change.
    """

    def __init__(self, tia_prob: float = 0.4, crop_prob: float = 0.4, reverse_prob: float = 0.4,
                 noise_prob: float = 0.4, jitter_prob: float = 0.4, blur_prob: float = 0.4,
                 hsv_aug_prob: float = 0.4):
        self.tia_prob = _check_prob("tia_prob", tia_prob)
        self.crop_prob = _check_prob("crop_prob", crop_prob)
        self.reverse_prob = _check_prob("reverse_prob", reverse_prob)
        self.noise_prob = _check_prob("noise_prob", noise_prob)
        self.jitter_prob = _check_prob("jitter_prob", jitter_prob)
        self.blur_prob = _check_prob("blur_prob", blur_prob)
        self.hsv_aug_prob = _check_prob("hsv_aug_prob", hsv_aug_prob)

    @staticmethod
    def _warp(img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        mode = random.choice(("distort", "stretch", "perspective"))
        if mode == "perspective":
            n = 1
            mag_x, mag_y = 0.25 * h, 0.25 * h
            top = np.random.uniform(-1, 1, (2, 2)) * (mag_x, mag_y)
            bottom = np.random.uniform(-1, 1, (2, 2)) * (mag_x, mag_y)
        else:
            n = int(np.clip(round(w / max(h, 1)), 2, 6))
            if mode == "distort":
                mag = 0.15 * h
                top = np.random.uniform(-mag, mag, (n + 1, 2))
                bottom = np.random.uniform(-mag, mag, (n + 1, 2))
            else:  # stretch: move interior segment boundaries along x, the same at top and bottom
                mag = 0.35 * w / n
                dx = np.random.uniform(-mag, mag, n + 1)
                dx[0] = dx[-1] = 0.0
                top = np.stack([dx, np.zeros(n + 1)], axis=1)
                bottom = top.copy()
        return F.grid_warp(img, top, bottom)

    def __call__(self, data: dict) -> dict:
        img = _check_image(data["image"], "RecAug")
        h, w = img.shape[:2]
        if random.random() < self.tia_prob and h >= 4 and w >= 4:
            img = self._warp(img)
        if random.random() < self.crop_prob and img.shape[0] >= 8:
            max_rows = max(1, img.shape[0] // 8)
            side = random.choice(("top", "bottom", "both"))
            top = random.randint(1, max_rows) if side in ("top", "both") else 0
            bottom = random.randint(1, max_rows) if side in ("bottom", "both") else 0
            img = F.crop_rows(img, top, bottom)
        if random.random() < self.blur_prob:
            img = F.gaussian_blur(img, random.choice((3, 5)), random.uniform(0.5, 1.5))
        if random.random() < self.hsv_aug_prob:
            img = F.adjust_hsv(img, random.uniform(-10, 10), random.uniform(0.7, 1.3), random.uniform(0.7, 1.3))
        if random.random() < self.jitter_prob:
            img = F.adjust_contrast_brightness(img, random.uniform(0.7, 1.3), random.uniform(-25, 25))
        if random.random() < self.noise_prob:
            img = F.add_noise(img, np.random.normal(0.0, random.uniform(3, 12), img.shape))
        if random.random() < self.reverse_prob:
            img = F.reverse_colors(img)
        data["image"] = np.ascontiguousarray(img)
        return data

    def __repr__(self) -> str:
        return (f"RecAug(tia_prob={self.tia_prob}, crop_prob={self.crop_prob}, reverse_prob={self.reverse_prob}, "
                f"noise_prob={self.noise_prob}, jitter_prob={self.jitter_prob}, blur_prob={self.blur_prob}, "
                f"hsv_aug_prob={self.hsv_aug_prob})")


@TRANSFORMS.register()
class RecResizeImg:
    """Resize a text line to the model input: height ``H``, aspect kept, scaled to ``[-1, 1]``, zero-padded.

    The width is ``min(W, ceil(H * w / h))`` and the rest up to ``W`` is zero padding; with
    ``padding: False`` the image is stretched to exactly ``W``. With ``eval_mode`` or
    ``infer_mode`` lines wider than ``W`` keep their full width instead of being squeezed
    (PaddleOCR's behaviour), so tensors may then differ in width: use batch size 1 there.
    The output is the final tensor (no NormalizeImage/ToCHWImage after it).

    Required keys: ``image`` (``HxW[xC]`` ``uint8``, BGR when colour).
    Modified keys: ``image`` (``CxHxW`` float32 in ``[-1, 1]``; grey when ``C == 1``).
    Added keys: ``valid_ratio`` (``np.float32``, ``resized_w / W`` capped at 1).

    Args:
        image_shape: ``[C, H, W]`` with ``C`` in {1, 3}.
        padding: keep the aspect ratio and pad (True) or stretch (False).
        infer_mode: keep wide lines whole (``Global.infer_mode``).
        eval_mode: keep wide lines whole during evaluation.
    """

    def __init__(self, image_shape: Sequence[int] = (3, 32, 100), padding: bool = True,
                 infer_mode: bool = False, eval_mode: bool = False):
        if not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3 or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape):
            raise ValueError(f"image_shape must be [C, H, W] with positive integers, got {image_shape!r}")
        if image_shape[0] not in (1, 3):
            raise ValueError(f"image_shape[0] (channels) must be 1 or 3, got {image_shape[0]}")
        for arg, val in (("padding", padding), ("infer_mode", infer_mode), ("eval_mode", eval_mode)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        self.image_shape = [int(v) for v in image_shape]
        self.padding = padding
        self.infer_mode = infer_mode
        self.eval_mode = eval_mode

    def __call__(self, data: dict) -> dict:
        img = _check_image(data["image"], "RecResizeImg")
        c, h, w = self.image_shape
        if (self.infer_mode or self.eval_mode) and self.padding:
            w = max(w, int(math.ceil(h * img.shape[1] / float(img.shape[0]))))
        data["image"], valid_ratio = F.resize_norm_img(img, (c, h, w), self.padding)
        data["valid_ratio"] = np.float32(valid_ratio)
        return data

    def __repr__(self) -> str:
        return (f"RecResizeImg(image_shape={self.image_shape}, padding={self.padding}, "
                f"infer_mode={self.infer_mode}, eval_mode={self.eval_mode})")


def _random_sign() -> int:
    """+1 or -1 with (almost exactly) even odds, drawn from ``random`` as PaddleOCR's ``flag()`` draws it."""
    return 1 if random.random() > 0.5000001 else -1


@TRANSFORMS.register()
class BaseDataAugmentation:
    """PaddleOCR's light augmentation of a text-line image (the ``RecAug`` steps without the warps), used by
    the text-direction classifier's training set (``configs/cls/cls_mv3.yml``).

    Each effect is applied independently when a uniform draw is at most its probability, in this order,
    with PaddleOCR's magnitudes:

    * ``crop``: remove 1-8 rows at the top or at the bottom (images of at least 20x20);
    * ``blur``: 5x5 Gaussian blur, sigma 1 (images larger than 10x10);
    * ``hsv_aug``: scale the HSV value channel by ``1 +- 0.001 * u`` (colour images only);
    * ``jitter``: shift the image diagonally by up to 1% of its smaller side (a smear of the top-left rows
      and columns);
    * ``noise``: add ``0.5 * N(0, 0.1)`` and truncate to ``uint8`` (which darkens about half the pixels by one);
    * ``reverse``: colour inversion (``255 - image``).

    Randomness comes from the global ``random`` / ``np.random`` generators, which the datasets seed
    per sample.

    Required keys: ``image`` (``HxW[xC]`` ``uint8``).
    Modified keys: ``image`` (``uint8``, same channels; ``crop`` removes rows).
    Added keys: none.

    Args:
        crop_prob: probability of the row crop.
        reverse_prob: probability of inverting the colours.
        noise_prob: probability of Gaussian noise.
        jitter_prob: probability of the diagonal shift.
        blur_prob: probability of the blur.
        hsv_aug_prob: probability of the value scaling.
    """

    def __init__(self, crop_prob: float = 0.4, reverse_prob: float = 0.4, noise_prob: float = 0.4,
                 jitter_prob: float = 0.4, blur_prob: float = 0.4, hsv_aug_prob: float = 0.4):
        self.crop_prob = _check_prob("crop_prob", crop_prob)
        self.reverse_prob = _check_prob("reverse_prob", reverse_prob)
        self.noise_prob = _check_prob("noise_prob", noise_prob)
        self.jitter_prob = _check_prob("jitter_prob", jitter_prob)
        self.blur_prob = _check_prob("blur_prob", blur_prob)
        self.hsv_aug_prob = _check_prob("hsv_aug_prob", hsv_aug_prob)

    @staticmethod
    def _crop(img: np.ndarray) -> np.ndarray:
        rows = min(random.randint(1, 8), img.shape[0] - 1)
        return F.crop_rows(img, rows, 0) if random.randint(0, 1) else F.crop_rows(img, 0, rows)

    @staticmethod
    def _scale_value(img: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2HSV)
        delta = 0.001 * random.random()
        delta *= _random_sign()
        hsv[:, :, 2] = hsv[:, :, 2] * (1 + delta)  # truncated to uint8, as PaddleOCR stores it
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)

    @staticmethod
    def _jitter(img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        if h <= 10 or w <= 10:
            return img
        shift = int(random.random() * min(h, w) * 0.01)
        src = img.copy()
        out = img.copy()
        for i in range(shift):
            out[i:, i:] = src[:h - i, :w - i]
        return out

    def __call__(self, data: dict) -> dict:
        img = _check_image(data["image"], "BaseDataAugmentation")
        h, w = img.shape[:2]
        if random.random() <= self.crop_prob and h >= 20 and w >= 20:
            img = self._crop(img)
        if random.random() <= self.blur_prob and img.shape[0] > 10 and img.shape[1] > 10:
            img = F.gaussian_blur(img, 5, 1)
        if random.random() <= self.hsv_aug_prob:
            if img.ndim == 3 and img.shape[2] == 3:
                img = self._scale_value(img)
            else:  # PaddleOCR draws the same numbers for grey images (and then fails on them)
                random.random()
                _random_sign()
        if random.random() <= self.jitter_prob:
            img = self._jitter(img)
        if random.random() <= self.noise_prob:
            noise = np.random.normal(0.0, 0.1 ** 0.5, img.shape)
            img = np.clip(img + 0.5 * noise, 0, 255).astype(np.uint8)
        if random.random() <= self.reverse_prob:
            img = F.reverse_colors(img)
        data["image"] = np.ascontiguousarray(img)
        return data

    def __repr__(self) -> str:
        return (f"BaseDataAugmentation(crop_prob={self.crop_prob}, reverse_prob={self.reverse_prob}, "
                f"noise_prob={self.noise_prob}, jitter_prob={self.jitter_prob}, blur_prob={self.blur_prob}, "
                f"hsv_aug_prob={self.hsv_aug_prob})")


@TRANSFORMS.register()
class ClsResizeImg:
    """Resize a text line for the text-direction classifier: height ``H``, aspect kept, width capped at ``W``,
    scaled to ``[-1, 1]`` and zero-padded on the right to ``W`` (PaddleOCR's ``ClsResizeImg``; the serving
    classifier, :mod:`ppocr.inference.predict_cls`, resizes with the same function).

    Required keys: ``image`` (``HxW[xC]`` ``uint8``, BGR when colour).
    Modified keys: ``image`` (``CxHxW`` float32 in ``[-1, 1]``).
    Added keys: none.

    Args:
        image_shape: ``[C, H, W]`` with ``C`` in {1, 3} (PaddleOCR: ``[3, 48, 192]``).
    """

    def __init__(self, image_shape: list[int] = (3, 48, 192)):
        if not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3 or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape):
            raise ValueError(f"image_shape must be [C, H, W] with positive integers, got {image_shape!r}")
        if image_shape[0] not in (1, 3):
            raise ValueError(f"image_shape[0] (channels) must be 1 or 3, got {image_shape[0]}")
        self.image_shape = [int(v) for v in image_shape]

    def __call__(self, data: dict) -> dict:
        img = _check_image(data["image"], "ClsResizeImg")
        data["image"] = F.resize_norm_img(img, self.image_shape)[0]
        return data

    def __repr__(self) -> str:
        return f"ClsResizeImg(image_shape={self.image_shape})"


@TRANSFORMS.register()
class RecConAug:
    """Concatenate other text lines to the right of this one (PaddleOCR's RecConAug, PP-OCRv3 and later).

    With probability ``prob``, the extra samples the dataset put under ``ext_data`` (``ext_data_num``
    of them, decoded by the transforms before this one: ``ext_op_transform_idx``) are appended one by
    one, all resized to the height ``image_shape[0]``, as long as the text stays within
    ``max_text_length`` characters and the width/height ratio within ``image_shape[1] / image_shape[0]``.

    Required keys: ``image`` (``HxW[xC]`` ``uint8``), ``label`` (str), ``ext_data`` (list of such dicts;
    the dataset adds it when a transform has ``ext_data_num``).
    Modified keys: ``image`` (height ``image_shape[0]`` when something was appended), ``label``.
    Removed keys: ``ext_data``.

    Args:
        prob: probability of concatenating.
        image_shape: ``[H, W, C]`` of the model input; only ``H`` and ``W / H`` are used.
        max_text_length: longest text after concatenation (``Global.max_text_length``).
        ext_data_num: how many extra samples the dataset loads for each sample.
    """

    def __init__(self, prob: float = 0.5, image_shape: list[int] = (32, 320, 3), max_text_length: int = 25,
                 ext_data_num: int = 1):
        self.prob = _check_prob("prob", prob)
        if not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3 or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in image_shape):
            raise ValueError(f"image_shape must be [H, W, C] with positive integers, got {image_shape!r}")
        for arg, val in (("max_text_length", max_text_length), ("ext_data_num", ext_data_num)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(f"{arg} must be a positive integer, got {val!r}")
        self.image_shape = [int(v) for v in image_shape]
        self.max_text_length = max_text_length
        self.ext_data_num = ext_data_num
        self.max_wh_ratio = self.image_shape[1] / self.image_shape[0]

    def _merge(self, data: dict, ext: dict) -> dict:
        try:
            data["image"] = F.hconcat_lines(data["image"], ext["image"], self.image_shape[0])
        except ValueError as e:
            raise SampleError(f"RecConAug: {e}; decode all images in the same img_mode") from e
        data["label"] += ext["label"]
        return data

    def __call__(self, data: dict) -> dict:
        _check_image(data["image"], "RecConAug")
        extras = data.pop("ext_data", None)
        if extras is None:
            raise SampleError("RecConAug needs the extra samples under 'ext_data'; the dataset adds them (SimpleDataSet "
                              "with ext_op_transform_idx set to RecConAug's position in the transforms)")
        if random.random() > self.prob:
            return data
        for ext in extras:
            if len(data["label"]) + len(ext["label"]) > self.max_text_length:
                break
            ratio = data["image"].shape[1] / data["image"].shape[0] + ext["image"].shape[1] / ext["image"].shape[0]
            if ratio > self.max_wh_ratio:
                break
            data = self._merge(data, ext)
        return data

    def __repr__(self) -> str:
        return (f"RecConAug(prob={self.prob}, image_shape={self.image_shape}, max_text_length={self.max_text_length}, "
                f"ext_data_num={self.ext_data_num})")
