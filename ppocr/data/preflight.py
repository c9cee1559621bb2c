"""The data check every dataset runs before the first step.

A missing image or an unreadable label at line 80,000 should stop a run before it starts, not hours in.
Each sample is checked without decoding it: the image exists, is not empty, starts with the header of a
format OpenCV reads, and (PNG, JPEG) ends with the format's end marker, so a truncated download is
caught; the label passes every transform's ``check_label`` (the dictionary). File checks run in a thread
pool (they wait on the disk, not the CPU), with a progress bar on a terminal.

The outcome is one summary of every problem by kind, with a count and the first few ``file:line``, then
a :class:`DataError`; or, when the dataset has ``skip_bad_samples: True``, a warning and the indices of the
bad samples, which the dataset leaves out (and counts). ``Global.preflight: false`` turns it off.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import logging
import os
from typing import Callable, Iterable, NamedTuple, Sequence

from tqdm import tqdm

from ppocr.utils.errors import DataError

logger = logging.getLogger(__name__)

SHOWN_PER_KIND = 3
HEAD, TAIL = 16, 1024
# (magic at offset 0, offset of a second magic or None, that magic, end marker or None, format name)
_FORMATS = (
    (b"\x89PNG\r\n\x1a\n", None, None, b"IEND", "PNG"),
    (b"\xff\xd8\xff", None, None, b"\xff\xd9", "JPEG"),
    (b"BM", None, None, None, "BMP"),
    (b"II*\x00", None, None, None, "TIFF"),
    (b"MM\x00*", None, None, None, "TIFF"),
    (b"GIF87a", None, None, None, "GIF"),
    (b"GIF89a", None, None, None, "GIF"),
    (b"RIFF", 8, b"WEBP", None, "WebP"),
    (b"\x00\x00\x00\x0cjP  ", None, None, None, "JPEG 2000"),
    (b"\xff\x4f\xff\x51", None, None, None, "JPEG 2000"),
    (b"\x59\xa6\x6a\x95", None, None, None, "Sun raster"),
    (b"\x76\x2f\x31\x01", None, None, None, "OpenEXR"),
    (b"#?RADIANCE", None, None, None, "Radiance HDR"),
    (b"#?RGBE", None, None, None, "Radiance HDR"),
    (b"", 4, b"ftyp", None, "HEIF/AVIF"),
) + tuple((b"P" + bytes([c]), None, None, None, "PNM") for c in b"1234567fF")
KNOWN = "PNG, JPEG, BMP, TIFF, GIF, WebP, PNM, JPEG 2000"


class Item(NamedTuple):
    """One sample to check.

    Attributes:
        location: ``file:line`` (or ``lmdb_dir#index``) shown in messages.
        image: the image file's path, its bytes (LMDB), or None when there is no image file to check.
        label: the transcription, or None when it has none to check.
        problem: ``(kind, detail)`` the dataset already found while listing (a missing LMDB key), or None.
    """

    location: str
    image: str | bytes | None
    label: str | None
    problem: tuple[str, str] | None = None


def image_problem(head: bytes, tail: bytes, size: int) -> tuple[str, str] | None:
    """``(kind, detail)`` of what is wrong with an image of ``size`` bytes, from its first and last bytes."""
    if size == 0:
        return "empty image file", "0 bytes"
    for magic, off, magic2, end, fmt in _FORMATS:
        if head.startswith(magic) and (off is None or head[off:off + len(magic2)] == magic2):
            if end is not None and end not in tail:
                return "truncated image", f"{fmt} without its end marker ({size} bytes)"
            return None
    return "not an image", f"unrecognised header {head[:8]!r}; readable formats: {KNOWN}"


def _file_problem(path: str) -> tuple[str, str] | None:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(HEAD)
            if size > HEAD:
                f.seek(max(HEAD, size - TAIL))
            tail = f.read()
    except FileNotFoundError:
        return "image not found", path
    except OSError as e:
        return "image not readable", f"{path}: {e.strerror or e}"
    return image_problem(head, tail, size)


def _problem(item: Item, files: dict[str, tuple[str, str] | None],
             checks: Sequence[Callable[[str], str | None]]) -> tuple[str, str] | None:
    if item.problem:
        return item.problem
    if isinstance(item.image, str):
        found = files[item.image]
        if found:
            return found
    elif isinstance(item.image, (bytes, bytearray, memoryview)):
        data = bytes(item.image)
        found = image_problem(data[:HEAD], data[-TAIL:], len(data))
        if found:
            return found
    if item.label is not None:
        for check in checks:
            reason = check(item.label)
            if reason:
                return "label rejected", reason
    return None


def summarize(problems: dict[str, list[tuple[str, str]]]) -> str:
    """``"2 image not found (a.txt:3: x.png; a.txt:9: y.png); 1 label rejected (...)"``."""
    parts = []
    for kind, found in sorted(problems.items(), key=lambda kv: -len(kv[1])):
        shown = "; ".join(f"{loc}: {detail}" for loc, detail in found[:SHOWN_PER_KIND])
        more = f"; and {len(found) - SHOWN_PER_KIND} more" if len(found) > SHOWN_PER_KIND else ""
        parts.append(f"{len(found)} {kind} ({shown}{more})")
    return "; ".join(parts)


def run_preflight(items: Iterable[Item], checks: Sequence[Callable[[str], str | None]], *, mode: str, unit: str,
                  skip: bool, total: int | None = None, workers: int = 8) -> set[int]:
    """Check every item; return the indices of the bad ones (only when ``skip``), else raise on any.

    Args:
        items: the samples, in dataset order: a list (image files are then checked in threads) or an iterator
            (checked one at a time, e.g. LMDB records, so that they are not all held in memory).
        checks: label checks (a transform's ``check_label``): a reason string, or None when the label is fine.
        mode: ``'Train'`` / ``'Eval'``, for messages.
        unit: what a sample is called (``'line'``, ``'sample'``).
        skip: the dataset's ``skip_bad_samples``.
        total: the number of items of an iterator, for the progress bar.
        workers: threads for the file checks.

    Raises:
        DataError: a summary of every problem found, when ``skip`` is False.
    """
    problems: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    bad: set[int] = set()
    if isinstance(items, list):   # image files: check each file once (pages hold many lines), in threads
        paths = list(dict.fromkeys(it.image for it in items if isinstance(it.image, str)))
        with cf.ThreadPoolExecutor(max_workers=workers) as pool:
            files = dict(zip(paths, pool.map(_file_problem, paths)))
        total = len(items)
    else:                         # a stream (LMDB: the image bytes are read one at a time)
        files = {}
    bar = tqdm(total=total, desc=f"{mode} data check", unit=unit, disable=None, leave=False, mininterval=0.5)
    with bar:
        for idx, item in enumerate(items):
            bar.update(1)
            found = _problem(item, files, checks)
            if found:
                kind, detail = found
                problems[kind].append((item.location, detail))
                bad.add(idx)
    if not bad:
        return bad
    summary = summarize(problems)
    if not skip:
        raise DataError(f"{mode} dataset: {len(bad)} bad {unit}(s) found before training: {summary}. Fix or remove "
                        f"them, or set {mode}.dataset.skip_bad_samples: True to train without them (they are "
                        "counted in the log); Global.preflight: false turns this check off")
    logger.warning("%s dataset: %d bad %s(s) found before training are left out: %s", mode, len(bad), unit, summary)
    return bad
