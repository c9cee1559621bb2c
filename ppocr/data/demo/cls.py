"""Writes the bundled text-direction demo set (``train_data/demo/cls``) with :mod:`ppocr.data.demo.render`.

Layout, in PaddleOCR's classifier label format (``relative/path<TAB>class``, the class one of
``Global.label_list``: ``0`` upright, ``180`` upside down)::

    <out>/cls_gt_train.txt   train/000000.png<TAB>0 ...
    <out>/cls_gt_eval.txt    eval/000000.png<TAB>180 ...
    <out>/train/*.png  <out>/eval/*.png

Each image is a rendered text line (a phrase of everyday words, numbers and punctuation, 8-40
characters, the six legible Hershey faces, mild augmentation as in the recognition demo), and about
half of them are turned by 180 degrees (labelled ``180``). Lines are ``height`` pixels high (48, the
classifier's input height), stored as 8-bit grey PNGs with 16 grey levels. Train and eval are
independent random streams.

Example:
    >>> from ppocr.data.demo.cls import make_cls_demo
    >>> stats = make_cls_demo("train_data/demo/cls", num_train=800, num_eval=200, seed=0)
"""
from __future__ import annotations

import logging
import os

import cv2
import numpy as np

from ppocr.data.demo.lines import random_phrase
from ppocr.data.demo.rec import DEMO_RENDER_KWARGS, encode_demo_png
from ppocr.data.demo.render import random_font, render_line

logger = logging.getLogger(__name__)

#: grey levels of the stored PNGs
GREY_LEVELS = 16
#: the classes, as PaddleOCR's ``label_list`` names them
UPRIGHT, UPSIDE_DOWN = "0", "180"


def render_cls_line(rng: np.random.Generator, height: int = 48, upside_down: bool = False,
                    min_len: int = 8, max_len: int = 40) -> np.ndarray:
    """One rendered text line, turned by 180 degrees when ``upside_down``.

    Args:
        rng: the random source.
        height: image height in pixels.
        upside_down: rotate the line by 180 degrees.
        min_len: shortest phrase in characters (at least 5).
        max_len: longest phrase in characters.

    Returns:
        ``HxWx3`` ``uint8`` BGR image.
    """
    text = random_phrase(rng, min_len, max_len)
    img = render_line(text, rng, font=random_font(rng), height=height, **DEMO_RENDER_KWARGS)
    return cv2.rotate(img, cv2.ROTATE_180) if upside_down else img


def write_cls_split(out_dir: str, split: str, count: int, rng: np.random.Generator, height: int = 48) -> int:
    """Render ``count`` lines into ``out_dir/split/`` and write ``out_dir/cls_gt_<split>.txt``.

    Returns:
        Bytes of PNG written.
    """
    img_dir = os.path.join(out_dir, split)
    os.makedirs(img_dir, exist_ok=True)
    total = 0
    with open(os.path.join(out_dir, f"cls_gt_{split}.txt"), "w", encoding="utf-8", newline="\n") as f:
        for i in range(count):
            upside_down = bool(rng.random() < 0.5)
            png = encode_demo_png(render_cls_line(rng, height, upside_down), GREY_LEVELS)
            rel = f"{split}/{i:06d}.png"
            with open(os.path.join(out_dir, rel), "wb") as fi:
                fi.write(png)
            f.write(f"{rel}\t{UPSIDE_DOWN if upside_down else UPRIGHT}\n")
            total += len(png)
    logger.info("wrote %d %s lines to %s", count, split, img_dir)
    return total


def make_cls_demo(out_dir: str, num_train: int = 800, num_eval: int = 200, seed: int = 0,
                  height: int = 48) -> dict[str, int]:
    """Write the text-direction demo set (train and eval splits) under ``out_dir``.

    Args:
        out_dir: the dataset root; existing files with the same names are overwritten (stale extra
            files are not removed).
        num_train: training lines.
        num_eval: evaluation lines.
        seed: seed of both splits' independent random streams.
        height: image height in pixels.

    Returns:
        ``{"train": num_train, "eval": num_eval, "bytes": PNG bytes}``.
    """
    if num_train < 0 or num_eval < 0:
        raise ValueError(f"line counts must be >= 0, got train={num_train}, eval={num_eval}")
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    total = write_cls_split(out_dir, "train", num_train, np.random.default_rng(train_seq), height)
    total += write_cls_split(out_dir, "eval", num_eval, np.random.default_rng(eval_seq), height)
    return {"train": num_train, "eval": num_eval, "bytes": total}
