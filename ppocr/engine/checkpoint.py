"""Which weights a run starts from or evaluates: ``Global.checkpoints``, ``pretrained_model`` or the
checkpoint the model was built from. The file layout and atomic IO are :mod:`ppocr.utils.checkpoint`.

``Global.pretrained_model`` may also name an inference model folder (``inference.json`` or ``inference.pdmodel``
with ``inference.pdiparams``, e.g. a PaddleOCR release): its weights are imported by structure
(:mod:`ppocr.engine.inference_import`).
"""
from __future__ import annotations

import logging
import os

from ppocr.engine import contracts as C
from ppocr.engine.inference_import import import_inference_model, is_inference_model
from ppocr.utils.checkpoint import load_checkpoint, load_pretrained, newest_complete, strip_suffix, verify_checkpoint
from ppocr.utils.errors import CheckpointError, ConfigError, TornCheckpointError

logger = logging.getLogger(__name__)


def resume_source(g: dict, model) -> str | None:
    """What training resumes from exactly: ``Global.checkpoints``, else the checkpoint the model was built
    from (``model.checkpoint_path``, e.g. a model that reads its own checkpoint directory), else None."""
    return g.get("checkpoints") or (model.checkpoint_path if isinstance(model, C.BuiltFromCheckpoint) else None)


def resume(g: dict, model, optimizer) -> dict | None:
    """Restore weights and optimizer from :func:`resume_source`; returns the saved training state or None.

    A model with ``load_checkpoint(prefix, optimizer)`` reads its own checkpoint layout.
    """
    source = resume_source(g, model)
    if not source:
        return None
    if isinstance(model, C.SavesOwnCheckpoints):
        return model.load_checkpoint(source, optimizer)
    prefix, states = _resolve(source)
    return load_checkpoint(prefix, model, optimizer, states)


def resume_prefix(source: str) -> str:
    """The checkpoint ``Global.checkpoints`` means: a prefix as given, or for a folder (or a prefix whose save was
    interrupted) the newest complete checkpoint there; the choice is logged.

    Raises:
        CheckpointError: no complete checkpoint to resume from (the error of the prefix itself, naming others).
    """
    return _resolve(source)[0]


def _resolve(source: str) -> tuple[str, dict]:
    """:func:`resume_prefix` and the verified states of that checkpoint."""
    if os.path.isdir(source):
        found = newest_complete(source)
        if found is None:
            raise CheckpointError(f"Global.checkpoints={source} is a folder without a complete checkpoint "
                                  "(prefix.pdparams + prefix.states); pass a checkpoint prefix, e.g. .../latest")
        logger.info("resuming from %s: the complete checkpoint of %s that is furthest along (global_step %s)",
                    found[0], source, found[1].get("global_step"))
        return found
    try:
        return strip_suffix(source), verify_checkpoint(source)
    except TornCheckpointError as e:
        found = newest_complete(os.path.dirname(os.path.abspath(strip_suffix(source))))
        if found is None:
            raise
        logger.warning("%s; resuming from %s instead, the complete checkpoint of that folder that is furthest along "
                       "(global_step %s)", e, found[0], found[1].get("global_step"))
        return found


def load_pretrained_weights(source: str, model) -> dict[str, list[str]]:
    """Load weights only from ``source``: a checkpoint prefix (matching names, see
    :func:`ppocr.utils.checkpoint.load_pretrained`) or an inference model folder (imported by structure; the
    report is logged).

    Returns:
        ``{'loaded', 'missing', 'unexpected', 'mismatched'}`` key lists; for an inference model ``missing`` is
        empty: what it lacks are branches that do not run in eval mode (listed in the log).
    """
    if is_inference_model(source):
        report = import_inference_model(model, source)
        return {"loaded": report.loaded, "missing": [], "unexpected": [], "mismatched": []}
    return load_pretrained(strip_suffix(source), model)


def load_trained_weights(g: dict, model, what: str, order: tuple[str, ...] = ("checkpoints", "pretrained_model"),
                         strict: bool = False) -> str:
    """Load the weights evaluation, export and inference run with; returns where they came from.

    The first of ``Global.<order>`` that is set is used (``checkpoints`` is verified first), else
    the checkpoint the model was built from (``model.checkpoint_path``, set by the model's
    ``checkpoint_option`` config key). A model with ``load_weights(path)`` reads its own layout.

    Args:
        g: the ``Global`` section.
        model: the built model.
        what: the command, for the error message (``'eval'``, ``'export'``, ``'infer'``).
        order: the Global keys to try, in order.
        strict: raise when the weights leave parameters missing or mismatched.

    Raises:
        ConfigError: no weights are configured, or (``strict``) they do not fit the model.
        CheckpointError: a torn checkpoint or missing files.
    """
    key = next((k for k in order if g.get(k)), None)
    built = isinstance(model, C.BuiltFromCheckpoint)
    source = g[key] if key else (model.checkpoint_path if built else None)
    if not source:
        extra = f" (or -o {model.checkpoint_option}=./output/.../best_accuracy)" if built else ""
        raise ConfigError(f"{what} needs weights: pass -o Global.{order[0]}=./output/.../best_accuracy{extra}")
    if isinstance(model, C.LoadsOwnWeights):
        model.load_weights(source)  # also when built from it: the model checks the checkpoint was saved completely
        return source
    if key == "checkpoints":
        verify_checkpoint(source)
    report = load_pretrained_weights(source, model)
    if strict and (report["missing"] or report["mismatched"]):
        raise ConfigError(f"{source} does not fit the model in this config (missing {report['missing'][:3]}, "
                          f"mismatched {report['mismatched'][:3]}); {what} with the config it was trained with")
    return source
