"""Convert ICDAR 2015 text-localisation ground truth to PaddleOCR's detection label file.

ICDAR 2015 ships one ``gt_img_<N>.txt`` per image ``img_<N>.jpg``, one word per line::

    377,117,463,117,465,130,378,130,Genaxis Theatre
    374,155,409,155,409,170,374,170,###

(four corners clockwise from top-left, then the transcription, which may contain commas;
``###`` marks do-not-care words; files are UTF-8, usually with a byte-order mark). The
output has one line per image: ``<image path><TAB><JSON list of regions>``.

Example:
    >>> from ppocr.data.det_label_convert import convert_icdar2015
    >>> stats = convert_icdar2015("ch4_training_localization_transcription_gt", "ch4_training_images",
    ...                           "train_label.txt")
"""
from __future__ import annotations

import json
import logging
import math
import os
import re

from ppocr.utils.errors import DataError

logger = logging.getLogger(__name__)

GT_NAME = re.compile(r"^gt_(?P<stem>.+)\.txt$", re.IGNORECASE)
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif")


def _number(text: str) -> int | float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(text)
    return int(v) if v.is_integer() else v


def parse_icdar2015_gt(text: str, where: str = "<gt>") -> list[dict]:
    """Parse the text of one ICDAR 2015 ground-truth file.

    Args:
        text: the file's content (a leading byte-order mark is removed).
        where: file name used in error messages.

    Returns:
        ``[{"transcription": str, "points": [[x1, y1], ..., [x4, y4]]}, ...]`` in file order;
        coordinates stay integers when they are.

    Raises:
        DataError: a line whose first eight comma-separated fields are not numbers (names
            ``file:line``).
    """
    regions = []
    for line_no, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(",", 8)
        try:
            coords = [_number(v.strip().lstrip("\ufeff")) for v in fields[:8]]
        except ValueError:
            coords = []
        if len(coords) != 8:
            shown = line if len(line) <= 80 else line[:77] + "..."
            raise DataError(f"{where}:{line_no}: expected 'x1,y1,x2,y2,x3,y3,x4,y4,transcription', got {shown!r}")
        text_field = fields[8] if len(fields) > 8 else ""
        regions.append({"transcription": text_field.rstrip("\r"),
                        "points": [[coords[i], coords[i + 1]] for i in range(0, 8, 2)]})
    return regions


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _find_image(stem: str, names: dict[str, str]) -> str | None:
    for ext in IMAGE_EXTS:
        hit = names.get((stem + ext).lower())
        if hit:
            return hit
    return None


def convert_icdar2015(gt_dir: str, image_dir: str, out: str, image_prefix: str | None = None) -> dict[str, int]:
    """Write a PaddleOCR detection label file from a folder of ICDAR 2015 ``gt_*.txt`` files.

    Args:
        gt_dir: folder of ``gt_img_<N>.txt`` files.
        image_dir: folder of the images (``img_<N>.jpg``, any common extension).
        out: label file to write (its folder is created).
        image_prefix: folder written before each image name; ``None`` uses ``image_dir``
            relative to the label file's folder, so that folder works as ``data_dir``.

    Returns:
        ``{"images": lines written, "regions": words, "ignored": ### words}``.

    Raises:
        DataError: a missing folder, no ``gt_*.txt`` files, a file that is not UTF-8, a
            malformed line, or a ground-truth file without its image.
    """
    for name, path in (("gt_dir", gt_dir), ("image_dir", image_dir)):
        if not os.path.isdir(path):
            raise DataError(f"{name} {path!r} is not a folder")
    gt_files = sorted((f for f in os.listdir(gt_dir) if GT_NAME.match(f)), key=_natural_key)
    if not gt_files:
        raise DataError(f"no ground-truth files named gt_<image>.txt in {gt_dir!r}")
    if image_prefix is None:
        image_prefix = os.path.relpath(os.path.abspath(image_dir), os.path.dirname(os.path.abspath(out)))
    image_names = {n.lower(): n for n in os.listdir(image_dir)}
    lines, missing = [], []
    stats = {"images": 0, "regions": 0, "ignored": 0}
    for gt_name in gt_files:
        stem = GT_NAME.match(gt_name).group("stem")
        image = _find_image(stem, image_names)
        if image is None:
            missing.append(f"{stem}.*")
            continue
        path = os.path.join(gt_dir, gt_name)
        with open(path, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not valid UTF-8 ({e.reason} at byte {e.start}); "
                            "ICDAR 2015 files are UTF-8") from e
        regions = parse_icdar2015_gt(text, path)
        rel = "/".join(p for p in (image_prefix.replace(os.sep, "/").rstrip("/"), image) if p and p != ".")
        lines.append(f"{rel}\t{json.dumps(regions, ensure_ascii=False)}\n")
        stats["images"] += 1
        stats["regions"] += len(regions)
        stats["ignored"] += sum(r["transcription"] == "###" for r in regions)
    if missing:
        raise DataError(f"{len(missing)} ground-truth file(s) have no image in {image_dir!r}, e.g. "
                        f"{', '.join(missing[:3])}; check --image_dir")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    logger.info("wrote %d images, %d regions (%d do-not-care) to %s", stats["images"], stats["regions"],
                stats["ignored"], out)
    return stats
