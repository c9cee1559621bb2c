"""Evaluation report for text lines, like kraken's ``ketos test`` and Tesseract's ``lstmeval``.

From the Levenshtein alignment of each (truth, recognised) pair (``rapidfuzz`` editops):

* ``cer`` = character edits / truth characters; ``wer`` = word edits (whitespace-separated tokens)
  / truth words; ``line_accuracy`` = lines recognised exactly / lines.
* per script (the Unicode script of each character from its name's first word, see
  :func:`script_of`): truth characters, errors and accuracy ``1 - errors / characters``. A
  substitution or deletion counts against the truth character's script, an insertion against the
  inserted character's script.
* the most frequent confusions ``(truth, recognised, count)``: a substitution ``('e', 'c')``, a
  deletion ``('e', '')``, an insertion ``('', 'e')``.

``LineReportMetric`` is ``RecMetric`` plus ``wer`` and this report; ``tools/eval.py`` logs the
report and writes it as JSON beside the evaluated weights (``<prefix>.eval_report.json``).

Example:
    >>> r = LineReport()
    >>> r.add("the cat", "the cot")
    >>> r.result()["cer"], r.result()["confusions"][0]
    (0.14285714285714285, {'truth': 'a', 'recognised': 'o', 'count': 1})
"""
from __future__ import annotations

import collections
import json
import logging
import re
import unicodedata
from typing import Any

from rapidfuzz.distance import Levenshtein

from ppocr.metrics.rec_metric import RecMetric
from ppocr.registry import METRICS

logger = logging.getLogger(__name__)

#: First word of a character's Unicode name -> script (the scripts whose names say so).
_SCRIPTS = {w: w.title() for w in (
    "LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "HEBREW", "ARABIC", "SYRIAC", "THAANA", "NKO", "SAMARITAN",
    "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "SINHALA",
    "THAI", "LAO", "TIBETAN", "MYANMAR", "GEORGIAN", "HANGUL", "ETHIOPIC", "CHEROKEE", "OGHAM", "RUNIC", "KHMER",
    "MONGOLIAN", "HIRAGANA", "KATAKANA", "BOPOMOFO", "COPTIC", "GOTHIC", "GLAGOLITIC", "TIFINAGH", "BALINESE",
    "JAVANESE", "TAGALOG", "VAI", "YI", "CANADIAN")}
_SCRIPTS.update({"CJK": "Han", "KANGXI": "Han", "OLD": None})
_SPLIT = re.compile(r"[ -]")


def script_of(ch: str) -> str:
    """The script of one character: ``'Latin'``, ``'Han'``, ... from its Unicode name;
    ``'Inherited'`` for combining marks, ``'Common'`` for digits, punctuation, spaces and symbols
    whose name names no script, ``'Unknown'`` for unnamed code points."""
    name = unicodedata.name(ch, "")
    if not name:
        return "Unknown"
    words = _SPLIT.split(name)
    script = _SCRIPTS.get(words[0], "")
    if script is None and len(words) > 1:  # OLD ITALIC, OLD PERSIAN, ...
        return f"Old {words[1].title()}"
    if script:
        return script
    if "IDEOGRAPH" in name and "DESCRIPTION" not in name:
        return "Han"
    return "Inherited" if unicodedata.category(ch).startswith("M") else "Common"


def char_errors(truth: str, pred: str) -> int:
    return Levenshtein.distance(truth, pred)


def word_errors(truth: str, pred: str) -> int:
    return Levenshtein.distance(truth.split(), pred.split())


def align(truth: str, pred: str, gap: str = "_") -> tuple[str, str]:
    """``truth`` and ``pred`` padded with ``gap`` where the other has an insertion, so equal
    positions face each other (a minimal Levenshtein alignment)."""
    a_t, a_p = [], []
    i = j = 0
    for tag, si, di in Levenshtein.editops(truth, pred).as_list():
        while i < si and j < di:
            a_t.append(truth[i])
            a_p.append(pred[j])
            i, j = i + 1, j + 1
        if tag == "replace":
            a_t.append(truth[i])
            a_p.append(pred[j])
            i, j = i + 1, j + 1
        elif tag == "delete":
            a_t.append(truth[i])
            a_p.append(gap)
            i += 1
        else:
            a_t.append(gap)
            a_p.append(pred[j])
            j += 1
    a_t.extend(truth[i:])
    a_p.extend(pred[j:])
    return "".join(a_t), "".join(a_p)


