"""Text-line datasets for the VGSL recogniser: what they share, and line images with ``.gt.txt`` files.

Four datasets read the formats Tesseract (``lstmtraining``, tesstrain) and kraken (``ketos train``)
train on; each is a :class:`BaseLineDataSet`:

=========================  ==================================================  =====================
dataset                    files                                               module
=========================  ==================================================  =====================
``LineDataSet``            ``NAME.png`` + ``NAME.gt.txt`` (tesstrain/kraken)   this one
``BoxLineDataSet``         Tesseract ``NAME.box`` + ``NAME.tif`` (line boxes)  ``vgsl_box_dataset``
``XMLLineDataSet``         ALTO / PAGE XML pages + their images                ``vgsl_xml_dataset``
``CompiledLineDataSet``    one ``.lines`` file from ``tools/compile_lines.py``  ``vgsl_compiled_dataset``
=========================  ==================================================  =====================

Shared behaviour (the ``data``, ``partition`` and ``order`` options of every line dataset):

* ``data``: a path or a list of paths; each is a file, a folder, a glob pattern (``**`` recurses)
  or a list file (``.txt`` that is not ``.gt.txt``: one path per line, relative to the list file,
  as kraken's ``-t train.txt``).
* Every line is read at construction (transcriptions, boxes, polygons; images are decoded only
  when a sample is loaded), so the codec can be built from :meth:`BaseLineDataSet.texts`.
* Lines that are unusable before any image is read (``.gt.txt`` without its image, empty
  transcription, page XML whose image is missing, ...) raise :class:`DataError` naming
  ``file:line`` and the fix, or with ``skip_bad_samples: true`` are skipped and counted by reason
  (:attr:`BaseLineDataSet.skip_counts`, logged once). Lines that fail when loaded (image
  unreadable, box outside the page, one pixel high, characters outside the codec) go through the
  usual per-sample path: a ``DataError`` or a skip counted by the loader.
* ``partition: p`` (``0 < p < 1``): the automatic train/validation split of kraken's
  ``--partition``. The Train dataset keeps a fraction ``p`` of the ground-truth *files*
  (a line image for ``LineDataSet``, a page for the others), the Eval dataset with the same
  ``data`` and ``partition`` keeps the rest. Files are ranked by a hash of ``Global.seed`` and
  their file name, so the split is the same in every run with that seed, whatever the order of
  ``data`` and wherever the files live; a compiled file splits exactly like its sources.
* ``order``: ``round_robin`` (default, as ``lstmtraining`` without ``--sequential_training``)
  interleaves the sources, one line of each in turn; ``sequential`` reads source after source.
  A source is a page (box/XML), a compiled file, or a ``data`` entry (``LineDataSet``). With
  ``loader.shuffle: true`` the loader shuffles anyway; the order matters without shuffling.

Each sample is ``{'img_path': location, 'image': HxW or HxWx3 uint8 array (BGR), 'label': text}``;
put ``VGSLResizeLine`` (no ``DecodeImage``) and ``VGSLLabelEncode`` in the transforms.

Example config::

    Train:
      dataset:
        name: LineDataSet
        data: [train_data/demo/lines/train]
        transforms:
          - VGSLLabelEncode:
          - VGSLResizeLine: {image_shape: [1, 36, 0]}
          - KeepKeys: {keep_keys: [image, label, length]}
"""
from __future__ import annotations

import collections
import glob
import hashlib
import logging
import os
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import numpy as np

from ppocr.data.base_dataset import BaseRecDataSet
from ppocr.data.imaug import functional as F
from ppocr.data.preflight import Item
from ppocr.registry import DATASETS
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)

#: Image file extensions, in the order a ``.gt.txt`` or ``.box`` file looks for its image.
IMAGE_EXTENSIONS = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".pbm", ".webp", ".jp2")
ORDERS = ("round_robin", "sequential")
GT_SUFFIX = ".gt.txt"
_GLOB_CHARS = set("*?[")
_LOGGED_SCAN_SKIPS = 5


