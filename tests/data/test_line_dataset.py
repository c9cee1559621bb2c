"""LineDataSet (image + .gt.txt) and what every line dataset shares: listing, skips, partition, order,
and batching lines of different widths with ``loader.collate: pad``."""
import logging

import cv2
import numpy as np
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.data import build_dataloader
from ppocr.data.vgsl_line_dataset import LineDataSet, interleave, partition_groups
from ppocr.vgsl.codec import Codec
from ppocr.utils.errors import DataError

OPS = [{"VGSLLabelEncode": None}, {"VGSLResizeLine": {"image_shape": [1, 16, 0]}},
       {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]


def _line(path, text, width=60, height=20, ext=".png"):
    img = np.full((height, width), 255, np.uint8)
    cv2.putText(img, text[:6], (2, height - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
    cv2.imwrite(str(path) + ext, img)
    (path.parent / (path.name + ".gt.txt")).write_text(text + "\n", encoding="utf-8")


@pytest.fixture
def lines(tmp_path):
    d = tmp_path / "gt"
    d.mkdir()
    for i in range(6):
        _line(d / f"l{i}", f"line {i} text", width=40 + 10 * i, ext=".png" if i % 2 else ".tif")
    return d


def test_pairs_are_read_from_a_folder(lines):
    ds = LineDataSet(str(lines), transforms=None)
    assert len(ds) == 6 and ds.skip_counts == {}
    assert sorted(ds.texts()) == [f"line {i} text" for i in range(6)]
    sample = ds[0]
    assert sample["label"] == "line 0 text" and sample["image"].dtype == np.uint8
    assert sample["image"].shape == (20, 40) and sample["img_path"].endswith("l0.gt.txt:1")


def test_glob_of_images_and_list_file_and_kraken_infix(lines, tmp_path):
    assert len(LineDataSet(str(lines / "*.png"), transforms=None)) == 3
    listing = tmp_path / "train.txt"
    listing.write_text("gt/l1.png\ngt/l2.tif\n# comment\n\n", encoding="utf-8")
    assert [s.text for s in LineDataSet(str(listing), transforms=None).samples] == ["line 1 text", "line 2 text"]
    cv2.imwrite(str(lines / "k.bin.png"), np.full((10, 30), 255, np.uint8))
    (lines / "k.gt.txt").write_text("kraken", encoding="utf-8")
    assert "kraken" in LineDataSet(str(lines), transforms=None).texts()


def test_gt_without_image_is_an_error_or_a_counted_skip(lines, caplog):
    (lines / "orphan.gt.txt").write_text("no image", encoding="utf-8")
    with pytest.raises(DataError, match=r"orphan\.gt\.txt:1: no image next to it.*skip_bad_samples"):
        LineDataSet(str(lines), transforms=None)
    _line(lines / "empty", "x")
    (lines / "empty.gt.txt").write_text(" \n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        ds = LineDataSet(str(lines), transforms=None, skip_bad_samples=True)
    assert len(ds) == 6
    assert ds.skip_counts == {"gt.txt without image": 1, "empty transcription": 1}
    assert "skipped 2 line(s) while listing" in caplog.text


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        LineDataSet(str(tmp_path / "nope"), transforms=None)
    with pytest.raises(DataError, match="matches no file"):
        LineDataSet(str(tmp_path / "*.gt.txt"), transforms=None)
    with pytest.raises(TypeError, match="data must be"):
        LineDataSet([], transforms=None)


def test_partition_is_seeded_disjoint_and_order_independent(lines, tmp_path):
    more = tmp_path / "more"
    more.mkdir()
    for i in range(14):
        _line(more / f"m{i:02d}", f"more {i}")
    data = [str(lines), str(more)]
    train = LineDataSet(data, transforms=None, mode="Train", seed=3, partition=0.75)
    valid = LineDataSet(data, transforms=None, mode="Eval", seed=3, partition=0.75)
    again = LineDataSet(data[::-1], transforms=None, mode="Train", seed=3, partition=0.75)
    other = LineDataSet(data, transforms=None, mode="Train", seed=4, partition=0.75)
    names = lambda ds: {s.group for s in ds.samples}  # noqa: E731
    assert len(train) == 15 and len(valid) == 5
    assert not names(train) & names(valid) and len(names(train) | names(valid)) == 20
    assert names(again) == names(train) and names(other) != names(train)
    with pytest.raises(ValueError, match="partition"):
        LineDataSet(data, transforms=None, partition=1.0)


def test_round_robin_interleaves_sources():
    assert interleave([[1, 2, 3], [10], [20, 21]], "round_robin") == [1, 10, 20, 2, 21, 3]
    assert interleave([[1, 2, 3], [10], [20, 21]], "sequential") == [1, 2, 3, 10, 20, 21]
    assert partition_groups(["a"], 0.9, 0) == {"a"}


def test_round_robin_over_data_entries(lines, tmp_path):
    other = tmp_path / "o"
    other.mkdir()
    for i in range(2):
        _line(other / f"o{i}", f"other {i}")
    rr = LineDataSet([str(lines), str(other)], transforms=None)
    seq = LineDataSet([str(lines), str(other)], transforms=None, order="sequential")
    assert [s.text for s in rr.samples][:4] == ["line 0 text", "other 0", "line 1 text", "other 1"]
    assert [s.text for s in seq.samples][-2:] == ["other 0", "other 1"]


def test_pad_collate_batches_lines_of_different_widths(lines):
    codec = Codec.from_texts(["line 0123456789 text"])
    cfg = {"Global": {}, "Train": {"dataset": {"name": "LineDataSet", "data": [str(lines)], "transforms": OPS},
                                   "loader": {"batch_size_per_card": 3, "shuffle": False, "collate": "pad"}}}
    loader = build_dataloader(cfg, "Train", cfg["Global"], seed=0)
    for op in loader.dataset.ops.ops[:1]:
        op.set_codec(codec)
    batches = [{k: np.asarray(v) for k, v in b.items()} for b in loader]
    # widths 40..90 px at height 20 -> 32..72 px at height 16; each batch padded to its widest line
    assert [b["image"].shape for b in batches] == [(3, 1, 16, 48), (3, 1, 16, 72)]
    assert batches[0]["image"][0, 0, :, 32:].max() == 0.0  # padding is background (0 after inversion)
    assert batches[0]["label"].shape == (3, 11) and batches[0]["length"].tolist() == [11, 11, 11]
    cfg["Train"]["loader"]["collate"] = "stack"
    loader = build_dataloader(cfg, "Train", cfg["Global"], seed=0)
    loader.dataset.ops.ops[0].set_codec(codec)
    with pytest.raises(DataError, match="collate: pad"):
        next(iter(loader))


def test_encoding_failed_is_skipped_and_counted_with_characters_named(lines, caplog):
    _line(lines / "z", "zürich")
    codec = Codec.from_texts([f"line {i} text" for i in range(6)])
    ds = LineDataSet(str(lines), transforms=OPS, skip_bad_samples=True)
    ds.ops.ops[0].set_codec(codec)
    with caplog.at_level(logging.WARNING, logger="ppocr"):
        out = [ds[i] for i in range(len(ds))]
    assert sum(o is None for o in out) == 1
    assert "encoding failed" in caplog.text and "'z' U+007A" in caplog.text and "'ü' U+00FC" in caplog.text


def test_bucket_by_length_batches_similar_lines_reproducibly():
    from ppocr.data import SeededBatchSampler

    lengths = [int(v) for v in np.random.RandomState(0).randint(20, 61, size=203)]
    data = list(range(203))

    def batches(epoch, start=0):
        s = SeededBatchSampler(data, 4, num_replicas=1, rank=0, shuffle=True, seed=3, lengths=lengths)
        s.POOL_BATCHES = 8
        s.set_epoch(epoch, start)
        return list(s)

    first = batches(1)
    assert sorted(i for b in first for i in b) == data and len(first) == 51 and len(first[-1]) == 3
    assert first == batches(1) and first != batches(2) and batches(1, start=5) == first[5:]
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in first[:-1]])
    assert spread < 4  # random batches of 4 from 20..60 spread about 24 characters
    with pytest.raises(ValueError, match="lengths has 3 values"):
        SeededBatchSampler(data, 4, num_replicas=1, rank=0, lengths=[1, 2, 3])


def test_a_truncated_line_image_is_found_before_training(lines):
    data = (lines / "l1.png").read_bytes()
    (lines / "l1.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError, match=r"1 truncated image \(.*l1\.gt\.txt:1: PNG without its end marker"):
        LineDataSet(str(lines), transforms=None)
    ds = LineDataSet(str(lines), transforms=None, skip_bad_samples=True)
    assert len(ds) == 5 and ds.excluded == 1
