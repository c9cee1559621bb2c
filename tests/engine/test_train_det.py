"""Detection through the engine with PaddleOCR's own Eval KeepKeys names (``shape``, not ``shape_list``)."""
import os

import pytest

import ppocr  # noqa: F401
from ppocr.engine import evaluate, train
from ppocr.testing import REPO_ROOT, make_det_data
from ppocr.utils.config import get_config
from ppocr.utils.errors import ConfigError

SMOKE_DET = os.path.join(REPO_ROOT, "configs", "_smoke", "det_smoke.yml")
KEEP = "Eval.dataset.transforms.5.KeepKeys.keep_keys"


def _cfg(data, save, overrides):
    opts = [f"Global.save_model_dir={save}", f"Train.dataset.data_dir={data}",
            f"Train.dataset.label_file_list=[{os.path.join(data, 'det_gt_train.txt')}]",
            f"Eval.dataset.data_dir={data}", f"Eval.dataset.label_file_list=[{os.path.join(data, 'det_gt_eval.txt')}]"]
    return get_config(SMOKE_DET, opts + overrides)


def test_paddleocr_keepkeys_shape_trains_and_evaluates(tmp_path):
    data = make_det_data(str(tmp_path / "data"), num_train=2, num_eval=2)
    save = str(tmp_path / "out")
    r = train(_cfg(data, save, ["Global.max_steps=1", f"{KEEP}=[image, shape, polys, ignore_tags]"]))
    assert r["global_step"] == 1 and {"precision", "recall", "hmean"} <= set(r["last_eval"])
    paddleocr_keys = f"{KEEP}=[image, shape, polys, ignore_tags]"
    metric = evaluate(_cfg(data, save, [f"Global.checkpoints={save}/latest", paddleocr_keys]))
    assert metric["hmean"] == r["last_eval"]["hmean"]
    with pytest.raises(ConfigError, match=r"DBPostProcess needs the batch key 'shape_list' or 'shape'.*KeepKeys"):
        evaluate(_cfg(data, save, [f"Global.checkpoints={save}/latest", f"{KEEP}=[image, polys, ignore_tags]"]))
