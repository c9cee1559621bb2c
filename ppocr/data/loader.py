"""Batching: a reproducible sharded batch sampler, collate functions that count skipped samples
(``loader.collate``: ``stack``, the default, or ``pad`` for samples of different widths), and
``build_dataloader`` that assembles them from the ``Train`` / ``Eval`` config sections.
"""
from __future__ import annotations

import logging
import math
from typing import Iterator

import numpy as np
import paddle
import paddle.distributed as dist
from paddle.io import DataLoader, DistributedBatchSampler
from paddle.io.dataloader.collate import default_collate_fn

from ppocr.data.epoch import EpochSampling
from ppocr.registry import DATASETS, SAMPLERS, accepted_params, build, nearest
from ppocr.utils.errors import ConfigError, DataError

ERROR_KEY = "data_error"

logger = logging.getLogger(__name__)

LOADER_KEYS = {
    "batch_size_per_card": None,  # required
    "shuffle": False,
    "drop_last": False,
    "num_workers": 0,
    "use_shared_memory": True,
    "collate": "stack",
    "bucket_by_length": False,
}
SECTION_KEYS = ("dataset", "loader", "sampler")
REQUIRED_SECTION_KEYS = ("dataset", "loader")


class SeededBatchSampler(EpochSampling, DistributedBatchSampler):
    """Batch sampler that shards indices across processes and shuffles reproducibly.

    Like ``paddle.io.DistributedBatchSampler``, indices are padded (by repeating the first
    ones) to a multiple of the number of processes and every process takes a disjoint share
    (rank ``r`` takes positions ``r, r + n, r + 2n, ...``). Unlike it, the shuffle is drawn
    from ``RandomState`` seeded by ``(seed, epoch)`` and the epoch only changes through
    ``set_epoch``, so the order is the same for a given seed and epoch, whatever
    ``num_workers`` is and whether training was resumed.

    Args:
        dataset: anything with ``__len__``.
        batch_size: samples per batch on this process.
        num_replicas: number of processes (default ``paddle.distributed.get_world_size()``).
        rank: this process (default ``paddle.distributed.get_rank()``).
        shuffle: shuffle every epoch.
        drop_last: drop the last incomplete batch.
        seed: base seed of the shuffle (``None``: 0).
        lengths: a size per sample (e.g. text length, for line images of varying width). Given,
            each run of ``POOL_BATCHES`` batches' worth of this process's samples is sorted by
            size before it is cut into batches, and the full batches are then shuffled, so a
            batch holds samples of similar size and padding (``collate: pad``) wastes little.
    """

    POOL_BATCHES = 32

    def __init__(self, dataset, batch_size: int, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = False, drop_last: bool = False, seed: int | None = None,
                 lengths=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        for arg, val in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an integer or null, got {seed!r}")
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas}), got {rank!r}")
        super().__init__(dataset, batch_size, num_replicas=num_replicas, rank=rank, shuffle=shuffle,
                         drop_last=drop_last)
        self.seed = seed
        self.start_batch = 0
        if lengths is not None and len(lengths) != len(dataset):
            raise ValueError(f"lengths has {len(lengths)} values for {len(dataset)} samples")
        self.lengths = None if lengths is None else [int(v) for v in lengths]

    def local_indices(self) -> list[int]:
        """This process's sample indices for the current epoch, in order."""
        n = len(self.dataset)
        if self.shuffle:
            rng = np.random.RandomState(np.random.SeedSequence([int(self.seed or 0) & 0xFFFFFFFF, self.epoch])
                                        .generate_state(1)[0])
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        total = int(math.ceil(n / self.nranks)) * self.nranks
        if total > n and n > 0:
            order = np.concatenate([order, np.resize(order, total - n)])
        return order[self.local_rank::self.nranks].tolist()

    def _bucketed_batches(self) -> list[list[int]]:
        idx = self.local_indices()
        pool = self.batch_size * self.POOL_BATCHES
        ordered: list[int] = []
        for beg in range(0, len(idx), pool):
            ordered += sorted(idx[beg:beg + pool], key=lambda i: self.lengths[i])
        batches = [ordered[i:i + self.batch_size] for i in range(0, len(ordered), self.batch_size)]
        tail = batches.pop() if batches and len(batches[-1]) < self.batch_size else None
        if self.shuffle:
            rng = np.random.RandomState(np.random.SeedSequence([int(self.seed or 0) & 0xFFFFFFFF, self.epoch, 1])
                                        .generate_state(1)[0])
            batches = [batches[i] for i in rng.permutation(len(batches))]
        if tail is not None and not self.drop_last:
            batches.append(tail)
        return batches

    def batch_indices(self, i: int) -> list[int]:
        """The sample indices of batch ``i`` (0-based, from the start of the current epoch) on this process."""
        if self.lengths is not None:
            batches = self._bucketed_batches()
            return batches[i] if 0 <= i < len(batches) else []
        return self.local_indices()[i * self.batch_size:(i + 1) * self.batch_size]

    def __iter__(self) -> Iterator[list[int]]:
        if self.lengths is not None:
            yield from self._bucketed_batches()[self.start_batch:]
            return
        indices = self.local_indices()[self.start_batch * self.batch_size:]
        batch: list[int] = []
        for idx in indices:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = int(math.ceil(len(self.dataset) / self.nranks))
        return n // self.batch_size if self.drop_last else int(math.ceil(n / self.batch_size))



