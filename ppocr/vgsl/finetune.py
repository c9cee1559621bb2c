"""Fine-tuning a trained line recogniser: ``Global.continue_from``, ``resize`` and ``append_index``.

``Global.continue_from`` names a checkpoint prefix (``./output/vgsl/lines/best_accuracy``) or a
converted model (``./output/vgsl/lines/model``, see :mod:`ppocr.vgsl.model_file`). Its
weights and its codec are loaded; the optimizer, schedule and step count start fresh (kraken's
``-i/--load``, Tesseract's ``--continue_from`` with ``--old_traineddata``). The network spec comes from
the converted model, else from ``config.yml`` in the checkpoint's folder, else from
``Architecture.spec``.

``Global.resize`` (kraken's ``--resize``) says what happens when the training text has characters
the old codec lacks:

* ``fail`` (default): stop before training, naming the characters;
* ``union``: keep every old character and add the new ones;
* ``new``: exactly the training text's characters (old ones it does not use are dropped).

Characters both codecs share keep their output weights (``resize_output`` with the merge's
``old -> new`` class map), so with ``union`` the network's outputs for the old characters are
unchanged before training starts.

``Global.append_index: N`` (Tesseract's ``--append_index``) keeps layers ``0..N`` as numbered in the
log (``0`` is the input block) and appends ``Architecture.spec``, which then holds only the new top
layers, e.g. ``'[Lfx256 O1c#]'``; the full resulting spec is logged.

Example:
    >>> core = continue_from(get_config("configs/vgsl/vgsl_lines.yml",
    ...                                 ["Global.continue_from=./output/vgsl/lines/best_accuracy",
    ...                                  "Global.resize=union"]))
    >>> core["model"].spec, core["codec"].num_classes
"""
from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import paddle
import yaml

from ppocr.modeling import build_model
from ppocr.modeling.architectures.vgsl_model import levels_hint
from ppocr.registry import POSTPROCESS, accepted_params, build
from ppocr.utils import safe_pickle
from ppocr.utils.checkpoint import strip_suffix
from ppocr.utils.errors import CheckpointError, ConfigError
from ppocr.vgsl.codec import Codec, UnknownCharactersError
from ppocr.vgsl.model_file import is_model_file, load_model_file
from ppocr.vgsl.run_codec import stored_codec_file, training_texts

logger = logging.getLogger(__name__)

RESIZE_MODES = ("fail", "union", "new")


def _checkpoint_spec(prefix: str, cfg: dict) -> str:
    """The spec the checkpoint at ``prefix`` was trained with."""
    path = os.path.join(os.path.dirname(os.path.abspath(prefix)), "config.yml")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            spec = ((yaml.safe_load(f) or {}).get("Architecture") or {}).get("spec")
        if isinstance(spec, str) and spec.strip():
            return spec
    if cfg["Global"].get("append_index") is not None:
        raise ConfigError(f"no config.yml beside {prefix} says which spec it was trained with, and with "
                          "Global.append_index Architecture.spec holds only the new layers; convert the checkpoint "
                          "first (Global.stop_training=true) and continue from the converted model")
    return cfg["Architecture"]["spec"]


def load_source(source: str, cfg: dict) -> dict[str, Any]:
    """Read what ``Global.continue_from`` names: ``{'prefix', 'spec', 'codec', 'state', 'converted'}``.

    Raises:
        CheckpointError: no weights there.
        ConfigError: no codec stored with them.
    """

    prefix = strip_suffix(str(source))
    if is_model_file(prefix):
        info = load_model_file(prefix)
        return {"prefix": prefix, "spec": info["spec"], "codec": info["codec"], "state": info["state"],
                "converted": True}
    if not os.path.isfile(prefix + ".pdparams"):
        raise CheckpointError(f"Global.continue_from={source}: neither {prefix}.pdparams (a checkpoint) nor "
                              f"{prefix}.json (a converted model) exists; pass a prefix such as "
                              "./output/vgsl/lines/best_accuracy")
    codec_path = next((p for p in (stored_codec_file(prefix),
                                   os.path.join(os.path.dirname(os.path.abspath(prefix)), "codec.json"))
                       if os.path.isfile(p)), None)
    if codec_path is None:
        raise ConfigError(f"Global.continue_from={source}: no codec stored with it ({prefix}.codec.json or codec.json "
                          "beside it), so its output classes are unknown; copy the codec.json of its training run "
                          "there")
    state = {k: (v.numpy() if isinstance(v, paddle.Tensor) else np.asarray(v))
             for k, v in safe_pickle.load_params(prefix + ".pdparams").items()}
    return {"prefix": prefix, "spec": _checkpoint_spec(prefix, cfg), "codec": Codec.load(codec_path),
            "state": state, "converted": False}


def missing_characters(codec, texts) -> dict[str, int]:
    """``{character: number of lines}`` for the characters of ``texts`` that ``codec`` cannot encode."""

    out: dict[str, int] = {}
    for text in texts:
        try:
            codec.encode(text)
        except UnknownCharactersError as e:
            for ch in set(e.characters):
                out[ch] = out.get(ch, 0) + 1
    return out


