"""What every dataset shares: per-sample seeding, the transform chain, and bad-sample handling.

A subclass lists its samples at construction and implements ``_location(idx)`` (a short
``file:line``-style string) and ``_read(idx)`` (the raw sample dict). ``__getitem__`` seeds
the global RNGs from ``(seed, epoch, idx)``, reads, transforms, and turns a ``SampleError``
into either ``None`` (``skip_bad_samples``; the collate function counts it) or a
``DataError`` that names the location and the fix.
"""
from __future__ import annotations

import logging
import random
from typing import Sequence

import numpy as np
import paddle

from ppocr.data.imaug import Compose, NeedsExtraSamples, build_transforms
from ppocr.data.preflight import run_preflight
from ppocr.utils.errors import DataError, SampleError

logger = logging.getLogger(__name__)

MAX_LOGGED_SKIPS = 10
#: Other samples tried for a transform's ``ext_data`` before it gets fewer than it asked for.
MAX_EXTRA_SAMPLE_TRIES = 20


def check_common_args(mode: str, seed: int | None, skip_bad_samples: bool) -> None:
    """Validate the arguments every dataset takes; raise TypeError/ValueError naming the bad one."""
    if mode not in ("Train", "Eval", "Test"):
        raise ValueError(f"mode must be 'Train', 'Eval' or 'Test', got {mode!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an integer or null, got {seed!r}")
    if not isinstance(skip_bad_samples, bool):
        raise TypeError(f"skip_bad_samples must be true or false, got {skip_bad_samples!r}")


def normalize_ratio_list(ratio_list, n: int, what: str) -> list[float]:
    """Expand ``ratio_list`` (a number or one number per source) to ``n`` fractions in ``(0, 1]``.

    Args:
        ratio_list: number, or list of ``n`` numbers (a one-element list is repeated).
        n: number of sources (label files or LMDB folders).
        what: what the sources are, for the message.

    Raises:
        TypeError: not a number or list of numbers.
        ValueError: wrong length or a value outside ``(0, 1]``.
    """
    if isinstance(ratio_list, (int, float)) and not isinstance(ratio_list, bool):
        ratios = [float(ratio_list)] * n
    elif isinstance(ratio_list, (list, tuple)) and all(
            isinstance(r, (int, float)) and not isinstance(r, bool) for r in ratio_list):
        ratios = [float(r) for r in ratio_list]
        if len(ratios) == 1:
            ratios = ratios * n
        if len(ratios) != n:
            raise ValueError(f"ratio_list has {len(ratios)} values but there are {n} {what}; give one per "
                             "source or a single number")
    else:
        raise TypeError(f"ratio_list must be a number or a list of numbers, got {ratio_list!r}")
    for r in ratios:
        if not 0.0 < r <= 1.0:
            raise ValueError(f"ratio_list values must be in (0, 1], got {r}")
    return ratios


def subsample(n: int, ratio: float, rng: np.random.RandomState) -> np.ndarray:
    """Sorted indices of a random ``ratio`` fraction of ``range(n)`` (at least one if ``n > 0``)."""
    if ratio >= 1.0 or n == 0:
        return np.arange(n)
    k = max(1, int(round(n * ratio)))
    return np.sort(rng.choice(n, size=k, replace=False))


def sample_seed(seed: int | None, epoch: int, idx: int) -> int:
    """A 32-bit seed derived from ``(seed, epoch, idx)``, independent of worker assignment."""
    entropy = [int(seed or 0) & 0xFFFFFFFFFFFFFFFF, int(epoch) & 0xFFFFFFFF, int(idx) & 0xFFFFFFFFFFFFFFFF]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint32)[0])


