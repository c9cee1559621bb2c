"""Tesseract ``.box`` files with their page images (``.tif``, multi-page allowed) as text lines.

Box files hold one box per line, ``SYMBOL LEFT BOTTOM RIGHT TOP PAGE``, in pixels with the
origin at the *bottom-left* corner of the page (Tesseract's convention). Two kinds are read, also
mixed in one file:

* **WordStr** (``tesseract IMG OUT wordstrbox``, tesstrain's ``generate_wordstr_box.py``): one
  box per text line, ``WordStr LEFT BOTTOM RIGHT TOP PAGE #the text of the line``, followed by
  an end-of-line box whose symbol is a TAB (ignored).
* **Per-character** (``lstmbox``, ``text2image``): one box per character, a space as the symbol
  ``' '``, and a box with the symbol TAB after each text line. A line's box is the union of its
  character boxes. Files without TAB boxes (older, legacy-engine boxes) are split into lines
  where a character starts left of the previous one and below the current line's box. A
  change of ``PAGE`` always ends a line. Files with five fields (no ``PAGE``) are page 0.

A line is cut as the rectangle of its box (widened by ``pad`` pixels, clipped to the page).
Several lines per page and several pages per ``.tif`` are fine; the page image is decoded once
per page (:class:`~ppocr.data.vgsl_line_dataset.PageCache`).

Example config::

    Train:
      dataset:
        name: BoxLineDataSet
        data: [data/eng/*.box]
        skip_bad_samples: true
        transforms: [...]
"""
from __future__ import annotations

import logging
import os
import re
from typing import NamedTuple, Sequence

import numpy as np

from ppocr.data.vgsl_line_dataset import BaseLineDataSet, LineSample, PageCache, find_image
from ppocr.registry import DATASETS
from ppocr.utils.errors import SampleError

logger = logging.getLogger(__name__)

_BOX6 = re.compile(r"^(?P<sym>.+?) (?P<l>-?\d+) (?P<b>-?\d+) (?P<r>-?\d+) (?P<t>-?\d+) (?P<p>\d+)$")
_BOX5 = re.compile(r"^(?P<sym>.+?) (?P<l>-?\d+) (?P<b>-?\d+) (?P<r>-?\d+) (?P<t>-?\d+)$")
_WORDSTR = re.compile(r"^WordStr (?P<l>-?\d+) (?P<b>-?\d+) (?P<r>-?\d+) (?P<t>-?\d+) (?P<p>\d+) #(?P<text>.*)$")


class BoxLine(NamedTuple):
    """One text line of a box file.

    Attributes:
        line_no: line number (1-based) of its first box in the file.
        page: page index in the image file.
        box: ``(left, bottom, right, top)`` in Tesseract's bottom-left coordinates.
        text: the transcription.
    """

    line_no: int
    page: int
    box: tuple[int, int, int, int]
    text: str


class BoxFileError(ValueError):
    """A box-file line that is not ``SYMBOL LEFT BOTTOM RIGHT TOP [PAGE]`` or ``WordStr ... #text``."""

    def __init__(self, line_no: int, message: str):
        super().__init__(message)
        self.line_no = line_no


def _parse_box_line(line: str):
    """``(symbol, (l, b, r, t), page)`` of one box line; the symbol keeps a space or TAB."""
    m = _BOX6.match(line) or _BOX5.match(line)
    if m is None:
        return None
    # the regex's lazy symbol stops at the first split that leaves the numeric fields; a symbol
    # that is a space (or TAB) is the one character before the separator
    sym = m.group("sym")
    if sym.strip() == "" and len(sym) > 1:
        sym = sym[0]
    box = tuple(int(m.group(k)) for k in "lbrt")
    page = int(m.group("p")) if "p" in m.groupdict() and m.group("p") is not None else 0
    return sym, box, page