class _SampleFailure:
    """A data error raised while loading one sample, carried to the main process as a message."""

    def __init__(self, message: str):
        self.message = message


class _ReportingDataset:
    """Wraps a dataset so a ``DataError`` becomes a :class:`_SampleFailure` instead of an exception.

    Paddle's single-process loader reads in a background thread and hangs when the dataset raises
    there; worker processes lose the exception type. Carrying the message through the collate
    lets :class:`ReportingDataLoader` raise it in the training process, with file and line intact.
    Every other attribute is the wrapped dataset's.
    """

    def __init__(self, dataset):
        self.dataset = dataset

    def __getitem__(self, idx):
        try:
            return self.dataset[idx]
        except DataError as e:
            return _SampleFailure(str(e))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getattr__(self, name):
        if name == "dataset":   # not set yet (e.g. while unpickling in a spawned worker): no recursion
            raise AttributeError(name)
        return getattr(self.dataset, name)


class ReportingDataLoader(DataLoader):
    """A DataLoader that raises, in the calling process, the ``DataError`` a sample produced."""

    def __iter__(self):
        for batch in super().__iter__():
            if ERROR_KEY in batch:
                raise DataError(batch[ERROR_KEY][0])
            yield batch

    def first_usable_batch(self) -> dict | None:
        """A batch of one sample, the first by index that loads (tensors, without ``skipped``), or ``None``.

        The trainer's stand-in when every sample of a process's first batch was skipped in multi-process
        training (see ``Trainer._placeholder_batch``)."""
        for i in range(len(self.dataset)):
            sample = self.dataset[i]
            if not isinstance(sample, dict):
                continue
            batch = self.collate_fn([sample])
            if ERROR_KEY in batch or len(batch) < 2:
                continue
            batch.pop("skipped", None)
            return {k: paddle.to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in batch.items()}
        return None


def collate_skip_none(batch: list) -> dict:
    """Drop ``None`` samples, stack the rest with paddle's default collate, add ``skipped``.

    Args:
        batch: sample dicts, ``None`` for skipped samples.

    Returns:
        ``{key: batched values, ..., 'skipped': int64 array [n_skipped]}``; only
        ``{'skipped': ...}`` when every sample was skipped.
    """
    return _collate(batch, pad=False)


def collate_pad_none(batch: list) -> dict:
    """As :func:`collate_skip_none`, but arrays of one key whose shapes differ (line images of
    different widths, labels of different lengths) are first zero-padded at the end of each axis
    to the largest shape in the batch (``loader.collate: pad``)."""
    return _collate(batch, pad=True)


