"""Writes the bundled text-line demo set (``train_data/demo/lines``) with :mod:`ppocr.data.demo.render`.

Layout, tesstrain's and kraken's "path" format (what ``LineDataSet`` reads)::

    <out>/train/000000.png   <out>/train/000000.gt.txt   ...
    <out>/eval/000000.png    <out>/eval/000000.gt.txt    ...

Each line is a phrase of several words, 20-60 characters by default: everyday English words,
capitals at sentence starts and now and then a capitalised or all-caps word, numbers (years,
amounts, times, percentages), punctuation, quotes and brackets (printable ASCII, what the
Hershey fonts draw). Lines are rendered in the six legible Hershey faces (20% italic, varied
weight) with mild augmentation, ``height`` pixels high, stored as 8-bit grey PNGs with 16 grey
levels (about 3.4 KB a line). Train and eval are independent random streams. ``held_out_face`` renders the training
lines without that face and the eval lines only with it, for benchmarks of generalisation to
an unseen typeface.

Example:
    >>> from ppocr.data.demo.lines import make_lines_demo
    >>> stats = make_lines_demo("train_data/demo/lines", num_train=2000, num_eval=150, seed=0)
"""
from __future__ import annotations

import logging
import os
from typing import Sequence

import numpy as np

from ppocr.data.demo.rec import DEMO_RENDER_KWARGS, encode_demo_png
from ppocr.data.demo.render import LEGIBLE_FACES, WORDS, pseudo_word, random_font, render_line

logger = logging.getLogger(__name__)

#: grey levels of the stored PNGs (fewer levels compress better; 16 keeps the lines legible)
GREY_LEVELS = 16
_END_PUNCT = (".", ".", ".", "!", "?")
_MID_PUNCT = (",", ",", ",", ";", ":")


def _number(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.3:
        return str(int(rng.integers(1700, 2031)))
    if kind < 0.5:
        return str(int(rng.integers(0, 1000)))
    if kind < 0.65:
        return f"${int(rng.integers(1, 500))}.{int(rng.integers(0, 100)):02d}"
    if kind < 0.8:
        return f"{int(rng.integers(1, 13))}:{int(rng.integers(0, 60)):02d}"
    if kind < 0.9:
        return f"{int(rng.integers(1, 100))}%"
    return f"{int(rng.integers(1, 32))}/{int(rng.integers(1, 13))}"


def _token(rng: np.random.Generator, words: Sequence[str]) -> str:
    kind = rng.random()
    if kind < 0.78:
        return str(words[int(rng.integers(len(words)))])
    if kind < 0.88:
        return _number(rng)
    if kind < 0.95:
        return pseudo_word(rng, 3, 9)
    a, b = (str(words[int(i)]) for i in rng.integers(len(words), size=2))
    return f"{a}-{b}"


def random_phrase(rng: np.random.Generator, min_len: int = 20, max_len: int = 60,
                  words: Sequence[str] = WORDS) -> str:
    """A phrase of several words, ``min_len..max_len`` characters, printable ASCII.

    Args:
        rng: the random source.
        min_len: shortest length (inclusive, at least 5).
        max_len: longest length (inclusive).
        words: the vocabulary (lowercase).

    Returns:
        The phrase.
    """
    if not 5 <= min_len <= max_len:
        raise ValueError(f"need 5 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    target = int(rng.integers(min_len, max_len + 1))
    out: list[str] = []
    capital = True
    while True:
        tok = _token(rng, words)
        if tok[0].isalpha():
            r = rng.random()
            if capital or r < 0.06:
                tok = tok[0].upper() + tok[1:]
            elif r < 0.08:
                tok = tok.upper()
        r = rng.random()
        if r < 0.04:
            tok = f'"{tok}"'
        elif r < 0.07:
            tok = f"({tok})"
        elif r < 0.09 and tok[-1].isalpha():
            tok += "'s"
        capital = False
        r = rng.random()
        if r < 0.10:
            tok += _END_PUNCT[int(rng.integers(len(_END_PUNCT)))]
            capital = True
        elif r < 0.22:
            tok += _MID_PUNCT[int(rng.integers(len(_MID_PUNCT)))]
        candidate = " ".join(out + [tok])
        if len(candidate) > max_len:
            if len(" ".join(out)) >= min_len:
                break
            continue  # too long a token for the room left: draw another
        out.append(tok)
        if len(candidate) >= target:
            break
    return " ".join(out)


def write_lines_split(out_dir: str, split: str, count: int, rng: np.random.Generator, height: int = 36,
                      faces: Sequence[str] = LEGIBLE_FACES, min_len: int = 20, max_len: int = 60) -> int:
    """Render ``count`` lines into ``out_dir/split/NAME.png`` + ``NAME.gt.txt``.

    Returns:
        Bytes of PNG written.
    """
    folder = os.path.join(out_dir, split)
    os.makedirs(folder, exist_ok=True)
    total = 0
    for i in range(count):
        text = random_phrase(rng, min_len, max_len)
        img = render_line(text, rng, font=random_font(rng, faces), height=height, **DEMO_RENDER_KWARGS)
        png = encode_demo_png(img, GREY_LEVELS)
        stem = os.path.join(folder, f"{i:06d}")
        with open(stem + ".png", "wb") as f:
            f.write(png)
        with open(stem + ".gt.txt", "w", encoding="utf-8", newline="\n") as f:
            f.write(text + "\n")
        total += len(png)
    logger.info("wrote %d %s lines to %s", count, split, folder)
    return total


def make_lines_demo(out_dir: str, num_train: int = 2000, num_eval: int = 150, seed: int = 0, height: int = 36,
                    held_out_face: str | None = None, min_len: int = 20, max_len: int = 60) -> dict:
    """Write the text-line demo set (train and eval splits) under ``out_dir``.

    Args:
        out_dir: the dataset root; existing files with the same names are overwritten (stale extra
            files are not removed).
        num_train: training lines.
        num_eval: evaluation lines.
        seed: seed of both splits' independent random streams.
        height: image height in pixels.
        held_out_face: a face of :data:`~ppocr.data.demo.render.LEGIBLE_FACES` used only for eval.
        min_len: shortest line in characters.
        max_len: longest line in characters.

    Returns:
        ``{'train': num_train, 'eval': num_eval, 'bytes': PNG bytes, 'train_faces': [...],
        'eval_faces': [...]}``.
    """
    if num_train < 0 or num_eval < 0:
        raise ValueError(f"line counts must be >= 0, got train={num_train}, eval={num_eval}")
    train_faces, eval_faces = list(LEGIBLE_FACES), list(LEGIBLE_FACES)
    if held_out_face is not None:
        if held_out_face not in LEGIBLE_FACES:
            raise ValueError(f"held_out_face must be one of {', '.join(LEGIBLE_FACES)}, got {held_out_face!r}")
        train_faces = [f for f in LEGIBLE_FACES if f != held_out_face]
        eval_faces = [held_out_face]
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    total = write_lines_split(out_dir, "train", num_train, np.random.default_rng(train_seq), height, train_faces,
                              min_len, max_len)
    total += write_lines_split(out_dir, "eval", num_eval, np.random.default_rng(eval_seq), height, eval_faces,
                               min_len, max_len)
    return {"train": num_train, "eval": num_eval, "bytes": total, "train_faces": train_faces,
            "eval_faces": eval_faces}
