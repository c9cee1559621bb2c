"""Shared front end of the ``paddle.inference`` predictors: PaddleOCR-compatible flags and predictor creation.

The flag names and most defaults follow PaddleOCR's ``tools/infer/utility.py`` so existing
command lines keep working. Differences, all deliberate:

* ``--rec_char_dict_path`` defaults to ``None``: the dictionary then comes from the model's
  ``inference.yml`` (``PostProcess.character_dict``) or, failing that, the toolkit's default
  ``0-9a-z`` list. PaddleOCR defaults to its Chinese ``ppocr_keys_v1.txt``.
* ``--use_gpu`` defaults to ``True`` as in PaddleOCR, but falls back to the CPU with a logged
  warning when Paddle was built without CUDA/ROCm.
* ``--enable_mkldnn`` keeps PaddleOCR's ``None`` default, which here means "leave Paddle's own
  default" (oneDNN is on for CPU in Paddle 3); ``True``/``False`` force it on/off.
* ``--use_onnx`` and ``--use_tensorrt`` are accepted but not supported: ONNX raises
  :class:`ConfigError`, TensorRT logs a warning and runs without it.
* Flags used only by PaddleOCR's other pipelines here (``--vis_font_path``, ``--drop_score``,
  ``--page_num``, ``--return_word_box``, ``--save_log_path``, ``--max_text_length``) are
  accepted for compatibility and ignored by the recogniser.
* ``--ser_model_dir``, ``--re_model_dir``, ``--ser_dict_path``, ``--ocr_order_method``,
  ``--use_visual_backbone``, ``--kie_algorithm`` and ``--output`` are the KIE predictors' flags
  (``ppstructure/kie/predict_kie_token_ser*.py``); their OCR uses the ``--det_*``/``--rec_*`` flags.
* ``--det_*`` flags configure :class:`ppocr.inference.predict_det.TextDetector`; as for the
  recogniser, settings in the det model's ``inference.yml`` win over flags left at their
  defaults. ``--max_batch_size`` is accepted and unused (PaddleOCR sizes TensorRT with it).
* ``--cls_*`` flags and ``--label_list`` configure the text-direction classifier
  (:class:`ppocr.inference.predict_cls.TextClassifier`; ``--use_angle_cls true`` puts it into
  ``predict_system``); the image shape and label list in the cls model's ``inference.yml`` win over
  flags left at their defaults. ``--label_list`` takes ``0,180`` or ``['0','180']`` (PaddleOCR declares
  it ``type=list``, which splits a typed value into characters).

:func:`parse_args` records which flags the user typed in ``args.explicit_flags``, so
predictors can let settings stored in ``inference.yml`` win over untouched defaults.

Example:
    >>> from ppocr.inference.utility import parse_args
    >>> args = parse_args(["--rec_model_dir", "inference/rec", "--use_gpu", "false"])
    >>> sorted(args.explicit_flags)
    ['rec_model_dir', 'use_gpu']
"""
from __future__ import annotations

import argparse
import copy
import logging
import os
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import yaml

from ppocr.data.imaug import functional as F
from ppocr.registry import nearest
from ppocr.utils.errors import ConfigError, SampleError
from ppocr.utils.label_list import check_label_list

logger = logging.getLogger(__name__)

#: File extensions the infer tools treat as images.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pbm", ".pgm", ".ppm", ".jp2")

# Which flag names the model directory of each predictor mode.
_MODEL_DIR_FLAG = {"det": "det_model_dir", "rec": "rec_model_dir", "cls": "cls_model_dir",
                   "table": "table_model_dir", "ser": "ser_model_dir", "re": "re_model_dir",
                   "layout": "layout_model_dir"}


