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


@pytest.mark.parametrize("line,setup,pattern", [
    ("img/missing.png\tab", None, r"image not found: .*missing\.png"),
    ("img/empty.png\tab", "empty", r"cannot decode image .*empty\.png.*empty or not an image"),
    ("img/bad.png\tab", "bad", r"cannot decode image .*bad\.png.*not an image"),
    ("img/0.png\tabcdef", None, r"has 6 characters but max_text_length is 5; raise Global\.max_text_length"),
    ("img/0.png\ta#b", None, r"not in the dictionary: '#'; add them to"),
])
def test_bad_sample_errors_name_line_and_fix(tmp_path, line, setup, pattern):
    (tmp_path / "img").mkdir(exist_ok=True)
    if setup == "empty":
        (tmp_path / "img" / "empty.png").write_bytes(b"")
    elif setup == "bad":
        (tmp_path / "img" / "bad.png").write_bytes(b"GIF89a... truncated garbage")
    with pytest.raises(DataError) as info:
        ds, label = _dataset(tmp_path, ["img/0.png\tab", line])  # missing files and bad labels: before training
        assert setup is not None  # undecodable files are found when read
        assert ds[0] is not None
        ds[1]
    label = tmp_path / "labels.txt"
    msg = str(info.value)
    assert msg.endswith("found before training") == (setup is None), msg
    assert msg.startswith(f"{label}:2: ")
    assert "Fix or remove the line, or set Train.dataset.skip_bad_samples: True" in msg
    import re
    assert re.search(pattern, msg), msg


def test_skip_mode_returns_none_and_logs(tmp_path, caplog):
    ds, label = _dataset(tmp_path, ["img/0.png\tab", "img/missing.png\tab"], skip_bad_samples=True)
    with caplog.at_level(logging.WARNING):
        assert ds[1] is None
    assert any(f"{label}:2" in r.getMessage() and "image not found" in r.getMessage() for r in caplog.records)


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


def test_bad_samples_are_counted_before_training_when_skipping(tmp_path, caplog):
    ds, _ = _dataset(tmp_path, ["img/0.png\tab", "img/missing.png\tab", "img/1.png\tabcdefg"], skip_bad_samples=True)
    assert "2 bad sample(s) found before training will be skipped" in caplog.text
    assert ds[0] is not None and ds[1] is None and ds[2] is None  # and skipped (counted) when read
