"""What the batch samplers share: an epoch that selects the order, and a start batch for a resumed epoch."""
from __future__ import annotations

import numpy as np


class EpochSampling:
    """Mixin of the batch samplers: ``set_epoch(epoch, start_batch)``, checked, as the engine calls it."""

    epoch: int = 0
    start_batch: int = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Select the order of ``epoch`` and skip its first ``start_batch`` batches (a resumed epoch)."""
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
        if isinstance(start_batch, bool) or not isinstance(start_batch, (int, np.integer)) or start_batch < 0:
            raise ValueError(f"start_batch must be a non-negative integer, got {start_batch!r}")
        self.epoch = int(epoch)
        self.start_batch = int(start_batch)