def str2bool(v: str | bool) -> bool:
    """Parse ``true/false/yes/no/1/0/t/f/y/n`` (any case) as a boolean flag value.

    Raises:
        argparse.ArgumentTypeError: anything else.
    """
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "t", "yes", "y", "1"):
        return True
    if s in ("false", "f", "no", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean (true/false), got {v!r}")


def label_list_arg(value: str | list) -> list[str]:
    """Parse ``--label_list``: ``0,180``, ``['0', '180']`` (YAML/Python list syntax) or a list.

    Raises:
        argparse.ArgumentTypeError: not a list of at least two distinct class names.
    """
    items = value
    if isinstance(value, str):
        text = value.strip()
        try:
            items = yaml.safe_load(text) if text.startswith("[") else [v.strip() for v in text.split(",")]
        except yaml.YAMLError as e:
            raise argparse.ArgumentTypeError(f"expected class names such as 0,180 or ['0','180'], got {value!r}: "
                                             f"{e}") from e
        if isinstance(items, list):
            items = [v.strip().strip("'\"") if isinstance(v, str) else v for v in items]
    try:
        return check_label_list(items, "--label_list")
    except (TypeError, ValueError) as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def init_args() -> argparse.ArgumentParser:
    """The argument parser with PaddleOCR's inference flags (unknown flags are errors)."""
    parser = argparse.ArgumentParser(description="PaddleOCR-compatible inference with paddle.inference")
    # device and engine
    parser.add_argument("--use_gpu", type=str2bool, default=True,
                        help="run on GPU if Paddle has CUDA/ROCm, else fall back to CPU with a warning")
    parser.add_argument("--use_xpu", type=str2bool, default=False, help="run on a Kunlun XPU")
    parser.add_argument("--ir_optim", type=str2bool, default=True, help="apply IR graph optimisation passes")
    parser.add_argument("--use_tensorrt", type=str2bool, default=False, help="not supported; ignored with a warning")
    parser.add_argument("--min_subgraph_size", type=int, default=15, help="TensorRT minimum subgraph size")
    parser.add_argument("--precision", type=str, default="fp32", choices=("fp32", "fp16", "int8"),
                        help="fp16: half precision on GPU, bfloat16 oneDNN on CPU with --enable_mkldnn true; "
                             "int8 needs TensorRT (unsupported, runs fp32)")
    parser.add_argument("--gpu_mem", type=int, default=500, help="initial GPU memory pool in MB")
    parser.add_argument("--gpu_id", type=int, default=0, help="GPU device id")
    # input
    parser.add_argument("--image_dir", type=str, help="an image file or a folder of images")
    parser.add_argument("--page_num", type=int, default=0, help="PDF pages to read (PDF input not supported yet)")
    # recognition
    parser.add_argument("--rec_algorithm", type=str, default="SVTR_LCNet",
                        help="CTC-based algorithms (CRNN, Rosetta, STARNet, SVTR, SVTR_LCNet, SVTR_HGNet) "
                             "all use the same pre- and post-processing")
    parser.add_argument("--rec_model_dir", type=str, help="folder with inference.json/.pdmodel and .pdiparams")
    parser.add_argument("--rec_image_shape", type=str, default="3, 48, 320",
                        help="C, H, W of the recogniser input; inference.yml wins unless the flag is given")
    parser.add_argument("--rec_batch_num", type=int, default=6, help="images per recognition batch")
    parser.add_argument("--max_text_length", type=int, default=25, help="accepted for compatibility; unused by CTC")
    parser.add_argument("--rec_char_dict_path", type=str, default=None,
                        help="dictionary file; default: inference.yml's character_dict, else 0-9a-z")
    parser.add_argument("--use_space_char", type=str2bool, default=True, help="append ' ' to the dictionary")
    parser.add_argument("--vis_font_path", type=str, default="./doc/fonts/simfang.ttf",
                        help="TTF for drawing results; if missing, a system font (DejaVu/Liberation/Noto) or "
                             "OpenCV's Hershey font is used")
    parser.add_argument("--drop_score", type=float, default=0.5,
                        help="predict_system: drop recognised text scoring below this")
    # detection (PaddleOCR's names; inference.yml wins over flags left at their defaults)
    parser.add_argument("--det_algorithm", type=str, default="DB", help="DB or DB++ (DBPostProcess models)")
    parser.add_argument("--det_model_dir", type=str, help="folder with the exported detector")
    parser.add_argument("--det_limit_side_len", type=int, default=960, help="side limit of DetResizeForTest")
    parser.add_argument("--det_limit_type", type=str, default="max", choices=("max", "min", "resize_long"),
                        help="max: longer side <= limit; min: shorter side >= limit; resize_long: longer side = limit")
    parser.add_argument("--det_box_type", type=str, default="quad", choices=("quad", "poly"),
                        help="quad: 4-point boxes; poly: polygons")
    parser.add_argument("--det_db_thresh", type=float, default=0.3, help="binarisation threshold of the map")
    parser.add_argument("--det_db_box_thresh", type=float, default=0.6, help="minimum mean score of a box")
    parser.add_argument("--det_db_unclip_ratio", type=float, default=1.5, help="box expansion ratio")
    parser.add_argument("--max_batch_size", type=int, default=10, help="accepted for compatibility; unused")
    parser.add_argument("--use_dilation", type=str2bool, default=False, help="dilate the binary map by 2x2")
    parser.add_argument("--det_db_score_mode", type=str, default="fast", choices=("fast", "slow"),
                        help="box score: mean inside the box (fast) or inside the exact contour (slow)")
    # text direction (angle) classifier
    parser.add_argument("--use_angle_cls", type=str2bool, default=False,
                        help="predict_system: classify each crop's direction and turn upside-down ones before "
                             "recognition (needs --cls_model_dir)")
    parser.add_argument("--cls_model_dir", type=str, help="folder with the exported text-direction classifier")
    parser.add_argument("--cls_image_shape", type=str, default="3, 48, 192",
                        help="C, H, W of the classifier input; inference.yml wins unless the flag is given")
    parser.add_argument("--label_list", type=label_list_arg, default=["0", "180"],
                        help="class names in index order, e.g. 0,180; inference.yml wins unless the flag is given")
    parser.add_argument("--cls_batch_num", type=int, default=6, help="images per classifier batch")
    parser.add_argument("--cls_thresh", type=float, default=0.9,
                        help="turn a crop by 180 degrees when its '180' score is above this")
    # system
    parser.add_argument("--draw_img_save_dir", type=str, default="./inference_results",
                        help="predict_system: where system_results.txt and the visualisations go")
    parser.add_argument("--save_crop_res", type=str2bool, default=False, help="save every text crop")
    parser.add_argument("--crop_res_save_dir", type=str, default="./output", help="where --save_crop_res writes")
    parser.add_argument("--return_word_box", type=str2bool, default=False, help="unused by the recogniser")
    # key information extraction (ppstructure/kie/predict_kie_token_ser*.py; OCR from --det/--rec_model_dir)
    parser.add_argument("--kie_algorithm", type=str, default="LayoutXLM",
                        help="LayoutXLM (VI-LayoutXLM exports are LayoutXLM models too)")
    parser.add_argument("--ser_model_dir", type=str, help="folder with the exported SER model")
    parser.add_argument("--re_model_dir", type=str, help="folder with the exported RE model")
    parser.add_argument("--use_visual_backbone", type=str2bool, default=True,
                        help="whether the exported models take the page image (LayoutXLM base mode); VI-LayoutXLM "
                             "exports (mode vi) need false; the model's inputs win when the flag is not given")
    parser.add_argument("--ser_dict_path", type=str, default=None,
                        help="SER class list file; default: the one exported with the model (assets/)")
    parser.add_argument("--ocr_order_method", type=str, default=None, choices=(None, "tb-yx"),
                        help="reading order of the OCR lines: tb-yx (top to bottom, then left to right); default: "
                             "the exported pre-processing's order_method")
    parser.add_argument("--output", type=str, default="./output",
                        help="KIE predictors: where infer.txt and the drawings go")
    # CPU
    parser.add_argument("--enable_mkldnn", type=str2bool, default=None,
                        help="oneDNN on CPU: true/false; unset keeps Paddle's default")
    parser.add_argument("--cpu_threads", type=int, default=10, help="CPU math library threads")
    # misc
    parser.add_argument("--warmup", type=str2bool, default=False, help="run one dummy batch at start-up")
    parser.add_argument("--benchmark", type=str2bool, default=False, help="log per-stage timings")
    parser.add_argument("--save_log_path", type=str, default="./log_output/", help="unused here")
    parser.add_argument("--show_log", type=str2bool, default=True, help="log at INFO level")
    parser.add_argument("--use_onnx", type=str2bool, default=False, help="not supported (raises an error)")
    return parser


def _explicit_dests(parser: argparse.ArgumentParser, argv: list[str] | None) -> set[str]:
    """Names of the options that ``argv`` sets, found by re-parsing with every default suppressed."""
    probe = copy.deepcopy(parser)
    for action in probe._actions:  # argparse has no public API to change every default at once
        action.default = argparse.SUPPRESS
    known, _ = probe.parse_known_args(argv)
    return set(vars(known))


def parse_args(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv[1:]``) with :func:`init_args`.

    Args:
        argv: the arguments.
        parser: a parser from :func:`init_args`, possibly extended by the caller.

    Returns:
        The namespace, with ``explicit_flags``: the set of option names given in ``argv``.
    """
    parser = parser or init_args()
    args = parser.parse_args(argv)
    args.explicit_flags = _explicit_dests(parser, argv)
    return args


def args_from_dict(options: Mapping[str, Any], parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Build a namespace from a dict of flag values, filling the rest with the parser's defaults.

    Args:
        options: ``{flag_name: value}`` with names as in the namespace (``rec_model_dir``).
        parser: the parser whose defaults fill missing options (default :func:`init_args`).

    Returns:
        The namespace; ``explicit_flags`` holds the keys of ``options``.

    Raises:
        ValueError: an unknown key, naming the nearest valid ones.
    """
    parser = parser or init_args()
    args = parser.parse_args([])
    valid = set(vars(args))
    for key in options:
        if key not in valid and key != "explicit_flags":
            raise ValueError(f"unknown inference option {key!r}; {nearest(key, valid)}")
    for key, value in options.items():
        setattr(args, key, value)
    args.explicit_flags = set(options) - {"explicit_flags"}
    return args


def to_namespace(args: argparse.Namespace | Mapping[str, Any]) -> argparse.Namespace:
    """Accept a namespace (returned as is) or a dict (see :func:`args_from_dict`)."""
    if isinstance(args, argparse.Namespace):
        return args
    if isinstance(args, Mapping):
        return args_from_dict(args)
    raise TypeError(f"args must be an argparse.Namespace or a dict, got {type(args).__name__}")


def is_explicit(args: argparse.Namespace, name: str) -> bool:
    """Whether the user set option ``name`` (rather than leaving its default).

    Namespaces not made by :func:`parse_args`/:func:`args_from_dict` carry no record; then
    a value different from the parser default counts as set.
    """
    explicit = getattr(args, "explicit_flags", None)
    if explicit is not None:
        return name in explicit
    return getattr(args, name, None) != init_args().get_default(name)


def read_inference_yml(model_dir: str) -> dict:
    """Load ``<model_dir>/inference.yml`` written by the exporter; ``{}`` if there is none.

    Raises:
        ConfigError: the file exists but is not a YAML mapping.
    """
    path = os.path.join(model_dir, "inference.yml")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        try:
            cfg = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path} is not valid YAML: {e}") from e
    if cfg is None:
        return {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(cfg).__name__}")
    return cfg


