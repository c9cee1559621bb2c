"""Text-detection label parsing: a label string -> polygons, transcriptions and do-not-care tags."""
from __future__ import annotations

import json
import logging
import math

import numpy as np

from ppocr.data.imaug import det_functional as DF
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError

logger = logging.getLogger(__name__)

#: Transcriptions that mark a region as "do not care" (ICDAR ``###``, and ``*``).
IGNORE_TEXTS = ("###", "*")

JSON_FORMAT = '[{"transcription": "text", "points": [[x1, y1], [x2, y2], [x3, y3], ...]}, ...]'
LEGACY_FORMAT = "x1,y1,x2,y2,x3,y3,x4,y4,text<TAB>x1,y1,...,text"

#: Degenerate polygons logged individually per transform instance; later ones are only counted.
MAX_LOGGED_DEGENERATE = 5


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def parse_json_label(label: str) -> tuple[list[np.ndarray], list[str]]:
    """Parse a PaddleOCR JSON detection label.

    Args:
        label: ``[{"transcription": "...", "points": [[x, y], ...]}, ...]``.

    Returns:
        ``(points, texts)``: one ``(k, 2)`` float32 array and one string per region.

    Raises:
        SampleError: invalid JSON or a region without a string ``transcription`` and a list of
            at least one finite ``[x, y]`` pair under ``points``.
    """
    try:
        items = json.loads(label)
    except json.JSONDecodeError as e:
        raise SampleError(f"the detection label is not valid JSON ({e.msg} at character {e.pos}: "
                          f"{_short(label[max(0, e.pos - 20):e.pos + 20])!r}); expected {JSON_FORMAT}") from e
    if not isinstance(items, list):
        raise SampleError(f"the detection label must be a JSON list of regions, got {type(items).__name__}; "
                          f"expected {JSON_FORMAT}")
    polys, texts = [], []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SampleError(f"region {i} of the detection label is a {type(item).__name__}, not an object; "
                              f"expected {JSON_FORMAT}")
        missing = [k for k in ("transcription", "points") if k not in item]
        if missing:
            raise SampleError(f"region {i} of the detection label has no {' or '.join(map(repr, missing))} "
                              f"(keys: {', '.join(map(repr, item)) or 'none'}); expected {JSON_FORMAT}")
        text, pts = item["transcription"], item["points"]
        if not isinstance(text, str):
            raise SampleError(f"region {i}: 'transcription' must be a string, got {text!r}; "
                              "quote it in the label file")
        if not isinstance(pts, list) or not pts or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 and all(_number(v) for v in p) for p in pts):
            raise SampleError(f"region {i}: 'points' must be a non-empty list of [x, y] number pairs, got "
                              f"{_short(json.dumps(pts))}; expected {JSON_FORMAT}")
        polys.append(np.asarray(pts, np.float32))
        texts.append(text)
    return polys, texts


def parse_legacy_label(label: str) -> tuple[list[np.ndarray], list[str]]:
    """Parse the legacy ``x1,y1,...,x4,y4,text`` detection label, regions separated by TABs.

    The first eight comma-separated fields are the corner coordinates; the rest of the region
    (commas included) is the transcription, which may be empty.

    Raises:
        SampleError: a region whose first eight fields are not numbers.
    """
    polys, texts = [], []
    for i, part in enumerate(p for p in label.split("\t") if p.strip()):
        fields = part.split(",", 8)
        try:
            coords = [float(v) for v in fields[:8]]
        except ValueError:
            coords = []
        if len(coords) != 8 or not all(math.isfinite(v) for v in coords):
            raise SampleError(f"cannot read detection region {i} {_short(part)!r}: expected PaddleOCR JSON "
                              f"{JSON_FORMAT} or the legacy format {LEGACY_FORMAT} (eight numbers, then the text)")
        polys.append(np.asarray(coords, np.float32).reshape(4, 2))
        texts.append(fields[8].strip("\r\n") if len(fields) > 8 else "")
    return polys, texts


