"""The run's codec: which :class:`~ppocr.vgsl.codec.Codec` a training, evaluation or export uses.

The engine calls :func:`resolve_codec` once per run when the ``PostProcess`` component takes a
``codec`` (``VGSLLabelDecode``), passes the codec to it, and hands it to the label encoders of
the datasets with :func:`bind_codec`. The network's class count is ``len(post.character)`` =
``codec.num_classes``, so model, encoder and decoder cannot disagree.

``Global.codec`` (all keys optional; ``codec: {}`` or leaving it out takes the defaults)::

    Global:
      codec:
        file: null                 # a codec file to use as it is (see below)
        normalization: NFC         # NFC, NFD, NFKC, NFKD or null
        normalize_whitespace: true # whitespace runs -> one space, ends stripped
        recode: false              # Tesseract-style recoding (Hangul jamo, decomposition, Han digits)
        han_digits: 2              # codes per Han character with recode
        reorder: false             # bidi display order for right-to-left lines
        base_dir: auto             # paragraph direction for reorder: auto, L or R

Where the codec comes from, first match wins:

1. the weights' own codec: ``<Global.checkpoints>.codec.json``, then
   ``<Global.pretrained_model>.codec.json``, then ``codec.json`` in the weights' folder
   (training writes ``save_model_dir/codec.json`` and one beside every checkpoint), so eval,
   export and a resumed run use exactly the training codec;
2. ``Global.codec.file``: a codec JSON written by this toolkit, a kraken codec JSON
   (``{"a": [1], ...}``), or a one-character-per-line dictionary (read with the text options);
3. built from the Train dataset's transcriptions (:meth:`Codec.from_texts` with the text
   options); the Train dataset must list its texts (the line datasets do).

Characters a dataset has that the codec lacks are counted per character when the codec is
bound; those lines are skipped as ``encoding failed`` with ``skip_bad_samples: true``, else the
run stops before training with the first such line and the characters named.
"""
from __future__ import annotations

import collections
import logging
import os
from typing import Any

from ppocr.registry import DATASETS, accepted_params, build
from ppocr.utils.checkpoint import strip_suffix
from ppocr.utils.config import global_options
from ppocr.utils.errors import ConfigError, DataError
from ppocr.vgsl.codec import Codec, UnknownCharactersError

logger = logging.getLogger(__name__)

#: ``Global.codec`` keys and their defaults.
CODEC_DEFAULTS: dict[str, Any] = {"file": None, "normalization": "NFC", "normalize_whitespace": True,
                                  "recode": False, "han_digits": 2, "reorder": False, "base_dir": "auto"}
#: Suffix of the codec file stored beside a checkpoint prefix.
CODEC_SUFFIX = ".codec.json"


def codec_options(global_cfg: dict | None) -> dict[str, Any]:
    """``Global.codec`` merged over :data:`CODEC_DEFAULTS`.

    Raises:
        ConfigError: not a mapping, or an unknown key (with the nearest valid one).
    """
    return global_options("codec", (global_cfg or {}).get("codec"), CODEC_DEFAULTS)


def stored_codec_file(weights: str) -> str:
    """The codec file stored with the checkpoint ``weights`` (a prefix or a ``.pdparams`` path)."""
    return strip_suffix(weights) + CODEC_SUFFIX


def _text_options(opts: dict) -> dict:
    out = {k: opts[k] for k in ("normalization", "normalize_whitespace", "recode", "reorder", "base_dir")}
    if opts["recode"]:
        out["han_digits"] = opts["han_digits"]
    return out


def training_texts(cfg: dict) -> list[str]:
    """The transcriptions of the Train dataset (built without transforms).

    Raises:
        ConfigError: no Train section, or its dataset cannot list its texts.
    """
    section = cfg.get("Train") or {}
    ds_cfg = section.get("dataset") if isinstance(section, dict) else None
    if not isinstance(ds_cfg, dict) or "name" not in ds_cfg:
        raise ConfigError("the codec is built from the training text, but the config has no Train.dataset; set "
                          "Global.codec.file to a codec file (e.g. the codec.json of a training run)")
    g = cfg.get("Global") or {}
    ds_cfg = {**ds_cfg, "transforms": None}
    cls = DATASETS.get(ds_cfg["name"], "Train.dataset")
    if "global_cfg" in accepted_params(cls)[0]:
        ds_cfg["global_cfg"] = g
    dataset = build(ds_cfg, DATASETS, where="Train.dataset", global_cfg=g, mode="Train", seed=g.get("seed", 1024))
    if not hasattr(dataset, "texts"):
        raise ConfigError(f"the codec is built from the training text, but Train.dataset {ds_cfg['name']} cannot "
                          "list its transcriptions; use a line dataset (LineDataSet, BoxLineDataSet, XMLLineDataSet, "
                          "CompiledLineDataSet) or set Global.codec.file")
    return dataset.texts()


