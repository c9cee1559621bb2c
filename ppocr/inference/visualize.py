"""Drawing OCR results: boxes on the image, recognised text beside it.

:func:`draw_ocr_box_txt` returns the image with translucent boxes on the left and, on a white panel
of the same size on the right, each box outlined with its text written inside it (PaddleOCR's
``draw_ocr_box_txt`` layout). Text is drawn with a TrueType font through Pillow when one is found
(:func:`find_font`: ``--vis_font_path``, then common system fonts); otherwise, or without Pillow,
with OpenCV's built-in Hershey font, which covers printable ASCII only (other characters become
``?``). Fonts are never downloaded.

Example:
    >>> from ppocr.inference.visualize import draw_ocr_box_txt
    >>> vis = draw_ocr_box_txt(img, [box], ["hello"], [0.98], font_path=None)
    >>> vis.shape == (img.shape[0], 2 * img.shape[1], 3)
    True
"""
from __future__ import annotations

import glob
import importlib.util
import logging
import os
from typing import Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F

logger = logging.getLogger(__name__)

#: TrueType fonts tried, in order, when ``--vis_font_path`` does not name an existing file.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/google-noto/NotoSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
#: Glob patterns searched after :data:`SYSTEM_FONTS` (other distributions' layouts).
SYSTEM_FONT_GLOBS = ("/usr/share/fonts/**/DejaVuSans.ttf", "/usr/share/fonts/**/LiberationSans-Regular.ttf",
                     "/usr/share/fonts/**/NotoSans-Regular.ttf", "/usr/local/share/fonts/**/*.ttf",
                     os.path.expanduser("~/.fonts/*.ttf"), os.path.expanduser("~/.local/share/fonts/**/*.ttf"))

_warned: set[str] = set()


