import numpy as np
import pytest

from ppocr.data.imaug import Compose, build_transforms
from ppocr.utils.errors import ConfigError


@pytest.mark.parametrize("entry", [["DecodeImage"], {"DecodeImage": None, "KeepKeys": None}, "DecodeImage"])
def test_malformed_entry_names_position(entry):
    with pytest.raises(ConfigError, match=r"Train\.dataset\.transforms\.1: each transform must be a mapping"):
        build_transforms([{"ToCHWImage": None}, entry], None, "Train.dataset.transforms")


def test_options_must_be_mapping_and_names_checked():
    with pytest.raises(ConfigError, match=r"T\.0\.RecResizeImg: options must be a mapping"):
        build_transforms([{"RecResizeImg": [3, 32, 100]}], None, "T")
    with pytest.raises(ConfigError, match=r"unknown transform 'RecResizeImage'.*'RecResizeImg'"):
        build_transforms([{"RecResizeImage": None}], None, "T")
    with pytest.raises(ConfigError, match="list of transforms"):
        build_transforms({"DecodeImage": None}, None, "T")


def test_compose_runs_in_order_and_records_drop():
    def drop(data):
        return None

    seen = []

    def mark(data):
        seen.append(1)
        return data

    ops = Compose([mark, drop, mark])
    assert ops({"x": 1}) is None and len(seen) == 1
    assert ops.last_drop is not None and "drop" in ops.last_drop
    full = build_transforms([{"ToCHWImage": None}, {"KeepKeys": {"keep_keys": ["image"]}}], None, "T")
    out = full({"image": np.zeros((2, 3, 1)), "other": 1})
    assert list(out) == ["image"] and out["image"].shape == (1, 2, 3) and full.last_drop is None
    assert "ToCHWImage()" in repr(full) and len(full.ops) == 2
    assert len(build_transforms(None, None, "T")) == 0
