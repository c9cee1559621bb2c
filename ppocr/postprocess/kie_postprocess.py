"""Post-processing of LayoutXLM KIE outputs: SER tags per text line, RE question -> answer links."""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import paddle

from ppocr.registry import POSTPROCESS
from ppocr.utils.errors import DataError
from ppocr.kie.labels import KIELabels

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100


def _numpy(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, paddle.Tensor) else np.asarray(x)


def _rows(x: Any, n: int) -> list:
    """Per-document items of a batched value: a tensor/array (split on axis 0) or a list."""
    if isinstance(x, (paddle.Tensor, np.ndarray)):
        return list(_numpy(x))
    if not isinstance(x, (list, tuple)) or len(x) != n:
        raise DataError(f"expected {n} per-document entries, got {type(x).__name__} of length "
                        f"{len(x) if hasattr(x, '__len__') else '?'}")
    return list(x)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@POSTPROCESS.register()
class VQASerTokenLayoutLMPostProcess:
    """Token logits -> BIO tags (evaluation) or one class per text line (inference).

    A text line's class is the class with the largest summed probability over the line's
    tokens (``B-X`` and ``I-X`` both count for X).

    Evaluation (``labels`` given; what the evaluator passes): returns ``(pred_tags, gt_tags)``,
    per document the tag strings of every labelled token (label not -100), for
    ``VQASerTokenMetric``. By default each token's tag is its own arg-max, as in PaddleOCR.
    With ``line_decode`` the predicted tags are made line-consistent first: every line gets
    ``B-X I-X ...`` (or ``O``) of its class, which is what inference returns; this needs the
    ``line_ids`` key from the chunk transforms in the Eval ``KeepKeys``.

    Inference (``line_ids`` and ``ocr_infos`` given): returns, per document, copies of the
    ``ocr_info`` dicts with ``pred_id`` (class index, 0 = other), ``pred`` (class name, ``'O'``
    for other) and ``score`` (mean probability of that class over the line's tokens).

    Args:
        class_path: the class list file used for training.
        line_decode: evaluate line-consistent tags (see above).

    Example:
        >>> post = VQASerTokenLayoutLMPostProcess("class_list.txt")
        >>> pred_tags, gt_tags = post(logits, batch["labels"])
        >>> lines = post(logits, line_ids=[data["line_ids"]], ocr_infos=[data["ocr_info"]])
    """

    #: Keys (besides the model inputs) inference needs: which line each token belongs to, and the lines.
    infer_keys = ("line_ids", "ocr_info")
    #: Files an export copies beside the model (``ppocr.engine.export.bundle_assets``).
    asset_args = {"class_path": None}

    def __init__(self, class_path: str, line_decode: bool = False):
        if not isinstance(line_decode, bool):
            raise TypeError(f"line_decode must be true or false, got {line_decode!r}")
        self.class_path = class_path
        self.line_decode = line_decode
        self.labels = KIELabels.from_file(class_path)
        self.id2label = self.labels.id2label
        n = self.labels.num_classes
        # tag id -> class index, as a one-hot matrix that sums tag probabilities per class
        self._tag_to_class = np.zeros((n, len(self.labels.classes) + 1), dtype=np.float64)
        self._tag_to_class[np.arange(n), [self.labels.tag_class(t) for t in range(n)]] = 1.0

    @property
    def eval_keys(self) -> tuple[str, ...]:
        """Batch keys the evaluator passes after the predictions."""
        return ("labels", "line_ids") if self.line_decode else ("labels",)

    def _logits(self, preds) -> np.ndarray:
        if isinstance(preds, dict):
            preds = preds["backbone_out"]
        elif isinstance(preds, (list, tuple)):
            preds = preds[0]
        logits = _numpy(preds)
        if logits.ndim != 3 or logits.shape[-1] != self.labels.num_classes:
            raise DataError(f"expected SER logits [B, T, {self.labels.num_classes}] for {self.class_path}, got shape "
                            f"{list(logits.shape)}; num_classes must be 2 * classes - 1")
        return logits

    def __call__(self, preds, labels=None, line_ids=None, ocr_infos=None):
        logits = self._logits(preds)
        if labels is not None:
            if self.line_decode and line_ids is None:
                raise DataError("line_decode needs batch['line_ids']; add 'line_ids' to the Eval KeepKeys")
            return self.decode_eval(logits, _numpy(labels), None if line_ids is None else _numpy(line_ids))
        if line_ids is None or ocr_infos is None:
            raise DataError("SER post-processing needs labels (evaluation) or line_ids and ocr_infos (inference)")
        return self.decode_lines(logits, line_ids, ocr_infos)

    def line_classes(self, logits: np.ndarray, line_ids: np.ndarray) -> dict[int, tuple[int, float]]:
        """``{line: (class index, mean probability)}`` for one document (``logits [T, C]``, ``line_ids [T]``)."""
        scores = _softmax(logits.astype(np.float64)) @ self._tag_to_class  # [T, classes]
        out = {}
        for line in np.unique(line_ids[line_ids >= 0]):
            per_class = scores[line_ids == line].mean(0)
            out[int(line)] = (int(per_class.argmax()), float(per_class.max()))
        return out

    def line_tags(self, logits: np.ndarray, line_ids: np.ndarray) -> np.ndarray:
        """Line-consistent tag ids of one document: ``B-X`` on a line's first position, ``I-X`` after."""
        tags = logits.argmax(-1)
        seen = set()
        classes = self.line_classes(logits, line_ids)
        for pos, line in enumerate(line_ids):
            if line < 0:
                continue
            cid = classes[int(line)][0]
            if cid:
                prefix = "I-" if line in seen else "B-"
                tags[pos] = self.labels.label2id[prefix + self.labels.classes[cid - 1]]
            else:
                tags[pos] = 0
            seen.add(line)
        return tags

    def decode_eval(self, logits: np.ndarray, labels: np.ndarray, line_ids: np.ndarray | None = None):
        """Predicted and true tag strings of the labelled tokens, per document."""
        labels = labels.reshape(logits.shape[:2])
        if line_ids is not None:
            line_ids = line_ids.reshape(logits.shape[:2])
        preds_out, gts_out = [], []
        for b in range(len(logits)):
            pred = self.line_tags(logits[b], line_ids[b]) if line_ids is not None else logits[b].argmax(-1)
            keep = labels[b] != IGNORE_INDEX
            preds_out.append([self.id2label[int(i)] for i in pred[keep]])
            gts_out.append([self.id2label[int(i)] for i in labels[b][keep]])
        return preds_out, gts_out

    def decode_lines(self, logits: np.ndarray, line_ids, ocr_infos) -> list[list[dict]]:
        """The class of each text line, written into copies of the ``ocr_info`` dicts."""
        n = len(logits)
        ids, infos = _rows(line_ids, n), _rows(ocr_infos, n)
        results = []
        for b in range(n):
            classes = self.line_classes(logits[b], np.asarray(ids[b]).reshape(-1))
            out = []
            for i, info in enumerate(infos[b]):
                pred_id, score = classes.get(i, (0, 0.0))
                item = dict(info)
                item.update(pred_id=pred_id, pred=self.labels.class_name(pred_id), score=score)
                out.append(item)
            results.append(out)
        return results

    def __repr__(self) -> str:
        return f"VQASerTokenLayoutLMPostProcess(class_path={self.class_path!r}, line_decode={self.line_decode})"


