"""Export a trained model to a Paddle inference model plus ``inference.yml``.

Paddle 3 writes ``inference.json`` (PIR program) + ``inference.pdiparams``; older Paddle writes
``inference.pdmodel``. ``inference.yml`` records the pre- and post-processing the predictor needs,
including the character list, so a served model does not depend on the training config.
"""
from __future__ import annotations

import logging
import os
from typing import Any

import paddle
import yaml

from ppocr.engine.checkpoint import load_pretrained, strip_suffix, verify_checkpoint
from ppocr.engine.evaluator import infer_keys, label_free_transforms
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)


class _InferenceWrapper(paddle.nn.Layer):
    """Feeds the exported program's input to ``model`` as a batch dict.

    One input key: ``x`` is a tensor. Several (e.g. KIE models): ``x`` is a list in ``input_keys`` order,
    and the input spec is passed as one nested list.
    """

    def __init__(self, model: paddle.nn.Layer):
        super().__init__()
        self.model = model
        self.keys = list(getattr(model, "input_keys", ("image",)))

    def forward(self, x):
        if len(self.keys) == 1:
            return self.model({self.keys[0]: x})
        return self.model(dict(zip(self.keys, x)))


def find_transform_arg(transforms: list, op: str, key: str) -> Any:
    for entry in transforms or []:
        name, args = next(iter(entry.items()))
        if name == op and args and key in args:
            return args[key]
    return None


def inference_yml(cfg: dict, post) -> dict:
    arch = cfg["Architecture"]
    keep = ("image",) + infer_keys(post)
    pre = label_free_transforms(cfg["Eval"]["dataset"]["transforms"], keep) if cfg.get("Eval") else []
    post_cfg = dict(cfg.get("PostProcess") or {})
    post_cfg.pop("character_dict_path", None)
    if hasattr(post, "character"):
        post_cfg["character_dict"] = [c for c in post.character[1:]]
        post_cfg["use_space_char"] = bool(cfg["Global"].get("use_space_char", False))
    if hasattr(post, "export_config"):  # what else the decoder needs, e.g. its codec
        post_cfg.update(post.export_config())
    return {"Global": {"model_type": arch.get("model_type"), "algorithm": arch.get("algorithm")},
            "PreProcess": {"transform_ops": pre}, "PostProcess": post_cfg}


def export(cfg: dict, model: paddle.nn.Layer, post) -> str:
    """Load weights into ``model``, trace it and save it under ``Global.save_inference_dir``."""
    g = cfg["Global"]
    weights = g.get("pretrained_model") or g.get("checkpoints")
    if not weights:
        raise ConfigError("export needs weights: -o Global.pretrained_model=./output/.../best_accuracy")
    if g.get("checkpoints") and not g.get("pretrained_model"):
        verify_checkpoint(weights)
    report = load_pretrained(strip_suffix(weights), model)
    if report["missing"] or report["mismatched"]:
        raise ConfigError(f"{weights} does not fit the model in this config (missing {report['missing'][:3]}, "
                          f"mismatched {report['mismatched'][:3]}); export with the config it was trained with")
    out_dir = g.get("save_inference_dir") or "./inference/"
    transforms = cfg["Eval"]["dataset"]["transforms"] if cfg.get("Eval") else cfg["Train"]["dataset"]["transforms"]
    image_shape = find_transform_arg(transforms, "RecResizeImg", "image_shape")
    if image_shape is None:  # another resize transform that states the model input, e.g. VGSLResizeLine
        image_shape = next((args["image_shape"] for e in transforms or [] for args in e.values()
                            if isinstance(args, dict) and "image_shape" in args), None)
    model.eval()
    spec = model.input_spec(image_shape)
    if len(spec) > 1:
        spec = [spec]
    static = paddle.jit.to_static(_InferenceWrapper(model), input_spec=spec, full_graph=True)
    os.makedirs(out_dir, exist_ok=True)
    paddle.jit.save(static, os.path.join(out_dir, "inference"))
    with open(os.path.join(out_dir, "inference.yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(inference_yml(cfg, post), f, allow_unicode=True, sort_keys=False)
    logger.info("inference model saved to %s", out_dir)
    return out_dir
