import logging

import cv2
import numpy as np
import pytest

from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.utils.errors import DataError

TRANSFORMS = [
    {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
    {"RecAug": None},
    {"CTCLabelEncode": {"unknown_chars": "error"}},
    {"RecResizeImg": {"image_shape": [3, 16, 48]}},
    {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
]


def _write_images(root, n=4):
    (root / "img").mkdir(exist_ok=True)
    rng = np.random.RandomState(0)
    for i in range(n):
        cv2.imwrite(str(root / "img" / f"{i}.png"), rng.randint(0, 256, (16, 40, 3), dtype=np.uint8))


def _dataset(tmp_path, lines, **kw):
    _write_images(tmp_path)
    label = tmp_path / "labels.txt"
    label.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kw.setdefault("transforms", TRANSFORMS)
    return SimpleDataSet(str(tmp_path), [str(label)], global_cfg={"max_text_length": 5}, seed=3, **kw), label


def test_reads_samples_and_keeps_label_after_first_delimiter(tmp_path):
    ds, _ = _dataset(tmp_path, ["img/0.png\tab", "", "img/1.png\ta\tb"], transforms=[])
    assert len(ds) == 2
    assert ds.samples[1][1:] == (3, "img/1.png", "a\tb")
    item = ds[0]
    assert item["label"] == "ab" and isinstance(item["image"], bytes) and item["img_path"].endswith("0.png")


def test_output_of_full_pipeline(tmp_path):
    ds, _ = _dataset(tmp_path, ["img/0.png\tab1", "img/1.png\tXY"])
    out = ds[1]
    assert list(out) == ["image", "label", "length"]
    assert out["image"].shape == (3, 16, 48) and out["label"].tolist() == [34, 35, 0, 0, 0]


def test_line_without_delimiter_names_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"labels\.txt:2: expected 'image_path<TAB>transcription', got "
                                        r"'img/1.png ab'; set Train\.dataset\.delimiter"):
        _dataset(tmp_path, ["img/0.png\tab", "img/1.png ab"])


def test_custom_delimiter(tmp_path):
    ds, _ = _dataset(tmp_path, ["img/0.png ab", "img/1.png c d"], delimiter=" ", transforms=[])
    assert [s[3] for s in ds.samples] == ["ab", "c d"]


def test_skip_mode_skips_bad_lines_with_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        ds, _ = _dataset(tmp_path, ["img/0.png\tab", "garbage", "also garbage"], skip_bad_samples=True)
    assert len(ds) == 1
    warnings = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(warnings) == 1 and "skipped 2 malformed" in warnings[0].getMessage()
    assert "labels.txt:2" in warnings[0].getMessage()


def test_missing_and_empty_label_files(tmp_path):
    with pytest.raises(DataError, match=r"label file not found: .*nope\.txt"):
        SimpleDataSet(str(tmp_path), [str(tmp_path / "nope.txt")], transforms=[])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.txt has no samples"):
        SimpleDataSet(str(tmp_path), str(empty), transforms=[])


def _png_bytes():
    ok, buf = cv2.imencode(".png", np.full((16, 40, 3), 200, np.uint8))
    return buf.tobytes()


SETUPS = {
    "empty": b"",
    "text": b"this is not an image at all",
    "truncated": None,           # a PNG cut in half (an interrupted download)
    "garbage": b"GIF89a... truncated garbage",   # a plausible header: found when decoded
}


@pytest.mark.parametrize("line,setup,pattern", [
    ("img/missing.png\tab", None, r"1 image not found \(.*labels\.txt:2: .*missing\.png\)"),
    ("img/x.png\tab", "empty", r"1 empty image file \(.*labels\.txt:2: 0 bytes\)"),
    ("img/x.png\tab", "text", r"1 not an image \(.*labels\.txt:2: unrecognised header"),
    ("img/x.png\tab", "truncated", r"1 truncated image \(.*labels\.txt:2: PNG without its end marker"),
    ("img/0.png\tabcdef", None, r"1 label rejected \(.*labels\.txt:2: .*has 6 characters but max_text_length is 5; "
                                 r"raise Global\.max_text_length"),
    ("img/0.png\ta#b", None, r"1 label rejected \(.*labels\.txt:2: .*not in the dictionary: '#'; add them to"),
])
def test_bad_samples_are_found_before_training_with_line_and_fix(tmp_path, line, setup, pattern):
    (tmp_path / "img").mkdir(exist_ok=True)
    if setup:
        png = _png_bytes()
        (tmp_path / "img" / "x.png").write_bytes(png[:len(png) // 2] if setup == "truncated" else SETUPS[setup])
    with pytest.raises(DataError) as info:
        _dataset(tmp_path, ["img/0.png\tab", line])
    msg = str(info.value)
    assert msg.startswith("Train dataset: 1 bad line(s) found before training: "), msg
    assert "set Train.dataset.skip_bad_samples: True" in msg and "Global.preflight: false" in msg
    import re
    assert re.search(pattern, msg), msg


def test_an_undecodable_file_with_a_plausible_header_fails_when_read_naming_the_line(tmp_path):
    (tmp_path / "img").mkdir(exist_ok=True)
    (tmp_path / "img" / "x.png").write_bytes(SETUPS["garbage"])
    ds, label = _dataset(tmp_path, ["img/0.png\tab", "img/x.png\tab"])
    assert ds[0] is not None
    with pytest.raises(DataError) as info:
        ds[1]
    msg = str(info.value)
    assert msg.startswith(f"{label}:2: ") and "cannot decode image" in msg
    assert "Fix or remove the line, or set Train.dataset.skip_bad_samples: True" in msg


def test_every_problem_is_summarised_by_kind_at_once(tmp_path):
    lines = ["img/0.png\tab"] + [f"img/missing{i}.png\tab" for i in range(5)] + ["img/1.png\tabcdefg"]
    with pytest.raises(DataError) as info:
        _dataset(tmp_path, lines)
    msg = str(info.value)
    assert "6 bad line(s)" in msg and "5 image not found" in msg and "and 2 more" in msg
    assert "1 label rejected" in msg and "labels.txt:7" in msg


def test_preflight_false_defers_problems_to_reading(tmp_path):
    _write_images(tmp_path)
    label = tmp_path / "labels.txt"
    label.write_text("img/0.png\tab\nimg/missing.png\tab\n", encoding="utf-8")
    ds = SimpleDataSet(str(tmp_path), [str(label)], transforms=TRANSFORMS,
                       global_cfg={"max_text_length": 5, "preflight": False})
    assert len(ds) == 2
    with pytest.raises(DataError, match="image not found"):
        ds[1]


def test_skip_mode_returns_none_and_logs(tmp_path, caplog):
    (tmp_path / "img").mkdir(exist_ok=True)
    (tmp_path / "img" / "x.png").write_bytes(SETUPS["garbage"])
    ds, label = _dataset(tmp_path, ["img/0.png\tab", "img/x.png\tab"], skip_bad_samples=True)
    with caplog.at_level(logging.WARNING):
        assert ds[1] is None
    assert any(f"{label}:2" in r.getMessage() and "cannot decode" in r.getMessage() for r in caplog.records)


def test_same_seed_epoch_idx_gives_same_sample(tmp_path):
    ds, _ = _dataset(tmp_path, [f"img/{i}.png\tab" for i in range(4)])
    a = ds[2]["image"]
    ds[0], ds[3]  # other samples in between must not matter
    assert np.array_equal(a, ds[2]["image"])
    ds.set_epoch(1)
    assert not np.array_equal(a, ds[2]["image"])
    ds.set_epoch(0)
    assert np.array_equal(a, ds[2]["image"])


def test_ratio_list_is_seeded(tmp_path):
    lines = [f"img/{i % 4}.png\tl{i}" for i in range(20)]
    a, _ = _dataset(tmp_path, lines, transforms=[], ratio_list=0.5)
    b, _ = _dataset(tmp_path, lines, transforms=[], ratio_list=[0.5])
    assert len(a) == 10 and a.samples == b.samples
    with pytest.raises(ValueError, match="ratio_list"):
        _dataset(tmp_path, lines, transforms=[], ratio_list=1.5)


def test_bad_samples_are_left_out_and_counted_before_training_when_skipping(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        ds, _ = _dataset(tmp_path, ["img/0.png\tab", "img/missing.png\tab", "img/1.png\tabcdefg"],
                         skip_bad_samples=True)
    assert "2 bad line(s) found before training are left out: 1 image not found" in caplog.text
    assert len(ds) == 1 and ds.excluded == 2 and ds[0] is not None