def _entity_table(entities: np.ndarray) -> list[tuple[int, int, int]]:
    n = int(entities[0, 0])
    return [(int(s), int(e), int(lab)) for s, e, lab in entities[1:n + 1]]


def _relation(head: int, tail: int, ents: list, score: float = 1.0) -> dict:
    return {"head_id": head, "tail_id": tail, "head": (ents[head][0], ents[head][1]), "head_type": ents[head][2],
            "tail": (ents[tail][0], ents[tail][1]), "tail_type": ents[tail][2], "type": 1, "score": score}


@POSTPROCESS.register()
class VQAReTokenLayoutLMPostProcess:
    """Relation probabilities -> linked (question, answer) entity pairs.

    A pair is linked when the model gives it probability above ``threshold``. Relations are
    dicts ``{head_id, tail_id, head: (start, end), tail: (start, end), head_type, tail_type,
    type, score}`` (entity indices and token spans).

    Evaluation (``relations`` given): returns ``(pred_relations, gt_relations)`` per document,
    for ``VQAReTokenMetric``.

    Inference (``line_ids`` and ``ocr_infos`` given): every answer keeps only its best-scoring
    question; returns per document a list of ``(question_ocr_info, answer_ocr_info)`` pairs.

    Args:
        threshold: link probability threshold (0.5 is the arg-max of the two classes).
    """

    eval_keys = ("entities", "relations")
    #: Keys inference needs besides the model inputs (``entities`` is one of them).
    infer_keys = ("entities", "line_ids", "ocr_info")

    def __init__(self, threshold: float = 0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
            raise ValueError(f"threshold must be a number in (0, 1), got {threshold!r}")
        self.threshold = float(threshold)

    def __call__(self, preds, entities=None, relations=None, line_ids=None, ocr_infos=None):
        if not isinstance(preds, dict) or "relation_probs" not in preds:
            raise DataError("RE post-processing expects the LayoutXLMForRe output dict with 'relation_probs'")
        if entities is None:
            raise DataError("RE post-processing needs the entities tensor of the batch")
        probs, ents = _numpy(preds["relation_probs"]), _numpy(entities)
        predicted = [self.decode(p, e) for p, e in zip(probs, ents)]
        if relations is not None:
            rels = _numpy(relations)
            return predicted, [self.gold(r, e) for r, e in zip(rels, ents)]
        if ocr_infos is None:
            return predicted
        if line_ids is None:
            raise DataError("RE inference needs line_ids (from VQAReTokenChunk) with ocr_infos")
        n = len(predicted)
        return [self.link_lines(p, np.asarray(ids).reshape(-1), info)
                for p, ids, info in zip(predicted, _rows(line_ids, n), _rows(ocr_infos, n))]

    def decode(self, probs: np.ndarray, entities: np.ndarray) -> list[dict]:
        """Relations whose probability exceeds the threshold, highest first."""
        ents = _entity_table(entities)
        n = len(ents)
        heads, tails = np.nonzero(probs[:n, :n] > self.threshold)
        rels = [_relation(int(h), int(t), ents, float(probs[h, t])) for h, t in zip(heads, tails)]
        return sorted(rels, key=lambda r: -r["score"])

    @staticmethod
    def gold(relations: np.ndarray, entities: np.ndarray) -> list[dict]:
        """The true relations of one document, in the same format."""
        ents = _entity_table(entities)
        m = int(relations[0, 0])
        return [_relation(int(h), int(t), ents) for h, t in relations[1:m + 1]]

    @staticmethod
    def link_lines(rels: list[dict], line_ids: np.ndarray, ocr_info: list) -> list:
        """(question line, answer line) pairs; each answer keeps its best question."""
        pairs, used = [], set()
        for r in rels:  # highest score first
            if r["tail_id"] in used:
                continue
            used.add(r["tail_id"])
            pairs.append((ocr_info[int(line_ids[r["head"][0]])], ocr_info[int(line_ids[r["tail"][0]])]))
        return pairs

    def __repr__(self) -> str:
        return f"VQAReTokenLayoutLMPostProcess(threshold={self.threshold})"


def _pick(preds, name: str, key: str | None):
    if not isinstance(preds, dict) or name not in preds:
        have = sorted(preds) if isinstance(preds, dict) else type(preds).__name__
        raise DataError(f"post-processing names model {name!r}, but the model outputs {have}; use the names of "
                        "Architecture.Models")
    out = preds[name]
    return out[key] if key is not None and isinstance(out, dict) and key in out else out


def _model_names(model_name) -> list[str]:
    names = [model_name] if isinstance(model_name, str) else model_name
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"model_name must be a model name or a list of them, got {model_name!r}")
    return list(names)


