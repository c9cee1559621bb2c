"""Losses for KIE distillation (UDML): each model's own loss, and losses that pull two models together.

The model is a ``DistillationModel``: predictions are ``{model_name: output}``. PaddleOCR's UDML
configs combine these under ``CombinedLoss``::

    - DistillationVQASerTokenLayoutLMLoss: {weight: 1.0, model_name_list: [Student, Teacher], key: backbone_out,
                                            num_classes: 7}
    - DistillationSERDMLLoss: {weight: 1.0, act: softmax, use_log: true, model_name_pairs: [[Student, Teacher]],
                               key: backbone_out}
    - DistillationVQADistanceLoss: {weight: 0.5, mode: l2, model_name_pairs: [[Student, Teacher]],
                                    key: hidden_states_5, name: loss_5}
    - DistillationLossFromOutput: {weight: 1.0, model_name_list: [Student, Teacher], key: loss, reduction: mean}

Each returns a dict of named terms (no ``loss`` key); ``CombinedLoss`` adds them up.
"""
from __future__ import annotations

import re
from typing import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.losses.kie_vqa_loss import LossFromOutput, VQASerTokenLayoutLMLoss
from ppocr.registry import LOSSES
from ppocr.utils.errors import ConfigError, DataError

DISTANCE_MODES = {"l1": F.l1_loss, "l2": F.mse_loss, "smooth_l1": F.smooth_l1_loss}
ACTIVATIONS = ("softmax", "sigmoid", None)
_HIDDEN = re.compile(r"^hidden_states_(?P<layer>\d+)$")


def _names(value, arg: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value \
            or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{arg} must be a non-empty list of model names (Architecture.Models keys), got {value!r}")
    return list(value)


def _pairs(value) -> list[tuple[str, str]]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(n, str) for n in p) for p in value):
        raise ConfigError(f"model_name_pairs must be a list of [name, name] pairs, e.g. [[Student, Teacher]], "
                          f"got {value!r}")
    return [tuple(p) for p in value]


def _model_output(preds, name: str):
    if not isinstance(preds, dict) or name not in preds:
        have = sorted(preds) if isinstance(preds, dict) else type(preds).__name__
        raise ConfigError(f"the loss names model {name!r}, but the model outputs {have}; use the names of "
                          "Architecture.Models (the Architecture must be a DistillationModel)")
    return preds[name]


def _feature(out, key: str | None, name: str):
    """``out[key]``; ``hidden_states_<i>`` may also come from a stacked ``hidden_states`` ``[B, layers, ...]``."""
    if key is None:
        return out
    if isinstance(out, dict):
        if key in out:
            return out[key]
        m = _HIDDEN.match(key)
        if m and "hidden_states" in out:
            stacked, layer = out["hidden_states"], int(m.group("layer"))
            if layer >= stacked.shape[1]:
                raise ConfigError(f"key {key!r}: model {name!r} has {stacked.shape[1]} layers (hidden_states_0 .. "
                                  f"hidden_states_{stacked.shape[1] - 1})")
            return stacked[:, layer]
        raise ConfigError(f"key {key!r} is not in the output of model {name!r} (keys: {sorted(out)}); a model with "
                          "fewer layers than PaddleOCR's has fewer hidden_states_<i>")
    raise DataError(f"model {name!r} returned {type(out).__name__}, not a dict with {key!r}; distillation losses "
                    "need the training-mode outputs")


def _active_rows(x: paddle.Tensor, batch: dict) -> paddle.Tensor:
    """``x [..., L(+visual), C]`` -> ``[N, C]`` rows of the real tokens (attention mask 1)."""
    mask = batch.get("attention_mask")
    if mask is None:
        return x.reshape([-1, x.shape[-1]])
    length = mask.shape[-1]
    if len(x.shape) >= 3 and x.shape[-2] > length and x.shape[-2] % length:  # text + visual tokens: keep text
        x = x[..., :length, :]
    rows = x.reshape([-1, x.shape[-1]])
    active = mask.reshape([-1]) == 1
    if rows.shape[0] != active.shape[0]:
        raise DataError(f"the features have {rows.shape[0]} token rows but attention_mask has {active.shape[0]}")
    return rows[active]


@LOSSES.register()
class DistillationVQASerTokenLayoutLMLoss(nn.Layer):
    """The SER token loss of every model in ``model_name_list``, as ``<name>_<model>`` terms.

    Args:
        num_classes: BIO tags (see ``VQASerTokenLayoutLMLoss``).
        model_name_list: the models to train with the labels.
        key: the logits entry of each model's output (``backbone_out``).
        name: prefix of the logged terms.
    """

    def __init__(self, num_classes: int | None = None, model_name_list: Sequence[str] = ("Student",),
                 key: str | None = "backbone_out", name: str = "loss_ser"):
        super().__init__()
        self.model_name_list = _names(model_name_list, "model_name_list")
        self.loss = VQASerTokenLayoutLMLoss(num_classes=num_classes, key=key)
        self.name = name

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        return {f"{self.name}_{m}": self.loss(_model_output(preds, m), batch)["loss"] for m in self.model_name_list}


