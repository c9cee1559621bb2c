"""RandAugment for text-line images, as PaddleOCR's text-direction classifier trains with it (PIL operations)."""
from __future__ import annotations

import random
from typing import Callable

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError

#: the highest magnitude; ``magnitude / MAX_LEVEL`` scales every operation's strength
MAX_LEVEL = 10


def _signed(level: float) -> float:
    """``level`` with a random sign (``random.choice``, as PaddleOCR draws it)."""
    return level * random.choice([-1, 1])


def _affine(coeffs: Callable[[Image.Image, float], tuple], bicubic: bool) -> Callable:
    def op(img: Image.Image, level: float, fill) -> Image.Image:
        resample = Image.Resampling.BICUBIC if bicubic else Image.Resampling.NEAREST
        return img.transform(img.size, Image.Transform.AFFINE, coeffs(img, level), resample, fillcolor=fill)
    return op


def _rotate(img: Image.Image, level: float, fill) -> Image.Image:
    # rotate by +level degrees; the corners that come in are grey 128 (PaddleOCR composites over 128, not fill)
    rot = img.convert("RGBA").rotate(level)
    return Image.composite(rot, Image.new("RGBA", rot.size, (128,) * 4), rot).convert(img.mode)


def _enhance(enhancer) -> Callable:
    return lambda img, level, fill: enhancer(img).enhance(1 + _signed(level))


# name -> (strength at magnitude MAX_LEVEL, operation(img, strength * magnitude / MAX_LEVEL, fill colour)),
# in PaddleOCR's order (the random choice of an operation depends on it)
OPERATIONS: dict[str, tuple[float, Callable]] = {
    "shearX": (0.3, _affine(lambda img, m: (1, _signed(m), 0, 0, 1, 0), bicubic=True)),
    "shearY": (0.3, _affine(lambda img, m: (1, 0, 0, _signed(m), 1, 0), bicubic=True)),
    "translateX": (150.0 / 331, _affine(lambda img, m: (1, 0, _signed(m) * img.size[0], 0, 1, 0), bicubic=False)),
    "translateY": (150.0 / 331, _affine(lambda img, m: (1, 0, 0, 0, 1, _signed(m) * img.size[1]), bicubic=False)),
    "rotate": (30.0, _rotate),
    "color": (0.9, _enhance(ImageEnhance.Color)),
    "posterize": (4.0, lambda img, m, fill: ImageOps.posterize(img, int(m))),
    "solarize": (256.0, lambda img, m, fill: ImageOps.solarize(img, m)),
    "contrast": (0.9, _enhance(ImageEnhance.Contrast)),
    "sharpness": (0.9, _enhance(ImageEnhance.Sharpness)),
    "brightness": (0.9, _enhance(ImageEnhance.Brightness)),
    "autocontrast": (0.0, lambda img, m, fill: ImageOps.autocontrast(img)),
    "equalize": (0.0, lambda img, m, fill: ImageOps.equalize(img)),
    "invert": (0.0, lambda img, m, fill: ImageOps.invert(img)),
}


@TRANSFORMS.register()
class RandAugment:
    """With probability ``prob``, apply ``num_layers`` operations drawn at random (with repetition) from
    shear, translation, rotation, colour, posterize, solarize, contrast, sharpness, brightness, autocontrast,
    equalize and invert, each at strength ``magnitude / 10`` of its maximum (PaddleOCR's ``RandAugment``).

    The operations are PIL's, as in PaddleOCR, on the image as it is (BGR arrays are handed to PIL as if
    RGB, which only the colour operation notices). The draws use ``np.random`` (whether, which operations)
    and ``random`` (signs), which the datasets seed per sample.

    Required keys: ``image`` (``HxW[xC]`` ``uint8``, C in {1, 3}).
    Modified keys: ``image`` (``uint8``, same shape).
    Added keys: none.

    Args:
        prob: probability of augmenting a sample at all.
        num_layers: operations applied one after another.
        magnitude: strength, 0..10 (posterize keeps ``int(4 * magnitude / 10)`` bits).
        fillcolor: colour of the area the shear and translations uncover.
    """

    def __init__(self, prob: float = 0.5, num_layers: int = 2, magnitude: int = 5,
                 fillcolor: list[int] = (128, 128, 128)):
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be a number in [0, 1], got {prob!r}")
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"num_layers must be an integer >= 0, got {num_layers!r}")
        if isinstance(magnitude, bool) or not isinstance(magnitude, (int, float)) or not 0 <= magnitude <= MAX_LEVEL:
            raise ValueError(f"magnitude must be a number in [0, {MAX_LEVEL}], got {magnitude!r}")
        if (not isinstance(fillcolor, (list, tuple)) or len(fillcolor) != 3
                or not all(isinstance(v, int) and 0 <= v <= 255 for v in fillcolor)):
            raise ValueError(f"fillcolor must be three integers 0..255, got {fillcolor!r}")
        self.prob = float(prob)
        self.num_layers = num_layers
        self.magnitude = magnitude
        self.fillcolor = tuple(fillcolor)
        scale = magnitude / MAX_LEVEL
        self.levels = {name: strength * scale for name, (strength, _) in OPERATIONS.items()}
        self.levels["posterize"] = int(self.levels["posterize"])

    def augment(self, img: Image.Image) -> Image.Image:
        """Apply ``num_layers`` random operations to a PIL image (RGB or grey)."""
        fill = self.fillcolor[0] if img.mode == "L" else self.fillcolor
        names = list(OPERATIONS)
        for _ in range(self.num_layers):
            name = str(np.random.choice(names))
            img = OPERATIONS[name][1](img, self.levels[name], fill)
        return img

    def __call__(self, data: dict) -> dict:
        if np.random.rand() > self.prob:
            return data
        img = data["image"]
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim not in (2, 3) or (
                img.ndim == 3 and img.shape[2] not in (1, 3)):
            got = f"{img.dtype} array of shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
            raise SampleError(f"RandAugment expects a decoded HxWx3 (or grey) uint8 image (put DecodeImage before "
                              f"it), got {got}")
        grey_axis = img.ndim == 3 and img.shape[2] == 1
        out = np.array(self.augment(Image.fromarray(np.ascontiguousarray(img[:, :, 0] if grey_axis else img))))
        data["image"] = out[:, :, None] if grey_axis else out
        return data

    def __repr__(self) -> str:
        return (f"RandAugment(prob={self.prob}, num_layers={self.num_layers}, magnitude={self.magnitude}, "
                f"fillcolor={list(self.fillcolor)})")
