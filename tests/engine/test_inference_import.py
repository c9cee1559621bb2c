"""Importing an inference model into a training model by structure: our own exports round-trip exactly, a config
that does not describe the export fails at the first difference, and the imported checkpoint exports again to
the same program outputs."""
import logging
import os
import subprocess
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.engine import build_core, export, import_inference, train
from ppocr.engine.checkpoint import load_pretrained_weights
from ppocr.engine.inference_import import import_inference_model
from ppocr.testing import REPO_ROOT, make_rec_data, rec_config
from ppocr.testing.releases import SmallNet, run_inference_model, write_legacy_inference_model
from ppocr.utils.checkpoint import load_pretrained, save_checkpoint, verify_checkpoint
from ppocr.utils.config import get_config
from ppocr.utils.errors import CheckpointError, ConfigError

SMOKE = {"det": os.path.join(REPO_ROOT, "configs", "_smoke", "det_smoke.yml"),
         "rec": os.path.join(REPO_ROOT, "configs", "_smoke", "rec_smoke.yml")}
INPUT = {"det": [1, 3, 96, 64], "rec": [2, 3, 32, 80]}


def _config(kind, tmp_path, overrides=()):
    return get_config(SMOKE[kind], [f"Global.save_model_dir={tmp_path / 'out'}",
                                    f"Global.save_inference_dir={tmp_path / 'infer'}", *overrides])


def _model(cfg, seed):
    paddle.seed(seed)
    with paddle.utils.unique_name.guard():
        return build_core(cfg)["model"]


def _randomize_statistics(model, seed):
    """BN statistics away from their 0/1 start, so a missed statistic shows in the outputs."""
    rng = np.random.default_rng(seed)
    for key, value in model.state_dict().items():
        if key.endswith("_mean"):
            value.set_value(rng.normal(0, 0.1, value.shape).astype("float32"))
        elif key.endswith("_variance"):
            value.set_value(rng.uniform(0.5, 1.5, value.shape).astype("float32"))


def _out(out):
    return (out["maps"] if isinstance(out, dict) else out).numpy()


@pytest.fixture(params=["det", "rec"])
def exported(request, tmp_path):
    """``(kind, cfg, trained model, export folder)``: a random model exported with our export."""
    kind = request.param
    cfg = _config(kind, tmp_path)
    model = _model(cfg, 1)
    _randomize_statistics(model, 1)
    save_checkpoint(str(tmp_path / "trained"), model, None, {})
    cfg["Global"]["pretrained_model"] = str(tmp_path / "trained")
    export(cfg)
    model.eval()
    return kind, cfg, model, str(tmp_path / "infer")


def test_round_trip_matches_every_tensor_and_output(exported):
    kind, cfg, trained, infer_dir = exported
    fresh = _model(cfg, 2)
    report = import_inference_model(fresh, infer_dir)
    assert report.fused == [] and report.unused_in_file == []
    want, got = trained.state_dict(), fresh.state_dict()
    # DB's threshold branch runs only in training, so the export has everything but it
    assert report.not_exported == ([k for k in want if k.startswith("head.thresh.")] if kind == "det" else [])
    assert sorted(report.loaded + report.not_exported) == sorted(want)
    for key in report.loaded:
        np.testing.assert_array_equal(got[key].numpy(), want[key].numpy(), err_msg=key)
    fresh.eval()
    x = np.random.default_rng(0).random(INPUT[kind], dtype=np.float32)
    (served,) = run_inference_model(infer_dir, x)
    mine = _out(fresh({"image": paddle.to_tensor(x)}))
    assert np.abs(mine - _out(trained({"image": paddle.to_tensor(x)}))).max() <= 1e-6
    assert np.abs(mine - served).max() <= 1e-4


@pytest.mark.parametrize("kind,override,where", [
    ("det", "Architecture.Neck.out_channels=24", "neck."),
    ("rec", "Architecture.Neck.hidden_size=24", "neck.encoder.lstm"),
    ("rec", "Architecture.Backbone.scale=0.5", "backbone.blocks.1."),
])
def test_a_config_with_other_channels_names_the_first_difference(tmp_path, kind, override, where):
    cfg = _config(kind, tmp_path)
    model = _model(cfg, 1)
    save_checkpoint(str(tmp_path / "trained"), model, None, {})
    cfg["Global"]["pretrained_model"] = str(tmp_path / "trained")
    export(cfg)
    other = _model(_config(kind, tmp_path, [override]), 2)
    before = {k: v.numpy().copy() for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointError) as err:
        import_inference_model(other, str(tmp_path / "infer"))
    msg = str(err.value)
    assert "does not fit this config at parameter use #" in msg and where in msg and "the last match was" in msg
    assert all(np.array_equal(before[k], v.numpy()) for k, v in other.state_dict().items())  # left untouched