@TRANSFORMS.register()
class DetLabelEncode:
    """Parse a text-detection label into polygons, transcriptions and do-not-care tags.

    Two label formats are read (the label is everything after the first TAB of the line):

    * PaddleOCR JSON: ``[{"transcription": "...", "points": [[x, y], ...]}, ...]``, any number
      of points per region;
    * legacy: ``x1,y1,x2,y2,x3,y3,x4,y4,text`` regions separated by TABs (the text may contain
      commas: the first eight fields are the coordinates).

    Regions with fewer points than the longest one are padded by repeating their last point
    (as PaddleOCR does) so all stack into one array. Transcriptions ``###`` and ``*`` mark
    do-not-care regions. An empty label or ``[]`` is a valid image without text.

    When ``image`` is already decoded (DecodeImage runs first, as in PaddleOCR configs) the
    points are clipped to the image, ``[0, w] x [0, h]``; before decoding they are kept as
    they are and the map transforms clip them later.

    Degenerate regions (fewer than 3 distinct points, zero area, self-intersecting; checked
    after clipping, so a region entirely outside the image is one; regions already marked
    do-not-care are not checked) are handled by
    ``degenerate``: ``'ignore'`` marks them do-not-care and logs a warning (the first
    ``MAX_LOGGED_DEGENERATE`` per worker, all are counted in ``num_degenerate``);
    ``'error'`` raises a ``SampleError`` (the dataset reports ``file:line`` or skips the sample).

    Required keys: ``label`` (str), ``image`` (optional, for clipping), ``img_path`` (optional,
    for warnings).
    Modified keys: none.
    Added keys: ``polys`` (``[N, K, 2]`` float32, ``[0, 4, 2]`` without text), ``texts``
    (list of ``N`` str), ``ignore_tags`` (``[N]`` bool).

    Args:
        degenerate: ``'ignore'`` (default) or ``'error'``.
        clip_to_image: clip points to a decoded image.

    Raises:
        SampleError: malformed label (says what is wrong and the expected format), or a
            degenerate region with ``degenerate: error``.
    """

    DEGENERATE_MODES = ("ignore", "error")

    def __init__(self, degenerate: str = "ignore", clip_to_image: bool = True):
        if degenerate not in self.DEGENERATE_MODES:
            raise ValueError(f"degenerate must be one of {', '.join(map(repr, self.DEGENERATE_MODES))}, "
                             f"got {degenerate!r}")
        if not isinstance(clip_to_image, bool):
            raise TypeError(f"clip_to_image must be true or false, got {clip_to_image!r}")
        self.degenerate = degenerate
        self.clip_to_image = clip_to_image
        self.num_degenerate = 0

    @staticmethod
    def parse(label: str) -> tuple[list[np.ndarray], list[str]]:
        """Parse either format into ``(points, texts)``; see the class docstring."""
        if not isinstance(label, str):
            raise SampleError(f"expected the detection label as text, got {type(label).__name__}")
        stripped = label.strip()
        if not stripped:
            return [], []
        if stripped[0] in "[{":
            return parse_json_label(stripped)
        return parse_legacy_label(label)

    def _degenerate(self, data: dict, i: int, text: str, reason: str) -> None:
        where = data.get("img_path", "<sample>")
        if self.degenerate == "error":
            raise SampleError(f"text region {i} ({text!r}) is degenerate: {reason}; fix its points, or set "
                              "DetLabelEncode.degenerate: ignore to treat such regions as do-not-care")
        self.num_degenerate += 1
        if self.num_degenerate <= MAX_LOGGED_DEGENERATE:
            more = " (further ones are only counted)" if self.num_degenerate == MAX_LOGGED_DEGENERATE else ""
            logger.warning("%s: text region %d (%r) is degenerate (%s); marked do-not-care%s", where, i, text,
                           reason, more)

    def __call__(self, data: dict) -> dict:
        points, texts = self.parse(data["label"])
        polys = DF.pad_polygons(points)
        img = data.get("image")
        if self.clip_to_image and isinstance(img, np.ndarray) and img.ndim >= 2 and len(polys):
            h, w = img.shape[:2]
            polys = DF.clip_polys(polys, w, h)
        ignore = np.array([t in IGNORE_TEXTS for t in texts], dtype=bool)
        for i, reason in enumerate(DF.polygon_problems(polys)):
            if reason is not None and not ignore[i]:
                self._degenerate(data, i, texts[i], reason)
                ignore[i] = True
        data["polys"] = polys
        data["texts"] = texts
        data["ignore_tags"] = ignore
        return data

    def __repr__(self) -> str:
        return f"DetLabelEncode(degenerate={self.degenerate!r}, clip_to_image={self.clip_to_image})"
