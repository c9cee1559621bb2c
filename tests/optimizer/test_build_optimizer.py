import numpy as np
import paddle
import pytest

from ppocr.optimizer import build_optimizer
from ppocr.registry import OPTIMIZERS
from ppocr.utils.errors import ConfigError


def tiny_model(weight_attr=None):
    paddle.seed(0)
    return paddle.nn.Linear(3, 2, weight_attr=weight_attr)


def data():
    rng = np.random.default_rng(0)
    return (paddle.to_tensor(rng.standard_normal((8, 3)).astype("float32")),
            paddle.to_tensor(rng.standard_normal((8, 2)).astype("float32")))


def quadratic(model, x, y):
    return ((model(x) - y) ** 2).mean()


def params(model):
    return [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Momentum", "SGD", "RMSProp"])
def test_each_optimizer_lowers_quadratic_loss(name):
    assert name in OPTIMIZERS
    model = tiny_model()
    opt, _ = build_optimizer({"name": name, "lr": {"learning_rate": 0.01}}, 1, 1, model)
    x, y = data()
    before = quadratic(model, x, y)
    before.backward()
    opt.step()
    opt.clear_grad()
    assert float(quadratic(model, x, y)) < float(before)


def zero_grad_step(opt, model, x):
    (model(x) * 0).sum().backward()
    opt.step()
    opt.clear_grad()


def test_regularizer_applies_only_where_param_attr_sets_none():
    attr = paddle.ParamAttr(regularizer=paddle.regularizer.L2Decay(0.5))
    model = tiny_model(weight_attr=attr)
    w0, b0 = params(model)
    opt, _ = build_optimizer({"name": "SGD", "lr": {"learning_rate": 1.0},
                              "regularizer": {"name": "L2", "factor": 0.1}}, 1, 1, model)
    zero_grad_step(opt, model, data()[0])
    w1, b1 = params(model)
    np.testing.assert_allclose(w1, w0 * 0.5, rtol=1e-6)   # the ParamAttr's L2Decay(0.5) wins
    np.testing.assert_allclose(b1, b0 * 0.9, rtol=1e-6)   # optimizer's L2(0.1)


def test_l1_regularizer_and_paddleocr_alias():
    model = tiny_model()
    model.bias.set_value(paddle.to_tensor([0.5, -0.5]))
    opt, _ = build_optimizer({"name": "SGD", "lr": {"learning_rate": 1.0},
                              "regularizer": {"name": "L1Decay", "factor": 0.1}}, 1, 1, model)
    zero_grad_step(opt, model, data()[0])
    np.testing.assert_allclose(model.bias.numpy(), [0.4, -0.4], rtol=1e-6)


@pytest.mark.parametrize("key, clip_type", [("clip_norm", paddle.nn.ClipGradByNorm),
                                            ("clip_norm_global", paddle.nn.ClipGradByGlobalNorm)])
def test_gradient_clipping(key, clip_type):
    model = tiny_model()
    opt, _ = build_optimizer({"name": "SGD", "lr": {"learning_rate": 1.0}, key: 1e-3}, 1, 1, model)
    assert isinstance(opt._grad_clip, clip_type)
    before = params(model)
    x, y = data()
    (quadratic(model, x, y) * 1000).backward()
    opt.step()
    delta = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(params(model), before)))
    bound = 1e-3 * (2 if key == "clip_norm" else 1)   # per-tensor clipping: one bound per parameter
    assert 0 < delta <= bound * (1 + 1e-4)


def test_adamw_no_weight_decay_names():
    model = tiny_model()
    w0, b0 = params(model)
    opt, _ = build_optimizer({"name": "AdamW", "weight_decay": 0.5, "no_weight_decay_name": "bias",
                              "lr": {"learning_rate": 0.1}}, 1, 1, model)
    zero_grad_step(opt, model, data()[0])
    w1, b1 = params(model)
    np.testing.assert_allclose(w1, w0 * (1 - 0.1 * 0.5), rtol=1e-5)
    np.testing.assert_allclose(b1, b0, rtol=1e-6)

    model = tiny_model()
    w0, b0 = params(model)
    opt, _ = build_optimizer({"name": "AdamW", "weight_decay": 0.5, "one_dim_param_no_weight_decay": True,
                              "lr": {"learning_rate": 0.1}}, 1, 1, model)
    zero_grad_step(opt, model, data()[0])
    np.testing.assert_allclose(params(model)[1], b0, rtol=1e-6)


LR = {"learning_rate": 0.1}


