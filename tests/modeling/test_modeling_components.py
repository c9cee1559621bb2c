"""Every registered backbone, neck and head: shapes and finite outputs."""
import inspect
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr.modeling  # noqa: F401  (registers everything)
from ppocr.modeling.backbones.rec_mobilenet_v3 import MobileNetV3
from ppocr.modeling.backbones.rec_resnet_vd import ResNet
from ppocr.modeling.heads.rec_ctc_head import CTCHead
from ppocr.modeling.necks.rnn import SequenceEncoder
from ppocr.registry import BACKBONES, HEADS, NECKS
from ppocr.utils.errors import ConfigError

paddle.seed(0)

# Per-name smoke cases: (constructor kwargs, input shape, expected output shape).
# A registered name without a case is built with defaults and fed [2, 3, 32, 64].
BACKBONE_CASES = {
    "MobileNetV3": [({"model_name": "small", "scale": 0.35}, [2, 3, 32, 64], [2, 200, 1, 16]),
                    ({"model_name": "large", "scale": 0.5}, [2, 3, 32, 64], [2, 480, 1, 16])],
    "ResNet": [({"layers": 18}, [1, 3, 32, 64], [1, 512, 1, 16])],
    # rec mode; 48 pixels high (its eval pool is 3x2); det mode is in test_rec_lcnetv3.py
    "PPLCNetV3": [({"scale": 0.5}, [2, 3, 48, 320], [2, 256, 1, 40])],
    # a small SVTR: one block per stage, 8 output columns
    "SVTRNet": [({"img_size": [32, 64], "embed_dim": [16, 32, 48], "depth": [1, 1, 1], "num_heads": [2, 2, 2],
                  "mixer": ["Local", "Global", "Global"], "out_channels": 24, "out_char_num": 8},
                 [2, 3, 32, 64], [2, 24, 1, 8])],
}
NECK_CASES = {
    "SequenceEncoder": [({"in_channels": 24, "encoder_type": "rnn", "hidden_size": 8}, [2, 24, 1, 10], [2, 10, 16]),
                        ({"in_channels": 24, "encoder_type": "fc", "hidden_size": 8}, [2, 24, 1, 10], [2, 10, 8]),
                        ({"in_channels": 24, "encoder_type": "reshape"}, [2, 24, 1, 10], [2, 10, 24]),
                        ({"in_channels": 32, "encoder_type": "svtr", "dims": 16, "hidden_dims": 16, "num_heads": 2,
                          "kernel_size": [1, 3]}, [2, 32, 1, 10], [2, 10, 16])],
}
HEAD_CASES = {
    "CTCHead": [({"in_channels": 16, "out_channels": 11}, [2, 10, 16], [2, 10, 11]),
                ({"in_channels": 16, "out_channels": 11, "mid_channels": 8}, [2, 10, 16], [2, 10, 11])],
    "ClsHead": [({"in_channels": 16, "class_dim": 2}, [2, 16, 1, 12], [2, 2]),
                ({"in_channels": 8, "class_dim": 4}, [3, 8, 2, 5], [3, 4])],
}


def _is_det(registry, name):
    """Detection components (det_*.py, db_*.py) take or give four feature maps; test_det_components.py covers them."""
    return registry.get(name).__module__.rpartition(".")[2].startswith(("det_", "db_", "kie_"))


def _needs_targets(registry, name):
    """Heads that read labels in training (SAR, NRTR, MultiHead); test_rec_multi_head.py covers them."""
    return bool({"targets", "batch"} & set(inspect.signature(registry.get(name).forward).parameters))


def _cases(registry, table):
    return [pytest.param(name, *case, id=f"{name}-{i}")
            for name in registry.names() if not _is_det(registry, name) and not _needs_targets(registry, name)
            for i, case in enumerate(table.get(name, [({}, [2, 3, 32, 64], None)]))]


def _tensors(out):
    if isinstance(out, paddle.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    return [t for o in out for t in _tensors(o)]


def _check(layer, shape, expected):
    for mode in ("train", "eval"):
        getattr(layer, mode)()
        out = layer(paddle.rand(shape))
        for t in _tensors(out):
            assert np.isfinite(t.numpy()).all()
        if expected is not None:
            assert list(out.shape) == expected
            assert out.shape[-1 if len(expected) == 3 else 1] == layer.out_channels


@pytest.mark.parametrize("name,kwargs,shape,expected", _cases(BACKBONES, BACKBONE_CASES))
def test_backbone(name, kwargs, shape, expected):
    _check(BACKBONES.get(name)(**kwargs), shape, expected)


@pytest.mark.parametrize("name,kwargs,shape,expected", _cases(NECKS, NECK_CASES))
def test_neck(name, kwargs, shape, expected):
    _check(NECKS.get(name)(**kwargs), shape, expected)


@pytest.mark.parametrize("name,kwargs,shape,expected", _cases(HEADS, HEAD_CASES))
def test_head(name, kwargs, shape, expected):
    _check(HEADS.get(name)(**kwargs), shape, expected)


@pytest.mark.parametrize("model_name,scale", [("large", 0.35), ("large", 1.0), ("small", 0.5), ("small", 1.25)])
def test_mobilenet_v3_height_one(model_name, scale):
    net = MobileNetV3(model_name=model_name, scale=scale)
    y = net(paddle.rand([2, 3, 32, 100]))
    assert list(y.shape) == [2, net.out_channels, 1, 25]


def test_mobilenet_v3_disable_se_and_checks():
    assert all(b.mid_se is None for b in MobileNetV3(model_name="small", scale=0.35, disable_se=True).blocks)
    with pytest.raises(ValueError, match="0.35"):
        MobileNetV3(scale=0.6)
    with pytest.raises(ValueError, match="large"):
        MobileNetV3(model_name="medium")
    with pytest.raises(ValueError, match="large_stride"):
        MobileNetV3(large_stride=[2, 2])


def test_resnet_layers():
    assert ResNet(layers=50).out_channels == 2048
    with pytest.raises(ValueError, match="18, 34, 50"):
        ResNet(layers=20)


def test_sequence_encoder_height_mismatch_is_explained():
    neck = SequenceEncoder(in_channels=8, encoder_type="reshape")
    with pytest.raises(ConfigError, match="height"):
        neck(paddle.rand([1, 8, 2, 10]))
    with pytest.raises(ValueError, match="rnn"):
        SequenceEncoder(in_channels=8, encoder_type="rnnn")


def test_ctc_head_modes_and_decay():
    head = CTCHead(in_channels=16, out_channels=5, fc_decay=0.001, return_feats=True)
    assert head.fc.weight.regularizer is not None and head.fc.bias.regularizer is not None
    x = paddle.rand([2, 7, 16])
    feats, logits = head(x)
    assert list(feats.shape) == [2, 7, 16] and list(logits.shape) == [2, 7, 5]
    head.eval()
    probs = head(x)
    np.testing.assert_allclose(probs.sum(axis=-1).numpy(), 1.0, rtol=1e-5)