def resolve_codec(cfg: dict) -> tuple[Codec, str]:
    """The codec of this run and where it came from (see the module docstring for the order).

    Args:
        cfg: the whole config.

    Returns:
        ``(codec, source)``: ``source`` says which file or how it was built, for the log.

    Raises:
        ConfigError: bad ``Global.codec``, an unreadable codec file, or no way to build one.
    """
    g = cfg.get("Global") or {}
    opts = codec_options(g)
    for key in ("checkpoints", "pretrained_model"):
        weights = g.get(key)
        if not weights:
            continue
        for path in (stored_codec_file(weights), os.path.join(os.path.dirname(os.path.abspath(weights)), "codec.json")):
            if os.path.isfile(path):
                codec = Codec.load(path)
                logger.info("codec: %d classes from %s (stored with Global.%s)", codec.num_classes, path, key)
                return codec, path
    if opts["file"]:
        path = opts["file"]
        if not isinstance(path, str):
            raise ConfigError(f"Global.codec.file must be a path, got {path!r}")
        codec = Codec.load(path) if path.endswith(".json") else Codec.load(path, **{
            k: v for k, v in _text_options(opts).items() if k not in ("recode", "han_digits")})
        logger.info("codec: %d classes from Global.codec.file %s", codec.num_classes, path)
        return codec, path
    weights = g.get("checkpoints") or g.get("pretrained_model")
    if weights:
        logger.warning("no codec stored with %s (%s or codec.json beside it); building one from the training text, "
                       "which fits the weights only if that text has exactly the characters they were trained on",
                       weights, os.path.basename(stored_codec_file(weights)))
    texts = training_texts(cfg)
    try:
        codec = Codec.from_texts(texts, **_text_options(opts))
    except (ValueError, TypeError) as e:
        raise ConfigError(f"Global.codec: cannot build the codec from {len(texts)} training lines: {e}") from e
    logger.info("codec: %d classes built from %d training lines (%s)", codec.num_classes, len(texts),
                ", ".join(f"{k}={v}" for k, v in _text_options(opts).items()))
    return codec, f"the text of {len(texts)} training lines"


def bind_codec(dataset, codec: Codec, section: str) -> dict[str, int]:
    """Give ``codec`` to the dataset's transforms that take one, and check its texts against it.

    Args:
        dataset: a dataset with ``ops`` (its transforms); with ``texts()`` its lines are checked.
        codec: the run's codec.
        section: ``'Train'`` or ``'Eval'``, for messages.

    Returns:
        ``{character: number of lines}`` of the characters the codec cannot encode.

    Raises:
        DataError: lines with unencodable characters and the dataset does not skip bad samples.
    """
    ops = getattr(getattr(dataset, "ops", None), "ops", [])
    takes = [op for op in ops if hasattr(op, "set_codec")]
    for op in takes:
        op.set_codec(codec)
    if not takes or not hasattr(dataset, "texts"):
        return {}
    missing: collections.Counter = collections.Counter()
    first = None
    n_bad = 0
    for i, text in enumerate(dataset.texts()):
        try:
            codec.encode(text)
        except UnknownCharactersError as e:
            n_bad += 1
            missing.update(e.characters)
            if first is None:
                first = (i, e)
    if not n_bad:
        return {}
    shown = ", ".join(f"{ch!r} ({n} line{'s' if n > 1 else ''})" for ch, n in missing.most_common(20))
    if not getattr(dataset, "skip_bad_samples", False):
        i, e = first
        loc = dataset._location(i) if hasattr(dataset, "_location") else f"line {i}"
        raise DataError(f"{loc}: encoding failed: {e}. {n_bad} {section} line(s) have characters outside the codec: "
                        f"{shown}; set {section}.dataset.skip_bad_samples: True to skip them (counted), or give a "
                        "codec that has them (Global.codec)")
    logger.warning("%s: %d of %d lines have characters outside the codec and will be skipped (encoding failed): %s",
                   section, n_bad, len(dataset), shown)
    return dict(missing)
