"""Samples stored in LMDB environments (deep-text-recognition-benchmark / PaddleOCR layout).

Each environment holds ``num-samples`` and, for ``i`` in ``1..num-samples``, the encoded image
under ``image-%09d`` and the UTF-8 transcription under ``label-%09d``.
"""
from __future__ import annotations

import logging
import os
from typing import Sequence

import lmdb
import numpy as np

from ppocr.data.base_dataset import BaseRecDataSet, normalize_ratio_list, subsample
from ppocr.data.preflight import Item
from ppocr.registry import DATASETS
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)


def find_lmdb_dirs(data_dir: str) -> list[str]:
    """Sorted folders under ``data_dir`` (itself included) that contain a ``data.mdb``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(data_dir, followlinks=True):
        dirnames.sort()
        if "data.mdb" in filenames:
            found.append(dirpath)
    return sorted(found)


# One read-only handle per LMDB folder per process, shared by every dataset instance:
# py-lmdb refuses to open the same environment twice in one process. A forked worker inherits
# the parent's handles; it closes them (which leaves the parent's untouched) and opens its own.
_ENVS: dict[str, lmdb.Environment] = {}
_ENVS_PID: list[int] = [os.getpid()]


def get_env(path: str) -> lmdb.Environment:
    """The current process's read-only handle of the LMDB environment at ``path`` (opened on first use).

    Raises:
        DataError: the environment cannot be opened.
    """
    if _ENVS_PID[0] != os.getpid():
        for env in _ENVS.values():
            try:
                env.close()
            except lmdb.Error:  # pragma: no cover - best effort on inherited handles
                pass
        _ENVS.clear()
        _ENVS_PID[0] = os.getpid()
    key = os.path.realpath(path)
    env = _ENVS.get(key)
    if env is None:
        try:
            env = lmdb.open(key, readonly=True, lock=False, readahead=False, meminit=False, max_readers=32)
        except lmdb.Error as e:
            raise DataError(f"cannot open LMDB environment {path}: {e}") from e
        _ENVS[key] = env
    return env


@DATASETS.register()
class LMDBDataSet(BaseRecDataSet):
    """Samples from every LMDB environment found (recursively) under ``data_dir``.

    Environments are opened read-only without locking, once per process (see ``get_env``), so
    forked DataLoader workers never use the parent's handles.

    Args:
        data_dir: folder searched recursively for ``data.mdb`` files.
        transforms: YAML transform list.
        global_cfg: the ``Global`` section.
        mode: ``'Train'`` or ``'Eval'``.
        seed: seed of subsampling and augmentation (``None``: 0).
        ratio_list: fraction of each environment to use (a number or one per environment, in
            sorted path order).
        skip_bad_samples: skip unusable samples (counted) instead of raising.

    Raises:
        DataError: no environment found, an environment without a valid ``num-samples``,
            or no samples at all.
    """

    unit = "sample"

    def __init__(self, data_dir: str, transforms: list | None, global_cfg: dict | None = None,
                 mode: str = "Train", seed: int | None = None, ratio_list: float | Sequence[float] = 1.0,
                 skip_bad_samples: bool = False):
        super().__init__(transforms, global_cfg, mode, seed, skip_bad_samples)
        if not isinstance(data_dir, str):
            raise TypeError(f"data_dir must be a folder path, got {data_dir!r}")
        if not os.path.isdir(data_dir):
            raise DataError(f"data_dir {data_dir!r} is not a folder; set {mode}.dataset.data_dir to a folder "
                            "containing LMDB environments (folders with data.mdb)")
        self.data_dir = data_dir
        self.lmdb_dirs = find_lmdb_dirs(data_dir)
        if not self.lmdb_dirs:
            raise DataError(f"no LMDB environment (a folder with data.mdb) under {data_dir}; for image files "
                            f"with label files use {mode}.dataset.name: SimpleDataSet")
        self.ratio_list = normalize_ratio_list(ratio_list, len(self.lmdb_dirs), "LMDB folders")
        rng = np.random.RandomState(self.seed or 0)
        self.num_samples_per_env = [self._count(d) for d in self.lmdb_dirs]
        # (environment index, 1-based sample index)
        samples = []
        for ei, (n, ratio) in enumerate(zip(self.num_samples_per_env, self.ratio_list)):
            keep = subsample(n, ratio, rng) + 1
            samples.append(np.stack([np.full(len(keep), ei), keep], axis=1))
        self.samples = np.concatenate(samples, axis=0).astype(np.int64)
        if len(self.samples) == 0:
            raise DataError(f"the LMDB environments under {data_dir} hold no samples (num-samples is 0)")
        bad = self.preflight(self._items(), total=len(self.samples))
        if bad:
            self.samples = np.delete(self.samples, sorted(bad), axis=0)
            if len(self.samples) == 0:
                raise DataError(f"{mode}.dataset: every sample under {data_dir} is bad (see the warning above)")
        logger.info("%s dataset: %d samples from %d LMDB folder(s) under %s", mode, len(self.samples),
                    len(self.lmdb_dirs), data_dir)

    def _count(self, path: str) -> int:
        with get_env(path).begin(write=False) as txn:
            raw = txn.get(b"num-samples")
        try:
            n = int(raw.decode("ascii")) if raw is not None else -1
        except (UnicodeDecodeError, ValueError):
            n = -1
        if n < 0:
            raise DataError(f"LMDB environment {path}: expected key 'num-samples' holding a non-negative integer, "
                            f"got {raw!r}; the layout is num-samples / image-%09d / label-%09d (1-based)")
        if n == 0:
            logger.warning("LMDB environment %s has num-samples 0", path)
        return n

    def _items(self):
        """The pre-flight items, one LMDB record at a time (one read transaction per environment)."""
        txns = {}
        try:
            for idx, (ei, i) in enumerate(self.samples):
                ei, i = int(ei), int(i)
                if ei not in txns:
                    txns[ei] = get_env(self.lmdb_dirs[ei]).begin(write=False)
                loc = self._location(idx)
                label_key, image_key = b"label-%09d" % i, b"image-%09d" % i
                label, image = txns[ei].get(label_key), txns[ei].get(image_key)
                if label is None or image is None:
                    yield Item(loc, None, None, ("missing key", (label_key if label is None else image_key).decode()))
                    continue
                try:
                    text = label.decode("utf-8")
                except UnicodeDecodeError as e:
                    yield Item(loc, None, None, ("label not UTF-8", f"{label_key.decode()}: {e.reason}"))
                    continue
                yield Item(loc, image, text)
        finally:
            for txn in txns.values():
                txn.abort()

    def _txn_get(self, ei: int, key: bytes) -> bytes | None:
        try:
            env = get_env(self.lmdb_dirs[ei])
        except DataError as e:
            raise SampleError(str(e)) from e
        with env.begin(write=False) as txn:
            return txn.get(key)

    def _location(self, idx: int) -> str:
        ei, i = self.samples[idx]
        return f"{self.lmdb_dirs[ei]}#{i}"

    def _read(self, idx: int) -> dict:
        ei, i = (int(v) for v in self.samples[idx])
        label_key, image_key = b"label-%09d" % i, b"image-%09d" % i
        label = self._txn_get(ei, label_key)
        if label is None:
            raise SampleError(f"key {label_key.decode()} is missing")
        try:
            label = label.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SampleError(f"{label_key.decode()} is not valid UTF-8 ({e.reason})") from e
        image = self._txn_get(ei, image_key)
        if image is None:
            raise SampleError(f"key {image_key.decode()} is missing")
        return {"img_path": self._location(idx), "label": label, "image": image}

    def __repr__(self) -> str:
        return (f"LMDBDataSet(data_dir={self.data_dir!r}, lmdb_dirs={len(self.lmdb_dirs)}, mode={self.mode!r}, "
                f"samples={len(self.samples)}, ratio_list={self.ratio_list}, "
                f"skip_bad_samples={self.skip_bad_samples})")
