"""Text-line recognition with an exported CTC model (``paddle.inference``), PaddleOCR-style.

Pre- and post-processing follow PaddleOCR's ``tools/infer/predict_rec.py`` for CRNN/SVTR_LCNet:

1. images are sorted by width/height ratio so each batch holds similar shapes;
2. each batch of ``rec_batch_num`` gets width ``W' = int(H * max_ratio)``, where ``max_ratio``
   is the largest ratio in the batch and at least ``W / H`` of the configured shape;
3. each image is resized to height ``H`` keeping its ratio (width ``min(ceil(H * ratio), W')``),
   scaled to ``[-1, 1]`` with ``(x / 255 - 0.5) / 0.5`` and zero-padded on the right to ``W'``;
4. the model's ``[B, T, C]`` class probabilities are decoded greedily (CTC: arg-max, collapse
   repeats, drop blanks) by :class:`ppocr.postprocess.CTCLabelDecode`; the score is the mean
   arg-max probability of the kept steps, and 0.0 for an empty text (PaddleOCR's
   ``predict_rec``, so ``predict_system``'s ``--drop_score`` drops crops read as nothing).
   Outputs that are not probabilities (logits) get a softmax first.

Results come back in input order.

Every CTC algorithm (CRNN, Rosetta, STARNet, SVTR, SVTR_LCNet, SVTR_HGNet) gets this same
ratio-keeping resize; attention-based algorithms are rejected.

Settings found in the model's ``inference.yml`` win over flags the user did not type:

* ``PreProcess.transform_ops[RecResizeImg].image_shape`` over ``--rec_image_shape``'s default;
* ``PostProcess.character_dict`` (with its ``use_space_char``) when ``--rec_char_dict_path``
  is not given. Without either, the default ``0-9a-z`` dictionary is used.

Example:
    >>> from ppocr.inference.predict_rec import TextRecognizer
    >>> rec = TextRecognizer({"rec_model_dir": "inference/rec", "use_gpu": False})
    >>> results, seconds = rec([cv2.imread("word.png")])
    >>> results[0]
    ('hello', 0.98)
"""
from __future__ import annotations

import argparse
import logging
import time
from typing import Any, Mapping, Sequence

import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.inference.utility import (check_postprocess, create_predictor, is_explicit, model_image_shape,
                                    read_inference_yml, to_namespace)
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.registry import nearest
from ppocr.utils.character import load_character_list
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)

#: Algorithms whose models end in a CTC head and share this predictor's processing.
CTC_ALGORITHMS = ("CRNN", "Rosetta", "STARNet", "SVTR", "SVTR_LCNet", "SVTR_HGNet")


def resize_norm_img(img: np.ndarray, image_shape: Sequence[int], max_wh_ratio: float) -> np.ndarray:
    """Resize one image for a batch whose widest ratio is ``max_wh_ratio`` and normalise it.

    Args:
        img: ``HxWxC`` ``uint8`` image with ``C`` equal to ``image_shape[0]``.
        image_shape: configured ``[C, H, W]``.
        max_wh_ratio: the batch's largest width/height ratio (at least ``W / H``).

    Returns:
        ``float32`` ``[C, H, int(H * max_wh_ratio)]`` in ``[-1, 1]``, zero-padded on the right.
    """
    c, h, _ = image_shape
    return F.resize_norm_img(img, (c, h, int(h * max_wh_ratio)))[0]  # training's RecResizeImg math, batch width


