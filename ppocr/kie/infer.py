"""KIE inference with the training-time models: what ``tools/infer_kie_token_ser.py`` and
``tools/infer_kie_token_ser_re.py`` run (see :mod:`ppocr.kie.pipeline` for the pipeline).

The weights are ``Architecture.Backbone.checkpoints`` (or ``Global.checkpoints`` /
``pretrained_model``). The pre-processing is the Eval transform list without labels
(``VQATokenLabelEncode`` with ``infer_mode: True``). Where the text lines come from follows
``Global.infer_mode`` (default True: OCR with ``Global.kie_det_model_dir`` and
``Global.kie_rec_model_dir``; False: ``Global.infer_img`` is a label file whose images are under
``Eval.dataset.data_dir``). Results go to the folder ``Global.save_res_path``.

Example:
    >>> from ppocr.utils.config import get_config
    >>> cfg = get_config("configs/kie/vi_layoutxlm/ser_vi_layoutxlm_xfund_zh.yml",
    ...                  ["Architecture.Backbone.checkpoints=./output/ser_vi_layoutxlm_xfund_zh/best_accuracy",
    ...                   "Global.infer_img=train_data/demo/kie/eval.json", "Global.infer_mode=False"])
    >>> pages = infer_ser(cfg)
"""
from __future__ import annotations

import logging
import os
from typing import Any

import paddle

from ppocr.data.imaug import build_transforms
from ppocr.engine.checkpoint import load_trained_weights
from ppocr.engine import contracts as C
from ppocr.engine.evaluator import label_free_transforms
from ppocr.engine.program import build_core, prepare_run
from ppocr.kie.pipeline import KIEStage, OCREngine, iter_pages, run_pages, text_system_engine
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)


def build_stage(cfg: dict) -> KIEStage:
    """The model of ``cfg`` (weights loaded, eval mode) with its inference pre- and post-processing."""
    g = cfg["Global"]
    core = build_core(cfg)
    model, post = core["model"], core["postprocess"]
    if cfg["Architecture"].get("model_type") != "kie" or post is None:
        raise ConfigError("the KIE infer tools need a KIE config (Architecture.model_type: kie, a PostProcess)")
    if not isinstance(model, C.SignatureFromTransforms):
        raise ConfigError(f"{type(model).__name__} cannot run here: run the infer tools with the non-distillation "
                          "config and the checkpoint (it holds the student)")
    load_trained_weights(g, model, "infer")
    model.eval()
    if not cfg.get("Eval"):
        raise ConfigError("the KIE infer tools take the pre-processing from the Eval section; add it")
    keep = tuple(model.input_keys) + tuple(k for k in C.infer_keys(post) if k not in model.input_keys)
    ops = build_transforms(label_free_transforms(cfg["Eval"]["dataset"]["transforms"], keep), g,
                           "Eval.dataset.transforms")

    def runner(feed: dict) -> Any:
        with paddle.no_grad():
            return model({k: paddle.to_tensor(v) for k, v in feed.items()})

    return KIEStage(ops, post, runner, model.input_keys)


def _pages(cfg: dict, ocr_engine: OCREngine | None):
    g = cfg["Global"]
    infer_mode = g.get("infer_mode", True)
    if not isinstance(infer_mode, bool):
        raise ConfigError(f"Global.infer_mode must be true or false, got {infer_mode!r}")
    if infer_mode and ocr_engine is None:
        ocr_engine = text_system_engine({"det_model_dir": g.get("kie_det_model_dir"),
                                         "rec_model_dir": g.get("kie_rec_model_dir"),
                                         "use_gpu": bool(g.get("use_gpu", False))})
    data_dir = ((cfg.get("Eval") or {}).get("dataset") or {}).get("data_dir")
    return iter_pages(g.get("infer_img"), infer_mode, ocr_engine, data_dir)


def _out_dir(g: dict, what: str) -> str:
    return g.get("save_res_path") or os.path.join(g.get("save_model_dir") or "./output", what)


def infer_ser(cfg: dict, ocr_engine: OCREngine | None = None) -> list[dict]:
    """SER on ``Global.infer_img``; writes ``infer_results.txt`` and ``<stem>_ser.jpg`` under ``save_res_path``.

    Args:
        cfg: a SER config.
        ocr_engine: reads the pages in ``infer_mode`` (default: from ``kie_det/rec_model_dir``).

    Returns:
        Per page ``{"img_path", "ocr_info", "vis_path"}``.
    """
    g, _ = prepare_run(cfg, None)
    stage = build_stage(cfg)
    return run_pages(_pages(cfg, ocr_engine), stage, _out_dir(g, "ser_infer"))


def infer_ser_re(re_cfg: dict, ser_cfg: dict, ocr_engine: OCREngine | None = None) -> list[dict]:
    """SER then RE on ``Global.infer_img`` of ``re_cfg``; writes ``infer_results.txt`` and ``<stem>_ser_re.jpg``.

    Args:
        re_cfg: the RE config (its Global decides the pages and the output folder).
        ser_cfg: the SER config whose model labels the lines first.
        ocr_engine: reads the pages in ``infer_mode`` (default: from the RE config's ``kie_det/rec_model_dir``).

    Returns:
        Per page ``{"img_path", "ocr_info", "relations", "vis_path"}``.
    """
    prepare_run(ser_cfg, None)
    ser = build_stage(ser_cfg)
    g, _ = prepare_run(re_cfg, None)
    re = build_stage(re_cfg)
    return run_pages(_pages(re_cfg, ocr_engine), ser, _out_dir(g, "ser_re_infer"), re=re)
