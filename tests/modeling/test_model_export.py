"""Export round trip: to_static + jit.save, then jit.load gives the dygraph outputs."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.modeling import build_model


class _Export(paddle.nn.Layer):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


@pytest.mark.parametrize("backbone,neck", [
    ({"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
     {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 16}),
    ({"name": "ResNet", "layers": 18}, {"name": "SequenceEncoder", "encoder_type": "fc", "hidden_size": 16}),
], ids=["mobilenetv3-small", "resnet18"])
def test_export_round_trip(tmp_path, backbone, neck):
    paddle.seed(1)
    model = build_model({"model_type": "rec", "algorithm": "CRNN", "Transform": None, "Backbone": backbone,
                         "Neck": neck, "Head": {"name": "CTCHead"}}, num_classes=7)
    model.eval()
    inputs = [paddle.rand([2, 3, 32, 64]), paddle.rand([1, 3, 32, 40])]  # width is free
    expected = [model(x).numpy() for x in inputs]

    static = paddle.jit.to_static(_Export(model), input_spec=model.input_spec([3, 32, 64]), full_graph=True)
    prefix = str(tmp_path / "inference")
    paddle.jit.save(static, prefix)
    loaded = paddle.jit.load(prefix)
    loaded.eval()
    for x, want in zip(inputs, expected):
        np.testing.assert_allclose(loaded(x).numpy(), want, atol=1e-5)
