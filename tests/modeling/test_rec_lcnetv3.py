"""PPLCNetV3 (det and rec) and its re-parameterisable LearnableRepLayer."""
import copy
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr.modeling  # noqa: F401  (registers everything)
from ppocr.modeling.architectures.base_model import build_model
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableRepLayer, PPLCNetV3, holds_fused_statistics
from ppocr.registry import BACKBONES, build

paddle.seed(0)


def _randomise(layer: paddle.nn.Layer, seed: int = 0) -> None:
    """Give every parameter and BN statistic a random value, so branches and BNs matter."""
    rng = np.random.default_rng(seed)
    for name, t in layer.state_dict().items():
        shape = list(t.shape)
        if name.endswith("_variance"):
            value = rng.uniform(0.5, 2.0, shape)
        elif name.endswith(("scale", "bn.weight", "identity.weight")):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0, 0.3, shape)
        t.set_value(value.astype("float32"))


def _np(t):
    return t.numpy()


@pytest.mark.parametrize("scale,expected", [(0.75, [12, 18, 42, 360]), (0.5, [8, 12, 28, 240]),
                                            (1.0, [16, 24, 56, 480])])
def test_det_four_maps(scale, expected):
    net = PPLCNetV3(scale=scale, det=True)
    assert net.out_channels == expected
    for mode in ("train", "eval"):
        getattr(net, mode)()
        feats = net(paddle.rand([2, 3, 64, 96]))
        assert [list(f.shape) for f in feats] == [[2, c, 64 // s, 96 // s] for c, s in zip(expected, (4, 8, 16, 32))]
        assert all(np.isfinite(_np(f)).all() for f in feats)


def test_rec_map():
    net = PPLCNetV3(scale=0.5)
    assert net.out_channels == 256
    assert list(net(paddle.rand([2, 3, 48, 160])).shape) == [2, 256, 1, 40]  # training: adaptive pool
    net.eval()
    assert list(net(paddle.rand([2, 3, 48, 160])).shape) == [2, 256, 1, 20]  # eval: 3x2 average pool


def test_checkpoint_keys_as_paddleocr():
    keys = set(PPLCNetV3(scale=0.75, det=True).state_dict())
    assert {"conv1.conv.weight", "conv1.bn._variance",
            "blocks2.0.dw_conv.identity._mean", "blocks2.0.dw_conv.conv_kxk.3.conv.weight",
            "blocks2.0.dw_conv.conv_1x1.bn.weight", "blocks2.0.dw_conv.lab.scale", "blocks2.0.dw_conv.act.lab.bias",
            "blocks2.0.pw_conv.conv_kxk.0.bn._mean", "blocks6.0.se.conv1.weight", "blocks6.1.se.conv2.bias",
            "layer_list.0.weight", "layer_list.3.bias"} <= keys
    assert "blocks3.0.dw_conv.identity.weight" not in keys  # stride 2: no identity branch
    assert "blocks2.0.pw_conv.conv_1x1.conv.weight" not in keys  # 1x1 kernel: no extra 1x1 branch
    assert not any(k.startswith("layer_list") for k in PPLCNetV3(scale=0.75).state_dict())


def test_registered_for_det_and_rec():
    for scope in ("det", "rec", None):
        assert BACKBONES.get(BACKBONES.resolve("PPLCNetV3", scope)) is PPLCNetV3
    net = build({"name": "PPLCNetV3", "scale": 0.75, "det": True}, BACKBONES, scope="det", in_channels=3)
    assert net.out_channels == [12, 18, 42, 360]
    model = build_model({"model_type": "det", "algorithm": "DB", "Transform": None,
                         "Backbone": {"name": "PPLCNetV3", "scale": 0.75, "det": True},
                         "Neck": {"name": "RSEFPN", "out_channels": 96, "shortcut": True},
                         "Head": {"name": "DBHead", "k": 50}})
    assert list(model({"image": paddle.rand([1, 3, 64, 64])})["maps"].shape) == [1, 3, 64, 64]


def test_learning_rate_multipliers():
    net = PPLCNetV3(scale=0.5, det=True, lr_mult_list=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], lab_lr=0.5)
    assert net.conv1.conv.weight.optimize_attr["learning_rate"] == pytest.approx(0.1)
    assert net.blocks3[0].dw_conv.conv_kxk[0].conv.weight.optimize_attr["learning_rate"] == pytest.approx(0.3)
    assert net.blocks4[0].pw_conv.lab.scale.optimize_attr["learning_rate"] == pytest.approx(0.4 * 0.5)
    assert net.blocks6[0].se.conv1.weight.optimize_attr["learning_rate"] == pytest.approx(0.6)
    assert net.blocks2[0].dw_conv.conv_kxk[0].bn.weight.regularizer._coeff == 0.0  # BN never decayed


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": 0}, "scale"), ({"conv_kxk_num": 0}, "conv_kxk_num"),
    ({"lr_mult_list": [1.0] * 5}, "lr_mult_list"), ({"lab_lr": -1}, "lab_lr"), ({"det": "yes"}, "det"),
    ({"net_config": {"blocks2": []}}, "net_config")])