def _bundled_fonts() -> list[str]:
    """DejaVu Sans shipped inside an installed matplotlib, located without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [os.path.join(loc, "mpl-data", "fonts", "ttf", "DejaVuSans.ttf") for loc in spec.submodule_search_locations]


def find_font(font_path: str | None = None) -> str | None:
    """The TrueType font to draw text with.

    Args:
        font_path: ``--vis_font_path``; used when it names an existing file.

    Returns:
        ``font_path`` if it exists, else the first of :data:`SYSTEM_FONTS`, the
        :data:`SYSTEM_FONT_GLOBS` matches and a matplotlib-bundled DejaVu Sans that exists, else
        ``None`` (text is then drawn with OpenCV's Hershey font).
    """
    if font_path and os.path.isfile(font_path):
        return font_path
    found = next((p for p in SYSTEM_FONTS if os.path.isfile(p)), None)
    if found is None:
        for pattern in SYSTEM_FONT_GLOBS:
            matches = sorted(glob.glob(pattern, recursive=True))
            if matches:
                found = matches[0]
                break
    if found is None:
        found = next((p for p in _bundled_fonts() if os.path.isfile(p)), None)
    key = f"{font_path}->{found}"
    if font_path and key not in _warned:
        _warned.add(key)
        logger.warning("--vis_font_path %s does not exist; drawing text with %s", font_path,
                       found or "OpenCV's Hershey font (ASCII only)")
    return found


class TextPainter:
    """Writes text into boxes with a TrueType font (Pillow) or, failing that, OpenCV's Hershey font.

    Args:
        font_path: a TrueType file, or ``None`` for the Hershey font.

    Attributes:
        font_path: the TrueType file in use, or ``None`` when drawing with Hershey.
    """

    def __init__(self, font_path: str | None):
        self.font_path = None
        self._fonts: dict[int, object] = {}
        if font_path:
            try:
                from PIL import ImageFont

                ImageFont.truetype(font_path, 12)
                self.font_path = font_path
            except ImportError:
                logger.warning("Pillow is not installed; drawing text with OpenCV's Hershey font (pip install pillow)")
            except OSError as e:
                logger.warning("cannot load font %s (%s); drawing text with OpenCV's Hershey font", font_path, e)

    def _font(self, size: int):
        from PIL import ImageFont

        size = max(6, int(size))
        if size not in self._fonts:
            self._fonts[size] = ImageFont.truetype(self.font_path, size)
        return self._fonts[size]

    def draw(self, canvas: np.ndarray, items: Sequence[tuple[np.ndarray, str]], color=(0, 0, 0)) -> np.ndarray:
        """Write each text inside the axis-aligned bounds of its box.

        Horizontal boxes get one line of text sized to the box height and shrunk to fit its width;
        boxes at least twice as tall as wide get the characters stacked vertically.

        Args:
            canvas: ``HxWx3`` ``uint8`` BGR image (not modified).
            items: ``(box [K, 2], text)`` pairs.
            color: BGR text colour.

        Returns:
            A new image with the text drawn.
        """
        if self.font_path is None:
            out = canvas.copy()
            for box, text in items:
                self._draw_hershey(out, box, text, color)
            return out
        from PIL import Image, ImageDraw

        pil = Image.fromarray(np.ascontiguousarray(canvas[:, :, ::-1]))
        draw = ImageDraw.Draw(pil)
        rgb = tuple(int(c) for c in color[::-1])
        for box, text in items:
            x0, y0, w, h = _bounds(box)
            if not text or w < 2 or h < 2:
                continue
            if h >= 2 * w and len(text) > 1:
                size = min(w * 0.8, h / len(text))
                font = self._font(size)
                for i, ch in enumerate(text):
                    draw.text((x0 + 0.1 * w, y0 + i * size), ch, fill=rgb, font=font)
                continue
            size = h * 0.8
            font = self._font(size)
            length = font.getlength(text)
            if length > w:
                font = self._font(size * w / length)
            draw.text((x0, y0 + 0.1 * h), text, fill=rgb, font=font)
        return np.ascontiguousarray(np.asarray(pil)[:, :, ::-1])

    @staticmethod
    def _draw_hershey(img: np.ndarray, box: np.ndarray, text: str, color) -> None:
        x0, y0, w, h = _bounds(box)
        text = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
        if not text.strip() or w < 2 or h < 2:
            return
        face = cv2.FONT_HERSHEY_SIMPLEX
        if h >= 2 * w and len(text) > 1:  # tall box: one character per row
            step = h / len(text)
            (cw, ch), cbase = cv2.getTextSize("W", face, 1.0, 1)
            scale = min(0.8 * step / float(ch + cbase), 0.8 * w / float(cw))
            for i, c in enumerate(text):
                org = (int(x0 + 0.1 * w), int(round(y0 + i * step + (step + ch * scale) / 2.0)))
                cv2.putText(img, c, org, face, scale, color, max(1, int(round(scale * 1.2))), cv2.LINE_AA)
            return
        (tw, th), base = cv2.getTextSize(text, face, 1.0, 1)
        scale = min(0.8 * h / float(th + base), w / float(tw))
        thickness = max(1, int(round(scale * 1.2)))
        org = (int(x0), int(round(y0 + (h + th * scale) / 2.0)))
        cv2.putText(img, text, org, face, scale, color, thickness, cv2.LINE_AA)


def _bounds(box: np.ndarray) -> tuple[float, float, float, float]:
    pts = np.asarray(box, np.float32).reshape(-1, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _box_colors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(40, 230, size=(n, 3))


def draw_boxes(image: np.ndarray, boxes: Sequence[np.ndarray], color=(0, 0, 255), thickness: int = 2) -> np.ndarray:
    """Outline each box (quad or polygon) on a copy of ``image``.

    Args:
        image: ``HxW[xC]`` ``uint8`` image; grey becomes BGR.
        boxes: ``[K, 2]`` point arrays in image pixels.
        color: BGR colour.
        thickness: line width.

    Returns:
        ``HxWx3`` ``uint8`` BGR image.
    """
    out = _bgr(image)
    for box in boxes:
        pts = np.round(np.asarray(box, np.float32).reshape(-1, 1, 2)).astype(np.int32)
        cv2.polylines(out, [pts], True, color, thickness, cv2.LINE_AA)
    return out


def _bgr(image: np.ndarray) -> np.ndarray:
    return F.to_bgr(image).copy()


def draw_ocr_box_txt(image: np.ndarray, boxes: Sequence[np.ndarray], txts: Sequence[str] | None = None,
                     scores: Sequence[float] | None = None, drop_score: float = 0.5, font_path: str | None = None,
                     painter: TextPainter | None = None) -> np.ndarray:
    """The image with boxes (left) beside a white panel with the boxes and their text (right).

    Args:
        image: ``HxW[xC]`` image (grey/BGRA are converted to BGR).
        boxes: ``[K, 2]`` point arrays in image pixels.
        txts: text per box, or ``None`` to draw boxes only.
        scores: score per box; boxes scoring under ``drop_score`` are not drawn.
        drop_score: see ``scores``.
        font_path: passed to :func:`find_font` (ignored when ``painter`` is given).
        painter: a :class:`TextPainter` to reuse across images.

    Returns:
        ``uint8`` BGR image of shape ``[H, 2 * W, 3]``.
    """
    img = _bgr(image)
    h, w = img.shape[:2]
    painter = painter or TextPainter(find_font(font_path))
    left, right = img.copy(), np.full_like(img, 255)
    items = []
    for i, (box, color) in enumerate(zip(boxes, _box_colors(len(boxes)))):
        if scores is not None and float(scores[i]) < drop_score:
            continue
        pts = np.round(np.asarray(box, np.float32).reshape(-1, 1, 2)).astype(np.int32)
        c = tuple(int(v) for v in color)
        cv2.fillPoly(left, [pts], c)
        cv2.polylines(right, [pts], True, c, 1, cv2.LINE_AA)
        if txts is not None:
            items.append((np.asarray(box), str(txts[i])))
    left = cv2.addWeighted(img, 0.5, left, 0.5, 0)
    right = painter.draw(right, items)
    return np.concatenate([left, right], axis=1).reshape(h, 2 * w, 3)
