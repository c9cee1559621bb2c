"""Synthetic "document page" images with word-level polygons, for text-detection demos and tests.

Each page is a light paper-like background (:func:`ppocr.data.demo.render.make_background`) with
lines of words drawn by :func:`ppocr.data.demo.render.draw_text_mask` at 16-40 px, a few words
slightly rotated, optional fine print labelled ``###`` (do not care), and non-text
distractors (rules, boxes, filled "picture" blocks, specks). Every word's polygon is its ink
quad (clockwise from top-left) moved to the page. Output is deterministic for a seed.

Layout written by :func:`make_det_demo` (PaddleOCR's detection label format: the image path,
a TAB, then a JSON list of regions; paths relative to the folder of the label files, which
configs use as ``data_dir``)::

    <out>/det_gt_train.txt   train/000000.png<TAB>[{"transcription": "word", "points": [[x, y], ...]}, ...]
    <out>/det_gt_eval.txt    eval/000000.png<TAB>[...]
    <out>/train/*.png  <out>/eval/*.png

Images are stored as 8-bit greyscale PNGs quantised to 16 grey levels (about 25 KB a page;
JPEG at quality 85 was twice the size on these text-dense pages); ``cv2.imread`` /
``DecodeImage`` load them as 3-channel BGR.

Example:
    >>> from ppocr.data.demo.det import make_det_demo
    >>> stats = make_det_demo("train_data/demo/det", num_train=200, num_eval=50, seed=0)
"""
from __future__ import annotations

import json
import logging
import math
import os

import cv2
import numpy as np

from ppocr.data.demo.rec import encode_demo_png
from ppocr.data.demo.render import (HersheyFont, composite, draw_text_mask, make_background, random_font,
                                random_label)

logger = logging.getLogger(__name__)

#: Grey levels kept in the stored PNGs.
GREY_LEVELS = 16
#: Default page size ranges ``(low, high)`` in pixels, inclusive.
PAGE_WIDTH = (576, 704)
PAGE_HEIGHT = (416, 544)
TEXT_HEIGHT = (16, 40)
FINE_PRINT_HEIGHT = (7, 11)


def _baseline_row(text: str, font: HersheyFont, text_height: int) -> int:
    """Row of the text baseline inside :func:`draw_text_mask`'s mask (mirrors its layout)."""
    face = font.cv2_font
    (_, h1), base1 = cv2.getTextSize("Hg", face, 1.0, 1)
    scale = text_height / float(h1 + base1)
    thickness = max(1, int(round(font.weight * scale * 1.1)))
    (_, h), base = cv2.getTextSize(text, face, scale, thickness)
    return thickness + int(math.ceil(0.4 * (h + base))) + h


