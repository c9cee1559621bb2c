"""Tesseract/kraken training workflows on the VGSL line recogniser: fine-tuning with resize, cut and append,
conversion (float and int8), early stopping, divergence, backbone freezing, perfect_sample_delay, progress lines."""
import json
import logging
import math
import os

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.testing import write_lines
from ppocr.engine import evaluate, infer, train
from ppocr.vgsl.finetune import continue_from
from ppocr.engine.hooks import EvalHook
from ppocr.engine.trainer import HookBase, Trainer
from ppocr.engine.workflow_hooks import (DivergenceHook, EarlyStoppingHook, FreezeBackboneHook, PerfectSampleDelay,
                                         greedy_perfect, workflow_hooks)
from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.modeling import build_model
from ppocr.optimizer.learning_rate import scale_lr
from ppocr.testing import REPO_ROOT
from ppocr.vgsl.codec import Codec
from ppocr.utils.config import get_config
from ppocr.utils.errors import ConfigError

SMOKE = os.path.join(REPO_ROOT, "configs", "_smoke", "vgsl_smoke.yml")
SPEC = "[1,24,0,1 Ct3,3,8 Mp2,2 Lfys16 Lbx16 O1c#]"
TRAIN = ["abc def", "cab fed", "bad cafe", "face bead"]
EVAL = ["dab fee", "bead cab"]
NEW = ["abx fed", "cab xed", "bad cafe", "face bead"]     # 'x' is new to the base model




