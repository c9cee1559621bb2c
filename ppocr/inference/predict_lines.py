"""Recognise text-line images with an exported VGSL model (``paddle.inference``).

The exported folder is self-contained: ``inference.yml`` (written by ``tools/export_model.py``)
holds the preprocessing (``PreProcess.transform_ops``: the Eval transforms without the label
encoder, e.g. ``VGSLResizeLine``) and the decoder with its codec (``PostProcess``:
``VGSLLabelDecode`` and ``codec``), so recognition uses exactly the training codec and image
preparation. Lines are batched by width (``--rec_batch_num``), each batch zero-padded to its
widest line like the training loader's ``collate: pad``; recurrent layers see the padding, so
results can differ from one line at a time (``--rec_batch_num 1``, the default of
``tools/infer/predict_lines.py``: exact, equal to the training-time ``tools/infer_rec.py``, and
on a CPU as fast, since the recurrent layers cost the same per line at any batch size).

Example:
    >>> from ppocr.inference.predict_lines import LineRecognizer
    >>> rec = LineRecognizer({"rec_model_dir": "inference/vgsl_lines", "use_gpu": False})
    >>> results, seconds = rec([open("line.png", "rb").read()])
    >>> results[0]          # (text, score)
"""
from __future__ import annotations

import argparse
import logging
import time
from typing import Any, Mapping, Sequence

import numpy as np

from ppocr.data.imaug import build_transforms
from ppocr.data.loader import pad_to_largest
from ppocr.inference.utility import create_predictor, read_inference_yml, to_namespace
from ppocr.postprocess.vgsl_postprocess import VGSLLabelDecode
from ppocr.vgsl.codec import Codec
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)


class LineRecognizer:
    """Recognise line images with an exported VGSL model.

    Args:
        args: an ``argparse.Namespace`` from :func:`ppocr.inference.utility.parse_args`, or a dict
            of the same option names (``rec_model_dir``, ``use_gpu``, ``rec_batch_num``,
            ``cpu_threads``, ``enable_mkldnn``, ...).

    Attributes:
        codec: the model's codec.
        ops: the preprocessing built from ``inference.yml``.

    Raises:
        ConfigError: missing model files, or an ``inference.yml`` without the VGSL decoder and codec.
    """

    def __init__(self, args: argparse.Namespace | Mapping[str, Any]):
        args = to_namespace(args)
        if int(args.rec_batch_num) < 1:
            raise ConfigError(f"--rec_batch_num must be >= 1, got {args.rec_batch_num}")
        self.batch_size = int(args.rec_batch_num)
        self.predictor, self.input_tensor, self.output_tensors, _ = create_predictor(args, "rec", logger)
        cfg = read_inference_yml(args.rec_model_dir)
        where = f"{args.rec_model_dir}/inference.yml"
        post = cfg.get("PostProcess") or {}
        if post.get("name") != "VGSLLabelDecode" or not isinstance(post.get("codec"), dict):
            raise ConfigError(f"{where}: expected PostProcess VGSLLabelDecode with its codec (a VGSL model exported "
                              f"by tools/export_model.py), got {post.get('name')!r}; for other CTC models use "
                              "tools/infer/predict_rec.py")
        try:
            self.codec = Codec.from_dict(post["codec"])
        except (ValueError, TypeError, KeyError) as e:
            raise ConfigError(f"{where}: PostProcess.codec is not a valid codec: {e}") from e
        self.decoder = VGSLLabelDecode(self.codec)
        ops = (cfg.get("PreProcess") or {}).get("transform_ops")
        if not ops:
            raise ConfigError(f"{where}: PreProcess.transform_ops is missing; export the model again")
        self.ops = build_transforms(ops, None, f"{where} PreProcess.transform_ops")

    def prepare(self, image: np.ndarray | bytes) -> np.ndarray:
        """One line (``uint8`` array, grey or BGR, or encoded file bytes) as the model input ``CxHxW``."""
        return self.ops({"img_path": "<image>", "image": image})["image"]

    def __call__(self, images: Sequence[np.ndarray | bytes]) -> tuple[list[tuple[str, float]], float]:
        """Recognise line images.

        Args:
            images: ``uint8`` arrays (grey ``HxW`` or BGR ``HxWx3``) or encoded image bytes.

        Returns:
            ``([(text, score), ...] in input order, elapsed seconds)``.
        """
        start = time.perf_counter()
        tensors = [self.prepare(img) for img in images]
        order = np.argsort([t.shape[-1] for t in tensors], kind="stable")
        results: list[tuple[str, float]] = [("", 0.0)] * len(tensors)
        for beg in range(0, len(order), self.batch_size):
            idx = order[beg:beg + self.batch_size]
            batch = np.stack(pad_to_largest([tensors[i] for i in idx])).astype(np.float32)
            self.input_tensor.reshape(batch.shape)
            self.input_tensor.copy_from_cpu(batch)
            self.predictor.run()
            out = self.output_tensors[0].copy_to_cpu()
            if out.ndim != 3 or out.shape[0] != len(idx):
                raise ConfigError(f"expected the model to output [B, T, C] with B={len(idx)}, got {tuple(out.shape)}")
            for i, res in zip(idx, self.decoder(out)):
                results[int(i)] = res
        return results, time.perf_counter() - start
