"""Line evaluation report (ketos test / lstmeval): hand-checked CER, WER, per-script accuracy, confusions."""
import json

import pytest

from ppocr.metrics import build_metric
from ppocr.metrics.line_report import LineReport, align, format_report, script_of

PAIRS = [("the cat", "the cot"),   # substitution a->o (Latin); 1 of 2 words wrong
         ("abc", "abcd"),          # insertion d (Latin)
         ("h\u00e9llo", "hllo"),   # deletion of e-acute (Latin)
         ("\u03b1\u03b2", "\u03b1\u03b2"),  # Greek, perfect
         ("12", "13")]             # substitution 2->3 (Common)


def test_report_numbers():
    r = LineReport()
    for truth, pred in PAIRS:
        r.add(truth, pred)
    out = r.result()
    assert (out["lines"], out["perfect_lines"], out["characters"], out["errors"]) == (5, 1, 19, 4)
    assert out["cer"] == pytest.approx(4 / 19) and out["char_accuracy"] == pytest.approx(15 / 19)
    assert (out["words"], out["word_errors"]) == (6, 4) and out["wer"] == pytest.approx(4 / 6)
    assert (out["substitutions"], out["deletions"], out["insertions"]) == (2, 1, 1)
    assert out["scripts"] == {"Latin": {"characters": 14, "errors": 3, "accuracy": pytest.approx(11 / 14)},
                              "Common": {"characters": 3, "errors": 1, "accuracy": pytest.approx(2 / 3)},
                              "Greek": {"characters": 2, "errors": 0, "accuracy": 1.0}}
    assert [(c["truth"], c["recognised"], c["count"]) for c in out["confusions"]] == [
        ("", "d", 1), ("2", "3", 1), ("a", "o", 1), ("\u00e9", "", 1)]
    text = format_report(out)
    assert "CER 21.05%" in text and "word error rate 66.67%" in text and "Latin" in text


def test_confusion_counts_and_top():
    r = LineReport(top_confusions=1)
    for truth, pred in [("ee", "cc"), ("e", "c"), ("l", "1")]:
        r.add(truth, pred)
    assert r.result()["confusions"] == [{"truth": "e", "recognised": "c", "count": 3}]


def test_align_and_scripts():
    assert align("abc", "abxc") == ("ab_c", "abxc")
    assert align("hello", "hllo") == ("hello", "h_llo")
    assert align("cat", "cot") == ("cat", "cot")
    assert [script_of(c) for c in "a\u0436\u4e2d\ud55c\u093e\u0301 1\u0639\ue000"] == [
        "Latin", "Cyrillic", "Han", "Hangul", "Devanagari", "Inherited", "Common", "Common", "Arabic", "Unknown"]


def test_line_report_metric(tmp_path):
    metric = build_metric({"name": "LineReportMetric", "main_indicator": "norm_edit_dis", "ignore_space": False})
    metric(([("the cot", 0.9), ("abc", 0.8)], [("the cat", 1.0), ("abc", 1.0)]))
    out = metric.get_metric()
    assert out["cer"] == pytest.approx(1 / 10) and out["wer"] == pytest.approx(1 / 3) and out["acc"] == 0.5
    assert metric.last_report["lines"] == 2
    metric.write_report(str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["confusions"][0]["truth"] == "a"
    assert metric.get_metric()["cer"] == 0.0 and metric.last_report["lines"] == 0  # reset after get_metric
