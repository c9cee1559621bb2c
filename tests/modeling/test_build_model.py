"""build_model from PaddleOCR-style Architecture sections."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import copy

import paddle
import pytest
import yaml

from ppocr.modeling import BaseModel, build_model
from ppocr.utils.errors import ConfigError

CRNN_YAML = """
Architecture:
  model_type: rec
  algorithm: CRNN
  Transform:
  Backbone: {name: MobileNetV3, scale: 0.5, model_name: large}
  Neck: {name: SequenceEncoder, encoder_type: rnn, hidden_size: 96}
  Head: {name: CTCHead, fc_decay: 0}
Loss: {name: CTCLoss}
"""


@pytest.fixture
def arch():
    return yaml.safe_load(CRNN_YAML)["Architecture"]


def test_crnn_from_yaml(arch):
    model = build_model(arch, num_classes=37)
    assert isinstance(model, BaseModel)
    assert model.algorithm == "CRNN" and model.model_type == "rec" and model.input_keys == ["image"]
    x = paddle.rand([2, 3, 32, 100])
    assert list(model({"image": x, "label": None}).shape) == [2, 25, 37]
    model.eval()
    probs = model(x)  # bare tensor works too
    assert list(probs.shape) == [2, 25, 37]
    assert abs(float(probs.sum()) - 50.0) < 1e-3


def test_channels_are_chained_and_config_in_channels_wins(arch):
    arch["Backbone"] = {"name": "ResNet", "layers": 18, "in_channels": 1}
    arch["Neck"] = {"name": "SequenceEncoder", "encoder_type": "fc", "hidden_size": 16}
    model = build_model(arch, num_classes=5)
    assert model.head.in_channels == 16 and model.neck.encoder_reshape.out_channels == 512
    assert list(model(paddle.rand([1, 1, 32, 40])).shape) == [1, 10, 5]


def test_head_out_channels_from_config(arch):
    arch["Head"]["out_channels"] = 11
    assert build_model(arch).head.out_channels == 11


@pytest.mark.parametrize("edit,match", [
    (lambda a: a["Backbone"].update(scal=0.5), "scale"),
    (lambda a: a.update(Nek=None), "Neck"),
    (lambda a: a.update(Transform={"name": "TPS"}), "Transform is not supported"),
    (lambda a: a.pop("Head"), "Architecture.Head is required"),
    (lambda a: a.update(model_type="recc"), "rec"),
    (lambda a: a["Backbone"].update(scale=0.6), "Architecture.Backbone.*0.35"),
    (lambda a: a["Backbone"].update(name="MobileNetV4"), "MobileNetV3"),
])
def test_config_errors(arch, edit, match):
    arch = copy.deepcopy(arch)
    edit(arch)
    with pytest.raises(ConfigError, match=match):
        build_model(arch, num_classes=37)


def test_missing_num_classes_is_explained(arch):
    with pytest.raises(ConfigError, match="num_classes"):
        build_model(arch)


def test_input_spec(arch):
    model = build_model(arch, num_classes=37)
    (spec,) = model.input_spec([3, 32, 320])
    assert list(spec.shape) == [-1, 3, 32, -1] and spec.name == "x"
    with pytest.raises(ConfigError, match="image_shape"):
        model.input_spec([32, 320])
