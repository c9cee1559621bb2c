"""Synthetic forms for KIE demos and tests, drawn with :mod:`ppocr.data.demo.render`.

Each page has a title (``header``), optional section titles (``header``), rows of
``question: answer`` fields (linked pairs; some answers sit under their question, some
questions are left unanswered) and ``other`` text (notes, form numbers, page numbers). The
labels are PaddleOCR's KIE format, so the SER and RE pipelines read them directly::

    <out>/class_list.txt      OTHER / QUESTION / ANSWER / HEADER
    <out>/train.json          train/000000.png<TAB>[{"transcription", "label", "points", "id", "linking"}, ...]
    <out>/eval.json           eval/000000.png<TAB>...
    <out>/train/*.png  <out>/eval/*.png

Images are greyscale PNGs quantised to 32 levels on a smooth background (about 25 kB a page). Text is ASCII only
(Hershey fonts). Train and eval use independent random streams of the same distribution.

Example:
    >>> from ppocr.data.demo.kie import make_kie_demo
    >>> stats = make_kie_demo("train_data/demo/kie", num_train=200, num_eval=40, seed=0)
"""
from __future__ import annotations

import json
import logging
import os

import numpy as np

from ppocr.data.demo.rec import encode_demo_png
from ppocr.data.demo.render import WORDS, composite, draw_text_mask, make_background, pseudo_word, random_font

logger = logging.getLogger(__name__)

CLASSES = ("OTHER", "QUESTION", "ANSWER", "HEADER")
GREY_LEVELS = 32

TITLES = ("APPLICATION FORM", "ORDER FORM", "INVOICE", "REGISTRATION FORM", "EXPENSE REPORT", "CUSTOMER DETAILS",
          "SHIPPING NOTICE", "PAYMENT REQUEST", "CONTACT SHEET", "SERVICE REQUEST", "MEMBERSHIP FORM",
          "DELIVERY NOTE", "TRAVEL CLAIM", "PURCHASE ORDER", "VISITOR LOG")
SECTIONS = ("PERSONAL DETAILS", "BILLING", "SHIPPING", "ACCOUNT", "CONTACT", "PAYMENT", "ITEMS", "APPROVAL",
            "OFFICE USE ONLY", "REMARKS", "SUMMARY")
#: Field names and the kind of value they take.
FIELDS = {
    "Name": "name", "Full name": "name", "Contact": "name", "Manager": "name", "Approved by": "name",
    "Signed": "name", "Date": "date", "Due date": "date", "Date of birth": "date", "Issued": "date",
    "Phone": "phone", "Fax": "phone", "Mobile": "phone", "Address": "address", "Street": "address",
    "City": "word", "Country": "word", "Department": "word", "Company": "company", "Email": "email",
    "Account no": "code", "Order no": "code", "Invoice no": "code", "Reference": "code", "Customer id": "code",
    "Amount": "money", "Total": "money", "Tax": "money", "Price": "money", "Quantity": "number",
    "Room": "number", "Zip code": "number", "Item": "words", "Project": "words", "Title": "words",
}
FIELD_NAMES = tuple(FIELDS)
NOTES = ("Please fill in all fields", "Return this form to the office", "Keep a copy for your records",
         "Write clearly in capital letters", "All amounts in dollars", "Thank you for your order",
         "Incomplete forms will be returned", "See the back of this page")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _pick(seq, rng: np.random.Generator):
    return seq[int(rng.integers(len(seq)))]


def _digits(n: int, rng: np.random.Generator) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, size=n))


