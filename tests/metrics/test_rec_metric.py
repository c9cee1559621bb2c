import pytest

from ppocr.metrics import RecMetric, build_metric
from ppocr.utils.errors import ConfigError


def pairs(preds, labels):
    return [(p, 0.9) for p in preds], [(t, 1.0) for t in labels]


def test_batch_and_accumulated_metrics():
    m = RecMetric()
    # "abc"/"abc": exact, ned 1; "abd"/"abc": 1 edit, ned 2/3; "ab"/"abcd": 2 edits, ned 1/2
    out = m(pairs(["abc", "abd", "ab"], ["abc", "abc", "abcd"]))
    assert out["acc"] == pytest.approx(1 / 3)
    assert out["norm_edit_dis"] == pytest.approx((1 + 2 / 3 + 1 / 2) / 3)
    assert out["cer"] == pytest.approx(3 / 10)
    # "" vs "": exact, ned 1, no label chars
    out2 = m(pairs([""], [""]))
    assert out2 == {"acc": 1.0, "norm_edit_dis": 1.0, "cer": 0.0}
    total = m.get_metric()
    assert total["acc"] == pytest.approx(2 / 4)
    assert total["norm_edit_dis"] == pytest.approx((1 + 2 / 3 + 1 / 2 + 1) / 4)
    assert total["cer"] == pytest.approx(3 / 10)
    assert m.get_metric() == {"acc": 0.0, "norm_edit_dis": 0.0, "cer": 0.0}  # reset after get_metric


def test_ignore_space():
    assert RecMetric()(pairs(["a b"], ["ab"]))["acc"] == 1.0
    out = RecMetric(ignore_space=False)(pairs(["a b"], ["ab"]))
    assert out["acc"] == 0.0
    assert out["norm_edit_dis"] == pytest.approx(1 - 1 / 3)
    assert out["cer"] == pytest.approx(1 / 2)


def test_is_filter():
    assert RecMetric()(pairs(["AB-1"], ["ab1"]))["acc"] == 0.0
    out = RecMetric(is_filter=True)(pairs(["AB-1", "x!"], ["ab1", "y"]))
    assert out["acc"] == 0.5
    assert out["cer"] == pytest.approx(1 / 4)


def test_unicode_and_reset():
    m = RecMetric()
    m(pairs(["中文"], ["中文字"]))
    m.reset()
    out = m(pairs(["中文"], ["中文字"]))
    assert out["norm_edit_dis"] == pytest.approx(2 / 3)
    assert m.get_metric()["cer"] == pytest.approx(1 / 3)


def test_bad_input_and_config():
    m = build_metric({"name": "RecMetric", "main_indicator": "norm_edit_dis"})
    assert m.main_indicator == "norm_edit_dis"
    with pytest.raises(ValueError, match="2 labels"):
        m(pairs(["a"], ["a", "b"]))
    with pytest.raises(ConfigError, match="main_indicator"):
        build_metric({"name": "RecMetric", "main_indicator": "cer"})
    with pytest.raises(ConfigError, match="ignore_space"):
        build_metric({"name": "RecMetric", "ignore_spaces": True})
