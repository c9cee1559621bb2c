"""Keeping the processes of a multi-process run in step without a collective's timeout.

Gloo's collectives give up after 30 s: a process that reaches the next gradient all-reduce while
another is still evaluating or writing a checkpoint dies with ``gloo ... TIMEOUT`` (measured on
Paddle 3.3.1). So the trainer meets the other processes through the launcher's TCP store after every
step and epoch instead: each process adds one to a counter and polls it, which waits as long as the
slowest process needs (an evaluation of minutes, a checkpoint on a slow disk) and costs a few
milliseconds when all are in step. The same meeting carries the stop flag: once any process asked to
stop, all stop at that step. (A process is at most one meeting ahead of another, so the stop flags of
consecutive meetings go to two alternating keys.)
"""
from __future__ import annotations

import itertools
import logging
import time

import paddle
from paddle.distributed import collective

logger = logging.getLogger(__name__)

_run_ids = itertools.count()   # trainers are created in the same order on every process
WAIT_LOG_S = 60.0              # how often a waiting process says what it waits for


def _store():
    store = getattr(collective, "_default_store", None)
    return store if store is not None else paddle.base.core.create_or_get_global_tcp_store()


class RankMeeting:
    """A barrier over the launcher's TCP store that also agrees on stopping.

    Args:
        world_size: the number of processes; 1 makes every call a no-op.
    """

    def __init__(self, world_size: int):
        self.world_size = int(world_size)
        self.meetings = 0
        self._prefix = f"ppocr/run{next(_run_ids)}"
        self._store = _store() if self.world_size > 1 else None

    def meet(self, stop: bool, where: str) -> bool:
        """Wait until every process got here; returns whether any process (this one included) asked to stop.

        Args:
            stop: this process asks to stop.
            where: what the processes meet after (``step 120``), for the log of a long wait.
        """
        if self._store is None:
            return stop
        self.meetings += 1
        stop_key = f"{self._prefix}/stop{self.meetings % 2}"
        if stop:
            self._store.add(stop_key, 1)
        key, target = f"{self._prefix}/arrived", self.world_size * self.meetings
        arrived = self._store.add(key, 1)
        delay, started, next_log = 0.0005, time.monotonic(), WAIT_LOG_S
        while arrived < target:
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
            arrived = self._store.add(key, 0)
            waited = time.monotonic() - started
            if waited >= next_log:
                logger.info("waiting for %d other process(es) after %s for %.0f s (evaluating or saving?)",
                            target - arrived, where, waited)
                next_log += WAIT_LOG_S
        return self._store.add(stop_key, 0) > 0
