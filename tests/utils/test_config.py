import os

import pytest

from ppocr.testing import REPO_ROOT
from ppocr.utils.config import get_config, load_config, merge_overrides, parse_overrides
from ppocr.utils.errors import ConfigError

BASE = """
Global:
  epoch_num: 2
  use_gpu: False
Optimizer:
  name: Adam
  lr: {learning_rate: 0.001}
Train:
  dataset:
    name: SimpleDataSet
    label_file_list: [a.txt, b.txt]
    transforms:
      - DecodeImage: {img_mode: BGR}
      - RecResizeImg: {image_shape: [3, 32, 100]}
"""


@pytest.fixture
def cfg_path(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text(BASE)
    return str(p)


def test_override_types_and_paths(cfg_path):
    cfg = get_config(cfg_path, [
        "Global.epoch_num=10", "Optimizer.lr.learning_rate=1e-3", "Train.dataset.label_file_list.0=x.txt",
        "Global.checkpoints=null", "Global.use_gpu=true", "Train.dataset.transforms.1.RecResizeImg.image_shape=[1,48,320]",
        "Global.save_model_dir=./out/", "Global.eval_batch_step=[0, 50]",
    ])
    g = cfg["Global"]
    assert g["epoch_num"] == 10 and cfg["Optimizer"]["lr"]["learning_rate"] == pytest.approx(1e-3)
    assert isinstance(cfg["Optimizer"]["lr"]["learning_rate"], float)
    assert cfg["Train"]["dataset"]["label_file_list"] == ["x.txt", "b.txt"]
    assert g["checkpoints"] is None and g["use_gpu"] is True and g["eval_batch_step"] == [0, 50]
    assert cfg["Train"]["dataset"]["transforms"][1]["RecResizeImg"]["image_shape"] == [1, 48, 320]


def test_unknown_global_key_names_nearest(cfg_path):
    with pytest.raises(ConfigError, match="epoch_num"):
        get_config(cfg_path, ["Global.epoch_nmu=3"])


def test_unknown_section(cfg_path):
    with pytest.raises(ConfigError, match="Optimizer"):
        get_config(cfg_path, ["Optimiser.lr=3"])


def test_list_index_out_of_range(cfg_path):
    with pytest.raises(ConfigError, match="out of range"):
        get_config(cfg_path, ["Train.dataset.label_file_list.5=x"])


def test_override_without_equals():
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["Global.epoch_num"])


def test_safe_load_refuses_python_tags(tmp_path):
    p = tmp_path / "evil.yml"
    p.write_text("Global: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(p))


def test_scale_expression_stays_string(tmp_path):
    p = tmp_path / "n.yml"
    p.write_text("Train:\n  dataset:\n    transforms:\n      - NormalizeImage: {scale: 1./255.}\n")
    cfg = load_config(str(p))
    assert cfg["Train"]["dataset"]["transforms"][0]["NormalizeImage"]["scale"] == "1./255."


def test_merge_does_not_mutate(cfg_path):
    cfg = load_config(cfg_path)
    merge_overrides(cfg, [("Global.epoch_num", 5)])
    assert cfg["Global"]["epoch_num"] == 2


@pytest.mark.parametrize("override,match", [
    ("Global.epoch_num=abc", r"Global.epoch_num must be an integer, got 'abc' \(str\); e.g. -o Global.epoch_num=10"),
    ("Global.use_gpu=maybe", r"Global.use_gpu must be true or false, got 'maybe'"),
    ("Global.max_train_seconds=soon", r"Global.max_train_seconds must be a number"),
    ("Global.epoch_num=true", r"Global.epoch_num must be an integer, got True"),
    ("Global.eval_batch_step=[0]", r"Global.eval_batch_step must be \[start, every\]"),
    ("Global.save_model_dir=[a]", r"Global.save_model_dir must be a path"),
])
def test_global_values_of_the_wrong_kind_fail_before_anything_runs(override, match):
    with pytest.raises(ConfigError, match=match):
        get_config(os.path.join(REPO_ROOT, "configs", "rec", "rec_mv3_none_bilstm_ctc.yml"), [override])
    get_config(os.path.join(REPO_ROOT, "configs", "rec", "rec_mv3_none_bilstm_ctc.yml"),
               ["Global.eval_batch_step=500", "Global.checkpoints=null", "Global.max_steps=null"])


def test_paddleocr_top_level_profiler_options_is_accepted_and_reported(tmp_path):
    from ppocr.utils.config import get_config, ignored_global_keys

    path = tmp_path / "c.yml"
    path.write_text("Global:\n  model_name: x\nprofiler_options: null\n")
    cfg = get_config(str(path))
    assert ignored_global_keys(cfg) == ["model_name", "profiler_options (top level)"]
