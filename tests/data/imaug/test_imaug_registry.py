"""Every registered transform builds from config, has a useful repr and docstring, and keeps a sample a dict."""
import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401
from ppocr.data.imaug import build_transforms
from ppocr.registry import TRANSFORMS

# the arguments a transform needs beyond its defaults
REQUIRED = {"KeepKeys": {"keep_keys": ["image"]}}


def _sample():
    img = np.full((32, 80, 3), 230, np.uint8)
    cv2.putText(img, "ab12", (4, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 2)
    return {"img_path": "x.png", "label": "ab12", "image": cv2.imencode(".png", img)[1].tobytes()}


def _takes_rec_sample(name):
    """Task-specific transforms (det_*, vqa, vgsl_*, cls_* modules) need their own labels; their test files run
    this contract with a sample of their kind (e.g. test_det_pipeline.py::test_det_transform_contract)."""
    module = TRANSFORMS.get(name).__module__
    return not (module.rpartition(".")[2].startswith(("det_", "vgsl_", "kie_", "cls_")) or ".vqa" in module)


@pytest.mark.parametrize("name", [n for n in TRANSFORMS.names() if _takes_rec_sample(n)])
def test_transform_contract(name):
    cls = TRANSFORMS.get(name)
    doc = cls.__doc__ or ""
    assert "Required" in doc or "Modified" in doc or "Added" in doc, f"{name} docstring lists no keys"
    pipeline = [] if name == "DecodeImage" else [{"DecodeImage": {"img_mode": "BGR"}}]
    ops = build_transforms(pipeline + [{name: REQUIRED.get(name)}], None, "t")
    assert name in repr(ops.ops[-1])
    np.random.seed(0)
    sample = _sample()
    if hasattr(ops.ops[-1], "ext_data_num"):  # RecConAug: the dataset adds decoded extra samples
        sample["ext_data"] = [build_transforms([{"DecodeImage": {"img_mode": "BGR"}}], None, "t")(_sample())]
    out = ops(sample)
    assert isinstance(out, dict) and "image" in out, f"{name} dropped or broke a valid sample"


def test_unknown_transform_option_names_nearest():
    from ppocr.utils.errors import ConfigError

    with pytest.raises(ConfigError, match="image_shape"):
        build_transforms([{"RecResizeImg": {"image_shap": [3, 32, 100]}}], None, "Train.dataset.transforms")
