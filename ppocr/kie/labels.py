"""Class lists and BIO tags for semantic entity recognition (SER).

A class list file has one class name per line, e.g. ``OTHER / QUESTION / ANSWER / HEADER``.
Names are case-insensitive. ``OTHER`` (and its spellings ``O``, ``OTHERS``, ``IGNORE``) is the
"not an entity" class and always gets id 0, wherever it appears in the file; every other class
``X`` gets two token tags, ``B-X`` (first token of a text line) and ``I-X`` (the following
tokens), so a file with ``n`` classes including ``OTHER`` gives ``2n - 1`` tags::

    0 O   1 B-QUESTION   2 I-QUESTION   3 B-ANSWER   4 I-ANSWER   5 B-HEADER   6 I-HEADER

This is the numbering PaddleOCR's SER models use, so their checkpoints keep their meaning.

Example:
    >>> labels = KIELabels(["other", "question", "answer"])
    >>> labels.num_classes
    5
    >>> labels.line_tags("question", 3)
    [1, 2, 2]
    >>> bio_to_entities(["B-QUESTION", "I-QUESTION", "O", "B-ANSWER"])
    [('QUESTION', 0, 2), ('ANSWER', 3, 4)]
"""
from __future__ import annotations

import os
from typing import Iterable, Sequence

from ppocr.utils.errors import ConfigError, SampleError

#: Class names (upper case) that mean "not an entity" and map to tag id 0.
OTHER_NAMES = ("O", "OTHER", "OTHERS", "IGNORE")


def read_class_list(class_path: str) -> list[str]:
    """Read a class list file: one class name per line, blank lines ignored.

    Args:
        class_path: UTF-8 text file.

    Returns:
        The names in file order, stripped, as written (not upper-cased).

    Raises:
        ConfigError: the file is missing or empty, or a name is listed twice (case-insensitively).
    """
    if not class_path or not os.path.isfile(class_path):
        raise ConfigError(f"class list file {class_path!r} not found; set class_path to a text file with one "
                          "class name per line (e.g. OTHER, QUESTION, ANSWER, HEADER)")
    names: list[str] = []
    seen: dict[str, int] = {}
    with open(class_path, encoding="utf-8-sig") as f:
        for no, line in enumerate(f, 1):
            name = line.strip()
            if not name:
                continue
            key = name.upper()
            if key in seen:
                raise ConfigError(f"{class_path}:{no}: class {name!r} is already listed on line {seen[key]} "
                                  "(class names are case-insensitive)")
            seen[key] = no
            names.append(name)
    if not names:
        raise ConfigError(f"class list file {class_path} is empty; list one class name per line")
    return names


class KIELabels:
    """The class list and its BIO tag numbering.

    Args:
        classes: class names (any case); the ``OTHER`` names in :data:`OTHER_NAMES` may be
            included or not, they always become tag 0.
        source: where the names came from (a file path), for error messages.

    Attributes:
        classes: upper-cased entity classes without ``OTHER``, in file order.
        tags: tag names by id: ``['O', 'B-X', 'I-X', ...]``.
        label2id: tag name -> id.
        id2label: id -> tag name.
        num_classes: ``len(tags)`` (``2 * len(classes) + 1``).
    """

    def __init__(self, classes: Iterable[str], source: str = "<class list>"):
        self.source = source
        self.classes: list[str] = []
        for name in classes:
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(f"{source}: class names must be non-empty strings, got {name!r}")
            key = name.strip().upper()
            if key in OTHER_NAMES or key in self.classes:
                continue
            if key.startswith(("B-", "I-")):
                raise ConfigError(f"{source}: list class names without BIO prefixes, got {name!r} "
                                  f"(write {key[2:]!r}; B-/I- tags are derived)")
            self.classes.append(key)
        self.tags = ["O"] + [f"{p}-{c}" for c in self.classes for p in ("B", "I")]
        self.label2id = {t: i for i, t in enumerate(self.tags)}
        self.id2label = dict(enumerate(self.tags))
        self.num_classes = len(self.tags)

    @classmethod
    def from_file(cls, class_path: str) -> "KIELabels":
        """Load the class list file ``class_path`` (see :func:`read_class_list`)."""
        return cls(read_class_list(class_path), source=class_path)

    def class_id(self, label: str) -> int:
        """Entity class index of a line label: 0 for OTHER, ``1..n-1`` for the listed classes.

        Raises:
            SampleError: the label is not in the class list (the message names the list file).
        """
        key = str(label).strip().upper()
        if key in OTHER_NAMES:
            return 0
        try:
            return self.classes.index(key) + 1
        except ValueError:
            raise SampleError(f"label {label!r} is not in the class list {self.source} "
                              f"(classes: OTHER, {', '.join(self.classes)}); add it to that file or fix the "
                              "label (labels are case-insensitive)") from None

    def class_name(self, class_id: int) -> str:
        """Inverse of :meth:`class_id`: ``'O'`` for 0, else the upper-case class name."""
        return "O" if class_id == 0 else self.classes[class_id - 1]

    def line_tags(self, label: str, num_tokens: int) -> list[int]:
        """Tag ids of a text line with ``num_tokens`` tokens: ``[B-X, I-X, I-X, ...]`` or all 0."""
        cid = self.class_id(label)
        if cid == 0:
            return [0] * num_tokens
        b = self.label2id[f"B-{self.classes[cid - 1]}"]
        return [b] + [b + 1] * (num_tokens - 1)

    def tag_class(self, tag_id: int) -> int:
        """Entity class index of a tag id (B-X and I-X both give X's index; O gives 0)."""
        return 0 if tag_id <= 0 else (int(tag_id) + 1) // 2

    def __repr__(self) -> str:
        return f"KIELabels(source={self.source!r}, classes={self.classes}, num_classes={self.num_classes})"


def bio_to_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entities in a BIO tag sequence, as ``(class, start, end)`` with ``end`` exclusive.

    The rules are those of conlleval (and seqeval's default mode): an entity starts at a
    ``B-`` tag, at an ``I-X`` that follows a tag of another class or ``O``, and ends before
    the next ``O``, ``B-`` or tag of another class. So ``I-X I-X`` alone is one entity.

    Args:
        tags: tag strings such as ``'O'``, ``'B-QUESTION'``, ``'I-QUESTION'``.

    Returns:
        The entities in order.
    """
    out: list[tuple[str, int, int]] = []
    cls, start = None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, name = tag.partition("-") if tag != "O" else ("O", "", "")
        begins = prefix == "B" or (prefix == "I" and name != cls)
        if cls is not None and (prefix == "O" or begins):
            out.append((cls, start, i))
            cls = None
        if prefix in ("B", "I") and cls is None:
            cls, start = name, i
    return out


def entities_to_bio(entities: Iterable[tuple[str, int, int]], length: int) -> list[str]:
    """Inverse of :func:`bio_to_entities` for non-overlapping entities: a tag list of ``length``."""
    tags = ["O"] * length
    for cls, start, end in entities:
        if not 0 <= start < end <= length:
            raise ValueError(f"entity ({cls!r}, {start}, {end}) does not fit a sequence of length {length}")
        tags[start] = f"B-{cls}"
        for i in range(start + 1, end):
            tags[i] = f"I-{cls}"
    return tags
