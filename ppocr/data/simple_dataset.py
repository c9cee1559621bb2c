"""Images on disk listed in label files (``relative/path<TAB>transcription`` per line)."""
from __future__ import annotations

import logging
import os
from typing import Sequence

import numpy as np

from ppocr.data.base_dataset import BaseRecDataSet, normalize_ratio_list, subsample
from ppocr.data.preflight import Item
from ppocr.registry import DATASETS
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)


@DATASETS.register()
class SimpleDataSet(BaseRecDataSet):
    """Samples listed in text label files, images read from ``data_dir``.

    Each non-empty line is ``image_path<delimiter>label``; the label is everything after the
    first delimiter, kept verbatim (only the line ending is removed). Image paths are
    relative to ``data_dir`` (absolute paths are used as they are).

    Example config::

        Train:
          dataset:
            name: SimpleDataSet
            data_dir: ./train_data/demo/
            label_file_list: [./train_data/demo/rec_gt_train.txt]
            transforms: [...]

    Each item is the transformed dict, or ``None`` for a skipped sample (counted by the
    loader's collate function under ``skipped``).

    Args:
        data_dir: folder the image paths are relative to.
        label_file_list: one label file or a list of them.
        transforms: YAML transform list.
        global_cfg: the ``Global`` section.
        mode: ``'Train'`` or ``'Eval'``.
        seed: seed of subsampling and augmentation (``None``: 0).
        ratio_list: fraction of each label file to use (a number or one per file).
        delimiter: separator between path and label.
        skip_bad_samples: skip malformed lines and unusable samples instead of raising.
        ext_op_transform_idx: how many of the transforms decode the extra samples a transform such as
            ``RecConAug`` asks for (see :class:`~ppocr.data.base_dataset.BaseRecDataSet`).

    Raises:
        DataError: a missing or empty label file, or a malformed line (without skipping).
    """

    unit = "line"

    def __init__(self, data_dir: str, label_file_list: str | Sequence[str], transforms: list | None,
                 global_cfg: dict | None = None, mode: str = "Train", seed: int | None = None,
                 ratio_list: float | Sequence[float] = 1.0, delimiter: str = "\t",
                 skip_bad_samples: bool = False, ext_op_transform_idx: int | None = None):
        super().__init__(transforms, global_cfg, mode, seed, skip_bad_samples, ext_op_transform_idx)
        if not isinstance(data_dir, str):
            raise TypeError(f"data_dir must be a folder path, got {data_dir!r}")
        if isinstance(label_file_list, str):
            label_file_list = [label_file_list]
        if not isinstance(label_file_list, (list, tuple)) or not label_file_list or \
                not all(isinstance(p, str) for p in label_file_list):
            raise TypeError(f"label_file_list must be a path or a non-empty list of paths, got {label_file_list!r}")
        if not isinstance(delimiter, str) or not delimiter or "\n" in delimiter:
            raise ValueError(f"delimiter must be a non-empty string without newlines, got {delimiter!r}")
        if not os.path.isdir(data_dir):
            raise DataError(f"data_dir {data_dir!r} is not a folder; set {mode}.dataset.data_dir to the "
                            "folder the label file paths are relative to")
        self.data_dir = data_dir
        self.label_file_list = list(label_file_list)
        self.delimiter = delimiter
        ratios = normalize_ratio_list(ratio_list, len(self.label_file_list), "label files")
        self.ratio_list = ratios
        rng = np.random.RandomState(self.seed or 0)
        # (label file index, line number, image path, label)
        self.samples: list[tuple[int, int, str, str]] = []
        bad: list[str] = []
        for fi, (path, ratio) in enumerate(zip(self.label_file_list, ratios)):
            rows = self._parse(fi, path, bad)
            if not rows:
                raise DataError(f"label file {path} has no samples; expected lines "
                                f"'image_path{self._shown_delimiter}transcription'")
            keep = subsample(len(rows), ratio, rng)
            self.samples.extend(rows[i] for i in keep)
        if bad:
            logger.warning("%s dataset: skipped %d malformed label line(s), e.g. %s", mode, len(bad),
                           "; ".join(bad[:3]))
        if not self.samples:
            raise DataError(f"{mode}.dataset: no usable samples in {', '.join(self.label_file_list)}")
        bad = self.preflight([Item(f"{self.label_file_list[fi]}:{no}", os.path.join(data_dir, rel), label)
                              for fi, no, rel, label, *_ in self.samples])
        if bad:
            self.samples = [s for i, s in enumerate(self.samples) if i not in bad]
            if not self.samples:
                raise DataError(f"{mode}.dataset: every sample of {', '.join(self.label_file_list)} is bad (see "
                                "the warning above)")
        logger.info("%s dataset: %d samples from %d label file(s)", mode, len(self.samples),
                    len(self.label_file_list))

    def _parse(self, fi: int, path: str, bad: list[str]) -> list[tuple[int, int, str, str]]:
        if not os.path.isfile(path):
            raise DataError(f"label file not found: {path}; check {self.mode}.dataset.label_file_list")
        with open(path, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line_no = raw[:e.start].count(b"\n") + 1
            raise DataError(f"{path}:{line_no}: not valid UTF-8 ({e.reason} at byte {e.start}); "
                            "save the label file as UTF-8") from e
        rows = []
        for line_no, line in enumerate(text.split("\n"), 1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            img_path, sep, label = line.partition(self.delimiter)
            if not sep or not img_path.strip():
                shown = line if len(line) <= 80 else line[:77] + "..."
                msg = (f"{path}:{line_no}: expected 'image_path{self._shown_delimiter}transcription', got "
                       f"{shown!r}")
                if self.skip_bad_samples:
                    bad.append(msg)
                    continue
                raise DataError(f"{msg}; set {self.mode}.dataset.delimiter if your file uses another separator")
            rows.append((fi, line_no, img_path, label))
        return rows

    @property
    def _shown_delimiter(self) -> str:
        return "<TAB>" if self.delimiter == "\t" else self.delimiter

    def _location(self, idx: int) -> str:
        fi, line_no = self.samples[idx][:2]
        return f"{self.label_file_list[fi]}:{line_no}"

    def _read(self, idx: int) -> dict:
        rel, label = self.samples[idx][2:4]
        img_path = os.path.join(self.data_dir, rel)
        if not os.path.isfile(img_path):
            raise SampleError(f"image not found: {img_path}")
        try:
            with open(img_path, "rb") as f:
                buf = f.read()
        except OSError as e:
            raise SampleError(f"cannot read image {img_path}: {e.strerror or e}") from e
        return {"img_path": img_path, "label": label, "image": buf}

    def __repr__(self) -> str:
        return (f"SimpleDataSet(data_dir={self.data_dir!r}, label_file_list={self.label_file_list!r}, "
                f"mode={self.mode!r}, samples={len(self.samples)}, ratio_list={self.ratio_list}, "
                f"skip_bad_samples={self.skip_bad_samples})")
