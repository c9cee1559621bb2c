"""The text-direction classifier's model: PaddleOCR's cls_mv3 architecture from the recognition MobileNetV3."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers everything)
from ppocr.modeling import build_model
from ppocr.modeling.backbones.rec_mobilenet_v3 import MobileNetV3
from ppocr.modeling.heads.cls_head import ClsHead
from ppocr.registry import Registry
from ppocr.utils.errors import ConfigError

CLS_MV3 = {"model_type": "cls", "algorithm": "CLS", "Transform": None,
           "Backbone": {"name": "MobileNetV3", "scale": 0.35, "model_name": "small"}, "Neck": None,
           "Head": {"name": "ClsHead", "class_dim": 2}}


def test_cls_mv3_is_the_recognition_backbone_and_a_pooled_head():
    paddle.seed(0)
    model = build_model(CLS_MV3)
    assert isinstance(model.backbone, MobileNetV3) and isinstance(model.head, ClsHead)
    keys = list(model.state_dict())
    assert keys[-2:] == ["head.fc.weight", "head.fc.bias"] and keys[0].startswith("backbone.conv1.")
    assert list(model.head.fc.weight.shape) == [model.backbone.out_channels, 2]
    x = paddle.rand([3, 3, 48, 192])
    logits = model({"image": x})
    assert list(logits.shape) == [3, 2]
    model.eval()
    probs = model({"image": x}).numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(probs).all()
    spec = model.input_spec([3, 48, 192])[0]
    assert list(spec.shape) == [-1, 3, -1, -1] or list(spec.shape) == [None, 3, -1, -1]  # as PaddleOCR exports cls


def test_scope_sequence_prefers_cls_then_rec():
    reg = Registry("thing")

    class Plain: ...

    class Rec: ...

    reg.register(Plain, name="Net")
    reg.register(Rec, name="rec/Net")
    assert reg.resolve("Net", ("cls", "rec")) == "rec/Net"
    assert reg.resolve("Net", "det") == "Net" and reg.resolve("Net", None) == "Net"

    class Cls: ...

    reg.register(Cls, name="cls/Net")
    assert reg.resolve("Net", ("cls", "rec")) == "cls/Net"


def test_head_checks():
    with pytest.raises(ValueError, match="class_dim"):
        ClsHead(in_channels=8, class_dim=1)
    with pytest.raises(TypeError, match="in_channels"):
        ClsHead(in_channels=8.0, class_dim=2)
    with pytest.raises(ConfigError, match="class_dim"):
        build_model({**CLS_MV3, "Head": {"name": "ClsHead", "class_dimm": 2}})
