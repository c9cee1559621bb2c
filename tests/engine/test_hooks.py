"""Hooks from the config (``Hooks:``), a user's hook through ``Global.custom_imports``, hook state across a resume."""
import sys

import pytest

import ppocr  # noqa: F401
from ppocr.engine import train
from ppocr.engine.trainer import HookBase, Trainer
from ppocr.testing import make_rec_data, rec_config
from ppocr.utils.errors import ConfigError

HOOK_MODULE = '''
from ppocr.engine.trainer import HookBase
from ppocr.registry import HOOKS

RUNS = []


@HOOKS.register()
class CountingHook(HookBase):
    """Counts optimizer steps; the count is part of its state."""

    def __init__(self, tag: str = "x"):
        self.tag, self.steps, self.restored = tag, 0, None

    def state_dict(self):
        return {"steps": self.steps}

    def set_state_dict(self, state):
        self.steps = self.restored = state["steps"]

    def after_step(self):
        if self.trainer.step_info.get("optimizer_stepped"):
            self.steps += 1

    def after_train(self):
        RUNS.append({"tag": self.tag, "restored": self.restored, "steps": self.steps,
                     "global_step": self.trainer.state.global_step})


LRS = []


@HOOKS.register()
class HalveLROnceHook(HookBase):
    """Halves the LR through the trainer's extension point after step 1; records the LR of each step."""

    def after_step(self):
        st = self.trainer.state
        if self.trainer.step_info.get("optimizer_stepped"):
            LRS.append((st.global_step, self.trainer.optimizer.get_lr()))
            if st.global_step == 1:
                self.trainer.scale_lr(0.5)
'''


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_rec_data(str(tmp_path_factory.mktemp("rec")), num_train=8, num_eval=2)


