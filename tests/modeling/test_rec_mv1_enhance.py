"""MobileNetV1Enhance (PP-OCRv3 rec backbone): shapes, options, PaddleOCR checkpoint keys."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.modeling.backbones.rec_mv1_enhance import MobileNetV1Enhance

V3 = {"scale": 0.5, "last_conv_stride": [1, 2], "last_pool_type": "avg", "last_pool_kernel_size": [2, 2]}


def test_v3_options_give_one_row_of_40_columns():
    net = MobileNetV1Enhance(**V3)
    y = net(paddle.rand([2, 3, 48, 320]))
    assert list(y.shape) == [2, 512, 1, 40] and net.out_channels == 512
    assert np.isfinite(y.numpy()).all()


def test_defaults_max_pool():
    net = MobileNetV1Enhance()
    assert list(net(paddle.rand([1, 3, 32, 64])).shape) == [1, 512, 1, 16]
    assert isinstance(net.pool, paddle.nn.MaxPool2D)


def test_state_dict_keys_are_paddleocrs():
    sd = MobileNetV1Enhance(**V3).state_dict()
    assert list(sd)[:2] == ["conv1._conv.weight", "conv1._batch_norm.weight"]
    assert "block_list.12._pointwise_conv._batch_norm._variance" in sd
    assert "block_list.11._se.conv1.weight" in sd and "block_list.10._se.conv1.weight" not in sd
    assert list(sd["block_list.12._depthwise_conv._conv.weight"].shape) == [512, 1, 5, 5]
    assert len(sd) == 143


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="last_pool_type"):
        MobileNetV1Enhance(last_pool_type="min")
    with pytest.raises(ValueError, match="last_conv_stride"):
        MobileNetV1Enhance(last_conv_stride=[1, 2, 3])
    with pytest.raises(ValueError, match="scale"):
        MobileNetV1Enhance(scale=0)