def _rotate_mask(mask: np.ndarray, quad: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Rotate an ink mask about its quad centre on an enlarged canvas; return (mask, quad, row shift)."""
    h, w = mask.shape
    cx, cy = quad.mean(axis=0)
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), -angle, 1.0)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    moved = corners @ m[:, :2].T + m[:, 2]
    lo = np.floor(moved.min(0))
    hi = np.ceil(moved.max(0))
    m[:, 2] -= lo
    size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    # cv2 maps pixel centres; quads use pixel edges, so shift by half a pixel around the matrix
    cv_m = m.copy()
    cv_m[:, 2] += m[:, :2] @ np.array([0.5, 0.5]) - 0.5
    out = cv2.warpAffine(mask, cv_m, size, flags=cv2.INTER_LINEAR, borderValue=0)
    new_quad = (quad.astype(np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)
    return out, new_quad, float(-lo[1])


def _draw_distractors(rng: np.random.Generator, page: np.ndarray, occupied: np.ndarray) -> None:
    """Rules, box outlines, a filled picture block and specks, drawn on ``page`` (float32 BGR) in place."""
    h, w = page.shape[:2]
    if rng.random() < 0.35:  # a filled "picture" that text avoids
        bw, bh = int(rng.integers(w // 6, w // 3)), int(rng.integers(h // 6, h // 3))
        x0, y0 = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
        tone = rng.uniform(60, 200)
        block = make_background(rng, bh, bw, base_range=(tone, tone + 1), gradient=80, texture=40)
        page[y0:y0 + bh, x0:x0 + bw] = block
        occupied[max(0, y0 - 4):y0 + bh + 4, max(0, x0 - 4):x0 + bw + 4] = 1
    for _ in range(int(rng.integers(0, 4))):  # horizontal or vertical rules
        grey = float(rng.uniform(40, 160))
        t = int(rng.integers(1, 3))
        if rng.random() < 0.7:
            y = int(rng.integers(0, h))
            x0, x1 = sorted(int(v) for v in rng.integers(0, w, size=2))
            cv2.line(page, (x0, y), (x1, y), (grey, grey, grey), t, cv2.LINE_AA)
            occupied[max(0, y - t - 2):y + t + 3, x0:x1 + 1] = 1
        else:
            x = int(rng.integers(0, w))
            y0, y1 = sorted(int(v) for v in rng.integers(0, h, size=2))
            cv2.line(page, (x, y0), (x, y1), (grey, grey, grey), t, cv2.LINE_AA)
            occupied[y0:y1 + 1, max(0, x - t - 2):x + t + 3] = 1
    if rng.random() < 0.3:  # an empty box outline (text may sit inside it)
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, size=2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, size=2))
        grey = float(rng.uniform(60, 160))
        cv2.rectangle(page, (x0, y0), (x1, y1), (grey, grey, grey), 1, cv2.LINE_AA)
        for ys, xs in ((slice(y0 - 3, y0 + 4), slice(x0, x1 + 1)), (slice(y1 - 3, y1 + 4), slice(x0, x1 + 1)),
                       (slice(y0, y1 + 1), slice(x0 - 3, x0 + 4)), (slice(y0, y1 + 1), slice(x1 - 3, x1 + 4))):
            occupied[max(0, ys.start):ys.stop, max(0, xs.start):xs.stop] = 1
    n = int(rng.integers(0, 40))  # specks and dots
    if n:
        xs, ys = rng.integers(0, w, size=n), rng.integers(0, h, size=n)
        for x, y, r, g in zip(xs, ys, rng.integers(1, 3, size=n), rng.uniform(30, 150, size=n)):
            cv2.circle(page, (int(x), int(y)), int(r), (float(g),) * 3, -1, cv2.LINE_AA)


def _place_word(page: np.ndarray, occupied: np.ndarray, mask: np.ndarray, quad: np.ndarray, left: int, top: int,
                color: np.ndarray) -> np.ndarray | None:
    """Composite ``mask`` with its top-left at ``(left, top)`` unless its quad is off-page or overlaps.

    Returns:
        The word's page polygon, or ``None`` when it was not placed.
    """
    h, w = page.shape[:2]
    mh, mw = mask.shape
    poly = quad + np.array([left, top], np.float32)
    if poly[:, 0].min() < 2 or poly[:, 1].min() < 2 or poly[:, 0].max() > w - 2 or poly[:, 1].max() > h - 2:
        return None
    cells = np.zeros_like(occupied)
    cv2.fillPoly(cells, [np.round(poly).astype(np.int32)], 1)
    if np.any(cells & occupied):
        return None
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(w, left + mw), min(h, top + mh)
    sub = mask[y0 - top:y1 - top, x0 - left:x1 - left]
    page[y0:y1, x0:x1] = composite(page[y0:y1, x0:x1], sub, color)
    grown = cv2.dilate(cells, np.ones((5, 5), np.uint8))
    occupied |= grown
    return poly


def render_det_page(rng: np.random.Generator, width: int | None = None, height: int | None = None, *,
                    text_height: tuple[int, int] = TEXT_HEIGHT, rotate_prob: float = 0.15, max_angle: float = 8.0,
                    fine_print_prob: float = 0.25, empty_prob: float = 0.03,
                    noise: float = 1.0) -> tuple[np.ndarray, list[dict]]:
    """Render one synthetic page and its word regions.

    Args:
        rng: the random source; the output is a pure function of it and the arguments.
        width: page width, or ``None`` for a random one in :data:`PAGE_WIDTH`.
        height: page height, or ``None`` for a random one in :data:`PAGE_HEIGHT`.
        text_height: inclusive range of the per-line text height in pixels.
        rotate_prob: probability that a word is rotated by up to ``max_angle`` degrees.
        max_angle: largest word rotation in degrees.
        fine_print_prob: probability of a line of tiny do-not-care words (``###``).
        empty_prob: probability of a page without text (distractors only).
        noise: largest standard deviation of additive Gaussian noise.

    Returns:
        ``(image, regions)``: ``HxWx3`` ``uint8`` BGR image and
        ``[{"transcription": str, "points": [[x, y] x4]}, ...]`` with integer points.
    """
    w = int(width) if width is not None else int(rng.integers(PAGE_WIDTH[0], PAGE_WIDTH[1] + 1))
    h = int(height) if height is not None else int(rng.integers(PAGE_HEIGHT[0], PAGE_HEIGHT[1] + 1))
    page = make_background(rng, h, w, base_range=(190, 250), gradient=25, texture=10, tint=6)
    occupied = np.zeros((h, w), np.uint8)
    _draw_distractors(rng, page, occupied)
    regions: list[dict] = []
    if rng.random() >= empty_prob:
        margin_x = int(rng.integers(8, max(9, w // 10)))
        y = int(rng.integers(6, max(7, h // 12)))
        fine_line = int(rng.integers(0, 12)) if rng.random() < fine_print_prob else -1
        line_no = 0
        while True:
            fine = line_no == fine_line
            th = int(rng.integers(FINE_PRINT_HEIGHT[0], FINE_PRINT_HEIGHT[1] + 1)) if fine else \
                int(rng.integers(text_height[0], text_height[1] + 1))
            if y + 2 * th > h:
                break
            font = random_font(rng)
            ink = float(rng.uniform(0, 80))
            color = np.clip(ink + rng.uniform(-15, 15, size=3), 0, 255).astype(np.float32)
            x = margin_x + (int(rng.integers(0, w // 4)) if rng.random() < 0.3 else 0)
            line_end = w - int(rng.integers(8, max(9, w // 6)))
            line_top = y
            while x < line_end:
                text = random_label(rng, 1, 10)
                if rng.random() < 0.15:
                    text = text.capitalize()
                mask, quad = draw_text_mask(text, font, th)
                base_row = _baseline_row(text, font, th)
                top = line_top - (base_row - int(round(0.8 * th)))  # baselines of a line align
                if not fine and rng.random() < rotate_prob:
                    angle = float(rng.uniform(-max_angle, max_angle))
                    mask, quad, dy = _rotate_mask(mask, quad, angle)
                    top -= int(round(dy))
                left = int(x - quad[:, 0].min())
                poly = _place_word(page, occupied, mask, quad, left, top, color)
                if poly is not None:
                    regions.append({"transcription": "###" if fine else text,
                                    "points": np.round(poly).astype(int).tolist()})
                x = int(math.ceil(quad[:, 0].max() + left)) + int(rng.integers(int(0.35 * th) + 2, int(0.9 * th) + 4))
            y += int(round(th * rng.uniform(1.25, 1.8)))
            if rng.random() < 0.2:  # paragraph gap
                y += int(rng.integers(th // 2, 2 * th + 1))
            line_no += 1
    if rng.random() < 0.2:
        page = cv2.GaussianBlur(page, (0, 0), float(rng.uniform(0.3, 0.7)))
    sd = rng.uniform(0, noise)
    if sd > 0:
        page = page + rng.normal(0, sd, size=page.shape).astype(np.float32)
    return np.clip(np.rint(page), 0, 255).astype(np.uint8), regions


def write_det_split(out_dir: str, split: str, count: int, rng: np.random.Generator, **page_kwargs) -> str:
    """Render ``count`` pages into ``out_dir/split/`` and write ``out_dir/det_gt_<split>.txt``.

    Args:
        out_dir: the dataset root (``data_dir`` in configs).
        split: ``train`` or ``eval`` (any folder-safe name works).
        count: number of pages.
        rng: the random source.
        **page_kwargs: passed to :func:`render_det_page` (e.g. ``width``, ``height``).

    Returns:
        The label file's path.
    """
    img_dir = os.path.join(out_dir, split)
    os.makedirs(img_dir, exist_ok=True)
    label_path = os.path.join(out_dir, f"det_gt_{split}.txt")
    digits = max(6, len(str(max(count - 1, 0))))
    with open(label_path, "w", encoding="utf-8", newline="\n") as f:
        for i in range(count):
            img, regions = render_det_page(rng, **page_kwargs)
            rel = f"{split}/{i:0{digits}d}.png"
            with open(os.path.join(out_dir, rel), "wb") as fi:
                fi.write(encode_demo_png(img, GREY_LEVELS))
            f.write(f"{rel}\t{json.dumps(regions, ensure_ascii=False)}\n")
    logger.info("wrote %d %s pages to %s", count, split, label_path)
    return label_path


def make_det_demo(out_dir: str, num_train: int = 200, num_eval: int = 50, seed: int = 0,
                  **page_kwargs) -> dict[str, int]:
    """Write the detection demo set (train and eval splits) under ``out_dir``.

    Args:
        out_dir: the dataset root; created if missing; files with the same names are
            overwritten (stale extra images are not removed).
        num_train: number of training pages.
        num_eval: number of evaluation pages.
        seed: seed of both splits' independent random streams.
        **page_kwargs: passed to :func:`render_det_page`.

    Returns:
        ``{"train": num_train, "eval": num_eval, "words": care words, "ignored": ### words,
        "bytes": total PNG bytes}``.
    """
    if num_train < 0 or num_eval < 0:
        raise ValueError(f"page counts must be >= 0, got train={num_train}, eval={num_eval}")
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    stats = {"train": num_train, "eval": num_eval, "words": 0, "ignored": 0, "bytes": 0}
    for split, count, seq in (("train", num_train, train_seq), ("eval", num_eval, eval_seq)):
        path = write_det_split(out_dir, split, count, np.random.default_rng(seq), **page_kwargs)
        with open(path, encoding="utf-8") as f:
            for line in f:
                rel, _, label = line.rstrip("\n").partition("\t")
                texts = [r["transcription"] for r in json.loads(label)]
                stats["ignored"] += sum(t == "###" for t in texts)
                stats["words"] += sum(t != "###" for t in texts)
                stats["bytes"] += os.path.getsize(os.path.join(out_dir, rel))
    return stats