def adapt_codec(old, texts: list[str], mode: str):
    """The codec to fine-tune with and ``{old class: new class}`` for the kept output weights.

    Raises:
        ConfigError: ``mode`` is not fail/union/new, or ``fail`` and the texts need new characters.
    """

    if mode not in RESIZE_MODES:
        raise ConfigError(f"Global.resize must be one of {', '.join(RESIZE_MODES)}, got {mode!r}")
    missing = missing_characters(old, texts)
    if mode == "fail":
        if missing:
            shown = ", ".join(f"{ch!r} U+{ord(ch[0]):04X} ({n} lines)" for ch, n in
                              sorted(missing.items(), key=lambda kv: -kv[1])[:30])
            raise ConfigError(f"the training text has {len(missing)} characters the model's codec lacks: {shown}; "
                              "set Global.resize=union to add them (keeping the old ones) or Global.resize=new to "
                              "use only the training text's characters")
        return old, {i: i for i in range(old.num_classes)}
    try:
        return old.merge(Codec.from_texts(texts, **old.options), mode)
    except ValueError as e:
        raise ConfigError(f"Global.resize={mode}: cannot merge the codecs: {e}") from e


def _load_state(model, state: dict, prefix: str) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    bad = [k for k in own if k in state and list(own[k].shape) != list(state[k].shape)]
    if missing or unexpected or bad:

        hint = levels_hint(own, state)
        raise ConfigError(f"Global.continue_from={prefix} does not fit the spec {getattr(model, 'spec', '?')} "
                          f"(missing {missing[:3]}, unexpected {unexpected[:3]}, shape mismatch {bad[:3]})" +
                          (hint or "; continue from a converted model (it stores its spec) or set "
                           "Architecture.spec to the spec it was trained with"))
    model.set_state_dict(state)


def continue_from(cfg: dict) -> dict[str, Any]:
    """Build post-processor, model and codec of a fine-tuning run (what ``build_core`` returns).

    Raises:
        ConfigError: conflicting keys, a model that cannot be resized, unknown characters with
            ``resize: fail``, or weights that do not fit.
    """

    g = cfg["Global"]
    source = g["continue_from"]
    for key in ("checkpoints", "pretrained_model"):
        if g.get(key):
            raise ConfigError(f"Global.continue_from and Global.{key} both name weights; fine-tuning starts from "
                              f"continue_from (fresh optimizer), resuming from checkpoints: unset one of them")
    post_cfg = cfg.get("PostProcess") or {}
    post_cls = POSTPROCESS.get(post_cfg["name"]) if post_cfg.get("name") in POSTPROCESS else None
    if post_cls is None or "codec" not in accepted_params(post_cls)[0]:
        raise ConfigError("Global.continue_from fine-tunes codec-based recognisers (PostProcess VGSLLabelDecode); "
                          "for other models start from weights with Global.pretrained_model")
    src = load_source(source, cfg)
    old = src["codec"]
    model = build_model({**cfg["Architecture"], "spec": src["spec"]}, g, num_classes=old.num_classes)
    for method in ("resize_output", "append_layers"):
        if not hasattr(model, method):
            raise ConfigError(f"Architecture {cfg['Architecture'].get('name')} has no {method}(); "
                              "Global.continue_from needs a model that can change its output (VGSLModel)")
    _load_state(model, src["state"], src["prefix"])
    mode = g.get("resize") or "fail"
    codec, old_to_new = adapt_codec(old, training_texts(cfg), mode)
    logger.info("continue_from %s (%s): spec %s, codec %d -> %d classes (resize=%s, %d classes keep their weights)",
                src["prefix"], "converted model" if src["converted"] else "checkpoint", src["spec"],
                old.num_classes, codec.num_classes, mode, len(old_to_new))
    index = g.get("append_index")
    if index is not None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ConfigError(f"Global.append_index must be a layer index (int) as the log numbers them, got {index!r}")
        top = cfg["Architecture"].get("spec")
        if not isinstance(top, str):
            raise ConfigError(f"with Global.append_index, Architecture.spec holds the layers to append as a string, "
                              f"got {top!r}; quote it for YAML: -o \"Architecture.spec='[Lfx256 O1c#]'\"")
        model.append_layers(index, top, num_classes=codec.num_classes)
        logger.info("append_index %d: network is now %s", index, model.spec)
    elif codec is not old:
        model.resize_output(codec.num_classes, old_to_new)
    post = build(post_cfg, POSTPROCESS, where="PostProcess", global_cfg=g, codec=codec)
    # the run's config.yml describes the resulting model, so eval, export and a resume (Global.checkpoints)
    # with it build this network and find its weights and codec in the run's checkpoints
    cfg["Architecture"]["spec"] = model.spec
    for key in ("continue_from", "append_index", "resize"):
        g.pop(key, None)
    return {"postprocess": post, "model": model, "num_classes": codec.num_classes, "codec": codec}
