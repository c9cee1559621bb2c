"""FUNSD and XFUND converters reproduce hand-checked label lines; the CLIs take paths as arguments."""
import importlib.util
import json
import os

import pytest

from ppocr.utils.errors import DataError
from ppocr.kie.convert import funsd_dir_to_lines, funsd_to_entries, xfund_to_lines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _word(text, box):
    return {"text": text, "box": box}


FUNSD_FORM = {"form": [
    {"id": 0, "text": "Name:", "label": "question", "box": [10, 10, 50, 20], "linking": [[0, 1]],
     "words": [_word("Name:", [10, 10, 50, 20])]},
    # wraps onto a second line: "12" starts left of "Smith"'s right edge
    {"id": 1, "text": "John Smith 12 Main", "label": "answer", "box": [60, 10, 170, 35], "linking": [[0, 1]],
     "words": [_word("John", [100, 10, 130, 20]), _word("Smith", [135, 10, 170, 20]),
               _word("12", [60, 25, 70, 35]), _word("Main", [75, 25, 100, 35])]},
    {"id": 2, "text": "", "label": "other", "box": [0, 0, 5, 5], "linking": [], "words": [_word("", [0, 0, 5, 5])]},
    {"id": 3, "text": " TITLE", "label": "header", "box": [5, 40, 60, 50], "linking": [],
     "words": [_word("", [5, 40, 8, 50]), _word("TITLE", [10, 41, 60, 50])]},
    {"id": 4, "text": "A  B", "label": "other", "box": [10, 60, 40, 70], "linking": [[4, 2]],
     "words": [_word("A", [10, 60, 15, 70]), _word("", [18, 61, 20, 69]), _word("B", [25, 60, 40, 70])]},
]}

# Checked by hand against the rules in ppocr/kie/convert.py (and PaddleOCR's FUNSD labels).
FUNSD_LINE = (
    'form1.png\t[{"transcription": "Name:", "label": "question", "points": [[10, 10], [50, 10], [50, 20], [10, 20]], '
    '"linking": [[0, 1], [0, 2]], "id": 0}, '
    '{"transcription": "John Smith", "label": "answer", "points": [[100, 10], [170, 10], [170, 20], [100, 20]], '
    '"linking": [[0, 1], [0, 2]], "id": 1}, '
    '{"transcription": "12 Main", "label": "answer", "points": [[60, 25], [100, 25], [100, 35], [60, 35]], '
    '"linking": [[0, 1], [0, 2]], "id": 2}, '
    '{"transcription": "A  B", "label": "other", "points": [[10, 60], [40, 60], [40, 70], [10, 70]], '
    '"linking": [], "id": 3}]')

XFUND = {"lang": "zh", "documents": [{
    "id": "zh_train_0", "img": {"fname": "zh_train_0.jpg", "width": 600, "height": 400},
    "document": [
        {"box": [104, 114, 530, 175], "text": "汇丰晋信", "label": "other", "words": [], "linking": [], "id": 1},
        {"box": [126, 267, 266, 305], "text": "受理时间:", "label": "question", "words": [], "linking": [[7, 13]], "id": 7},
        {"box": [321, 239, 537, 285], "text": "2020.6.15", "label": "answer", "words": [], "linking": [[7, 13]], "id": 13}]}]}

XFUND_LINE = (
    'zh_train_0.jpg\t[{"transcription": "汇丰晋信", "label": "other", "points": [[104, 114], [530, 114], [530, 175], '
    '[104, 175]], "id": 1, "linking": []}, {"transcription": "受理时间:", "label": "question", "points": [[126, 267], '
    '[266, 267], [266, 305], [126, 305]], "id": 7, "linking": [[7, 13]]}, {"transcription": "2020.6.15", "label": '
    '"answer", "points": [[321, 239], [537, 239], [537, 285], [321, 285]], "id": 13, "linking": [[7, 13]]}]')


def _funsd_dir(tmp_path):
    d = tmp_path / "annotations"
    d.mkdir()
    (d / "form1.json").write_text(json.dumps(FUNSD_FORM), encoding="utf-8")
    return str(d)


def test_funsd_lines_match_hand_checked(tmp_path):
    assert funsd_dir_to_lines(_funsd_dir(tmp_path)) == [FUNSD_LINE]


def test_funsd_without_compat_keeps_text_after_empty_words():
    entries = funsd_to_entries(FUNSD_FORM["form"], paddleocr_compat=False)
    assert [e["transcription"] for e in entries] == ["Name:", "John Smith", "12 Main", "TITLE", "A B"]
    assert entries[3]["points"] == [[10, 41], [60, 41], [60, 50], [10, 50]]


def test_xfund_lines_match_hand_checked():
    assert xfund_to_lines(XFUND) == [XFUND_LINE]


def test_converters_reject_bad_input(tmp_path):
    with pytest.raises(DataError, match="documents"):
        xfund_to_lines({"form": []})
    with pytest.raises(DataError, match="has no 'label'"):
        funsd_to_entries([{"id": 0, "text": "a", "box": [0, 0, 1, 1]}])
    with pytest.raises(DataError, match="does not exist"):
        funsd_dir_to_lines(str(tmp_path / "missing"))


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "ppstructure", "kie", "tools", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_tools_write_label_files(tmp_path):
    out = tmp_path / "out" / "train.json"
    assert _load_tool("trans_funsd_label").main(["--anno_dir", _funsd_dir(tmp_path), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == FUNSD_LINE + "\n"
    src = tmp_path / "zh.train.json"
    src.write_text(json.dumps(XFUND, ensure_ascii=False), encoding="utf-8")
    out2 = tmp_path / "xfund.txt"
    assert _load_tool("trans_xfun_data").main(["--input", str(src), "--output", str(out2)]) == 0
    assert out2.read_text(encoding="utf-8") == XFUND_LINE + "\n"
    assert _load_tool("trans_xfun_data").main(["--input", str(tmp_path / "nope.json"), "--output", str(out2)]) == 2


def test_funsd_tool_holds_out_every_nth_form(tmp_path):
    d = tmp_path / "annotations"
    d.mkdir()
    for i in (3, 0, 5, 1, 4, 2):            # written out of order: the split follows the sorted names
        (d / f"form{i}.json").write_text(json.dumps(FUNSD_FORM), encoding="utf-8")
    train, held = tmp_path / "train.json", tmp_path / "eval.json"
    tool = _load_tool("trans_funsd_label")
    assert tool.main(["--anno_dir", str(d), "--output", str(train), "--eval_every", "3", "--eval_output", str(held)]) == 0
    names = lambda p: [ln.split("\t")[0] for ln in p.read_text(encoding="utf-8").splitlines()]  # noqa: E731
    assert names(held) == ["form2.png", "form5.png"]
    assert names(train) == ["form0.png", "form1.png", "form3.png", "form4.png"]
    with pytest.raises(SystemExit):
        tool.main(["--anno_dir", str(d), "--output", str(train), "--eval_every", "3"])
