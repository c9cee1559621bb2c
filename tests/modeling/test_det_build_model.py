"""Building DB detectors from PaddleOCR-style configs, and the model_type-scoped registry names."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import copy

import paddle
import pytest
import yaml

from ppocr.modeling import build_model
from ppocr.modeling.backbones.det_mobilenet_v3 import MobileNetV3 as DetMobileNetV3
from ppocr.modeling.backbones.rec_mobilenet_v3 import MobileNetV3 as RecMobileNetV3
from ppocr.registry import BACKBONES, Registry, build
from ppocr.testing import REPO_ROOT
from ppocr.utils.config import get_config
from ppocr.utils.errors import ConfigError

DB_YAML = """
Architecture:
  model_type: det
  algorithm: DB
  Transform:
  Backbone: {name: MobileNetV3, scale: 0.35, model_name: small, disable_se: True}
  Neck: {name: DBFPN, out_channels: 32}
  Head: {name: DBHead, k: 50}
"""


@pytest.fixture
def arch():
    return yaml.safe_load(DB_YAML)["Architecture"]


def test_scoped_name_is_preferred_only_in_its_scope():
    reg = Registry("thing")

    @reg.register()
    class Net:
        def __init__(self, size=1):
            self.size = size

    @reg.register(name="det/Net")
    class DetNet:
        def __init__(self, size=1):
            self.size = size

    assert reg.resolve("Net", "det") == "det/Net"
    assert reg.resolve("Net", "rec") == "Net" and reg.resolve("Net", None) == "Net"
    assert isinstance(build({"name": "Net"}, reg, scope="det"), DetNet)
    assert isinstance(build({"name": "Net"}, reg, scope="rec"), Net)
    assert isinstance(build({"name": "Net"}, reg), Net)
    assert isinstance(build({"name": "det/Net"}, reg), DetNet)  # the full key works anywhere
    with pytest.raises(ConfigError, match="size"):
        build({"name": "Net", "sise": 2}, reg, scope="det")


def test_model_type_picks_the_backbone_variant(arch):
    assert "det/MobileNetV3" in BACKBONES and "MobileNetV3" in BACKBONES
    det = build_model(arch)
    assert isinstance(det.backbone, DetMobileNetV3) and det.backbone.out_channels == [8, 8, 16, 200]
    rec = build_model({"model_type": "rec", "Backbone": {"name": "MobileNetV3", "scale": 0.35, "model_name": "small"},
                       "Neck": {"name": "SequenceEncoder", "encoder_type": "reshape"},
                       "Head": {"name": "CTCHead"}}, num_classes=5)
    assert isinstance(rec.backbone, RecMobileNetV3)


def test_db_model_forward(arch):
    model = build_model(arch)
    assert model.input_keys == ["image"] and model.algorithm == "DB"
    x = paddle.rand([2, 3, 64, 96])
    assert list(model({"image": x})["maps"].shape) == [2, 3, 64, 96]
    model.eval()
    assert list(model(x)["maps"].shape) == [2, 1, 64, 96]
    (spec,) = model.input_spec([3, 640, 640])
    assert list(spec.shape) == [-1, 3, -1, -1] and spec.name == "x"


@pytest.mark.parametrize("backbone,neck", [
    ({"name": "ResNet_vd", "layers": 18}, {"name": "LKPAN", "out_channels": 32, "mode": "lite"}),
    ({"name": "MobileNetV3", "scale": 0.5, "model_name": "large"}, {"name": "RSEFPN", "out_channels": 32}),
    ({"name": "MobileNetV3", "scale": 0.35, "model_name": "small"}, {"name": "DBFPN", "out_channels": 32,
                                                                      "use_asf": True}),
])
def test_other_paddleocr_det_architectures(arch, backbone, neck):
    arch.update(Backbone=backbone, Neck=neck)
    model = build_model(arch)
    assert list(model(paddle.rand([1, 3, 64, 64]))["maps"].shape) == [1, 3, 64, 64]


@pytest.mark.parametrize("edit,match", [
    (lambda a: a.update(model_type="rec"), "DBFPN.*four backbone maps"),  # rec MobileNetV3 gives one map
    (lambda a: a.pop("Neck"), "DBHead.*add a neck"),
    (lambda a: a["Neck"].update(out_channels=30), "multiple of 4"),
    (lambda a: a.update(Backbone={"name": "ResNet_vd", "layers": 50, "dcn_stage": [False, True, True, True]}),
     "dcn_stage.*not"),
    (lambda a: a["Head"].update(kk=50), "'k'"),
    (lambda a: a["Neck"].update(name="DBFPNN"), "DBFPN"),
])
def test_config_errors(arch, edit, match):
    arch = copy.deepcopy(arch)
    edit(arch)
    with pytest.raises(ConfigError, match=match):
        build_model(arch)


@pytest.mark.parametrize("path", ["configs/det/det_mv3_db.yml", "configs/_smoke/det_smoke.yml"])
def test_shipped_det_configs_build(path):
    from ppocr.engine.program import build_core
    from ppocr.losses import build_loss
    from ppocr.metrics import build_metric

    cfg = get_config(os.path.join(REPO_ROOT, path))
    core = build_core(cfg)
    assert isinstance(core["model"].backbone, DetMobileNetV3)
    assert core["postprocess"].eval_keys == ("shape_list",)
    assert type(build_loss(cfg["Loss"], cfg["Global"])).__name__ == "DBLoss"
    assert build_metric(cfg["Metric"], cfg["Global"]).main_indicator == "hmean"
