"""Checkpoints in PaddleOCR's layout: ``prefix.pdparams``, ``prefix.pdopt``, ``prefix.states``.

Writes are atomic: each file goes to a temporary name and is renamed into place, ``.states``
last. ``.states`` records the size and hash of the other two files, so a checkpoint whose
rename sequence was interrupted is detected on load instead of being half-used.
"""
from __future__ import annotations

import glob
import hashlib
import logging
import os
import pickle
from typing import Any

import numpy as np
import paddle

from ppocr.utils.errors import CheckpointError

logger = logging.getLogger(__name__)

STATES_VERSION = 1


def _digest(path: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_replace(tmp: str, dst: str) -> None:
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dst)


def strip_suffix(path: str) -> str:
    """Accept ``x``, ``x.pdparams``, ``x.pdopt`` or ``x.states`` and return the prefix ``x``."""
    for suffix in (".pdparams", ".pdopt", ".states"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def save_checkpoint(prefix: str, model: paddle.nn.Layer, optimizer: paddle.optimizer.Optimizer | None,
                    states: dict[str, Any]) -> None:
    """Write ``prefix.{pdparams,pdopt,states}`` atomically.

    Args:
        prefix: path without suffix, e.g. ``output/rec/latest``.
        model: its ``state_dict`` goes to ``.pdparams`` (unwrapped from DataParallel).
        optimizer: its ``state_dict`` goes to ``.pdopt`` (skipped when None).
        states: picklable training state (epoch, step, best metric, RNG, scheduler...).
    """
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    tag = f".tmp{os.getpid()}"
    files = {"pdparams": layer.state_dict()}
    if optimizer is not None:
        files["pdopt"] = optimizer.state_dict()
    record = {}
    for ext, obj in files.items():
        paddle.save(obj, prefix + "." + ext + tag)
        record[ext] = _digest(prefix + "." + ext + tag)
    for ext in files:
        _fsync_replace(prefix + "." + ext + tag, prefix + "." + ext)
    full = dict(states, _files=record, _version=STATES_VERSION)
    with open(prefix + ".states" + tag, "wb") as f:
        pickle.dump(full, f, protocol=4)
    _fsync_replace(prefix + ".states" + tag, prefix + ".states")


def verify_checkpoint(prefix: str) -> dict[str, Any]:
    """Return the ``.states`` of a complete checkpoint, or raise CheckpointError saying what is wrong."""
    prefix = strip_suffix(prefix)
    if not os.path.isfile(prefix + ".pdparams"):
        raise CheckpointError(f"checkpoint {prefix}.pdparams not found; pass the prefix, "
                              f"e.g. -o Global.checkpoints=./output/rec/latest{_alternatives(prefix)}")
    if not os.path.isfile(prefix + ".states"):
        raise CheckpointError(f"{prefix}.states is missing, so training cannot resume exactly from {prefix}; "
                              f"use Global.pretrained_model={prefix} to load the weights only{_alternatives(prefix)}")
    try:
        with open(prefix + ".states", "rb") as f:
            states = pickle.load(f)
    except Exception as e:  # corrupt or foreign pickle
        raise CheckpointError(f"{prefix}.states cannot be read ({e}){_alternatives(prefix)}") from e
    for ext, digest in states.get("_files", {}).items():
        path = f"{prefix}.{ext}"
        if not os.path.isfile(path) or _digest(path) != digest:
            raise CheckpointError(f"{path} does not match {prefix}.states: the checkpoint was only partly "
                                  f"written (interrupted save){_alternatives(prefix)}")
    return states


def _alternatives(prefix: str) -> str:
    folder = os.path.dirname(os.path.abspath(prefix))
    found = []
    for states in sorted(glob.glob(os.path.join(folder, "*.states")), key=os.path.getmtime, reverse=True):
        cand = states[: -len(".states")]
        if cand != os.path.abspath(prefix):
            found.append(cand)
    return ("; other checkpoints in that folder: " + ", ".join(found[:5])) if found else ""


def load_checkpoint(prefix: str, model: paddle.nn.Layer, optimizer: paddle.optimizer.Optimizer | None) -> dict:
    """Restore weights and optimizer state for an exact resume; returns the ``.states`` dict."""
    prefix = strip_suffix(prefix)
    states = verify_checkpoint(prefix)
    params = paddle.load(prefix + ".pdparams")
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    own = layer.state_dict()
    missing = [k for k in own if k not in params]
    unexpected = [k for k in params if k not in own]
    bad_shape = [k for k in own if k in params and list(own[k].shape) != list(params[k].shape)]
    if missing or unexpected or bad_shape:
        raise CheckpointError(
            f"{prefix}.pdparams does not fit this model (missing {missing[:5]}, unexpected {unexpected[:5]}, "
            f"shape mismatch {bad_shape[:5]}); to start from its weights with a changed model use "
            f"Global.pretrained_model instead of Global.checkpoints")
    layer.set_state_dict(params)
    if optimizer is not None:
        if not os.path.isfile(prefix + ".pdopt"):
            raise CheckpointError(f"{prefix}.pdopt is missing; use Global.pretrained_model={prefix} "
                                  "to load the weights only")
        optimizer.set_state_dict(paddle.load(prefix + ".pdopt"))
    logger.info("resumed from %s (epoch %s, global_step %s)", prefix, states.get("epoch"), states.get("global_step"))
    return states


def load_pretrained(path: str, model: paddle.nn.Layer) -> dict[str, list[str]]:
    """Load matching weights only, reporting every skipped or shape-mismatched parameter.

    Returns:
        ``{'loaded': [...], 'missing': [...], 'unexpected': [...], 'mismatched': [...]}``.
    """
    prefix = strip_suffix(path)
    if not os.path.isfile(prefix + ".pdparams"):
        raise CheckpointError(f"pretrained model {prefix}.pdparams not found; Global.pretrained_model takes "
                              "the path without suffix, e.g. ./output/rec/best_accuracy")
    params = paddle.load(prefix + ".pdparams")
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    own = layer.state_dict()
    report = {"loaded": [], "missing": [], "unexpected": [k for k in params if k not in own], "mismatched": []}
    new_state = {}
    for key, value in own.items():
        if key not in params:
            report["missing"].append(key)
        elif list(value.shape) != list(params[key].shape):
            report["mismatched"].append(f"{key}: checkpoint {list(params[key].shape)} vs model {list(value.shape)}")
        else:
            new_state[key] = params[key]
            report["loaded"].append(key)
    layer.set_state_dict(new_state)
    logger.info("loaded %d/%d parameters from %s", len(report["loaded"]), len(own), prefix)
    for kind in ("missing", "unexpected", "mismatched"):
        for item in report[kind]:
            logger.warning("pretrained %s: %s", kind, item)
    return report


def rng_state() -> dict[str, Any]:
    import random
    return {"paddle": paddle.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def set_rng_state(state: dict[str, Any]) -> None:
    import random
    paddle.set_rng_state(state["paddle"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
