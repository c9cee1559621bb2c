"""PaddleOCR 3.3's PP-OCRv3/v4/v5 mobile recognition configs (our copies under configs/rec/): every key is
accepted; each trains 2 steps on tiny rendered data, evaluates, and exports a model that outputs only the CTC
branch, equal to the eval-mode model's output.

PP-OCRv4/v5 name the PPLCNetV3 backbone; while it is not registered these tests run those configs with the
backbone overridden to MobileNetV1Enhance (everything else unchanged).
"""
import glob
import os

import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.engine import evaluate, export, train
from ppocr.modeling import build_model
from ppocr.registry import BACKBONES
from ppocr.testing import REPO_ROOT, make_rec_data, rec_config

CONFIGS = {
    "v3": "configs/rec/PP-OCRv3/PP-OCRv3_mobile_rec.yml",
    "v4": "configs/rec/PP-OCRv4/PP-OCRv4_mobile_rec.yml",
    "v4_en": "configs/rec/PP-OCRv4/en_PP-OCRv4_mobile_rec.yml",
    "v5": "configs/rec/PP-OCRv5/PP-OCRv5_mobile_rec.yml",
}
SMALL = ["Global.max_steps=2", "Global.use_gpu=False", "Global.distributed=False", "Global.print_batch_step=1",
         "Train.loader.batch_size_per_card=2", "Train.loader.num_workers=0",
         "Eval.loader.batch_size_per_card=2", "Eval.loader.num_workers=0",
         "Eval.dataset.transforms.2.RecResizeImg.image_shape=[3,32,64]"]
MULTI_SCALE = ["Train.sampler.scales=[[64,32],[64,48]]", "Train.sampler.first_bs=2"]
V3 = ["Train.dataset.transforms.4.RecResizeImg.image_shape=[3,32,64]", "Train.loader.drop_last=True",
      "Architecture.Head.head_list.1.SARHead.enc_dim=32"]
NRTR = ["Architecture.Head.head_list.1.NRTRHead.nrtr_dim=32"]
# PPLCNetV3's stand-in while it is not registered: the v3 backbone (height 48 -> 1 row with its max pool)
LCNET_STAND_IN = ["Architecture.Backbone={name: MobileNetV1Enhance, scale: 0.25}"]


def _overrides(key):
    extra = V3 if key == "v3" else MULTI_SCALE + NRTR
    if key != "v3" and "PPLCNetV3" not in BACKBONES:
        extra = extra + LCNET_STAND_IN
    return SMALL + extra


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_rec_data(str(tmp_path_factory.mktemp("rec_ppocr")), num_train=6, num_eval=2)


@pytest.mark.parametrize("key", list(CONFIGS))
def test_config_trains_evaluates_exports(key, data_dir, tmp_path):
    path = os.path.join(REPO_ROOT, CONFIGS[key])
    save = str(tmp_path / "out")
    cfg = rec_config(data_dir, save, _overrides(key), config=path)
    result = train(cfg)
    assert result["global_step"] == 2
    losses = [rec["loss"] for _, rec in result["history"]["train"]]
    assert losses and all(np.isfinite(losses))
    branch = "SARLoss" if key == "v3" else "NRTRLoss"
    assert all(branch in rec and "CTCLoss" in rec for _, rec in result["history"]["train"])

    best = os.path.join(save, "latest")
    metric = evaluate(rec_config(data_dir, save, _overrides(key) + [f"Global.checkpoints={best}"], config=path))
    assert set(metric) >= {"acc", "norm_edit_dis"}

    inf_dir = str(tmp_path / "inference")
    export(rec_config(data_dir, save, _overrides(key) + [f"Global.pretrained_model={best}",
                                                          f"Global.save_inference_dir={inf_dir}"], config=path))
    assert glob.glob(os.path.join(inf_dir, "inference.pdiparams"))

    # the exported program outputs the CTC branch alone and equals the eval-mode model
    cfg = rec_config(data_dir, save, _overrides(key), config=path)
    num_classes = 6625 if "ppocr_keys_v1" in cfg["Global"]["character_dict_path"] else 96
    model = build_model(cfg["Architecture"], cfg["Global"], num_classes=num_classes)
    model.set_state_dict(paddle.load(best + ".pdparams"))
    model.eval()
    loaded = paddle.jit.load(os.path.join(inf_dir, "inference"))
    loaded.eval()
    for x in (paddle.rand([2, 3, 32, 64]), paddle.rand([1, 3, 32, 96])):
        out = loaded(x)
        assert isinstance(out, paddle.Tensor), f"the exported model returns {type(out).__name__}, not one tensor"
        want = model({"image": x}).numpy()
        assert out.shape == list(want.shape) and out.shape[-1] == num_classes
        assert np.abs(out.numpy() - want).max() <= 1e-4


@pytest.mark.parametrize("key", list(CONFIGS))
def test_unchanged_config_is_accepted_and_builds(key):
    from ppocr.engine.task import task_for
    from ppocr.utils.config import get_config, ignored_global_keys

    cfg = get_config(os.path.join(REPO_ROOT, CONFIGS[key]))   # every section and Global key is known
    if key == "v4_en":
        assert any("profiler_options" in k for k in ignored_global_keys(cfg))
    if cfg["Architecture"]["Backbone"]["name"] not in BACKBONES:
        pytest.skip(f"{cfg['Architecture']['Backbone']['name']} is not registered yet")
    core = task_for(cfg).build_core(cfg)
    assert core["num_classes"] == (96 if key == "v4_en" else 6625)
    head = core["model"].head
    assert head.ctc_head.out_channels == core["num_classes"]
