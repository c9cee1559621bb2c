"""A compiled line dataset: every line already cut, grey-scaled and scaled to the model height, in one file.

``tools/compile_lines.py`` (:func:`compile_lines`) writes it from any line dataset, as kraken's
``ketos compile`` does; :class:`CompiledLineDataSet` reads it. Loading a line is a slice of a
memory-mapped file: no XML, no page decoding, no resizing, so training on pages is as fast as
on line images.

File layout (``.lines``; little-endian)::

    b"PPOCRLN1"                         8-byte magic
    pixels                              every line's uint8 pixels, row-major, one after another
    index                               UTF-8 JSON: {"format": "ppocr-lines/1", "height", "channels",
                                        "sources": [...], "lines": [[offset, h, w, text, group,
                                        source, location], ...]}
    uint64 index offset, uint64 index length, b"PPOCRLN1"

``height`` 0 means the lines kept their own heights. ``group`` is the line's ground-truth file
name, so ``partition`` splits a compiled file exactly as it splits its sources (same seed).
"""
from __future__ import annotations

import collections
import json
import logging
import os
import struct
from typing import Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.data.vgsl_line_dataset import BaseLineDataSet, LineSample
from ppocr.registry import DATASETS
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)

MAGIC = b"PPOCRLN1"
FORMAT = "ppocr-lines/1"
SUFFIX = ".lines"
_TRAILER = struct.Struct("<QQ8s")


def scale_line(img: np.ndarray, height: int, channels: int) -> np.ndarray:
    """``img`` as ``channels`` (1: grey ``HxW``, 3: BGR ``HxWx3``) scaled to ``height`` (aspect kept;
    0 keeps the height), ``uint8``."""
    img = F.to_channels(F.normalize_image(img), channels)
    if channels == 1:
        img = img[:, :, 0]
    h, w = img.shape[:2]
    if height and h != height:
        new_w = max(1, int(round(w * height / h)))
        interp = cv2.INTER_AREA if height < h else cv2.INTER_LINEAR
        img = cv2.resize(img, (new_w, height), interpolation=interp)
    return np.ascontiguousarray(img)


def compile_lines(dataset: BaseLineDataSet, out_path: str, height: int = 0, channels: int = 1) -> dict:
    """Write every line of ``dataset`` (without its transforms) to one compiled file.

    Args:
        dataset: a line dataset, normally built without ``partition`` so the file holds all lines.
        out_path: the ``.lines`` file to write (replaced atomically).
        height: scale lines to this height (the spec's input height); 0 keeps them as they are.
        channels: 1 (grey) or 3 (BGR), the spec's input depth.

    Returns:
        ``{'lines': written, 'skipped': n, 'reasons': {reason: n}, 'bytes': file size}``. The
        dataset's listing skips (``skip_counts``) are included; lines whose image cannot be
        loaded or cut are skipped when the dataset skips bad samples, else raise.

    Raises:
        ValueError: bad ``height`` or ``channels``.
        DataError: a line fails and the dataset does not skip bad samples, or no line is left.
    """
    if isinstance(height, bool) or not isinstance(height, int) or height < 0:
        raise ValueError(f"height must be an integer >= 0 (0 keeps each line's height), got {height!r}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {channels!r}")
    reasons = collections.Counter(dataset.skip_counts)
    entries = []
    source_names: dict[int, str] = {}
    tmp = f"{out_path}.tmp{os.getpid()}"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        offset = len(MAGIC)
        for idx, sample in enumerate(dataset.samples):
            try:
                img = dataset._load(sample)
                if img.shape[0] < 2 or img.shape[1] < 1:
                    raise SampleError(f"the line image is {img.shape[1]}x{img.shape[0]} pixels; a line needs at "
                                      "least 2 rows")
                img = scale_line(img, height, channels)
            except SampleError as e:
                if not dataset.skip_bad_samples:
                    raise DataError(f"{sample.location}: {e}; fix the line, or build the dataset with "
                                    "skip_bad_samples (tools/compile_lines.py --skip-bad) to leave it out") from e
                reasons[_reason(str(e))] += 1
                logger.warning("skipped %s: %s", sample.location, e)
                continue
            buf = img.tobytes()
            f.write(buf)
            entries.append([offset, int(img.shape[0]), int(img.shape[1]), sample.text, sample.group,
                            int(sample.source), sample.location])
            source_names.setdefault(int(sample.source), sample.group)
            offset += len(buf)
        if not entries:
            raise DataError(f"no line of {dataset.data} could be compiled ({dict(reasons)})")
        index = json.dumps({"format": FORMAT, "height": height, "channels": channels,
                            "sources": [source_names[k] for k in sorted(source_names)], "lines": entries},
                           ensure_ascii=False).encode("utf-8")
        f.write(index)
        f.write(_TRAILER.pack(offset, len(index), MAGIC))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out_path)
    stats = {"lines": len(entries), "skipped": sum(reasons.values()), "reasons": dict(reasons),
             "bytes": os.path.getsize(out_path)}
    logger.info("compiled %d lines into %s (%.1f MB); skipped %d %s", stats["lines"], out_path, stats["bytes"] / 1e6,
                stats["skipped"], stats["reasons"] or "")
    return stats


