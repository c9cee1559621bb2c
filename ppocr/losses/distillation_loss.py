"""Deep mutual learning between two models of a ``DistillationModel`` (PaddleOCR's ``DistillationDMLLoss``).

Detection (CML) compares the shrink maps of two students::

    - DistillationDMLLoss: {weight: 1.0, model_name_pairs: [Student, Student2], maps_name: thrink_maps, key: maps}

Recognition compares two models' CTC (or other) branch with ``multi_head: true`` and ``dis_head``.
"""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.losses.distillation_common import branch, model_pairs, pick
from ppocr.registry import LOSSES
from ppocr.utils.errors import ConfigError

#: PaddleOCR's names of the DB head's three maps (``thrink`` is its spelling) and their channels
MAP_CHANNELS = {"thrink_maps": 0, "threshold_maps": 1, "binary_maps": 2}


def symmetric_kl(p1: paddle.Tensor, p2: paddle.Tensor, eps: float = 1e-5) -> paddle.Tensor:
    """``(p2 log((p2+e)/(p1+e)+e) + p1 log((p1+e)/(p2+e)+e)) / 2`` per element (PaddleOCR's ``KLJSLoss`` 'kl')."""
    loss = p2 * paddle.log((p2 + eps) / (p1 + eps) + eps) + p1 * paddle.log((p1 + eps) / (p2 + eps) + eps)
    return loss * 0.5


def batch_kl(log_p: paddle.Tensor, q: paddle.Tensor, eps: float = 1e-10) -> paddle.Tensor:
    """``sum(q * (log(q + eps) - log_p)) / batch``: KL(q || p) summed over everything, averaged over the batch."""
    return (q * (paddle.log(q + eps) - log_p)).sum() / q.shape[0]


@LOSSES.register()
class DistillationDMLLoss(nn.Layer):
    """Mutual learning: a symmetric divergence between the outputs of each pair of models.

    * ``use_log: false`` (detection): the symmetric KL of :func:`symmetric_kl` (eps 1e-5) of the two maps,
      averaged over the pixels of each image and then over the batch. PaddleOCR returns the per-image
      values ``[B]`` and lets the total loss become that vector (its backward sums it): the logged value is
      the same, the gradient here is the batch mean.
    * ``use_log: true`` (recognition): ``(KL(p2 || p1) + KL(p1 || p2)) / 2`` with :func:`batch_kl`.

    ``act`` (``softmax`` or ``sigmoid``) is applied first (plus 1e-10), as PaddleOCR does.

    Args:
        model_name_pairs: ``[[a, b], ...]`` or one ``[a, b]``.
        act: ``softmax``, ``sigmoid`` or null.
        use_log: see above.
        key: the entry of each model's output (``maps`` for DB, ``head_out`` for recognition).
        multi_head: the outputs are MultiHead outputs; compare their ``dis_head`` branch.
        dis_head: the branch (``ctc``, ``gtc``/``nrtr``, ``sar``).
        maps_name: compare these DB maps (``thrink_maps``, ``threshold_maps``, ``binary_maps``; a name or a
            list) instead of the whole output.
        name: prefix of the logged terms: ``<name>_<pair index>``, or ``<name>_<map>_<pair index>``.

    Shape:
        Output ``{terms..., "loss": their sum}``, scalars.
    """

    def __init__(self, model_name_pairs: list = (("Student", "Teacher"),), act: str | None = None,
                 use_log: bool = False, key: str | None = None, multi_head: bool = False, dis_head: str = "ctc",
                 maps_name: str | list[str] | None = None, name: str = "dml"):
        super().__init__()
        if act not in (None, "softmax", "sigmoid"):
            raise ConfigError(f"act must be softmax, sigmoid or null, got {act!r}")
        for arg, v in (("use_log", use_log), ("multi_head", multi_head)):
            if not isinstance(v, bool):
                raise ConfigError(f"{arg} must be true or false, got {v!r}")
        maps = [maps_name] if isinstance(maps_name, str) else list(maps_name or [])
        unknown = [m for m in maps if m not in MAP_CHANNELS]
        if unknown:
            raise ConfigError(f"maps_name must name DB maps {list(MAP_CHANNELS)}, got {unknown[0]!r}")
        self.model_name_pairs = model_pairs(model_name_pairs)
        self.act, self.use_log, self.key = act, use_log, key
        self.multi_head, self.dis_head, self.maps_name, self.name = multi_head, dis_head, maps, name

    def _divergence(self, a: paddle.Tensor, b: paddle.Tensor) -> paddle.Tensor:
        if self.act == "softmax":
            a, b = F.softmax(a, axis=-1) + 1e-10, F.softmax(b, axis=-1) + 1e-10
        elif self.act == "sigmoid":
            a, b = F.sigmoid(a) + 1e-10, F.sigmoid(b) + 1e-10
        if self.use_log:
            return (batch_kl(paddle.log(a), b) + batch_kl(paddle.log(b), a)) / 2.0
        loss = symmetric_kl(a, b)
        return loss.reshape([loss.shape[0], -1]).mean(axis=1).mean()

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out: dict[str, paddle.Tensor] = {}
        for i, (a, b) in enumerate(self.model_name_pairs):
            oa, ob = pick(preds, a, self.key), pick(preds, b, self.key)
            if self.maps_name:
                for m in self.maps_name:
                    c = MAP_CHANNELS[m]
                    out[f"{self.name}_{m}_{i}"] = self._divergence(oa[:, c], ob[:, c])
                continue
            if self.multi_head:
                oa, ob = branch(oa, self.dis_head, a), branch(ob, self.dis_head, b)
            out[f"{self.name}_{i}"] = self._divergence(oa, ob)
        out["loss"] = paddle.add_n(list(out.values()))
        return out
