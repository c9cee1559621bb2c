"""Process set-up before anything is built: custom imports, device, threads, seed, multi-process."""
from __future__ import annotations

import importlib
import logging
import random

import numpy as np
import paddle

from ppocr.utils.errors import ConfigError
from ppocr.utils.logging import get_world_size

logger = logging.getLogger(__name__)


def import_custom_modules(global_cfg: dict) -> None:
    """Import ``Global.custom_imports`` so that the user's own components register."""
    mods = global_cfg.get("custom_imports") or []
    if isinstance(mods, str):
        mods = [mods]
    for name in mods:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise ConfigError(f"Global.custom_imports: cannot import {name!r} ({e}); the module must be "
                              "importable (installed, or on PYTHONPATH)") from e


def setup_device(global_cfg: dict) -> str:
    """Select the device from ``use_gpu`` / ``use_xpu`` / ..., falling back to CPU with a clear warning."""
    import os

    dev_id = int(os.environ.get("FLAGS_selected_gpus", os.environ.get("PADDLE_LOCAL_RANK", "0")).split(",")[0] or 0)
    wanted = [k for k in ("use_gpu", "use_xpu", "use_npu", "use_mlu") if global_cfg.get(k)]
    if len(wanted) > 1:
        raise ConfigError(f"Global: choose one device, got {' and '.join(wanted)} all True")
    device = "cpu"
    if global_cfg.get("use_gpu"):
        if paddle.is_compiled_with_cuda() or paddle.is_compiled_with_rocm():
            device = f"gpu:{dev_id}"
        else:
            logger.warning("Global.use_gpu is True but this PaddlePaddle is the CPU build; training on CPU. "
                           "Install paddlepaddle-gpu (CUDA) or the DCU (ROCm) build to use a GPU, or set "
                           "Global.use_gpu: False to silence this warning.")
    elif global_cfg.get("use_xpu"):
        if not paddle.is_compiled_with_xpu():
            raise ConfigError("Global.use_xpu is True but this PaddlePaddle has no XPU support; "
                              "install the XPU build or set Global.use_xpu: False")
        device = f"xpu:{dev_id}"
    for key, kind in (("use_npu", "npu"), ("use_mlu", "mlu")):
        if global_cfg.get(key):
            if kind not in paddle.device.get_all_custom_device_type():
                raise ConfigError(f"Global.{key} is True but no {kind} plugin is installed; install the "
                                  f"PaddleCustomDevice {kind} package or set Global.{key}: False")
            device = f"{kind}:{dev_id}"
    paddle.set_device(device)
    if device == "cpu":
        threads = global_cfg.get("num_threads")
        if threads:
            paddle.base.core.set_num_threads(int(threads))
    return device


def seed_everything(seed: int | None) -> None:
    if seed is None:
        return
    paddle.seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    random.seed(int(seed))


def init_distributed() -> int:
    """Initialise the collective environment under ``paddle.distributed.launch``; returns world size."""
    world = get_world_size()
    if world > 1:
        paddle.distributed.init_parallel_env()
    return world
