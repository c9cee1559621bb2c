"""Checkpoint -> standalone recognition model (Tesseract's ``lstmtraining --stop_training``).

    python3 tools/train.py -c configs/vgsl/vgsl_lines.yml -o Global.stop_training=true \
        Global.continue_from=./output/vgsl/lines/best_accuracy [Global.convert_to_int=true]

writes ``<save_model_dir>/model.pdparams``, ``model.json`` and ``model.codec.json`` (format in
:mod:`ppocr.vgsl.model_file`). The model is used by ``Global.continue_from`` (fine-tuning),
``Global.pretrained_model`` / ``Global.checkpoints`` in eval, export and infer (its stored spec
rebuilds the net). With ``convert_to_int`` the weights are int8-quantised and, when the config has an
Eval section, CER and the other metrics are measured before and after; the log and ``model.json``
(``eval``) report the accuracy cost.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from ppocr.data import build_dataloader
from ppocr.engine.evaluator import evaluate_model, label_free_transforms
from ppocr.metrics import build_metric
from ppocr.modeling import build_model
from ppocr.registry import POSTPROCESS, build
from ppocr.utils.errors import ConfigError
from ppocr.vgsl.finetune import _load_state, load_source
from ppocr.vgsl.model_file import dequantized_state, quantized_state, save_model_file, update_model_json
from ppocr.vgsl.run_codec import bind_codec

logger = logging.getLogger(__name__)


def convert(cfg: dict) -> dict[str, Any]:
    """Convert ``Global.continue_from`` (a checkpoint or converted model) to ``<save_model_dir>/model``.

    Returns:
        ``{'model': prefix, 'int8': bool, 'eval': {'float': metrics, 'int8': metrics} or {}}``.

    Raises:
        ConfigError: no source given, or it does not fit its spec.
    """

    g = cfg["Global"]
    source = g.get("continue_from") or g.get("checkpoints")
    if not source:
        raise ConfigError("Global.stop_training converts a checkpoint to a model: set "
                          "Global.continue_from=./output/.../best_accuracy")
    src = load_source(source, cfg)
    codec = src["codec"]
    model = build_model({**cfg["Architecture"], "spec": src["spec"]}, g, num_classes=codec.num_classes)
    _load_state(model, src["state"], src["prefix"])
    model.eval()
    int8 = bool(g.get("convert_to_int"))
    section = cfg.get("Eval") or cfg.get("Train")
    preprocess = label_free_transforms(section["dataset"]["transforms"]) if section else []
    prefix = os.path.join(g.get("save_model_dir") or "./output/", "model")
    save_model_file(prefix, model, codec, spec=model.spec, preprocess=preprocess, int8=int8,
                    extra={"source": src["prefix"]})
    report: dict[str, Any] = {}
    if int8 and cfg.get("Eval") and cfg.get("Metric"):
        post = build(cfg["PostProcess"], POSTPROCESS, where="PostProcess", global_cfg=g, codec=codec)
        loader = build_dataloader(cfg, "Eval", g, g.get("seed", 1024))
        bind_codec(loader.dataset, codec, "Eval")
        metric = build_metric(cfg["Metric"], g)
        report["float"] = evaluate_model(model, loader, post, metric)
        state, axes = quantized_state(model)
        model.set_state_dict(dequantized_state(state, axes))
        report["int8"] = evaluate_model(model, loader, post, metric)
        for result in report.values():
            result.pop("fps", None)
        before, after = report["float"].get("cer"), report["int8"].get("cer")
        if before is not None and after is not None:
            logger.info("int8 conversion cost on the Eval set: CER %.3f%% -> %.3f%% (%+.3f points)", 100 * before,
                        100 * after, 100 * (after - before))
        logger.info("Eval metrics float32 %s; int8 %s", report["float"], report["int8"])
        update_model_json(prefix, eval=report)
    elif int8:
        logger.warning("convert_to_int: no Eval section (and Metric) in the config, so the accuracy cost of int8 "
                       "was not measured")
    return {"model": prefix, "int8": int8, "eval": report}