class LineReport:
    """Accumulates (truth, recognised) pairs; :meth:`result` gives the report as a dict."""

    def __init__(self, top_confusions: int = 20):
        self.top = int(top_confusions)
        self.reset()

    def reset(self) -> None:
        self.lines = self.perfect = self.chars = self.edits = self.words = self.word_edits = 0
        self.ops = collections.Counter()
        self.script_chars: collections.Counter = collections.Counter()
        self.script_errors: collections.Counter = collections.Counter()
        self.confusions: collections.Counter = collections.Counter()

    def add(self, truth: str, pred: str) -> None:
        self.lines += 1
        self.perfect += truth == pred
        self.chars += len(truth)
        self.words += len(truth.split())
        self.word_edits += word_errors(truth, pred)
        self.script_chars.update(script_of(c) for c in truth)
        for tag, si, di in Levenshtein.editops(truth, pred).as_list():
            self.edits += 1
            self.ops[tag] += 1
            t = truth[si] if tag != "insert" else ""
            p = pred[di] if tag != "delete" else ""
            self.script_errors[script_of(t or p)] += 1
            self.confusions[(t, p)] += 1

    def result(self) -> dict[str, Any]:
        def rate(errors, total):
            return errors / total if total else float(errors)

        scripts = {}
        for s in sorted(set(self.script_chars) | set(self.script_errors), key=lambda s: -self.script_chars[s]):
            n, e = self.script_chars[s], self.script_errors[s]
            scripts[s] = {"characters": n, "errors": e, "accuracy": 1.0 - rate(e, n) if n else 0.0}
        return {
            "lines": self.lines, "perfect_lines": self.perfect,
            "line_accuracy": self.perfect / self.lines if self.lines else 0.0,
            "characters": self.chars, "errors": self.edits, "cer": rate(self.edits, self.chars),
            "char_accuracy": 1.0 - rate(self.edits, self.chars),
            "words": self.words, "word_errors": self.word_edits, "wer": rate(self.word_edits, self.words),
            "substitutions": self.ops["replace"], "deletions": self.ops["delete"], "insertions": self.ops["insert"],
            "scripts": scripts,
            "confusions": [{"truth": t, "recognised": p, "count": c}
                           for (t, p), c in sorted(self.confusions.items(), key=lambda kv: (-kv[1], kv[0]))[:self.top]],
        }


def format_report(r: dict[str, Any]) -> str:
    """The report as text (the layout of ``ketos test``)."""
    out = [f"=== {r['lines']} lines, {r['characters']} characters, {r['words']} words ===",
           f"character accuracy {100 * r['char_accuracy']:.2f}% (CER {100 * r['cer']:.2f}%: {r['errors']} errors = "
           f"{r['substitutions']} substitutions, {r['deletions']} deletions, {r['insertions']} insertions)",
           f"word error rate {100 * r['wer']:.2f}% ({r['word_errors']} of {r['words']} words)",
           f"lines recognised exactly {r['perfect_lines']} ({100 * r['line_accuracy']:.2f}%)",
           "accuracy per script:"]
    for s, v in r["scripts"].items():
        out.append(f"  {s:<12} {v['characters']:>8} characters {v['errors']:>6} errors  {100 * v['accuracy']:.2f}%")
    out.append("most frequent confusions (truth -> recognised, count; '' = missing):")
    for c in r["confusions"]:
        out.append(f"  {c['truth']!r:>8} -> {c['recognised']!r:<8} {c['count']}")
    return "\n".join(out)


@METRICS.register()
class LineReportMetric(RecMetric):
    """``RecMetric`` (``acc``, ``norm_edit_dis``, ``cer``) plus ``wer`` and the full line report.

    After :meth:`get_metric`, ``last_report`` holds the report dict of what was scored.

    Args:
        main_indicator, is_filter, ignore_space: as ``RecMetric`` (the report sees the same
            normalised texts).
        top_confusions: how many confusions the report lists.
    """

    def __init__(self, main_indicator: str = "acc", is_filter: bool = False, ignore_space: bool = True,
                 top_confusions: int = 20):
        self.report = LineReport(top_confusions)
        self.last_report: dict | None = None
        super().__init__(main_indicator, is_filter, ignore_space)

    def __call__(self, pred_label, batch: Any = None) -> dict[str, float]:
        out = super().__call__(pred_label, batch)
        for (pred, _), (truth, _) in zip(*pred_label):
            self.report.add(self._normalize(truth), self._normalize(pred))
        return out

    def get_metric(self) -> dict[str, float]:
        report = self.report.result()
        result = super().get_metric()
        result["wer"] = report["wer"]
        self.last_report = report
        return result

    def reset(self) -> None:
        super().reset()
        self.report.reset()

    def write_report(self, path: str) -> None:
        """Log :attr:`last_report` as text and write it to ``path`` as JSON."""
        if self.last_report is None:
            return
        logger.info("evaluation report\n%s", format_report(self.last_report))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.last_report, f, ensure_ascii=False, indent=1)
        logger.info("report written to %s", path)
