"""The checkpoint layer (ppocr/utils/checkpoint.py) with a fake model: atomic files, torn saves, strict loads."""
import os

import numpy as np
import paddle
import pytest

from ppocr.utils.checkpoint import (load_checkpoint, load_pretrained, save_checkpoint, strip_suffix,
                                    verify_checkpoint)
from ppocr.utils.errors import CheckpointError


def _model(seed=0, out=2):
    paddle.seed(seed)
    return paddle.nn.Sequential(paddle.nn.Linear(3, 4), paddle.nn.Linear(4, out))


def _trained(seed=0):
    model = _model(seed)
    opt = paddle.optimizer.Adam(learning_rate=0.01, parameters=model.parameters())
    loss = model(paddle.ones([2, 3])).sum()
    loss.backward()
    opt.step()
    opt.clear_grad()
    return model, opt


def test_round_trip_restores_weights_optimizer_and_states(tmp_path):
    model, opt = _trained()
    prefix = str(tmp_path / "latest")
    save_checkpoint(prefix, model, opt, {"epoch": 3, "global_step": 7, "best_model_dict": {"acc": 0.5}})
    assert sorted(os.listdir(tmp_path)) == ["latest.pdopt", "latest.pdparams", "latest.states"]  # no temp files
    other = _model(seed=1)
    opt2 = paddle.optimizer.Adam(learning_rate=0.01, parameters=other.parameters())
    states = load_checkpoint(prefix + ".pdparams", other, opt2)  # any of the three names works
    assert (states["epoch"], states["global_step"], states["best_model_dict"]) == (3, 7, {"acc": 0.5})
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    moments = {k: v for k, v in opt.state_dict().items() if "moment1" in k}
    assert moments and all(np.array_equal(v.numpy(), opt2.state_dict()[k].numpy()) for k, v in moments.items())
    assert strip_suffix(prefix + ".states") == strip_suffix(prefix + ".pdopt") == prefix


def test_a_torn_save_is_detected_and_other_checkpoints_are_named(tmp_path):
    model, opt = _trained()
    save_checkpoint(str(tmp_path / "iter_epoch_1"), model, opt, {"epoch": 1})
    save_checkpoint(str(tmp_path / "latest"), model, opt, {"epoch": 2})
    changed, _ = _trained(seed=5)
    paddle.save(changed.state_dict(), str(tmp_path / "latest.pdparams"))  # a newer file beside old states
    with pytest.raises(CheckpointError, match=r"only partly written.*other checkpoints in that folder: .*iter_epoch_1"):
        verify_checkpoint(str(tmp_path / "latest"))
    os.remove(tmp_path / "iter_epoch_1.states")
    with pytest.raises(CheckpointError, match="iter_epoch_1.states is missing.*Global.pretrained_model"):
        verify_checkpoint(str(tmp_path / "iter_epoch_1"))
    (tmp_path / "junk.states").write_bytes(b"not a pickle")
    (tmp_path / "junk.pdparams").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="junk.states cannot be read"):
        verify_checkpoint(str(tmp_path / "junk"))
    with pytest.raises(CheckpointError, match="not found"):
        verify_checkpoint(str(tmp_path / "nothing"))


def test_resume_needs_the_same_model_and_pretrained_reports_what_differs(tmp_path, caplog):
    model, opt = _trained()
    prefix = str(tmp_path / "best")
    save_checkpoint(prefix, model, opt, {})
    wider = _model(out=5)
    with pytest.raises(CheckpointError, match=r"shape mismatch \['1.weight', '1.bias'\].*Global.pretrained_model"):
        load_checkpoint(prefix, wider, None)
    report = load_pretrained(prefix, wider)
    assert report["loaded"] == ["0.weight", "0.bias"] and len(report["mismatched"]) == 2
    np.testing.assert_array_equal(wider[0].weight.numpy(), model[0].weight.numpy())
    assert "mismatched" in caplog.text


