"""MultiLabelEncode, SARLabelEncode, NRTRLabelEncode and RecConAug."""
import logging
import random

import numpy as np
import pytest

from ppocr.data.imaug.label_ops import MultiLabelEncode, NRTRLabelEncode, SARLabelEncode
from ppocr.data.imaug.rec_img_aug import RecConAug
from ppocr.utils.errors import SampleError


@pytest.fixture
def dict_path(tmp_path):
    p = tmp_path / "dict.txt"
    p.write_text("a\nb\nc\n", encoding="utf-8")
    return str(p)


def test_sar_and_nrtr_tables(dict_path):
    sar = SARLabelEncode(max_text_length=6, character_dict_path=dict_path)
    assert sar.tokens == ["a", "b", "c", "<UKN>", "<BOS/EOS>", "<PAD>"]
    out = sar({"label": "cab"})
    assert out["label"].tolist() == [4, 2, 0, 1, 4, 5] and int(out["length"]) == 3
    nrtr = NRTRLabelEncode(max_text_length=6, character_dict_path=dict_path)
    out = nrtr({"label": "cab"})
    assert out["label"].tolist() == [2, 6, 4, 5, 3, 0] and nrtr.tokens[4:] == ["a", "b", "c"]
    with pytest.raises(SampleError, match="max_text_length - 2"):
        sar({"label": "abcab"})


@pytest.mark.parametrize("gtc,key", [(None, "label_sar"), ("NRTRLabelEncode", "label_gtc")])
def test_multi_label_keys_and_ids(dict_path, gtc, key):
    enc = MultiLabelEncode(max_text_length=6, character_dict_path=dict_path, gtc_encode=gtc)
    out = enc({"image": "img", "label": "ba", "img_path": "x.png", "valid_ratio": 1.0})
    assert set(out) == {"img_path", "image", "label_ctc", key, "length"}
    assert out["label_ctc"].tolist() == [2, 1, 0, 0, 0, 0] and int(out["length"]) == 2
    expect = [4, 1, 0, 4, 5, 5] if gtc is None else [2, 5, 4, 3, 0, 0]
    assert out[key].tolist() == expect
    assert enc.character == ["blank", "a", "b", "c"]


def test_multi_label_drops_unknown_once_and_too_long(dict_path, caplog):
    enc = MultiLabelEncode(max_text_length=6, character_dict_path=dict_path, gtc_encode="NRTRLabelEncode")
    with caplog.at_level(logging.WARNING):
        out1 = enc({"image": 0, "label": "axb"})
        enc({"image": 0, "label": "bxa"})
    assert out1["label_ctc"].tolist()[:2] == [1, 2] and out1["label_gtc"].tolist()[:4] == [2, 4, 5, 3]
    assert sum("'x'" in r.getMessage() for r in caplog.records) == 1 and enc.dropped["x"] == 2
    assert enc({"image": 0, "label": "abcab"}) is None            # 5 > 6 - 2: dropped as PaddleOCR does
    assert "max_text_length - 2" in enc.check_label("abcab")    # ... and a bad line in the label file check
    assert enc.check_label("abc") is None
    strict = MultiLabelEncode(max_text_length=6, character_dict_path=dict_path, unknown_chars="error")
    with pytest.raises(SampleError, match="'x'"):
        strict({"image": 0, "label": "ax"})
    with pytest.raises(ValueError, match="gtc_encode"):
        MultiLabelEncode(gtc_encode="CTCLabelEncode")


def _line(w, h=10, value=0):
    return np.full((h, w, 3), value, dtype=np.uint8)


def test_rec_con_aug_joins_until_limits():
    random.seed(0)
    aug = RecConAug(prob=1.0, image_shape=[10, 100, 3], max_text_length=6, ext_data_num=3)
    data = {"image": _line(20), "label": "ab",
            "ext_data": [{"image": _line(40, h=20, value=9), "label": "cd"}, {"image": _line(30), "label": "e"},
                         {"image": _line(10), "label": "fgh"}]}
    out = aug(data)
    # first extra (ratio 2 -> 20 px at height 10), second (30 px); the third would exceed 6 characters
    assert out["label"] == "abcde" and out["image"].shape == (10, 70, 3) and "ext_data" not in out
    assert (out["image"][:, 20:40] == 9).all()
    wide = aug({"image": _line(90), "label": "a", "ext_data": [{"image": _line(20), "label": "b"}]})
    assert wide["label"] == "a" and wide["image"].shape == (10, 90, 3)   # ratio 9 + 2 > 10
    never = RecConAug(prob=0.0, ext_data_num=1)({"image": _line(20), "label": "a", "ext_data": [
        {"image": _line(20), "label": "b"}]})
    assert never["label"] == "a" and "ext_data" not in never
    with pytest.raises(SampleError, match="ext_data"):
        aug({"image": _line(20), "label": "a"})
    with pytest.raises(ValueError, match="image_shape"):
        RecConAug(image_shape=[48, 320])
