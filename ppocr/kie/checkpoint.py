"""KIE checkpoints in PaddleOCR's layout: a paddlenlp model directory plus optimizer and training state.

::

    output/ser/best_accuracy/model_state.pdparams   weights (paddlenlp names, no 'backbone.model.' prefix)
    output/ser/best_accuracy/config.json            LayoutXLM config (+ model_config.json copy)
    output/ser/best_accuracy/metric.states          training state (epoch, global_step, best metric, ...)
    output/ser/best_accuracy.pdopt                  optimizer state

The directory is what ``Architecture.Backbone.checkpoints`` loads (weights at model build time);
``load_kie_checkpoint`` then restores the optimizer and returns the training state for an exact
resume. A checkpoint is the old or the new one after any crash: everything is written under
temporary names, the old directory is kept as ``prefix.prev`` while the new one is renamed in, and
``metric.states`` records the hash of the weights and optimizer files, so an interrupted save is
detected on load and ``prefix.prev`` used instead.

Example:
    >>> save_kie_checkpoint("output/ser/latest", model, optimizer, {"epoch": 3, "global_step": 120})
    >>> states = load_kie_checkpoint("output/ser/latest", optimizer)
"""
from __future__ import annotations

import logging
import os
import shutil
from typing import Any

import paddle

from ppocr.utils import safe_pickle
from ppocr.utils.checkpoint import (PREVIOUS, check_digests, file_digest, load_optimizer_state, read_states,
                                    remove_stale_temporaries, save_failed, set_state_strict,
                                    write_states)
from ppocr.utils.errors import CheckpointError

logger = logging.getLogger(__name__)

STATES_FILE = "metric.states"
WEIGHTS_FILE = "model_state.pdparams"


def _unwrap(model):
    return model._layers if isinstance(model, paddle.DataParallel) else model


def is_kie_checkpoint(path: str) -> bool:
    """Whether ``path`` is a KIE checkpoint directory (weights and ``metric.states``)."""
    return os.path.isfile(os.path.join(path, WEIGHTS_FILE)) and os.path.isfile(os.path.join(path, STATES_FILE))


def save_kie_checkpoint(prefix: str, model, optimizer, states: dict[str, Any]) -> None:
    """Write ``prefix/`` (model directory + ``metric.states``) and ``prefix.pdopt`` so that ``prefix`` is always the
    old or the new checkpoint, as :func:`ppocr.utils.checkpoint.save_checkpoint` does for file checkpoints.

    Everything is written under temporary names first (a full disk: CheckpointError, nothing replaced). Then the
    old directory is renamed to ``prefix.prev/`` (its ``.pdopt`` hard-linked as ``prefix.prev.pdopt``), the new
    directory and ``.pdopt`` renamed into place, and ``prefix.prev`` removed. After a crash at any point, either
    ``prefix`` or ``prefix.prev`` is complete, and :func:`usable_checkpoint` picks it.

    Args:
        prefix: checkpoint path without suffix, e.g. ``output/ser/best_accuracy``.
        model: a model with ``save_pretrained(dir)`` (``KIEModel``), possibly in DataParallel.
        optimizer: its state goes to ``prefix.pdopt`` (skipped when None).
        states: picklable training state.
    """
    layer = _unwrap(model)
    if not hasattr(layer, "save_pretrained"):
        raise CheckpointError(f"{type(layer).__name__} cannot be saved as a KIE model directory (no save_pretrained)")
    prefix = os.path.abspath(prefix.rstrip("/\\"))
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    remove_stale_temporaries(prefix)
    tag = f".tmp{os.getpid()}"
    tmp_dir, tmp_opt = prefix + tag, prefix + tag + ".pdopt"
    try:
        layer.save_pretrained(tmp_dir)
        record = {"weights": file_digest(os.path.join(tmp_dir, WEIGHTS_FILE))}
        if optimizer is not None:
            paddle.save(optimizer.state_dict(), tmp_opt)
            record["pdopt"] = file_digest(tmp_opt)
        write_states(os.path.join(tmp_dir, STATES_FILE), dict(states, _files=record))
    except OSError as e:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if os.path.exists(tmp_opt):
            os.remove(tmp_opt)
        raise save_failed(prefix, e) from e
    prev = prefix + PREVIOUS
    _remove_dir_checkpoint(prev)
    if os.path.isdir(prefix):
        if os.path.isfile(prefix + ".pdopt"):
            os.link(prefix + ".pdopt", prev + ".pdopt")
        os.replace(prefix, prev)
    os.replace(tmp_dir, prefix)
    if optimizer is not None:
        os.replace(tmp_opt, prefix + ".pdopt")
    _remove_dir_checkpoint(prev)


