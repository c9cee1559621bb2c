"""Relation extraction targets: question -> answer links between entities, and their fixed-size tensors."""
from __future__ import annotations

import numpy as np

from ppocr.data.imaug.vqa.kie_token_pad import positive_int
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError

HEAD_CLASS, TAIL_CLASS = "QUESTION", "ANSWER"


@TRANSFORMS.register()
class VQAReTokenRelation:
    """Turn the ``linking`` id pairs of a form into ``{head, tail}`` entity-index relations.

    Only links between a ``question`` line and an ``answer`` line are kept (in either order in
    the file; the question becomes the head), as in PaddleOCR. Duplicate links, links to empty
    lines, and links involving other classes are dropped.

    Required keys: ``entities``, ``relations``, ``id2label``, ``empty_entity``,
    ``entity_id_to_index_map`` (from ``VQATokenLabelEncode`` with ``contains_re: True``).
    Modified keys: ``relations`` (``[{'head': i, 'tail': j}]``, sorted by head then tail).
    Added keys: none; ``id2label``, ``empty_entity`` and ``entity_id_to_index_map`` are removed.
    """

    def __call__(self, data: dict) -> dict:
        for key in ("entities", "relations", "id2label", "empty_entity", "entity_id_to_index_map"):
            if key not in data:
                raise SampleError(f"VQAReTokenRelation needs {key!r}; set contains_re: True in VQATokenLabelEncode "
                                  "and put it before VQAReTokenRelation")
        id2label = data.pop("id2label")
        empty = data.pop("empty_entity")
        index = data.pop("entity_id_to_index_map")
        pairs = set()
        for a, b in data["relations"]:
            if a in empty or b in empty or a not in index or b not in index:
                continue
            la, lb = id2label.get(a), id2label.get(b)
            if (la, lb) == (HEAD_CLASS, TAIL_CLASS):
                pairs.add((index[a], index[b]))
            elif (la, lb) == (TAIL_CLASS, HEAD_CLASS):
                pairs.add((index[b], index[a]))
        data["relations"] = [{"head": h, "tail": t} for h, t in sorted(pairs)]
        return data

    def __repr__(self) -> str:
        return "VQAReTokenRelation()"


@TRANSFORMS.register()
class TensorizeEntitiesRelations:
    """Pack entities and relations into fixed-size int64 arrays so documents batch together.

    ``entities`` becomes ``[max_seq_len + 1, 3]``: row 0 holds the entity count (three times),
    row ``1 + i`` holds ``(start, end, label)`` of entity ``i``; the rest is -1.
    ``relations`` becomes ``[max_relation_len + 1, 2]``: row 0 holds the relation count (twice),
    row ``1 + k`` holds ``(head, tail)`` of relation ``k``; the rest is -1. This is PaddleOCR's
    layout, except that the relation table holds only the true links, so it is
    ``max_relation_len`` rows long (default ``4 * max_seq_len``; a form with many multi-line
    answers can have more links than entities) instead of ``max_seq_len ** 2``.

    Required keys: ``entities`` ``{start, end, label}`` and ``relations`` ``{head, tail}``
    (from ``VQAReTokenChunk``).
    Modified keys: ``entities``, ``relations`` (int64 arrays as above).
    Added keys: none.

    Args:
        max_seq_len: entity rows (at least the number of entities in any document).
        max_relation_len: relation rows; default ``4 * max_seq_len``.
        infer_mode: accepted for PaddleOCR configs.

    Raises:
        SampleError: more entities or relations than rows (names the option to raise).
    """

    def __init__(self, max_seq_len: int = 512, max_relation_len: int | None = None, infer_mode: bool = False):
        self.max_seq_len = positive_int("max_seq_len", max_seq_len)
        self.max_relation_len = (4 * max_seq_len if max_relation_len is None
                                 else positive_int("max_relation_len", max_relation_len))
        if not isinstance(infer_mode, bool):
            raise TypeError(f"infer_mode must be true or false, got {infer_mode!r}")
        self.infer_mode = infer_mode

    def __call__(self, data: dict) -> dict:
        ent, rel = data.get("entities"), data.get("relations")
        if not isinstance(ent, dict) or not isinstance(rel, dict):
            raise SampleError("TensorizeEntitiesRelations needs entities {start, end, label} and relations "
                              "{head, tail}; put VQAReTokenChunk before it")
        n, m = len(ent["start"]), len(rel["head"])
        if n > self.max_seq_len:
            raise SampleError(f"the document has {n} entities but TensorizeEntitiesRelations.max_seq_len is "
                              f"{self.max_seq_len}; raise it")
        if m > self.max_relation_len:
            raise SampleError(f"the document has {m} relations but TensorizeEntitiesRelations.max_relation_len is "
                              f"{self.max_relation_len}; raise it")
        entities = np.full((self.max_seq_len + 1, 3), -1, dtype=np.int64)
        entities[0] = n
        if n:
            entities[1:n + 1] = np.stack([ent["start"], ent["end"], ent["label"]], axis=1)
        relations = np.full((self.max_relation_len + 1, 2), -1, dtype=np.int64)
        relations[0] = m
        if m:
            relations[1:m + 1] = np.stack([rel["head"], rel["tail"]], axis=1)
        data["entities"] = entities
        data["relations"] = relations
        return data

    def __repr__(self) -> str:
        return (f"TensorizeEntitiesRelations(max_seq_len={self.max_seq_len}, "
                f"max_relation_len={self.max_relation_len})")