class LineSample(NamedTuple):
    """One text line as a dataset lists it.

    Attributes:
        source: index of the source the line belongs to (round-robin unit).
        group: partition key: the ground-truth file's name (plus its page for multi-page files).
        location: ``file:line`` shown in messages.
        text: the transcription as written in the file.
        ref: what the subclass needs to load the image (a path, a box, a polygon ...).
    """

    source: int
    group: str
    location: str
    text: str
    ref: Any


# -- helpers shared by the line datasets --------------------------------------------------------
def as_path_list(data: str | Sequence[str], where: str) -> list[str]:
    """``data`` as a non-empty list of path strings.

    Raises:
        TypeError: not a string or a non-empty list of strings.
    """
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, (list, tuple)) or not data or not all(isinstance(p, str) and p for p in data):
        raise TypeError(f"{where} must be a path (file, folder or glob) or a non-empty list of them, got {data!r}")
    return list(data)


def expand_entry(entry: str, accept: Callable[[str], bool], where: str,
                 folder_accept: Callable[[str], bool] | None = None) -> list[str]:
    """The files one ``data`` entry stands for, sorted.

    Args:
        entry: a file, a folder (its files that ``accept`` takes, not recursive), a glob pattern
            (its matches that ``accept`` takes; ``**`` recurses), or a list file (``.txt`` that
            is not ``.gt.txt``: one path per line, relative to the list file's folder).
        accept: which file names the dataset reads.
        where: the config key, for messages.
        folder_accept: which file names a folder contributes (default ``accept``).

    Raises:
        DataError: the entry does not exist, matches nothing, or a list file names a missing file.
    """
    if any(c in entry for c in _GLOB_CHARS) and not os.path.exists(entry):
        found = sorted(p for p in glob.glob(entry, recursive=True) if os.path.isfile(p) and accept(p))
        if not found:
            raise DataError(f"{where}: the pattern {entry!r} matches no file this dataset reads; check the path")
        return found
    if os.path.isdir(entry):
        take = folder_accept or accept
        found = sorted(os.path.join(entry, n) for n in os.listdir(entry)
                       if os.path.isfile(os.path.join(entry, n)) and take(n))
        if not found:
            raise DataError(f"{where}: the folder {entry!r} holds no file this dataset reads; check the path "
                            "or the dataset name")
        return found
    if not os.path.isfile(entry):
        raise DataError(f"{where}: {entry!r} does not exist; give files, folders or glob patterns")
    if entry.endswith(".txt") and not entry.endswith(GT_SUFFIX) and not accept(entry):
        base = os.path.dirname(os.path.abspath(entry))
        out = []
        with open(entry, encoding="utf-8-sig") as f:
            for no, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                path = line if os.path.isabs(line) else os.path.join(base, line)
                if not os.path.isfile(path):
                    raise DataError(f"{entry}:{no}: {line!r} does not exist (list-file paths are relative to the "
                                    "list file's folder)")
                out.append(path)
        if not out:
            raise DataError(f"{where}: the list file {entry!r} names no files")
        return out
    return [entry]


def find_image(stem: str) -> str | None:
    """The image next to a ground-truth file: ``stem`` plus the first extension of
    :data:`IMAGE_EXTENSIONS` that exists, also with kraken's ``.bin``/``.nrm`` infixes."""
    for infix in ("", ".bin", ".nrm"):
        for ext in IMAGE_EXTENSIONS:
            for cand in (stem + infix + ext, stem + infix + ext.upper()):
                if os.path.isfile(cand):
                    return cand
    return None


def read_image(path: str, page: int = 0) -> np.ndarray:
    """Decode an image file (page ``page`` of a multi-page TIFF) to ``uint8`` grey ``HxW`` or BGR ``HxWx3``.

    Decoded and converted as training's ``DecodeImage`` does (``ppocr.data.imaug.functional``): 16-bit
    and float images are scaled to 8 bit, alpha is composited over white, palette and bilevel images
    come out grey or BGR, and JPEG files are turned by their EXIF orientation (as the page XML written
    for them expects).

    Raises:
        SampleError: the file is missing, unreadable, not an image or has no page ``page``.
    """
    try:
        buf = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise SampleError(f"cannot read image {path}: {e.strerror or e}") from e
    if buf.size == 0:
        raise SampleError(f"image {path} is empty (0 bytes)")
    return F.normalize_image(F.decode_image(buf, path, page=page))


