"""ALTO and PAGE XML pages as text lines, cut out of the page image along their polygons.

Formats: ALTO v2-v4 and PAGE 2009-2019, parsed by :mod:`ppocr.vgsl.page_xml`.

The image path is taken relative to the XML file's folder, else to its parent or grandparent
folder (OCR-D workspaces write paths relative to the workspace root); when it is not found, the
file of that base name beside the XML file, then the XML's own name with an image extension, are
tried.

When the XML's page size (ALTO ``Page@WIDTH/HEIGHT``, PAGE ``imageWidth/imageHeight``) differs
from the image's (after its EXIF orientation), coordinates are scaled if the image is a uniformly
scaled copy, else the page's lines fail to load (counted skips: a rotated or different scan).

Cutting a line (:func:`cut_line`): the polygon is clipped to the page, the crop is its bounding
box, and every pixel outside the polygon becomes white (255; the page is grey or BGR as
decoded). Lines without a polygon use their ``HPOS/VPOS/WIDTH/HEIGHT`` rectangle (ALTO), else a
band around the baseline (:func:`baseline_polygon`): from ``baseline_band[0]`` pixels above to
``baseline_band[1]`` below each baseline point (default 32 and 12, for text about 40 pixels
high, e.g. 11-12 pt at 300 dpi; set it to your scans' ascender and descender heights). Curved
lines are cut, not straightened.

Bad input, with ``skip_bad_samples`` counted under these reasons (else a ``DataError``):
``page image missing`` (all lines of the page), ``unreadable XML``, ``not ALTO or PAGE``,
``unsupported measurement unit``, ``no line geometry``, ``empty transcription``; when loading,
a polygon outside the page or a page size that does not fit the image (counted by the loader).
"""
from __future__ import annotations

import logging
import os
from typing import Sequence

import cv2
import numpy as np

from ppocr.data.vgsl_line_dataset import IMAGE_EXTENSIONS, BaseLineDataSet, LineSample, PageCache, find_image
from ppocr.registry import DATASETS
from ppocr.vgsl.page_xml import FORMATS, PageFileError, parse_page_file
from ppocr.utils.errors import SampleError

logger = logging.getLogger(__name__)

def baseline_polygon(baseline: np.ndarray, ascent: float, descent: float) -> np.ndarray:
    """A band around a baseline: each point moved ``ascent`` pixels up, and back ``descent`` down.

    Args:
        baseline: ``Nx2`` points, left to right.
        ascent: pixels above the baseline (ascenders, capitals).
        descent: pixels below it (descenders).

    Returns:
        The ``2N x 2`` polygon (top edge left to right, bottom edge right to left).
    """
    top = baseline - [0.0, ascent]
    bottom = baseline[::-1] + [0.0, descent]
    return np.concatenate([top, bottom], axis=0)


def cut_line(page: np.ndarray, polygon: np.ndarray, fill: int = 255) -> np.ndarray:
    """Cut the pixels inside ``polygon`` out of ``page``: crop to its bounding box, ``fill`` outside it.

    Args:
        page: ``HxW`` or ``HxWxC`` ``uint8`` page image.
        polygon: ``Nx2`` (x, y) points in page pixels (``N >= 3``); parts outside the page are clipped.
        fill: value of the pixels outside the polygon (white background).

    Returns:
        The crop, ``uint8``, same channel layout as ``page``. Pixel ``(x, y)`` of the page is kept
        when its centre ``(x + 0.5, y + 0.5)`` is inside the polygon (OpenCV's ``fillPoly``
        rasterisation on the points, which counts the polygon's own outline as inside).

    Raises:
        SampleError: fewer than 3 points, or the polygon lies outside the page.
    """
    poly = np.asarray(polygon, np.float64)
    if poly.ndim != 2 or poly.shape[0] < 3 or poly.shape[1] != 2:
        raise SampleError(f"a line polygon needs at least 3 (x, y) points, got {poly.tolist()}")
    h, w = page.shape[:2]
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    x0, y0 = max(0, int(np.floor(lo[0]))), max(0, int(np.floor(lo[1])))
    x1, y1 = min(w, int(np.floor(hi[0])) + 1), min(h, int(np.floor(hi[1])) + 1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise SampleError(f"the line polygon (x {lo[0]:g}..{hi[0]:g}, y {lo[1]:g}..{hi[1]:g}) lies outside the "
                          f"page image ({w}x{h} pixels); check that the XML belongs to this image")
    crop = page[y0:y1, x0:x1].copy()
    mask = np.zeros(crop.shape[:2], np.uint8)
    pts = np.round(poly - [x0, y0]).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255)
    crop[mask == 0] = fill
    return crop


