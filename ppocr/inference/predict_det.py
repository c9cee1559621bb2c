"""Text detection with an exported DB model (``paddle.inference``), PaddleOCR-style.

The pipeline comes from the model's ``inference.yml`` (written by ``tools/export_model.py``):

1. the input array becomes ``uint8`` BGR (grey, grey+alpha, BGRA, 16-bit and float images are
   converted the way ``DecodeImage`` converts decoded files; RGBA is composited over white), then
   takes ``DecodeImage``'s ``img_mode``;
2. ``PreProcess.transform_ops`` minus ``DecodeImage``/label encoders/``KeepKeys`` are built through
   the transform registry (``DetResizeForTest``, ``NormalizeImage``, ``ToCHWImage`` ...);
3. the predictor's ``[1, 1, H, W]`` shrink-probability map goes through ``DBPostProcess`` built
   from ``PostProcess``;
4. boxes are clipped to the image (whole pixels, as PaddleOCR's), put in the toolkit's vertex order
   (clockwise on screen from the top-left, :mod:`ppocr.utils.geometry`), and boxes with a side under
   4 px are dropped (PaddleOCR's ``filter_tag_det_res``: ``int(length) <= 3``); polygons are clipped
   and oriented the same way.

Flags and ``inference.yml`` (the rule of the recogniser: what the model was exported with wins over
flags the user did not type; a typed flag wins over both):

* ``--det_limit_side_len`` / ``--det_limit_type`` replace the ``DetResizeForTest`` options when
  either is typed; without a ``DetResizeForTest`` in the file, the flags (960, ``max``) are used.
* ``--det_db_thresh`` -> ``thresh``, ``--det_db_box_thresh`` -> ``box_thresh``,
  ``--det_db_unclip_ratio`` -> ``unclip_ratio``, ``--use_dilation`` -> ``use_dilation``,
  ``--det_db_score_mode`` -> ``score_mode``, ``--det_box_type`` -> ``box_type``.

A model folder without ``inference.yml`` gets PaddleOCR's default DB pipeline (limit resize,
ImageNet normalisation, the flag values).

Example:
    >>> from ppocr.inference.predict_det import TextDetector
    >>> det = TextDetector({"det_model_dir": "inference/det", "use_gpu": False})
    >>> boxes, seconds = det(cv2.imread("page.png"))
    >>> boxes.shape                      # corners clockwise from the top-left, image pixels
    (12, 4, 2)
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import time
from typing import Any, Mapping

import numpy as np

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug import functional as F
from ppocr.inference.utility import (create_predictor, is_explicit, predict_over_images, read_inference_yml,
                                     to_namespace, write_image)
from ppocr.inference.visualize import draw_boxes
from ppocr.registry import POSTPROCESS, build, nearest
from ppocr.utils.errors import ConfigError
from ppocr.utils.geometry import order_corners, order_polygon

logger = logging.getLogger(__name__)

#: Algorithms whose exported models end in a DB head (one shrink-probability map).
DB_ALGORITHMS = ("DB", "DB++")

#: DBPostProcess option <- the flag that sets it.
POST_FLAGS = {"thresh": "det_db_thresh", "box_thresh": "det_db_box_thresh", "unclip_ratio": "det_db_unclip_ratio",
              "use_dilation": "use_dilation", "score_mode": "det_db_score_mode", "box_type": "det_box_type"}

#: PaddleOCR's DB pre-processing, used when the model folder has no ``inference.yml``.
DEFAULT_TRANSFORMS = [
    {"DetResizeForTest": {"limit_side_len": 960, "limit_type": "max"}},
    {"NormalizeImage": {"scale": "1./255.", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                        "order": "hwc"}},
    {"ToCHWImage": None},
]

#: ``--det_limit_type`` values (DetResizeForTest's ``limit_type``).
LIMIT_TYPES = ("max", "min", "resize_long")

#: Boxes with a side of at most this many pixels are dropped (PaddleOCR's rule).
MIN_BOX_SIDE = 3


def filter_boxes(boxes: Any, height: int, width: int, box_type: str = "quad") -> Any:
    """Order, clip and size-filter detected boxes (PaddleOCR's ``filter_tag_det_res``).

    Vertices are clipped to the image and truncated to whole pixels (``DBPostProcess`` already gives
    whole pixels), as PaddleOCR's ``clip_det_res`` does. A quad whose top or left side is shorter than
    :data:`MIN_BOX_SIDE` + 1 pixels (PaddleOCR: ``int(length) <= 3``) is dropped.

    Args:
        boxes: ``[N, 4, 2]`` quads, or a list of ``[K, 2]`` polygons for ``box_type='poly'``.
        height: image height.
        width: image width.
        box_type: ``'quad'`` or ``'poly'``.

    Returns:
        ``quad``: float32 ``[M, 4, 2]``, corners clockwise from the top-left, inside the image, both
        side lengths above :data:`MIN_BOX_SIDE`. ``poly``: the polygons clipped to the image.
    """
    def clip(pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, np.float32).reshape(-1, 2).copy()
        pts[:, 0] = np.floor(np.clip(pts[:, 0], 0, width - 1))
        pts[:, 1] = np.floor(np.clip(pts[:, 1], 0, height - 1))
        return pts

    if box_type == "poly":
        return [order_polygon(clip(poly)) for poly in boxes]
    kept = []
    for box in np.asarray(boxes, np.float32).reshape(-1, 4, 2):
        box = order_corners(clip(box))  # after clipping, which can move the top-left corner
        sides = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[0] - box[3])
        if min(int(side) for side in sides) <= MIN_BOX_SIDE:
            continue
        kept.append(box)
    return np.stack(kept).astype(np.float32) if kept else np.zeros((0, 4, 2), np.float32)


class TextDetector:
    """Detect text boxes with an exported DB model.

    Args:
        args: an ``argparse.Namespace`` from :func:`ppocr.inference.utility.parse_args`, or a dict of
            the same option names (unknown ones raise ``ValueError`` naming the nearest valid ones).

    Attributes:
        preprocess_ops: the ``Compose`` built from ``inference.yml`` and the flags.
        postprocess: the ``DBPostProcess`` in use.
        img_mode: ``DecodeImage``'s colour order the model was trained with (``BGR`` by default).
        infer_cfg: the parsed ``inference.yml`` (``{}`` if the model has none).
        stats: cumulative seconds of ``preprocess``/``inference``/``postprocess`` and ``images``.

    Raises:
        ConfigError: missing model files, a model that is not a DB detector, or a flag value out of
            range (the message names the flag).
    """

    def __init__(self, args: argparse.Namespace | Mapping[str, Any]):
        args = to_namespace(args)
        self.args = args
        if args.det_algorithm not in DB_ALGORITHMS:
            raise ConfigError(f"--det_algorithm {args.det_algorithm!r} is not supported; this predictor handles "
                              f"{', '.join(DB_ALGORITHMS)} ({nearest(args.det_algorithm, DB_ALGORITHMS)})")
        self.predictor, self.input_tensor, self.output_tensors, self.config = create_predictor(args, "det", logger)
        self.infer_cfg = read_inference_yml(args.det_model_dir)
        where = f"{args.det_model_dir}/inference.yml"
        model_type = (self.infer_cfg.get("Global") or {}).get("model_type")
        if model_type not in (None, "det"):
            raise ConfigError(f"--det_model_dir {args.det_model_dir!r} holds a {model_type!r} model ({where}: "
                              "Global.model_type); point it at an exported detection model")
        self.img_mode, transforms = self._transform_list(args, self.infer_cfg, where)
        self.preprocess_ops = build_transforms(transforms, None, f"{where} PreProcess.transform_ops")
        self.postprocess = self._build_postprocess(args, self.infer_cfg, where)
        self.box_type = self.postprocess.box_type
        self.benchmark = bool(getattr(args, "benchmark", False))
        self.stats = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0, "images": 0}
        logger.debug("det pre-processing: %r; post-processing: %r", self.preprocess_ops, self.postprocess)
        if getattr(args, "warmup", False):
            self(np.full((640, 640, 3), 255, np.uint8))

    @staticmethod
    def _transform_list(args: argparse.Namespace, infer_cfg: Mapping[str, Any], where: str) -> tuple[str, list]:
        """``(img_mode, transforms)``: the file's transforms, minus decoding/labels/KeepKeys, plus the flags."""
        ops = (infer_cfg.get("PreProcess") or {}).get("transform_ops")
        if ops is None:
            if infer_cfg:
                logger.warning("%s has no PreProcess.transform_ops; using PaddleOCR's default DB pre-processing",
                               where)
            ops = copy.deepcopy(DEFAULT_TRANSFORMS)
        if not isinstance(ops, list):
            raise ConfigError(f"{where}: PreProcess.transform_ops must be a list, got {type(ops).__name__}")
        img_mode, out, resize = "BGR", [], None
        for i, entry in enumerate(copy.deepcopy(ops)):
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ConfigError(f"{where}: PreProcess.transform_ops.{i} must be a one-key mapping, got {entry!r}")
            (name, opts), = entry.items()
            if name == "DecodeImage":
                opts = opts or {}
                img_mode = opts.get("img_mode", "BGR")
                if img_mode not in ("BGR", "RGB", "GRAY"):
                    raise ConfigError(f"{where}: DecodeImage.img_mode must be BGR, RGB or GRAY, got {img_mode!r}")
                if opts.get("channel_first"):
                    raise ConfigError(f"{where}: DecodeImage.channel_first is true; the detector expects ToCHWImage "
                                      "to make the channel axis: set channel_first false and re-export")
                continue
            if name == "KeepKeys" or name.endswith("LabelEncode"):
                continue
            if name == "DetResizeForTest":
                resize = entry
            out.append(entry)
        explicit = is_explicit(args, "det_limit_side_len") or is_explicit(args, "det_limit_type")
        if explicit or resize is None:
            if isinstance(args.det_limit_side_len, bool) or not isinstance(args.det_limit_side_len, int) \
                    or args.det_limit_side_len <= 0:
                raise ConfigError(f"--det_limit_side_len must be a positive integer, got {args.det_limit_side_len!r}")
            if args.det_limit_type not in LIMIT_TYPES:
                raise ConfigError(f"--det_limit_type must be one of {', '.join(LIMIT_TYPES)}, got "
                                  f"{args.det_limit_type!r} ({nearest(str(args.det_limit_type), LIMIT_TYPES)})")
        flag_resize = {"limit_side_len": args.det_limit_side_len, "limit_type": args.det_limit_type}
        if resize is None:
            logger.info("%s has no DetResizeForTest; resizing with --det_limit_side_len %d --det_limit_type %s",
                        where, args.det_limit_side_len, args.det_limit_type)
            out.insert(0, {"DetResizeForTest": flag_resize})
        elif explicit:
            keep = {k: v for k, v in (resize["DetResizeForTest"] or {}).items() if k == "max_side_limit"}
            resize["DetResizeForTest"] = {**flag_resize, **keep}
            logger.info("DetResizeForTest from the flags: %s", flag_resize)
        return img_mode, out

    @staticmethod
    def _build_postprocess(args: argparse.Namespace, infer_cfg: Mapping[str, Any], where: str):
        post = dict(infer_cfg.get("PostProcess") or {"name": "DBPostProcess"})
        if post.get("name") != "DBPostProcess":
            raise ConfigError(f"{where}: PostProcess {post.get('name')!r} is not supported; TextDetector runs "
                              "DB models (PostProcess name DBPostProcess)")
        for option, flag in POST_FLAGS.items():
            if option not in post or is_explicit(args, flag):
                post[option] = getattr(args, flag)
        for option in ("thresh", "box_thresh"):
            value = post[option]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ConfigError(f"--{POST_FLAGS[option]} must be in [0, 1], got {value!r}")
        for option, allowed in (("score_mode", ("fast", "slow")), ("box_type", ("quad", "poly"))):
            if post[option] not in allowed:
                raise ConfigError(f"--{POST_FLAGS[option]} must be one of {', '.join(allowed)}, got {post[option]!r}")
        if isinstance(post["unclip_ratio"], bool) or not isinstance(post["unclip_ratio"], (int, float)) \
                or post["unclip_ratio"] <= 0:
            raise ConfigError(f"--det_db_unclip_ratio must be a positive number (typically 1.5-2.0), "
                              f"got {post['unclip_ratio']!r}")
        return build(post, POSTPROCESS, where=f"{where} PostProcess (with the --det_db_* flags)")

    def preprocess(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prepare one image for the predictor.

        Args:
            img: an image array (see :func:`ppocr.data.imaug.functional.to_bgr`).

        Returns:
            ``(batch, shape_list)``: float32 ``[1, C, H', W']`` and ``[src_h, src_w, ratio_h, ratio_w]``.
        """
        img = F.to_bgr(img)
        if self.img_mode == "RGB":
            img = np.ascontiguousarray(img[:, :, ::-1])
        elif self.img_mode == "GRAY":
            img = F.to_channels(img, 1)
        data = self.preprocess_ops({"image": img})
        if data is None:
            raise ConfigError(f"the det pre-processing dropped the image ({self.preprocess_ops.last_drop})")
        shape = data.get("shape_list", data.get("shape"))
        if shape is None:
            raise ConfigError("the det pre-processing produced no shape_list; it needs a DetResizeForTest")
        batch = np.asarray(data["image"], np.float32)[None]
        return np.ascontiguousarray(batch), np.asarray(shape, np.float32)

    def forward(self, batch: np.ndarray) -> np.ndarray:
        """Run the predictor on a pre-processed batch.

        Args:
            batch: float32 ``[B, C, H, W]``.

        Returns:
            The shrink-probability maps, float32 ``[B, 1, H, W]``.
        """
        self.input_tensor.reshape(list(batch.shape))
        self.input_tensor.copy_from_cpu(batch)
        self.predictor.run()
        maps = self.output_tensors[0].copy_to_cpu()
        if maps.ndim != 4 or maps.shape[0] != batch.shape[0]:
            raise ConfigError(f"expected the detector to output [B, 1, H, W] maps with B={batch.shape[0]}, got "
                              f"{tuple(maps.shape)}; is --det_model_dir an exported DB detection model?")
        return maps[:, :1]

    def __call__(self, img: np.ndarray) -> tuple[Any, float]:
        """Detect text in one image.

        Args:
            img: ``HxW``/``HxWxC`` image array, BGR for colour (grey and BGRA are converted).

        Returns:
            ``(dt_boxes, elapsed seconds)``; ``dt_boxes`` is float32 ``[N, 4, 2]`` in image pixels
            (``[0, 4, 2]`` if nothing is found), or a list of ``[K, 2]`` polygons with
            ``--det_box_type poly``.
        """
        start = time.perf_counter()
        img = F.to_bgr(img)
        src_h, src_w = img.shape[:2]
        batch, shape = self.preprocess(img)
        t1 = time.perf_counter()
        maps = self.forward(batch)
        t2 = time.perf_counter()
        result = self.postprocess(maps, shape[None])[0]
        boxes = filter_boxes(result["points"], src_h, src_w, self.box_type)
        t3 = time.perf_counter()
        self.stats["preprocess"] += t1 - start
        self.stats["inference"] += t2 - t1
        self.stats["postprocess"] += t3 - t2
        self.stats["images"] += 1
        elapsed = t3 - start
        if self.benchmark:
            logger.info("det %dx%d -> %s input, %d boxes in %.4fs (pre %.4f, infer %.4f, post %.4f)", src_w, src_h,
                        "x".join(map(str, batch.shape[2:][::-1])), len(boxes), elapsed, t1 - start, t2 - t1,
                        t3 - t2)
        return boxes, elapsed


#: Name of the results file :func:`detect_images` writes in ``draw_img_save_dir``.
RESULTS_FILE = "det_results.txt"


def detect_images(args: argparse.Namespace, detector: TextDetector | None = None) -> list[dict[str, Any]]:
    """Detect text in every image of ``--image_dir``; write results and drawings to ``--draw_img_save_dir``.

    Writes ``det_results.txt`` (``image_name<TAB>[[[x, y], ...], ...]`` per image, PaddleOCR's format)
    and ``det_res_<image_name>`` with the boxes drawn.

    Args:
        args: parsed flags.
        detector: a :class:`TextDetector` to use (default: built from ``args``).

    Returns:
        Per image ``{"image", "boxes", "time", "vis_path"}``.

    Raises:
        ConfigError: bad flags, or no readable image.
    """
    detector = detector or TextDetector(args)
    out_dir = args.draw_img_save_dir

    def handle(path: str, img: np.ndarray) -> tuple[str, dict]:
        boxes, elapsed = detector(img)
        name = os.path.basename(path)
        points = [np.asarray(b).tolist() for b in boxes]
        logger.info("%s: %d boxes in %.3fs", name, len(points), elapsed)
        vis_path = os.path.join(out_dir, f"det_res_{name}")
        write_image(vis_path, draw_boxes(img, boxes))
        return f"{name}\t{json.dumps(points)}", {"image": path, "boxes": boxes, "time": elapsed, "vis_path": vis_path}

    return predict_over_images(args.image_dir, out_dir, RESULTS_FILE, handle)