def _softmax_if_needed(out: np.ndarray) -> np.ndarray:
    """Return ``out`` if its last axis already holds probabilities, else its softmax."""
    if out.size and (out.min() < 0 or not np.allclose(out.sum(axis=-1), 1.0, atol=1e-3)):
        e = np.exp(out - out.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return out


class TextRecognizer:
    """Recognise cropped text lines with an exported CTC model.

    Args:
        args: an ``argparse.Namespace`` from :func:`ppocr.inference.utility.parse_args`, or a
            dict of the same option names (missing ones take the flag defaults; unknown ones
            raise ``ValueError`` naming the nearest valid ones).

    Attributes:
        rec_image_shape: the ``[C, H, W]`` in use (see the module docstring for its source).
        character: the dictionary in index order, without the blank.
        infer_cfg: the parsed ``inference.yml`` (``{}`` if the model has none).

    Raises:
        ConfigError: missing model files, unsupported algorithm or post-processing, bad shape
            or dictionary.
    """

    def __init__(self, args: argparse.Namespace | Mapping[str, Any]):
        args = to_namespace(args)
        self.args = args
        if args.rec_algorithm not in CTC_ALGORITHMS:
            raise ConfigError(f"--rec_algorithm {args.rec_algorithm!r} is not supported; this predictor "
                              f"handles CTC models: {', '.join(CTC_ALGORITHMS)} "
                              f"({nearest(args.rec_algorithm, CTC_ALGORITHMS)})")
        if int(args.rec_batch_num) < 1:
            raise ConfigError(f"--rec_batch_num must be >= 1, got {args.rec_batch_num}")
        self.rec_batch_num = int(args.rec_batch_num)
        self.predictor, self.input_tensor, self.output_tensors, self.config = create_predictor(args, "rec", logger)
        self.infer_cfg = read_inference_yml(args.rec_model_dir)

        post = check_postprocess(self.infer_cfg, args.rec_model_dir, "CTCLabelDecode")
        self.rec_image_shape = model_image_shape(args, self.infer_cfg, "RecResizeImg", "rec_image_shape")

        self.character, self._space_appended = self._load_characters(args, post)
        self.decoder = CTCLabelDecode()
        self.decoder.character = ["blank"] + self.character
        self._checked_classes = False
        self.benchmark = bool(getattr(args, "benchmark", False))
        self.stats = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0, "images": 0}
        if getattr(args, "warmup", False):
            c, h, w = self.rec_image_shape
            self([np.full((h, w, 3), 255, np.uint8)])

    @staticmethod
    def _load_characters(args: argparse.Namespace, post: Mapping[str, Any]) -> tuple[list[str], bool]:
        """The dictionary, and whether its trailing space came from ``use_space_char`` (not the list)."""
        use_space = bool(args.use_space_char)
        if args.rec_char_dict_path:
            chars = load_character_list(args.rec_char_dict_path, False)
        elif post.get("character_dict") is not None:
            chars = post["character_dict"]
            if not isinstance(chars, list) or not all(isinstance(c, str) and c for c in chars):
                raise ConfigError(f"{args.rec_model_dir}/inference.yml: PostProcess.character_dict must be a "
                                  "list of non-empty strings")
            chars = list(chars)
            if not is_explicit(args, "use_space_char"):
                use_space = bool(post.get("use_space_char", use_space))
        else:
            chars = load_character_list(None, False)
        appended = use_space and " " not in chars
        return (chars + [" "] if appended else chars), appended

    def _check_classes(self, num_classes: int) -> None:
        """Match the dictionary to the model's class count once, on the first output."""
        if self._checked_classes:
            return
        expected = len(self.character) + 1
        if num_classes == expected - 1 and self._space_appended:
            level = logging.WARNING if is_explicit(self.args, "use_space_char") else logging.INFO
            logger.log(level, "the model has %d classes, one fewer than blank + %d characters: dropping the "
                       "space appended by --use_space_char (pass --use_space_char false to silence this)",
                       num_classes, expected - 1)
            self.character = self.character[:-1]
            self.decoder.character = ["blank"] + self.character
        elif num_classes != expected:
            raise ConfigError(f"the model outputs {num_classes} classes but the dictionary gives {expected} "
                              f"(blank + {expected - 1} characters); set --rec_char_dict_path and "
                              "--use_space_char to what the model was trained with")
        self._checked_classes = True

    def __call__(self, img_list: Sequence[np.ndarray]) -> tuple[list[tuple[str, float]], float]:
        """Recognise a list of cropped line images.

        Args:
            img_list: ``uint8`` images, BGR ``HxWx3`` (grey and BGRA are converted).

        Returns:
            ``([(text, score), ...] in input order, elapsed seconds)``.
        """
        start = time.perf_counter()
        c, h, w = self.rec_image_shape
        imgs = [F.to_channels(F.normalize_image(img), c) for img in img_list]  # as DecodeImage converts
        ratios = np.array([im.shape[1] / float(im.shape[0]) for im in imgs])
        order = np.argsort(ratios, kind="stable")
        results: list[tuple[str, float]] = [("", 0.0)] * len(imgs)
        for beg in range(0, len(imgs), self.rec_batch_num):
            t0 = time.perf_counter()
            idx = order[beg:beg + self.rec_batch_num]
            max_wh_ratio = max([w / float(h)] + [ratios[i] for i in idx])
            batch = np.stack([resize_norm_img(imgs[i], self.rec_image_shape, max_wh_ratio) for i in idx])
            t1 = time.perf_counter()
            self.input_tensor.reshape(batch.shape)
            self.input_tensor.copy_from_cpu(batch)
            self.predictor.run()
            out = self.output_tensors[0].copy_to_cpu()
            t2 = time.perf_counter()
            if out.ndim != 3 or out.shape[0] != len(idx):
                raise ConfigError(f"expected the recogniser to output [B, T, C] with B={len(idx)}, got "
                                  f"{tuple(out.shape)}; is --rec_model_dir a CTC recognition model?")
            self._check_classes(out.shape[2])
            for i, (text, score) in zip(idx, self.decoder(_softmax_if_needed(out))):
                results[int(i)] = (text, score if text else 0.0)
            t3 = time.perf_counter()
            self.stats["preprocess"] += t1 - t0
            self.stats["inference"] += t2 - t1
            self.stats["postprocess"] += t3 - t2
        self.stats["images"] += len(imgs)
        elapsed = time.perf_counter() - start
        if self.benchmark:
            logger.info("rec %d images in %.4fs (pre %.4fs, infer %.4fs, post %.4fs cumulative)", len(imgs),
                        elapsed, self.stats["preprocess"], self.stats["inference"], self.stats["postprocess"])
        return results, elapsed
