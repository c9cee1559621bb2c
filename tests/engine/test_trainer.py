"""The training loop itself, with a fake model and loader: hook order, accumulation, stopping, skips, extension points."""
import numpy as np
import paddle
import pytest

from ppocr.engine.trainer import HookBase, Trainer
from ppocr.utils.errors import ConfigError


class Tiny(paddle.nn.Layer):
    input_keys = ["image"]

    def __init__(self):
        super().__init__()
        self.fc = paddle.nn.Linear(3, 1)

    def forward(self, batch):
        return self.fc(batch["image"])


def mse(preds, batch):
    err = ((preds[:, 0] - batch["target"]) ** 2)
    if "sample_weight" in batch:
        err = err * batch["sample_weight"]
    return {"loss": err.mean()}


def batches(n, size=2, seed=0):
    rng = np.random.default_rng(seed)
    return [{"image": paddle.to_tensor(rng.random((size, 3), dtype=np.float32)),
             "target": paddle.to_tensor(rng.random(size, dtype=np.float32))} for _ in range(n)]


def trainer(hooks, n=4, epochs=1, loss=mse, **kw):
    paddle.seed(0)
    model = Tiny()
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=model.parameters())
    return Trainer(model, loss, opt, batches(n), epoch_num=epochs, hooks=hooks, **kw)


class Recorder(HookBase):
    def __init__(self):
        self.calls, self.stepped = [], []

    def before_train(self): self.calls.append("before_train")
    def before_epoch(self): self.calls.append(f"before_epoch{self.trainer.state.epoch}")
    def before_step(self): self.calls.append("before_step")

    def after_step(self):
        self.calls.append("after_step")
        self.stepped.append(self.trainer.step_info["optimizer_stepped"])

    def after_epoch(self): self.calls.append(f"after_epoch{self.trainer.state.epoch}")
    def after_train(self): self.calls.append("after_train")


def test_hooks_are_called_in_loop_order_and_the_model_learns():
    rec = Recorder()
    tr = trainer([rec], n=2, epochs=2)
    state = tr.train()
    assert rec.calls == ["before_train", "before_epoch1", "before_step", "after_step", "before_step", "after_step",
                         "after_epoch1", "before_epoch2", "before_step", "after_step", "before_step", "after_step",
                         "after_epoch2", "after_train"]
    assert (state.epoch, state.global_step, state.samples_seen) == (3, 4, 8)
    losses = [float(mse(tr.model(b), b)["loss"]) for b in batches(2)]
    fresh = trainer([], n=2)
    assert sum(losses) < sum(float(mse(fresh.model(b), b)["loss"]) for b in batches(2))


def test_accumulation_steps_the_optimizer_every_k_batches():
    rec = Recorder()
    tr = trainer([rec], n=4, accumulation_steps=2)
    tr.train()
    assert rec.stepped == [False, True, False, True] and tr.state.global_step == 2


def test_max_steps_and_request_stop_end_the_loop_but_not_after_train():
    tr = trainer([Recorder()], n=4, epochs=5, max_steps=3)
    assert tr.train().global_step == 3 and "max_steps=3" in tr.stop_reason

    class StopAtTwo(HookBase):
        def after_step(self):
            if self.trainer.state.global_step == 2:
                self.trainer.request_stop("enough")
                self.trainer.request_stop("ignored: the first reason stays")

    rec = Recorder()
    tr = trainer([StopAtTwo(), rec], n=4)
    assert tr.train().global_step == 2 and tr.stop_reason == "enough" and rec.calls[-1] == "after_train"


def test_after_train_runs_when_a_hook_fails():
    class Boom(HookBase):
        def after_step(self):
            raise RuntimeError("boom")

    rec = Recorder()
    with pytest.raises(RuntimeError, match="boom"):
        trainer([rec, Boom()]).train()
    assert rec.calls[-1] == "after_train"


def test_fully_skipped_batches_are_counted_not_stepped():
    data = batches(3)
    data[1] = {"skipped": np.array([1, 1])}  # every sample of this batch was dropped by the pipeline
    paddle.seed(0)
    model = Tiny()
    tr = Trainer(model, mse, paddle.optimizer.SGD(0.1, parameters=model.parameters()), data, epoch_num=1,
                 hooks=[])
    state = tr.train()
    assert (state.global_step, state.skipped, state.samples_seen) == (2, 2, 4)


def test_sample_weighters_multiply_into_the_batch():
    seen = []

    def loss(preds, batch):
        seen.append(batch["sample_weight"].numpy().tolist())
        return mse(preds, batch)

    class Weigh(HookBase):
        def __init__(self, w):
            self.w = w

        def before_train(self):
            self.trainer.add_sample_weighter(lambda preds, batch: np.array(self.w, np.float32))

    trainer([Weigh([1.0, 0.5]), Weigh([0.0, 2.0])], n=1, loss=loss).train()
    assert seen == [[0.0, 1.0]]


def test_scale_lr_is_an_extension_point_and_part_of_the_state():
    tr = trainer([])
    assert tr.scale_lr(0.5) == pytest.approx(0.05) and tr.scale_lr(0.5) == pytest.approx(0.025)
    assert tr.state.lr_scale == 0.25


def test_required_events_are_checked_before_training():
    class NeedsEval(HookBase):
        requires = {"eval": "this hook needs validation: add an Eval section"}

    class PublishesEval(HookBase):
        publishes = ("eval",)

    with pytest.raises(ConfigError, match=r"needs validation: add an Eval section \(NeedsEval reads the 'eval' "
                                          r"events, which no hook of this run publishes; EvalHook does\)"):
        trainer([NeedsEval()])
    trainer([PublishesEval(), NeedsEval()])  # order does not matter for the check
    tr = trainer([PublishesEval()])
    tr.storage.put("eval", {"metrics": {"acc": 1.0}}, step=3)
    assert tr.storage.latest("eval") == (3, {"metrics": {"acc": 1.0}}) and tr.storage.latest("nope") is None