def pad_to_largest(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Zero-pad ``arrays`` (same ``ndim``) at the end of every axis to their largest shape."""
    shape = np.max([a.shape for a in arrays], axis=0)
    return [a if a.shape == tuple(shape) else
            np.pad(a, [(0, int(t) - n) for t, n in zip(shape, a.shape)]) for a in arrays]


def _collate(batch: list, pad: bool) -> dict:
    errors = [b.message for b in batch if isinstance(b, _SampleFailure)]
    if errors:  # an array must travel too: Paddle's queue pairs every batch with at least one tensor
        return {ERROR_KEY: errors, "skipped": np.zeros([1], dtype=np.int64)}
    kept = [b for b in batch if b is not None]
    skipped = np.array([len(batch) - len(kept)], dtype=np.int64)
    if not kept:
        return {"skipped": skipped}
    if not isinstance(kept[0], dict):
        raise TypeError(f"dataset samples must be dicts (end the transforms with KeepKeys), got "
                        f"{type(kept[0]).__name__}")
    for key in kept[0]:
        values = [b.get(key) for b in kept]
        if not all(isinstance(v, np.ndarray) for v in values) or len({v.shape for v in values}) == 1:
            continue
        if pad and len({v.ndim for v in values}) == 1:
            for b, v in zip(kept, pad_to_largest(values)):
                b[key] = v
        else:
            shapes = sorted({tuple(v.shape) for v in values})
            hint = ("set loader.collate: pad to zero-pad them to the largest" if not pad else
                    "their numbers of axes differ")
            return {ERROR_KEY: [f"the samples of one batch differ in the shape of {key!r} ({shapes[0]} vs "
                                f"{shapes[-1]}); {hint}"], "skipped": np.zeros([1], dtype=np.int64)}
    out = default_collate_fn(kept)
    out["skipped"] = skipped
    return out


COLLATES = {"stack": collate_skip_none, "pad": collate_pad_none}


def _check_loader_cfg(loader_cfg, mode: str) -> dict:
    where = f"{mode}.loader"
    if not isinstance(loader_cfg, dict):
        raise ConfigError(f"{where}: expected a mapping with batch_size_per_card, shuffle, drop_last, num_workers, "
                          f"got {loader_cfg!r}")
    for k in loader_cfg:
        if k not in LOADER_KEYS:
            raise ConfigError(f"{where}: unknown key {k!r}; {nearest(k, LOADER_KEYS)}")
    opts = {k: loader_cfg.get(k, v) for k, v in LOADER_KEYS.items()}
    bs = opts["batch_size_per_card"]
    if bs is None:
        raise ConfigError(f"{where}.batch_size_per_card is missing; set it to the batch size per device, e.g. 64")
    if isinstance(bs, bool) or not isinstance(bs, int) or bs < 1:
        raise ConfigError(f"{where}.batch_size_per_card must be a positive integer, got {bs!r}")
    nw = opts["num_workers"]
    if isinstance(nw, bool) or not isinstance(nw, int) or nw < 0:
        raise ConfigError(f"{where}.num_workers must be an integer >= 0, got {nw!r}")
    for k in ("shuffle", "drop_last", "use_shared_memory", "bucket_by_length"):
        if not isinstance(opts[k], bool):
            raise ConfigError(f"{where}.{k} must be true or false, got {opts[k]!r}")
    if opts["collate"] not in COLLATES:
        raise ConfigError(f"{where}.collate must be one of {', '.join(COLLATES)} (stack: samples of equal shapes; "
                          f"pad: zero-pad to the largest in the batch), got {opts['collate']!r}")
    return opts


def build_dataloader(cfg: dict, mode: str, global_cfg: dict, seed: int | None = None) -> DataLoader:
    """Build the dataset, sampler and ``paddle.io.DataLoader`` of ``cfg[mode]``.

    Example::

        loader = build_dataloader(cfg, "Train", cfg["Global"], seed=cfg["Global"].get("seed"))
        for epoch in range(epochs):
            set_epoch(loader, epoch)
            for batch in loader:  # dict of tensors + 'skipped'
                ...

    Args:
        cfg: the whole config.
        mode: ``'Train'`` or ``'Eval'``.
        global_cfg: the ``Global`` section.
        seed: base seed of data order and augmentation (``None``: 0).

    Returns:
        A DataLoader over dict batches with an extra ``skipped`` count (non-persistent workers).

    Raises:
        ConfigError: a missing section, ``dataset`` or ``loader``; unknown or invalid keys.
    """
    if mode not in ("Train", "Eval"):
        raise ConfigError(f"mode must be 'Train' or 'Eval', got {mode!r}")
    section = cfg.get(mode) if isinstance(cfg, dict) else None
    if section is None:
        what = "evaluation" if mode == "Eval" else "training"
        raise ConfigError(f"the config has no {mode} section, which is needed for {what}; add {mode}: "
                          f"{{dataset: {{name: SimpleDataSet, ...}}, loader: {{batch_size_per_card: ...}}}}")
    if not isinstance(section, dict):
        raise ConfigError(f"{mode}: expected a mapping with 'dataset' and 'loader', got {section!r}")
    for k in section:
        if k not in SECTION_KEYS:
            raise ConfigError(f"{mode}: unknown key {k!r}; {nearest(k, SECTION_KEYS)}")
    for k in REQUIRED_SECTION_KEYS:
        if k not in section:
            raise ConfigError(f"{mode}.{k} is missing; the {mode} section needs both 'dataset' and 'loader'")
    opts = _check_loader_cfg(section["loader"], mode)
    ds_cfg = section["dataset"]
    if isinstance(ds_cfg, dict) and "name" in ds_cfg and \
            "global_cfg" in accepted_params(DATASETS.get(ds_cfg["name"], f"{mode}.dataset"))[0]:
        if "global_cfg" in ds_cfg:
            raise ConfigError(f"{mode}.dataset: 'global_cfg' is filled from the Global section; remove it")
        # build() consumes its own global_cfg argument, so the dataset (which builds its transforms
        # with the Global keys) receives it as a config key.
        ds_cfg = {**ds_cfg, "global_cfg": global_cfg}
    dataset = build(ds_cfg, DATASETS, where=f"{mode}.dataset", global_cfg=global_cfg, mode=mode, seed=seed)
    # Training shards the data across processes; evaluation runs on rank 0 alone and must see every sample.
    whole = {"num_replicas": 1, "rank": 0} if mode == "Eval" else {}
    lengths = None
    if opts["bucket_by_length"]:
        if not hasattr(dataset, "lengths"):
            raise ConfigError(f"{mode}.loader.bucket_by_length needs a dataset that knows its samples' lengths "
                              f"(the line datasets do); {type(dataset).__name__} does not, so set it to false")
        lengths = dataset.lengths()
    if section.get("sampler"):
        # a batch sampler of its own (PaddleOCR's Train.sampler, e.g. MultiScaleSampler): it decides batch sizes and
        # order, so loader.batch_size_per_card, shuffle and drop_last do not apply (as in PaddleOCR)
        sampler = build(section["sampler"], SAMPLERS, where=f"{mode}.sampler", dataset=dataset, seed=seed, **whole)
        logger.info("%s loader: batches from %r (loader batch_size_per_card/shuffle/drop_last do not apply)", mode,
                    sampler)
    else:
        sampler = SeededBatchSampler(dataset, opts["batch_size_per_card"], shuffle=opts["shuffle"],
                                     drop_last=opts["drop_last"], seed=seed, lengths=lengths, **whole)
    loader = ReportingDataLoader(_ReportingDataset(dataset), batch_sampler=sampler, num_workers=opts["num_workers"],
                        use_shared_memory=opts["use_shared_memory"], collate_fn=COLLATES[opts["collate"]],
                        return_list=True, persistent_workers=False)
    logger.info("%s loader: %d samples, %d batches per epoch on rank %d/%d, num_workers=%d", mode, len(dataset),
                len(sampler), sampler.local_rank, sampler.nranks, opts["num_workers"])
    return loader


def set_epoch(loader: DataLoader, epoch: int, start_batch: int = 0) -> None:
    """Set the epoch on the loader's sampler (data order) and dataset (augmentation).

    Call it before iterating; workers are not persistent, so they pick up the dataset's epoch
    when the iteration starts. ``start_batch`` skips the batches a resumed run already consumed
    (no sample of them is loaded).
    """
    sampler = loader.batch_sampler
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch, start_batch)
    if hasattr(loader.dataset, "set_epoch"):
        loader.dataset.set_epoch(epoch)