def test_imported_checkpoint_loads_and_exports_to_the_same_outputs(exported, tmp_path):
    kind, cfg, trained, infer_dir = exported
    cfg = dict(cfg, Global=dict(cfg["Global"], pretrained_model=infer_dir))
    out = str(tmp_path / "imported" / "best_accuracy")
    import_inference(cfg, out)
    verify_checkpoint(out)  # complete, with states recording the import
    fresh = _model(cfg, 3)
    assert not load_pretrained(out, fresh)["missing"]
    again = str(tmp_path / "again")
    export(dict(cfg, Global=dict(cfg["Global"], pretrained_model=out, save_inference_dir=again)))
    x = np.random.default_rng(1).random(INPUT[kind], dtype=np.float32)
    (first,), (second,) = run_inference_model(infer_dir, x), run_inference_model(again, x)
    assert np.abs(first - second).max() <= 1e-6


def test_pretrained_model_may_name_an_inference_folder(exported):
    kind, cfg, trained, infer_dir = exported
    fresh = _model(cfg, 4)
    report = load_pretrained_weights(infer_dir, fresh)
    assert report["missing"] == [] and report["loaded"]
    fresh.eval()
    x = paddle.rand(INPUT[kind])
    assert np.abs(_out(fresh({"image": x})) - _out(trained({"image": x}))).max() <= 1e-6


def test_import_needs_an_inference_folder(tmp_path):
    cfg = _config("rec", tmp_path, [f"Global.pretrained_model={tmp_path}"])
    with pytest.raises(ConfigError, match="inference model folder"):
        import_inference(cfg, str(tmp_path / "x"))


@pytest.mark.parametrize("exported", ["rec"], indirect=True)
def test_training_starts_from_an_inference_folder(exported, tmp_path, caplog):
    kind, cfg, trained, infer_dir = exported
    data = make_rec_data(str(tmp_path / "data"), num_train=2, num_eval=2)
    run = rec_config(data, str(tmp_path / "run"), [f"Global.pretrained_model={infer_dir}", "Global.max_steps=1",
                                                    "Global.cal_metric_during_train=False"])
    with caplog.at_level(logging.INFO, logger="ppocr.engine.inference_import"):
        result = train(run)
    assert result["global_step"] == 1
    assert any(f"imported {len(trained.state_dict()) - 16} tensors" in r.getMessage() for r in caplog.records)


def test_cli_writes_the_checkpoint_and_names_a_mismatch(tmp_path):
    cfg = _config("rec", tmp_path)
    model = _model(cfg, 1)
    save_checkpoint(str(tmp_path / "trained"), model, None, {})
    cfg["Global"]["pretrained_model"] = str(tmp_path / "trained")
    export(cfg)
    tool = os.path.join(REPO_ROOT, "tools", "import_inference_model.py")
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS="1")
    ok = subprocess.run([sys.executable, tool, "-c", SMOKE["rec"], "-o", f"Global.pretrained_model={tmp_path / 'infer'}",
                         "--out", str(tmp_path / "imported")], capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "imported 229 tensors" in ok.stdout and os.path.isfile(tmp_path / "imported.pdparams")
    bad = subprocess.run([sys.executable, tool, "-c", SMOKE["rec"], "-o", f"Global.pretrained_model={tmp_path / 'infer'}",
                          "Architecture.Neck.hidden_size=8", "--out", str(tmp_path / "bad")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 2 and "checkpoint error" in bad.stdout + bad.stderr
    assert "neck.encoder.lstm.weight_ih_l0" in bad.stdout + bad.stderr
    assert not os.path.exists(tmp_path / "bad.pdparams")


def test_a_paddle2_program_imports_into_the_same_network(tmp_path):
    """The old program format PaddleOCR's releases use, without the releases: names and slot orders differ."""
    infer_dir = write_legacy_inference_model(str(tmp_path / "legacy"), seed=3)
    net = SmallNet()
    report = import_inference_model(net, infer_dir)
    assert report.tensors == 13 and report.not_exported == [] and len(report.loaded) == 13
    net.eval()
    x = np.random.default_rng(2).random([2, 3, 8, 12], dtype=np.float32)
    (want,) = run_inference_model(infer_dir, x)
    assert np.abs(net({"image": paddle.to_tensor(x)}).numpy() - want).max() <= 1e-5
