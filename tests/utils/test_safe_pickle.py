"""Loading a checkpoint never runs code: files naming anything but plain data are refused, before it runs."""
import os
import pickle

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401
from ppocr.utils import safe_pickle
from ppocr.utils.checkpoint import load_pretrained, save_checkpoint, verify_checkpoint
from ppocr.utils.errors import CheckpointError


class _Payload:
    """What a hostile checkpoint carries: unpickling it runs ``exec``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def _model():
    paddle.seed(0)
    return paddle.nn.Sequential(paddle.nn.Linear(3, 4), paddle.nn.BatchNorm1D(4))


def test_weights_and_optimizer_files_load_as_paddle_loads_them(tmp_path):
    model = _model()
    opt = paddle.optimizer.Adam(learning_rate=paddle.optimizer.lr.CosineAnnealingDecay(0.1, 10),
                                parameters=model.parameters())
    model(paddle.rand([2, 3])).mean().backward()
    opt.step()
    paddle.save(model.state_dict(), str(tmp_path / "m.pdparams"))
    paddle.save(opt.state_dict(), str(tmp_path / "m.pdopt"))
    for ext in ("pdparams", "pdopt"):
        ours = safe_pickle.load_params(str(tmp_path / f"m.{ext}"))
        theirs = paddle.load(str(tmp_path / f"m.{ext}"))
        assert set(ours) == set(theirs)
        for k, v in theirs.items():
            if isinstance(v, paddle.Tensor):
                np.testing.assert_array_equal(ours[k], v.numpy())
            else:
                assert ours[k] == v
    legacy = {"w": ("linear_0.w_0", np.ones((2, 2), np.float32))}  # Paddle 2.x: tensors as (name, array)
    (tmp_path / "old.pdparams").write_bytes(pickle.dumps(legacy, protocol=2))
    np.testing.assert_array_equal(safe_pickle.load_params(str(tmp_path / "old.pdparams"))["w"], np.ones((2, 2)))


@pytest.mark.parametrize("where", ["pdparams", "states"])
def test_a_payload_in_a_checkpoint_is_refused_before_it_runs(tmp_path, where):
    marker = str(tmp_path / "ran.txt")
    model = _model()
    prefix = str(tmp_path / "ckpt")
    save_checkpoint(prefix, model, None, {"epoch": 1})
    if where == "pdparams":
        state = {k: v.numpy() for k, v in model.state_dict().items()}
        state["0.weight"] = _Payload(marker)
        with open(prefix + ".pdparams", "wb") as f:
            pickle.dump(state, f)
        refused = r"refusing to load .*ckpt\.pdparams: it asks to build builtins\.exec"
        with pytest.raises(CheckpointError, match=refused):
            load_pretrained(prefix, _model())
    else:
        with open(prefix + ".states", "wb") as f:
            pickle.dump({"epoch": 1, "rng": _Payload(marker)}, f)
        with pytest.raises(CheckpointError, match=r"ckpt\.states cannot be read: refusing to load .*builtins\.exec"):
            verify_checkpoint(prefix)
    assert not os.path.exists(marker)  # nothing ran


def test_random_and_truncated_files_are_clear_errors(tmp_path):
    (tmp_path / "noise.pdparams").write_bytes(np.random.default_rng(0).bytes(256))
    with pytest.raises(CheckpointError, match="noise.pdparams is not a readable checkpoint file"):
        safe_pickle.load_params(str(tmp_path / "noise.pdparams"))
    paddle.save(_model().state_dict(), str(tmp_path / "full.pdparams"))
    data = (tmp_path / "full.pdparams").read_bytes()
    (tmp_path / "cut.pdparams").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cut.pdparams is not a readable checkpoint file.*truncated"):
        safe_pickle.load_params(str(tmp_path / "cut.pdparams"))
    (tmp_path / "list.pdparams").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(CheckpointError, match="holds a list, not a mapping"):
        safe_pickle.load_params(str(tmp_path / "list.pdparams"))