def parse_image_shape(value: str | Sequence[int], flag: str = "--rec_image_shape") -> list[int]:
    """Parse ``"3, 48, 320"`` (or a sequence) into ``[C, H, W]``.

    Raises:
        ConfigError: not three positive integers, or ``C`` not 1 or 3.
    """
    try:
        parts = [int(v) for v in (value.split(",") if isinstance(value, str) else value)]
    except (TypeError, ValueError):
        parts = []
    if len(parts) != 3 or min(parts) <= 0 or parts[0] not in (1, 3):
        raise ConfigError(f"{flag} must be 'C, H, W' with C in (1, 3) and positive H, W, got {value!r}")
    return parts


def model_image_shape(args: argparse.Namespace, infer_cfg: Mapping[str, Any], transform: str, flag: str) -> list[int]:
    """The model's input ``[C, H, W]``: what ``inference.yml`` records under ``PreProcess`` ``transform``'s
    ``image_shape`` (the shape it was trained with), unless ``--flag`` was given; else ``--flag``'s value."""
    if not is_explicit(args, flag):
        for op in (infer_cfg.get("PreProcess") or {}).get("transform_ops") or []:
            shape = op.get(transform).get("image_shape") if isinstance(op, dict) and isinstance(
                op.get(transform), dict) else None
            if shape is not None:
                logging.getLogger(__name__).info("%s %s from inference.yml", flag, shape)
                return parse_image_shape(shape, f"inference.yml PreProcess {transform}.image_shape")
    return parse_image_shape(getattr(args, flag), f"--{flag}")


