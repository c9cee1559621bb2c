import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.label_ops import CTCLabelEncode
from ppocr.utils.errors import ConfigError, SampleError


def test_default_dict_lowercases_and_pads():
    op = CTCLabelEncode(max_text_length=6)
    assert op.character[0] == "blank" and op.character[1] == "0" and op.character[11] == "a"
    out = op({"label": "Ab1"})
    assert out["label"].dtype == np.int64 and out["label"].shape == (6,)
    assert out["label"].tolist() == [11, 12, 2, 0, 0, 0]
    assert out["length"].dtype == np.int64 and out["length"].ndim == 0 and int(out["length"]) == 3


def test_custom_dict_keeps_case(tmp_path):
    d = tmp_path / "dict.txt"
    d.write_text("A\nb\n", encoding="utf-8")
    op = CTCLabelEncode(max_text_length=4, character_dict_path=str(d), use_space_char=True, unknown_chars="error")
    assert op.character == ["blank", "A", "b", " "]
    assert op({"label": "A b"})["label"].tolist() == [1, 3, 2, 0]
    with pytest.raises(SampleError, match=r"'a'.*add them to the file at character_dict_path \(.*dict\.txt\)"):
        op({"label": "ab"})
    lower = CTCLabelEncode(max_text_length=4, character_dict_path=str(d), lower=True)
    assert lower({"label": "B"})["label"].tolist() == [2, 0, 0, 0]


def test_too_long_names_both_lengths():
    with pytest.raises(SampleError, match=r"has 5 characters but max_text_length is 4; raise Global.max_text_length"):
        CTCLabelEncode(max_text_length=4)({"label": "abcde"})


def test_out_of_vocabulary_lists_characters():
    strict = CTCLabelEncode(unknown_chars="error")
    with pytest.raises(SampleError, match=r"not in the dictionary: '#', 'é'"):
        strict({"label": "a#é#"})
    with pytest.raises(SampleError, match="use_space_char: True"):
        strict({"label": "a b"})
    with pytest.raises(ValueError, match="unknown_chars must be 'drop'"):
        CTCLabelEncode(unknown_chars="skip")


def test_out_of_vocabulary_characters_are_dropped_as_paddleocr_does(caplog):
    op = CTCLabelEncode(max_text_length=6)
    out = op({"label": "a.b#."})
    assert out["label"].tolist() == [11, 12, 0, 0, 0, 0] and int(out["length"]) == 2
    assert op({"label": "c."})["label"].tolist()[:1] == [13]
    assert op.dropped == {".": 3, "#": 1}
    warnings = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(warnings) == 1 and "'#', '.'" in warnings[0] and "unknown_chars: error" in warnings[0]  # once per char
    with pytest.raises(SampleError, match="no character of the transcription is in the dictionary"):
        op({"label": ".#"})


def test_empty_text():
    with pytest.raises(SampleError, match="empty"):
        CTCLabelEncode()({"label": ""})


def test_global_passthrough_and_validation():
    ops = build_transforms([{"CTCLabelEncode": None}], {"max_text_length": 3}, "Train.dataset.transforms")
    assert ops.ops[0].max_text_length == 3
    with pytest.raises(ConfigError, match="max_text_length"):
        build_transforms([{"CTCLabelEncode": {"max_text_length": 0}}], None, "T")
    with pytest.raises(ConfigError, match="did you mean 'max_text_length'"):
        build_transforms([{"CTCLabelEncode": {"max_text_lenght": 5}}], None, "T")
