"""Export a trained model to a Paddle inference model plus ``inference.yml``.

Paddle 3 writes ``inference.json`` (PIR program) + ``inference.pdiparams``; older Paddle writes
``inference.pdmodel``. ``inference.yml`` records the pre- and post-processing the predictor needs,
including the character list, so a served model does not depend on the training config; files
those steps read (e.g. a tokenizer and a class list) are copied to ``assets/`` beside it.
"""
from __future__ import annotations

import logging
import os
import shutil
from typing import Any

import paddle
import yaml

from ppocr.engine.checkpoint import load_trained_weights
from ppocr.engine import contracts as C
from ppocr.engine.evaluator import label_free_transforms
from ppocr.engine.tracing import InferenceWrapper, fuse_for_export, save_program
from ppocr.registry import POSTPROCESS, TRANSFORMS, build

logger = logging.getLogger(__name__)

#: the wrapper the exported program is traced through (kept under its old name)
_InferenceWrapper = InferenceWrapper
__all__ = ["export", "fuse_for_export", "inference_yml", "bundle_assets", "resolve_assets", "ASSET_DIR"]

#: Folder of an export that holds the files its pre- and post-processing read (tokenizer, class list).
ASSET_DIR = "assets"


def find_transform_arg(transforms: list, op: str, key: str) -> Any:
    for entry in transforms or []:
        name, args = next(iter(entry.items()))
        if name == op and args and key in args:
            return args[key]
    return None


def inference_yml(cfg: dict, post, model=None) -> dict:
    """What a predictor needs besides the program: pre-processing (the Eval transforms without label
    encoders; ``KeepKeys`` keeps the model inputs and the post-processor's ``infer_keys``) and post-processing."""
    arch = cfg["Architecture"]
    inputs = tuple(k for k in C.input_keys(model) if k != "image")
    keep = ("image",) + inputs + tuple(k for k in C.infer_keys(post) if k not in inputs)
    pre = label_free_transforms(cfg["Eval"]["dataset"]["transforms"], keep) if cfg.get("Eval") else []
    post_cfg = dict(cfg.get("PostProcess") or {})
    post_cfg.pop("character_dict_path", None)
    if isinstance(post, C.CharacterDecoder):
        post_cfg["character_dict"] = [c for c in post.character[1:]]
        post_cfg["use_space_char"] = bool(cfg["Global"].get("use_space_char", False))
    if isinstance(post, C.ExportsItsConfig):  # what else the decoder needs, e.g. its codec
        post_cfg.update(post.export_config())
    return {"Global": {"model_type": arch.get("model_type"), "algorithm": arch.get("algorithm")},
            "PreProcess": {"transform_ops": pre}, "PostProcess": post_cfg}