def _reason(message: str) -> str:
    if "outside the page" in message or "lies outside" in message:
        return "outside the page"
    if "at least 2 rows" in message:
        return "too small"
    if "do not fit this image" in message:
        return "page size mismatch"
    return "unreadable image"


def read_index(path: str) -> dict:
    """The JSON index of a compiled file (and ``data_offset``: where its pixels start).

    Raises:
        DataError: not a compiled line file, or a truncated one.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(len(MAGIC))
        if head != MAGIC or size < len(MAGIC) + _TRAILER.size:
            raise DataError(f"{path} is not a compiled line file (made by tools/compile_lines.py)")
        f.seek(size - _TRAILER.size)
        off, length, magic = _TRAILER.unpack(f.read(_TRAILER.size))
        if magic != MAGIC or off + length + _TRAILER.size != size:
            raise DataError(f"{path} is truncated or damaged; compile it again with tools/compile_lines.py")
        f.seek(off)
        try:
            index = json.loads(f.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DataError(f"{path}: damaged index ({e}); compile it again") from e
    if index.get("format") != FORMAT:
        raise DataError(f"{path}: format {index.get('format')!r}, this version reads {FORMAT!r}; compile it again")
    return index


@DATASETS.register()
class CompiledLineDataSet(BaseLineDataSet):
    """Lines from compiled ``.lines`` files (:func:`compile_lines`, ``tools/compile_lines.py``).

    Each line's original source (page, ``data`` entry) stays a source for ``order: round_robin``
    and its ground-truth file the unit of ``partition``, so a compiled file splits like the data
    it was compiled from. Images come back as stored (grey ``HxW`` or BGR ``HxWx3``, usually at
    the model height already, so ``VGSLResizeLine`` only normalises them).

    Args:
        data: ``.lines`` files, folders, glob patterns or list files.
        transforms, global_cfg, mode, seed, skip_bad_samples, partition, order: see
            :class:`~ppocr.data.vgsl_line_dataset.BaseLineDataSet`.
    """

    def __init__(self, data: str | Sequence[str], transforms: list | None, global_cfg: dict | None = None,
                 mode: str = "Train", seed: int | None = None, skip_bad_samples: bool = False,
                 partition: float | None = None, order: str = "round_robin"):
        self._maps: dict[str, np.memmap] = {}
        self.files_info: dict[str, dict] = {}
        super().__init__(data, transforms, global_cfg, mode, seed, skip_bad_samples, partition, order)

    def _accept(self, name: str) -> bool:
        return name.lower().endswith(SUFFIX)

    def _scan(self, listed: list[tuple[str, list[str]]]) -> list[list[LineSample]]:
        sources: list[list[LineSample]] = []
        for path in self._unique_files(listed):
            index = read_index(path)
            self.files_info[path] = {"height": index["height"], "channels": index["channels"],
                                     "count": len(index["lines"])}
            per_source: dict[int, list[LineSample]] = {}
            channels = int(index["channels"])
            for offset, h, w, text, group, source, location in index["lines"]:
                per_source.setdefault(int(source), []).append(
                    LineSample(0, group, location, text, (path, int(offset), int(h), int(w), channels)))
            for k in sorted(per_source):
                sources.append([s._replace(source=len(sources)) for s in per_source[k]])
        return sources

    def _image_file(self, sample: LineSample) -> str | None:
        return None   # pixels in a compiled file, checked when it was compiled

    def _load(self, sample: LineSample) -> np.ndarray:
        path, offset, h, w, channels = sample.ref
        data = self._maps.get(path)
        if data is None:
            data = self._maps[path] = np.memmap(path, dtype=np.uint8, mode="r")
        n = h * w * channels
        pixels = np.array(data[offset:offset + n])
        if pixels.size != n:
            raise SampleError(f"{path} is truncated at this line; compile it again")
        return pixels.reshape((h, w, channels) if channels == 3 else (h, w))

    def __getstate__(self):  # memory maps are reopened in each worker process
        state = dict(self.__dict__)
        state["_maps"] = {}
        return state