def test_a_nan_loss_drops_its_update_and_a_run_of_them_stops_training(caplog):
    calls = {"n": 0}

    def loss(preds, batch, bad=(2,)):
        calls["n"] += 1
        out = mse(preds, batch)
        return {"loss": out["loss"] * float("nan")} if calls["n"] in bad else out

    class Weights(HookBase):
        def __init__(self):
            self.seen = []

        def after_step(self):
            self.seen.append(self.trainer.model.fc.weight.numpy().copy())

    rec = Weights()
    tr = trainer([rec], n=4, loss=loss)
    state = tr.train()
    assert state.global_step == 4 and state.nonfinite == 1 and tr.stop_reason is None
    np.testing.assert_array_equal(rec.seen[1], rec.seen[0])  # step 2's update was dropped
    assert not np.array_equal(rec.seen[2], rec.seen[1]) and all(np.isfinite(w).all() for w in rec.seen)
    assert "loss is nan at iteration 2: its update is skipped" in caplog.text

    calls["n"] = 0
    tr = trainer([], n=30, loss=lambda p, b: loss(p, b, bad=range(5, 100)))
    state = tr.train()
    assert state.nonfinite == Trainer.MAX_NONFINITE and "NaN or infinite for 20 updates in a row" in tr.stop_reason
    assert np.isfinite(tr.model.fc.weight.numpy()).all()


def test_a_nan_gradient_with_a_finite_loss_is_dropped_and_its_files_are_named(caplog):
    """The loss is finite but a gradient is not (an overflow in backward): the update is dropped, and the log
    names the batch's samples when the loader can say which they are."""
    def loss(preds, batch):   # sqrt at 0: a finite value (0) whose gradient is infinite (NaN after the chain rule)
        return {"loss": mse(preds, batch)["loss"] + paddle.sqrt(preds.sum() * 0.0)}

    tr = trainer([], n=2, loss=loss, batch_locations=lambda i: [f"train.txt:{2 * i + 1}", f"train.txt:{2 * i + 2}"])
    before = tr.model.fc.weight.numpy().copy()
    state = tr.train()
    assert state.nonfinite == 2 and np.array_equal(tr.model.fc.weight.numpy(), before)
    assert "a gradient is NaN or infinite at iteration 1: its update is skipped (weights unchanged); the batch: " \
           "train.txt:1, train.txt:2" in caplog.text


def test_nan_guard_off_lets_the_update_through():
    def loss(preds, batch):
        return {"loss": mse(preds, batch)["loss"] * float("nan")}

    tr = trainer([], n=2, loss=loss, nan_guard=False)
    state = tr.train()
    assert state.nonfinite == 0 and not np.isfinite(tr.model.fc.weight.numpy()).all()


def test_the_default_nan_guard_reverts_after_three_in_a_row_and_halves_the_lr(caplog):
    from ppocr.engine.workflow_hooks import DivergenceHook, workflow_hooks

    first, _ = workflow_hooks({})
    assert [type(h) for h in first] == [DivergenceHook] and first[0].factor is None
    assert workflow_hooks({"nan_guard": False})[0] == []
    calls = {"n": 0}

    def loss(preds, batch):
        calls["n"] += 1
        out = mse(preds, batch)
        return {"loss": out["loss"] * float("nan")} if calls["n"] in (3, 4, 5) else out

    guard = DivergenceHook(**{**DivergenceHook.NAN_GUARD, "snapshot_interval": 1})
    tr = trainer([guard], n=8, loss=loss)
    tr.train()
    assert guard.reverts == 1 and tr.state.lr_scale == 0.5 and tr.stop_reason is None
    assert "divergence at iteration 5 (loss nan): reverting to iteration 2, lr x0.5" in caplog.text


def test_divergence_guard_state_round_trips():
    from ppocr.engine.workflow_hooks import DivergenceHook

    hook = DivergenceHook(warmup=0, window=3)
    tr = trainer([hook], n=4)
    tr.train()
    state = hook.state_dict()
    assert state["steps"] == 4 and len(state["losses"]) == 3 and state["reverts"] == 0
    again = DivergenceHook(warmup=0, window=3)
    again.set_state_dict(state)
    assert again.state_dict() == state and again.snapshot is None  # a fresh snapshot is taken after resuming


def test_early_stopping_counts_on_from_its_saved_state():
    from ppocr.engine.hooks import EvalHook
    from ppocr.engine.workflow_hooks import EarlyStoppingHook

    def run(state):
        values = iter([0.5] * 8)
        stop = EarlyStoppingHook(lag=3)
        if state:
            stop.set_state_dict(state)
        tr = trainer([EvalHook(lambda: {"acc": next(values)}, "acc", 0, 1), stop], n=6)
        tr.train()
        return tr, stop

    fresh, _ = run(None)
    assert fresh.state.global_step == 4 and "did not improve" in fresh.stop_reason  # best at 1, then 3 bad
    resumed, stop = run({"best": 0.6, "bad": 2, "seen": -1})  # two bad evaluations before the checkpoint
    assert resumed.state.global_step == 1 and "did not improve" in resumed.stop_reason
    assert stop.state_dict() == {"best": 0.6, "bad": 3, "seen": 1}
