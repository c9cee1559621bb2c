import math

import pytest

from ppocr.optimizer import build_lr_scheduler
from ppocr.registry import LR_SCHEDULERS
from ppocr.utils.errors import ConfigError


def lrs(cfg, epochs, step_each_epoch, n):
    """The rate at steps 0..n-1."""
    sched = build_lr_scheduler(cfg, epochs, step_each_epoch)
    out = []
    for _ in range(n):
        out.append(sched())
        sched.step()
    return out


def test_registry_has_all_schedules():
    assert set(LR_SCHEDULERS.names()) >= {"Const", "Cosine", "Piecewise", "Linear", "OneCycle"}


def test_const_default_name_number_and_warmup():
    assert lrs({"learning_rate": 0.01}, 1, 3, 3) == pytest.approx([0.01] * 3)
    assert lrs(0.01, 1, 3, 2) == pytest.approx([0.01] * 2)
    # 0.5 epoch x 4 steps = 2 warm-up steps: 0 -> 0.01
    assert lrs({"name": "Const", "learning_rate": 0.01, "warmup_epoch": 0.5}, 2, 4, 4) == \
        pytest.approx([0.0, 0.005, 0.01, 0.01])


def test_fractional_warmup_rounds_half_up_and_at_least_one_step():
    # 0.25 x 10 = 2.5 -> 3 steps
    assert lrs({"learning_rate": 0.3, "warmup_epoch": 0.25}, 1, 10, 4) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    # 0.01 x 10 = 0.1 -> still 1 step
    assert lrs({"learning_rate": 0.3, "warmup_epoch": 0.01}, 1, 10, 2) == pytest.approx([0.0, 0.3])


def test_cosine():
    # 3 epochs x 4 = 12 steps, 2 warm-up, cosine over the remaining 10
    got = lrs({"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 0.5}, 3, 4, 13)
    assert got[0] == 0.0 and got[1] == pytest.approx(0.05)
    assert got[2] == pytest.approx(0.1)                     # warm-up end = peak
    assert got[7] == pytest.approx(0.05)                    # midpoint of the cosine
    assert got[4] == pytest.approx(0.05 * (1 + math.cos(math.pi * 2 / 10)))
    assert got[12] == pytest.approx(0.0, abs=1e-12)         # end of training
    assert lrs({"name": "Cosine", "learning_rate": 0.1}, 1, 4, 3)[2] == pytest.approx(0.05)


def test_piecewise():
    cfg = {"name": "Piecewise", "decay_epochs": [1, 2], "values": [0.1, 0.01, 0.001], "warmup_epoch": 0.5}
    got = lrs(cfg, 3, 4, 12)
    assert got[:5] == pytest.approx([0.0, 0.05, 0.1, 0.1, 0.01])   # boundaries count from step 0
    assert got[7] == pytest.approx(0.01) and got[8] == pytest.approx(0.001)
    assert got[11] == pytest.approx(0.001)


def test_linear_and_polynomial():
    got = lrs({"name": "Linear", "learning_rate": 0.1}, 2, 5, 11)
    assert got[0] == pytest.approx(0.1) and got[5] == pytest.approx(0.05) and got[10] == pytest.approx(0.0)
    got = lrs({"name": "Linear", "learning_rate": 0.1, "end_lr": 0.01, "power": 2.0, "warmup_epoch": 1}, 3, 5, 16)
    assert got[5] == pytest.approx(0.1)
    assert got[10] == pytest.approx(0.09 * 0.25 + 0.01)
    assert got[15] == pytest.approx(0.01)


def test_one_cycle():
    cfg = {"name": "OneCycle", "max_lr": 0.1, "divide_factor": 10.0, "end_learning_rate": 1e-4,
           "phase_pct": 0.3, "warmup_epoch": 1}
    got = lrs(cfg, 6, 2, 12)  # 2 warm-up steps, then a 10-step cycle peaking at its step 2
    assert got[:3] == pytest.approx([0.0, 0.005, 0.01])
    assert got[4] == pytest.approx(0.1)
    assert got[11] == pytest.approx(1e-4)
    assert max(got) == pytest.approx(0.1)


@pytest.mark.parametrize("cfg, match", [
    ({"name": "Cosin", "learning_rate": 0.1}, "Cosine"),
    ({"name": "Cosine", "learning_rate": 0.1, "warmup_epochs": 1}, "warmup_epoch"),
    ({"name": "Piecewise", "decay_epochs": [1, 2], "values": [0.1, 0.01]}, "values"),
    ({"name": "Piecewise", "decay_epochs": [2, 1], "values": [0.1, 0.01, 0.001]}, "increase"),
    ({"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 3}, "warmup_epoch"),
    ({"name": "Cosine", "learning_rate": -1}, "learning_rate"),
    ({"name": "OneCycle", "max_lr": 0.1, "anneal_strategy": "cosine"}, "anneal_strategy"),
    ({"name": "Cosine", "learning_rate": 0.1, "epochs": 5}, "Global.epoch_num"),
])
def test_bad_schedules(cfg, match):
    with pytest.raises(ConfigError, match=match):
        build_lr_scheduler(cfg, 3, 4)


def test_bad_step_counts():
    with pytest.raises(ValueError, match="step_each_epoch"):
        build_lr_scheduler({"learning_rate": 0.1}, 3, 0)
