"""VQATokenLabelEncode: a KIE label line (text lines with boxes and classes) -> LayoutXLM tokens."""
from __future__ import annotations

import json
import logging
from typing import Any, Sequence

import numpy as np

from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError
from ppocr.kie.labels import KIELabels
from ppocr.kie.pretrained import TOKENIZER_DIR_FILES, find_tokenizer_dir, load_tokenizer

logger = logging.getLogger(__name__)

ORDER_METHODS = (None, "tb-yx")
SPIECE_UNDERLINE = "\u2581"


def parse_kie_label(label: Any) -> list[dict]:
    """Parse the annotation part of a KIE label line: a JSON list of text-line dicts.

    Raises:
        SampleError: not JSON, not a list, or an entry that is not a dict with a
            ``transcription`` string.
    """
    if isinstance(label, str):
        try:
            label = json.loads(label)
        except json.JSONDecodeError as e:
            raise SampleError(f"the annotation is not valid JSON ({e.msg} at character {e.pos}); expected "
                              '[{"transcription": ..., "label": ..., "points": ..., "id": ..., "linking": ...}]') from e
    if not isinstance(label, list):
        raise SampleError(f"the annotation must be a JSON list of text lines, got {type(label).__name__}")
    for i, entry in enumerate(label):
        if not isinstance(entry, dict):
            raise SampleError(f"text line {i} must be a JSON object, got {entry!r:.60}")
        if not isinstance(entry.get("transcription"), str):
            raise SampleError(f"text line {i} needs a 'transcription' string, got keys {sorted(entry)}")
    return label


