"""Holding our predictors' results against PaddleOCR's own (``system_results.txt`` and ``predict_rec`` logs).

Both the parity benchmark (``benchmarks/paddleocr_parity.py``) and the parity tests compare through these
functions, so "the same result" means one thing:

* **boxes** are matched one to one, greedily by IoU (highest first), and a pair counts when its IoU is at
  least :data:`MATCH_IOU`; the vertex difference of a pair is the largest coordinate difference after
  aligning the two quads' starting vertices (the smallest over the four cyclic shifts), so the comparison
  does not depend on which corner each side lists first;
* **text** of a matched pair is the same when the two transcriptions are equal strings;
* **recognition** results are the same when the texts are equal.

Example:
    >>> theirs = read_system_results("reference/system_results.txt")
    >>> ours = {name: [{"transcription": ..., "points": ...}, ...] for name in theirs}
    >>> compare_system(ours, theirs)["same_text"]
    148
"""
from __future__ import annotations

import ast
import json
import re
from typing import Any, Mapping, Sequence

import numpy as np
from shapely.geometry import Polygon

#: Two boxes are the same detection when their IoU is at least this.
MATCH_IOU = 0.5


def read_system_results(path: str) -> dict[str, list[dict[str, Any]]]:
    """Read a ``system_results.txt`` (``NAME<TAB>[{"transcription", "points"}, ...]`` per line).

    Returns:
        ``{image name: regions in file order}``.

    Raises:
        ValueError: a line without a tab or whose second field is not a JSON list (names the line).
    """
    out: dict[str, list[dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            name, sep, regions = line.partition("\t")
            if not sep:
                raise ValueError(f"{path}:{no}: expected NAME<TAB>JSON, got {line[:80]!r}")
            value = json.loads(regions)
            if not isinstance(value, list):
                raise ValueError(f"{path}:{no}: expected a JSON list of regions, got {type(value).__name__}")
            out[name] = value
    return out


def read_rec_results(path: str) -> dict[str, tuple[str, float]]:
    """Read ``PATH<TAB>TEXT<TAB>SCORE`` lines (PaddleOCR's ``predict_rec`` results) as ``{path: (text, score)}``.

    The text may be empty or hold spaces; the score is the last field.
    """
    out: dict[str, tuple[str, float]] = {}
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) < 3:
                raise ValueError(f"{path}:{no}: expected PATH<TAB>TEXT<TAB>SCORE, got {line[:80]!r}")
            out[parts[0]] = ("\t".join(parts[1:-1]), float(parts[-1]))
    return out


#: One line of PaddleOCR's ``predict_rec`` log: ``Predicts of PATH:('TEXT', SCORE)``.
PREDICTS_LINE = re.compile(r"Predicts of (?P<path>.*?):(?P<result>\(.*\))\s*$")


def read_rec_predicts(path: str) -> dict[str, tuple[str, float]]:
    """Read the ``Predicts of PATH:(TEXT, SCORE)`` lines PaddleOCR's ``predict_rec`` logs as ``{PATH: (text, score)}``.

    Other lines are skipped; the tuple is read with ``ast.literal_eval`` (a literal, never code).
    """
    out: dict[str, tuple[str, float]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = PREDICTS_LINE.search(line)
            if m:
                text, score = ast.literal_eval(m.group("result"))[:2]
                out[m.group("path")] = (str(text), float(score))
    return out


def read_det_results(path: str) -> dict[str, list[dict[str, Any]]]:
    """Read a ``det_results.txt`` (``NAME<TAB>[[[x, y], ...], ...]`` per line) as ``{name: [{"points": box}]}``."""
    return {name: [{"points": box} for box in boxes] for name, boxes in read_system_results(path).items()}


def read_rec_labels(path: str) -> dict[str, str]:
    """Read a recognition label file (``PATH<TAB>TEXT``) as ``{path: text}``."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip():
                name, _, text = line.partition("\t")
                out[name] = text
    return out


def vertex_difference(a: Any, b: Any) -> float:
    """Largest coordinate difference between two polygons of equal vertex count, over the best cyclic shift."""
    pa = np.asarray(a, np.float64).reshape(-1, 2)
    pb = np.asarray(b, np.float64).reshape(-1, 2)
    if pa.shape != pb.shape:
        return float("inf")
    return float(min(np.abs(np.roll(pa, -k, axis=0) - pb).max() for k in range(len(pa))))


def iou(a: Any, b: Any) -> float:
    """Intersection over union of two polygons (0 for degenerate ones)."""
    pa = Polygon(np.asarray(a, np.float64).reshape(-1, 2)).buffer(0)
    pb = Polygon(np.asarray(b, np.float64).reshape(-1, 2)).buffer(0)
    union = pa.union(pb).area
    return float(pa.intersection(pb).area / union) if union > 0 else 0.0


def match_boxes(ours: Sequence[Any], theirs: Sequence[Any], min_iou: float = MATCH_IOU) -> list[tuple[int, int]]:
    """One-to-one ``(our index, their index)`` pairs, taken by decreasing IoU while it is at least ``min_iou``."""
    candidates = []
    for i, a in enumerate(ours):
        for j, b in enumerate(theirs):
            v = iou(a, b)
            if v >= min_iou:
                candidates.append((-v, i, j))
    used_i, used_j, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    return sorted(pairs, key=lambda p: p[1])


def compare_system(ours: Mapping[str, Sequence[Mapping[str, Any]]],
                   theirs: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """Compare two sets of OCR results, image by image (the images of ``theirs``).

    Args:
        ours: ``{image name: [{"transcription", "points"}, ...]}``.
        theirs: the reference, same form.

    Returns:
        ``{"images", "ours", "theirs", "matched", "max_vertex_diff", "same_text", "extra", "missing",
        "same_order", "differences"}``: box counts, the largest vertex difference over matched pairs, the
        matched pairs with equal text, our unmatched and their unmatched boxes, the images whose
        matched boxes come in the same order, and ``(image, our text, their text)`` for each pair that
        reads differently. An image missing from ``ours`` counts as no boxes.
    """
    total = {"images": len(theirs), "ours": 0, "theirs": 0, "matched": 0, "max_vertex_diff": 0.0,
             "same_text": 0, "extra": 0, "missing": 0, "same_order": 0, "differences": []}
    for name, want in theirs.items():
        got = list(ours.get(name, []))
        pairs = match_boxes([r["points"] for r in got], [r["points"] for r in want])
        total["ours"] += len(got)
        total["theirs"] += len(want)
        total["matched"] += len(pairs)
        total["extra"] += len(got) - len(pairs)
        total["missing"] += len(want) - len(pairs)
        ours_in_their_order = [i for i, _ in pairs]
        total["same_order"] += int(ours_in_their_order == sorted(ours_in_their_order))
        for i, j in pairs:
            total["max_vertex_diff"] = max(total["max_vertex_diff"],
                                           vertex_difference(got[i]["points"], want[j]["points"]))
            if got[i]["transcription"] == want[j]["transcription"]:
                total["same_text"] += 1
            else:
                total["differences"].append((name, got[i]["transcription"], want[j]["transcription"]))
    return total


def compare_det(ours: Mapping[str, Sequence[Any]], theirs: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """Compare detected boxes image by image: :func:`compare_system` without the text.

    Args:
        ours: ``{image name: [[x, y] x K] boxes}`` (or ``{"points": ...}`` regions).
        theirs: the reference, same form (:func:`read_det_results` gives regions).
    """
    def regions(boxes: Sequence[Any]) -> list[dict[str, Any]]:
        return [{"transcription": "", "points": b["points"] if isinstance(b, Mapping) else b} for b in boxes]

    out = compare_system({k: regions(v) for k, v in ours.items()}, {k: regions(v) for k, v in theirs.items()})
    return {k: v for k, v in out.items() if k not in ("same_text", "differences")}


def compare_rec(ours: Mapping[str, str], theirs: Mapping[str, str]) -> dict[str, Any]:
    """Compare recognised texts key by key (the keys of ``theirs``; a missing key counts as different).

    Returns:
        ``{"total", "same", "differences": [(key, ours, theirs)]}``.
    """
    diffs = [(k, ours.get(k), t) for k, t in theirs.items() if ours.get(k) != t]
    return {"total": len(theirs), "same": len(theirs) - len(diffs), "differences": diffs}


def word_accuracy(predicted: Mapping[str, str], labels: Mapping[str, str], ignore_case: bool = False) -> float:
    """Fraction of ``labels`` whose prediction is exactly the label (optionally ignoring case)."""
    if not labels:
        return 0.0
    norm = (lambda s: s.lower()) if ignore_case else (lambda s: s)
    hits = sum(1 for k, t in labels.items() if k in predicted and norm(predicted[k]) == norm(t))
    return hits / len(labels)