def check_postprocess(infer_cfg: Mapping[str, Any], model_dir: str, name: str) -> dict:
    """``inference.yml``'s PostProcess section, checked to be ``name`` (the only decoding the predictor has).

    Raises:
        ConfigError: another post-processor.
    """
    post = infer_cfg.get("PostProcess") or {}
    if post.get("name", name) != name:
        raise ConfigError(f"{model_dir}/inference.yml: PostProcess {post.get('name')!r} is not supported; this "
                          f"predictor decodes {name} models only")
    return post


def model_files(model_dir: str | None, flag: str = "rec_model_dir") -> tuple[str, str]:
    """Locate the program and parameter files of an exported model.

    Args:
        model_dir: the export folder.
        flag: the option that named it, for the error message.

    Returns:
        ``(program_file, params_file)``: ``inference.json`` (Paddle 3 PIR) or
        ``inference.pdmodel`` (older exports), and ``inference.pdiparams``.

    Raises:
        ConfigError: folder or files missing, with what to run to create them.
    """
    hint = ("export a trained model with `python tools/export_model.py -c <config> "
            "-o Global.pretrained_model=<checkpoint> Global.save_inference_dir=<dir>`")
    if not model_dir:
        raise ConfigError(f"--{flag} is not set; point it at an exported model folder ({hint})")
    if not os.path.isdir(model_dir):
        raise ConfigError(f"--{flag} {model_dir!r} does not exist or is not a folder; {hint}")
    params = os.path.join(model_dir, "inference.pdiparams")
    for name in ("inference.json", "inference.pdmodel"):
        program = os.path.join(model_dir, name)
        if os.path.isfile(program):
            break
    else:
        program = None
    if program is None or not os.path.isfile(params):
        found = ", ".join(sorted(os.listdir(model_dir))) or "nothing"
        raise ConfigError(f"--{flag} {model_dir!r} must hold inference.json (or inference.pdmodel) and "
                          f"inference.pdiparams; found {found}. {hint[0].upper() + hint[1:]}")
    return program, params


