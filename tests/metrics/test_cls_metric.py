"""ClsMetric: batch and accumulated accuracy."""
import pytest

from ppocr.metrics import build_metric
from ppocr.utils.errors import ConfigError


def test_accumulates_and_resets():
    m = build_metric({"name": "ClsMetric", "main_indicator": "acc"})
    assert m(([("0", 0.9), ("180", 0.7)], [("0", 1.0), ("0", 1.0)])) == {"acc": 0.5}
    assert m(([("180", 0.9)], [("180", 1.0)])) == {"acc": 1.0}
    assert m.get_metric()["acc"] == pytest.approx(2 / 3)
    assert m.get_metric() == {"acc": 0.0}  # reset, no samples
    with pytest.raises(ValueError, match="2 labels"):
        m(([("0", 0.9)], [("0", 1.0), ("0", 1.0)]))
    with pytest.raises(ConfigError, match="main_indicator must be 'acc'"):
        build_metric({"name": "ClsMetric", "main_indicator": "norm_edit_dis"})