@pytest.mark.parametrize("cfg, match", [
    ({"name": "Adm", "lr": LR}, "'Adam'"),
    ({"name": "Adam", "beta_1": 0.9, "lr": LR}, "'beta1'"),
    ({"name": "Adam", "beta1": 1.5, "lr": LR}, "beta1"),
    ({"name": "Adam"}, "missing 'lr'"),
    ({"name": "Adam", "learning_rate": 0.1, "lr": LR}, "Optimizer.lr"),
    ({"name": "Adam", "weight_decay": 0.1, "lr": LR}, "regularizer"),
    ({"name": "Adam", "lr": {"name": "Cosine", "learning_rat": 0.1}}, "'learning_rate'"),
    ({"name": "Adam", "lr": LR, "regularizer": {"name": "L3", "factor": 0.1}}, "'L1'"),
    ({"name": "Adam", "lr": LR, "regularizer": {"name": "L2", "coeff": 0.1}}, "factor"),
    ({"name": "Adam", "lr": LR, "clip_norm": 1, "clip_norm_global": 1}, "not both"),
    ({"name": "Adam", "lr": LR, "clip_norm": -1}, "clip_norm"),
    ({"name": "AdamW", "lr": LR, "weight_decay": 0.1, "regularizer": {"name": "L2", "factor": 0.1}}, "not both"),
    ({"name": "AdamW", "lr": LR, "regularizer": {"name": "L1", "factor": 0.1}}, "L2 regularizer"),
    ({"name": "AdamW", "lr": {"name": "Linear", "learning_rate": 0.1, "epochs": 5}}, "Global.epoch_num is 2"),
    ({"name": "AdamW", "lr": LR, "no_weight_decay_name": ["bias"]}, "space-separated"),
])
def test_bad_configs(cfg, match):
    with pytest.raises(ConfigError, match=match):
        build_optimizer(cfg, 2, 3, tiny_model())


CFG = {"name": "Adam", "beta1": 0.9, "beta2": 0.999, "clip_norm_global": 5.0,
       "lr": {"name": "Cosine", "learning_rate": 0.05, "warmup_epoch": 0.5},
       "regularizer": {"name": "L2", "factor": 1e-3}}


def run_steps(model, opt, sched, n):
    x, y = data()
    lrs, states = [], []
    for _ in range(n):
        quadratic(model, x, y).backward()
        opt.step()
        opt.clear_grad()
        lrs.append(opt.get_lr())
        sched.step()
        states.append(params(model))
    return lrs, states


def test_state_round_trip(tmp_path):
    # Parameter and accumulator names come from paddle's unique-name counter; each "process"
    # gets its own namespace so they match, as they do across real runs.
    with paddle.utils.unique_name.guard():
        model = tiny_model()
        opt, sched = build_optimizer(CFG, 3, 4, model)
        assert opt._learning_rate is sched
        run_steps(model, opt, sched, 3)
        paddle.save(model.state_dict(), str(tmp_path / "m.pdparams"))
        paddle.save(opt.state_dict(), str(tmp_path / "m.pdopt"))
        paddle.save(sched.state_dict(), str(tmp_path / "m.pdsched"))
        expected_lrs, expected_params = run_steps(model, opt, sched, 5)

    for restore_scheduler_separately in (False, True):
        with paddle.utils.unique_name.guard():
            model2 = paddle.nn.Linear(3, 2)
            model2.set_state_dict(paddle.load(str(tmp_path / "m.pdparams")))
            opt2, sched2 = build_optimizer(CFG, 3, 4, model2)
            opt2.set_state_dict(paddle.load(str(tmp_path / "m.pdopt")))
            if restore_scheduler_separately:
                sched2.set_state_dict(paddle.load(str(tmp_path / "m.pdsched")))
            assert sched2.last_epoch == 3
            lrs, states = run_steps(model2, opt2, sched2, 5)
        assert lrs == expected_lrs
        assert lrs[0] != lrs[1]   # mid-schedule, the rate really moves
        for got, want in zip(states, expected_params):
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)


# The Optimizer sections of PaddleOCR's configs/kie/vi_layoutxlm/{ser,re}_vi_layoutxlm_xfund_zh.yml.
KIE_SER = {"name": "AdamW", "beta1": 0.9, "beta2": 0.999,
           "lr": {"name": "Linear", "learning_rate": 0.00005, "epochs": 4, "warmup_epoch": 2},
           "regularizer": {"name": "L2", "factor": 0.0}}
KIE_RE = {"name": "AdamW", "beta1": 0.9, "beta2": 0.999, "clip_norm": 10,
          "lr": {"learning_rate": 0.00005, "warmup_epoch": 1}, "regularizer": {"name": "L2", "factor": 0.0}}


@pytest.mark.parametrize("cfg", [KIE_SER, KIE_RE])
def test_paddleocr_kie_optimizer_sections(cfg):
    """lr.epochs equal to Global.epoch_num is accepted; AdamW takes the L2 factor as its decoupled decay (0)."""
    opt, sched = build_optimizer(cfg, 4, 3, tiny_model())
    assert isinstance(opt, paddle.optimizer.AdamW) and opt._weight_decay == 0.0
    lrs = []
    for _ in range(12):
        lrs.append(opt.get_lr())
        sched.step()
    assert lrs[0] == 0.0 and max(lrs) == pytest.approx(0.00005)


def test_adamw_l2_factor_is_its_weight_decay():
    model = tiny_model()
    w0 = params(model)[0]
    opt, _ = build_optimizer({"name": "AdamW", "lr": {"learning_rate": 0.1},
                              "regularizer": {"name": "L2", "factor": 0.5}}, 1, 1, model)
    zero_grad_step(opt, model, data()[0])
    np.testing.assert_allclose(params(model)[0], w0 * (1 - 0.1 * 0.5), rtol=1e-6)
