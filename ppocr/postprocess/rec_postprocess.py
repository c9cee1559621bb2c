"""Decoders for text recognition outputs."""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
import paddle

from ppocr.registry import POSTPROCESS
from ppocr.utils.character import load_character_list

logger = logging.getLogger(__name__)

ArrayLike = Any  # paddle.Tensor | np.ndarray | nested sequences of numbers


def _to_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, paddle.Tensor):
        return x.numpy()
    return np.asarray(x)


@POSTPROCESS.register()
class CTCLabelDecode:
    """Greedy CTC decoding: arg-max per time step, collapse repeats, drop blanks.

    The vocabulary is ``['blank'] + load_character_list(character_dict_path, use_space_char)``,
    so index 0 is the CTC blank and index ``i`` is the ``i``-th dictionary character, exactly as
    the label encoder numbers them. Characters are whole Unicode code points, so any dictionary
    (CJK, Devanagari, emoji, ...) decodes by plain indexing.

    Score: the mean, over the kept characters, of the probability of the arg-max class at the
    step where the character was emitted (the first step of each run). When nothing is kept
    (empty text) the score is the mean arg-max probability over all steps, i.e. the model's
    confidence that the line is empty; with zero time steps it is 0.0.

    Args:
        character_dict_path: UTF-8 dictionary, one character per line; ``None`` selects
            ``0-9a-z``. Usually taken from ``Global``.
        use_space_char: append ``' '`` to the dictionary. Usually taken from ``Global``.

    Attributes:
        key_aliases: the ground truth may be kept as ``label_ctc`` (``MultiLabelEncode``, PP-OCRv3/v4/v5).

    Example:
        >>> decode = CTCLabelDecode()
        >>> probs = np.eye(37)[[11, 11, 0, 11, 12]][None]  # "aa" then "b", as one-hot [1, 5, 37]
        >>> decode(probs)
        [('aab', 1.0)]
    """

    key_aliases = {"label": ("label_ctc",)}  # MultiLabelEncode's CTC label

    def __init__(self, character_dict_path: str | None = None, use_space_char: bool = False):
        if not isinstance(use_space_char, bool):
            raise ValueError(f"use_space_char must be true or false, got {use_space_char!r}")
        self.character: list[str] = ["blank"] + load_character_list(character_dict_path, use_space_char)

    def get_character_num(self) -> int:
        """Number of classes including the blank (the CTC head's ``out_channels``)."""
        return len(self.character)

    def decode(self, indices: ArrayLike, probs: ArrayLike | None = None,
               collapse: bool = True) -> list[tuple[str, float]]:
        """Turn class indices into strings.

        Args:
            indices: integer class ids, shape ``[B, T]``. ``0`` (blank / padding) is dropped.
            probs: probability of each chosen id, shape ``[B, T]``; ``None`` gives score 1.0.
            collapse: merge consecutive equal ids before dropping blanks (CTC decoding).
                Use ``False`` for ground-truth labels, where repeats are real characters.

        Returns:
            One ``(text, score)`` per row.

        Raises:
            ValueError: wrong shapes, or an id outside the dictionary.
        """
        idx = _to_numpy(indices)
        if idx.ndim != 2:
            raise ValueError(f"indices must have shape [B, T], got shape {tuple(idx.shape)}")
        idx = idx.astype(np.int64, copy=False)
        prob = None
        if probs is not None:
            prob = _to_numpy(probs).astype(np.float64, copy=False)
            if prob.shape != idx.shape:
                raise ValueError(f"probs must have the shape of indices {tuple(idx.shape)}, "
                                 f"got {tuple(prob.shape)}")
        if idx.size and (idx.min() < 0 or idx.max() >= len(self.character)):
            bad = int(idx.max() if idx.max() >= len(self.character) else idx.min())
            raise ValueError(f"class id {bad} is outside the dictionary (0..{len(self.character) - 1}); "
                             "check Global.character_dict_path and use_space_char against the model")
        results = []
        for b in range(idx.shape[0]):
            row = idx[b]
            keep = row != 0
            if collapse and row.size > 1:
                keep[1:] &= row[1:] != row[:-1]
            text = "".join(self.character[i] for i in row[keep])
            if prob is None:
                score = 1.0
            elif keep.any():
                score = float(prob[b][keep].mean())
            elif row.size:
                score = float(prob[b].mean())
            else:
                score = 0.0
            results.append((text, score))
        return results

    def __call__(self, preds: ArrayLike | dict | Sequence, label: ArrayLike | None = None
                 ) -> list[tuple[str, float]] | tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Decode a batch of CTC outputs (and optionally its labels).

        Args:
            preds: class probabilities ``[B, T, C]`` (after softmax; the arg-max does not
                need it, the score does) as a ``paddle.Tensor`` or ``np.ndarray``; also a
                tuple/list whose first item is that, or a dict holding it under ``'head_out'``
                (``AuxHead``) or ``'ctc'`` (a ``MultiHead``'s training output).
            label: optional ground truth ``[B, L]`` of class ids, 0-padded.

        Returns:
            ``[(text, score), ...]`` when ``label`` is ``None``, else ``(preds, labels)``
            where the labels are ``[(text, 1.0), ...]`` decoded without collapsing repeats.

        Raises:
            TypeError: ``preds`` is of an unsupported type.
            ValueError: wrong shape, or ``C`` differs from the dictionary size.
        """
        if isinstance(preds, dict):
            key = next((k for k in ("head_out", "ctc") if k in preds), None)
            if key is None:
                raise ValueError(f"CTCLabelDecode expects the probabilities under 'head_out' or 'ctc', "
                                 f"got keys {sorted(preds)}")
            preds = preds[key]
        elif isinstance(preds, (tuple, list)):
            if not preds:
                raise ValueError("CTCLabelDecode got an empty tuple/list of predictions")
            preds = preds[0]
        if not isinstance(preds, (paddle.Tensor, np.ndarray)):
            raise TypeError(f"CTCLabelDecode expects a paddle.Tensor or np.ndarray [B, T, C], "
                            f"got {type(preds).__name__}")
        probs = _to_numpy(preds)
        if probs.ndim != 3:
            raise ValueError(f"CTCLabelDecode expects predictions of shape [B, T, C], "
                             f"got shape {tuple(probs.shape)}")
        if probs.shape[2] != len(self.character):
            raise ValueError(f"predictions have {probs.shape[2]} classes but the dictionary has "
                             f"{len(self.character)} (blank + {len(self.character) - 1} characters); "
                             "check Global.character_dict_path and use_space_char against the head's "
                             "out_channels")
        indices = probs.argmax(axis=2)
        max_probs = probs.max(axis=2)
        texts = self.decode(indices, max_probs, collapse=True)
        if label is None:
            return texts
        label = _to_numpy(label)
        if label.ndim == 1:
            label = label[None]
        return texts, self.decode(label, None, collapse=False)