def test_argument_checks(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PPLCNetV3(**kwargs)


def test_custom_net_config():
    cfg = {"blocks2": [[3, 16, 16, 1, False]], "blocks3": [[3, 16, 32, 2, False]],
           "blocks4": [[3, 32, 32, 2, False]], "blocks5": [[3, 32, 64, [2, 2], False]],
           "blocks6": [[5, 64, 64, 2, True]]}
    net = PPLCNetV3(scale=1.0, det=True, net_config=cfg)
    assert [len(getattr(net, s)) for s in ("blocks2", "blocks3", "blocks4", "blocks5", "blocks6")] == [1] * 5
    assert [f.shape[1] for f in net(paddle.rand([1, 3, 64, 64]))] == [16, 24, 56, 480]


REP_CASES = [  # in, out, kernel, stride, groups
    pytest.param(8, 8, 3, 1, 8, id="dw-s1"), pytest.param(8, 8, 5, 2, 8, id="dw-s2"),
    pytest.param(8, 8, 3, (2, 1), 8, id="dw-s21"), pytest.param(8, 16, 1, 1, 1, id="pw-expand"),
    pytest.param(8, 8, 1, 1, 1, id="pw-identity"), pytest.param(8, 12, 3, 2, 1, id="full-s2"),
    pytest.param(8, 8, 3, 1, 1, id="full-s1")]


@pytest.mark.parametrize("cin,cout,k,stride,groups", REP_CASES)
def test_rep_matches_eval_branches(cin, cout, k, stride, groups):
    layer = LearnableRepLayer(cin, cout, k, stride=stride, groups=groups, num_conv_branches=3)
    _randomise(layer)
    layer.eval()
    x = paddle.randn([2, cin, 11, 10])
    want = _np(layer(x))
    fused = copy.deepcopy(layer)
    fused.rep()
    fused.rep()  # idempotent
    assert fused.is_repped and fused.conv_kxk is None and fused.identity is None and fused.conv_1x1 is None
    assert {k.split(".")[0] for k in fused.state_dict()} == {"reparam_conv", "lab", "act"}
    np.testing.assert_allclose(_np(fused(x)), want, atol=1e-5)


@pytest.mark.parametrize("cin,cout,k,stride,groups", REP_CASES)
def test_load_fused_inverts_rep(cin, cout, k, stride, groups):
    source = LearnableRepLayer(cin, cout, k, stride=stride, groups=groups, num_conv_branches=4)
    _randomise(source, seed=1)
    source.eval()
    fused = copy.deepcopy(source)
    fused.rep()
    target = LearnableRepLayer(cin, cout, k, stride=stride, groups=groups, num_conv_branches=4)
    _randomise(target, seed=2)  # whatever it held before is overwritten
    target.lab.set_state_dict(fused.lab.state_dict())
    target.act.set_state_dict(fused.act.state_dict())
    target.load_fused(fused.reparam_conv.weight, fused.reparam_conv.bias)
    assert not target.is_repped
    target.eval()
    x = paddle.randn([2, cin, 9, 12])
    np.testing.assert_allclose(_np(target(x)), _np(fused(x)), atol=1e-5)
    np.testing.assert_allclose(_np(target(x)), _np(source(x)), atol=1e-5)
    # and fusing the loaded layer gives the kernel back
    again = copy.deepcopy(target)
    again.rep()
    np.testing.assert_allclose(_np(again.reparam_conv.weight), _np(fused.reparam_conv.weight), atol=1e-5)
    np.testing.assert_allclose(_np(again.reparam_conv.bias), _np(fused.reparam_conv.bias), atol=1e-5)


def test_load_fused_checks_shapes_and_sets_repped_layer():
    layer = LearnableRepLayer(8, 8, 3, groups=8)
    with pytest.raises(ValueError, match=r"weight must have shape \[8, 1, 3, 3\]"):
        layer.load_fused(np.zeros([8, 8, 3, 3]), np.zeros([8]))
    with pytest.raises(ValueError, match="bias"):
        layer.load_fused(np.zeros([8, 1, 3, 3]), np.zeros([4]))
    layer.rep()
    w, b = np.ones([8, 1, 3, 3], "float32"), np.full([8], 0.5, "float32")
    layer.load_fused(w, b)
    np.testing.assert_array_equal(_np(layer.reparam_conv.weight), w)


def test_loaded_layer_still_trains():
    layer = LearnableRepLayer(4, 4, 3, groups=4, num_conv_branches=2)
    layer.load_fused(np.random.rand(4, 1, 3, 3).astype("float32"), np.zeros([4], "float32"))
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=layer.parameters())
    before = _np(layer.conv_kxk[1].bn.weight).copy()
    layer(paddle.rand([2, 4, 8, 8])).mean().backward()
    opt.step()
    assert not np.allclose(_np(layer.conv_kxk[1].bn.weight), before)  # the zeroed branches learn again