@pytest.fixture
def hook_module(tmp_path, monkeypatch):
    (tmp_path / "my_hooks.py").write_text(HOOK_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_hooks"
    sys.modules.pop("my_hooks", None)
    from ppocr.registry import HOOKS
    for name in ("CountingHook", "HalveLROnceHook"):
        HOOKS._items.pop(name, None)  # the next test's module registers fresh classes


def _cfg(data_dir, save_dir, overrides):
    cfg = rec_config(data_dir, str(save_dir), ["Global.custom_imports=[my_hooks]"] + overrides)
    cfg["Hooks"] = ["LRSchedulerHook", "LoggerHook", "CheckpointHook", {"CountingHook": {"tag": "mine"}}]
    return cfg


def test_config_lists_a_user_hook_and_its_state_survives_a_resume(data_dir, tmp_path, hook_module):
    out = tmp_path / "out"
    train(_cfg(data_dir, out, ["Global.max_steps=2"]))
    runs = sys.modules[hook_module].RUNS
    assert runs == [{"tag": "mine", "restored": None, "steps": 2, "global_step": 2}]
    r = train(_cfg(data_dir, out, [f"Global.checkpoints={out}/latest", "Global.max_steps=3"]))
    assert r["global_step"] == 3
    assert runs[-1] == {"tag": "mine", "restored": 2, "steps": 3, "global_step": 3}  # counted on from the checkpoint
    assert r["last_eval"] is None  # no EvalHook in the list: the config's list is the whole list


def test_lr_scale_from_a_hook_survives_a_resume(data_dir, tmp_path, hook_module):
    hooks = ["LRSchedulerHook", "CheckpointHook", "HalveLROnceHook"]

    def run(save_dir, overrides):
        opts = ["Global.custom_imports=[my_hooks]", "Global.epoch_num=2"] + overrides
        cfg = rec_config(data_dir, str(save_dir), opts)
        cfg["Hooks"] = hooks
        return train(cfg)

    run(tmp_path / "whole", ["Global.max_steps=4"])
    lrs = sys.modules[hook_module].LRS
    whole = list(lrs)
    lrs.clear()
    run(tmp_path / "cut", ["Global.max_steps=2"])
    r = run(tmp_path / "cut", [f"Global.checkpoints={tmp_path}/cut/latest", "Global.max_steps=4"])
    assert r["global_step"] == 4 and [s for s, _ in lrs] == [1, 2, 3, 4]
    assert lrs == whole  # the halving applied at step 1 is in the checkpoint, so steps 3-4 match exactly
    assert whole[1][1] < 0.6 * whole[0][1]  # the schedule moves a few percent per step; the halving is what shows


def test_unknown_hook_names_the_nearest(data_dir, tmp_path):
    cfg = rec_config(data_dir, str(tmp_path), ["Global.max_steps=1"])
    cfg["Hooks"] = ["LRSchedulerHook", "LogerHook"]
    with pytest.raises(ConfigError, match="LoggerHook"):
        train(cfg)
    cfg["Hooks"] = [{"LoggerHook": {"print_batch_step": 5}, "EvalHook": {}}]
    with pytest.raises(ConfigError, match=r"Hooks\.0: expected a hook name or"):
        train(cfg)


class _Stateful(HookBase):
    def __init__(self, value=0):
        self.value = value

    def state_dict(self):
        return {"value": self.value} if self.value else {}

    def set_state_dict(self, state):
        self.value = state["value"]


def test_hook_states_are_keyed_by_class_and_position(caplog):
    hooks = [_Stateful(1), HookBase(), _Stateful(0), _Stateful(3)]
    trainer = Trainer(None, None, None, [], epoch_num=1, hooks=hooks)
    assert trainer.hook_states() == {"_Stateful": {"value": 1}, "_Stateful#3": {"value": 3}}  # empty states left out
    fresh = [_Stateful(), HookBase(), _Stateful(), _Stateful()]
    again = Trainer(None, None, None, [], epoch_num=1, hooks=fresh)
    again.set_hook_states({**trainer.hook_states(), "GoneHook": {"x": 1}})
    assert [h.value for h in fresh if isinstance(h, _Stateful)] == [1, 0, 3]
    assert "GoneHook" in caplog.text and "ignored" in caplog.text


def test_ctrl_c_finishes_the_step_saves_latest_and_the_run_resumes(data_dir, tmp_path):
    import os
    import signal

    from ppocr.engine.trainer import HookBase as Base
    from ppocr.registry import HOOKS

    class _Interrupt(Base):
        def after_step(self):
            if self.trainer.state.global_step == 2 and self.trainer.step_info.get("optimizer_stepped"):
                os.kill(os.getpid(), signal.SIGINT)

    HOOKS.register(_Interrupt, name="_Interrupt")
    try:
        before = signal.getsignal(signal.SIGINT)
        cfg = rec_config(data_dir, str(tmp_path), ["Global.epoch_num=3"])
        cfg["Hooks"] = ["LRSchedulerHook", "LoggerHook", "CheckpointHook", "SignalHook", "_Interrupt"]
        r = train(cfg)
        assert r["global_step"] == 2 and signal.getsignal(signal.SIGINT) is before  # handler restored
        assert "received SIGINT" in open(tmp_path / "train.log").read()
        cfg = rec_config(data_dir, str(tmp_path), ["Global.epoch_num=3", f"Global.checkpoints={tmp_path}/latest"])
        assert train(cfg)["global_step"] == 12  # 3 epochs x 4 batches, continued from step 2
    finally:
        HOOKS._items.pop("_Interrupt", None)


def test_a_second_signal_stops_at_once_and_restores_the_handlers():
    """A repeat within the window is the launcher's repeated SIGTERM (three, 0.2 s apart): the same request.
    A signal after the window is the user's second Ctrl-C: stop at once."""
    import signal
    import time

    from ppocr.engine.hooks import SignalHook

    hook = SignalHook(repeat_window_s=0.3)
    trainer = Trainer(None, None, None, [], epoch_num=1, hooks=[hook])
    before = signal.getsignal(signal.SIGTERM)
    hook.before_train()
    assert signal.getsignal(signal.SIGTERM) == hook._handle
    hook._handle(signal.SIGTERM, None)
    assert trainer.stop_reason.startswith("received SIGTERM")
    hook._handle(signal.SIGTERM, None)
    hook._handle(signal.SIGTERM, None)
    assert signal.getsignal(signal.SIGTERM) == hook._handle
    time.sleep(0.35)
    with pytest.raises(KeyboardInterrupt, match="second SIGTERM"):
        hook._handle(signal.SIGTERM, None)
    assert signal.getsignal(signal.SIGTERM) is before