def create_predictor(args: argparse.Namespace, mode: str, logger: logging.Logger | None = None):
    """Build a ``paddle.inference`` predictor for the model of ``mode``.

    Args:
        args: parsed flags (see :func:`init_args`).
        mode: ``rec``, ``det``, ``cls``, ...; selects the ``--<mode>_model_dir`` flag.
        logger: where to log device decisions (default: this module's logger).

    Returns:
        ``(predictor, input_tensor, output_tensors, config)``: the predictor, the handle of its
        first input, handles of all outputs and the ``paddle.inference.Config`` used.

    Raises:
        ConfigError: unknown mode, missing model files, or ``--use_onnx true``.
    """
    log = logger or globals()["logger"]
    if mode not in _MODEL_DIR_FLAG:
        raise ConfigError(f"unknown predictor mode {mode!r}; {nearest(mode, _MODEL_DIR_FLAG)}")
    if getattr(args, "use_onnx", False):
        raise ConfigError("--use_onnx is not supported by this toolkit; drop the flag to use paddle.inference")
    flag = _MODEL_DIR_FLAG[mode]
    program, params = model_files(getattr(args, flag, None), flag)

    import paddle  # deferred: importing paddle is slow and the flag helpers above do not need it
    from paddle import inference

    config = inference.Config(program, params)
    precision = getattr(args, "precision", "fp32")
    use_gpu = bool(getattr(args, "use_gpu", False))
    has_gpu = paddle.is_compiled_with_cuda() or paddle.is_compiled_with_rocm()
    if use_gpu and not has_gpu:
        log.warning("--use_gpu is true but this Paddle build has no CUDA/ROCm support; running on CPU "
                    "(pass --use_gpu false to silence this)")
        use_gpu = False
    if getattr(args, "use_tensorrt", False):
        log.warning("--use_tensorrt is not supported yet; running without TensorRT")
    if use_gpu:
        if precision == "fp16":
            try:
                config.enable_use_gpu(int(args.gpu_mem), int(args.gpu_id), inference.PrecisionType.Half)
            except TypeError:
                log.warning("this Paddle build cannot run fp16 without TensorRT; using fp32")
                config.enable_use_gpu(int(args.gpu_mem), int(args.gpu_id))
        else:
            if precision == "int8":
                log.warning("--precision int8 needs TensorRT, which is not supported; using fp32")
            config.enable_use_gpu(int(args.gpu_mem), int(args.gpu_id))
    elif getattr(args, "use_xpu", False) and paddle.is_compiled_with_xpu():
        config.enable_xpu(10 * 1024 * 1024)
    else:
        if getattr(args, "use_xpu", False):
            log.warning("--use_xpu is true but this Paddle build has no XPU support; running on CPU")
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(int(getattr(args, "cpu_threads", 10)))
        mkldnn = getattr(args, "enable_mkldnn", None)
        if mkldnn is True:
            if hasattr(config, "enable_mkldnn"):
                config.set_mkldnn_cache_capacity(10)  # bound the per-shape kernel cache
                config.enable_mkldnn()
                if precision == "fp16" and hasattr(config, "enable_mkldnn_bfloat16"):
                    config.enable_mkldnn_bfloat16()
            else:
                log.warning("--enable_mkldnn is true but this Paddle build has no oneDNN; ignored")
        elif mkldnn is False and hasattr(config, "disable_mkldnn"):
            config.disable_mkldnn()
        if mode == "det" and mkldnn is not False and program.endswith(".json"):
            # Paddle 3.3: a PIR program whose nearest_interp runs as a oneDNN kernel fails at run time
            # ("ConvertPirAttribute2RuntimeAttribute not support ArrayAttribute<DoubleAttribute>"). Without
            # the placement pass every op keeps its CPU kernel and the oneDNN fusions still apply.
            config.delete_pass("onednn_placement_pass")
    config.switch_ir_optim(bool(getattr(args, "ir_optim", True)))
    if program.endswith(".pdmodel"):
        # Paddle 3.3 fails to create PIR (inference.json) predictors with memory_optimize_pass on.
        config.enable_memory_optim()
    config.disable_glog_info()
    predictor = inference.create_predictor(config)
    input_names = predictor.get_input_names()
    input_tensor = predictor.get_input_handle(input_names[0])
    output_tensors = [predictor.get_output_handle(n) for n in predictor.get_output_names()]
    log.debug("created %s predictor from %s on %s", mode, program, "GPU" if use_gpu else "CPU")
    return predictor, input_tensor, output_tensors, config