def _fused_and_loaded(cin, cout, k, stride, groups, seed=1):
    """A random layer fused by rep(), and a fresh layer set from that fused conv by load_fused (train mode)."""
    source = LearnableRepLayer(cin, cout, k, stride=stride, groups=groups, num_conv_branches=4)
    _randomise(source, seed=seed)
    source.eval()
    fused = copy.deepcopy(source)
    fused.rep()
    target = LearnableRepLayer(cin, cout, k, stride=stride, groups=groups, num_conv_branches=4)
    _randomise(target, seed=seed + 1)
    target.lab.set_state_dict(fused.lab.state_dict())
    target.act.set_state_dict(fused.act.state_dict())
    target.load_fused(fused.reparam_conv.weight, fused.reparam_conv.bias)
    target.train()
    return fused, target


def _statistics(layer):
    return {k: _np(v).copy() for k, v in layer.state_dict().items() if k.endswith(("_mean", "_variance"))}


def _fused_copy(layer):
    out = copy.deepcopy(layer)
    out.rep()
    return out


FUSED_CASES = [  # in, out, kernel, stride, groups: strides 1, 2, (2, 1), depthwise and not, with every branch kind
    pytest.param(8, 8, 3, 1, 8, id="dw-s1"), pytest.param(8, 8, 5, 2, 8, id="dw-s2"),
    pytest.param(8, 8, 3, (2, 1), 8, id="dw-s21"), pytest.param(8, 8, 1, 1, 1, id="pw-identity"),
    pytest.param(8, 16, 1, 1, 1, id="pw-expand"), pytest.param(8, 12, 3, 2, 1, id="full-s2"),
    pytest.param(8, 8, 3, (2, 1), 1, id="full-s21"), pytest.param(8, 8, 3, 1, 1, id="full-s1")]


@pytest.mark.parametrize("cin,cout,k,stride,groups", FUSED_CASES)
def test_load_fused_trains_as_the_fused_conv(cin, cout, k, stride, groups):
    fused, target = _fused_and_loaded(cin, cout, k, stride, groups)
    x = paddle.randn([3, cin, 9, 12])
    stats = _statistics(target)
    np.testing.assert_allclose(_np(target(x)), _np(fused(x)), atol=1e-5)  # train mode: the fused conv
    assert target.frozen_statistics
    for key, value in _statistics(target).items():  # the running statistics are read, not updated
        np.testing.assert_array_equal(value, stats[key], err_msg=key)

    # one optimizer step: the branches change, and train mode, eval mode and rep() still agree
    opt = paddle.optimizer.Adam(learning_rate=0.01, parameters=target.parameters())
    target(x).square().mean().backward()
    opt.step()
    opt.clear_grad()
    train_out = _np(target(x))
    assert np.abs(train_out - _np(fused(x))).max() > 1e-3  # it did learn
    np.testing.assert_allclose(_np(_fused_copy(target)(x)), train_out, atol=1e-5)
    target.eval()
    np.testing.assert_allclose(_np(target(x)), train_out, atol=1e-5)
    target.train()
    assert target.frozen_statistics
    for key, value in _statistics(target).items():
        np.testing.assert_array_equal(value, stats[key], err_msg=key)


