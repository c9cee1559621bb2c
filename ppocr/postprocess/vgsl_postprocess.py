"""Decoding VGSL line outputs through the run's codec."""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import paddle

from ppocr.registry import POSTPROCESS
from ppocr.vgsl.codec import Codec

logger = logging.getLogger(__name__)


def _to_numpy(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, paddle.Tensor) else np.asarray(x)


def softmax_if_needed(out: np.ndarray) -> np.ndarray:
    """``out`` when its last axis already holds probabilities, else its softmax (training-mode logits)."""
    if out.size and (out.min() < 0 or not np.allclose(out.sum(axis=-1), 1.0, atol=1e-3)):
        e = np.exp(out - out.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return out


@POSTPROCESS.register()
class VGSLLabelDecode:
    """CTC best-path decoding through a :class:`~ppocr.vgsl.codec.Codec`: arg-max per step, merge
    repeats, drop blanks, ``codec.decode`` the codes (which also undoes recoding and reordering).

    The engine passes the run's codec (see :mod:`ppocr.vgsl.run_codec`); ``character`` is
    ``codec.code_labels()``, so the network gets ``codec.num_classes`` outputs.

    Score: the mean probability of the arg-max class at the steps that emitted a code (the first
    step of each run); for an empty result the mean arg-max probability over all steps.

    Args:
        codec: the codec.

    Attributes:
        character: one label per class id, blank first.
        eval_keys: ``('label',)``: the batch key the evaluator passes as ground truth.

    Example:
        >>> from ppocr.vgsl.codec import Codec
        >>> decode = VGSLLabelDecode(Codec.from_texts(["ab"]))     # classes: blank, a, b
        >>> decode(np.eye(3)[[1, 1, 0, 1, 2]][None])
        [('aab', 1.0)]
    """

    eval_keys = ("label",)

    def __init__(self, codec=None):
        if not isinstance(codec, Codec):
            raise TypeError("VGSLLabelDecode needs the run's codec (a ppocr.vgsl.codec.Codec), got "
                            f"{type(codec).__name__}; the engine passes it when Global.codec is configured")
        self.codec = codec
        self.character: list[str] = codec.code_labels()

    def decode(self, indices: np.ndarray, probs: np.ndarray | None = None,
               collapse: bool = True) -> list[tuple[str, float]]:
        """Class ids ``[B, T]`` to ``(text, score)`` per row.

        Args:
            indices: integer class ids; 0 (blank, label padding) is dropped.
            probs: probability of each chosen id ``[B, T]``; ``None`` gives score 1.0.
            collapse: merge runs of equal ids first (CTC); ``False`` for ground-truth labels.

        Raises:
            ValueError: wrong shape, or ids outside ``0..num_classes - 1``.
        """
        idx = np.asarray(indices).astype(np.int64, copy=False)
        if idx.ndim != 2:
            raise ValueError(f"indices must have shape [B, T], got {tuple(idx.shape)}")
        if idx.size and (idx.min() < 0 or idx.max() >= len(self.character)):
            raise ValueError(f"class ids must be in 0..{len(self.character) - 1} (the codec's classes), got "
                             f"{int(idx.min())}..{int(idx.max())}")
        out = []
        for b in range(idx.shape[0]):
            row = idx[b]
            keep = row != 0
            if collapse and row.size > 1:
                keep[1:] &= row[1:] != row[:-1]
            text = self.codec.decode(row[keep].tolist())
            if probs is None:
                score = 1.0
            elif keep.any():
                score = float(probs[b][keep].mean())
            else:
                score = float(probs[b].mean()) if row.size else 0.0
            out.append((text, score))
        return out

    def __call__(self, preds: Any, label: Any = None
                 ) -> list[tuple[str, float]] | tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Decode a batch of outputs ``[B, T, C]`` (probabilities, or logits: a softmax is applied).

        Args:
            preds: ``paddle.Tensor`` or array ``[B, T, C]``, or a tuple/list whose first item is.
            label: optional ground-truth codes ``[B, L]``, 0-padded.

        Returns:
            ``[(text, score), ...]``, or ``(preds, labels)`` with ``label``; labels decode without
            merging repeats and score 1.0 (what ``RecMetric`` takes).

        Raises:
            ValueError: wrong shape, or ``C`` is not the codec's class count.
        """
        if isinstance(preds, (tuple, list)):
            if not preds:
                raise ValueError("VGSLLabelDecode got an empty tuple/list of predictions")
            preds = preds[0]
        probs = _to_numpy(preds).astype(np.float32, copy=False)
        if probs.ndim != 3:
            raise ValueError(f"VGSLLabelDecode expects predictions [B, T, C], got shape {tuple(probs.shape)}")
        if probs.shape[2] != len(self.character):
            raise ValueError(f"predictions have {probs.shape[2]} classes but the codec has {len(self.character)} "
                             "(blank included); use the codec the model was trained with (Global.codec)")
        probs = softmax_if_needed(probs)
        texts = self.decode(probs.argmax(axis=2), probs.max(axis=2), collapse=True)
        if label is None:
            return texts
        lab = _to_numpy(label)
        if lab.ndim == 1:
            lab = lab[None]
        return texts, self.decode(lab, None, collapse=False)

    def export_config(self) -> dict:
        """What ``inference.yml`` needs to decode without the training config: the codec."""
        return {"codec": self.codec.to_dict()}

    def __repr__(self) -> str:
        return f"VGSLLabelDecode({self.codec!r})"