def test_resume_from_a_folder_or_a_torn_prefix_takes_the_furthest_complete_checkpoint(tmp_path, caplog):
    from ppocr.engine.checkpoint import resume_prefix

    model, opt = _trained()
    save_checkpoint(str(tmp_path / "iter_epoch_1"), model, opt, {"global_step": 4})
    save_checkpoint(str(tmp_path / "iter_epoch_2"), model, opt, {"global_step": 8})
    save_checkpoint(str(tmp_path / "latest"), model, opt, {"global_step": 10})
    assert resume_prefix(str(tmp_path)) == str(tmp_path / "latest")
    assert resume_prefix(str(tmp_path / "iter_epoch_1")) == str(tmp_path / "iter_epoch_1")  # a prefix is a prefix
    changed, _ = _trained(seed=3)
    paddle.save(changed.state_dict(), str(tmp_path / "latest.pdparams"))  # latest torn by an interrupted save
    assert resume_prefix(str(tmp_path)) == str(tmp_path / "iter_epoch_2")
    assert resume_prefix(str(tmp_path / "latest")) == str(tmp_path / "iter_epoch_2")
    assert "resuming from" in caplog.text and "iter_epoch_2" in caplog.text
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="folder without a complete checkpoint"):
        resume_prefix(str(empty))


def test_a_save_interrupted_between_renames_leaves_the_old_checkpoint_complete(tmp_path, monkeypatch):
    from ppocr.engine.checkpoint import resume_prefix
    from ppocr.utils import checkpoint as ckpt

    model, opt = _trained()
    prefix = str(tmp_path / "latest")
    save_checkpoint(prefix, model, opt, {"global_step": 5})
    assert sorted(os.listdir(tmp_path)) == ["latest.pdopt", "latest.pdparams", "latest.states"]  # no .prev left
    real = ckpt._fsync_replace
    calls = {"n": 0}

    def killed_after_one(tmp, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("kill -9 between two renames")
        real(tmp, dst)

    monkeypatch.setattr(ckpt, "_fsync_replace", killed_after_one)
    newer, opt2 = _trained(seed=4)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(prefix, newer, opt2, {"global_step": 9})
    monkeypatch.setattr(ckpt, "_fsync_replace", real)
    with pytest.raises(CheckpointError, match="only partly written"):
        verify_checkpoint(prefix)  # the new weights beside the old states: detected
    assert verify_checkpoint(prefix + ".prev")["global_step"] == 5  # the old checkpoint, whole
    assert resume_prefix(prefix) == prefix + ".prev"
    other = _model(seed=2)
    load_checkpoint(prefix + ".prev", other, None)
    np.testing.assert_array_equal(other[0].weight.numpy(), model[0].weight.numpy())


def test_disk_full_during_a_save_is_a_clear_error_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    import errno

    model, opt = _trained()
    prefix = str(tmp_path / "latest")
    save_checkpoint(prefix, model, opt, {"global_step": 5})
    real_save = paddle.save

    def full_disk(obj, path, *args, **kwargs):
        if path.endswith(".pdopt" + f".tmp{os.getpid()}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(paddle, "save", full_disk)
    with pytest.raises(CheckpointError, match=r"No space left on device \(the disk is full\); nothing was replaced, "
                                              r"so the previous latest is intact"):
        save_checkpoint(prefix, _trained(seed=4)[0], opt, {"global_step": 9})
    assert sorted(os.listdir(tmp_path)) == ["latest.pdopt", "latest.pdparams", "latest.states"]  # temp files gone
    assert verify_checkpoint(prefix)["global_step"] == 5


def test_pretrained_model_url_says_nothing_is_downloaded():
    url = "https://paddleocr.bj.bcebos.com/pretrained/PPLCNetV3_x0_75_ocr_det.pdparams"
    with pytest.raises(CheckpointError, match="never downloads.*local path"):
        load_pretrained(url, paddle.nn.Linear(2, 2))
