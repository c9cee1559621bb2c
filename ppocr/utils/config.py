"""Config loading: YAML (safe_load only), ``-o`` overrides, and checks of section and Global keys."""
from __future__ import annotations

import copy
import os
from typing import Any, Iterable

import yaml

from ppocr.registry import TASKS, nearest
from ppocr.utils.errors import ConfigError

SECTIONS = ("Global", "Architecture", "Loss", "Optimizer", "PostProcess", "Metric", "Train", "Eval", "Hooks")

#: what GLOBAL_KEYS says of a PaddleOCR key that is accepted and has no effect here (logged once per run)
IGNORED = "PaddleOCR key with no effect here (accepted, logged once)"

#: keys PaddleOCR configs carry at the top level, beside the sections, that have no effect here
TOP_LEVEL_KEYS = {"profiler_options": IGNORED}

# Every Global key the generic run reads, with what it does. Tasks add their own (``global_keys`` of the
# classes in ``TASKS``); a key in neither is a typo (error with the nearest names).
GLOBAL_KEYS = {
    "use_gpu": "train on GPU (CUDA or DCU/ROCm build); falls back to CPU with a warning",
    "use_xpu": "train on a Kunlun XPU",
    "use_npu": "train on an Ascend NPU",
    "use_mlu": "train on a Cambricon MLU",
    "epoch_num": "number of epochs",
    "log_smooth_window": "window (steps) of the smoothed loss in the log",
    "print_batch_step": "log every N steps",
    "save_model_dir": "where checkpoints, config.yml and train.log go",
    "save_epoch_step": "write iter_epoch_N every N epochs",
    "eval_batch_step": "[start_step, interval]: evaluate every interval steps after start_step",
    "cal_metric_during_train": "compute the train metric on each logged batch",
    "pretrained_model": "weights to start from (no optimizer state; a checkpoint prefix or an inference model "
                        "folder, imported by structure); mismatches are reported",
    "checkpoints": "checkpoint prefix to resume from exactly",
    "save_inference_dir": "export_model.py output folder",
    "use_visualdl": "write VisualDL scalars under save_model_dir/vdl",
    "infer_img": "image file or folder for the infer_* tools (or a label file for tools that read one, with "
                 "infer_mode False)",
    "character_dict_path": "dictionary file, one character per line",
    "character_type": IGNORED,
    "max_text_length": "longest transcription the label encoder accepts",
    "infer_mode": "inference mode for components that declare it",
    "use_space_char": "add ' ' to the dictionary",
    "save_res_path": "where infer_* tools write their results",
    "distributed": "set automatically under paddle.distributed.launch",
    "seed": "random seed for weights, data order and augmentation",
    "use_amp": "automatic mixed precision",
    "amp_level": "O1 or O2",
    "amp_dtype": "float16 or bfloat16",
    "amp_custom_white_list": "extra op names AMP runs in low precision (paddle.amp.auto_cast custom_white_list), "
                             "e.g. ['scale', 'concat', 'elementwise_add'] in some PaddleOCR configs",
    "scale_loss": "initial loss scale for float16 AMP",
    "use_dynamic_loss_scaling": "dynamic loss scaling for float16 AMP",
    "accumulation_steps": "accumulate gradients over N batches",
    "custom_imports": "modules to import so their components register",
    "num_threads": "CPU threads for math kernels (default: all cores)",
    "max_steps": "stop after this many optimizer steps (for smoke tests and benchmarks)",
    "max_train_seconds": "stop after this much training wall time (checkpoints latest)",
    "nan_guard": "drop an update whose loss or gradient is NaN/inf; 3 in a row revert to the last good state and "
                 "halve the LR (default true)",
    "preflight": "check every sample (image file, label, dictionary) before the first step (default true)",
    "d2s_train_image_shape": IGNORED,
    "save_inference_format": IGNORED,
    "use_tensorboard": IGNORED,
    "use_wandb": IGNORED,
    "uniform_output_enabled": IGNORED,
    "pdx_model_name": IGNORED,
    "model_name": IGNORED,
    "use_sync_bn": "convert BatchNorm to SyncBatchNorm in multi-GPU training",
    "print_mem_info": IGNORED,
    "export_with_pir": IGNORED,
    "debug": "log at DEBUG level (PaddleOCR's debug switch)",
    "load_static_weights": IGNORED,
    "profiler_options": IGNORED,
    "vis_font_path": "font for drawn results (infer tools)",
    "class_dict_path": IGNORED,
    "label_list": "class names in index order for label encoders and decoders that declare label_list "
                  "(ClsLabelEncode, ClsPostProcess), e.g. ['0', '180']",
    "amp_custom_black_list": "op names AMP keeps in float32 (paddle.amp.auto_cast custom_black_list)",
    # training workflows of Tesseract and kraken (ppocr/engine/workflow_hooks.py)
    "freeze_backbone": "train only the last/appended layers for the first N samples (kraken --freeze-backbone)",
    "early_stopping": "{lag, min_delta, min_epochs}: stop when validation stops improving (kraken --lag ...)",
    "target_error_rate": "stop when the validation CER is at most this fraction (Tesseract --target_error_rate)",
    "divergence": "{factor, window, lr_factor, warmup, snapshot_interval, max_reverts} or true: revert and lower "
                  "the LR when the loss diverges",
    "perfect_sample_delay": "back-propagate a perfect line only after N imperfect ones (Tesseract)",
    "debug_interval": "every N iterations log truth / aligned truth / recognised text of wrong training lines",
}


