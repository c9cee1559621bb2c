"""The task contract: which task a config belongs to, task-owned Global keys, and a task plugged into a real run."""
import os

import pytest

import ppocr  # noqa: F401
from ppocr.engine import train
from ppocr.engine.task import GenericTask, task_for
from ppocr.engine.trainer import HookBase
from ppocr.registry import TASKS
from ppocr.testing import REPO_ROOT, make_rec_data, rec_config
from ppocr.utils.config import get_config, known_global_keys
from ppocr.utils.errors import ConfigError


@pytest.mark.parametrize("config,task", [
    ("rec/rec_mv3_none_bilstm_ctc.yml", "generic"), ("det/det_mv3_db.yml", "generic"),
    ("vgsl/vgsl_lines.yml", "vgsl"), ("kie/vi_layoutxlm/ser_vi_layoutxlm_xfund_zh.yml", "kie"),
    ("kie/vi_layoutxlm/re_vi_layoutxlm_xfund_zh_udml.yml", "kie")])
def test_each_config_finds_its_task(config, task):
    assert task_for(get_config(os.path.join(REPO_ROOT, "configs", config))).name == task


def test_task_keys_are_known_and_belong_to_their_task():
    keys = known_global_keys()
    assert {"continue_from", "codec", "kie_det_model_dir", "epoch_num"} <= set(keys)
    det = os.path.join(REPO_ROOT, "configs", "det", "det_mv3_db.yml")
    with pytest.raises(ConfigError, match=r"Global.continue_from is read only by the vgsl task \(Architecture.name: "
                                          r"VGSLModel\); this config is a generic one"):
        task_for(get_config(det, ["Global.continue_from=./output/vgsl/latest"]))
    with pytest.raises(ConfigError, match="unknown key Global.continue_frm; did you mean 'continue_from'"):
        get_config(det, ["Global.continue_frm=x"])


class _Marker(HookBase):
    pass


CALLS = []


@TASKS.register(name="_probe")
class _ProbeTask(GenericTask):
    """A task the tests plug in: recognition configs with ``Architecture.algorithm: Probe``."""

    name = "_probe"
    selected_by = "Architecture.algorithm: Probe"
    global_keys = {"probe_flag": "a key only this task reads"}

    @classmethod
    def owns(cls, arch_cfg):
        return arch_cfg.get("algorithm") == "Probe"

    def build_core(self, cfg):
        CALLS.append(("build_core", cfg["Global"].get("probe_flag")))
        return super().build_core(cfg)

    def bind_loader(self, loader, core, section):
        CALLS.append(("bind_loader", section))
        super().bind_loader(loader, core, section)

    def start_run(self, core, save_dir):
        CALLS.append(("start_run", os.path.isdir(save_dir)))

    def hooks(self, cfg, core):
        first, last = super().hooks(cfg, core)
        return first, last + [_Marker()]


def test_a_registered_task_is_asked_at_each_point_of_a_run(tmp_path):
    data = make_rec_data(str(tmp_path / "d"), num_train=4, num_eval=2)
    cfg = rec_config(data, str(tmp_path / "out"), ["Architecture.algorithm=Probe", "Global.probe_flag=7",
                                                  "Global.max_steps=1"])
    assert isinstance(task_for(cfg), _ProbeTask)
    CALLS.clear()
    r = train(cfg)
    assert r["global_step"] == 1
    assert CALLS == [("build_core", 7), ("start_run", True), ("bind_loader", "Train"), ("bind_loader", "Eval")]
    with pytest.raises(ConfigError, match="read only by the _probe task"):
        task_for(rec_config(data, str(tmp_path / "out"), ["Global.probe_flag=1"]))
