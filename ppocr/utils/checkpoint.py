"""Checkpoints in PaddleOCR's layout: ``prefix.pdparams``, ``prefix.pdopt``, ``prefix.states``.

Writes are atomic: each file goes to a temporary name and is renamed into place, ``.states``
last. ``.states`` records the size and hash of the other two files, so a checkpoint whose
rename sequence was interrupted is detected on load instead of being half-used.
"""
from __future__ import annotations

import errno
import glob
import hashlib
import logging
import os
import pickle
import shutil
from typing import Any, Callable

import numpy as np
import paddle

from ppocr.utils import safe_pickle
from ppocr.utils.errors import CheckpointError, TornCheckpointError

logger = logging.getLogger(__name__)

STATES_VERSION = 1


def file_digest(path: str) -> str:
    """The hash a checkpoint's states record for one of its files."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_replace(tmp: str, dst: str) -> None:
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dst)


def atomic_write(path: str, write: Callable[[str], None]) -> str:
    """Write a file as a whole: ``write(tmp)`` fills a temporary file beside ``path``, which is synced and renamed
    onto ``path``. Returns the file's :func:`file_digest`. An interrupted write leaves the old file in place.
    The temporary name keeps ``path``'s extension (writers that choose a format by it see the same one)."""
    base, ext = os.path.splitext(path)
    tmp = f"{base}.tmp{os.getpid()}{ext}"
    try:
        write(tmp)
        digest = file_digest(tmp)
        _fsync_replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return digest


def write_states(path: str, states: dict[str, Any]) -> None:
    """Write a training-state file (plain data: numbers, strings, lists, dicts, arrays) at ``path``."""
    with open(path, "wb") as f:
        pickle.dump(states, f, protocol=4)


def read_states(path: str, hint: str = "") -> dict[str, Any]:
    """Read a training-state file; ``hint`` is appended to the error.

    Raises:
        CheckpointError: unreadable or not a state file.
    """
    try:
        states = safe_pickle.load(path)
    except CheckpointError as e:
        raise CheckpointError(f"{path} cannot be read: {e}{hint}") from e
    if not isinstance(states, dict):
        raise CheckpointError(f"{path} cannot be read: it holds a {type(states).__name__}, not a state mapping{hint}")
    return states


def check_digests(states: dict[str, Any], paths: dict[str, str], states_path: str, hint: str = "") -> None:
    """Check that each file the states record (``states['_files']``: key -> hash) is at ``paths[key]`` unchanged.

    Raises:
        CheckpointError: a file is missing or differs: the save was interrupted.
    """
    for key, digest in states.get("_files", {}).items():
        path = paths[key]
        if not os.path.isfile(path) or file_digest(path) != digest:
            raise TornCheckpointError(f"{path} does not match {states_path}: the checkpoint was only partly "
                                      f"written (interrupted save){hint}")


def set_state_strict(layer: paddle.nn.Layer, params: dict, source: str, fix: str) -> None:
    """Load ``params`` into ``layer`` when every parameter matches by name and shape.

    Raises:
        CheckpointError: naming the missing, unexpected and mismatched parameters, then ``fix``.
    """
    own = layer.state_dict()
    missing = [k for k in own if k not in params]
    unexpected = [k for k in params if k not in own]
    bad_shape = [k for k in own if k in params and list(own[k].shape) != list(params[k].shape)]
    if missing or unexpected or bad_shape:
        raise CheckpointError(f"{source} does not fit this model (missing {missing[:5]}, unexpected {unexpected[:5]}, "
                              f"shape mismatch {bad_shape[:5]}); {fix}")
    layer.set_state_dict(params)


def load_optimizer_state(optimizer, path: str, fix: str) -> None:
    """Restore ``optimizer`` from ``path`` (``prefix.pdopt``).

    Raises:
        CheckpointError: the file is missing, then ``fix``.
    """
    if not os.path.isfile(path):
        raise CheckpointError(f"{path} is missing; {fix}")
    state = safe_pickle.load_params(path)
    optimizer.set_state_dict({k: paddle.to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in state.items()})


