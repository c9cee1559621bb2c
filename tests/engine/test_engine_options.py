"""Engine options: gradient accumulation, time limit, VisualDL, custom imports, codec consistency."""
import os
import sys

import pytest

import ppocr  # noqa: F401
from ppocr.engine import train
from ppocr.testing import make_rec_data, rec_config
from ppocr.utils.errors import ConfigError


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_rec_data(str(tmp_path_factory.mktemp("rec")), num_train=8, num_eval=2)


def test_accumulation_steps_halve_optimizer_steps(data_dir, tmp_path):
    r = train(rec_config(data_dir, str(tmp_path), ["Global.epoch_num=1", "Global.accumulation_steps=2"]))
    assert r["global_step"] == 2       # 4 batches, one optimizer step per 2


def test_max_train_seconds_stops_and_saves_latest(data_dir, tmp_path):
    r = train(rec_config(data_dir, str(tmp_path), ["Global.epoch_num=1000", "Global.max_train_seconds=0.001"]))
    assert r["global_step"] == 1
    assert os.path.isfile(tmp_path / "latest.states")
    assert "reached Global.max_train_seconds" in open(tmp_path / "train.log").read()


def test_visualdl_writes_scalars(data_dir, tmp_path):
    train(rec_config(data_dir, str(tmp_path), ["Global.epoch_num=1", "Global.use_visualdl=True"]))
    files = os.listdir(tmp_path / "vdl")
    assert files and any(os.path.getsize(tmp_path / "vdl" / f) > 0 for f in files)


def test_custom_imports_register_user_component(data_dir, tmp_path, monkeypatch):
    (tmp_path / "my_ext").mkdir()
    (tmp_path / "my_ext" / "__init__.py").write_text(
        "import paddle\n"
        "from ppocr.registry import NECKS\n\n"
        "@NECKS.register()\n"
        "class MyMeanNeck(paddle.nn.Layer):\n"
        "    def __init__(self, in_channels):\n"
        "        super().__init__()\n"
        "        self.out_channels = in_channels\n"
        "    def forward(self, x):\n"
        "        return x.mean(axis=2).transpose([0, 2, 1])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = train(rec_config(data_dir, str(tmp_path / "out"), ["Global.custom_imports=[my_ext]", "Global.max_steps=1",
                                                          "Architecture.Neck={name: MyMeanNeck}"]))
    assert r["global_step"] == 1
    sys.modules.pop("my_ext", None)


def test_custom_import_missing_module(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="custom_imports"):
        train(rec_config(data_dir, str(tmp_path), ["Global.custom_imports=[no_such_module_xyz]"]))


def test_unknown_data_section_key(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="loader"):
        train(rec_config(data_dir, str(tmp_path), ["Train.loadr={batch_size_per_card: 2}"]))


def test_dictionary_mismatch_between_encoder_and_decoder(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="same dictionary"):
        train(rec_config(data_dir, str(tmp_path), ["PostProcess.use_space_char=True"]))


@pytest.mark.parametrize("dtype,level", [("float16", "O1"), ("bfloat16", "O1")])
def test_amp_trains_and_resumes_with_scaler_state(data_dir, tmp_path, dtype, level):
    opts = ["Global.use_amp=True", f"Global.amp_dtype={dtype}", f"Global.amp_level={level}"]
    r = train(rec_config(data_dir, str(tmp_path), opts + ["Global.max_steps=2"]))
    assert r["global_step"] == 2
    r = train(rec_config(data_dir, str(tmp_path), opts + [f"Global.checkpoints={tmp_path}/latest", "Global.epoch_num=1"]))
    assert r["global_step"] == 4


def test_amp_rejects_unknown_level(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="amp_level"):
        train(rec_config(data_dir, str(tmp_path), ["Global.use_amp=True", "Global.amp_level=O3"]))