class BaseRecDataSet(paddle.io.Dataset):
    """Base of the datasets: subclasses fill ``self.samples`` and implement ``_location`` / ``_read``.

    Args:
        transforms: the YAML transform list.
        global_cfg: the ``Global`` section.
        mode: ``'Train'``, ``'Eval'`` or ``'Test'`` (used in messages and config paths).
        seed: base seed of augmentation and subsampling; ``None`` means 0.
        skip_bad_samples: return ``None`` for unusable samples instead of raising.
        ext_op_transform_idx: a transform that asks for extra samples (``ext_data_num``: ``RecConAug``,
            ``CopyPaste``) gets them through the transforms before it, or through the first
            ``ext_op_transform_idx`` ones when set (PaddleOCR's key; at most the transform's position).
    """

    #: what a sample's location is called in the fix hint ("line", "sample").
    unit = "sample"

    def __init__(self, transforms: Sequence | None, global_cfg: dict | None, mode: str, seed: int | None,
                 skip_bad_samples: bool, ext_op_transform_idx: int | None = None):
        super().__init__()
        check_common_args(mode, seed, skip_bad_samples)
        if ext_op_transform_idx is not None and (isinstance(ext_op_transform_idx, bool) or
                                                 not isinstance(ext_op_transform_idx, int) or ext_op_transform_idx < 0):
            raise ValueError(f"ext_op_transform_idx must be an integer >= 0 or null, got {ext_op_transform_idx!r}")
        self.mode = mode
        self.seed = seed
        self.skip_bad_samples = skip_bad_samples
        self.epoch = 0
        self.ops = build_transforms(transforms, global_cfg, where=f"{mode}.dataset.transforms")
        self._skips_logged = 0
        self.preflight_enabled = bool((global_cfg or {}).get("preflight", True))
        self.excluded = 0   # samples the pre-flight check left out
        # A transform that mixes in other samples (CopyPaste, RecConAug) gets them run through the transforms
        # before it, or through the first ext_op_transform_idx ones when the config says so (PaddleOCR's key).
        first = next((i for i, op in enumerate(self.ops.ops) if isinstance(op, NeedsExtraSamples)), None)
        self.ext_data_num = 0 if first is None else int(self.ops.ops[first].ext_data_num)
        if first is not None and ext_op_transform_idx is not None and ext_op_transform_idx > first:
            raise ValueError(f"ext_op_transform_idx ({ext_op_transform_idx}) must not exceed the position of "
                             f"{type(self.ops.ops[first]).__name__} ({first}) in the transforms: the extra samples "
                             "go through the transforms before it")
        self.ext_op_transform_idx = ext_op_transform_idx
        upto = first if ext_op_transform_idx is None else ext_op_transform_idx
        self.ext_ops = Compose(self.ops.ops[:upto] if first is not None else [])

    # -- subclass interface -------------------------------------------------------------------
    def _location(self, idx: int) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self, idx: int) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared behaviour ---------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Set the epoch that, with the seed and index, determines each sample's augmentation."""
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
        self.epoch = int(epoch)

    def seed_sample(self, idx: int) -> None:
        """Seed ``random`` and ``np.random`` for sample ``idx`` of the current epoch."""
        s = sample_seed(self.seed, self.epoch, idx)
        random.seed(s)
        np.random.seed(s)

    def preflight(self, items, total: int | None = None) -> set[int]:
        """Check every sample before training (:mod:`ppocr.data.preflight`): ``items`` are
        :class:`~ppocr.data.preflight.Item` s in sample order. Returns the indices of bad samples, for the
        subclass to leave out (with ``skip_bad_samples``; without, any problem raises a DataError that
        summarises them all). ``Global.preflight: false`` turns it off."""
        if not self.preflight_enabled:
            return set()
        checks = [op.check_label for op in self.ops.ops if hasattr(op, "check_label")]
        bad = run_preflight(items, checks, mode=self.mode, unit=self.unit, skip=self.skip_bad_samples, total=total)
        self.excluded = len(bad)
        return bad

    def _note_skip(self, loc: str, reason: str) -> None:
        if self._skips_logged < MAX_LOGGED_SKIPS:
            self._skips_logged += 1
            more = " (further skips are only counted)" if self._skips_logged == MAX_LOGGED_SKIPS else ""
            logger.warning("%s dataset: skipped %s: %s%s", self.mode, loc, reason, more)

    def extra_samples(self) -> list[dict]:
        """``ext_data_num`` random samples through ``ext_ops`` (the transforms before the one that asked);
        samples that fail or have regions other than quadrilaterals are passed over, and after
        ``MAX_EXTRA_SAMPLE_TRIES`` draws the transform gets what was found."""
        found: list[dict] = []
        for _ in range(MAX_EXTRA_SAMPLE_TRIES):
            if len(found) >= self.ext_data_num:
                break
            j = int(np.random.randint(len(self)))
            try:
                data = self.ext_ops(self._read(j))
            except SampleError:
                continue
            polys = None if data is None else data.get("polys")
            if data is None or (polys is not None and (np.ndim(polys) != 3 or np.shape(polys)[1] != 4)):
                continue
            found.append(data)
        return found

    def __len__(self) -> int:
        return len(self.samples)

    def _transform(self, data: dict) -> dict | None:
        """Run the transform chain on a read sample (subclasses may split it, e.g. to resize in between)."""
        return self.ops(data)

    def __getitem__(self, idx: int) -> dict | None:
        idx = int(idx)
        self.seed_sample(idx)
        loc = self._location(idx)
        try:
            data = self._read(idx)
            if self.ext_data_num:
                data["ext_data"] = self.extra_samples()
            data = self._transform(data)
        except SampleError as e:
            if self.skip_bad_samples:
                self._note_skip(loc, str(e))
                return None
            raise DataError(f"{loc}: {e}. Fix or remove the {self.unit}, or set "
                            f"{self.mode}.dataset.skip_bad_samples: True to skip such samples "
                            "(they are counted in the log)") from e
        except Exception as e:
            e.add_note(f"while loading {self.mode} sample {idx} ({loc})")
            raise
        if data is None:
            self._note_skip(loc, f"dropped by {self.ops.last_drop}")
        return data