def field_value(kind: str, rng: np.random.Generator) -> str:
    """A random value of one field kind (``'name'``, ``'date'``, ``'money'``, ...)."""
    def word():
        return _pick(WORDS, rng)

    def digits(n):
        return _digits(n, rng)

    if kind == "name":
        return f"{_cap(pseudo_word(rng, 3, 7))} {_cap(pseudo_word(rng, 4, 9))}"
    if kind == "date":
        d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(1990, 2031))
        return _pick([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} {MONTHS[m - 1]} {y}"], rng)
    if kind == "phone":
        return f"{digits(3)}-{digits(3)}-{digits(4)}" if rng.random() < 0.6 else f"({digits(3)}) {digits(7)}"
    if kind == "address":
        return f"{int(rng.integers(1, 999))} {_cap(word())} {_pick(['street', 'road', 'avenue', 'lane'], rng)}"
    if kind == "email":
        return f"{pseudo_word(rng, 3, 8)}@{word()}.com"
    if kind == "company":
        return f"{_cap(word())} {_pick(['Ltd', 'Inc', 'Co', 'Group'], rng)}"
    if kind == "code":
        return f"{pseudo_word(rng, 2, 3).upper()}-{digits(int(rng.integers(4, 8)))}"
    if kind == "money":
        return f"${int(rng.integers(1, 9999))}.{digits(2)}"
    if kind == "number":
        return digits(int(rng.integers(1, 6)))
    if kind == "words":
        return " ".join(_cap(word()) if i == 0 else word() for i in range(int(rng.integers(1, 4))))
    return _cap(word())


class _Page:
    """A page being drawn: background, ink, and the label entries."""

    def __init__(self, rng: np.random.Generator, width: int, height: int):
        self.rng, self.width, self.height = rng, width, height
        self.img = make_background(rng, height, width, gradient=12.0, texture=0.0, tint=4.0)
        self.font = random_font(rng, italic_prob=0.0, weight_range=(0.8, 1.3))
        self.entries: list[dict] = []

    def text_size(self, text: str, size: int) -> tuple[int, int]:
        mask, quad = draw_text_mask(text, self.font, size)
        return int(quad[1, 0] - quad[0, 0]), int(quad[2, 1] - quad[1, 1])

    def draw(self, text: str, x: int, y: int, size: int, label: str, right: int | None = None) -> dict | None:
        """Draw ``text`` with its ink box's top-left near ``(x, y)``; None when it does not fit.

        ``right`` is the largest x the ink may reach (default: the page edge).
        """
        mask, quad = draw_text_mask(text, self.font, size)
        ox, oy = int(x - quad[0, 0]), int(y - quad[0, 1])
        h, w = mask.shape
        if ox < 0 or oy < 0 or ox + w > self.width or oy + h > self.height:
            return None
        if right is not None and quad[1, 0] + ox > right:
            return None
        ink = float(self.rng.uniform(10, 70))
        self.img[oy:oy + h, ox:ox + w] = composite(self.img[oy:oy + h, ox:ox + w], mask, (ink, ink, ink))
        x0, y0, x1, y1 = (int(round(v)) for v in (quad[0, 0] + ox, quad[0, 1] + oy, quad[2, 0] + ox, quad[2, 1] + oy))
        entry = {"transcription": text, "label": label, "points": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                 "id": len(self.entries), "linking": []}
        self.entries.append(entry)
        return entry

    def link(self, q: dict, a: dict) -> None:
        q["linking"].append([q["id"], a["id"]])
        a["linking"].append([q["id"], a["id"]])


def render_form(rng: np.random.Generator, width: int = 600, height: int = 800) -> tuple[np.ndarray, list[dict]]:
    """Draw one synthetic form.

    Returns:
        ``(image, entries)``: a ``HxWx3`` uint8 BGR image and its KIE label entries.
    """
    page = _Page(rng, width, height)
    margin = int(rng.integers(25, 45))
    body = int(rng.integers(13, 18))
    y = margin
    title = TITLES[int(rng.integers(len(TITLES)))]
    tsize = int(rng.integers(24, 32))
    tw, _ = page.text_size(title, tsize)
    tx = (width - tw) // 2 if rng.random() < 0.6 else margin
    if page.draw(title, tx, y, tsize, "header") is None:
        raise RuntimeError("the form title does not fit the page")
    y += int(tsize * 1.8)
    if rng.random() < 0.5:
        page.draw(f"Form {pseudo_word(rng, 2, 2).upper()}-{int(rng.integers(100, 9999))}", width - margin - 120,
                  margin // 2, body - 2, "other")
    n_sections = int(rng.integers(1, 4))
    for s in range(n_sections):
        if s > 0 or rng.random() < 0.5:
            sec = SECTIONS[int(rng.integers(len(SECTIONS)))]
            if page.draw(sec, margin, y, body + 4, "header") is None:
                break
            y += int((body + 4) * 1.9)
        two_cols = rng.random() < 0.4
        for _ in range(int(rng.integers(2, 6))):
            cols = [margin, width // 2 + 10] if two_cols else [margin]
            row_h = int(body * 2.0)
            for c, cx in enumerate(cols):
                right = cols[c + 1] - 15 if c + 1 < len(cols) else width - margin
                key = FIELD_NAMES[int(rng.integers(len(FIELD_NAMES)))]
                q = page.draw(key + (":" if rng.random() < 0.8 else ""), cx, y, body, "question", right)
                if q is None:
                    continue
                if rng.random() < 0.1:
                    continue  # an unanswered field
                value = field_value(FIELDS[key], rng)
                if rng.random() < 0.15 and not two_cols:
                    a = page.draw(value, cx + int(rng.integers(0, 30)), y + int(body * 1.6), body, "answer", right)
                    row_h = int(body * 3.4)
                else:
                    a = page.draw(value, q["points"][1][0] + int(rng.integers(8, 40)), y, body, "answer", right)
                if a is not None:
                    page.link(q, a)
            y += row_h
            if y > height - margin - 4 * body:
                break
        y += body
        if y > height - margin - 6 * body:
            break
    for _ in range(int(rng.integers(0, 3))):
        if y > height - margin - 2 * body:
            break
        page.draw(NOTES[int(rng.integers(len(NOTES)))], margin, y, body - 1, "other")
        y += int(body * 1.8)
    if rng.random() < 0.5:
        page.draw(f"Page {int(rng.integers(1, 4))} of {int(rng.integers(4, 9))}", width // 2 - 30,
                  height - margin, body - 3, "other")
    img = np.clip(np.rint(page.img), 0, 255).astype(np.uint8)
    return img, page.entries


def write_kie_split(out_dir: str, split: str, count: int, rng: np.random.Generator, width: int = 600,
                    height: int = 800) -> str:
    """Render ``count`` forms into ``out_dir/split/`` and write ``out_dir/<split>.json``; returns its path."""
    os.makedirs(os.path.join(out_dir, split), exist_ok=True)
    label_path = os.path.join(out_dir, f"{split}.json")
    with open(label_path, "w", encoding="utf-8", newline="\n") as f:
        for i in range(count):
            img, entries = render_form(rng, width, height)
            rel = f"{split}/{i:06d}.png"
            with open(os.path.join(out_dir, rel), "wb") as fi:
                fi.write(encode_demo_png(img, GREY_LEVELS))
            f.write(f"{rel}\t{json.dumps(entries)}\n")
    logger.info("wrote %d %s forms to %s", count, split, label_path)
    return label_path


def make_kie_demo(out_dir: str, num_train: int = 200, num_eval: int = 40, seed: int = 0, width: int = 600,
                  height: int = 800) -> dict[str, int]:
    """Write the synthetic KIE demo set (train and eval forms, labels, class list) under ``out_dir``.

    Args:
        out_dir: the dataset root (``data_dir`` in configs); created if missing.
        num_train: number of training forms.
        num_eval: number of evaluation forms.
        seed: seed of both splits' independent random streams.
        width: page width in pixels.
        height: page height in pixels.

    Returns:
        ``{"train", "eval", "bytes", "entries"}``: form counts, PNG bytes, text lines written.
    """
    if num_train < 0 or num_eval < 0:
        raise ValueError(f"form counts must be >= 0, got train={num_train}, eval={num_eval}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "class_list.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(CLASSES) + "\n")
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    paths = [write_kie_split(out_dir, "train", num_train, np.random.default_rng(train_seq), width, height),
             write_kie_split(out_dir, "eval", num_eval, np.random.default_rng(eval_seq), width, height)]
    total, entries = 0, 0
    for split, path in zip(("train", "eval"), paths):
        d = os.path.join(out_dir, split)
        total += sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
        with open(path, encoding="utf-8") as f:
            entries += sum(len(json.loads(line.split("\t", 1)[1])) for line in f if line.strip())
    return {"train": num_train, "eval": num_eval, "bytes": total, "entries": entries}
