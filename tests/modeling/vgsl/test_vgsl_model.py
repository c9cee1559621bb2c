"""VGSLModel: the registered architecture a config selects with Architecture.name."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest
import yaml

from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.modeling import build_model
from ppocr.modeling.architectures.vgsl_model import VGSLModel
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.registry import ARCHITECTURES
from ppocr.utils.errors import ConfigError

ARCH_YAML = """
Architecture:
  name: VGSLModel
  model_type: rec
  algorithm: VGSL
  spec: '[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 Lfx12 Lrx12 O1c#]'
"""


@pytest.fixture
def arch():
    return yaml.safe_load(ARCH_YAML)["Architecture"]


def test_registered_and_built_from_config(arch):
    assert "VGSLModel" in ARCHITECTURES
    post = CTCLabelDecode()  # 0-9a-z: 37 classes with the blank
    model = build_model(arch, {}, num_classes=len(post.character))
    assert isinstance(model, VGSLModel) and model.input_keys == ["image"]
    assert model.spec == "[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 Lfx12 Lrx12 O1c37]"
    assert model.net.layers[4].spec == "Lfx12"
    x = paddle.rand([2, 1, 36, 60])
    logits = model({"image": x, "label": None})
    assert list(logits.shape) == [2, 20, 37]
    model.eval()
    probs = model(x)
    assert abs(float(probs.sum()) - 40.0) < 1e-3
    texts = post(probs)  # the standard decoder takes the output as it is
    assert len(texts) == 2 and all(isinstance(t, str) for t, _ in texts)


def test_spec_without_output_layer_gets_ctc_output(arch):
    arch["spec"] = "[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 Lbx6]"
    model = build_model(arch, num_classes=9)
    assert model.spec.endswith("Lbx6 O1c9]") and model.out_channels == 9


def test_one_training_step_with_ctc_loss(arch):
    paddle.seed(0)
    model = build_model(arch, num_classes=5)
    loss_fn = CTCLoss()
    opt = paddle.optimizer.Adam(learning_rate=0.01, parameters=model.parameters())
    batch = {"image": paddle.rand([2, 1, 36, 30]), "label": paddle.to_tensor([[1, 2, 0], [3, 3, 4]], dtype="int64"),
             "length": paddle.to_tensor([2, 3], dtype="int64")}
    losses = []
    for _ in range(3):
        loss = loss_fn(model(batch), batch)["loss"]
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


@pytest.mark.parametrize("edit,match", [
    (lambda a: a.update(spce="[1,1,0,4 Lfx2 O1c#]"), "spec"),
    (lambda a: a.pop("spec"), "Architecture.spec is required"),
    (lambda a: a.update(spec=""), "Architecture.spec is required"),
    (lambda a: a.update(model_type="det"), "model_type must be 'rec'"),
    (lambda a: a.update(Transform={"name": "TPS"}), "Transform is not supported"),
    (lambda a: a.update(Backbone={"name": "MobileNetV3"}), "no key 'Backbone'"),
    (lambda a: a.update(spec="[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 O1c5]"), "5 classes but the codec has 37"),
    (lambda a: a.update(spec="[1,8,0,1 Cr3,3,4 O2s37]"), "sequence output O1c"),
])
def test_config_errors(arch, edit, match):
    edit(arch)
    with pytest.raises(ConfigError, match=match):
        build_model(arch, num_classes=37)


def test_missing_num_classes_is_explained(arch):
    with pytest.raises(ConfigError, match="class count from the codec"):
        build_model(arch)


def test_input_spec_follows_the_input_block(arch):
    model = build_model(arch, num_classes=5)
    (spec,) = model.input_spec([1, 36, 320])
    assert list(spec.shape) == [-1, 1, 36, -1] and spec.name == "x"
    with pytest.raises(ConfigError, match=r"height 36, got 32.*\[1, 36, W\]"):
        model.input_spec([1, 32, 320])
    with pytest.raises(ConfigError, match="1 channel"):
        model.input_spec([3, 36, 320])
    with pytest.raises(ConfigError, match="image_shape"):
        model.input_spec([36, 320])
    arch["spec"] = "[1,0,0,3 Ct3,3,4 Lfys4 O1c#]"
    (spec,) = build_model(arch, num_classes=5).input_spec([3, 48, 320])
    assert list(spec.shape) == [-1, 3, -1, -1]


class _Export(paddle.nn.Layer):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model({"image": x})


def test_export_round_trip(tmp_path, arch):
    paddle.seed(1)
    model = build_model(arch, num_classes=7)
    model.eval()
    inputs = [paddle.rand([2, 1, 36, 64]), paddle.rand([1, 1, 36, 41])]  # width is free
    expected = [model(x).numpy() for x in inputs]
    static = paddle.jit.to_static(_Export(model), input_spec=model.input_spec([1, 36, 64]), full_graph=True)
    prefix = str(tmp_path / "inference")
    paddle.jit.save(static, prefix)
    loaded = paddle.jit.load(prefix)
    loaded.eval()
    for x, want in zip(inputs, expected):
        np.testing.assert_allclose(loaded(x).numpy(), want, atol=1e-5)


def test_input_levels_map_paper_and_ink_and_travel_with_the_weights(tmp_path, arch):
    paddle.seed(2)
    plain = build_model(arch, num_classes=7)
    levelled = build_model({**arch, "input_levels": [1, -1]}, num_classes=7)
    assert "input_levels" not in plain.state_dict()
    levelled.set_state_dict({**plain.state_dict(), "input_levels": paddle.to_tensor([1.0, -1.0])})
    plain.eval()
    levelled.eval()
    x = paddle.rand([2, 1, 36, 50])
    # Tesseract's input: paper (0 from the transform) -> +1, ink (1) -> -1
    np.testing.assert_allclose(levelled(x).numpy(), plain(1.0 - 2.0 * x).numpy(), rtol=1e-5, atol=1e-6)
    static = paddle.jit.to_static(_Export(levelled), input_spec=levelled.input_spec([1, 36, 0]), full_graph=True)
    paddle.jit.save(static, str(tmp_path / "inference"))
    loaded = paddle.jit.load(str(tmp_path / "inference"))
    loaded.eval()
    np.testing.assert_allclose(loaded(x).numpy(), levelled(x).numpy(), atol=1e-5)
    for bad in ([1], [1, 1], "1,-1", [True, False]):
        with pytest.raises(ConfigError, match=r"input_levels must be \[paper, ink\]"):
            build_model({**arch, "input_levels": bad}, num_classes=7)
