"""Scoring the end-to-end OCR system against a labelled detection set: words in reading order."""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from typing import Sequence

from rapidfuzz.distance import Levenshtein

from ppocr.inference.predict_system import TextSystem, label_reading_order, read_page
from ppocr.utils.errors import ConfigError


def load_labels(label_file: str, data_dir: str) -> list[tuple[str, list[str]]]:
    """``[(image path, words in reading order)]`` from a PaddleOCR det label file."""
    pages = []
    with open(label_file, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            name, _, regions = line.rstrip("\n").partition("\t")
            try:
                words = label_reading_order(json.loads(regions))
            except (ValueError, KeyError, TypeError) as e:
                raise ConfigError(f"{label_file}:{line_no}: expected "
                                  f"'image<TAB>[{{\"transcription\", \"points\"}}, ...]' ({e})") from e
            pages.append((os.path.join(data_dir, name), words))
    return pages


def score_pages(pages: Sequence[tuple[str, list[str]]], system: TextSystem, lower: bool = False) -> dict:
    """Word errors of the system's reading against each page's label words.

    The word error count of a page is the Levenshtein distance between the label words (reading order) and
    the system's words (its output order), so a word out of place costs as much as a misread one.
    ``found_any_order`` is the share of label words the system read right, wherever it put them.
    """
    errors = words = exact = found = 0
    t0 = time.perf_counter()
    worst = []
    for path, truth in pages:
        got = [r["transcription"] for r in read_page(path, system=system)]
        if lower:
            truth, got = [w.lower() for w in truth], [w.lower() for w in got]
        e = Levenshtein.distance(truth, got)
        found += sum((Counter(truth) & Counter(got)).values())
        errors, words, exact = errors + e, words + len(truth), exact + (e == 0)
        worst.append((e, os.path.basename(path)))
    seconds = time.perf_counter() - t0
    return {"pages": len(pages), "words": words, "word_errors": errors, "wer": errors / max(words, 1),
            "found_any_order": found / max(words, 1), "page_exact": exact / max(len(pages), 1),
            "seconds_per_page": seconds / max(len(pages), 1),
            "worst": sorted(worst, reverse=True)[:5]}
