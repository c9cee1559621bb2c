"""Decoder of the text-direction classifier: class probabilities -> (label, score) (PaddleOCR's ``ClsPostProcess``)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import paddle

from ppocr.registry import POSTPROCESS
from ppocr.utils.label_list import check_label_list


def _to_numpy(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, paddle.Tensor) else np.asarray(x)


@POSTPROCESS.register()
class ClsPostProcess:
    """Arg-max over the classes; the score is that class's probability.

    Example:
        >>> post = ClsPostProcess(label_list=["0", "180"])
        >>> post(np.array([[0.1, 0.9], [0.8, 0.2]], np.float32))
        [('180', 0.9), ('0', 0.8)]

    Args:
        label_list: class names in index order (``Global.label_list``); ``None`` names the classes by
            their index (``'0'``, ``'1'``, ...), as PaddleOCR does without a list.
        key: read the probabilities from ``preds[key]`` when the model returns a dict (distillation).

    Attributes:
        label_list: the class names (``None`` when named by index).
    """

    def __init__(self, label_list: list[str] | None = None, key: str | None = None):
        self.label_list = None if label_list is None else check_label_list(label_list, "label_list")
        if key is not None and not isinstance(key, str):
            raise TypeError(f"key must be a string or null, got {key!r}")
        self.key = key

    def names(self, num_classes: int) -> list[str]:
        """The class names of a ``num_classes``-way output.

        Raises:
            ValueError: the output has another number of classes than ``label_list``.
        """
        if self.label_list is None:
            return [str(i) for i in range(num_classes)]
        if num_classes != len(self.label_list):
            raise ValueError(f"the model scores {num_classes} classes but label_list has {len(self.label_list)} "
                             f"({self.label_list}); set Architecture.Head.class_dim to len(Global.label_list)")
        return self.label_list

    def export_config(self) -> dict[str, Any]:
        """What a served model needs besides the config's ``PostProcess`` section: the class names."""
        return {"label_list": list(self.label_list)} if self.label_list is not None else {}

    def __call__(self, preds: Any, label: Any = None
                 ) -> list[tuple[str, float]] | tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Decode a batch.

        Args:
            preds: probabilities ``[B, C]`` (``paddle.Tensor`` or array), or a dict holding them under ``key``.
            label: optional class ids ``[B]`` (or ``[B, 1]``).

        Returns:
            ``[(label, score), ...]``; with ``label``, ``(predictions, [(true label, 1.0), ...])``.

        Raises:
            ValueError: wrong shape, a class count that differs from ``label_list``, or a dict without ``key``.
        """
        if isinstance(preds, dict):
            if self.key is None or self.key not in preds:
                raise ValueError(f"ClsPostProcess got a dict of outputs ({sorted(preds)}); set PostProcess.key to "
                                 "the one holding the class probabilities")
            preds = preds[self.key]
        probs = _to_numpy(preds)
        if probs.ndim != 2:
            raise ValueError(f"ClsPostProcess expects probabilities [B, C], got shape {tuple(probs.shape)}")
        names = self.names(probs.shape[1])
        idx = probs.argmax(axis=1)
        decoded = [(names[int(i)], float(probs[b, i])) for b, i in enumerate(idx)]
        if label is None:
            return decoded
        ids: Sequence[int] = _to_numpy(label).reshape(-1).astype(np.int64)
        if len(ids) != len(decoded):
            raise ValueError(f"ClsPostProcess got {len(decoded)} predictions but {len(ids)} labels")
        bad = [int(i) for i in ids if not 0 <= i < len(names)]
        if bad:
            raise ValueError(f"class id {bad[0]} is outside label_list {names}")
        return decoded, [(names[int(i)], 1.0) for i in ids]
