"""ALTO and PAGE XML page files: the text lines, their polygons, baselines and transcriptions.

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

XML is parsed with ``lxml`` when it is installed (with entity resolution and network access
off), else with the standard library's ``xml.etree.ElementTree``; both give the same result.

The line dataset that cuts these lines out of their page images is ``ppocr/data/vgsl_xml_dataset.py``.

Example:
    >>> page = parse_page_file("page_0001.xml")
    >>> page.format, page.image, len(page.lines)
    ('alto', 'page_0001.tif', 31)
"""
from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

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
