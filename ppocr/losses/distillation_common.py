"""What the det and rec distillation losses share: reading ``model_name_list`` / ``model_name_pairs`` and picking a
model's output out of a ``DistillationModel``'s ``{model_name: output}``.

PaddleOCR writes a single pair either as ``[[Student, Teacher]]`` or as ``[Student, Teacher]``; both are read here.
"""
from __future__ import annotations

from typing import Any

from ppocr.utils.errors import ConfigError, DataError

#: PaddleOCR's name of the guiding (NRTR) branch of a MultiHead; our MultiHead calls it ``nrtr``
BRANCH_ALIASES = {"gtc": ("gtc", "nrtr"), "nrtr": ("nrtr", "gtc")}


def model_names(value: Any, arg: str = "model_name_list") -> list[str]:
    """``value`` as a non-empty list of model names.

    Raises:
        ConfigError: anything else.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{arg} must be a non-empty list of model names (Architecture.Models keys), got {value!r}")
    return list(value)


def model_pairs(value: Any) -> list[tuple[str, str]]:
    """``[[a, b], ...]`` or one ``[a, b]`` as a list of pairs.

    Raises:
        ConfigError: anything else.
    """
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(n, str) for n in p) for p in value):
        raise ConfigError(f"model_name_pairs must be [[name, name], ...] (or one [name, name]), e.g. "
                          f"[[Student, Teacher]], got {value!r}")
    return [tuple(p) for p in value]


def pick(preds: Any, name: str, key: str | None = None) -> Any:
    """``preds[name]`` (then ``[key]`` when given) with errors that say what is there.

    Raises:
        ConfigError: the model or the key is not in the output.
    """
    if not isinstance(preds, dict) or name not in preds:
        have = sorted(preds) if isinstance(preds, dict) else type(preds).__name__
        raise ConfigError(f"the loss names model {name!r}, but the model outputs {have}; use the names of "
                          "Architecture.Models (the Architecture must be a DistillationModel)")
    out = preds[name]
    if key is None:
        return out
    if not isinstance(out, dict) or key not in out:
        have = sorted(out) if isinstance(out, dict) else type(out).__name__
        raise ConfigError(f"key {key!r} is not in the output of model {name!r} (it has {have}); recognition "
                          "models give 'head_out' with return_all_feats: true, detection models 'maps'")
    return out[key]


def branch(out: Any, name: str, model: str) -> Any:
    """The ``name`` branch of a MultiHead's training output (``ctc``, ``gtc``/``nrtr``, ``sar``).

    Raises:
        DataError: ``out`` is not such an output or lacks the branch.
    """
    if not isinstance(out, dict):
        raise DataError(f"model {model!r}: multi_head losses need a MultiHead's training output (a dict with "
                        f"'ctc' and 'gtc'/'sar'), got {type(out).__name__}")
    for k in BRANCH_ALIASES.get(name, (name,)):
        if k in out:
            return out[k]
    raise DataError(f"model {model!r}: the MultiHead output has no {name!r} branch (it has {sorted(out)})")
