"""PaddleOCR's PP-OCRv3/v4/v5 mobile detection configs, as shipped, train, evaluate and export.

Only sizes change (64x64 crops and eval images, batch 2, two steps, no workers); every component,
option and Global key is the config's.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.data import build_dataloader
from ppocr.engine import evaluate, export, train
from ppocr.testing import REPO_ROOT, make_det_data
from ppocr.utils.config import get_config, ignored_global_keys

CONFIGS = ["PP-OCRv3/PP-OCRv3_mobile_det.yml", "PP-OCRv4/PP-OCRv4_mobile_det.yml",
           "PP-OCRv5/PP-OCRv5_mobile_det.yml"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_det_data(str(tmp_path_factory.mktemp("det")), num_train=4, num_eval=2, width=160, height=128)


def _transform(cfg: dict, section: str, name: str) -> dict:
    """The options mapping of transform ``name`` in ``section``'s list (created when it is null)."""
    for entry in cfg[section]["dataset"]["transforms"]:
        if name in entry:
            if entry[name] is None:
                entry[name] = {}
            return entry[name]
    raise AssertionError(f"{section} has no {name}")


def _config(name: str, data: str, save: str, extra: list[str] = ()) -> dict:
    opts = [f"Global.save_model_dir={save}", "Global.max_steps=2", "Global.print_batch_step=1",
            "Global.use_gpu=False", "Train.loader.batch_size_per_card=2", "Train.loader.num_workers=0",
            "Eval.loader.num_workers=0"]
    for section, split in (("Train", "train"), ("Eval", "eval")):
        opts += [f"{section}.dataset.data_dir={data}",
                 f"{section}.dataset.label_file_list=[{os.path.join(data, f'det_gt_{split}.txt')}]"]
    cfg = get_config(os.path.join(REPO_ROOT, "configs", "det", name), opts + list(extra))
    _transform(cfg, "Train", "EastRandomCropData")["size"] = [64, 64]
    _transform(cfg, "Eval", "DetResizeForTest")["image_shape"] = [64, 64]
    return cfg


@pytest.mark.parametrize("name", CONFIGS)
def test_shipped_config_trains_evaluates_exports(name, data, tmp_path):
    save = str(tmp_path / "out")
    cfg = _config(name, data, save)
    assert {"model_name", "d2s_train_image_shape"} <= set(ignored_global_keys(cfg))
    result = train(cfg)
    assert result["global_step"] == 2
    assert {"precision", "recall", "hmean"} <= set(result["last_eval"])

    latest = os.path.join(save, "latest")
    metric = evaluate(_config(name, data, save, [f"Global.checkpoints={latest}"]))
    assert {"precision", "recall", "hmean"} <= set(metric)

    inf_dir = str(tmp_path / "inference")
    export(_config(name, data, save, [f"Global.pretrained_model={latest}", f"Global.save_inference_dir={inf_dir}"]))
    loaded = paddle.jit.load(os.path.join(inf_dir, "inference"))
    loaded.eval()
    out = loaded(paddle.rand([1, 3, 64, 96]))
    maps = (out["maps"] if isinstance(out, dict) else out[0] if isinstance(out, (list, tuple)) else out).numpy()
    assert maps.shape == (1, 1, 64, 96) and np.isfinite(maps).all()
    if "PPLCNetV3" in str(cfg["Architecture"]["Backbone"]):
        names = " ".join(p.name for p in loaded.parameters())
        assert len(loaded.parameters()) < 300, names  # fused: no conv_kxk / conv_1x1 / identity branches


def test_copy_paste_runs_in_the_v4_pipeline(data, tmp_path):
    cfg = _config(CONFIGS[1], data, str(tmp_path / "out"))
    ds = build_dataloader(cfg, "Train", cfg["Global"]).dataset
    assert ds.ext_data_num == 1 and [type(op).__name__ for op in ds.ext_ops.ops] == ["DecodeImage", "DetLabelEncode"]
    sample = ds[0]
    assert set(sample) >= {"image", "shrink_map", "threshold_map"} and sample["image"].shape == (3, 64, 64)
