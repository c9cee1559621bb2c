"""DetLabelEncode: both label formats, padding, do-not-care tags, errors, degenerate regions, clipping."""
import json
import logging

import numpy as np
import pytest

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.det_label_ops import DetLabelEncode
from ppocr.utils.errors import ConfigError, SampleError


def _json(*regions):
    return json.dumps([{"transcription": t, "points": p} for t, p in regions])


RECT = [[10, 10], [50, 10], [50, 30], [10, 30]]
HEXA = [[0, 0], [20, 0], [40, 5], [40, 20], [20, 25], [0, 20]]


def test_json_pads_polygons_to_the_longest():
    out = DetLabelEncode()({"label": _json(("ab", RECT), ("curve", HEXA))})
    polys = out["polys"]
    assert polys.dtype == np.float32 and polys.shape == (2, 6, 2)
    np.testing.assert_array_equal(polys[0, :4], RECT)  # labels keep the file's vertex order (no library sorts them)
    np.testing.assert_array_equal(polys[0, 4:], [RECT[-1], RECT[-1]])  # last point repeated
    np.testing.assert_array_equal(polys[1], HEXA)
    assert out["texts"] == ["ab", "curve"]
    assert out["ignore_tags"].dtype == bool and out["ignore_tags"].tolist() == [False, False]


def test_legacy_format_with_commas_in_text_and_several_regions():
    label = "1,2,30,2,30,12,1,12,hello, world\t40,2,60.5,2,60.5,12,40,12,###\t"
    out = DetLabelEncode()({"label": label})
    assert out["polys"].shape == (2, 4, 2)
    np.testing.assert_array_equal(out["polys"][1], [[40, 2], [60.5, 2], [60.5, 12], [40, 12]])
    assert out["texts"] == ["hello, world", "###"]
    assert out["ignore_tags"].tolist() == [False, True]


@pytest.mark.parametrize("text,ignored", [("###", True), ("*", True), ("#", False), ("**", False), ("a###", False)])
def test_do_not_care_transcriptions(text, ignored):
    out = DetLabelEncode()({"label": _json((text, RECT))})
    assert out["ignore_tags"].tolist() == [ignored]


@pytest.mark.parametrize("label", ["", "  ", "[]"])
def test_image_without_text_is_valid(label):
    out = DetLabelEncode()({"label": label, "image": np.zeros((8, 8, 3), np.uint8)})
    assert out["polys"].shape == (0, 4, 2) and out["polys"].dtype == np.float32
    assert out["texts"] == [] and out["ignore_tags"].shape == (0,) and out["ignore_tags"].dtype == bool


@pytest.mark.parametrize("label,message", [
    ('[{"transcription": "a", "points": [[1, 2], [3, 4]]', r"not valid JSON \(Expecting .* at character \d+"),
    ('{"transcription": "a", "points": [[1, 2]]}', "must be a JSON list of regions, got dict"),
    ('["a"]', "region 0 of the detection label is a str, not an object"),
    ('[{"points": [[0, 0], [1, 0], [1, 1]]}]', "region 0 of the detection label has no 'transcription'"),
    ('[{"transcription": "a", "points": [[0, 0], [1]]}]', r"region 0: 'points' must be a non-empty list of \[x, y\]"),
    ('[{"transcription": "a", "points": [[0, 0], ["1", 2]]}]', r"'points' must be a non-empty list"),
    ('[{"transcription": "a", "points": [[0, 0], [NaN, 2], [3, 3]]}]', r"'points' must be a non-empty list"),
    ('[{"transcription": 5, "points": [[0, 0], [1, 0], [1, 1]]}]', "'transcription' must be a string, got 5"),
    ("ab12", r"cannot read detection region 0 'ab12': expected PaddleOCR JSON"),
    ("1,2,3,4,5,6,7,text", "legacy format x1,y1,x2,y2,x3,y3,x4,y4,text"),
])
def test_malformed_labels_say_what_and_expected_format(label, message):
    with pytest.raises(SampleError, match=message) as err:
        DetLabelEncode()({"label": label})
    text = str(err.value)
    assert "transcription" in text or "string" in text or "x1,y1" in text


DEGENERATE = {
    "two distinct points": ([[0, 0], [10, 0], [10, 0], [0, 0]], "fewer than 3 distinct points"),
    "collinear": ([[0, 0], [5, 5], [10, 10], [20, 20]], "zero area"),
    "bow-tie": ([[0, 0], [10, 5], [10, 0], [0, 5]], "self-intersecting"),
    "single point": ([[3, 3]], "fewer than 3 distinct points"),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_polygons_become_do_not_care_with_warning(case, caplog):
    pts, reason = DEGENERATE[case]
    op = DetLabelEncode()
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        out = op({"label": _json(("good", RECT), ("bad", pts)), "img_path": "/d/x.png"})
    assert out["ignore_tags"].tolist() == [False, True]
    assert op.num_degenerate == 1
    assert any("/d/x.png" in r.getMessage() and reason in r.getMessage() and "do-not-care" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_polygons_raise_when_asked(case):
    pts, reason = DEGENERATE[case]
    with pytest.raises(SampleError, match=rf"text region 1 \('bad'\) is degenerate: {reason}.*degenerate: ignore"):
        DetLabelEncode(degenerate="error")({"label": _json(("good", RECT), ("bad", pts))})


def test_degenerate_warnings_are_limited_but_counted(caplog):
    op = DetLabelEncode()
    label = _json(*[("bad", [[0, 0], [1, 1], [2, 2]])] * 8)
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        op({"label": label})
    assert op.num_degenerate == 8
    assert sum("degenerate" in r.getMessage() for r in caplog.records) == 5


def test_do_not_care_regions_are_not_checked():
    out = DetLabelEncode(degenerate="error")({"label": _json(("###", [[0, 0], [1, 1], [2, 2]]))})
    assert out["ignore_tags"].tolist() == [True]


def test_points_are_clipped_to_a_decoded_image():
    img = np.zeros((40, 60, 3), np.uint8)
    label = _json(("in", [[-5, -3], [70, 5], [70, 50], [-5, 50]]), ("out", [[80, 10], [90, 10], [90, 20], [80, 20]]))
    out = DetLabelEncode()({"label": label, "image": img})
    np.testing.assert_array_equal(out["polys"][0], [[0, 0], [60, 5], [60, 40], [0, 40]])
    assert out["ignore_tags"].tolist() == [False, True]  # the region outside collapsed onto the border
    raw = DetLabelEncode()({"label": label, "image": b"not decoded yet"})
    assert raw["polys"][0, 0].tolist() == [-5, -3] and raw["ignore_tags"].tolist() == [False, False]
    kept = DetLabelEncode(clip_to_image=False)({"label": label, "image": img})
    assert kept["polys"][0, 1].tolist() == [70, 5]


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="degenerate must be one of 'ignore', 'error', got 'skip'"):
        DetLabelEncode(degenerate="skip")
    with pytest.raises(TypeError, match="clip_to_image"):
        DetLabelEncode(clip_to_image="yes")
    with pytest.raises(ConfigError, match="did you mean 'degenerate'"):
        build_transforms([{"DetLabelEncode": {"degenerated": "error"}}], None, "T")
    assert repr(DetLabelEncode()) == "DetLabelEncode(degenerate='ignore', clip_to_image=True)"