class PageCache:
    """The last ``size`` decoded page images (per process), so lines of one page decode it once."""

    def __init__(self, size: int):
        self.size = size
        self._pages: collections.OrderedDict = collections.OrderedDict()

    def get(self, path: str, page: int = 0) -> np.ndarray:
        key = (path, page)
        if key in self._pages:
            self._pages.move_to_end(key)
            return self._pages[key]
        img = read_image(path, page)
        if self.size > 0:
            self._pages[key] = img
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return img

    def __getstate__(self):  # workers start with an empty cache
        return {"size": self.size, "_pages": collections.OrderedDict()}


def partition_groups(groups: Iterable[str], fraction: float, seed: int | None) -> set[str]:
    """The groups (ground-truth files) that go to training under ``partition: fraction``.

    Groups are ranked by ``blake2b(seed:group)`` and the first ``round(fraction * n)`` are kept
    (at least one, and at least one left for validation when there are two or more).
    """
    unique = sorted(set(groups))
    rank = sorted(unique, key=lambda g: (hashlib.blake2b(f"{int(seed or 0)}:{g}".encode("utf-8"),
                                                         digest_size=8).digest(), g))
    k = int(round(fraction * len(rank)))
    k = min(max(k, 1), len(rank) - 1) if len(rank) > 1 else len(rank)
    return set(rank[:k])


def interleave(sources: Sequence[Sequence[Any]], order: str) -> list[Any]:
    """Flatten per-source lists: ``round_robin`` takes one item of each source in turn, ``sequential``
    concatenates them."""
    if order == "sequential":
        return [item for src in sources for item in src]
    out: list[Any] = []
    iters = [iter(s) for s in sources if len(s)]
    while iters:
        alive = []
        for it in iters:
            item = next(it, _END)
            if item is not _END:
                out.append(item)
                alive.append(it)
        iters = alive
    return out


_END = object()


