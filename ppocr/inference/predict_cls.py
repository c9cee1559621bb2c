"""Text-direction classification of text-line crops with an exported classifier (``paddle.inference``),
as PaddleOCR's ``tools/infer/predict_cls.py`` does it.

1. images are sorted by width/height ratio (batches of ``cls_batch_num`` similar shapes);
2. each image is resized to height ``H`` keeping its ratio (width ``min(ceil(H * w / h), W)``), scaled to
   ``[-1, 1]`` with ``(x / 255 - 0.5) / 0.5`` and zero-padded on the right to ``W``: training's
   ``ClsResizeImg`` (``[C, H, W]`` is ``3, 48, 192`` by default);
3. the model's ``[B, classes]`` probabilities are decoded by :class:`ppocr.postprocess.ClsPostProcess`
   (arg-max label of ``label_list`` and its probability);
4. a crop whose label contains ``'180'`` with a score above ``cls_thresh`` is turned by 180 degrees.

Results come back in input order. Settings in the model's ``inference.yml`` win over flags the user did not
type: ``PreProcess.transform_ops[ClsResizeImg].image_shape`` over ``--cls_image_shape`` and
``PostProcess.label_list`` over ``--label_list``.

Example:
    >>> from ppocr.inference.predict_cls import TextClassifier
    >>> cls = TextClassifier({"cls_model_dir": "inference/cls", "use_gpu": False})
    >>> crops, results, seconds = cls([cv2.imread("line.png")])
    >>> results[0]
    ('180', 0.99)
"""
from __future__ import annotations

import argparse
import logging
import math
import time
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.inference.utility import (check_postprocess, create_predictor, is_explicit, label_list_arg,
                                    model_image_shape, read_inference_yml, to_namespace)
from ppocr.postprocess.cls_postprocess import ClsPostProcess
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)


def resize_norm_img(img: np.ndarray, image_shape: Sequence[int]) -> np.ndarray:
    """One crop as the classifier takes it: ``float32`` ``[C, H, W]`` in ``[-1, 1]`` (training's ``ClsResizeImg``)."""
    return F.resize_norm_img(img, image_shape)[0]


class TextClassifier:
    """Tell upright text lines from upside-down ones and turn the latter.

    Args:
        args: an ``argparse.Namespace`` from :func:`ppocr.inference.utility.parse_args`, or a dict of the
            same option names (``cls_model_dir``, ``cls_image_shape``, ``cls_batch_num``, ``cls_thresh``,
            ``label_list``, ``use_gpu`` ...; unknown ones raise ``ValueError`` naming the nearest).

    Attributes:
        cls_image_shape: the ``[C, H, W]`` in use.
        label_list: the class names in index order.
        cls_thresh: the score above which a ``'180'`` crop is turned.
        infer_cfg: the parsed ``inference.yml`` (``{}`` if the model has none).

    Raises:
        ConfigError: missing model files, a post-processing other than ``ClsPostProcess``, or a bad
            shape, label list, batch size or threshold.
    """

    def __init__(self, args: argparse.Namespace | Mapping[str, Any]):
        args = to_namespace(args)
        self.args = args
        if isinstance(args.cls_batch_num, bool) or not isinstance(args.cls_batch_num, int) or args.cls_batch_num < 1:
            raise ConfigError(f"--cls_batch_num must be an integer >= 1, got {args.cls_batch_num!r}")
        thresh = args.cls_thresh
        if isinstance(thresh, bool) or not isinstance(thresh, (int, float)) or not math.isfinite(thresh):
            raise ConfigError(f"--cls_thresh must be a number (0.9 by default), got {thresh!r}")
        self.cls_batch_num = int(args.cls_batch_num)
        self.cls_thresh = float(thresh)
        self.predictor, self.input_tensor, self.output_tensors, self.config = create_predictor(args, "cls", logger)
        self.infer_cfg = read_inference_yml(args.cls_model_dir)
        post = check_postprocess(self.infer_cfg, args.cls_model_dir, "ClsPostProcess")
        self.cls_image_shape = model_image_shape(args, self.infer_cfg, "ClsResizeImg", "cls_image_shape")
        labels = post.get("label_list") if post.get("label_list") is not None and not is_explicit(args, "label_list") \
            else args.label_list
        try:
            self.label_list = label_list_arg(labels)
        except argparse.ArgumentTypeError as e:
            raise ConfigError(str(e)) from e
        self.postprocess_op = ClsPostProcess(label_list=self.label_list)
        self.benchmark = bool(getattr(args, "benchmark", False))
        self.stats = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0, "images": 0}
        if getattr(args, "warmup", False):
            c, h, w = self.cls_image_shape
            self([np.full((h, w, 3), 255, np.uint8)])

    def __call__(self, img_list: Sequence[np.ndarray]
                 ) -> tuple[list[np.ndarray], list[tuple[str, float]], float]:
        """Classify crops and turn the upside-down ones.

        Args:
            img_list: ``uint8`` images, BGR ``HxWx3`` (grey and BGRA are converted for the model).

        Returns:
            ``(crops, [(label, score), ...], elapsed seconds)``: copies of the inputs, those classified
            ``'180'`` with a score above ``cls_thresh`` turned by 180 degrees, and the results, in input order.

        Raises:
            ConfigError: the model's output is not ``[B, len(label_list)]``.
        """
        start = time.perf_counter()
        c = self.cls_image_shape[0]
        crops = [np.array(img, copy=True) for img in img_list]
        imgs = [F.to_channels(F.normalize_image(img), c) for img in crops]  # as DecodeImage converts
        ratios = np.array([im.shape[1] / float(im.shape[0]) for im in imgs])
        order = np.argsort(ratios, kind="stable")
        results: list[tuple[str, float]] = [("", 0.0)] * len(imgs)
        for beg in range(0, len(imgs), self.cls_batch_num):
            t0 = time.perf_counter()
            idx = order[beg:beg + self.cls_batch_num]
            batch = np.stack([resize_norm_img(imgs[i], self.cls_image_shape) for i in idx])
            t1 = time.perf_counter()
            self.input_tensor.reshape(batch.shape)
            self.input_tensor.copy_from_cpu(batch)
            self.predictor.run()
            probs = self.output_tensors[0].copy_to_cpu()
            t2 = time.perf_counter()
            if probs.ndim != 2 or probs.shape[0] != len(idx) or probs.shape[1] != len(self.label_list):
                raise ConfigError(f"expected the classifier to output [B, classes] with B={len(idx)} and "
                                  f"{len(self.label_list)} classes (label_list {self.label_list}), got "
                                  f"{tuple(probs.shape)}; is --cls_model_dir a text-direction classifier, and "
                                  "--label_list what it was trained with?")
            for i, (label, score) in zip(idx, self.postprocess_op(probs)):
                results[int(i)] = (label, score)
                if "180" in label and score > self.cls_thresh:
                    crops[int(i)] = cv2.rotate(crops[int(i)], cv2.ROTATE_180)
            t3 = time.perf_counter()
            self.stats["preprocess"] += t1 - t0
            self.stats["inference"] += t2 - t1
            self.stats["postprocess"] += t3 - t2
        self.stats["images"] += len(imgs)
        elapsed = time.perf_counter() - start
        if self.benchmark:
            logger.info("cls %d images in %.4fs (pre %.4fs, infer %.4fs, post %.4fs cumulative)", len(imgs),
                        elapsed, self.stats["preprocess"], self.stats["inference"], self.stats["postprocess"])
        return crops, results, elapsed
