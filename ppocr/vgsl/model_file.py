"""Standalone VGSL recognition models (``tools/train.py -o Global.stop_training=true``), optionally int8.

A converted model is two files (plus a codec copy) under one prefix, e.g. ``output/vgsl/model``:

* ``model.pdparams``: the weights. Float models hold the plain ``state_dict``; int8 models hold,
  for each quantised weight ``k``, an int8 tensor ``k`` and its float32 per-channel scales
  ``k@scale`` (``w ~= q * scale`` along the channel axis; biases and norms stay float32).
* ``model.json``: ``format``, ``spec`` (with the class count resolved), ``codec`` (the full codec),
  ``preprocess`` (the label-free Eval transforms), ``quantized`` (the int8 keys and their channel
  axes, empty for float) and ``eval`` (CER before/after quantisation when measured).
* ``model.codec.json``: the codec again, where evaluation and export look for a checkpoint's codec.

Quantisation is post-training, symmetric, per output channel: ``scale = max|w| / 127`` over every
axis but the channel axis (Linear ``[in, out]``: axis 1; LSTM/GRU ``[4H, in]`` and conv
``[out, in, kh, kw]``: axis 0), ``q = round(w / scale)`` clipped to -127..127. Loading dequantises,
so every consumer (``continue_from``, eval, export, predict) sees float weights.

Example:
    >>> save_model_file("out/model", model, codec, preprocess=[...], int8=True)
    >>> info = load_model_file("out/model")     # {'spec', 'codec', 'state', 'quantized', ...}
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any

import numpy as np
import paddle

from ppocr.utils import safe_pickle
from ppocr.utils.checkpoint import PREVIOUS, atomic_write, check_digests, write_file_set
from ppocr.utils.errors import CheckpointError, TornCheckpointError
from ppocr.vgsl.codec import Codec

logger = logging.getLogger(__name__)

FORMAT = "ppocr-vgsl-model/1"
SCALE_SUFFIX = "@scale"


def model_json(prefix: str) -> str:
    """``prefix.json``: the description of the converted model at ``prefix``."""
    return prefix + ".json"


def is_model_file(prefix: str) -> bool:
    """Whether ``prefix`` names a converted model (``prefix.json`` in this format)."""
    path = model_json(prefix)
    if not os.path.isfile(path):
        return False
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("format") == FORMAT
    except (ValueError, OSError):
        return False


def channel_axes(model: paddle.nn.Layer) -> dict[str, int]:
    """``{state_dict key: channel axis}`` of the weights worth quantising (2-D and wider)."""
    axes = {}
    for name, layer in model.named_sublayers(include_self=True):
        for pname, p in layer.named_parameters(include_sublayers=False):
            if len(p.shape) < 2:
                continue
            key = f"{name}.{pname}" if name else pname
            axes[key] = 1 if isinstance(layer, paddle.nn.Linear) else 0
    return axes


def quantize(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8: returns ``(q int8, scale float32)`` with ``w ~= q * scale``
    (``scale`` has the channel axis only, broadcastable after ``expand_dims``)."""
    w = np.asarray(w, dtype=np.float32)
    other = tuple(i for i in range(w.ndim) if i != axis)
    scale = np.abs(w).max(axis=other) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def dequantize(q: np.ndarray, scale: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * q.ndim
    shape[axis] = -1
    return q.astype(np.float32) * np.asarray(scale, dtype=np.float32).reshape(shape)


def quantized_state(model: paddle.nn.Layer) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The model's state with its weights int8-quantised; returns ``(state, {key: axis})``."""
    axes = channel_axes(model)
    state: dict[str, np.ndarray] = {}
    for key, value in model.state_dict().items():
        arr = value.numpy()
        if key in axes and arr.dtype == np.float32:
            state[key], state[key + SCALE_SUFFIX] = quantize(arr, axes[key])
        else:
            state[key] = arr
    return state, {k: axes[k] for k in axes if k + SCALE_SUFFIX in state}


def dequantized_state(state: dict[str, Any], quantized: dict[str, int]) -> dict[str, np.ndarray]:
    """Inverse of :func:`quantized_state` (float32 arrays, scale entries dropped)."""
    out = {}
    for key, value in state.items():
        if key.endswith(SCALE_SUFFIX):
            continue
        arr = value.numpy() if isinstance(value, paddle.Tensor) else np.asarray(value)
        if key in quantized:
            scale = state[key + SCALE_SUFFIX]
            arr = dequantize(arr, scale.numpy() if isinstance(scale, paddle.Tensor) else scale, quantized[key])
        out[key] = arr
    return out


def save_model_file(prefix: str, model: paddle.nn.Layer, codec, *, spec: str, preprocess: list | None = None,
                    int8: bool = False, extra: dict | None = None) -> dict:
    """Write ``prefix.pdparams``, ``prefix.json`` and ``prefix.codec.json``; returns the JSON dict.

    Args:
        prefix: output path without suffix.
        model: the recognition model (its ``state_dict`` keys are kept).
        codec: its :class:`~ppocr.vgsl.codec.Codec`.
        spec: the VGSL spec that rebuilds ``model``.
        preprocess: the label-free transforms a predictor runs (for the record).
        int8: quantise the weights (see the module docstring).
        extra: more JSON-able entries (e.g. ``eval``).
    """
    if int8:
        state, quantized = quantized_state(model)
    else:
        state, quantized = {k: v.numpy() for k, v in model.state_dict().items()}, {}
    info = {"format": FORMAT, "spec": spec, "codec": codec.to_dict(), "preprocess": preprocess or [],
            "quantized": quantized, **(extra or {})}

    def write_info(tmp: str, record: dict) -> None:   # last: the JSON names the files it belongs to
        info["files"] = record
        _dump_json(tmp, info)

    write_file_set(prefix, {".pdparams": lambda tmp: paddle.save({k: paddle.to_tensor(v) for k, v in state.items()},
                                                                  tmp),
                            ".codec.json": codec.save}, ".json", write_info)
    logger.info("recognition model written: %s.pdparams (%s, %d weights quantised), %s", prefix,
                "int8" if int8 else "float32", len(quantized), model_json(prefix))
    return info


def update_model_json(prefix: str, **entries: Any) -> None:
    """Add entries (e.g. the int8 accuracy report) to ``prefix.json``."""
    path = model_json(prefix)
    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    info.update(entries)
    _write_json(path, info)


def _dump_json(path: str, info: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(info, f, ensure_ascii=False, indent=1)


def _write_json(path: str, info: dict) -> None:
    atomic_write(path, lambda tmp: _dump_json(tmp, info))


def load_model_file(prefix: str) -> dict[str, Any]:
    """Read a converted model: ``{'spec', 'codec' (Codec), 'state' (float32 arrays), 'quantized', ...}``. When the
    write of ``prefix`` was interrupted, ``prefix.prev`` (the complete model it was replacing) is read instead.

    Raises:
        CheckpointError: missing, torn or foreign files.
    """
    try:
        return _load(prefix)
    except TornCheckpointError as e:
        prev = prefix + PREVIOUS
        if not is_model_file(prev):
            raise
        logger.warning("%s; reading %s, the complete model it was replacing", e, prev)
        return _load(prev)


def _load(prefix: str) -> dict[str, Any]:
    if not is_model_file(prefix):
        if is_model_file(prefix + PREVIOUS):
            raise TornCheckpointError(f"{model_json(prefix)} is missing: its write was interrupted")
        raise CheckpointError(f"{model_json(prefix)} is not a converted VGSL model ({FORMAT}); convert a checkpoint "
                              "with tools/train.py -c <config> -o Global.stop_training=true "
                              "Global.continue_from=<checkpoint>")
    if not os.path.isfile(prefix + ".pdparams"):
        raise TornCheckpointError(f"{prefix}.pdparams is missing beside {model_json(prefix)}")
    with open(model_json(prefix), encoding="utf-8") as f:
        info = json.load(f)
    check_digests({"_files": info.pop("files", {})}, prefix, model_json(prefix))
    state = safe_pickle.load_params(prefix + ".pdparams")
    info["state"] = dequantized_state(state, info.get("quantized") or {})
    info["codec"] = Codec.from_dict(info["codec"])
    return info
