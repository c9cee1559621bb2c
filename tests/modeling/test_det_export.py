"""DB detector export: to_static (full graph, free batch/height/width) matches dygraph, also after save/load."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.engine.export import _InferenceWrapper
from ppocr.modeling import build_model

INPUTS = [[1, 3, 64, 64], [2, 3, 96, 64], [1, 3, 100, 70]]  # sides need not be multiples of 32


def _maps(out):
    if isinstance(out, dict):
        out = out["maps"]
    if isinstance(out, (list, tuple)):
        (out,) = out
    return out.numpy()


@pytest.mark.parametrize("backbone,neck", [
    ({"name": "ResNet_vd", "layers": 18}, {"name": "LKPAN", "out_channels": 16, "mode": "lite"}),
    ({"name": "MobileNetV3", "model_name": "small", "scale": 0.35}, {"name": "DBFPN", "out_channels": 16,
                                                                      "use_asf": True}),
], ids=["r18-lkpan-lite", "mv3se-dbfpn-asf"])  # between them every layer type of the det components
def test_export_matches_dygraph(tmp_path, backbone, neck):
    paddle.seed(3)
    model = build_model({"model_type": "det", "algorithm": "DB", "Transform": None, "Backbone": backbone,
                         "Neck": neck, "Head": {"name": "DBHead", "k": 50}})
    model.eval()
    inputs = [paddle.rand(s) for s in INPUTS]
    expected = [_maps(model(x)) for x in inputs]
    for x, want in zip(inputs, expected):
        assert want.shape[:2] == (x.shape[0], 1)

    static = paddle.jit.to_static(_InferenceWrapper(model), input_spec=model.input_spec([3, 64, 64]),
                                  full_graph=True)
    for x, want in zip(inputs, expected):
        np.testing.assert_allclose(_maps(static(x)), want, atol=1e-5)
    prefix = str(tmp_path / "inference")
    paddle.jit.save(static, prefix)
    loaded = paddle.jit.load(prefix)
    loaded.eval()
    for x, want in zip(inputs, expected):
        np.testing.assert_allclose(_maps(loaded(x)), want, atol=1e-5)
