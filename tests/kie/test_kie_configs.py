"""The KIE configs (PaddleOCR's schema) load, and their optimizer, loss, post-processing, metric and transforms build.

The models themselves need the starter directory (tools/make_kie_starter.py), so the configs are trained
from a tiny starter in test_kie_engine_smoke.py; here every other section is built as the engine builds it.
"""
import glob
import os

import pytest

from ppocr.testing import REPO_ROOT
from ppocr.utils.config import get_config

paddle = pytest.importorskip("paddle")

CONFIGS = sorted(glob.glob(os.path.join(REPO_ROOT, "configs", "kie", "**", "*.yml"), recursive=True))


def test_the_paddleocr_kie_configs_are_here():
    names = {os.path.basename(p) for p in CONFIGS}
    assert {"ser_vi_layoutxlm_xfund_zh.yml", "re_vi_layoutxlm_xfund_zh.yml", "ser_vi_layoutxlm_xfund_zh_udml.yml",
            "re_vi_layoutxlm_xfund_zh_udml.yml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_kie_config_sections_build(path, monkeypatch):
    from ppocr.data.imaug import build_transforms
    from ppocr.losses import build_loss
    from ppocr.metrics import build_metric
    from ppocr.optimizer import build_optimizer
    from ppocr.postprocess import build_post_process

    monkeypatch.chdir(REPO_ROOT)  # the configs' paths are relative to the repository
    cfg = get_config(path)
    g = cfg["Global"]
    assert cfg["Architecture"]["model_type"] == "kie"
    build_optimizer(cfg["Optimizer"], g["epoch_num"], 38, paddle.nn.Linear(2, 2))  # lr.epochs == epoch_num
    build_loss(cfg["Loss"], g)
    build_post_process(cfg["PostProcess"], g)
    build_metric(cfg["Metric"], g)
    for split in ("Train", "Eval"):
        ops = [e for e in cfg[split]["dataset"]["transforms"] if "VQATokenLabelEncode" not in e]  # needs the starter
        build_transforms(ops, g, f"{split}.dataset.transforms")
        assert os.path.isfile(cfg[split]["dataset"]["label_file_list"][0])
