"""Convert public KIE annotations (XFUND, FUNSD) to PaddleOCR KIE label lines.

A label line is ``image_name<TAB>[{"transcription", "label", "points", "id", "linking"}, ...]``
(JSON, non-ASCII kept as is), the format ``VQATokenLabelEncode`` reads. ``points`` is the
four corners of the box, clockwise from top-left.

* XFUND: one JSON file per language and split, ``{"documents": [{"document": [entity...],
  "img": {"fname": ...}}]}``; every entity becomes one text line, ids and links unchanged.
* FUNSD: one JSON file per form, ``{"form": [entity...]}`` with per-word boxes. An entity whose
  words wrap onto several text lines is split into one text line per visual line (a word that
  starts at least ``wrap_tolerance`` pixels left of the previous word's right edge starts a new
  line); ids are renumbered in output order, and every link of the entity is copied to each of
  its lines. Entities without text are dropped. This is the layout of PaddleOCR's FUNSD labels.

Example:
    >>> lines = funsd_dir_to_lines("funsd/train/annotations")
    >>> lines[0].split("\\t")[0]
    '0000971160.png'
"""
from __future__ import annotations

import json
import os
from typing import Iterable, Sequence

from ppocr.utils.errors import DataError


def box_to_points(box: Sequence[float]) -> list[list]:
    """``[x0, y0, x1, y1]`` -> ``[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]``."""
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        raise DataError(f"expected a box [x0, y0, x1, y1], got {box!r}")
    x0, y0, x1, y1 = box
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def label_line(image_name: str, entries: Iterable[dict]) -> str:
    """One label line: the image name, a tab, and the entries as compact-ish JSON (UTF-8 kept)."""
    return f"{image_name}\t{json.dumps(list(entries), ensure_ascii=False)}"


def _entity(entity: dict, where: str) -> dict:
    for key in ("box", "text", "label", "id"):
        if key not in entity:
            raise DataError(f"{where}: entity has no {key!r} (keys {sorted(entity)})")
    return entity


def xfund_to_lines(data: dict, source: str = "<xfund>") -> list[str]:
    """Label lines of an XFUND JSON file (already parsed): one per document.

    Raises:
        DataError: not an XFUND document list, or an entity without box/text/label/id.
    """
    docs = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(docs, list):
        raise DataError(f"{source}: expected an XFUND file with a 'documents' list")
    lines = []
    for d, doc in enumerate(docs):
        try:
            fname = doc["img"]["fname"]
            entities = doc["document"]
        except (KeyError, TypeError):
            raise DataError(f"{source}: document {d} needs 'img.fname' and 'document'") from None
        entries = []
        for e, ent in enumerate(entities):
            ent = _entity(ent, f"{source}: document {d} ({fname}) entity {e}")
            entries.append({"transcription": ent["text"], "label": ent["label"], "points": box_to_points(ent["box"]),
                            "id": ent["id"], "linking": ent.get("linking", [])})
        lines.append(label_line(os.path.basename(fname), entries))
    return lines


def _split_words(words: list[dict], wrap_tolerance: float) -> list[list[dict]]:
    """Group an entity's words into visual lines (a new line starts where the text wraps left)."""
    groups: list[list[dict]] = []
    for w in words:
        if groups and w["box"][0] + wrap_tolerance > groups[-1][-1]["box"][2]:
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups


def funsd_to_entries(form: list[dict], source: str = "<funsd>", wrap_tolerance: float = 10,
                     paddleocr_compat: bool = True) -> list[dict]:
    """Text-line entries of one FUNSD form (its ``form`` list), split and renumbered as described above.

    Args:
        form: the ``form`` list of a FUNSD annotation file.
        source: file name for error messages.
        wrap_tolerance: pixels a word may start left of the previous word's right edge and still
            continue the same line.
        paddleocr_compat: reproduce PaddleOCR's FUNSD labels exactly: a line's text is its words
            joined by single spaces, empty words included, and a line whose first word is empty
            is dropped. With False, empty words are left out and no line with text is dropped.
    """
    out: list[dict] = []
    new_ids: dict = {}
    for e, ent in enumerate(form):
        ent = _entity(ent, f"{source}: entity {e}")
        words = [w for w in ent.get("words") or [] if isinstance(w, dict) and "box" in w]
        if not paddleocr_compat:
            words = [w for w in words if str(w.get("text", "")).strip()]
        if not words and str(ent["text"]).strip():
            words = [{"text": ent["text"], "box": ent["box"]}]
        for group in _split_words(words, wrap_tolerance):
            text = " ".join(str(w.get("text", "")) for w in group)
            if not text.strip() or (paddleocr_compat and not group[0].get("text")):
                continue
            boxes = [w["box"] for w in group]
            box = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                   max(b[3] for b in boxes)]
            new_ids.setdefault(ent["id"], []).append(len(out))
            out.append({"transcription": text, "label": ent["label"], "points": box_to_points(box),
                        "linking": ent.get("linking") or [], "id": len(out)})
    for entry in out:
        links = []
        for pair in entry["linking"]:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise DataError(f"{source}: entity {entry['transcription']!r} has a linking entry {pair!r} that is "
                                "not a pair of ids")
            a, b = pair
            if a in new_ids and b in new_ids:  # links to entities without text are dropped
                links.extend([na, nb] for na in new_ids[a] for nb in new_ids[b])
        entry["linking"] = links
    return out


def funsd_dir_to_lines(anno_dir: str, image_ext: str = ".png", wrap_tolerance: float = 10,
                       paddleocr_compat: bool = True) -> list[str]:
    """Label lines for every ``*.json`` FUNSD annotation in ``anno_dir`` (sorted by file name).

    ``wrap_tolerance`` and ``paddleocr_compat`` are those of :func:`funsd_to_entries`.

    Raises:
        DataError: a missing folder, no annotation files, or an unreadable file (named).
    """
    if not os.path.isdir(anno_dir):
        raise DataError(f"FUNSD annotation folder {anno_dir!r} does not exist")
    names = sorted(f for f in os.listdir(anno_dir) if f.endswith(".json"))
    if not names:
        raise DataError(f"no .json annotation files in {anno_dir}")
    lines = []
    for name in names:
        path = os.path.join(anno_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                form = json.load(f)["form"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DataError(f"{path}: not a FUNSD annotation with a 'form' list ({e})") from e
        entries = funsd_to_entries(form, path, wrap_tolerance, paddleocr_compat)
        lines.append(label_line(name[: -len(".json")] + image_ext, entries))
    return lines


def write_lines(lines: Sequence[str], out_path: str) -> None:
    """Write label lines (UTF-8, ``\\n`` endings), creating the folder."""
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
