"""A save interrupted at any file operation leaves the old or the new checkpoint, never a mix, for every
format the project writes: training checkpoints (with a side file), VGSL model files, KIE directories.

Each test saves version A, then saves version B while a process crash is simulated at the k-th file
operation (rename, link or removal), for every k until B's save completes. After each crash, loading
as resume does gives A or B, complete.
"""
import json
import os
import shutil

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401
from ppocr.engine.checkpoint import resume_prefix
from ppocr.kie.checkpoint import save_kie_checkpoint, usable_checkpoint, verify_kie_checkpoint
from ppocr.modeling import build_model
from ppocr.utils import safe_pickle
from ppocr.utils.checkpoint import save_checkpoint, verify_checkpoint
from ppocr.vgsl.codec import Codec
from ppocr.vgsl.model_file import load_model_file, save_model_file


class Crash(BaseException):
    """The process dies here (not an exception any code catches)."""


def _crash_at(monkeypatch, k):
    """Make the k-th call of os.replace / os.link / os.remove / shutil.rmtree crash."""
    calls = {"n": 0}

    def wrap(fn):
        def inner(*a, **kw):
            calls["n"] += 1
            if calls["n"] == k:
                raise Crash()
            return fn(*a, **kw)
        return inner

    for mod, name in ((os, "replace"), (os, "link"), (os, "remove"), (shutil, "rmtree")):
        monkeypatch.setattr(mod, name, wrap(getattr(mod, name)))


def _each_crash(tmp_path, monkeypatch, save_a, save_b, check):
    """Run ``save_b`` crashing at operation 1, 2, ... until it completes; ``check(folder)`` after each."""
    for k in range(1, 50):
        folder = tmp_path / f"k{k}"
        folder.mkdir()
        save_a(str(folder))
        with monkeypatch.context() as m:
            _crash_at(m, k)
            try:
                save_b(str(folder))
                completed = True
            except Crash:
                completed = False
        check(str(folder), completed)
        if completed:
            return k
    raise AssertionError("the save never completed")


def _linear(seed):
    paddle.seed(seed)
    return paddle.nn.Linear(3, 2)


def test_training_checkpoint_with_side_file(tmp_path, monkeypatch):
    models = {5: _linear(0), 9: _linear(1)}
    opts = {s: paddle.optimizer.SGD(learning_rate=0.1, parameters=m.parameters()) for s, m in models.items()}

    def save(step):
        def side(path):
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"step": step}, f)
        return lambda folder: save_checkpoint(os.path.join(folder, "latest"), models[step], opts[step],
                                              {"global_step": step}, side_files={".codec.json": side})

    seen = set()

    def check(folder, completed):
        prefix = resume_prefix(os.path.join(folder, "latest"))
        step = verify_checkpoint(prefix)["global_step"]
        seen.add(step)
        assert step == 9 or not completed
        weights = safe_pickle.load_params(prefix + ".pdparams")
        np.testing.assert_array_equal(weights["weight"], models[step].weight.numpy())
        with open(prefix + ".codec.json", encoding="utf-8") as f:
            assert json.load(f) == {"step": step}   # the side file belongs to the same save

    ops = _each_crash(tmp_path, monkeypatch, save(5), save(9), check)
    assert seen == {5, 9} and ops >= 5


SPEC = "[1,16,0,1 Ct3,3,4 Mp2,2 Lfys8]"


def test_vgsl_model_file(tmp_path, monkeypatch):
    codecs = {"a": Codec.from_texts(["abc"]), "b": Codec.from_texts(["xyzw"])}
    models = {}
    for key, codec in codecs.items():
        paddle.seed(len(key))
        models[key] = build_model({"name": "VGSLModel", "model_type": "rec", "spec": SPEC},
                                  num_classes=codec.num_classes)

    def save(key):
        return lambda folder: save_model_file(os.path.join(folder, "model"), models[key], codecs[key],
                                              spec=models[key].spec)

    seen = set()

    def check(folder, completed):
        info = load_model_file(os.path.join(folder, "model"))
        key = "b" if info["codec"] == codecs["b"] else "a"
        seen.add(key)
        assert info["codec"] == codecs[key] and (key == "b" or not completed)
        for name, value in models[key].state_dict().items():
            np.testing.assert_array_equal(info["state"][name], value.numpy())

    _each_crash(tmp_path, monkeypatch, save("a"), save("b"), check)
    assert seen == {"a", "b"}


class _KieLike(paddle.nn.Layer):
    """Stands in for a paddlenlp model: save_pretrained writes a model directory."""

    def __init__(self, seed):
        super().__init__()
        paddle.seed(seed)
        self.fc = paddle.nn.Linear(3, 2)

    def save_pretrained(self, path):
        os.makedirs(path, exist_ok=True)
        paddle.save(self.state_dict(), os.path.join(path, "model_state.pdparams"))
        with open(os.path.join(path, "config.json"), "w", encoding="utf-8") as f:
            json.dump({"num_labels": 2}, f)


def test_kie_checkpoint_directory(tmp_path, monkeypatch):
    models = {1: _KieLike(0), 2: _KieLike(1)}
    opts = {s: paddle.optimizer.SGD(learning_rate=0.1, parameters=m.parameters()) for s, m in models.items()}

    def save(step):
        return lambda folder: save_kie_checkpoint(os.path.join(folder, "latest"), models[step], opts[step],
                                                  {"global_step": step})

    seen = set()

    def check(folder, completed):
        used = usable_checkpoint(os.path.join(folder, "latest"))
        step = verify_kie_checkpoint(used)["global_step"]
        seen.add(step)
        assert step == 2 or not completed
        weights = safe_pickle.load_params(os.path.join(used, "model_state.pdparams"))
        np.testing.assert_array_equal(weights["fc.weight"], models[step].fc.weight.numpy())

    _each_crash(tmp_path, monkeypatch, save(1), save(2), check)
    assert seen == {1, 2}


def test_a_crash_in_the_first_ever_save_is_reported_not_half_used(tmp_path, monkeypatch):
    model = _linear(0)
    with monkeypatch.context() as m:
        _crash_at(m, 2)
        with pytest.raises(Crash):
            save_checkpoint(str(tmp_path / "latest"), model, None, {"global_step": 1})
    from ppocr.utils.errors import CheckpointError
    with pytest.raises(CheckpointError, match="latest.states is missing"):
        resume_prefix(str(tmp_path / "latest"))
