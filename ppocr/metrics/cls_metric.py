"""Accuracy of the text-direction classifier (PaddleOCR's ``ClsMetric``)."""
from __future__ import annotations

from typing import Any, Sequence

from ppocr.registry import METRICS


@METRICS.register()
class ClsMetric:
    """The fraction of samples whose predicted label equals the true one, accumulated over batches.

    As :class:`~ppocr.metrics.rec_metric.RecMetric` does, ``acc`` is the exact fraction (0.0 with no
    samples).

    Args:
        main_indicator: the key the best-checkpoint logic compares; only ``'acc'``.

    Example:
        >>> m = ClsMetric()
        >>> m(([("0", 0.9), ("180", 0.7)], [("0", 1.0), ("0", 1.0)]))
        {'acc': 0.5}
    """

    MAIN_INDICATORS = ("acc",)

    def __init__(self, main_indicator: str = "acc"):
        if main_indicator not in self.MAIN_INDICATORS:
            raise ValueError(f"main_indicator must be 'acc', got {main_indicator!r}")
        self.main_indicator = main_indicator
        self.reset()

    def __call__(self, pred_label: tuple[Sequence, Sequence], batch: Any = None) -> dict[str, float]:
        """Score one batch and add it to the totals.

        Args:
            pred_label: ``(predictions, labels)``, two equally long lists of ``(label, score)``
                (what ``ClsPostProcess`` returns when given labels).
            batch: unused; every metric takes it.

        Returns:
            ``{'acc'}`` of this batch alone.

        Raises:
            ValueError: ``pred_label`` is not a pair of equally long lists.
        """
        if not isinstance(pred_label, (tuple, list)) or len(pred_label) != 2:
            raise ValueError("ClsMetric expects (predictions, labels), two lists of (label, score); "
                             f"got {type(pred_label).__name__}")
        preds, labels = pred_label
        if len(preds) != len(labels):
            raise ValueError(f"ClsMetric got {len(preds)} predictions but {len(labels)} labels")
        correct = sum(pred == target for (pred, _), (target, _) in zip(preds, labels))
        self.correct_num += correct
        self.all_num += len(preds)
        return {"acc": correct / len(preds) if preds else 0.0}

    def get_metric(self) -> dict[str, float]:
        """``{'acc'}`` over everything since the last reset, then reset."""
        acc = self.correct_num / self.all_num if self.all_num else 0.0
        self.reset()
        return {"acc": acc}

    def reset(self) -> None:
        self.correct_num = 0
        self.all_num = 0
