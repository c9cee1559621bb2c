"""Compiled .lines files: round trip, partition like the sources, damaged files, and the CLI."""
import os
import pickle
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ppocr.data.vgsl_compiled_dataset import CompiledLineDataSet, compile_lines, read_index, scale_line
from ppocr.data.vgsl_line_dataset import LineDataSet
from ppocr.testing import REPO_ROOT
from ppocr.utils.errors import DataError


@pytest.fixture
def lines(tmp_path):
    rng = np.random.RandomState(0)
    d = tmp_path / "gt"
    d.mkdir()
    for i in range(10):
        img = rng.randint(0, 256, (20 + i, 30 + 7 * i, 3), dtype=np.uint8)
        cv2.imwrite(str(d / f"l{i}.png"), img)
        (d / f"l{i}.gt.txt").write_text(f"text {i}", encoding="utf-8")
    (d / "orphan.gt.txt").write_text("no image", encoding="utf-8")
    return d


def test_round_trip_keeps_text_and_scaled_pixels(lines, tmp_path):
    src = LineDataSet(str(lines), transforms=None, skip_bad_samples=True)
    out = str(tmp_path / "all.lines")
    stats = compile_lines(src, out, height=16, channels=1)
    assert stats["lines"] == 10 and stats["reasons"] == {"gt.txt without image": 1}
    ds = CompiledLineDataSet(out, transforms=None)
    assert ds.texts() == src.texts() and ds.files_info[out]["height"] == 16
    for i in range(10):
        expected = scale_line(src[i]["image"], 16, 1)
        got = ds[i]
        assert got["image"].shape[0] == 16 and got["label"] == src[i]["label"]
        np.testing.assert_array_equal(got["image"], expected)
    assert ds[3]["img_path"] == src[3]["img_path"]
    colour = str(tmp_path / "colour.lines")
    compile_lines(src, colour, height=0, channels=3)
    np.testing.assert_array_equal(CompiledLineDataSet(colour, transforms=None)[2]["image"], src[2]["image"])
    assert pickle.loads(pickle.dumps(ds))[1]["label"] == "text 1"  # workers reopen the memory map


def test_partition_of_compiled_file_matches_sources(lines, tmp_path):
    out = str(tmp_path / "all.lines")
    compile_lines(LineDataSet(str(lines), transforms=None, skip_bad_samples=True), out, height=16)
    for mode in ("Train", "Eval"):
        a = LineDataSet(str(lines), transforms=None, skip_bad_samples=True, partition=0.7, seed=5, mode=mode)
        b = CompiledLineDataSet(out, transforms=None, partition=0.7, seed=5, mode=mode)
        assert sorted(a.texts()) == sorted(b.texts())


def test_damaged_files_are_clear_errors(lines, tmp_path):
    out = tmp_path / "all.lines"
    compile_lines(LineDataSet(str(lines), transforms=None, skip_bad_samples=True), str(out))
    data = out.read_bytes()
    (tmp_path / "cut.lines").write_bytes(data[:-5])
    with pytest.raises(DataError, match="truncated or damaged"):
        read_index(str(tmp_path / "cut.lines"))
    (tmp_path / "x.lines").write_bytes(b"hello")
    with pytest.raises(DataError, match="not a compiled line file"):
        CompiledLineDataSet(str(tmp_path / "x.lines"), transforms=None)


def test_cli(lines, tmp_path):
    out = tmp_path / "cli.lines"
    r = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "compile_lines.py"), "--height", "12",
                        "-o", str(out), str(lines)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "10 lines" in r.stdout and "1 gt.txt without image" in r.stdout
    assert len(CompiledLineDataSet(str(out), transforms=None)) == 10