_INT, _NUM, _BOOL, _PATH = "an integer", "a number", "true or false", "a path (or empty)"
#: the value kinds of the generic Global keys, checked before anything is built
GLOBAL_TYPES = {
    **{k: _INT for k in ("epoch_num", "log_smooth_window", "print_batch_step", "save_epoch_step", "max_text_length",
                         "seed", "accumulation_steps", "num_threads", "max_steps")},
    **{k: _NUM for k in ("max_train_seconds", "scale_loss")},
    **{k: _BOOL for k in ("use_gpu", "use_xpu", "use_npu", "use_mlu", "use_visualdl", "cal_metric_during_train",
                          "use_amp", "use_space_char", "use_sync_bn", "debug", "distributed", "infer_mode",
                          "use_dynamic_loss_scaling", "preflight", "nan_guard")},
    **{k: _PATH for k in ("save_model_dir", "pretrained_model", "checkpoints", "save_inference_dir", "save_res_path",
                          "character_dict_path", "infer_img", "vis_font_path")},
}
_OPTIONAL = {"max_steps", "max_train_seconds", "seed", "num_threads", "max_text_length"}


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _PATH:
        return value is None or isinstance(value, str)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if kind == _INT else isinstance(value, (int, float))


def check_global_types(glob: dict) -> None:
    """Raise ConfigError for a generic Global key whose value has the wrong kind (``epoch_num: abc``)."""
    for key, kind in GLOBAL_TYPES.items():
        if key not in glob or (glob[key] is None and key in _OPTIONAL):
            continue
        value = glob[key]
        if not _kind_ok(kind, value):
            example = {_INT: "10", _NUM: "600", _BOOL: "true", _PATH: "./output/rec/"}[kind]
            raise ConfigError(f"Global.{key} must be {kind}, got {value!r} ({type(value).__name__}); "
                              f"e.g. -o Global.{key}={example}")
    step = glob.get("eval_batch_step")
    if step is not None and not (_kind_ok(_INT, step) or (isinstance(step, (list, tuple)) and len(step) == 2
                                                           and all(_kind_ok(_INT, v) for v in step))):
        raise ConfigError(f"Global.eval_batch_step must be [start, every] (two integers) or every, got {step!r}; "
                          "e.g. -o Global.eval_batch_step=[0,500]")