@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A base model trained for 2 steps on TRAIN; its checkpoints are what the workflows start from."""
    root = tmp_path_factory.mktemp("vgsl_wf")
    data = {"train": write_lines(str(root / "train"), TRAIN, 0), "eval": write_lines(str(root / "eval"), EVAL, 1),
            "new": write_lines(str(root / "new"), NEW, 2), "root": root}
    log = logging.getLogger("ppocr")
    saved = (list(log.handlers), log.propagate, log.level)
    train(_cfg(data, str(root / "base")))
    for h in [h for h in log.handlers if h not in saved[0]]:  # as tests/conftest.py does per test
        log.removeHandler(h)
        h.close()
    log.propagate, log.level = saved[1], saved[2]
    data["ckpt"] = str(root / "base" / "best_accuracy")
    return data


def _cfg(data, save, overrides=(), train_set="train"):
    return get_config(SMOKE, [f"Global.save_model_dir={save}", f"Train.dataset.data=[{data[train_set]}]",
                              f"Eval.dataset.data=[{data['eval']}]", *overrides])


def _base_model(data):
    model = build_model({"name": "VGSLModel", "model_type": "rec", "algorithm": "VGSL", "spec": SPEC},
                        num_classes=Codec.load(data["ckpt"] + ".codec.json").num_classes)
    model.load_weights(data["ckpt"])
    return model


def _logits(model, x):
    model.train()  # logits (the smoke spec has no dropout)
    with paddle.no_grad():
        return model({"image": x}).numpy()


def test_resize_union_keeps_old_outputs_and_fail_names_characters(base, tmp_path):
    with pytest.raises(ConfigError, match=r"'x' U\+0078.*Global.resize=union"):
        continue_from(_cfg(base, str(tmp_path / "f"), [f"Global.continue_from={base['ckpt']}"], "new"))
    old_codec = Codec.load(base["ckpt"] + ".codec.json")
    x = paddle.rand([2, 1, 24, 48])
    old = _logits(_base_model(base), x)
    for mode in ("union", "new"):
        core = continue_from(_cfg(base, str(tmp_path / mode), [f"Global.continue_from={base['ckpt']}",
                                                               f"Global.resize={mode}"], "new"))
        codec = core["codec"]
        assert "x" in codec and core["model"].out_channels == codec.num_classes == core["num_classes"]
        new = _logits(core["model"], x)
        shared = [s for s in old_codec.characters if s in codec]
        old_ids = [0] + [old_codec.symbols[s][0] for s in shared]
        new_ids = [0] + [codec.symbols[s][0] for s in shared]
        np.testing.assert_allclose(new[:, :, new_ids], old[:, :, old_ids], rtol=1e-6, atol=1e-6)
        if mode == "union":
            assert set(old_codec.characters) <= set(codec.characters)
            np.testing.assert_allclose(new[:, :, :old_codec.num_classes], old, rtol=1e-6, atol=1e-6)


def test_fine_tune_trains_with_the_merged_codec(base, tmp_path):
    save = tmp_path / "ft"
    result = train(_cfg(base, str(save), [f"Global.continue_from={base['ckpt']}", "Global.resize=union",
                                          "Global.max_steps=1"], "new"))
    assert result["global_step"] == 1  # a fresh run: steps count from 0
    assert "x" in Codec.load(str(save / "latest.codec.json"))
    log = (save / "train.log").read_text(encoding="utf-8")
    assert "continue_from" in log and "resize=union" in log
    import yaml
    dumped = yaml.safe_load((save / "config.yml").read_text(encoding="utf-8"))  # describes the resulting model
    assert dumped["Architecture"]["spec"] == "[1,24,0,1 Ct3,3,8 Mp2,2 Lfys16 Lbx16 O1c9]"
    assert "continue_from" not in dumped["Global"] and "resize" not in dumped["Global"]


def test_append_keeps_lower_layers_and_logs_the_spec(base, tmp_path, caplog):
    ref = _base_model(base).state_dict()
    with caplog.at_level(logging.INFO, logger="ppocr"):
        core = continue_from(_cfg(base, str(tmp_path / "a"), [f"Global.continue_from={base['ckpt']}",
                                                              "Global.append_index=3",
                                                              "Architecture.spec='[Lfx12 O1c#]'"]))
    model = core["model"]
    assert model.spec == "[1,24,0,1 Ct3,3,8 Mp2,2 Lfys16 Lfx12 O1c8]"
    assert "network is now [1,24,0,1 Ct3,3,8 Mp2,2 Lfys16 Lfx12 O1c8]" in caplog.text
    kept = [k for k in ref if int(k.split(".")[2]) <= 3]
    assert kept and all(np.array_equal(model.state_dict()[k].numpy(), ref[k].numpy()) for k in kept)
    assert model.head_index == 4
    assert {id(p) for p in model.backbone_parameters()} == {
        id(p) for layer in list(model.net.layers)[:4] for p in layer.parameters()}


def test_converted_model_recognises_as_the_checkpoint(base, tmp_path):
    out = tmp_path / "conv"
    res = train(_cfg(base, str(out), ["Global.stop_training=true", f"Global.continue_from={base['ckpt']}"]))
    prefix = res["model"]
    info = json.loads(open(prefix + ".json", encoding="utf-8").read())
    assert info["spec"] == "[1,24,0,1 Ct3,3,8 Mp2,2 Lfys16 Lbx16 O1c8]" and info["quantized"] == {}
    opts = [f"Global.infer_img={base['eval']}", f"Global.save_res_path={tmp_path / 'r.txt'}"]
    from_ckpt = infer(_cfg(base, str(tmp_path / "i1"), [f"Global.checkpoints={base['ckpt']}", *opts]))
    from_model = infer(_cfg(base, str(tmp_path / "i2"), [f"Global.pretrained_model={prefix}", *opts]))
    assert [r["text"] for r in from_model] == [r["text"] for r in from_ckpt]
    np.testing.assert_allclose([r["score"] for r in from_model], [r["score"] for r in from_ckpt], rtol=1e-6)

    # eval report (LineReportMetric) is written beside the weights
    metric = evaluate(_cfg(base, str(tmp_path / "e"), [f"Global.pretrained_model={prefix}",
                                                       "Metric.name=LineReportMetric"]))
    report = json.loads(open(prefix + ".eval_report.json", encoding="utf-8").read())
    assert report["lines"] == 2 and math.isclose(report["cer"], metric["cer"]) and "wer" in metric

    # int8: weights stored as int8, accuracy cost measured and reported
    res8 = train(_cfg(base, str(tmp_path / "conv8"), ["Global.stop_training=true", "Global.convert_to_int=true",
                                                      f"Global.continue_from={base['ckpt']}"]))
    stored = paddle.load(res8["model"] + ".pdparams")
    assert stored["net.layers.5.fc.weight"].dtype == paddle.int8 and "net.layers.5.fc.weight@scale" in stored
    assert "int8 conversion cost on the Eval set: CER" in (tmp_path / "conv8" / "train.log").read_text(encoding="utf-8")
    info8 = json.loads(open(res8["model"] + ".json", encoding="utf-8").read())
    assert abs(info8["eval"]["int8"]["cer"] - info8["eval"]["float"]["cer"]) <= 0.2
    x = paddle.rand([1, 1, 24, 60])
    ref = _logits(_base_model(base), x)
    m8 = build_model({"name": "VGSLModel", "model_type": "rec", "spec": SPEC}, num_classes=8)
    m8.load_weights(res8["model"])
    assert np.abs(_logits(m8, x) - ref).max() <= 0.05 * np.abs(ref).max()  # int8 tolerance: 5% of the range

    # a converted model is a valid continue_from source
    core = continue_from(_cfg(base, str(tmp_path / "c"), [f"Global.continue_from={prefix}"]))
    np.testing.assert_allclose(_logits(core["model"], x), ref, rtol=1e-6, atol=1e-6)


def test_input_levels_must_match_the_weights(base, tmp_path):
    """A checkpoint trained on raw [0, 1] lines refuses a config that maps them to Tesseract's [1, -1] (its
    weights would see other values), naming the key; one trained with the levels keeps them when converted."""
    with pytest.raises(ConfigError, match="trained without Architecture.input_levels"):
        continue_from(_cfg(base, str(tmp_path / "f"), [f"Global.continue_from={base['ckpt']}",
                                                       "Architecture.input_levels=[1,-1]"]))
    model = build_model({"name": "VGSLModel", "model_type": "rec", "spec": SPEC, "input_levels": [1, -1]},
                        num_classes=8)
    with pytest.raises(ConfigError, match="trained without Architecture.input_levels"):
        model.load_weights(base["ckpt"])
    save = tmp_path / "lv"
    train(_cfg(base, str(save), ["Architecture.input_levels=[1,-1]", "Global.max_steps=1"]))
    res = train(_cfg(base, str(tmp_path / "conv"), ["Global.stop_training=true", "Architecture.input_levels=[1,-1]",
                                                    f"Global.continue_from={save / 'latest'}"]))
    assert paddle.load(res["model"] + ".pdparams")["input_levels"].numpy().tolist() == [1.0, -1.0]
    with pytest.raises(ConfigError, match="trained with Architecture.input_levels"):
        _base_model({"ckpt": res["model"]})


def test_early_stopping_through_the_program(base, tmp_path):
    result = train(_cfg(base, str(tmp_path / "es"), ["Global.epoch_num=5", "Global.eval_batch_step=[0,1]",
                                                     "Global.early_stopping={lag: 1, min_delta: 1.0}"]))
    assert result["global_step"] == 2  # eval 1 sets the best, eval 2 cannot improve by 1.0: stop
    log = (tmp_path / "es" / "train.log").read_text(encoding="utf-8")
    assert "did not improve by more than 1 for 1 evaluations" in log


def test_progress_lines_debug_and_perfect_sample_delay(base, tmp_path):
    train(_cfg(base, str(tmp_path / "p"), ["Global.max_steps=2", "Global.debug_interval=1",
                                           "Global.perfect_sample_delay=1"]))
    log = (tmp_path / "p" / "train.log").read_text(encoding="utf-8")
    assert "At iteration 1, samples 2, char error" in log and "skip ratio 0.00%" in log
    assert "Truth:" in log and "Aligned truth:" in log and "Recognised:" in log
    assert "perfect_sample_delay 1:" in log


# -- hooks on a tiny trainer -----------------------------------------------------------------------
class _Recorder(HookBase):
    def __init__(self, fn):
        self.fn, self.seen = fn, []

    def after_step(self):
        self.seen.append(self.fn(self.trainer))


def _tiny_trainer(hooks, steps=8, loss_fn=None, lr=0.01):
    paddle.seed(0)
    model = paddle.nn.Linear(4, 2)
    opt = paddle.optimizer.Adam(learning_rate=paddle.optimizer.lr.CosineAnnealingDecay(lr, 100),
                                parameters=model.parameters())
    batches = [{"image": paddle.rand([2, 4])} for _ in range(steps)]

    def default_loss(preds, batch):
        return {"loss": (preds ** 2).mean()}

    class M(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.fc = model

        def forward(self, batch):
            return self.fc(batch["image"])

    return Trainer(M(), loss_fn or default_loss, opt, batches, epoch_num=1, hooks=hooks)


def test_early_stopping_lag_min_delta_and_target_error_rate():
    values = iter([0.5, 0.6, 0.6, 0.6, 0.605, 0.9, 0.9])
    ev = EvalHook(lambda: {"acc": next(values), "cer": 0.3}, "acc", 0, 1)
    tr = _tiny_trainer([ev, EarlyStoppingHook(lag=3, min_delta=0.01)])
    tr.train()
    assert tr.state.global_step == 5 and "did not improve" in tr.stop_reason
    cers = iter([0.2, 0.1, 0.04, 0.01])
    ev = EvalHook(lambda: {"acc": 0.5, "cer": next(cers)}, "acc", 0, 1)
    tr = _tiny_trainer([ev, EarlyStoppingHook(lag=None, target_error_rate=0.05)])
    tr.train()
    assert tr.state.global_step == 3 and "target_error_rate" in tr.stop_reason
    with pytest.raises(ConfigError, match="need validation"):
        _tiny_trainer([EarlyStoppingHook()]).train()


def test_divergence_reverts_and_lowers_lr(caplog):
    calls = {"n": 0}

    def loss_fn(preds, batch):
        calls["n"] += 1
        loss = (preds ** 2).mean()
        return {"loss": loss * float("nan") if calls["n"] == 5 else loss}

    hook = DivergenceHook(warmup=0, window=2, snapshot_interval=2)
    rec = _Recorder(lambda t: (t.optimizer.get_lr(), bool(np.isfinite(t.model.fc.weight.numpy()).all())))
    tr = _tiny_trainer([hook, rec], loss_fn=loss_fn)
    lr0 = tr.optimizer.get_lr()
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        tr.train()
    assert "divergence at iteration 5 (loss nan): reverting to iteration 3, lr x0.5" in caplog.text
    assert all(ok for _, ok in rec.seen) and hook.reverts == 1
    assert rec.seen[4][0] < 0.6 * lr0 and rec.seen[3][0] > 0.9 * lr0
    assert tr.state.global_step == 8


def test_scale_lr_on_any_schedule():
    lin = paddle.nn.Linear(2, 2)
    for lr in (0.1, paddle.optimizer.lr.LinearWarmup(paddle.optimizer.lr.CosineAnnealingDecay(0.1, 10), 2, 0.0, 0.1)):
        opt = paddle.optimizer.Adam(learning_rate=lr, parameters=lin.parameters())
        if not isinstance(lr, float):
            for _ in range(4):
                lr.step()
        before = opt.get_lr()
        assert math.isclose(scale_lr(opt, 0.5), before * 0.5, rel_tol=1e-9)
        if not isinstance(lr, float):
            lr.step()  # the schedule goes on, scaled
            assert opt.get_lr() == pytest.approx(0.5 * lr.last_lr)


def test_freeze_backbone_for_n_samples():
    paddle.seed(0)
    model = build_model({"name": "VGSLModel", "model_type": "rec", "spec": SPEC}, num_classes=5)
    opt = paddle.optimizer.Adam(learning_rate=0.01, parameters=model.parameters())
    rng = np.random.default_rng(0)
    batches = [{"image": paddle.to_tensor(rng.random((2, 1, 24, 40), dtype=np.float32)),
                "label": paddle.to_tensor(np.array([[1, 2, 3], [4, 3, 0]], dtype=np.int64)),
                "length": paddle.to_tensor(np.array([3, 2], dtype=np.int64))} for _ in range(4)]
    conv = model.net.layers[1].parameters()[0]
    out = model.net.layers[-1].parameters()[0]
    rec = _Recorder(lambda t: (conv.numpy().copy(), out.numpy().copy()))
    start = (conv.numpy().copy(), out.numpy().copy())
    tr = Trainer(model, CTCLoss(), opt, batches, epoch_num=1, hooks=[FreezeBackboneHook(4), rec])
    tr.train()
    (c1, o1), (c2, o2), (c3, _), _ = rec.seen
    assert np.array_equal(c1, start[0]) and np.array_equal(c2, start[0])  # 2 + 2 samples: frozen
    assert not np.array_equal(o1, start[1]) and not np.array_equal(o2, o1)  # the head trains
    assert not np.array_equal(c3, c2)  # after 4 samples everything trains
    assert all(not p.stop_gradient for p in model.parameters())


def test_perfect_sample_delay_weights_and_loss():
    policy = PerfectSampleDelay(2)
    flags = np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=bool)
    assert policy.weights(flags).tolist() == [1, 0, 1, 0, 1, 1, 1, 0] and policy.skipped == 3
    # best path of [a a _ b] is "ab": perfect for label [1, 2], not for [1, 1]
    logits = np.full((2, 4, 3), -5.0, dtype=np.float32)
    for b in range(2):
        for t, c in enumerate([1, 1, 0, 2]):
            logits[b, t, c] = 5.0
    perfect = greedy_perfect(paddle.to_tensor(logits), np.array([[1, 2], [1, 1]]), np.array([2, 2]))
    assert perfect.tolist() == [True, False]
    batch = {"label": paddle.to_tensor(np.array([[1, 2], [1, 1]], dtype=np.int64)),
             "length": paddle.to_tensor(np.array([2, 2], dtype=np.int64))}
    full = CTCLoss()(paddle.to_tensor(logits), batch)["loss"].item()
    half = CTCLoss()(paddle.to_tensor(logits), dict(batch, sample_weight=paddle.to_tensor([0.0, 1.0])))["loss"].item()
    per = [CTCLoss()(paddle.to_tensor(logits[i:i + 1]), {k: v[i:i + 1] for k, v in batch.items()})["loss"].item()
           for i in range(2)]
    assert full == pytest.approx(sum(per) / 2, rel=1e-5) and half == pytest.approx(per[1] / 2, rel=1e-5)


def test_workflow_hooks_from_global_keys():
    first, last = workflow_hooks({"freeze_backbone": 100, "divergence": True, "perfect_sample_delay": 3,
                                  "early_stopping": {"lag": 2}, "target_error_rate": 0.01})
    assert [type(h).__name__ for h in first] == ["FreezeBackboneHook", "PerfectSampleDelayHook", "DivergenceHook"]
    assert [type(h).__name__ for h in last] == ["EarlyStoppingHook"] and last[0].target == 0.01
    with pytest.raises(ConfigError, match="did you mean 'min_delta'"):
        workflow_hooks({"early_stopping": {"min_detla": 0.1}})
    with pytest.raises(ConfigError, match="Global.resize must be one of fail, union, new"):
        from ppocr.vgsl.finetune import adapt_codec
        adapt_codec(Codec.from_texts(["ab"]), ["ab"], "grow")