def get_image_file_list(path: str | None, logger: logging.Logger | None = None) -> list[str]:
    """List image files: ``path`` itself, or the images in folder ``path`` (sorted, not recursive).

    Non-image files in a folder are skipped with a warning.

    Raises:
        ConfigError: ``path`` unset or missing, or no images found.
    """
    log = logger or globals()["logger"]
    if not path:
        raise ConfigError("--image_dir is not set; pass an image file or a folder of images")
    if not os.path.exists(path):
        raise ConfigError(f"--image_dir {path!r} does not exist")
    if os.path.isfile(path):
        files = [path]
    else:
        files = [os.path.join(path, n) for n in sorted(os.listdir(path))
                 if os.path.isfile(os.path.join(path, n))]
    images = []
    for f in files:
        if f.lower().endswith(IMAGE_EXTENSIONS):
            images.append(f)
        else:
            log.warning("skipping %s: not an image (allowed extensions: %s)", f, " ".join(IMAGE_EXTENSIONS))
    if not images:
        raise ConfigError(f"--image_dir {path!r} holds no images with extensions {' '.join(IMAGE_EXTENSIONS)}")
    return images


def write_image(path: str, img: np.ndarray) -> None:
    """Encode ``img`` by ``path``'s extension (PNG without one) and write it (non-ASCII paths work).

    Raises:
        ConfigError: OpenCV cannot encode that extension.
    """
    import cv2

    ok, buf = cv2.imencode(os.path.splitext(path)[1] or ".png", img)
    if not ok:
        raise ConfigError(f"cannot encode {path}; use an image extension OpenCV writes (.png, .jpg)")
    buf.tofile(path)