def test_skipped_samples_are_counted_in_the_training_log(tmp_path):
    data = make_rec_data(str(tmp_path / "d"), num_train=8, num_eval=2)
    with open(os.path.join(data, "train", "garbage.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n garbage, but IEND")  # passes the header check, fails to decode
    with open(os.path.join(data, "rec_gt_train.txt"), "a") as f:
        f.write("train/garbage.png\tabc\n")
        f.write("train/garbage.png\tcab\n")
        f.write("train/missing.png\tabc\n")            # image does not exist: left out before training
    r = train(rec_config(data, str(tmp_path / "o"), ["Global.epoch_num=1", "Train.dataset.skip_bad_samples=True",
                                                     "Train.loader.shuffle=False"]))
    assert r["skipped"] == 2
    log = open(tmp_path / "o" / "train.log").read()
    assert "1 bad line(s) found before training are left out: 1 image not found" in log
    assert "skipped 2 bad samples (total 2)" in log


def _data_with_first_line(tmp_path, line):
    data = make_rec_data(str(tmp_path / "d"), num_train=8, num_eval=2)
    label_file = os.path.join(data, "rec_gt_train.txt")
    lines = open(label_file).read()
    with open(label_file, "w") as f:
        f.write(line + "\n" + lines)
    return data


def test_bad_sample_without_skipping_names_file_line_and_fix(tmp_path):
    from ppocr.utils.errors import DataError

    data = _data_with_first_line(tmp_path, "train/000000.png\tno#ok")
    strict = "Train.dataset.transforms.1.CTCLabelEncode={unknown_chars: error}"
    with pytest.raises(DataError, match=r"rec_gt_train.txt:1: .*'#'.*skip_bad_samples"):
        train(rec_config(data, str(tmp_path / "o"), ["Global.epoch_num=1", "Train.loader.shuffle=False", strict]))


def test_characters_outside_the_dictionary_are_dropped_by_default(tmp_path):
    """PaddleOCR's behaviour (rec_mv3_none_bilstm_ctc.yml on ICDAR 2015 words with '.' and '!'): trains."""
    data = _data_with_first_line(tmp_path, "train/000000.png\tno.k!")
    r = train(rec_config(data, str(tmp_path / "o"), ["Global.epoch_num=1", "Train.loader.shuffle=False"]))
    assert r["skipped"] == 0 and r["global_step"] > 0
    assert "dropped from the labels" in open(tmp_path / "o" / "train.log").read()


def test_amp_custom_white_list_reaches_auto_cast(data_dir, tmp_path, monkeypatch):
    import paddle

    seen, real = [], paddle.amp.auto_cast

    def spy(**kwargs):
        seen.append(kwargs.get("custom_white_list"))
        return real(**kwargs)

    monkeypatch.setattr(paddle.amp, "auto_cast", spy)
    r = train(rec_config(data_dir, str(tmp_path), ["Global.use_amp=True", "Global.max_steps=1",
                                                   "Global.amp_custom_white_list=[scale, concat]"]))
    assert r["global_step"] == 1 and seen and seen[0] == ["scale", "concat"]


def test_paddleocr_global_keys_are_accepted_and_debug_logs_more(data_dir, tmp_path):
    import logging

    r = train(rec_config(data_dir, str(tmp_path), ["Global.max_steps=1", "Global.debug=True",
                                                  "Global.load_static_weights=True",
                                                  "Global.d2s_train_image_shape=[3, 48, 320]"]))
    assert r["global_step"] == 1 and logging.getLogger("ppocr").level == logging.DEBUG
    log = open(tmp_path / "train.log").read()
    assert "Global keys accepted with no effect here (PaddleOCR keys): load_static_weights, d2s_train_image_shape" \
        in log


def test_a_resumed_run_with_early_stopping_stops_where_the_uninterrupted_one_does(tmp_path):
    """Early stopping's counters travel in the checkpoint: the uninterrupted run stops at step 3 (best at the first
    evaluation, two that cannot improve by 1.0); a run stopped at step 2 and resumed stops at step 3 too (a fresh
    counter would have gone on to step 5)."""
    data = make_rec_data(str(tmp_path / "d"), num_train=8, num_eval=2)
    opts = ["Global.epoch_num=3", "Global.eval_batch_step=[0,1]", "Global.early_stopping={lag: 2, min_delta: 1.0}"]
    whole = train(rec_config(data, str(tmp_path / "whole"), opts))
    assert whole["global_step"] == 3
    part = str(tmp_path / "part")
    assert train(rec_config(data, part, opts + ["Global.max_steps=2"]))["global_step"] == 2
    resumed = train(rec_config(data, part, opts + [f"Global.checkpoints={part}/latest"]))
    assert resumed["global_step"] == 3
