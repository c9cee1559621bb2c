"""ALTO and PAGE XML pages as text lines, cut out of the page image along their polygons.

Formats (the XML namespace is ignored, so every version reads the same way):

* **ALTO** v2, v3 and v4 (eScriptorium, kraken, OCR-D, Transkribus exports): ``Page`` /
  ``TextLine`` with ``Shape/Polygon@POINTS`` (``"x y x y ..."``, commas accepted), ``BASELINE``
  (``"x y x y ..."`` or ALTO 4.2's ``"x,y x,y"``), ``HPOS/VPOS/WIDTH/HEIGHT``; the text is the
  ``String@CONTENT`` values joined by single spaces (a ``HYP`` adds its ``CONTENT``). The image is
  ``Description/sourceImageInformation/fileName``. Only ``MeasurementUnit`` ``pixel`` is read.
* **PAGE** 2009 to 2019 (Transkribus, eScriptorium, OCR-D): ``TextLine`` with ``Coords@points``
  (``"x,y x,y ..."``, or ``Point`` children in PAGE 2009), ``Baseline@points``; the text is the
  line's own ``TextEquiv/Unicode`` (the one with the lowest ``index``), else its ``Word``\\ s'
  joined by spaces. The image is ``Page@imageFilename``.

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

XML is parsed with ``lxml`` when it is installed (with entity resolution and network access
off), else with the standard library's ``xml.etree.ElementTree``; both give the same result.
"""
from __future__ import annotations

import logging
import os
import re
from typing import NamedTuple, Sequence

import cv2
import numpy as np

from ppocr.data.vgsl_line_dataset import IMAGE_EXTENSIONS, BaseLineDataSet, LineSample, PageCache, find_image
from ppocr.registry import DATASETS
from ppocr.utils.errors import SampleError

logger = logging.getLogger(__name__)

FORMATS = ("auto", "alto", "page")
_NUM = re.compile(r"-?\d+(?:\.\d+)?")

try:  # lxml when available; the standard library otherwise
    from lxml import etree as _lxml_etree
except ImportError:  # pragma: no cover - depends on the environment
    _lxml_etree = None
import xml.etree.ElementTree as _std_etree

#: which XML parser this process uses ('lxml' or 'xml.etree')
XML_PARSER = "lxml" if _lxml_etree is not None else "xml.etree"


class XMLLine(NamedTuple):
    """One text line of a page file.

    Attributes:
        line_id: the line's ``ID``/``id`` (or its number on the page).
        line_no: line number of the ``TextLine`` element in the XML file (0 when unknown).
        polygon: ``Nx2`` float array in page pixels, or ``None``.
        baseline: ``Nx2`` float array, or ``None``.
        text: the transcription.
    """

    line_id: str
    line_no: int
    polygon: np.ndarray | None
    baseline: np.ndarray | None
    text: str


class XMLPage(NamedTuple):
    """What a page file says: its format, image file name, declared size and lines."""

    format: str
    image: str
    size: tuple[int, int] | None
    lines: list[XMLLine]


