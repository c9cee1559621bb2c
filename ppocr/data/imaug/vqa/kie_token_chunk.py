"""Split a tokenized form into fixed-size windows so no token is dropped.

LayoutXLM reads at most ``max_seq_len`` tokens at once (its position table has 514 rows). A
form with more tokens is cut into consecutive *windows* of at most ``max_seq_len`` tokens,
breaking between text lines (a single line longer than a window is cut inside). Each window
is padded to ``max_seq_len``. With ``max_windows: 1`` (the default) the token keys keep
PaddleOCR's shapes (``[max_seq_len]``); with ``max_windows: k`` they get a leading window axis
(``[k, max_seq_len]``), unused windows are all padding, and the model runs every window and
joins the results, so SER labels and RE entities cover the whole document.

A document that needs more than ``max_windows`` windows raises ``SampleError`` saying how many
it needs: documents are never truncated silently. ``tools/make_kie_starter.py`` prints the
token counts of a data set to help choose ``max_seq_len`` and ``max_windows``.
"""
from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from ppocr.data.imaug.vqa.kie_token_pad import positive_int, pad_values, token_arrays
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError

#: RE entity class ids: 1 = candidate head (key), 2 = candidate tail (value), 0 = neither.
DEFAULT_ENTITY_LABELS = {"HEADER": 0, "QUESTION": 1, "ANSWER": 2}


