"""BoxLineDataSet: Tesseract .box files (WordStr and per-character) with .tif pages, several lines and pages."""
import cv2
import numpy as np
import pytest

from ppocr.data.vgsl_box_dataset import BoxFileError, BoxLineDataSet, parse_box_file
from ppocr.utils.errors import DataError

H, W = 60, 120


def _page(value):
    """A page whose every pixel encodes its position, so a crop shows where it came from."""
    yy, xx = np.mgrid[0:H, 0:W]
    return ((yy * 2 + xx + value) % 251).astype(np.uint8)


WORDSTR = "WordStr 10 35 100 55 0 #The first line\n\t 101 35 102 55 0\nWordStr 5 2 90 25 0 #line two\n\t 91 2 92 25 0\n"
CHARS = ("a 10 40 20 50 0\n  20 40 24 50 0\nb 24 38 34 52 0\n\t 35 40 36 50 0\n"
         "c 10 10 20 20 1\nd 21 12 30 22 1\n\t 31 10 32 20 1\n")


def test_parse_wordstr_and_character_boxes():
    lines = parse_box_file(WORDSTR)
    assert [(l.line_no, l.page, l.box, l.text) for l in lines] == [
        (1, 0, (10, 35, 100, 55), "The first line"), (3, 0, (5, 2, 90, 25), "line two")]
    lines = parse_box_file(CHARS)
    assert [(l.page, l.box, l.text) for l in lines] == [(0, (10, 38, 34, 52), "a b"), (1, (10, 10, 30, 22), "cd")]
    # digits as symbols, five-field boxes, and a legacy file without TAB boxes split by position
    legacy = "1 10 40 20 50\n2 21 40 30 50\n3 10 10 20 20\n"
    assert [(l.text, l.box) for l in parse_box_file(legacy)] == [("12", (10, 40, 30, 50)), ("3", (10, 10, 20, 20))]
    with pytest.raises(BoxFileError, match="expected 'SYMBOL") as e:
        parse_box_file("a 1 2 3\n")
    assert e.value.line_no == 1


def test_lines_are_cut_with_bottom_left_origin(tmp_path):
    cv2.imwrite(str(tmp_path / "p.tif"), _page(0))
    (tmp_path / "p.box").write_text(WORDSTR, encoding="utf-8")
    ds = BoxLineDataSet(str(tmp_path), transforms=None)
    assert ds.texts() == ["The first line", "line two"]
    first = ds[0]
    # box left 10, bottom 35, right 100, top 55 -> rows H-55..H-35, columns 10..100
    np.testing.assert_array_equal(first["image"], _page(0)[H - 55:H - 35, 10:100])
    assert first["img_path"].endswith("p.box:1")


def test_multi_page_tif_and_pad(tmp_path):
    cv2.imwritemulti(str(tmp_path / "m.tif"), [_page(0), _page(7)])
    (tmp_path / "m.box").write_text(CHARS, encoding="utf-8")
    ds = BoxLineDataSet(str(tmp_path / "m.box"), transforms=None, pad=1)
    np.testing.assert_array_equal(ds[0]["image"], _page(0)[H - 53:H - 37, 9:35])
    np.testing.assert_array_equal(ds[1]["image"], _page(7)[H - 23:H - 9, 9:31])


def test_bad_boxes_are_errors_or_counted_skips(tmp_path):
    cv2.imwrite(str(tmp_path / "p.png"), _page(0))
    (tmp_path / "p.box").write_text("WordStr 200 0 300 10 0 #outside\n\t 1 1 2 2 0\nWordStr 1 1 9 9 0 # \n",
                                    encoding="utf-8")
    (tmp_path / "lost.box").write_text(WORDSTR, encoding="utf-8")
    with pytest.raises(DataError, match="lost.box:1: no page image"):
        BoxLineDataSet(str(tmp_path), transforms=None)
    ds = BoxLineDataSet(str(tmp_path), transforms=None, skip_bad_samples=True)
    assert ds.skip_counts == {"box without image": 1, "empty transcription": 1}
    assert ds[0] is None  # the box lies outside the page: skipped when loaded (the loader counts it)
    (tmp_path / "p.box").write_text("WordStr 200 0 300 10 0 #outside\n", encoding="utf-8")
    with pytest.raises(DataError, match="lies outside page 0"):
        BoxLineDataSet(str(tmp_path / "p.box"), transforms=None)[0]