class PageFileError(ValueError):
    """A page file that cannot be read as ALTO or PAGE (``reason`` is the skip-count key)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _first(el, name: str):
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def parse_points(text: str | None) -> np.ndarray | None:
    """``"x,y x,y ..."`` or ``"x y x y ..."`` as an ``Nx2`` float array (``None`` when empty or odd)."""
    if not text:
        return None
    nums = [float(v) for v in _NUM.findall(text)]
    if len(nums) < 2 or len(nums) % 2:
        return None
    return np.asarray(nums, np.float64).reshape(-1, 2)


def _parse_xml(path: str):
    if _lxml_etree is not None:
        parser = _lxml_etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        return _lxml_etree.parse(path, parser).getroot()
    return _std_etree.parse(path).getroot()


def _line_no(el) -> int:
    return int(getattr(el, "sourceline", 0) or 0)


def _alto(root) -> XMLPage:
    unit = None
    image = ""
    for el in root.iter():
        name = _local(el.tag)
        if name == "MeasurementUnit" and el.text:
            unit = el.text.strip()
        elif name == "fileName" and el.text and not image:
            image = el.text.strip()
    if unit and unit.lower() != "pixel":
        raise PageFileError("unsupported measurement unit", f"ALTO MeasurementUnit {unit!r} is not supported; only "
                            "'pixel' coordinates can be cut out of the image (re-export the ALTO in pixels)")
    size = None
    lines: list[XMLLine] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "Page" and size is None:
            try:
                size = (int(float(el.get("WIDTH"))), int(float(el.get("HEIGHT"))))
            except (TypeError, ValueError):
                size = None
        if name != "TextLine":
            continue
        poly = None
        shape = _first(el, "Shape")
        if shape is not None:
            polygon = _first(shape, "Polygon")
            if polygon is not None:
                poly = parse_points(polygon.get("POINTS"))
        if poly is None or len(poly) < 3:
            try:
                x, y, w, h = (float(el.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
                poly = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]) if w > 0 and h > 0 else None
            except (TypeError, ValueError):
                poly = None
        words = []
        for c in el:
            cname = _local(c.tag)
            if cname == "String":
                words.append(c.get("CONTENT") or "")
            elif cname == "HYP" and words:
                words[-1] += c.get("CONTENT") or ""
        text = " ".join(w for w in words if w)
        lines.append(XMLLine(el.get("ID") or f"line{len(lines) + 1}", _line_no(el), poly,
                             parse_points(el.get("BASELINE")), text))
    return XMLPage("alto", image, size, lines)


def _page_coords(el) -> np.ndarray | None:
    if el is None:
        return None
    pts = parse_points(el.get("points"))
    if pts is None:  # PAGE 2009: <Point x= y=/> children
        pts_list = [(float(p.get("x")), float(p.get("y"))) for p in _children(el, "Point")
                    if p.get("x") is not None and p.get("y") is not None]
        pts = np.asarray(pts_list, np.float64).reshape(-1, 2) if pts_list else None
    return pts


def _text_equiv(el) -> str | None:
    equivs = _children(el, "TextEquiv")
    if not equivs:
        return None

    def index(e):
        try:
            return int(e.get("index"))
        except (TypeError, ValueError):
            return 1 << 30
    best = min(equivs, key=index)
    uni = _first(best, "Unicode")
    return (uni.text or "") if uni is not None else ""


def _page(root) -> XMLPage:
    page = None
    for el in root.iter():
        if _local(el.tag) == "Page":
            page = el
            break
    if page is None:
        raise PageFileError("not ALTO or PAGE", "the PAGE file has no Page element")
    try:
        size = (int(page.get("imageWidth")), int(page.get("imageHeight")))
    except (TypeError, ValueError):
        size = None
    lines: list[XMLLine] = []
    for el in page.iter():
        if _local(el.tag) != "TextLine":
            continue
        text = _text_equiv(el)
        if text is None:
            words = [_text_equiv(w) or "" for w in _children(el, "Word")]
            text = " ".join(w for w in words if w)
        lines.append(XMLLine(el.get("id") or f"line{len(lines) + 1}", _line_no(el), _page_coords(_first(el, "Coords")),
                             _page_coords(_first(el, "Baseline")), text))
    return XMLPage("page", (page.get("imageFilename") or "").strip(), size, lines)


def parse_page_file(path: str, fmt: str = "auto") -> XMLPage:
    """Read an ALTO or PAGE file.

    Args:
        path: the XML file.
        fmt: ``'auto'`` (from the root element), ``'alto'`` or ``'page'``.

    Returns:
        The page: format, image file name as written, declared ``(width, height)``, lines.

    Raises:
        PageFileError: unreadable XML, another format, or an unsupported ALTO unit.
    """
    try:
        root = _parse_xml(path)
    except Exception as e:  # ParseError of either parser, OSError
        raise PageFileError("unreadable XML", f"cannot parse the XML: {e}") from e
    kind = _local(root.tag)
    found = "alto" if kind == "alto" else "page" if kind == "PcGts" else None
    if found is None:
        raise PageFileError("not ALTO or PAGE", f"the root element is <{kind}>, not <alto> (ALTO) or <PcGts> (PAGE)")
    if fmt != "auto" and fmt != found:
        raise PageFileError("not ALTO or PAGE", f"expected {fmt.upper()} but the file is {found.upper()}; set "
                            "format: auto")
    return _alto(root) if found == "alto" else _page(root)


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
