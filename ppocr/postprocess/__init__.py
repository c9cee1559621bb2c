"""Post-processing: turn raw model outputs into results (text, boxes, ...).

Usage::

    from ppocr.postprocess import build_post_process
    decode = build_post_process({"name": "CTCLabelDecode"}, global_cfg={"use_space_char": True})
    texts = decode(probs)          # [(text, score), ...]
"""
from __future__ import annotations

from typing import Any

from ppocr.postprocess import rec_postprocess  # noqa: F401  (registers CTCLabelDecode)
from ppocr.postprocess import db_postprocess  # noqa: F401  (registers DBPostProcess)
from ppocr.postprocess import vgsl_postprocess  # noqa: F401  (registers VGSLLabelDecode)
from ppocr.postprocess import cls_postprocess  # noqa: F401  (registers ClsPostProcess)
from ppocr.postprocess import kie_postprocess  # noqa: F401  (registers the VQA*TokenLayoutLMPostProcess)
from ppocr.postprocess import distillation_postprocess  # noqa: F401  (registers the det/rec Distillation*)
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.registry import POSTPROCESS, build

__all__ = ["CTCLabelDecode", "build_post_process"]


def build_post_process(cfg: dict, global_cfg: dict | None = None) -> Any:
    """Build the post-processor that the ``PostProcess`` section names.

    Args:
        cfg: the ``PostProcess`` section, e.g. ``{"name": "CTCLabelDecode"}``.
        global_cfg: the ``Global`` section; ``character_dict_path`` and ``use_space_char``
            reach decoders that declare them.

    Returns:
        The post-processor (a callable).

    Raises:
        ConfigError: unknown name or key, or rejected arguments.
    """
    return build(cfg, POSTPROCESS, where="PostProcess", global_cfg=global_cfg)
