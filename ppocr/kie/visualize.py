"""Drawing KIE results: SER lines as coloured boxes with their class, RE links as lines between pairs.

Text is written with a TrueType font through Pillow when one is found
(:func:`ppocr.inference.visualize.find_font`: the given ``font_path``, then common system fonts),
otherwise with OpenCV's Hershey font (ASCII only). Nothing is downloaded.

Example:
    >>> vis = draw_ser_results(cv2.imread("form.png"), lines)      # lines: [{"bbox", "pred", "pred_id", ...}]
    >>> vis = draw_re_results(cv2.imread("form.png"), pairs)       # pairs: [(question_line, answer_line)]
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from ppocr.inference.visualize import TextPainter, find_font

#: BGR colour per SER class index (0 = OTHER); further classes cycle.
CLASS_COLORS = ((160, 160, 160), (230, 110, 30), (40, 170, 40), (40, 40, 220), (200, 60, 200), (30, 180, 220),
                (130, 80, 20), (20, 120, 160))
QUESTION_COLOR, ANSWER_COLOR, LINK_COLOR = (230, 110, 30), (40, 170, 40), (30, 30, 230)


def _box(line: dict) -> np.ndarray:
    """``[4, 2]`` pixel corners of a line from ``points`` or ``bbox``."""
    if line.get("points") is not None:
        pts = np.asarray(line["points"], np.float32).reshape(-1, 2)
        if len(pts) >= 2:
            x0, y0 = pts.min(0)
            x1, y1 = pts.max(0)
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    x0, y0, x1, y1 = (float(v) for v in line["bbox"])
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def _painter(font_path: str | None, painter: TextPainter | None) -> TextPainter:
    return painter or TextPainter(find_font(font_path))


def _label_box(box: np.ndarray, text: str, height: int) -> np.ndarray:
    """A box for ``text`` just above ``box`` (below it at the top edge of the page)."""
    x0, y0 = box.min(0)
    h = max(10.0, min(18.0, float(np.ptp(box[:, 1])) * 0.9))
    top = y0 - h - 1 if y0 - h - 1 >= 0 else min(float(box[:, 1].max()) + 1, height - h)
    w = max(h, 0.6 * h * len(text))
    return np.array([[x0, top], [x0 + w, top], [x0 + w, top + h], [x0, top + h]], np.float32)


def color_of(class_id: int) -> tuple[int, int, int]:
    """BGR colour of a SER class index."""
    return CLASS_COLORS[int(class_id) % len(CLASS_COLORS)]


def draw_ser_results(image: np.ndarray, lines: Sequence[dict], font_path: str | None = None,
                     painter: TextPainter | None = None) -> np.ndarray:
    """Fill each line's box with its class colour (half transparent) and write ``CLASS: text`` above it.

    Args:
        image: ``HxWx3`` BGR page.
        lines: SER results, each with ``bbox`` or ``points``, ``pred`` (class name, ``'O'`` for
            other), ``pred_id`` and ``transcription``. OTHER lines get a grey outline only.
        font_path: TrueType file (see the module docstring).
        painter: a ``TextPainter`` to reuse.

    Returns:
        The drawn ``HxWx3`` BGR image.
    """
    img = np.ascontiguousarray(image[:, :, :3]).copy()
    fill = img.copy()
    items_by_color: dict[tuple, list] = {}
    for line in lines:
        box = _box(line)
        pts = np.round(box).astype(np.int32).reshape(-1, 1, 2)
        color = color_of(line.get("pred_id", 0))
        if line.get("pred_id", 0):
            cv2.fillPoly(fill, [pts], color)
            text = f"{line.get('pred', '')}: {line.get('transcription', '')}"
            items_by_color.setdefault(color, []).append((_label_box(box, text, img.shape[0]), text))
        cv2.polylines(img, [pts], True, color, 1, cv2.LINE_AA)
    out = cv2.addWeighted(img, 0.6, fill, 0.4, 0)
    painter = _painter(font_path, painter)
    for color, items in items_by_color.items():
        out = painter.draw(out, items, color=color)
    return out


def draw_re_results(image: np.ndarray, pairs: Sequence[tuple[dict, dict]], font_path: str | None = None,
                    painter: TextPainter | None = None) -> np.ndarray:
    """Draw each linked pair: question box, answer box and a line joining their centres.

    Args:
        image: ``HxWx3`` BGR page.
        pairs: ``(question_line, answer_line)`` pairs, lines with ``bbox`` or ``points``.
        font_path: TrueType file (see the module docstring).
        painter: a ``TextPainter`` to reuse.

    Returns:
        The drawn ``HxWx3`` BGR image.
    """
    img = np.ascontiguousarray(image[:, :, :3]).copy()
    fill = img.copy()
    for head, tail in pairs:
        for line, color in ((head, QUESTION_COLOR), (tail, ANSWER_COLOR)):
            pts = np.round(_box(line)).astype(np.int32).reshape(-1, 1, 2)
            cv2.fillPoly(fill, [pts], color)
    out = cv2.addWeighted(img, 0.6, fill, 0.4, 0)
    items = []
    for i, (head, tail) in enumerate(pairs):
        a, b = _box(head).mean(0), _box(tail).mean(0)
        cv2.line(out, tuple(int(v) for v in np.round(a)), tuple(int(v) for v in np.round(b)), LINK_COLOR, 2,
                 cv2.LINE_AA)
        cv2.circle(out, tuple(int(v) for v in np.round(b)), 3, LINK_COLOR, -1, cv2.LINE_AA)
        items.append((_label_box(_box(head), str(i + 1), out.shape[0]), str(i + 1)))
    return _painter(font_path, painter).draw(out, items, color=LINK_COLOR)