@LOSSES.register()
class DistillationLossFromOutput(nn.Layer):
    """The loss each model in ``model_name_list`` computed itself (RE), as ``<name>_<model>`` terms.

    Args:
        model_name_list: the models.
        key: the loss entry of each model's output.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        dist_key: accepted for PaddleOCR configs; must be null.
        name: prefix of the logged terms.
    """

    def __init__(self, model_name_list: Sequence[str] = ("Student",), key: str = "loss", reduction: str = "none",
                 dist_key: str | None = None, name: str = "loss_re"):
        super().__init__()
        if dist_key is not None:
            raise ConfigError(f"DistillationLossFromOutput.dist_key is not supported, got {dist_key!r}; leave it out")
        self.model_name_list = _names(model_name_list, "model_name_list")
        self.loss = LossFromOutput(key=key, reduction=reduction)
        self.name = name

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        return {f"{self.name}_{m}": self.loss(_model_output(preds, m), batch)["loss"] for m in self.model_name_list}


@LOSSES.register()
class DistillationSERDMLLoss(nn.Layer):
    """Deep mutual learning between two models' token predictions: the mean of KL(p1 || p2) and KL(p2 || p1).

    Computed over real tokens (attention mask 1); each KL is summed over classes and averaged
    over tokens.

    Args:
        act: ``'softmax'`` (or ``'sigmoid'``, or null for probabilities already) applied to the logits.
        use_log: must be true (PaddleOCR's KL form on log-probabilities).
        num_classes: accepted for PaddleOCR configs (the logits give the class count).
        model_name_pairs: ``[[a, b], ...]``; one term per pair.
        key: the logits entry of each model's output.
        name: prefix of the logged terms (``<name>_<pair index>``).
    """

    def __init__(self, act: str | None = "softmax", use_log: bool = True, num_classes: int | None = None,
                 model_name_pairs: Sequence = (("Student", "Teacher"),), key: str | None = "backbone_out",
                 name: str = "loss_dml_ser"):
        super().__init__()
        if act not in ACTIVATIONS:
            raise ConfigError(f"act must be softmax, sigmoid or null, got {act!r}")
        if use_log is not True:
            raise ConfigError(f"use_log must be true (KL on log-probabilities), got {use_log!r}")
        self.act, self.key, self.name = act, key, name
        self.model_name_pairs = _pairs(model_name_pairs)

    def _probs(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.act == "softmax":
            return F.softmax(x, axis=-1)
        if self.act == "sigmoid":
            return F.sigmoid(x)
        return x

    @staticmethod
    def _kl(p: paddle.Tensor, q: paddle.Tensor, eps: float = 1e-10) -> paddle.Tensor:
        """KL(q || p) with rows summed over classes, averaged over rows."""
        return (q * (paddle.log(q + eps) - paddle.log(p + eps))).sum(axis=-1).mean()

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out = {}
        for i, (a, b) in enumerate(self.model_name_pairs):
            pa = self._probs(_active_rows(_feature(_model_output(preds, a), self.key, a), batch))
            pb = self._probs(_active_rows(_feature(_model_output(preds, b), self.key, b), batch))
            out[f"{self.name}_{i}"] = (self._kl(pa, pb) + self._kl(pb, pa)) / 2.0
        return out


@LOSSES.register()
class DistillationVQADistanceLoss(nn.Layer):
    """Distance between two models' features (e.g. a hidden layer) over real tokens.

    Args:
        mode: ``'l1'``, ``'l2'`` (mean squared error) or ``'smooth_l1'``.
        model_name_pairs: ``[[a, b], ...]``; one term per pair.
        key: the feature entry, e.g. ``hidden_states_5`` (layer 5 of the transformer; for RE,
            taken from the stacked ``hidden_states``).
        index: accepted for PaddleOCR configs; must be null.
        name: prefix of the logged terms (``<name>_<mode>_<pair index>``).
    """

    def __init__(self, mode: str = "l2", model_name_pairs: Sequence = (("Student", "Teacher"),),
                 key: str | None = None, index: int | None = None, name: str = "loss_distance"):
        super().__init__()
        if mode not in DISTANCE_MODES:
            raise ConfigError(f"mode must be one of {sorted(DISTANCE_MODES)}, got {mode!r}")
        if index is not None:
            raise ConfigError(f"DistillationVQADistanceLoss.index is not supported, got {index!r}; leave it out")
        self.mode, self.key, self.name = mode, key, name
        self.model_name_pairs = _pairs(model_name_pairs)

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out = {}
        for i, (a, b) in enumerate(self.model_name_pairs):
            fa = _active_rows(_feature(_model_output(preds, a), self.key, a), batch)
            fb = _active_rows(_feature(_model_output(preds, b), self.key, b), batch)
            if fa.shape != fb.shape:
                raise ConfigError(f"{self.key}: models {a!r} and {b!r} have features of shapes {fa.shape} and "
                                  f"{fb.shape}; compare layers of the same width")
            out[f"{self.name}_{self.mode}_{i}"] = DISTANCE_MODES[self.mode](fa, fb)
        return out