def bundle_assets(infer_cfg: dict, out_dir: str, global_cfg: dict | None = None) -> dict:
    """Copy the files the pre- and post-processing read into ``out_dir/assets`` and point ``infer_cfg`` at them.

    A transform or post-processor class maps such arguments to what to copy in ``asset_args``
    (e.g. ``{'class_path': None, 'tokenizer_path': (tokenizer file names)}``): the path the
    built component resolved is copied (a file; a folder with only the named files, or all of
    it for ``None``), and the argument becomes ``assets/<name>``, relative to the model folder
    (see :func:`resolve_assets`). So an exported folder is complete on another machine.
    """

    def bundle(where: str, registry, entry: dict) -> dict:
        cls = registry.get(entry["name"]) if entry.get("name") in registry else None
        assets = getattr(cls, "asset_args", None)
        if not assets:
            return entry
        opts = {k: v for k, v in entry.items() if k != "name"}
        built = build(dict(entry), registry, where=where, global_cfg=global_cfg)
        for arg, files in assets.items():
            src = getattr(built, arg, None)
            if not src or not os.path.exists(src):
                continue
            rel = f"{ASSET_DIR}/{os.path.basename(os.path.normpath(src))}"
            dst = os.path.join(out_dir, rel)
            if os.path.isdir(src):
                names = [n for n in (files or os.listdir(src)) if os.path.isfile(os.path.join(src, n))]
                os.makedirs(dst, exist_ok=True)
                for n in names:
                    shutil.copyfile(os.path.join(src, n), os.path.join(dst, n))
            elif os.path.abspath(src) != os.path.abspath(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
            opts[arg] = rel
        return dict(opts, name=entry["name"])

    ops = []
    for i, op in enumerate(infer_cfg["PreProcess"]["transform_ops"]):
        name, args = next(iter(op.items()))
        entry = bundle(f"PreProcess.transform_ops.{i}", TRANSFORMS, dict(args or {}, name=name))
        entry.pop("name")
        ops.append({name: entry or args})
    infer_cfg["PreProcess"]["transform_ops"] = ops
    post = infer_cfg.get("PostProcess") or {}
    if post.get("name"):
        infer_cfg["PostProcess"] = bundle("PostProcess", POSTPROCESS, post)
    return infer_cfg


def resolve_assets(options: dict | None, model_dir: str) -> dict | None:
    """Turn ``assets/...`` values of one component's options into paths inside ``model_dir``."""
    if not options:
        return options
    return {k: os.path.join(model_dir, v) if isinstance(v, str) and v.startswith(ASSET_DIR + "/") else v
            for k, v in options.items()}


def export(cfg: dict, model: paddle.nn.Layer, post) -> str:
    """Load weights into ``model``, trace it and save it under ``Global.save_inference_dir``.

    The weights are ``Global.pretrained_model``, ``Global.checkpoints`` or the checkpoint the model
    was built from (its ``checkpoint_option``). Re-parameterisable layers are fused first
    (:func:`fuse_for_export`), as PaddleOCR's export does, so ``model`` is changed in place. The
    signature is the model's ``input_spec_from_transforms(Eval transforms)`` when it has one, else
    ``input_spec(image_shape)``.
    """
    g = cfg["Global"]
    load_trained_weights(g, model, "export", order=("pretrained_model", "checkpoints"), strict=True)
    out_dir = g.get("save_inference_dir") or "./inference/"
    if isinstance(model, C.ExportsSubModel):  # a DistillationModel: only its student is exported
        name, model = model.export_target()
        out_dir = os.path.join(out_dir, name)
        sub_arch = (cfg["Architecture"].get("Models") or {}).get(name)
        cfg = dict(cfg, Architecture=dict(sub_arch, model_type=sub_arch.get("model_type") or
                                          cfg["Architecture"].get("model_type")) if sub_arch else cfg["Architecture"])
        if isinstance(post, C.DecodesSubModels):
            cfg["PostProcess"], post = post.base_config(), post.base
        logger.info("exporting only the %s model of the %s (Architecture.Models.%s) to %s",
                    name, "DistillationModel", name, out_dir)
    transforms = cfg["Eval"]["dataset"]["transforms"] if cfg.get("Eval") else cfg["Train"]["dataset"]["transforms"]
    model.eval()
    fuse_for_export(model)
    if isinstance(model, C.SignatureFromTransforms):
        spec = model.input_spec_from_transforms(transforms)
    else:
        image_shape = find_transform_arg(transforms, "RecResizeImg", "image_shape")
        if image_shape is None:  # another resize transform that states the model input
            image_shape = next((args["image_shape"] for e in transforms or [] for args in e.values()
                                if isinstance(args, dict) and isinstance(args.get("image_shape"), (list, tuple))
                                and len(args["image_shape"]) == 3), None)  # det resizes give [H, W]: free size
        spec = model.input_spec(image_shape)
    os.makedirs(out_dir, exist_ok=True)
    save_program(model, spec, os.path.join(out_dir, "inference"))
    infer_cfg = bundle_assets(inference_yml(cfg, post, model), out_dir, g)
    with open(os.path.join(out_dir, "inference.yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(infer_cfg, f, allow_unicode=True, sort_keys=False)
    logger.info("inference model saved to %s", out_dir)
    return out_dir
