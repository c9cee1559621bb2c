"""Checkpoints in PaddleOCR's layout: ``prefix.pdparams``, ``prefix.pdopt``, ``prefix.states``.

A save writes every file under a temporary name, keeps the previous files as ``prefix.prev.*``
while the new ones are renamed in (``.states`` last) and then drops them (:func:`save_checkpoint`).
``.states`` records the hash of the other two files, so a checkpoint whose renames were interrupted
is detected on load instead of being half-used. Files are read without running code
(:mod:`ppocr.utils.safe_pickle`).
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
#: suffix of the previous version of a checkpoint while it is being replaced
PREVIOUS = ".prev"


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


def read_states(path: str) -> dict[str, Any]:
    """Read a training-state file.

    Raises:
        CheckpointError: unreadable or not a state file.
    """
    try:
        states = safe_pickle.load(path)
    except CheckpointError as e:
        raise CheckpointError(f"{path} cannot be read: {e}") from e
    if not isinstance(states, dict):
        raise CheckpointError(f"{path} cannot be read: it holds a {type(states).__name__}, not a state mapping")
    return states


def check_digests(states: dict[str, Any], paths: dict[str, str] | str, states_path: str) -> None:
    """Check that each file the states record (``states['_files']``: key -> hash) is at ``paths[key]`` unchanged
    (``paths`` a prefix: at ``prefix.key``, as :func:`write_file_set` records them).

    Raises:
        CheckpointError: a file is missing or differs: the save was interrupted.
    """
    for key, digest in states.get("_files", {}).items():
        path = f"{paths}.{key}" if isinstance(paths, str) else paths[key]
        if not os.path.isfile(path) or file_digest(path) != digest:
            raise TornCheckpointError(f"{path} does not match {states_path}: the checkpoint was only partly "
                                      "written (interrupted save)")


def compare_state(own: dict, params: dict) -> dict[str, list[str]]:
    """How ``params`` fits a model's ``own`` state dict: ``{'loaded', 'missing', 'unexpected', 'mismatched'}``
    parameter names (``mismatched``: present with another shape)."""
    report: dict[str, list[str]] = {"loaded": [], "missing": [], "unexpected": [k for k in params if k not in own],
                                    "mismatched": []}
    for key, value in own.items():
        if key not in params:
            report["missing"].append(key)
        elif list(value.shape) != list(params[key].shape):
            report["mismatched"].append(key)
        else:
            report["loaded"].append(key)
    return report


def set_state_strict(layer: paddle.nn.Layer, params: dict, source: str, fix: str) -> None:
    """Load ``params`` into ``layer`` when every parameter matches by name and shape.

    Raises:
        CheckpointError: naming the missing, unexpected and mismatched parameters, then ``fix``.
    """
    r = compare_state(layer.state_dict(), params)
    if r["missing"] or r["unexpected"] or r["mismatched"]:
        raise CheckpointError(f"{source} does not fit this model (missing {r['missing'][:5]}, unexpected "
                              f"{r['unexpected'][:5]}, shape mismatch {r['mismatched'][:5]}); {fix}")
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


def write_file_set(prefix: str, files: dict[str, Callable[[str], None]], manifest: str,
                   write_manifest: Callable[[str, dict[str, str]], None]) -> None:
    """Write the files of one saved thing so that ``prefix`` is always the old or the new set, never a mix.

    ``files[suffix](tmp)`` writes ``prefix + suffix``'s content to ``tmp``; then ``write_manifest(tmp, digests)``
    writes the manifest (``prefix + manifest``), which must record ``digests`` (``{suffix without its leading
    dot: file_digest}``) so that a reader can tell a complete set from a torn one. Every file is written under
    a temporary name first (a full disk raises CheckpointError here, with the old files untouched). The old
    set is then hard-linked as ``prefix.prev + suffix``, the new files renamed into place (the manifest last)
    and the links removed. A crash at any point leaves a complete set under ``prefix`` or ``prefix.prev``.
    """
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    remove_stale_temporaries(prefix)
    tag = f".tmp{os.getpid()}"
    suffixes = [*files, manifest]
    record, written = {}, []
    try:
        for suffix, write in files.items():
            written.append(prefix + tag + suffix)   # the temporary name keeps the suffix (writers choose formats by it)
            write(written[-1])
            record[suffix.lstrip(".")] = file_digest(written[-1])
        written.append(prefix + tag + manifest)
        write_manifest(written[-1], record)
    except OSError as e:
        for path in written:
            if os.path.exists(path):
                os.remove(path)
        raise save_failed(prefix, e) from e
    _keep_previous(prefix, suffixes)
    for suffix in suffixes:   # the manifest last
        _fsync_replace(prefix + tag + suffix, prefix + suffix)
    _remove(prefix + PREVIOUS, suffixes)


def save_failed(prefix: str, e: OSError) -> CheckpointError:
    """The error of a save that failed before anything was replaced (a full disk, a read-only folder)."""
    full = " (the disk is full)" if e.errno == errno.ENOSPC else ""
    return CheckpointError(f"cannot write checkpoint {prefix}: {e.strerror or e}{full}; nothing was replaced, so the "
                           f"previous {os.path.basename(prefix)} is intact; free space or write elsewhere "
                           "(Global.save_model_dir)")


def remove_stale_temporaries(prefix: str) -> None:
    """Remove ``prefix.tmp*`` files and folders that a killed save left behind (only one process saves a prefix)."""
    for stale in glob.glob(glob.escape(prefix) + ".tmp*"):
        if os.path.isdir(stale):
            shutil.rmtree(stale, ignore_errors=True)
        elif os.path.exists(stale):
            os.remove(stale)


def save_checkpoint(prefix: str, model: paddle.nn.Layer, optimizer: paddle.optimizer.Optimizer | None,
                    states: dict[str, Any], side_files: dict[str, Callable[[str], None]] | None = None) -> None:
    """Write ``prefix.{pdparams,pdopt,states}`` (and side files) so that ``prefix`` is always the old or the new
    checkpoint (:func:`write_file_set`; ``.states`` is the manifest).

    Args:
        prefix: path without suffix, e.g. ``output/rec/latest``.
        model: its ``state_dict`` goes to ``.pdparams`` (unwrapped from DataParallel).
        optimizer: its ``state_dict`` goes to ``.pdopt`` (skipped when None).
        states: picklable training state (epoch, step, best metric, RNG, scheduler...).
        side_files: ``{suffix: write(path)}`` files that belong to the checkpoint (e.g. ``.codec.json``).
    """
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    files = {".pdparams": lambda tmp: paddle.save(layer.state_dict(), tmp)}
    if optimizer is not None:
        files[".pdopt"] = lambda tmp: paddle.save(optimizer.state_dict(), tmp)
    files.update(side_files or {})
    write_file_set(prefix, files, ".states",
                   lambda tmp, record: write_states(tmp, dict(states, _files=record, _version=STATES_VERSION)))


def _remove(prefix: str, suffixes) -> None:
    for suffix in suffixes:
        if os.path.exists(prefix + suffix):
            os.remove(prefix + suffix)


def _keep_previous(prefix: str, suffixes: list[str]) -> None:
    """Hard-link (else copy) the current complete set ``prefix`` as ``prefix.prev`` (its manifest, the last
    suffix, is required: without it there is no complete set to keep)."""
    prev = prefix + PREVIOUS
    _remove(prev, suffixes)
    if not os.path.isfile(prefix + suffixes[-1]):
        return
    for suffix in suffixes:
        src = prefix + suffix
        if os.path.isfile(src):
            try:
                os.link(src, prev + suffix)
            except OSError:  # a file system without hard links
                shutil.copy2(src, prev + suffix)


def verify_checkpoint(prefix: str) -> dict[str, Any]:
    """Return the ``.states`` of a complete checkpoint, or raise CheckpointError saying what is wrong."""
    prefix = strip_suffix(prefix)
    try:
        return _verified_states(prefix)
    except CheckpointError as e:  # the folder is listed only when something is wrong
        raise type(e)(f"{e}{_alternatives(prefix)}") from e


def _verified_states(prefix: str) -> dict[str, Any]:
    if not os.path.isfile(prefix + ".pdparams"):
        raise CheckpointError(f"checkpoint {prefix}.pdparams not found; pass the prefix, "
                              "e.g. -o Global.checkpoints=./output/rec/latest")
    if not os.path.isfile(prefix + ".states"):
        raise CheckpointError(f"{prefix}.states is missing, so training cannot resume exactly from {prefix}; "
                              f"use Global.pretrained_model={prefix} to load the weights only")
    states = read_states(prefix + ".states")
    check_digests(states, prefix, prefix + ".states")
    return states


def newest_complete(folder: str) -> tuple[str, dict[str, Any]] | None:
    """The complete checkpoint of ``folder`` that is furthest along (highest ``global_step``, then newest file),
    with its states; None when the folder holds none. Torn or unreadable ones are passed over."""
    ranked = []
    for states_path in glob.glob(os.path.join(folder, "*.states")):
        try:
            step = int(read_states(states_path).get("global_step", 0) or 0)
        except CheckpointError:
            continue
        ranked.append((step, os.path.getmtime(states_path), states_path[: -len(".states")]))
    for _, _, prefix in sorted(ranked, reverse=True):  # files are hashed only until one is complete
        try:
            return prefix, _verified_states(prefix)
        except CheckpointError:
            continue
    return None


def _alternatives(prefix: str) -> str:
    folder = os.path.dirname(os.path.abspath(prefix))
    found = []
    for states in sorted(glob.glob(os.path.join(folder, "*.states")), key=os.path.getmtime, reverse=True):
        cand = states[: -len(".states")]
        if cand != os.path.abspath(prefix):
            found.append(cand)
    return ("; other checkpoints in that folder: " + ", ".join(found[:5])) if found else ""


def load_checkpoint(prefix: str, model: paddle.nn.Layer, optimizer: paddle.optimizer.Optimizer | None,
                    states: dict[str, Any] | None = None) -> dict:
    """Restore weights and optimizer state for an exact resume; returns the ``.states`` dict.

    ``states``: what :func:`verify_checkpoint` already returned for ``prefix`` (it is not verified again).
    """
    prefix = strip_suffix(prefix)
    states = verify_checkpoint(prefix) if states is None else states
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
    if isinstance(path, str) and path.lower().startswith(("http://", "https://")):
        raise CheckpointError(f"Global.pretrained_model is a URL ({path}); this toolkit never downloads: fetch "
                              "the file yourself and pass its local path without suffix, or leave "
                              "pretrained_model empty to start from scratch")
    if not os.path.isfile(prefix + ".pdparams"):
        raise CheckpointError(f"pretrained model {prefix}.pdparams not found; Global.pretrained_model takes "
                              "the path without suffix, e.g. ./output/rec/best_accuracy")
    params = safe_pickle.load_params(prefix + ".pdparams")
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    own = layer.state_dict()
    report = compare_state(own, params)
    report["mismatched"] = [f"{k}: checkpoint {list(params[k].shape)} vs model {list(own[k].shape)}"
                            for k in report["mismatched"]]
    layer.set_state_dict({k: params[k] for k in report["loaded"]})
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
