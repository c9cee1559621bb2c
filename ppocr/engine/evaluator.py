"""Evaluation loop and the helpers inference shares with it."""
from __future__ import annotations

import copy
import logging
import os
import time
from typing import Any

import paddle

from ppocr.engine import contracts as C
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pgm", ".ppm")


def evaluate_model(model: paddle.nn.Layer, loader, postprocess, metric) -> dict[str, Any]:
    """Run ``model`` over ``loader``; returns the metric dict plus ``fps`` and ``skipped``.

    The post-processor gets the batch keys it names in ``eval_keys`` (default ``('label',)``).
    """
    was_training = model.training
    model.eval()
    metric.reset()
    keys = C.eval_keys(postprocess)
    model_keys = C.input_keys(model)
    n, skipped, t_model = 0, 0, 0.0
    with paddle.no_grad():
        for batch in loader:
            s = batch.pop("skipped", None)
            skipped += int(s.sum()) if s is not None else 0
            if not any(k in batch for k in model_keys):
                continue
            t0 = time.perf_counter()
            preds = model(batch)
            result = postprocess(preds, *C.post_args(postprocess, batch, keys))
            t_model += time.perf_counter() - t0
            metric(result, batch)
            n += int(batch[model_keys[0]].shape[0])
    out = dict(metric.get_metric())
    out["fps"] = n / t_model if t_model > 0 else 0.0
    if skipped:
        out["skipped"] = skipped
        logger.warning("eval skipped %d samples (see the warnings above for which and why)", skipped)
    if was_training:
        model.train()
    return out


def _transform_class(name: str):

    return TRANSFORMS.get(name) if name in TRANSFORMS else None


def label_free_transforms(transforms: list, keep: tuple[str, ...] = ("image",)) -> list:
    """The Eval transforms minus label encoders (PaddleOCR's infer pipeline).

    A ``*LabelEncode`` transform is dropped unless its class sets ``keep_at_inference = True``
    (e.g. a token encoder that turns an OCR result into model inputs); such a transform gets
    ``infer_mode: True`` (labels become optional).
    ``KeepKeys`` keeps ``image`` plus those of its keys that are in ``keep`` (e.g. a detector's
    ``shape_list``, which its post-processor names in ``infer_keys``), and then the other keys
    of ``keep`` the pipeline produces, in ``keep`` order.
    """
    out = []
    for entry in copy.deepcopy(transforms or []):
        name = next(iter(entry))
        cls = _transform_class(name)
        if getattr(cls, "keep_at_inference", False):
            entry = {name: dict(entry[name] or {}, infer_mode=True)}
        elif name.endswith("LabelEncode"):
            continue
        if name == "KeepKeys":
            listed = (entry["KeepKeys"] or {}).get("keep_keys") or []
            kept = ["image"] + [k for k in listed if k in keep and k != "image"]
            kept += [k for k in keep if k not in kept and k not in listed and k != "image"]
            entry = {"KeepKeys": {"keep_keys": kept}}
        out.append(entry)
    return out


def list_images(path: str | None) -> list[str]:
    """A file, or every image file in a folder (sorted)."""
    if not path:
        raise ConfigError("set Global.infer_img to an image file or a folder of images")
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise DataError(f"Global.infer_img {path!r} is neither a file nor a folder")
    files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.lower().endswith(IMAGE_SUFFIXES))
    if not files:
        raise DataError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {path}")
    return files