def strip_suffix(path: str) -> str:
    """Accept ``x``, ``x.pdparams``, ``x.pdopt`` or ``x.states`` and return the prefix ``x``."""
    for suffix in (".pdparams", ".pdopt", ".states"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def save_checkpoint(prefix: str, model: paddle.nn.Layer, optimizer: paddle.optimizer.Optimizer | None,
                    states: dict[str, Any]) -> None:
    """Write ``prefix.{pdparams,pdopt,states}`` so that ``prefix`` is always the old or the new checkpoint.

    Every file is written under a temporary name first (a full disk raises here, with the old
    checkpoint untouched). The old checkpoint's files are then hard-linked as ``prefix.prev.*``, the
    new files renamed into place (``.states`` last) and the links removed. A crash at any point leaves
    a complete checkpoint under ``prefix`` or ``prefix.prev``, which resuming from the folder finds.

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
    record, written = {}, []
    try:
        for ext, obj in files.items():
            written.append(prefix + "." + ext + tag)
            paddle.save(obj, written[-1])
            record[ext] = file_digest(written[-1])
        written.append(prefix + ".states" + tag)
        write_states(written[-1], dict(states, _files=record, _version=STATES_VERSION))
    except OSError as e:
        for path in written:
            if os.path.exists(path):
                os.remove(path)
        full = " (the disk is full)" if e.errno == errno.ENOSPC else ""
        raise CheckpointError(f"cannot write checkpoint {prefix}: {e.strerror or e}{full}; nothing was replaced, "
                              f"so the previous {os.path.basename(prefix)} is intact; free space or point "
                              "Global.save_model_dir elsewhere") from e
    _keep_previous(prefix)
    for ext in files:
        _fsync_replace(prefix + "." + ext + tag, prefix + "." + ext)
    _fsync_replace(prefix + ".states" + tag, prefix + ".states")
    _remove(prefix + PREVIOUS)


#: suffix of the previous version of a checkpoint while it is being replaced
PREVIOUS = ".prev"
_EXTS = ("pdparams", "pdopt", "states")


def _remove(prefix: str) -> None:
    for ext in _EXTS:
        if os.path.exists(f"{prefix}.{ext}"):
            os.remove(f"{prefix}.{ext}")


def _keep_previous(prefix: str) -> None:
    """Hard-link (else copy) the current complete checkpoint ``prefix`` as ``prefix.prev`` (``.states`` last)."""
    prev = prefix + PREVIOUS
    _remove(prev)
    if not os.path.isfile(prefix + ".states"):
        return
    for ext in _EXTS:
        src = f"{prefix}.{ext}"
        if os.path.isfile(src):
            try:
                os.link(src, f"{prev}.{ext}")
            except OSError:  # a file system without hard links
                shutil.copy2(src, f"{prev}.{ext}")


def verify_checkpoint(prefix: str) -> dict[str, Any]:
    """Return the ``.states`` of a complete checkpoint, or raise CheckpointError saying what is wrong."""
    prefix = strip_suffix(prefix)
    if not os.path.isfile(prefix + ".pdparams"):
        raise CheckpointError(f"checkpoint {prefix}.pdparams not found; pass the prefix, "
                              f"e.g. -o Global.checkpoints=./output/rec/latest{_alternatives(prefix)}")
    if not os.path.isfile(prefix + ".states"):
        raise CheckpointError(f"{prefix}.states is missing, so training cannot resume exactly from {prefix}; "
                              f"use Global.pretrained_model={prefix} to load the weights only{_alternatives(prefix)}")
    states = read_states(prefix + ".states", _alternatives(prefix))
    check_digests(states, {ext: f"{prefix}.{ext}" for ext in ("pdparams", "pdopt")}, prefix + ".states",
                  _alternatives(prefix))
    return states


def newest_complete(folder: str) -> tuple[str, dict[str, Any]] | None:
    """The complete checkpoint of ``folder`` that is furthest along (highest ``global_step``, then newest file),
    with its states; None when the folder holds none. Torn or unreadable ones are passed over."""
    found = []
    for states_path in glob.glob(os.path.join(folder, "*.states")):
        prefix = states_path[: -len(".states")]
        try:
            states = verify_checkpoint(prefix)
        except CheckpointError:
            continue
        found.append((int(states.get("global_step", 0) or 0), os.path.getmtime(states_path), prefix, states))
    if not found:
        return None
    _, _, prefix, states = max(found)
    return prefix, states


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
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    set_state_strict(layer, safe_pickle.load_params(prefix + ".pdparams"), f"{prefix}.pdparams",
                     "to start from its weights with a changed model use Global.pretrained_model instead of "
                     "Global.checkpoints")
    if optimizer is not None:
        load_optimizer_state(optimizer, prefix + ".pdopt", f"use Global.pretrained_model={prefix} to load the "
                                                           "weights only")
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
    params = safe_pickle.load_params(prefix + ".pdparams")
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
