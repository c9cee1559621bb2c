"""The text-line demo set through tools/make_demo_data.py --task lines: .png + .gt.txt pairs, faces, height."""
import os
import runpy

import cv2
import pytest

from ppocr.testing import REPO_ROOT


@pytest.fixture(scope="module")
def cli_main():
    return runpy.run_path(os.path.join(REPO_ROOT, "tools", "make_demo_data.py"))["main"]


def _pairs(folder):
    names = sorted(os.listdir(folder))
    stems = sorted(n[:-len(".png")] for n in names if n.endswith(".png"))
    assert names == sorted([s + ".png" for s in stems] + [s + ".gt.txt" for s in stems])
    return stems


def test_cli_lines_task_writes_pairs(cli_main, tmp_path, capsys):
    out = tmp_path / "lines"
    cli_main(["--task", "lines", "--out", str(out), "--train", "3", "--eval", "2", "--height", "24"])
    assert "3 train + 2 eval lines (24 px high" in capsys.readouterr().out
    for split, count in (("train", 3), ("eval", 2)):
        stems = _pairs(out / split)
        assert stems == [f"{i:06d}" for i in range(count)]
        for stem in stems:
            text = (out / split / f"{stem}.gt.txt").read_text(encoding="utf-8")
            assert text.endswith("\n") and text.strip() and "\n" not in text[:-1]
            img = cv2.imread(str(out / split / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
            assert img.ndim == 2 and img.shape[0] == 24 and img.shape[1] > img.shape[0]


def test_cli_lines_held_out_face_and_option_errors(cli_main, tmp_path, capsys):
    cli_main(["--task", "lines", "--out", str(tmp_path / "held"), "--train", "1", "--eval", "1",
              "--held_out_face", "triplex"])
    assert "eval face triplex, unseen in training" in capsys.readouterr().out
    assert _pairs(tmp_path / "held" / "eval") == ["000000"]
    for argv in (["--task", "det", "--held_out_face", "triplex"], ["--task", "kie", "--height", "40"],
                 ["--task", "lines", "--held_out_face", "gothic"]):
        with pytest.raises(SystemExit):
            cli_main(argv + ["--out", str(tmp_path / "unused")])
    assert not (tmp_path / "unused").exists()