def _parse_value(text: str) -> Any:
    """Parse an override value as YAML; '1e-3' becomes a float, not YAML 1.1's string."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    return value


def load_config(path: str) -> dict:
    """Read a YAML config with ``yaml.safe_load``.

    Raises:
        ConfigError: missing file, YAML syntax error (with line), or a top level that is not a mapping.
    """
    if not os.path.isfile(path):
        raise ConfigError(f"config file {path!r} does not exist")
    with open(path, encoding="utf-8") as f:
        try:
            cfg = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping of sections ({', '.join(SECTIONS)}), got {type(cfg).__name__}")
    return cfg


def parse_overrides(items: Iterable[str] | None) -> list[tuple[str, Any]]:
    """Turn ``['Global.epoch_num=3', ...]`` into ``[('Global.epoch_num', 3), ...]``."""
    out = []
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"-o {item!r}: expected key=value, e.g. -o Global.epoch_num=10")
        key, value = item.split("=", 1)
        out.append((key.strip(), _parse_value(value)))
    return out


def set_by_path(cfg: dict, dotted: str, value: Any) -> None:
    """Set ``cfg['A']['b'][0]['c'] = value`` from ``'A.b.0.c'``.

    Missing intermediate mappings are created; list indices must exist. A new key in an
    existing component mapping is allowed here and rejected later by the builder with a hint.
    """
    parts = dotted.split(".")
    if parts[0] not in SECTIONS:
        raise ConfigError(f"-o {dotted}: unknown section {parts[0]!r}; {nearest(parts[0], SECTIONS)}")
    node: Any = cfg
    for i, part in enumerate(parts[:-1]):
        path = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = node[_index(part, node, path)]
        else:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[_index(last, node, dotted)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"-o {dotted}: {'.'.join(parts[:-1])} is a {type(node).__name__}, not a mapping")


def _index(part: str, node: list, path: str) -> int:
    try:
        idx = int(part)
    except ValueError:
        raise ConfigError(f"-o {path}: expected a list index (0..{len(node) - 1}), got {part!r}") from None
    if not -len(node) <= idx < len(node):
        raise ConfigError(f"-o {path}: index {idx} out of range, the list has {len(node)} items")
    return idx


def merge_overrides(cfg: dict, overrides: Iterable[tuple[str, Any]]) -> dict:
    cfg = copy.deepcopy(cfg)
    for key, value in overrides:
        set_by_path(cfg, key, value)
    return cfg


def check_config(cfg: dict, ignored_global: Iterable[str] = ()) -> None:
    """Reject unknown sections and Global keys before anything is built."""
    for section in cfg:
        if section not in SECTIONS and section not in TOP_LEVEL_KEYS:
            raise ConfigError(f"unknown config section {section!r}; {nearest(section, SECTIONS)}")
    glob = cfg.get("Global") or {}
    if not isinstance(glob, dict):
        raise ConfigError(f"Global must be a mapping, got {glob!r}")
    check_global_types(glob)
    known = known_global_keys()
    for key in glob:
        if key not in known and key not in ignored_global:
            raise ConfigError(f"unknown key Global.{key}; {nearest(key, known)} "
                              f"(docs: README, 'Global keys')")


def global_options(name: str, value: Any, defaults: dict[str, Any], allow_true: bool = False) -> dict[str, Any]:
    """``Global.<name>``, a mapping of options, merged over ``defaults`` (``None``/``{}``, and ``true`` when
    ``allow_true``, take the defaults).

    Raises:
        ConfigError: not a mapping, or an unknown option (naming the nearest valid ones).
    """
    if value is None or (allow_true and value is True):
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(f"Global.{name} must be a mapping of options ({', '.join(defaults)})"
                          f"{' or true' if allow_true else ''}, got {value!r}")
    for key in value:
        if key not in defaults:
            raise ConfigError(f"unknown key Global.{name}.{key}; {nearest(key, defaults)}")
    return {**defaults, **value}


def ignored_global_keys(cfg: dict) -> list[str]:
    """The Global keys of ``cfg`` that are accepted but have no effect here (PaddleOCR keys), then such
    top-level keys (``profiler_options (top level)``)."""
    return [k for k in cfg.get("Global") or {} if GLOBAL_KEYS.get(k) == IGNORED] + [
        f"{k} (top level)" for k in cfg if TOP_LEVEL_KEYS.get(k) == IGNORED]


def known_global_keys() -> dict[str, str]:
    """The generic run's Global keys and those of every registered task, with what they do."""
    keys = dict(GLOBAL_KEYS)
    for name in TASKS.names():
        keys.update(TASKS.get(name).global_keys)
    return keys


def get_config(path: str, overrides: Iterable[str] | None = None) -> dict:
    """Load ``path``, apply ``-o`` overrides and check the result."""
    cfg = merge_overrides(load_config(path), parse_overrides(overrides))
    cfg.setdefault("Global", {})
    check_config(cfg)
    return cfg


def dump_config(cfg: dict, path: str) -> None:
    """Write the resolved config (what actually ran) atomically."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, allow_unicode=True, sort_keys=False)
    os.replace(tmp, path)
