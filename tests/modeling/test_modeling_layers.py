"""Shared blocks in ppocr/modeling/layers."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.modeling.layers import (ACTIVATIONS, BasicBlock, BottleneckBlock, ConvBNLayer, ResidualUnit,
                                   SEModule, build_activation, make_divisible)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_by_name(name):
    act = build_activation(name)
    y = act(paddle.linspace(-3, 3, 7))
    assert np.isfinite(y.numpy()).all()


def test_hard_sigmoid_slopes():
    x = paddle.to_tensor(1.0)
    assert float(build_activation("hard_sigmoid")(x)) == pytest.approx(0.7)
    assert float(build_activation("hardsigmoid")(x)) == pytest.approx(0.5 + 1 / 6)
    assert build_activation(None) is None


def test_unknown_activation_names_nearest():
    with pytest.raises(ValueError, match="hardswish"):
        build_activation("hardswsh")


def test_make_divisible():
    assert make_divisible(16 * 0.35) == 8
    assert make_divisible(960 * 0.5) == 480
    assert make_divisible(72 * 0.35) == 24


@pytest.mark.parametrize("stride,expected", [(1, [2, 8, 16, 20]), (2, [2, 8, 8, 10]), ((2, 1), [2, 8, 8, 20])])
def test_conv_bn_layer_strides(stride, expected):
    layer = ConvBNLayer(4, 8, 3, stride=stride, act="relu")
    y = layer(paddle.rand([2, 4, 16, 20]))
    assert list(y.shape) == expected
    assert float(y.min()) >= 0
    assert sorted(layer.state_dict()) == ["bn._mean", "bn._variance", "bn.bias", "bn.weight", "conv.weight"]


def test_conv_bn_layer_no_act_and_groups():
    layer = ConvBNLayer(8, 8, (3, 5), groups=8, act="relu", if_act=False)
    assert layer.act is None
    assert list(layer(paddle.randn([1, 8, 6, 7])).shape) == [1, 8, 6, 7]
    with pytest.raises(ValueError, match="groups"):
        ConvBNLayer(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="stride"):
        ConvBNLayer(4, 4, 3, stride=(1, 2, 3))


def test_se_module_shape():
    se = SEModule(16)
    x = paddle.rand([2, 16, 5, 7])
    assert list(se(x).shape) == [2, 16, 5, 7]


def test_residual_unit_shortcut():
    assert ResidualUnit(16, 32, 16, 3, 1, use_se=True, act="relu").if_shortcut
    assert not ResidualUnit(16, 32, 16, 3, (2, 1), use_se=False, act="hardswish").if_shortcut
    y = ResidualUnit(16, 32, 24, 5, (2, 1), use_se=True, act="hardswish")(paddle.rand([1, 16, 8, 10]))
    assert list(y.shape) == [1, 24, 4, 10]


def test_resnet_blocks_vd_shortcut():
    basic = BasicBlock(64, 128, stride=(2, 1), shortcut=False)
    assert basic.short.pool is not None  # vd: avg-pool then stride-1 conv
    assert list(basic(paddle.rand([1, 64, 8, 10])).shape) == [1, 128, 4, 10]
    first = BottleneckBlock(64, 64, stride=1, shortcut=False, if_first=True)
    assert first.short.pool is None
    assert list(first(paddle.rand([1, 64, 4, 5])).shape) == [1, 256, 4, 5]