@pytest.mark.parametrize("cin,cout,k,stride,groups", [FUSED_CASES[0], FUSED_CASES[5]])
def test_frozen_statistics_survive_a_state_dict_round_trip(tmp_path, cin, cout, k, stride, groups):
    _, target = _fused_and_loaded(cin, cout, k, stride, groups)
    opt = paddle.optimizer.Adam(learning_rate=0.01, parameters=target.parameters())
    x = paddle.randn([3, cin, 9, 12])
    target(x).square().mean().backward()
    opt.step()
    paddle.save(target.state_dict(), str(tmp_path / "layer.pdparams"))

    fresh = LearnableRepLayer(cin, cout, k, stride=stride, groups=groups, num_conv_branches=4)
    fresh(x)  # a fresh layer trains with batch statistics
    assert not fresh.frozen_statistics
    fresh.set_state_dict(paddle.load(str(tmp_path / "layer.pdparams")))
    np.testing.assert_allclose(_np(fresh(x)), _np(target(x)), atol=1e-5)
    assert fresh.frozen_statistics
    np.testing.assert_allclose(_np(_fused_copy(fresh)(x)), _np(fresh(x)), atol=1e-5)


def test_layers_trained_with_batch_statistics_are_not_frozen():
    layer = LearnableRepLayer(8, 8, 3, groups=8, num_conv_branches=2)
    assert holds_fused_statistics([layer]) == [False]  # new: variance 1
    x = paddle.randn([4, 8, 6, 6]) * 3 + 1
    before = _np(layer.identity._mean).copy()
    out = layer(x)
    assert not layer.frozen_statistics
    assert not np.allclose(_np(layer.identity._mean), before)  # batch statistics, tracked as usual
    # and the output is the batch-normalised one, not the running-statistics one
    layer.eval()
    assert np.abs(_np(out) - _np(layer(x))).max() > 1e-2
    _randomise(layer)
    layer.train()
    layer(x)
    assert not layer.frozen_statistics


def test_backbone_from_fused_layers_trains_as_the_fused_backbone(tmp_path):
    """PPLCNetV3 (det, as the detector's rep layers are the same) set from a fused copy: in train mode it computes
    what the fused copy computes, also after a checkpoint round trip into a new backbone."""
    net = PPLCNetV3(scale=0.5, det=True, conv_kxk_num=2)
    _randomise(net, seed=4)
    fused = copy.deepcopy(net)
    fused.eval()
    reps = {n: m for n, m in fused.named_sublayers() if isinstance(m, LearnableRepLayer)}
    for m in reps.values():
        m.rep()
    target = PPLCNetV3(scale=0.5, det=True, conv_kxk_num=2)
    own = target.state_dict()
    for key, value in fused.state_dict().items():  # the stem and det projections by name
        if key in own:
            own[key].set_value(value)
    for name, layer in target.named_sublayers():
        if isinstance(layer, LearnableRepLayer):
            assert not layer.refresh_in_forward  # the backbone refreshes them all at once
            layer.load_fused(reps[name].reparam_conv.weight, reps[name].reparam_conv.bias)
            layer.lab.set_state_dict(reps[name].lab.state_dict())
            layer.act.set_state_dict(reps[name].act.state_dict())
    x = paddle.rand([2, 3, 64, 64])
    fused.train()  # its stem BN uses batch statistics as the target's does
    target.train()
    for got, want in zip(target(x), fused(x)):
        assert np.abs(_np(got) - _np(want)).max() <= 1e-5 * (1 + np.abs(_np(want)).max())

    paddle.save(target.state_dict(), str(tmp_path / "net.pdparams"))
    again = PPLCNetV3(scale=0.5, det=True, conv_kxk_num=2)
    again.set_state_dict(paddle.load(str(tmp_path / "net.pdparams")))
    for got, want in zip(again(x), target(x)):
        np.testing.assert_allclose(_np(got), _np(want), atol=1e-5)
    assert all(m.frozen_statistics for m in again.sublayers() if isinstance(m, LearnableRepLayer))


def test_backbone_rep_matches_eval():
    net = PPLCNetV3(scale=0.5, det=True, conv_kxk_num=2)
    _randomise(net, seed=3)
    net.eval()
    x = paddle.rand([1, 3, 64, 64])
    want = [_np(f) for f in net(x)]
    n_before = len(net.state_dict())
    for layer in net.sublayers():
        if isinstance(layer, LearnableRepLayer):
            layer.rep()
    assert len(net.state_dict()) < n_before
    for got, ref in zip(net(x), want):  # float32 rounding through 30 random layers: relative to the size
        assert np.abs(_np(got) - ref).max() <= 1e-5 * (1 + np.abs(ref).max())