@POSTPROCESS.register()
class DistillationSerPostProcess:
    """``VQASerTokenLayoutLMPostProcess`` applied to each named model of a ``DistillationModel``.

    Returns ``{model_name: result}`` (for ``DistillationMetric``).

    Args:
        class_path: the class list file.
        model_name: the models to decode (a name or a list).
        key: the logits entry when a model returns a dict (``backbone_out``).
        line_decode: see ``VQASerTokenLayoutLMPostProcess``.
    """

    infer_keys = VQASerTokenLayoutLMPostProcess.infer_keys
    asset_args = VQASerTokenLayoutLMPostProcess.asset_args

    def __init__(self, class_path: str, model_name=("Student",), key: str | None = None, line_decode: bool = False):
        self.model_name = _model_names(model_name)
        self.key = key
        self.base = VQASerTokenLayoutLMPostProcess(class_path, line_decode=line_decode)
        self.class_path = class_path

    @property
    def eval_keys(self) -> tuple[str, ...]:
        return self.base.eval_keys

    def __call__(self, preds, *args, **kwargs) -> dict:
        return {name: self.base(_pick(preds, name, self.key), *args, **kwargs) for name in self.model_name}

    def __repr__(self) -> str:
        return f"DistillationSerPostProcess(model_name={self.model_name}, key={self.key!r}, base={self.base!r})"


@POSTPROCESS.register()
class DistillationRePostProcess:
    """``VQAReTokenLayoutLMPostProcess`` applied to each named model of a ``DistillationModel``.

    Returns ``{model_name: result}`` (for ``DistillationMetric``).

    Args:
        model_name: the models to decode (a name or a list).
        key: an entry of each model's output to decode (null: the output dict itself).
        threshold: link probability threshold.
    """

    eval_keys = VQAReTokenLayoutLMPostProcess.eval_keys
    infer_keys = VQAReTokenLayoutLMPostProcess.infer_keys

    def __init__(self, model_name=("Student",), key: str | None = None, threshold: float = 0.5):
        self.model_name = _model_names(model_name)
        self.key = key
        self.base = VQAReTokenLayoutLMPostProcess(threshold)

    def __call__(self, preds, *args, **kwargs) -> dict:
        return {name: self.base(_pick(preds, name, self.key), *args, **kwargs) for name in self.model_name}

    def __repr__(self) -> str:
        return f"DistillationRePostProcess(model_name={self.model_name}, key={self.key!r}, base={self.base!r})"