def plan_windows(line_ends: Sequence[int], total: int, max_seq_len: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` windows covering ``range(total)``, each at most ``max_seq_len`` long.

    A window ends at the last line end that fits; only a line longer than ``max_seq_len`` is
    split inside.

    Args:
        line_ends: sorted exclusive end offsets of the text lines (``segment_offset_id``).
        total: number of tokens.
        max_seq_len: window length.
    """
    ends = sorted(set(int(e) for e in line_ends if 0 < e <= total))
    windows, start = [], 0
    while start < total:
        limit = start + max_seq_len
        if limit >= total:
            windows.append((start, total))
            break
        k = bisect.bisect_right(ends, limit) - 1
        end = ends[k] if k >= 0 and ends[k] > start else limit
        windows.append((start, end))
        start = end
    return windows


class _Windows:
    """Where each original token lands once the document is cut into padded windows."""

    def __init__(self, windows: list[tuple[int, int]], max_seq_len: int):
        self.windows = windows
        self.max_seq_len = max_seq_len
        self.starts = [s for s, _ in windows]

    def flat(self, pos: int) -> int:
        """Position of original token ``pos`` in the flattened ``[windows * max_seq_len]`` sequence."""
        w = bisect.bisect_right(self.starts, pos) - 1
        return w * self.max_seq_len + pos - self.starts[w]

    def flat_end(self, end: int) -> int:
        """Flattened exclusive end of a span whose original exclusive end is ``end``."""
        return self.flat(end - 1) + 1


def _token_count(data: dict, op: str) -> int:
    offsets = data.get("segment_offset_id")
    if offsets is None or "input_ids" not in data:
        raise SampleError(f"{op} needs 'input_ids' and 'segment_offset_id'; put VQATokenLabelEncode "
                          "(and VQATokenPad) before it")
    return int(offsets[-1]) if len(offsets) else 0


def window_document(data: dict, max_seq_len: int, max_windows: int, op: str) -> _Windows:
    """Cut the token keys of ``data`` into windows in place; add ``line_ids``.

    Returns:
        The window layout, for remapping token positions (RE entities).

    Raises:
        SampleError: the document needs more than ``max_windows`` windows.
    """
    total = _token_count(data, op)
    windows = plan_windows(data["segment_offset_id"], total, max_seq_len)
    if len(windows) > max_windows:
        raise SampleError(
            f"the document has {total} tokens, which need {len(windows)} windows of max_seq_len={max_seq_len} "
            f"tokens, but {op}.max_windows is {max_windows}; set max_windows: {len(windows)} or more (batches "
            f"then have shape [max_windows, max_seq_len]), or raise max_seq_len (at most the model's "
            f"max_position_embeddings)")
    values = pad_values(data)
    arrays = token_arrays(data)
    for key, arr in arrays.items():
        if len(arr) < total:
            raise SampleError(f"{op}: {key!r} has {len(arr)} entries but the lines end at token {total}")
        out = np.full((max_windows, max_seq_len) + arr.shape[1:], values[key], dtype=np.int64)
        for w, (s, e) in enumerate(windows):
            out[w, : e - s] = arr[s:e]
        data[key] = out[0] if max_windows == 1 else out
    token_line = np.searchsorted(np.asarray(data["segment_offset_id"], dtype=np.int64), np.arange(total), side="right")
    lines = np.full((max_windows, max_seq_len), -1, dtype=np.int64)
    for w, (s, e) in enumerate(windows):
        lines[w, : e - s] = token_line[s:e]
    data["line_ids"] = lines[0] if max_windows == 1 else lines
    return _Windows(windows, max_seq_len)


def _check_windows_args(max_seq_len, max_windows, infer_mode) -> None:
    positive_int("max_seq_len", max_seq_len)
    positive_int("max_windows", max_windows)
    if not isinstance(infer_mode, bool):
        raise TypeError(f"infer_mode must be true or false, got {infer_mode!r}")


@TRANSFORMS.register()
class VQASerTokenChunk:
    """Cut a tokenized form into ``max_windows`` padded windows of ``max_seq_len`` tokens (SER).

    See the module docstring for the window layout. Lines are kept whole where possible.

    Required keys: ``input_ids``, ``bbox``, ``segment_offset_id``, ``pad_token_id`` (from
    ``VQATokenLabelEncode``); ``token_type_ids``, ``attention_mask``, ``labels`` when present.
    Modified keys: those token keys, as int64 arrays ``[max_seq_len]`` (``max_windows: 1``) or
    ``[max_windows, max_seq_len]`` (``bbox`` with a trailing 4).
    Added keys: ``line_ids`` (same shape: the index of the text line, in ``ocr_info`` order, each
    position belongs to, -1 on padding; post-processing turns token predictions into one class
    per line with it).

    Args:
        max_seq_len: tokens per window (the model's sequence length).
        max_windows: windows per document; more raises ``SampleError``.
        infer_mode: accepted for PaddleOCR configs (labels are optional either way).

    Raises:
        SampleError: the document needs more than ``max_windows`` windows.
    """

    def __init__(self, max_seq_len: int = 512, max_windows: int = 1, infer_mode: bool = False):
        _check_windows_args(max_seq_len, max_windows, infer_mode)
        self.max_seq_len = max_seq_len
        self.max_windows = max_windows
        self.infer_mode = infer_mode

    def __call__(self, data: dict) -> dict:
        window_document(data, self.max_seq_len, self.max_windows, "VQASerTokenChunk")
        return data

    def __repr__(self) -> str:
        return f"VQASerTokenChunk(max_seq_len={self.max_seq_len}, max_windows={self.max_windows})"


@TRANSFORMS.register()
class VQAReTokenChunk:
    """Window a tokenized form like ``VQASerTokenChunk`` and re-index its RE entities and relations.

    Entity spans are moved to their positions in the flattened window sequence
    (``window * max_seq_len + offset``), so the model finds each entity's first token there.
    Entity class names become ids with ``entities_labels`` (default ``HEADER: 0, QUESTION: 1,
    ANSWER: 2``; 1 marks candidate heads, 2 candidate tails; other classes become 0).

    Required keys: as ``VQASerTokenChunk``, plus ``entities`` (from ``VQATokenLabelEncode`` with
    ``contains_re``) and ``relations`` as ``[{head, tail}]`` entity indices (from
    ``VQAReTokenRelation``).
    Modified keys: the token keys (as ``VQASerTokenChunk``); ``entities`` becomes
    ``{'start': [...], 'end': [...], 'label': [...]}``; ``relations`` becomes
    ``{'head': [...], 'tail': [...]}``.
    Added keys: ``line_ids``.

    Args:
        max_seq_len: tokens per window.
        max_windows: windows per document; more raises ``SampleError``.
        entities_labels: entity class name -> id (0, 1 or 2).
        infer_mode: accepted for PaddleOCR configs.
    """

    def __init__(self, max_seq_len: int = 512, max_windows: int = 1, entities_labels: dict | None = None,
                 infer_mode: bool = False):
        _check_windows_args(max_seq_len, max_windows, infer_mode)
        labels = DEFAULT_ENTITY_LABELS if entities_labels is None else entities_labels
        if not isinstance(labels, dict) or not all(isinstance(k, str) and v in (0, 1, 2) for k, v in labels.items()):
            raise ValueError(f"entities_labels must map class names to 0, 1 (head) or 2 (tail), got {entities_labels!r}")
        if 1 not in labels.values() or 2 not in labels.values():
            raise ValueError(f"entities_labels needs at least one head class (1) and one tail class (2), got {labels!r}")
        self.max_seq_len = max_seq_len
        self.max_windows = max_windows
        self.entities_labels = {k.upper(): v for k, v in labels.items()}
        self.infer_mode = infer_mode

    def __call__(self, data: dict) -> dict:
        entities, relations = data.get("entities"), data.get("relations")
        if not isinstance(entities, list):
            raise SampleError("VQAReTokenChunk needs 'entities'; set contains_re: True in VQATokenLabelEncode")
        if not isinstance(relations, list) or any(not isinstance(r, dict) for r in relations):
            raise SampleError("VQAReTokenChunk needs 'relations' as [{head, tail}]; put VQAReTokenRelation before it")
        layout = window_document(data, self.max_seq_len, self.max_windows, "VQAReTokenChunk")
        data["entities"] = {
            "start": [layout.flat(e["start"]) for e in entities],
            "end": [layout.flat_end(e["end"]) for e in entities],
            "label": [self.entities_labels.get(str(e["label"]).upper(), 0) for e in entities],
        }
        data["relations"] = {"head": [r["head"] for r in relations], "tail": [r["tail"] for r in relations]}
        return data

    def __repr__(self) -> str:
        return (f"VQAReTokenChunk(max_seq_len={self.max_seq_len}, max_windows={self.max_windows}, "
                f"entities_labels={self.entities_labels})")