class BaseLineDataSet(BaseRecDataSet):
    """Base of the line datasets: listing, partition, order, scan-time skips and :meth:`texts`.

    Subclasses implement ``_scan(listed) -> list[list[LineSample]]`` (``listed``: ``(data entry,
    its files)`` pairs; one list of lines per source, calling
    :meth:`_scan_skip` for unusable lines), ``_accept(name)`` (which files a folder or glob
    contributes) and ``_load(sample) -> uint8 image``.

    Args:
        data: files, folders, glob patterns or list files (see the module docstring).
        transforms: YAML transform list.
        global_cfg: the ``Global`` section.
        mode: ``'Train'`` or ``'Eval'``.
        seed: seed of the partition and of augmentation (``Global.seed``).
        skip_bad_samples: count and skip unusable lines instead of raising ``DataError``.
        partition: ``None``, or the training fraction ``0 < p < 1`` of an automatic split.
        order: ``'round_robin'`` or ``'sequential'``.

    Attributes:
        samples: the :class:`LineSample` list, in reading order.
        skip_counts: ``{reason: count}`` of lines skipped while listing.
    """

    unit = "line"

    def __init__(self, data: str | Sequence[str], transforms: list | None, global_cfg: dict | None = None,
                 mode: str = "Train", seed: int | None = None, skip_bad_samples: bool = False,
                 partition: float | None = None, order: str = "round_robin"):
        super().__init__(transforms, global_cfg, mode, seed, skip_bad_samples)
        where = f"{mode}.dataset.data"
        self.data = as_path_list(data, where)
        if partition is not None and (isinstance(partition, bool) or not isinstance(partition, (int, float))
                                      or not 0.0 < float(partition) < 1.0):
            raise ValueError(f"partition must be null or the training fraction, a number between 0 and 1 "
                             f"(e.g. 0.9), got {partition!r}")
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
        self.partition = None if partition is None else float(partition)
        self.order = order
        self.skip_counts: collections.Counter = collections.Counter()
        self._scan_logged = 0
        sources = self._scan([(entry, expand_entry(entry, self._accept, where, self._accept_in_folder))
                              for entry in self.data])
        samples = interleave(sources, order)
        total = len(samples)
        if self.partition is not None:
            if mode not in ("Train", "Eval"):
                raise ValueError(f"partition splits Train from Eval; mode {mode!r} has no side")
            train_groups = partition_groups((s.group for s in samples), self.partition, seed)
            keep_train = mode == "Train"
            samples = [s for s in samples if (s.group in train_groups) == keep_train]
        bad = self.preflight([Item(s.location, self._image_file(s), s.text) for s in samples])
        self.samples: list[LineSample] = [s for i, s in enumerate(samples) if i not in bad]
        skipped = sum(self.skip_counts.values())
        reasons = ", ".join(f"{n} {r}" for r, n in self.skip_counts.most_common())
        part = ""
        if self.partition is not None:
            part = (f", partition {self.partition:g}: {'training' if mode == 'Train' else 'validation'} part of "
                    f"{total} lines")
        if skipped:
            logger.warning("%s dataset %s: skipped %d line(s) while listing: %s", mode, type(self).__name__,
                           skipped, reasons)
        if not self.samples:
            raise DataError(f"{mode}.dataset ({type(self).__name__}): no usable lines in {', '.join(self.data)}"
                            + (f" ({skipped} skipped: {reasons})" if skipped else "")
                            + (f"; partition {self.partition:g} left none for {mode}" if self.partition else ""))
        logger.info("%s dataset %s: %d lines from %d source(s)%s", mode, type(self).__name__, len(self.samples),
                    len(sources), part)

    # -- subclass interface -------------------------------------------------------------------
    def _accept(self, name: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _accept_in_folder(self, name: str) -> bool:
        """Which files a folder entry contributes (default: :meth:`_accept`)."""
        return self._accept(name)

    def _scan(self, listed: list[tuple[str, list[str]]]) -> list[list[LineSample]]:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def _unique_files(listed: list[tuple[str, list[str]]]) -> list[str]:
        """The files of every entry in order, each once."""
        seen: set[str] = set()
        out = []
        for _, files in listed:
            for path in files:
                key = os.path.abspath(path)
                if key not in seen:
                    seen.add(key)
                    out.append(path)
        return out

    def _load(self, sample: LineSample) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _image_file(self, sample: LineSample) -> str | None:
        """The image file ``sample`` is cut from, for the pre-flight check (None: not an image file)."""
        return sample.ref if isinstance(sample.ref, str) else sample.ref[0]

    # -- shared ---------------------------------------------------------------------------------
    def _scan_skip(self, location: str, reason: str, detail: str, fix: str) -> None:
        """A line that cannot be used, found while listing: raise, or count it under ``reason``.

        Args:
            location: ``file:line``.
            reason: short reason, the key of :attr:`skip_counts` (``'gt.txt without image'``).
            detail: what is wrong with this line.
            fix: how to repair it.

        Raises:
            DataError: unless ``skip_bad_samples``.
        """
        if not self.skip_bad_samples:
            raise DataError(f"{location}: {detail}; {fix}, or set {self.mode}.dataset.skip_bad_samples: True "
                            "to skip such lines (they are counted in the log)")
        self.skip_counts[reason] += 1
        if self._scan_logged < _LOGGED_SCAN_SKIPS:
            self._scan_logged += 1
            logger.warning("%s dataset: skipped %s: %s", self.mode, location, detail)

    def texts(self) -> list[str]:
        """The transcriptions of the listed lines (the codec is built from the Train dataset's)."""
        return [s.text for s in self.samples]

    def lengths(self) -> list[int]:
        """Characters per line, a proxy of the line's width (``loader.bucket_by_length``)."""
        return [len(s.text) for s in self.samples]

    def _location(self, idx: int) -> str:
        return self.samples[idx].location

    def _read(self, idx: int) -> dict:
        sample = self.samples[idx]
        return {"img_path": sample.location, "image": self._load(sample), "label": sample.text}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(data={self.data!r}, mode={self.mode!r}, lines={len(self.samples)}, "
                f"partition={self.partition}, order={self.order!r}, skip_bad_samples={self.skip_bad_samples})")


def read_text_file(path: str) -> str:
    """A ``.gt.txt`` transcription: UTF-8 (a BOM is dropped), line breaks at the end removed.

    Raises:
        SampleError: not valid UTF-8.
    """
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SampleError(f"not valid UTF-8 ({e.reason} at byte {e.start}); save it as UTF-8") from e
    return text.rstrip("\r\n")


@DATASETS.register()
class LineDataSet(BaseLineDataSet):
    """Line images with transcriptions in ``.gt.txt`` files beside them (tesstrain ``ground-truth/``,
    kraken's default "path" format).

    ``NAME.gt.txt`` holds the text of the image ``NAME.png`` (or ``.tif``, ``.jpg``, ... and
    kraken's ``NAME.bin.png`` / ``NAME.nrm.png``). ``data`` entries may name folders (their
    ``.gt.txt`` files), ``.gt.txt`` files, images (their ``.gt.txt`` is looked up), glob patterns
    of either, or list files. Each entry is one source for ``order: round_robin``; each line image
    is one ground-truth file for ``partition``.

    Lines skipped while listing (counted under these reasons with ``skip_bad_samples``, else a
    ``DataError``): ``gt.txt without image``, ``image without gt.txt`` (an image named explicitly
    or by a glob), ``empty transcription``, ``unreadable gt.txt``.

    Args:
        data: files, folders, glob patterns or list files.
        transforms, global_cfg, mode, seed, skip_bad_samples, partition, order: see
            :class:`BaseLineDataSet`.

    Example:
        >>> ds = LineDataSet("train_data/demo/lines/eval", transforms=None)
        >>> sample = ds[0]      # {'img_path': '.../NAME.gt.txt:1', 'image': HxW uint8, 'label': '...'}
    """

    def _accept(self, name: str) -> bool:
        low = name.lower()
        return low.endswith(GT_SUFFIX) or low.endswith(IMAGE_EXTENSIONS)

    def _accept_in_folder(self, name: str) -> bool:
        return name.lower().endswith(GT_SUFFIX)  # images without a .gt.txt in a folder are not lines

    def _scan(self, listed: list[tuple[str, list[str]]]) -> list[list[LineSample]]:
        # the files of each data entry form one source; files listed by several entries count once
        by_entry: list[list[LineSample]] = []
        seen: set[str] = set()
        for _, files in listed:
            out: list[LineSample] = []
            for path in files:
                if path.lower().endswith(GT_SUFFIX):
                    gt, image = path, find_image(path[:-len(GT_SUFFIX)])
                else:
                    image, gt = path, self._gt_of(path)
                key = os.path.abspath(gt or image)
                if key in seen:
                    continue
                seen.add(key)
                sample = self._pair(gt, image, len(by_entry))
                if sample is not None:
                    out.append(sample)
            by_entry.append(out)
        return by_entry

    @staticmethod
    def _gt_of(image: str) -> str | None:
        stem = os.path.splitext(image)[0]
        for cand in (stem, os.path.splitext(stem)[0]):  # NAME.png, then NAME.bin.png -> NAME.gt.txt
            if os.path.isfile(cand + GT_SUFFIX):
                return cand + GT_SUFFIX
        return None

    def _pair(self, gt: str | None, image: str | None, source: int) -> LineSample | None:
        if gt is None:
            self._scan_skip(f"{image}:1", "image without gt.txt", f"no {os.path.splitext(image)[0]}{GT_SUFFIX} "
                            "with its transcription", "add the .gt.txt or leave the image out of data")
            return None
        if image is None:
            exts = ", ".join(IMAGE_EXTENSIONS[:4])
            self._scan_skip(f"{gt}:1", "gt.txt without image", f"no image next to it (looked for "
                            f"{os.path.basename(gt[:-len(GT_SUFFIX)])}{{{exts}, ...}})",
                            "add the line image or delete the .gt.txt")
            return None
        try:
            text = read_text_file(gt)
        except (OSError, SampleError) as e:
            self._scan_skip(f"{gt}:1", "unreadable gt.txt", str(e), "fix the file")
            return None
        if not text.strip():
            self._scan_skip(f"{gt}:1", "empty transcription", "the transcription is empty",
                            "write the line's text into it or delete the pair")
            return None
        return LineSample(source, os.path.basename(gt), f"{gt}:1", text, image)

    def _load(self, sample: LineSample) -> np.ndarray:
        return read_image(sample.ref)
