"""Writes the bundled recognition demo set (``train_data/demo/rec``) with :mod:`ppocr.data.demo.render`.

Layout, in PaddleOCR's recognition label format (``relative/path<TAB>text``, paths relative
to the folder holding the label files, which configs use as ``data_dir``)::

    <out>/rec_gt_train.txt   train/000000.png<TAB>label ...
    <out>/rec_gt_eval.txt    eval/000000.png<TAB>label ...
    <out>/train/*.png  <out>/eval/*.png

Labels use only ``0-9a-z`` so the default dictionary fits and no ``dict.txt`` is needed.
Train and eval come from the same distribution (same fonts and augmentation) but from
independent random streams. Images are stored as 8-bit greyscale PNGs quantised to 64 grey
levels to keep the repository small; ``cv2.imread`` loads them as 3-channel BGR as usual.

Example:
    >>> from ppocr.data.demo.rec import make_rec_demo
    >>> stats = make_rec_demo("train_data/demo/rec", num_train=3000, num_eval=300, seed=0)
"""
from __future__ import annotations

import logging
import os

import cv2
import numpy as np

from ppocr.data.demo.render import random_label, render_line

logger = logging.getLogger(__name__)

#: Rendering settings of the demo set: mild augmentation, legible fonts.
DEMO_RENDER_KWARGS = dict(max_angle=2.0, max_shear=0.15, margin=(1, 4), blur_prob=0.3,
                          max_blur_sigma=0.8, max_noise=3.0)
GREY_LEVELS = 64


def encode_demo_png(img: np.ndarray, grey_levels: int = GREY_LEVELS) -> bytes:
    """Convert a BGR image to quantised greyscale and encode it as a maximally compressed PNG.

    Args:
        img: ``HxWx3`` ``uint8`` BGR image.
        grey_levels: number of grey levels kept (a divisor of 256).

    Returns:
        The PNG bytes.
    """
    if 256 % grey_levels:
        raise ValueError(f"grey_levels must divide 256, got {grey_levels}")
    step = 256 // grey_levels
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    grey = (grey // step) * step + step // 2
    ok, buf = cv2.imencode(".png", grey, [cv2.IMWRITE_PNG_COMPRESSION, 9,
                                          cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_FILTERED])
    if not ok:
        raise RuntimeError("cv2.imencode failed to encode a PNG")
    return buf.tobytes()


def write_rec_split(out_dir: str, split: str, count: int, rng: np.random.Generator, height: int = 32,
                    min_len: int = 2, max_len: int = 10) -> str:
    """Render ``count`` word images into ``out_dir/split/`` and write ``out_dir/rec_gt_<split>.txt``.

    Args:
        out_dir: the dataset root (``data_dir`` in configs).
        split: ``train`` or ``eval`` (any folder-safe name works).
        count: number of samples.
        rng: the random source.
        height: image height in pixels.
        min_len: shortest label.
        max_len: longest label.

    Returns:
        The label file's path.
    """
    img_dir = os.path.join(out_dir, split)
    os.makedirs(img_dir, exist_ok=True)
    label_path = os.path.join(out_dir, f"rec_gt_{split}.txt")
    width = max(6, len(str(max(count - 1, 0))))
    with open(label_path, "w", encoding="utf-8", newline="\n") as f:
        for i in range(count):
            text = random_label(rng, min_len, max_len)
            img = render_line(text, rng, height=height, **DEMO_RENDER_KWARGS)
            rel = f"{split}/{i:0{width}d}.png"
            with open(os.path.join(out_dir, rel), "wb") as fi:
                fi.write(encode_demo_png(img))
            f.write(f"{rel}\t{text}\n")
    logger.info("wrote %d %s samples to %s", count, split, label_path)
    return label_path


def make_rec_demo(out_dir: str, num_train: int = 3000, num_eval: int = 300, seed: int = 0,
                  height: int = 32) -> dict[str, int]:
    """Write the recognition demo set (train and eval splits) under ``out_dir``.

    Args:
        out_dir: the dataset root; created if missing, existing files with the same names
            are overwritten (stale extra images are not removed).
        num_train: number of training samples.
        num_eval: number of evaluation samples.
        seed: seed of both splits' independent random streams.
        height: image height in pixels.

    Returns:
        ``{"train": num_train, "eval": num_eval, "bytes": total PNG bytes}``.
    """
    if num_train < 0 or num_eval < 0:
        raise ValueError(f"sample counts must be >= 0, got train={num_train}, eval={num_eval}")
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    write_rec_split(out_dir, "train", num_train, np.random.default_rng(train_seq), height)
    write_rec_split(out_dir, "eval", num_eval, np.random.default_rng(eval_seq), height)
    total = 0
    for split in ("train", "eval"):
        d = os.path.join(out_dir, split)
        total += sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
    return {"train": num_train, "eval": num_eval, "bytes": total}
