"""MultiScaleSampler: batches at several input sizes (PP-OCRv4/v5's ``Train.sampler``), reproducibly seeded."""
from __future__ import annotations

import logging
from typing import Iterator

import numpy as np
import paddle.distributed as dist

from ppocr.data.epoch import EpochSampling
from ppocr.registry import SAMPLERS

logger = logging.getLogger(__name__)


def _pair_list(scales) -> list[tuple[int, int]]:
    if not isinstance(scales, (list, tuple)) or not scales:
        raise ValueError(f"scales must be a non-empty list of [width, height] (or of sizes), got {scales!r}")
    out = []
    for s in scales:
        if isinstance(s, int) and not isinstance(s, bool) and s > 0:
            out.append((s, s))
        elif isinstance(s, (list, tuple)) and len(s) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in s):
            out.append((int(s[0]), int(s[1])))
        else:
            raise ValueError(f"each of scales must be [width, height] (positive integers), got {s!r}")
    return out


@SAMPLERS.register()
class MultiScaleSampler(EpochSampling):
    """Yield batches of ``(width, height, index, wh_ratio)`` for :class:`~ppocr.data.multi_scale_dataset.MultiScaleDataSet`.

    As PaddleOCR's: the batches cycle through ``scales`` (rounded down to multiples of
    ``divided_factor``); with ``fix_bs: false`` a scale's batch size is ``first_bs`` times the first
    scale's area over its own (the same pixels per batch); every batch is full (the last wraps around to
    the first samples); each process takes every ``n``-th sample. Unlike PaddleOCR's, the order is drawn
    from ``(seed, epoch)`` every epoch (samples, which batch gets which size, batch order), so a run
    resumed mid-epoch (``set_epoch(epoch, start_batch)``) sees the same batches.

    Args:
        dataset: the MultiScaleDataSet (its length; with its ``ds_width``, its ``wh_ratio``).
        scales: ``[[width, height], ...]`` (or sizes for square inputs); the first is the reference.
        first_bs: batch size of the first scale.
        fix_bs: the same batch size for every scale.
        divided_factor: ``[w, h]``: sizes are rounded down to multiples of these.
        is_training: several scales, shuffled; False: the first scale only, in order.
        ratio_wh: accepted for PaddleOCR configs (unused there too).
        max_w: with ``ds_width``, the widest batch: ``height * ratio`` is capped at ``max_w``.
        seed: base seed of the order (the run's ``Global.seed``).
        num_replicas: number of processes (default: the world size).
        rank: this process (default: its rank).
    """

    def __init__(self, dataset, scales: list, first_bs: int = 128, fix_bs: bool = True,
                 divided_factor: list[int] = (8, 16), is_training: bool = True, ratio_wh: float = 0.8,
                 max_w: float = 480.0, seed: int | None = None, num_replicas: int | None = None,
                 rank: int | None = None):
        pairs = _pair_list(scales)
        if isinstance(first_bs, bool) or not isinstance(first_bs, int) or first_bs < 1:
            raise ValueError(f"first_bs must be a positive integer, got {first_bs!r}")
        for arg, val in (("fix_bs", fix_bs), ("is_training", is_training)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        if not isinstance(divided_factor, (list, tuple)) or len(divided_factor) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in divided_factor):
            raise ValueError(f"divided_factor must be [w, h] (positive integers), got {divided_factor!r}")
        self.dataset = dataset
        self.ds_width = bool(getattr(dataset, "ds_width", False))
        self.max_w = float(max_w)
        self.ratio_wh = ratio_wh
        self.seed = seed
        self.nranks = dist.get_world_size() if num_replicas is None else num_replicas
        self.local_rank = dist.get_rank() if rank is None else rank
        self.is_training = is_training
        base_w, base_h = pairs[0]
        if is_training:
            area = base_w * base_h * first_bs
            fw, fh = divided_factor
            sizes = [(w // fw * fw, h // fh * fh) for w, h in pairs]
            if any(w == 0 or h == 0 for w, h in sizes):
                raise ValueError(f"scales {scales!r} round down to 0 with divided_factor {list(divided_factor)}")
            self.sizes = [(w, h, first_bs if fix_bs else int(max(1, area / (h * w)))) for w, h in sizes]
        else:
            self.sizes = [(base_w, base_h, first_bs)]
        self.n_per_rank = len(dataset) // self.nranks
        if self.n_per_rank < 1:
            raise ValueError(f"MultiScaleSampler: {len(dataset)} samples cannot be shared by {self.nranks} processes")
        # the scales of an epoch's batches: whole cycles through the scales until every sample of this
        # process is in a batch (batches past the end take the first samples again), as PaddleOCR plans them
        self.plan: list[int] = []
        taken = 0
        while taken < self.n_per_rank:
            for i, (_, _, bs) in enumerate(self.sizes):
                self.plan.append(i)
                taken += bs
        self.epoch = 0
        self.start_batch = 0
        logger.info("MultiScaleSampler: %d batches per epoch at (width, height, batch size) %s", len(self.plan),
                    self.sizes)

    def _rng(self, salt: int) -> np.random.RandomState:
        return np.random.RandomState(np.random.SeedSequence([int(self.seed or 0) & 0xFFFFFFFF, self.epoch, salt])
                                     .generate_state(1)[0])

    def batches(self) -> list[list[tuple]]:
        """This process's batches of the current epoch, in order."""
        n = len(self.dataset)
        if self.ds_width:  # similar width/height ratios side by side
            order = np.argsort(self.dataset.wh_ratio, kind="stable")
        elif self.is_training:
            order = self._rng(0).permutation(n)
        else:
            order = np.arange(n)
        mine = order[self.local_rank:self.n_per_rank * self.nranks:self.nranks].tolist()
        plan = [self.plan[i] for i in self._rng(1).permutation(len(self.plan))] if self.is_training else self.plan
        out, start = [], 0
        for i in plan:
            w, h, bs = self.sizes[i]
            ids = mine[start:start + bs]
            ids += mine[:bs - len(ids)]  # the last batch wraps around
            start += bs
            ratio = None
            if self.ds_width:
                ratio = float(np.mean(self.dataset.wh_ratio[ids]))
                if ratio * h >= self.max_w:
                    ratio = self.max_w / h
            out.append([(w, h, idx, ratio) for idx in ids])
        return out

    def __iter__(self) -> Iterator[list[tuple]]:
        yield from self.batches()[self.start_batch:]

    def batch_indices(self, i: int) -> list[int]:
        """The sample indices of batch ``i`` (0-based, from the start of the current epoch) on this process."""
        batches = self.batches()
        return [idx for _, _, idx, _ in batches[i]] if 0 <= i < len(batches) else []

    def __len__(self) -> int:
        return len(self.plan)


    def __repr__(self) -> str:
        return f"MultiScaleSampler(sizes={self.sizes}, batches={len(self.plan)}, ds_width={self.ds_width})"