def _remove_dir_checkpoint(prefix: str) -> None:
    shutil.rmtree(prefix, ignore_errors=True)
    if os.path.exists(prefix + ".pdopt"):
        os.remove(prefix + ".pdopt")


def usable_checkpoint(prefix: str) -> str:
    """``prefix``, or ``prefix.prev`` when ``prefix`` is a torn or half-replaced save and ``prefix.prev`` is complete
    (a crash during :func:`save_kie_checkpoint`). A directory without ``metric.states`` (a released model) is
    returned as it is."""
    prefix = prefix.rstrip("/\\")
    prev = prefix + PREVIOUS
    if not os.path.isdir(prev):
        return prefix
    try:
        verify_kie_checkpoint(prefix)
        return prefix
    except CheckpointError as e:
        try:
            verify_kie_checkpoint(prev)
        except CheckpointError:
            return prefix
        logger.warning("%s: %s; using %s, the complete checkpoint it replaced", prefix, e, prev)
        return prev


def verify_kie_checkpoint(prefix: str) -> dict[str, Any]:
    """Return the training state of a complete checkpoint directory, or raise CheckpointError saying what is wrong."""
    prefix = prefix.rstrip("/\\")
    if not os.path.isfile(os.path.join(prefix, WEIGHTS_FILE)):
        raise CheckpointError(f"{prefix} is not a KIE checkpoint directory ({WEIGHTS_FILE} missing); pass the "
                              "directory, e.g. -o Architecture.Backbone.checkpoints=./output/ser/latest")
    states_path = os.path.join(prefix, STATES_FILE)
    if not os.path.isfile(states_path):
        raise CheckpointError(f"{states_path} is missing, so training cannot resume exactly from {prefix}; set "
                              f"Architecture.Backbone.pretrained: {prefix} (and checkpoints: null) to start from its "
                              "weights only")
    states = read_states(states_path)
    check_digests(states, {"weights": os.path.join(prefix, WEIGHTS_FILE), "pdopt": prefix + ".pdopt"}, states_path)
    return states


def load_kie_weights(layer, path: str) -> None:
    """Load the weights of a model directory into ``layer`` (the paddlenlp model it was saved from).

    Used for evaluation, export and inference. A directory with ``metric.states`` is checked
    first (an interrupted save is reported); one without it (e.g. a released PaddleOCR model)
    is loaded as it is. Every parameter must match by name and shape.

    Raises:
        CheckpointError: not a model directory, a torn checkpoint, or weights of another model.
    """
    path = path.rstrip("/\\")
    weights = os.path.join(path, WEIGHTS_FILE)
    if not os.path.isfile(weights):
        raise CheckpointError(f"{path} is not a KIE model directory ({WEIGHTS_FILE} missing); pass the directory a "
                              "KIE run saved, e.g. -o Architecture.Backbone.checkpoints=./output/ser/best_accuracy")
    if os.path.isfile(os.path.join(path, STATES_FILE)):
        verify_kie_checkpoint(path)
    set_state_strict(layer, safe_pickle.load_params(weights), weights,
                     "use the config it was trained with (same Backbone name and num_classes)")
    logger.info("loaded KIE weights from %s", path)


def load_kie_checkpoint(prefix: str, optimizer=None) -> tuple[str, dict[str, Any]]:
    """Restore the optimizer and return ``(the checkpoint used, its training state)``: ``prefix``, or
    ``prefix.prev`` when the save of ``prefix`` was interrupted (:func:`usable_checkpoint`).

    The weights themselves are loaded when the model is built from ``Backbone.checkpoints``.
    """
    prefix = usable_checkpoint(prefix)
    states = verify_kie_checkpoint(prefix)
    if optimizer is not None:
        load_optimizer_state(optimizer, prefix + ".pdopt", f"set Architecture.Backbone.pretrained: {prefix} (and "
                                                           "checkpoints: null) to start from the weights only")
    logger.info("resuming from %s (epoch %s, global_step %s)", prefix, states.get("epoch"), states.get("global_step"))
    return prefix, states
