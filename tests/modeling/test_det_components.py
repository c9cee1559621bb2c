"""Detection backbones, necks and the DB head: shapes, channels, finite outputs, argument checks."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr.modeling  # noqa: F401  (registers everything)
from ppocr.modeling.backbones.det_mobilenet_v3 import MobileNetV3 as DetMobileNetV3
from ppocr.modeling.backbones.det_resnet_vd import ResNet_vd
from ppocr.modeling.heads.det_db_head import DBHead
from ppocr.modeling.necks.db_fpn import LKPAN, DBFPN, RSEFPN
from ppocr.registry import BACKBONES, HEADS, NECKS

paddle.seed(0)

DET_MODULE_PREFIXES = ("det_", "db_")  # detection files in ppocr/modeling/{backbones,necks,heads}
IMAGE = [2, 3, 64, 64]
STRIDES = (4, 8, 16, 32)

# Every registered detection component needs a case here (test_every_det_component_has_a_case).
BACKBONE_CASES = {
    "det/MobileNetV3": [{"model_name": "large", "scale": 0.5, "disable_se": True},
                        {"model_name": "large", "scale": 1.0},
                        {"model_name": "small", "scale": 0.35},
                        {"model_name": "small", "scale": 0.75, "disable_se": True}],
    "ResNet_vd": [{"layers": 18}, {"layers": 34}, {"layers": 50}, {"layers": 18, "in_channels": 1}],
}
NECK_IN = [16, 24, 56, 480]
NECK_CASES = {
    "DBFPN": [{"out_channels": 32}, {"out_channels": 32, "use_asf": True}],
    "RSEFPN": [{"out_channels": 32, "shortcut": True}, {"out_channels": 32, "shortcut": False}],
    "LKPAN": [{"out_channels": 32, "mode": "lite"}, {"out_channels": 32, "mode": "large"}],
}
HEAD_CASES = {"DBHead": [{"in_channels": 32}, {"in_channels": 32, "k": 10},
                         {"in_channels": 32, "fix_nan": True, "kernel_list": [5, 2, 2]}]}


def _det_names(registry, kind):
    def is_det(name):
        package, _, module = registry.get(name).__module__.rpartition(".")
        return package == f"ppocr.modeling.{kind}" and module.startswith(DET_MODULE_PREFIXES)

    return [n for n in registry.names() if is_det(n)]


def _params(table):
    return [pytest.param(name, kwargs, id=f"{name}-{i}") for name, cases in table.items()
            for i, kwargs in enumerate(cases)]


def _finite(t):
    return bool(np.isfinite(t.numpy()).all())


def _features(channels, size=64, batch=2):
    return [paddle.rand([batch, c, size // s, size // s]) for c, s in zip(channels, STRIDES)]


@pytest.mark.parametrize("registry,kind,table", [(BACKBONES, "backbones", BACKBONE_CASES),
                                                 (NECKS, "necks", NECK_CASES), (HEADS, "heads", HEAD_CASES)])
def test_every_det_component_has_a_case(registry, kind, table):
    names = _det_names(registry, kind)
    assert names, f"no detection {kind} registered"
    assert sorted(names) == sorted(table)


@pytest.mark.parametrize("name,kwargs", _params(BACKBONE_CASES))
def test_backbone_four_maps(name, kwargs):
    net = BACKBONES.get(name)(**kwargs)
    shape = [IMAGE[0], kwargs.get("in_channels", 3), *IMAGE[2:]]
    assert isinstance(net.out_channels, list) and len(net.out_channels) == 4
    for mode in ("train", "eval"):
        getattr(net, mode)()
        feats = net(paddle.rand(shape))
        assert [list(f.shape) for f in feats] == [[2, c, 64 // s, 64 // s] for c, s in zip(net.out_channels, STRIDES)]
        assert all(_finite(f) for f in feats)


@pytest.mark.parametrize("model_name,scale,expected", [
    ("large", 0.5, [16, 24, 56, 480]), ("large", 1.0, [24, 40, 112, 960]),
    ("small", 0.35, [8, 8, 16, 200]), ("small", 1.0, [16, 24, 48, 576])])
def test_mobilenet_v3_channels_as_paddleocr(model_name, scale, expected):
    assert DetMobileNetV3(model_name=model_name, scale=scale).out_channels == expected


def test_mobilenet_v3_checkpoint_keys_and_se():
    net = DetMobileNetV3(model_name="large", scale=0.5)
    keys = set(net.state_dict())
    # PaddleOCR det_mobilenet_v3 names: stem ``conv``, ``stages.S.N``, last stage ends with the 1x1 ConvBN.
    assert {"conv.conv.weight", "stages.0.0.expand_conv.conv.weight", "stages.1.0.mid_se.conv1.weight",
            "stages.3.3.conv.weight", "stages.3.3.bn._mean"} <= keys
    assert [len(s) for s in net.stages] == [3, 3, 6, 4]
    no_se = DetMobileNetV3(model_name="large", scale=0.5, disable_se=True)
    assert not any("mid_se" in k for k in no_se.state_dict())
    with pytest.raises(ValueError, match="0.35"):
        DetMobileNetV3(scale=0.6)
    with pytest.raises(ValueError, match="large"):
        DetMobileNetV3(model_name="tiny")


def test_resnet_vd_channels_and_dcn():
    assert ResNet_vd(layers=18).out_channels == [64, 128, 256, 512]
    assert ResNet_vd(layers=50).out_channels == [256, 512, 1024, 2048]
    ResNet_vd(layers=18, dcn_stage=[False, False, False, False])
    ResNet_vd(layers=18, dcn_stage=False)
    with pytest.raises(ValueError, match="deformable.*null"):
        ResNet_vd(layers=50, dcn_stage=[False, True, True, True])
    with pytest.raises(ValueError, match="18, 34, 50"):
        ResNet_vd(layers=20)


@pytest.mark.parametrize("name,kwargs", _params(NECK_CASES))
def test_neck_fuses_to_stride_4(name, kwargs):
    neck = NECKS.get(name)(in_channels=NECK_IN, **kwargs)
    assert neck.out_channels == kwargs["out_channels"]
    for mode in ("train", "eval"):
        getattr(neck, mode)()
        y = neck(_features(NECK_IN))
        assert list(y.shape) == [2, neck.out_channels, 16, 16] and _finite(y)


@pytest.mark.parametrize("cls", [DBFPN, RSEFPN, LKPAN])
def test_neck_sides_not_multiple_of_32(cls):
    # Backbone maps of a 100x70 image: each stride-2 step rounds up.
    sizes = [(25, 18), (13, 9), (7, 5), (4, 3)]
    feats = [paddle.rand([1, c, h, w]) for c, (h, w) in zip(NECK_IN, sizes)]
    assert list(cls(in_channels=NECK_IN, out_channels=16)(feats).shape) == [1, 16, 25, 18]


def test_neck_argument_checks():
    with pytest.raises(ValueError, match="four backbone maps.*detection backbone"):
        DBFPN(in_channels=480, out_channels=32)
    with pytest.raises(ValueError, match="multiple of 4"):
        DBFPN(in_channels=NECK_IN, out_channels=30)
    with pytest.raises(ValueError, match="'lite' or 'large'"):
        LKPAN(in_channels=NECK_IN, out_channels=32, mode="medium")
    with pytest.raises(ValueError, match="intracl"):
        RSEFPN(in_channels=NECK_IN, out_channels=32, intracl=True)
    with pytest.raises(ValueError, match="four feature maps"):
        DBFPN(in_channels=NECK_IN, out_channels=32)(paddle.rand([1, 16, 16, 16]))


def test_neck_checkpoint_keys_as_paddleocr():
    assert {"in2_conv.weight", "in5_conv.weight", "p2_conv.weight", "asf.conv.weight", "asf.conv.bias",
            "asf.spatial_scale.0.weight", "asf.channel_scale.0.weight"} <= set(
        DBFPN(in_channels=NECK_IN, out_channels=32, use_asf=True).state_dict())
    assert {"ins_conv.0.in_conv.weight", "ins_conv.0.se_block.conv1.weight", "inp_conv.3.in_conv.weight"} <= set(
        RSEFPN(in_channels=NECK_IN, out_channels=32).state_dict())
    lite = set(LKPAN(in_channels=NECK_IN, out_channels=32, mode="lite").state_dict())
    assert {"inp_conv.0.conv1.weight", "inp_conv.0.bn2._mean", "inp_conv.0.conv_end.weight",
            "pan_head_conv.2.weight", "pan_lat_conv.3.conv3.weight"} <= lite
    assert "pan_lat_conv.0.conv_end.weight" not in lite  # same channels: no projection


@pytest.mark.parametrize("name,kwargs", _params(HEAD_CASES))
def test_db_head_train_and_eval_outputs(name, kwargs):
    head = HEADS.get(name)(**kwargs)
    x = paddle.rand([2, 32, 16, 16])
    out = head(x)
    assert set(out) == {"maps"} and list(out["maps"].shape) == [2, 3, 64, 64]
    maps = out["maps"].numpy()
    assert np.isfinite(maps).all() and maps.min() >= 0 and maps.max() <= 1
    # channel 2 is the approximate binary map sigmoid(k * (P - T))
    want = 1 / (1 + np.exp(-head.k * (maps[:, 0] - maps[:, 1])))
    np.testing.assert_allclose(maps[:, 2], want, atol=1e-5)
    head.eval()
    eval_maps = head(x)["maps"]
    assert list(eval_maps.shape) == [2, 1, 64, 64] and _finite(eval_maps)


def test_db_head_keys_and_checks():
    keys = set(DBHead(in_channels=32).state_dict())
    for branch in ("binarize", "thresh"):
        assert {f"{branch}.conv1.weight", f"{branch}.conv_bn1._variance", f"{branch}.conv2.weight",
                f"{branch}.conv2.bias", f"{branch}.conv_bn2.weight", f"{branch}.conv3.bias"} <= keys
    with pytest.raises(ValueError, match="add a neck"):
        DBHead(in_channels=[16, 24, 56, 480])
    with pytest.raises(ValueError, match="k"):
        DBHead(in_channels=32, k=0)


def test_db_head_fix_nan_zeroes_nan_activations_in_training_only():
    # (Paddle's CPU ReLU already maps NaN to 0, so the replacement is checked on the branch's own step.)
    paddle.seed(1)
    plain = DBHead(in_channels=32)
    paddle.seed(1)
    fixed = DBHead(in_channels=32, fix_nan=True)
    assert fixed.binarize.fix_nan and fixed.thresh.fix_nan
    x = paddle.to_tensor([[1.0, float("nan")], [float("nan"), -2.0]])
    np.testing.assert_array_equal(fixed.binarize._no_nan(x).numpy(), [[1.0, 0.0], [0.0, -2.0]])
    assert np.isnan(plain.binarize._no_nan(x).numpy()).sum() == 2
    clean = paddle.rand([2, 32, 8, 8])
    np.testing.assert_allclose(fixed(clean)["maps"].numpy(), plain(clean)["maps"].numpy(), atol=1e-6)
    fixed.eval()
    assert np.isnan(fixed.binarize._no_nan(x).numpy()).sum() == 2  # inference as PaddleOCR's: untouched


def test_db_head_kernel_list():
    head = DBHead(in_channels=32, kernel_list=[5, 2, 2])
    assert list(head.binarize.conv1.weight.shape) == [8, 32, 5, 5]
    assert list(head(paddle.rand([1, 32, 8, 8]))["maps"].shape) == [1, 3, 32, 32]
    for bad in ([4, 2, 2], [3, 2], [3, 0, 2], "3,2,2"):
        with pytest.raises(ValueError, match="kernel_list"):
            DBHead(in_channels=32, kernel_list=bad)
    with pytest.raises(ValueError, match="fix_nan"):
        DBHead(in_channels=32, fix_nan="yes")
