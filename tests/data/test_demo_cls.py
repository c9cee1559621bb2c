"""The text-direction demo set through tools/make_demo_data.py --task cls: PaddleOCR's label format, both classes,
upside-down lines that are 180-degree turns of what the renderer draws, and the same files for the same seed."""
import os
import runpy

import cv2
import numpy as np
import pytest

from ppocr.data.demo.cls import render_cls_line
from ppocr.testing import REPO_ROOT


@pytest.fixture(scope="module")
def cli_main():
    return runpy.run_path(os.path.join(REPO_ROOT, "tools", "make_demo_data.py"))["main"]


def _labels(path):
    return [line.split("\t") for line in open(path, encoding="utf-8").read().splitlines()]


def test_cli_cls_task(cli_main, tmp_path, capsys):
    out = tmp_path / "cls"
    cli_main(["--task", "cls", "--out", str(out), "--train", "12", "--eval", "3"])
    assert "12 train + 3 eval lines (48 px high" in capsys.readouterr().out
    train = _labels(out / "cls_gt_train.txt")
    assert [p for p, _ in train] == [f"train/{i:06d}.png" for i in range(12)]
    assert {c for _, c in train} == {"0", "180"}
    assert len(_labels(out / "cls_gt_eval.txt")) == 3
    for rel, _ in train:
        img = cv2.imread(str(out / rel))
        assert img.shape[0] == 48 and img.shape[1] > 48
    first = (out / "train" / "000000.png").read_bytes()
    cli_main(["--task", "cls", "--out", str(tmp_path / "again"), "--train", "12", "--eval", "3"])
    assert (tmp_path / "again" / "train" / "000000.png").read_bytes() == first


def test_upside_down_is_the_turned_line():
    up = render_cls_line(np.random.default_rng(5), 48, upside_down=False)
    down = render_cls_line(np.random.default_rng(5), 48, upside_down=True)
    np.testing.assert_array_equal(down, up[::-1, ::-1])