def parse_box_file(text: str) -> list[BoxLine]:
    """The text lines of a box file's content.

    Args:
        text: the file's content.

    Returns:
        The lines, in file order (lines with only spaces are dropped).

    Raises:
        BoxFileError: a malformed line (``line_no`` names it).
    """
    rows = text.split("\n")
    has_tabs = any(r.startswith("\t") for r in rows)
    lines: list[BoxLine] = []
    chars: list[tuple[str, tuple[int, int, int, int]]] = []
    start = page_of = 0

    def flush():
        nonlocal chars
        visible = [(s, b) for s, b in chars if s.strip()]
        if visible:
            box = (min(b[0] for _, b in chars), min(b[1] for _, b in chars),
                   max(b[2] for _, b in chars), max(b[3] for _, b in chars))
            lines.append(BoxLine(start, page_of, box, "".join(s for s, _ in chars).strip()))
        chars = []

    for no, raw in enumerate(rows, 1):
        row = raw.rstrip("\r")
        if not row.strip(" "):
            continue
        w = _WORDSTR.match(row)
        if w is not None:
            flush()
            box = tuple(int(w.group(k)) for k in "lbrt")
            lines.append(BoxLine(no, int(w.group("p")), box, w.group("text")))
            continue
        parsed = _parse_box_line(row)
        if parsed is None:
            raise BoxFileError(no, f"expected 'SYMBOL LEFT BOTTOM RIGHT TOP PAGE' or 'WordStr LEFT BOTTOM RIGHT TOP "
                                   f"PAGE #text', got {row[:60]!r}")
        sym, box, page = parsed
        if sym == "\t":  # end of a text line
            flush()
            continue
        if chars and page != page_of:
            flush()
        elif chars and not has_tabs:
            prev = chars[-1][1]
            line_bottom = min(b[1] for _, b in chars)
            if box[0] < prev[0] and box[3] < line_bottom:  # next text line of a legacy box file
                flush()
        if not chars:
            start, page_of = no, page
        chars.append((sym, box))
    flush()
    return lines


@DATASETS.register()
class BoxLineDataSet(BaseLineDataSet):
    """Text lines from Tesseract box files (``NAME.box``) and their images (``NAME.tif`` or ``.png``, ...).

    See the module docstring for the box formats. Each box file is one source for
    ``order: round_robin`` and one ground-truth file for ``partition``.

    Lines skipped while listing (with ``skip_bad_samples``; else ``DataError``): ``box without
    image``, ``malformed box file`` (the whole file), ``empty transcription``. When loading:
    a box outside the page or a page missing from the image (counted by the loader).

    Args:
        data: ``.box`` files, folders, glob patterns or list files.
        pad: pixels added on every side of a line box (clipped to the page).
        page_cache: decoded pages kept per process.
        transforms, global_cfg, mode, seed, skip_bad_samples, partition, order: see
            :class:`~ppocr.data.vgsl_line_dataset.BaseLineDataSet`.
    """

    def __init__(self, data: str | Sequence[str], transforms: list | None, global_cfg: dict | None = None,
                 mode: str = "Train", seed: int | None = None, skip_bad_samples: bool = False,
                 partition: float | None = None, order: str = "round_robin", pad: int = 0, page_cache: int = 4):
        for arg, val in (("pad", pad), ("page_cache", page_cache)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 0:
                raise ValueError(f"{arg} must be an integer >= 0, got {val!r}")
        self.pad = pad
        self.pages = PageCache(page_cache)
        super().__init__(data, transforms, global_cfg, mode, seed, skip_bad_samples, partition, order)

    def _accept(self, name: str) -> bool:
        return name.lower().endswith(".box")

    def _scan(self, listed: list[tuple[str, list[str]]]) -> list[list[LineSample]]:
        sources = []
        for path in self._unique_files(listed):
            image = find_image(path[:-len(".box")])
            if image is None:
                self._scan_skip(f"{path}:1", "box without image", "no page image next to it (looked for "
                                f"{os.path.basename(path[:-4])}.png/.tif/...)", "add the image or remove the .box")
                continue
            try:
                with open(path, encoding="utf-8-sig") as f:
                    lines = parse_box_file(f.read())
            except UnicodeDecodeError as e:
                self._scan_skip(f"{path}:1", "malformed box file", f"not valid UTF-8 ({e.reason})", "save it as UTF-8")
                continue
            except BoxFileError as e:
                self._scan_skip(f"{path}:{e.line_no}", "malformed box file", str(e), "fix the line")
                continue
            out = []
            name = os.path.basename(path)
            for line in lines:
                loc = f"{path}:{line.line_no}"
                if not line.text.strip():
                    self._scan_skip(loc, "empty transcription", "the line's text is empty",
                                    "write its text or remove its boxes")
                    continue
                out.append(LineSample(len(sources), name, loc, line.text, (image, line.page, line.box)))
            sources.append(out)
        return sources

    def _load(self, sample: LineSample) -> np.ndarray:
        image, page, (left, bottom, right, top) = sample.ref
        img = self.pages.get(image, page)
        h, w = img.shape[:2]
        x0, x1 = max(0, left - self.pad), min(w, right + self.pad)
        y0, y1 = max(0, h - top - self.pad), min(h, h - bottom + self.pad)
        if x1 - x0 < 1 or y1 - y0 < 1:
            raise SampleError(f"the line box (left {left}, bottom {bottom}, right {right}, top {top}; origin at the "
                              f"bottom-left) lies outside page {page} of {image} ({w}x{h} pixels)")
        return np.ascontiguousarray(img[y0:y1, x0:x1])

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", pad={self.pad})"
