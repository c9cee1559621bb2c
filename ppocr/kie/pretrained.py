"""Local LayoutXLM model and tokenizer directories: where they are looked for and how they load.

Nothing here downloads. A *model directory* is what paddlenlp's ``save_pretrained`` writes:
``model_state.pdparams`` plus ``config.json`` (or the older ``model_config.json``). A
*tokenizer directory* holds ``sentencepiece.bpe.model`` and ``tokenizer_config.json``. The
starter tool (``tools/make_kie_starter.py``) writes both into one directory.

``pretrained: True`` in a config means the default directory of the model's mode, relative to
the working directory:

* ``mode: vi``   -> ``./pretrained/vi-layoutxlm-base-uncased``
* ``mode: base`` -> ``./pretrained/layoutxlm-base-uncased``

paddlenlp is imported lazily, so ``import ppocr`` works without it; the KIE components raise
a ``ConfigError`` with the install command when it is missing.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)

#: The pip command that installs paddlenlp in a way that works with Paddle 3.
PADDLENLP_PIP = 'pip install paddlenlp==2.8.1 huggingface_hub==0.23.4 aistudio-sdk==0.2.1 "datasets<3"'

PRETRAINED_ROOT = "./pretrained"
DEFAULT_MODEL_DIRS = {"vi": "vi-layoutxlm-base-uncased", "base": "layoutxlm-base-uncased"}
STARTER_HINT = ("to train from scratch instead, build a starter model from your own label files (no download): "
                "python3 tools/make_kie_starter.py --label_files train.json --out ./pretrained/starter_layoutxlm, "
                "and use that directory")

TOKENIZER_FILES = ("sentencepiece.bpe.model", "tokenizer_config.json")
#: Everything of a tokenizer directory that loading reads (what an export copies).
TOKENIZER_DIR_FILES = TOKENIZER_FILES + ("special_tokens_map.json", "added_tokens.json")
WEIGHTS_FILE = "model_state.pdparams"
CONFIG_FILES = ("config.json", "model_config.json")


def require_paddlenlp(what: str) -> Any:
    """Import and return ``paddlenlp.transformers``, or raise ConfigError naming ``what`` needs it."""
    try:
        import paddlenlp.transformers as transformers
    except ImportError as e:
        raise ConfigError(f"{what} needs paddlenlp, which is not installed ({e}); install it with: "
                          f"{PADDLENLP_PIP}") from e
    _quiet_paddlenlp()
    return transformers


def _quiet_paddlenlp() -> None:
    """paddlenlp logs every config/weights file it reads or writes at INFO; the toolkit logs the loads itself."""
    try:
        from paddlenlp.utils.log import logger as nlp_logger
    except ImportError:  # pragma: no cover - layout of other paddlenlp versions
        return
    if nlp_logger.logger.level < logging.WARNING:
        nlp_logger.set_level("WARNING")


def default_model_dir(mode: str) -> str:
    """The directory ``pretrained: True`` stands for in ``mode`` (``'vi'`` or ``'base'``)."""
    return os.path.join(PRETRAINED_ROOT, DEFAULT_MODEL_DIRS[mode])


def check_model_dir(path: str, where: str) -> str:
    """Return ``path`` if it is a model directory, else raise ConfigError saying what is missing."""
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{where}: expected a model directory path, got {path!r}")
    if not os.path.isdir(path):
        raise ConfigError(f"{where}: model directory {path!r} does not exist; it must hold {WEIGHTS_FILE} and "
                          f"config.json (what save_pretrained writes). This toolkit never downloads weights: "
                          f"copy them there; {STARTER_HINT}")
    missing = [] if os.path.isfile(os.path.join(path, WEIGHTS_FILE)) else [WEIGHTS_FILE]
    if not any(os.path.isfile(os.path.join(path, c)) for c in CONFIG_FILES):
        missing.append(" or ".join(CONFIG_FILES))
    if missing:
        raise ConfigError(f"{where}: {path!r} is not a model directory: {', '.join(missing)} missing "
                          f"(found {sorted(os.listdir(path))[:8]}); {STARTER_HINT}")
    return path


def resolve_pretrained(pretrained: Any, mode: str, where: str) -> str | None:
    """Turn a ``pretrained`` config value into a checked model directory, or ``None`` for False/null.

    Args:
        pretrained: ``True`` (the mode's default directory), a directory path, or False/None.
        mode: ``'vi'`` or ``'base'``.
        where: config path for messages, e.g. ``Architecture.Backbone.pretrained``.

    Raises:
        ConfigError: the directory is missing or incomplete; the message says where to put the
            weights and how to build a starter model instead.
    """
    if pretrained is None or pretrained is False:
        return None
    if pretrained is True:
        path = default_model_dir(mode)
        if not os.path.isdir(path):
            raise ConfigError(
                f"{where}: True means the LayoutXLM weights in {path} (mode {mode!r}), which does not exist. "
                f"This toolkit never downloads: on a machine with internet, save paddlenlp's "
                f"'{DEFAULT_MODEL_DIRS[mode]}' model and tokenizer with save_pretrained and copy the directory "
                f"to {path}, or set {where} to a directory that has them; {STARTER_HINT}")
        return check_model_dir(path, where)
    if isinstance(pretrained, str):
        return check_model_dir(pretrained, where)
    raise ConfigError(f"{where}: expected True, False or a directory path, got {pretrained!r}")


def find_tokenizer_dir(tokenizer_path: str | None, algorithm: str, where: str) -> str:
    """The tokenizer directory to load: ``tokenizer_path`` or the algorithm's default directories.

    Without ``tokenizer_path`` the default model directories are tried in order
    (``./pretrained/layoutxlm-base-uncased`` then ``./pretrained/vi-layoutxlm-base-uncased``;
    both use the same tokenizer).

    Raises:
        ConfigError: no directory with ``sentencepiece.bpe.model`` was found.
    """
    if algorithm not in ("LayoutXLM",):
        raise ConfigError(f"{where}: algorithm {algorithm!r} is not supported; use 'LayoutXLM' "
                          "(VI-LayoutXLM is LayoutXLM with mode: vi)")
    candidates = [tokenizer_path] if tokenizer_path else [default_model_dir("base"), default_model_dir("vi")]
    for path in candidates:
        if path and os.path.isfile(os.path.join(path, TOKENIZER_FILES[0])):
            return path
    if tokenizer_path:
        found = sorted(os.listdir(tokenizer_path))[:8] if os.path.isdir(tokenizer_path) else "no such directory"
        raise ConfigError(f"{where}: tokenizer_path {tokenizer_path!r} has no {TOKENIZER_FILES[0]} ({found}); "
                          f"point it at the directory with {' and '.join(TOKENIZER_FILES)}; {STARTER_HINT}")
    raise ConfigError(f"{where}: no tokenizer found in {' or '.join(candidates)}; set tokenizer_path to a "
                      f"directory with {' and '.join(TOKENIZER_FILES)} (this toolkit never downloads); "
                      f"{STARTER_HINT}")


_TOKENIZERS: dict[str, Any] = {}


def load_tokenizer(path: str, where: str = "tokenizer") -> Any:
    """Load (once per process) the ``LayoutXLMTokenizer`` in directory ``path``."""
    vocab = os.path.join(path, TOKENIZER_FILES[0])
    if not os.path.isfile(vocab):
        raise ConfigError(f"{where}: {path!r} has no {TOKENIZER_FILES[0]}; {STARTER_HINT}")
    stat = os.stat(vocab)
    key = f"{os.path.abspath(path)}:{stat.st_mtime_ns}:{stat.st_size}"  # a rebuilt directory reloads
    if key not in _TOKENIZERS:
        transformers = require_paddlenlp(where)
        _TOKENIZERS[key] = transformers.LayoutXLMTokenizer.from_pretrained(path)
        logger.info("loaded LayoutXLM tokenizer from %s (%d ids)", path, _TOKENIZERS[key].vocab_size)
    return _TOKENIZERS[key]
