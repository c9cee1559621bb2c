"""A SimpleDataSet whose samples are resized to the size ``MultiScaleSampler`` picks for each batch.

PP-OCRv4/v5 recognition trains at several input heights (``Train.sampler.scales``); the sampler hands the
dataset ``(width, height, index, wh_ratio)`` for every sample and the dataset resizes after all transforms
but the last (``KeepKeys``), as PaddleOCR's ``MultiScaleDataSet`` does.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from ppocr.data.imaug import Compose
from ppocr.data.imaug import functional as F
from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.registry import DATASETS
from ppocr.utils.errors import DataError


@DATASETS.register()
class MultiScaleDataSet(SimpleDataSet):
    """Label-file samples resized per batch to the sampler's size (needs ``Train.sampler: MultiScaleSampler``).

    The resize keeps the aspect ratio and pads with zeros to the batch width, scaled to ``[-1, 1]``, 3
    channels, and adds ``valid_ratio`` (the text's share of the width), before the last transform.

    Example config::

        Train:
          dataset: {name: MultiScaleDataSet, ds_width: false, data_dir: ..., label_file_list: [...],
                    transforms: [DecodeImage, RecConAug, RecAug, MultiLabelEncode, KeepKeys]}
          sampler: {name: MultiScaleSampler, scales: [[320, 32], [320, 48], [320, 64]], first_bs: 192}

    Args:
        ds_width: label lines carry the image size, ``path<TAB>label<TAB>width<TAB>height``; the sampler
            then groups lines of similar width/height ratio and sizes each batch's width after them.
        others: as :class:`~ppocr.data.simple_dataset.SimpleDataSet`.

    Attributes:
        wh_ratio: with ``ds_width``, each sample's width / height.

    Raises:
        DataError: (reading) an index without a size (no MultiScaleSampler), or with ``ds_width`` a line
            without two numeric size fields.
    """

    def __init__(self, data_dir: str, label_file_list: str | Sequence[str], transforms: list | None,
                 global_cfg: dict | None = None, mode: str = "Train", seed: int | None = None,
                 ratio_list: float | Sequence[float] = 1.0, delimiter: str = "\t", skip_bad_samples: bool = False,
                 ext_op_transform_idx: int | None = None, ds_width: bool = False):
        if not isinstance(ds_width, bool):
            raise TypeError(f"ds_width must be true or false, got {ds_width!r}")
        self.ds_width = ds_width
        super().__init__(data_dir, label_file_list, transforms, global_cfg=global_cfg, mode=mode, seed=seed,
                         ratio_list=ratio_list, delimiter=delimiter, skip_bad_samples=skip_bad_samples,
                         ext_op_transform_idx=ext_op_transform_idx)
        self._head = Compose(self.ops.ops[:-1])
        self._tail = Compose(self.ops.ops[-1:])
        self._size: tuple[int, int] | None = None
        if ds_width:
            self.wh_ratio = np.array([s[4] for s in self.samples], dtype=np.float64)

    def _parse(self, fi: int, path: str, bad: list[str]) -> list[tuple]:
        rows = super()._parse(fi, path, bad)
        if not self.ds_width:
            return rows
        out = []
        for fi_, line_no, img_path, label in rows:
            label, *size = label.rsplit(self.delimiter, 2)
            try:
                w, h = (float(v) for v in size)
                if w <= 0 or h <= 0:
                    raise ValueError
            except ValueError:
                raise DataError(f"{path}:{line_no}: ds_width needs 'image_path{self._shown_delimiter}label"
                                f"{self._shown_delimiter}width{self._shown_delimiter}height' with a positive size; "
                                "add the sizes or set ds_width: false") from None
            out.append((fi_, line_no, img_path, label, w / h))
        return out

    def _transform(self, data: dict) -> dict | None:
        if self._size is None:
            raise DataError("MultiScaleDataSet is read through Train.sampler: MultiScaleSampler, which picks each "
                            "batch's size; add the sampler section (or use SimpleDataSet with RecResizeImg)")
        self.ops.last_drop = None
        data = self._head(data)
        if data is None:
            self.ops.last_drop = self._head.last_drop
            return None
        w, h = self._size
        data["image"], ratio = F.resize_norm_img(data["image"], (3, h, w), True)
        data["valid_ratio"] = np.float32(ratio)
        data = self._tail(data)
        self.ops.last_drop = self._tail.last_drop
        return data

    def __getitem__(self, item) -> dict | None:
        """``item`` is ``(width, height, index, wh_ratio or None)`` from ``MultiScaleSampler``; a bare index
        is read at the size of the latest batch."""
        if isinstance(item, numbers.Integral):
            return super().__getitem__(int(item))
        w, h, idx, ratio = item
        if self.ds_width and ratio is not None:
            w = int(h * max(1, int(round(ratio))))
        self._size = (int(w), int(h))
        return super().__getitem__(int(idx))
