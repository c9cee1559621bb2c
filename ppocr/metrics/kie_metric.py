"""Entity-level SER metrics (seqeval) and relation-level RE metrics, as precision / recall / hmean."""
from __future__ import annotations

import logging
import warnings
from typing import Any

from ppocr.registry import METRICS
from ppocr.utils.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

MAIN_INDICATORS = ("hmean", "precision", "recall")


def _check_main(main_indicator: str) -> str:
    if main_indicator not in MAIN_INDICATORS:
        raise ValueError(f"main_indicator must be one of {', '.join(MAIN_INDICATORS)}, got {main_indicator!r}")
    return main_indicator


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "hmean": 2 * p * r / (p + r) if p + r else 0.0}


@METRICS.register()
class VQASerTokenMetric:
    """Entity-level precision, recall and F1 (``hmean``) of BIO tag sequences, via seqeval.

    An entity is a maximal run of tokens with one class (conlleval rules: a ``B-`` tag or a
    class change starts a new one); a predicted entity counts only if its class, start and end
    all match a true one. Scores are micro-averaged over all entities since the last reset.

    Args:
        main_indicator: key compared to pick the best checkpoint (``'hmean'``).

    Example:
        >>> m = VQASerTokenMetric()
        >>> m(([["B-QUESTION", "I-QUESTION", "O"]], [["B-QUESTION", "I-QUESTION", "B-ANSWER"]]))["hmean"]
        0.666...
    """

    def __init__(self, main_indicator: str = "hmean"):
        self.main_indicator = _check_main(main_indicator)
        self.reset()

    @staticmethod
    def _scores(gold: list, pred: list) -> dict[str, float]:
        try:
            from seqeval.metrics import f1_score, precision_score, recall_score
        except ImportError as e:
            raise ConfigError("VQASerTokenMetric needs seqeval (installed with paddlenlp); pip install seqeval") from e
        if not gold:
            return {"precision": 0.0, "recall": 0.0, "hmean": 0.0}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # seqeval warns when a class has no prediction
            return {"precision": float(precision_score(gold, pred, zero_division=0)),
                    "recall": float(recall_score(gold, pred, zero_division=0)),
                    "hmean": float(f1_score(gold, pred, zero_division=0))}

    def __call__(self, preds: tuple, batch: Any = None) -> dict[str, float]:
        """Add one batch: ``preds`` is ``(pred_tags, gold_tags)`` from the SER post-processor."""
        if not isinstance(preds, (tuple, list)) or len(preds) != 2:
            raise DataError("VQASerTokenMetric expects (pred_tags, gold_tags) from VQASerTokenLayoutLMPostProcess")
        pred, gold = preds
        if len(pred) != len(gold) or any(len(p) != len(g) for p, g in zip(pred, gold)):
            raise DataError("VQASerTokenMetric: predicted and true tag sequences differ in number or length")
        self.pred_list.extend(list(p) for p in pred)
        self.gold_list.extend(list(g) for g in gold)
        return self._scores([list(g) for g in gold], [list(p) for p in pred])

    def get_metric(self) -> dict[str, float]:
        """``{'precision', 'recall', 'hmean'}`` over everything since the last reset, then reset."""
        result = self._scores(self.gold_list, self.pred_list)
        self.reset()
        return result

    def reset(self) -> None:
        self.pred_list: list[list[str]] = []
        self.gold_list: list[list[str]] = []


@METRICS.register()
class VQAReTokenMetric:
    """Relation-level precision, recall and F1 (``hmean``) of predicted question -> answer links.

    A predicted relation is correct when its head and tail entity spans both match a true
    relation (PaddleOCR's "boundaries" mode; relation direction matters). Micro-averaged over
    all documents since the last reset.

    Args:
        main_indicator: key compared to pick the best checkpoint (``'hmean'``).
    """

    def __init__(self, main_indicator: str = "hmean"):
        self.main_indicator = _check_main(main_indicator)
        self.reset()

    @staticmethod
    def _key(rel: dict) -> tuple:
        return tuple(rel["head"]), tuple(rel["tail"])

    def __call__(self, preds: tuple, batch: Any = None) -> dict[str, float]:
        """Add one batch: ``preds`` is ``(pred_relations, gold_relations)`` from the RE post-processor."""
        if not isinstance(preds, (tuple, list)) or len(preds) != 2:
            raise DataError("VQAReTokenMetric expects (pred_relations, gold_relations) from "
                            "VQAReTokenLayoutLMPostProcess")
        pred, gold = preds
        if len(pred) != len(gold):
            raise DataError(f"VQAReTokenMetric got {len(pred)} predicted and {len(gold)} true documents")
        tp = n_pred = n_gold = 0
        for p, g in zip(pred, gold):
            ps, gs = {self._key(r) for r in p}, {self._key(r) for r in g}
            tp += len(ps & gs)
            n_pred += len(ps)
            n_gold += len(gs)
        self.tp += tp
        self.n_pred += n_pred
        self.n_gold += n_gold
        return _prf(tp, n_pred, n_gold)

    def get_metric(self) -> dict[str, float]:
        """``{'precision', 'recall', 'hmean'}`` over everything since the last reset, then reset."""
        result = _prf(self.tp, self.n_pred, self.n_gold)
        self.reset()
        return result

    def reset(self) -> None:
        self.tp = self.n_pred = self.n_gold = 0