@DATASETS.register()
class XMLLineDataSet(BaseLineDataSet):
    """Text lines of ALTO or PAGE XML pages, cut out of the page images along their polygons.

    See the module docstring for the formats, the cutting and the bad-input reasons. Each page
    file is one source for ``order: round_robin`` and one ground-truth file for ``partition``.

    Args:
        data: ``.xml`` files, folders, glob patterns or list files.
        format: ``'auto'`` (default: ALTO or PAGE by the root element), ``'alto'`` or ``'page'``.
        baseline_band: ``[ascent, descent]`` in pixels of the band cut around baseline-only lines.
        page_cache: decoded page images kept per process.
        transforms, global_cfg, mode, seed, skip_bad_samples, partition, order: see
            :class:`~ppocr.data.vgsl_line_dataset.BaseLineDataSet`.

    Example:
        >>> ds = XMLLineDataSet(["pages/*.xml"], transforms=None, skip_bad_samples=True)
        >>> ds.skip_counts      # e.g. Counter({'empty transcription': 3})
    """

    def __init__(self, data: str | Sequence[str], transforms: list | None, global_cfg: dict | None = None,
                 mode: str = "Train", seed: int | None = None, skip_bad_samples: bool = False,
                 partition: float | None = None, order: str = "round_robin", format: str = "auto",
                 baseline_band: Sequence[float] = (32, 12), page_cache: int = 8):
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        if (not isinstance(baseline_band, (list, tuple)) or len(baseline_band) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in baseline_band)
                or sum(baseline_band) <= 0):
            raise ValueError(f"baseline_band must be [ascent, descent], two pixel counts >= 0 (not both 0), "
                             f"got {baseline_band!r}")
        if isinstance(page_cache, bool) or not isinstance(page_cache, int) or page_cache < 0:
            raise ValueError(f"page_cache must be an integer >= 0, got {page_cache!r}")
        self.format = format
        self.baseline_band = (float(baseline_band[0]), float(baseline_band[1]))
        self.pages = PageCache(page_cache)
        super().__init__(data, transforms, global_cfg, mode, seed, skip_bad_samples, partition, order)

    def _accept(self, name: str) -> bool:
        return name.lower().endswith(".xml")

    @staticmethod
    def _image_path(xml_path: str, name: str) -> str | None:
        folder = os.path.dirname(os.path.abspath(xml_path))
        cands = []
        if name:
            if os.path.isabs(name):
                cands.append(name)
            else:  # beside the XML, or relative to a parent folder (OCR-D workspaces: the workspace root)
                cands += [os.path.join(folder, name), os.path.join(os.path.dirname(folder), name),
                          os.path.join(os.path.dirname(os.path.dirname(folder)), name)]
            cands.append(os.path.join(folder, os.path.basename(name.replace("\\", "/"))))
        for cand in cands:
            if os.path.isfile(cand):
                return cand
        return find_image(os.path.splitext(os.path.abspath(xml_path))[0])

    def _scan(self, listed: list[tuple[str, list[str]]]) -> list[list[LineSample]]:
        sources = []
        for path in self._unique_files(listed):
            try:
                page = parse_page_file(path, self.format)
            except PageFileError as e:
                self._scan_skip(f"{path}:1", e.reason, str(e), "fix or remove the file")
                continue
            image = self._image_path(path, page.image)
            if image is None:
                stem = os.path.splitext(os.path.basename(path))[0]
                said = f"its image {page.image!r} is not there" if page.image else \
                    "it names no image (ALTO fileName / PAGE imageFilename)"
                self._scan_skip(f"{path}:1", "page image missing",
                                f"{said} (nor {stem}{IMAGE_EXTENSIONS[0]}, {stem}{IMAGE_EXTENSIONS[1]}, ... beside "
                                f"it); its {len(page.lines)} lines cannot be cut",
                                "put the image beside the XML file or fix its file name in the XML")
                self.skip_counts["page image missing"] += max(0, len(page.lines) - 1)
                continue
            name = os.path.basename(path)
            out = []
            for line in page.lines:
                loc = f"{path}:{line.line_no or 1} (line {line.line_id})"
                if not line.text.strip():
                    self._scan_skip(loc, "empty transcription", "the line has no text", "transcribe it or delete it")
                    continue
                poly = line.polygon
                if poly is None or len(poly) < 3:
                    if line.baseline is None or len(line.baseline) < 2:
                        self._scan_skip(loc, "no line geometry", "the line has neither a polygon (of 3 or more "
                                        "points), a box nor a baseline", "add its coordinates or delete it")
                        continue
                    poly = baseline_polygon(line.baseline, *self.baseline_band)
                out.append(LineSample(len(sources), name, loc, line.text, (image, poly, page.size)))
            sources.append(out)
        return sources

    def _load(self, sample: LineSample) -> np.ndarray:
        image, poly, size = sample.ref
        page = self.pages.get(image)
        h, w = page.shape[:2]
        if size is not None and size != (w, h):
            sx, sy = w / size[0], h / size[1]
            if abs(sx / sy - 1.0) > 0.01:
                raise SampleError(f"the XML gives the page as {size[0]}x{size[1]} pixels but {image} is {w}x{h} "
                                  f"(after its EXIF orientation); its coordinates do not fit this image (a rotated "
                                  "or different scan), so the page's lines are skipped")
            poly = poly * [sx, sy]  # a uniformly scaled copy of the image the XML was made for
        return cut_line(page, poly)

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", format={self.format!r}, baseline_band={list(self.baseline_band)})"
