"""Serving exported KIE models (``paddle.inference``) with PaddleOCR's flags: what ``ppstructure/kie/`` runs.

:class:`KIEPredictor` is one exported SER or RE model with the pre- and post-processing stored beside it
(``inference.yml`` and ``assets/`` written by ``tools/export_model.py``). :func:`predict_ser` and
:func:`predict_ser_re` run them over ``--image_dir`` with text lines from the exported detector and
recogniser (``--det_model_dir``, ``--rec_model_dir``) and write ``<output>/infer.txt`` and drawings.

Example:
    >>> from ppocr.inference.utility import parse_args
    >>> pages = predict_ser(parse_args(["--ser_model_dir", "inference/ser", "--image_dir", "page.png",
    ...                                 "--det_model_dir", "inference/det", "--rec_model_dir", "inference/rec"]))
"""
from __future__ import annotations

import argparse
import logging
from typing import Any, Mapping

import numpy as np

from ppocr.data.imaug import build_transforms
from ppocr.engine.export import resolve_assets
from ppocr.inference.utility import create_predictor, is_explicit, read_inference_yml, to_namespace
from ppocr.kie.pipeline import KIEStage, OCREngine, iter_pages, run_pages, text_system_engine
from ppocr.registry import POSTPROCESS, build
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)

KIE_ALGORITHMS = ("LayoutXLM",)
RESULTS_FILE = "infer.txt"


class KIEPredictor:
    """One exported KIE model (SER or RE) with the pre- and post-processing stored beside it.

    Args:
        args: inference flags (``argparse.Namespace`` or a dict of flag names).
        mode: ``'ser'`` (``--ser_model_dir``) or ``'re'`` (``--re_model_dir``).

    Attributes:
        stage: the :class:`~ppocr.kie.pipeline.KIEStage` that runs it.
        input_names: the program's inputs.

    Raises:
        ConfigError: missing model files or ``inference.yml``, an unsupported ``--kie_algorithm``, or
            ``--use_visual_backbone`` contradicting the model's inputs.
    """

    def __init__(self, args: argparse.Namespace | Mapping[str, Any], mode: str = "ser"):
        args = to_namespace(args)
        if args.kie_algorithm not in KIE_ALGORITHMS:
            raise ConfigError(f"--kie_algorithm {args.kie_algorithm!r} is not supported; use LayoutXLM "
                              "(VI-LayoutXLM models are LayoutXLM exports)")
        model_dir = getattr(args, f"{mode}_model_dir")
        self.predictor, _, self.outputs, _ = create_predictor(args, mode, logger)
        self.infer_cfg = read_inference_yml(model_dir)
        pre = (self.infer_cfg.get("PreProcess") or {}).get("transform_ops")
        if (self.infer_cfg.get("Global") or {}).get("model_type") != "kie" or not pre:
            raise ConfigError(f"--{mode}_model_dir {model_dir!r}: its inference.yml does not describe a KIE model; "
                              "export the SER/RE model with tools/export_model.py and a KIE config")
        self.mode = mode
        self.input_names = list(self.predictor.get_input_names())
        self._check_visual(args)
        ops = []
        for entry in pre:
            name, opts = next(iter(entry.items()))
            opts = dict(resolve_assets(opts, model_dir) or {})
            if name == "VQATokenLabelEncode":
                if args.ser_dict_path:
                    opts["class_path"] = args.ser_dict_path
                if is_explicit(args, "ocr_order_method"):
                    opts["order_method"] = args.ocr_order_method
            ops.append({name: opts or None})
        post_cfg = dict(resolve_assets(self.infer_cfg.get("PostProcess"), model_dir) or {})
        if args.ser_dict_path and "class_path" in post_cfg:
            post_cfg["class_path"] = args.ser_dict_path
        where = f"{model_dir}/inference.yml"
        self.stage = KIEStage(build_transforms(ops, None, f"{where} PreProcess"),
                              build(post_cfg, POSTPROCESS, where=f"{where} PostProcess"), self.run, self.input_names)

    def _check_visual(self, args: argparse.Namespace) -> None:
        takes_image = "image" in self.input_names
        if is_explicit(args, "use_visual_backbone") and bool(args.use_visual_backbone) != takes_image:
            raise ConfigError(f"--use_visual_backbone {args.use_visual_backbone} but the exported {self.mode.upper()} "
                              f"model {'takes' if takes_image else 'does not take'} the page image (it was trained "
                              f"with mode {'base' if takes_image else 'vi'}); pass --use_visual_backbone "
                              f"{str(takes_image).lower()} or leave the flag out")

    def run(self, feed: dict[str, np.ndarray]) -> Any:
        """Run the program on one page's inputs; SER: the logits, RE: ``{'relation_probs': ...}``."""
        for name in self.input_names:
            handle = self.predictor.get_input_handle(name)
            value = np.ascontiguousarray(feed[name])
            handle.reshape(list(value.shape))
            handle.copy_from_cpu(value)
        self.predictor.run()
        out = self.outputs[0].copy_to_cpu()
        return out if self.mode == "ser" else {"relation_probs": out}


def ocr_engine_from_args(args: argparse.Namespace) -> OCREngine:
    """The OCR engine of the KIE predictors: ``TextSystem`` from ``--det_model_dir`` and ``--rec_model_dir``."""
    return text_system_engine(args)


def predict_ser(args: argparse.Namespace, ocr_engine: OCREngine | None = None) -> list[dict]:
    """SER on every image of ``--image_dir``; writes ``infer.txt`` and drawings under ``--output``."""
    ser = KIEPredictor(args, "ser")
    pages = iter_pages(args.image_dir, True, ocr_engine or ocr_engine_from_args(args))
    return run_pages(pages, ser.stage, args.output, font_path=args.vis_font_path, results_file=RESULTS_FILE)


def predict_ser_re(args: argparse.Namespace, ocr_engine: OCREngine | None = None) -> list[dict]:
    """SER + RE on every image of ``--image_dir``; writes ``infer.txt`` and drawings under ``--output``."""
    ser = KIEPredictor(args, "ser")
    re = KIEPredictor(args, "re")
    pages = iter_pages(args.image_dir, True, ocr_engine or ocr_engine_from_args(args))
    return run_pages(pages, ser.stage, args.output, re=re.stage, font_path=args.vis_font_path,
                     results_file=RESULTS_FILE)
