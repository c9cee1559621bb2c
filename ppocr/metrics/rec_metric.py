"""Text recognition metrics: exact-match accuracy, normalised edit distance and CER."""
from __future__ import annotations

import logging
import re
from typing import Any, Sequence

from rapidfuzz.distance import Levenshtein

from ppocr.registry import METRICS

logger = logging.getLogger(__name__)

_NOT_ALNUM = re.compile(r"[^0-9a-zA-Z]")


@METRICS.register()
class RecMetric:
    """Accumulates recognition quality over batches.

    For each sample, after normalisation (see ``ignore_space`` and ``is_filter``):

    * ``acc``: prediction equals label.
    * ``norm_edit_dis``: ``1 - Levenshtein(pred, label) / max(len(pred), len(label))``,
      averaged over samples; empty vs empty counts 1.0. Higher is better.
    * ``cer``: character error rate, ``sum(Levenshtein) / sum(len(label))`` over all samples
      (as kraken and Tesseract report it). Lower is better; with no label characters at all
      it is 0.0 when there are no edits and ``sum(Levenshtein)`` otherwise.

    With no samples, ``acc`` and ``norm_edit_dis`` are 0.0 and ``cer`` is 0.0.

    Args:
        main_indicator: the key the best-checkpoint logic compares, ``'acc'`` or
            ``'norm_edit_dis'`` (both higher-is-better; ``cer`` is not accepted because it is
            lower-is-better).
        is_filter: keep only ``[0-9a-zA-Z]`` and lower-case before comparing.
        ignore_space: remove ``' '`` before comparing.

    Example:
        >>> m = RecMetric()
        >>> m(([("abc", 0.9)], [("abd", 1.0)]))["acc"]
        0.0
    """

    MAIN_INDICATORS = ("acc", "norm_edit_dis")

    def __init__(self, main_indicator: str = "acc", is_filter: bool = False, ignore_space: bool = True):
        if main_indicator not in self.MAIN_INDICATORS:
            raise ValueError(f"main_indicator must be one of {', '.join(self.MAIN_INDICATORS)}, "
                             f"got {main_indicator!r}")
        for arg, value in (("is_filter", is_filter), ("ignore_space", ignore_space)):
            if not isinstance(value, bool):
                raise ValueError(f"{arg} must be true or false, got {value!r}")
        self.main_indicator = main_indicator
        self.is_filter = is_filter
        self.ignore_space = ignore_space
        self.reset()

    def _normalize(self, text: str) -> str:
        if self.ignore_space:
            text = text.replace(" ", "")
        if self.is_filter:
            text = _NOT_ALNUM.sub("", text).lower()
        return text

    @staticmethod
    def _summary(correct: int, total: int, norm_edit: float, edits: int, label_chars: int) -> dict[str, float]:
        if total == 0:
            return {"acc": 0.0, "norm_edit_dis": 0.0, "cer": 0.0}
        return {
            "acc": correct / total,
            "norm_edit_dis": norm_edit / total,
            "cer": edits / label_chars if label_chars else float(edits),
        }

    def __call__(self, pred_label: tuple[Sequence, Sequence], batch: Any = None) -> dict[str, float]:
        """Score one batch and add it to the running totals.

        Args:
            pred_label: ``(preds, labels)``, two equally long lists of ``(text, score)``
                (what ``CTCLabelDecode`` returns when given labels).
            batch: unused; accepted so every metric has the same call signature.

        Returns:
            ``{'acc', 'norm_edit_dis', 'cer'}`` for this batch alone.

        Raises:
            ValueError: ``pred_label`` is not a pair of equally long lists.
        """
        if not isinstance(pred_label, (tuple, list)) or len(pred_label) != 2:
            raise ValueError("RecMetric expects (preds, labels), two lists of (text, score); "
                             f"got {type(pred_label).__name__}")
        preds, labels = pred_label
        if len(preds) != len(labels):
            raise ValueError(f"RecMetric got {len(preds)} predictions but {len(labels)} labels")
        correct = edits = label_chars = 0
        norm_edit = 0.0
        for (pred, _), (target, _) in zip(preds, labels):
            pred, target = self._normalize(pred), self._normalize(target)
            dist = Levenshtein.distance(pred, target)
            longest = max(len(pred), len(target))
            norm_edit += 1.0 - dist / longest if longest else 1.0
            edits += dist
            label_chars += len(target)
            correct += pred == target
        self.correct_num += correct
        self.all_num += len(preds)
        self.norm_edit_dis += norm_edit
        self.edit_sum += edits
        self.label_chars += label_chars
        return self._summary(correct, len(preds), norm_edit, edits, label_chars)

    def get_metric(self) -> dict[str, float]:
        """Return ``{'acc', 'norm_edit_dis', 'cer'}`` over everything since the last reset, then reset."""
        result = self._summary(self.correct_num, self.all_num, self.norm_edit_dis,
                               self.edit_sum, self.label_chars)
        self.reset()
        return result

    def reset(self) -> None:
        """Clear the running totals."""
        self.correct_num = 0
        self.all_num = 0
        self.norm_edit_dis = 0.0
        self.edit_sum = 0
        self.label_chars = 0
