"""Transforms of the VGSL line recogniser: the line image for the network, and the codec label encoder.

A typical chain (the line datasets give decoded ``uint8`` images, so no ``DecodeImage``)::

    transforms:
      - VGSLLabelEncode:                       # text -> codes with the run's codec
      - VGSLResizeLine: {image_shape: [1, 36, 0]}
      - KeepKeys: {keep_keys: [image, label, length]}

Lines have different widths, so the loader pads each batch to its widest line with
``loader.collate: pad`` (zeros: the background of the inverted images made here, and the
label padding CTC ignores).
"""
from __future__ import annotations

import logging
from typing import Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.data.imaug.operators import DecodeImage
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import ConfigError, SampleError
from ppocr.vgsl.codec import Codec, UnknownCharactersError

logger = logging.getLogger(__name__)


@TRANSFORMS.register()
class VGSLResizeLine:
    """Make a text-line image the network's input: channels, height, width, inverted ``[0, 1]`` floats.

    The image is converted to grey (``C = 1``) or BGR (``C = 3``), scaled to height ``H`` with
    its aspect ratio kept (``H = 0``: the height is kept, for specs with variable height), given
    ``pad`` background columns left and right, and scaled to ``[0, 1]``; with ``invert`` (the
    default, as kraken does) ink is high and the white background is 0, so the zeros the loader
    pads batches with are background. With ``contrast`` each line's grey levels are stretched
    first (as Tesseract normalises lines): its 2nd percentile (ink) becomes black and its 98th
    (paper) white, so the paper is 0 whatever its tone and the ink 1 whatever its darkness. A
    fixed width ``W > 0`` (specs with a fixed width) pads narrower lines with background and
    squeezes wider ones to ``W``; ``W = 0`` keeps the width.

    ``image_shape`` mirrors the spec's input block ``[batch, height, width, depth]`` as ``[depth,
    height, width]``, e.g. ``[1, 36, 0]`` for ``[1,36,0,1 ...]``; the exporter reads it for the
    model's input signature.

    Required keys: ``image`` (``HxW`` or ``HxWxC`` ``uint8``, BGR when colour; encoded image bytes
    are decoded first).
    Modified keys: ``image`` (``CxHxW`` ``float32``).
    Added keys: none.

    Args:
        image_shape: ``[C, H, W]``: ``C`` 1 or 3, ``H >= 0``, ``W >= 0`` (0: keep).
        invert: map white to 0 and black to 1 (``False``: white 1, black 0).
        pad: background columns added on each side after scaling.
        contrast: stretch each line's grey levels (2nd to 98th percentile) to the full range.

    Raises:
        SampleError: the image is empty or less than 2 pixels high.
    """

    def __init__(self, image_shape: Sequence[int] = (1, 36, 0), invert: bool = True, pad: int = 0,
                 contrast: bool = False):
        if (not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in image_shape)):
            raise ValueError(f"image_shape must be [C, H, W] with integers >= 0 (0: variable), got {image_shape!r}")
        if image_shape[0] not in (1, 3):
            raise ValueError(f"image_shape[0] (channels) must be 1 (grey) or 3 (colour), got {image_shape[0]}")
        if 0 < image_shape[1] < 2:
            raise ValueError(f"image_shape[1] (height) must be 0 (keep) or at least 2, got {image_shape[1]}")
        for arg, val in (("invert", invert), ("contrast", contrast)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
            raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
        self.image_shape = [int(v) for v in image_shape]
        self.invert = invert
        self.pad = pad
        self.contrast = contrast
        self._decoder = DecodeImage(img_mode="GRAY" if image_shape[0] == 1 else "BGR")

    def __call__(self, data: dict) -> dict:
        img = data["image"]
        if isinstance(img, (bytes, bytearray, memoryview)):
            img = self._decoder({"image": img, "img_path": data.get("img_path", "<bytes>")})["image"]
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or img.size == 0:
            got = f"shape {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
            raise SampleError(f"VGSLResizeLine expects a decoded HxW or HxWxC line image, got an empty one or {got}")
        c, height, width = self.image_shape
        if img.shape[0] < 2:
            raise SampleError(f"the line image is {img.shape[0]} pixel high ({img.shape[1]}x{img.shape[0]}); a text "
                              "line needs at least 2 rows")
        img = F.to_channels(F.normalize_image(img), c)  # the one channel conversion (alpha over white)
        if c == 1:
            img = img[:, :, 0]
        h, w = img.shape[:2]
        out_h = height or h
        out_w = max(1, int(round(w * out_h / h)))
        if width:
            out_w = min(out_w, width)
        if (out_h, out_w) != (h, w):
            interp = cv2.INTER_AREA if out_h < h else cv2.INTER_LINEAR
            img = cv2.resize(img, (out_w, out_h), interpolation=interp)
        x = img.astype(np.float32)
        lo, hi = (np.percentile(x, (2, 98)) if self.contrast else (0.0, 255.0))
        if hi - lo < 16:  # a blank or almost uniform line: no contrast to stretch
            lo, hi = 0.0, 255.0
        # inverted: paper (hi) -> 0 exactly, the value the loader pads with
        x = (np.float32(hi) - x) if self.invert else (x - np.float32(lo))
        x = np.clip(x * np.float32(1.0 / (hi - lo)), 0.0, 1.0)
        if x.ndim == 2:
            x = x[None]
        else:
            x = x.transpose(2, 0, 1)
        full_w = (width or out_w + 2 * self.pad)
        if full_w != out_w:
            background = 0.0 if self.invert else 1.0
            canvas = np.full((c, out_h, full_w), background, np.float32)
            left = self.pad if not width else min(self.pad, full_w - out_w)
            canvas[:, :, left:left + out_w] = x
            x = canvas
        data["image"] = np.ascontiguousarray(x, dtype=np.float32)
        return data

    def __repr__(self) -> str:
        return (f"VGSLResizeLine(image_shape={self.image_shape}, invert={self.invert}, pad={self.pad}, "
                f"contrast={self.contrast})")


@TRANSFORMS.register()
class VGSLLabelEncode:
    """Encode a transcription with the run's :class:`~ppocr.vgsl.codec.Codec` (blank 0, codes from 1).

    The engine gives the op the codec it resolved for the run (``Global.codec``: the weights'
    stored codec, a codec file, or one built from the training text) through :meth:`set_codec`,
    so the label encoder, the network's output size and the decoder always agree.

    Required keys: ``label`` (str).
    Modified keys: ``label`` (``int64`` array of the codes; lengths differ, so batch with
    ``loader.collate: pad``).
    Added keys: ``length`` (``int64`` scalar, number of codes).

    Args:
        codec: a codec, for use outside the engine (the engine sets it).

    Raises:
        SampleError: ``encoding failed`` (characters outside the codec, all named), or an empty
            transcription.
        ConfigError: called before a codec was set.
    """

    def __init__(self, codec=None):
        self.codec = None
        if codec is not None:
            self.set_codec(codec)

    def set_codec(self, codec) -> None:
        """Use ``codec`` (a :class:`~ppocr.vgsl.codec.Codec`)."""
        if not isinstance(codec, Codec):
            raise TypeError(f"codec must be a ppocr.vgsl.codec.Codec, got {type(codec).__name__}")
        self.codec = codec

    @property
    def character(self) -> list[str] | None:
        """The label of every class id (``codec.code_labels()``), as the decoder has it."""
        return self.codec.code_labels() if self.codec is not None else None

    def __call__(self, data: dict) -> dict:
        if self.codec is None:
            raise ConfigError("VGSLLabelEncode has no codec: the engine sets the run's codec when PostProcess is "
                              "VGSLLabelDecode (configure it under Global.codec); outside the engine pass "
                              "VGSLLabelEncode(codec=Codec...)")
        text = data["label"]
        if not isinstance(text, str):
            raise SampleError(f"expected the transcription as text, got {type(text).__name__} {text!r}")
        try:
            codes = self.codec.encode(text)
        except UnknownCharactersError as e:
            raise SampleError(f"encoding failed: {e}") from e
        if not codes:
            raise SampleError(f"the transcription {text!r} is empty after normalisation; every line needs text")
        data["label"] = np.asarray(codes, dtype=np.int64)
        data["length"] = np.array(len(codes), dtype=np.int64)
        return data

    def __repr__(self) -> str:
        return f"VGSLLabelEncode(codec={self.codec!r})"