def line_box(entry: dict, index: int) -> list[float]:
    """``[x0, y0, x1, y1]`` (pixels) of a text line from its ``bbox`` or ``points``.

    ``points`` may be a list of ``[x, y]`` pairs (a quad or any polygon) or a flat list of
    coordinates; the box is their bounding rectangle.

    Raises:
        SampleError: neither key, or values that are not numbers.
    """
    where = f"text line {index} ({entry.get('transcription', '')!r:.40})"
    if entry.get("bbox") is not None:
        raw = entry["bbox"]
        try:
            vals = [float(v) for v in raw]
        except (TypeError, ValueError):
            raise SampleError(f"{where}: 'bbox' must be [x0, y0, x1, y1], got {raw!r:.80}") from None
        if len(vals) != 4:
            raise SampleError(f"{where}: 'bbox' must have 4 numbers [x0, y0, x1, y1], got {len(vals)}")
        xs, ys = vals[0::2], vals[1::2]
    elif entry.get("points") is not None:
        raw = entry["points"]
        try:
            arr = np.asarray(raw, dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise SampleError(f"{where}: 'points' must be [[x, y], ...], got {raw!r:.80}") from None
        if len(arr) < 2 or not np.isfinite(arr).all():
            raise SampleError(f"{where}: 'points' needs at least 2 finite [x, y] points, got {raw!r:.80}")
        xs, ys = arr[:, 0].tolist(), arr[:, 1].tolist()
    else:
        raise SampleError(f"{where}: needs 'points' ([[x, y], ...]) or 'bbox' ([x0, y0, x1, y1])")
    return [min(xs), min(ys), max(xs), max(ys)]


def order_tb_yx(boxes: Sequence[Sequence[float]]) -> list[int]:
    """Reading order "top to bottom, then left to right": the indices of ``boxes`` in that order.

    Lines are taken by their top edge; a line whose top is within half the median line height
    of the first line of the current row joins that row. Rows are read top to bottom, and the
    lines of a row left to right.
    """
    if not boxes:
        return []
    b = np.asarray(boxes, dtype=np.float64)
    tol = 0.5 * max(1.0, float(np.median(b[:, 3] - b[:, 1])))
    order = sorted(range(len(b)), key=lambda i: (b[i, 1], b[i, 0]))
    out: list[int] = []
    row: list[int] = []
    for i in order:
        if row and b[i, 1] - b[row[0], 1] > tol:
            out.extend(sorted(row, key=lambda j: b[j, 0]))
            row = []
        row.append(i)
    out.extend(sorted(row, key=lambda j: b[j, 0]))
    return out


def normalize_box(box: Sequence[float], width: int, height: int) -> list[int]:
    """Clip a pixel box to the image and scale it to LayoutXLM's 0-1000 grid."""
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = (min(max(v, 0.0), width) for v in (x0, x1))
    y0, y1 = (min(max(v, 0.0), height) for v in (y0, y1))
    return [int(x0 * 1000 / width), int(y0 * 1000 / height), int(x1 * 1000 / width), int(y1 * 1000 / height)]


def split_box(box: Sequence[int], tokens: Sequence[str]) -> list[list[int]]:
    """Split a line box horizontally among its tokens, in proportion to their character counts."""
    x0, y0, x1, y1 = box
    weights = np.array([max(1, len(t.replace(SPIECE_UNDERLINE, ""))) for t in tokens], dtype=np.float64)
    edges = x0 + (x1 - x0) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    edges = np.floor(edges + 1e-9).astype(int)
    return [[int(edges[i]), y0, int(max(edges[i], edges[i + 1])), y1] for i in range(len(tokens))]


@TRANSFORMS.register()
class VQATokenLabelEncode:
    """Tokenize the text lines of a form and label every token (SER) and entity (RE).

    The annotation is PaddleOCR's KIE label: a JSON list with one object per text line,
    ``{"transcription": str, "label": str, "points": [[x, y], ...] or "bbox": [x0, y0, x1, y1],
    "id": int, "linking": [[id_a, id_b], ...]}``. Each line is tokenized on its own with the
    LayoutXLM tokenizer (no special tokens) and the tokens are concatenated in reading order.

    Documented handling of imperfect input:

    * empty (or whitespace-only) transcriptions are skipped; links to them are dropped;
    * boxes are clipped to the image before they are scaled to 0-1000;
    * a label that is not in the class list, or (with ``contains_re``) a ``linking`` pair that
      names an id no line of the document has, raises ``SampleError`` naming the line (the
      dataset adds the label file and line number);
    * a document without any text raises ``SampleError``.

    Documents are never truncated here; ``VQASerTokenChunk`` / ``VQAReTokenChunk`` split long
    ones into windows.

    Required keys: ``image`` (decoded ``HxWxC`` array, for the page size) and either ``label``
    (the JSON annotation, as read from the label file) or ``ocr_info`` (the same list, already
    parsed, e.g. from an OCR engine; ``label`` entries optional with ``infer_mode``).
    Modified keys: none (``label`` is left as it is).
    Added keys: ``input_ids``, ``token_type_ids``, ``attention_mask`` (lists of int),
    ``bbox`` (list of ``[x0, y0, x1, y1]`` in 0-1000), ``labels`` (BIO tag ids; not in
    ``infer_mode``), ``segment_offset_id`` (end token offset of each kept line), ``ocr_info``
    (the kept lines in token order, each with a pixel ``bbox``), ``pad_token_id``; with
    ``contains_re`` also ``entities`` (``[{start, end, label}]`` for lines whose class is not
    OTHER), ``relations`` (sorted id pairs), ``id2label``, ``empty_entity``,
    ``entity_id_to_index_map``.

    Args:
        class_path: class list file (see :mod:`ppocr.kie.labels`).
        contains_re: also build entities and relations for relation extraction.
        algorithm: ``'LayoutXLM'`` (VI-LayoutXLM uses the same tokenizer).
        use_textline_bbox_info: give every token the line's box; otherwise split the line box
            among its tokens by character count.
        order_method: ``None`` (file order) or ``'tb-yx'`` (top-to-bottom, then left-to-right).
        infer_mode: labels are optional (no ``labels`` key; RE entities use ``label`` when given,
            e.g. predicted by a SER model).
        tokenizer_path: directory with ``sentencepiece.bpe.model`` and ``tokenizer_config.json``;
            default ``./pretrained/layoutxlm-base-uncased`` or ``./pretrained/vi-layoutxlm-base-uncased``.

    Raises:
        ConfigError: missing class list or tokenizer directory (at construction).
    """

    #: Inference keeps this encoder (with ``infer_mode: True``): it turns OCR results into model inputs.
    keep_at_inference = True
    #: Files an export copies beside the model (``ppocr.engine.export.bundle_assets``).
    asset_args = {"class_path": None, "tokenizer_path": TOKENIZER_DIR_FILES}

    def __init__(self, class_path: str, contains_re: bool = False, algorithm: str = "LayoutXLM",
                 use_textline_bbox_info: bool = True, order_method: str | None = None, infer_mode: bool = False,
                 tokenizer_path: str | None = None):
        for arg, val in (("contains_re", contains_re), ("use_textline_bbox_info", use_textline_bbox_info),
                         ("infer_mode", infer_mode)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        if order_method not in ORDER_METHODS:
            raise ValueError(f"order_method must be null or 'tb-yx', got {order_method!r}")
        self.class_path = class_path
        self.labels = KIELabels.from_file(class_path)
        self.contains_re = contains_re
        self.algorithm = algorithm
        self.use_textline_bbox_info = use_textline_bbox_info
        self.order_method = order_method
        self.infer_mode = infer_mode
        self.tokenizer_path = find_tokenizer_dir(tokenizer_path, algorithm, "VQATokenLabelEncode")
        self.tokenizer = load_tokenizer(self.tokenizer_path, "VQATokenLabelEncode")

    # -- helpers ------------------------------------------------------------------------------
    def _lines(self, data: dict) -> list[dict]:
        if data.get("ocr_info") is not None:
            return parse_kie_label(data["ocr_info"])
        if "label" not in data:
            raise SampleError("VQATokenLabelEncode needs 'label' (the JSON annotation) or 'ocr_info'")
        return parse_kie_label(data["label"])

    def tokenize(self, text: str) -> tuple[list[str], list[int]]:
        """Tokens and ids of one text line, without special tokens."""
        tokens = self.tokenizer.tokenize(text)
        return tokens, self.tokenizer.convert_tokens_to_ids(tokens)

    # -- transform ----------------------------------------------------------------------------
    def __call__(self, data: dict) -> dict:
        image = data.get("image")
        if not isinstance(image, np.ndarray) or image.ndim < 2:
            raise SampleError("VQATokenLabelEncode needs the decoded image (for the page size); put DecodeImage "
                              "before it")
        height, width = int(image.shape[0]), int(image.shape[1])
        lines = self._lines(data)

        kept, empty_ids, seen_ids = [], set(), {}
        for i, entry in enumerate(lines):
            line_id = entry.get("id", i)
            if self.contains_re:
                if line_id in seen_ids:
                    raise SampleError(f"text lines {seen_ids[line_id]} and {i} have the same id {line_id!r}; "
                                      "ids must be unique within a document")
                seen_ids[line_id] = i
            if not entry["transcription"].strip():
                empty_ids.add(line_id)
                continue
            box = line_box(entry, i)
            label = entry.get("label")
            if label is None:
                if not self.infer_mode:
                    raise SampleError(f"text line {i} ({entry['transcription']!r:.40}) has no 'label'")
                label = "other"
            self.labels.class_id(label)  # unknown label -> SampleError naming the class list
            kept.append({"index": i, "id": line_id, "entry": entry, "box": box, "label": label})
        if empty_ids:
            logger.debug("skipped %d empty transcription(s) in %s", len(empty_ids), data.get("img_path", "<sample>"))

        if self.order_method == "tb-yx":
            kept = [kept[i] for i in order_tb_yx([k["box"] for k in kept])]

        relations: list[tuple] = []
        if self.contains_re:
            all_ids = set(seen_ids)
            for k in kept:
                for pair in k["entry"].get("linking") or []:
                    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                        raise SampleError(f"text line {k['index']}: each 'linking' entry must be a pair [id_a, id_b], "
                                          f"got {pair!r}")
                    for pid in pair:
                        if pid not in all_ids:
                            text = k["entry"]["transcription"]
                            raise SampleError(f"text line {k['index']} (id {k['id']!r}, {text!r:.40}) links to id "
                                              f"{pid!r}, which no text line of this document has")
                    if pair[0] in empty_ids or pair[1] in empty_ids:
                        continue
                    relations.append(tuple(sorted(pair, key=lambda v: (type(v).__name__, v))))

        input_ids, bboxes, labels, offsets, ocr_info = [], [], [], [], []
        entities, id2label, entity_index = [], {}, {}
        for k in kept:
            tokens, ids = self.tokenize(k["entry"]["transcription"])
            if not ids:
                empty_ids.add(k["id"])
                continue
            norm = normalize_box(k["box"], width, height)
            if self.use_textline_bbox_info:
                token_boxes = [norm] * len(ids)
            else:
                token_boxes = split_box(norm, tokens)
            start = len(input_ids)
            cid = self.labels.class_id(k["label"])
            if self.contains_re and cid != 0:
                entity_index[k["id"]] = len(entities)
                entities.append({"start": start, "end": start + len(ids), "label": self.labels.class_name(cid)})
            id2label[k["id"]] = self.labels.class_name(cid)
            input_ids.extend(ids)
            bboxes.extend(token_boxes)
            if not self.infer_mode:
                labels.extend(self.labels.line_tags(k["label"], len(ids)))
            offsets.append(len(input_ids))
            info = dict(k["entry"])
            info["bbox"] = [float(v) for v in k["box"]]
            ocr_info.append(info)
        if not input_ids:
            raise SampleError("the document has no text: every transcription is empty")

        data["input_ids"] = input_ids
        data["bbox"] = bboxes
        data["token_type_ids"] = [0] * len(input_ids)
        data["attention_mask"] = [1] * len(input_ids)
        if not self.infer_mode:
            data["labels"] = labels
        data["segment_offset_id"] = offsets
        data["ocr_info"] = ocr_info
        data["pad_token_id"] = int(self.tokenizer.pad_token_id)
        if self.contains_re:
            data["entities"] = entities
            data["relations"] = [r for r in relations if r[0] not in empty_ids and r[1] not in empty_ids]
            data["id2label"] = id2label
            data["empty_entity"] = empty_ids
            data["entity_id_to_index_map"] = entity_index
        return data

    def __repr__(self) -> str:
        return (f"VQATokenLabelEncode(class_path={self.class_path!r}, contains_re={self.contains_re}, "
                f"algorithm={self.algorithm!r}, use_textline_bbox_info={self.use_textline_bbox_info}, "
                f"order_method={self.order_method!r}, infer_mode={self.infer_mode}, "
                f"tokenizer_path={self.tokenizer_path!r})")
