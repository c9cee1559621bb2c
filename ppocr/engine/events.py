"""The store through which hooks publish and read what happened (detectron2's ``EventStorage`` idea).

Hooks never hold each other: ``EvalHook`` puts ``"eval"`` (its metrics and main indicator) and
``EarlyStoppingHook``, ``VisualDLHook`` and the program read it. A hook states what it publishes
and what it cannot run without (``HookBase.publishes`` / ``requires``); the trainer checks the
list of hooks against that before training.

Example:
    >>> storage = EventStorage()
    >>> storage.put("eval", {"metrics": {"acc": 0.9}, "main_indicator": "acc"}, step=500)
    >>> storage.latest("eval")
    (500, {'metrics': {'acc': 0.9}, 'main_indicator': 'acc'})
"""
from __future__ import annotations

from typing import Any


class EventStorage:
    """Every value put under each event name, with the step it was put at."""

    def __init__(self):
        self._events: dict[str, list[tuple[int, Any]]] = {}

    def put(self, name: str, value: Any, step: int) -> None:
        """Publish ``value`` as event ``name`` at optimizer step ``step``."""
        self._events.setdefault(name, []).append((int(step), value))

    def latest(self, name: str) -> tuple[int, Any] | None:
        """``(step, value)`` last put under ``name``, or None."""
        events = self._events.get(name)
        return events[-1] if events else None

    def history(self, name: str) -> list[tuple[int, Any]]:
        """All ``(step, value)`` put under ``name``, oldest first."""
        return list(self._events.get(name, ()))

    def names(self) -> list[str]:
        return sorted(self._events)