def iter_images(image_dir: str) -> Iterator[tuple[str, np.ndarray]]:
    """``(path, BGR image)`` for each readable image of ``image_dir`` (:func:`read_image`); others are logged.

    Raises:
        ConfigError: no image file, or none of them could be read (after the last one).
    """
    files = get_image_file_list(image_dir, logger)
    read = 0
    for path in files:
        img = read_image(path)
        if img is None:
            logger.warning("cannot read image %s; skipped", path)
            continue
        read += 1
        yield path, img
    if not read:
        raise ConfigError(f"--image_dir {image_dir!r}: none of the {len(files)} image files could be read")


def predict_over_images(image_dir: str, out_dir: str, results_file: str,
                        handle: Callable[[str, np.ndarray], tuple[str, dict]]) -> list[dict[str, Any]]:
    """The predict scripts' loop: read every image of ``image_dir`` (:func:`read_image`), let ``handle``
    predict it, and write the result lines to ``out_dir/results_file``.

    Args:
        image_dir: an image file or a folder (``--image_dir``).
        out_dir: where the results file (and what ``handle`` draws) go; created.
        results_file: name of the results file.
        handle: ``handle(path, img) -> (results line, output record)``.

    Returns:
        The output records, one per readable image.

    Raises:
        ConfigError: no image, or none could be read.
    """
    os.makedirs(out_dir, exist_ok=True)
    outputs, lines = [], []
    for path, img in iter_images(image_dir):
        line, record = handle(path, img)
        lines.append(line)
        outputs.append(record)
    with open(os.path.join(out_dir, results_file), "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    logger.info("results written to %s", os.path.join(out_dir, results_file))
    return outputs


def read_image(path: str):
    """Read an image file as ``uint8`` BGR, decoded and converted exactly as training's ``DecodeImage``
    does (``ppocr.data.imaug.functional``: EXIF orientation, 16-bit scaled, alpha over white; non-ASCII
    paths work); ``None`` if it is missing or not an image."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
        return F.to_bgr(F.decode_image(data, path))
    except (OSError, SampleError):
        return None
