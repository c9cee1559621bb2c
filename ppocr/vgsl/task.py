"""The VGSL line-recogniser task: a codec that travels with the weights, Tesseract/kraken fine-tuning and conversion.

What it adds to the generic run (:class:`ppocr.engine.task.GenericTask`):

* the codec: ``Global.codec``, the weights' stored codec or one built from the training text
  (:mod:`ppocr.vgsl.run_codec`); given to the post-processor and the label encoders, written as
  ``codec.json`` in the run folder and ``<checkpoint>.codec.json`` beside every checkpoint;
* ``Global.continue_from`` (with ``resize``/``append_index``): fine-tuning (:mod:`ppocr.vgsl.finetune`);
* ``Global.stop_training`` (with ``convert_to_int``): conversion instead of training (:mod:`ppocr.vgsl.convert`);
* progress lines as Tesseract prints them (``LineProgressHook``).
"""
from __future__ import annotations

import os
from typing import Any

from ppocr.engine.task import GenericTask
from ppocr.engine.workflow_hooks import workflow_hooks
from ppocr.registry import POSTPROCESS, TASKS, accepted_params, build
from ppocr.vgsl.convert import convert
from ppocr.vgsl.finetune import continue_from
from ppocr.vgsl.run_codec import CODEC_SUFFIX, bind_codec, resolve_codec


def _takes_codec(post_cfg) -> bool:
    """Whether the PostProcess component takes a ``codec`` (VGSLLabelDecode): then the run resolves one."""
    name = post_cfg.get("name") if isinstance(post_cfg, dict) else None
    return isinstance(name, str) and name in POSTPROCESS and "codec" in accepted_params(POSTPROCESS.get(name))[0]


@TASKS.register(name="vgsl")
class VGSLTask(GenericTask):
    """Line recognisers built from a VGSL spec (``Architecture.name: VGSLModel``)."""

    name = "vgsl"
    selected_by = "Architecture.name: VGSLModel"
    global_keys = {
        "codec": "codec options of codec-based recognisers (VGSL): file, normalization, recode, ... "
                 "(ppocr/vgsl/run_codec.py)",
        "continue_from": "fine-tune from this checkpoint prefix or converted model (weights + codec, fresh optimizer)",
        "resize": "fine-tuning with characters the old codec lacks: fail (default), union or new (kraken --resize)",
        "append_index": "fine-tuning: keep layers 0..N and append Architecture.spec (Tesseract --append_index)",
        "stop_training": "with continue_from: convert the checkpoint to save_model_dir/model.* and exit (Tesseract)",
        "convert_to_int": "with stop_training: int8-quantise the weights, reporting the accuracy cost",
    }

    @classmethod
    def owns(cls, arch_cfg: dict) -> bool:
        return arch_cfg.get("name") == "VGSLModel"

    def build_postprocess(self, cfg: dict) -> tuple[Any, dict[str, Any]]:
        if not _takes_codec(cfg.get("PostProcess")):  # e.g. CTCLabelDecode with a PaddleOCR dictionary
            return super().build_postprocess(cfg)[0], {"codec": None}
        codec, _ = resolve_codec(cfg)
        post = build(cfg["PostProcess"], POSTPROCESS, where="PostProcess", global_cfg=cfg["Global"], codec=codec)
        return post, {"codec": codec}

    def build_core(self, cfg: dict) -> dict[str, Any]:
        # continue_from: old weights and codec, resized or appended to
        core = continue_from(cfg) if cfg["Global"].get("continue_from") else super().build_core(cfg)
        if core["codec"] is not None:
            core["side_files"] = {CODEC_SUFFIX: core["codec"]}
        return core

    def run_instead(self, cfg: dict) -> dict[str, Any] | None:
        return convert(cfg) if cfg["Global"].get("stop_training") else None

    def bind_loader(self, loader, core: dict[str, Any], section: str) -> None:
        if core["codec"] is not None:
            bind_codec(loader.dataset, core["codec"], section)
        super().bind_loader(loader, core, section)

    def start_run(self, core: dict[str, Any], save_dir: str) -> None:
        if core["codec"] is not None:
            core["codec"].save(os.path.join(save_dir, "codec.json"))

    def hooks(self, cfg: dict, core: dict[str, Any]) -> tuple[list, list]:
        return workflow_hooks(cfg["Global"], core["postprocess"], line_recognizer=True)
