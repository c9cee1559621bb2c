"""VQATokenPad: pad a tokenized form to ``max_seq_len`` and turn its token lists into arrays."""
from __future__ import annotations

import numpy as np

from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError

#: Label of padding tokens; the SER loss and metric ignore it (paddle's CrossEntropyLoss default).
IGNORE_INDEX = -100
#: Per-token keys the KIE transforms carry, with their padding value (``input_ids`` pads with
#: the tokenizer's ``pad_token_id``, taken from the sample).
PAD_VALUES = {"token_type_ids": 0, "attention_mask": 0, "bbox": 0, "labels": IGNORE_INDEX}
SEQ_KEYS = ("input_ids", "token_type_ids", "attention_mask", "bbox", "labels")


def positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def token_arrays(data: dict, keys=SEQ_KEYS) -> dict[str, np.ndarray]:
    """The per-token keys of ``data`` as int64 arrays (``bbox`` as ``[n, 4]``)."""
    out = {}
    for key in keys:
        if key in data:
            arr = np.asarray(data[key], dtype=np.int64)
            if key == "bbox":
                arr = arr.reshape(-1, 4)
            out[key] = arr
    return out


def pad_values(data: dict) -> dict[str, int]:
    """Padding value of every per-token key; ``input_ids`` uses ``data['pad_token_id']``."""
    if "pad_token_id" not in data:
        raise SampleError("the sample has no 'pad_token_id'; put VQATokenLabelEncode before the KIE token transforms")
    return dict(PAD_VALUES, input_ids=int(data["pad_token_id"]))


@TRANSFORMS.register()
class VQATokenPad:
    """Pad the token keys of a form up to ``max_seq_len`` and convert them to int64 arrays.

    A document shorter than ``max_seq_len`` gets padding tokens (``pad_token_id``, box
    ``[0, 0, 0, 0]``, attention 0, label -100, which the loss and metric ignore); a longer one is left whole
    for ``VQASerTokenChunk`` / ``VQAReTokenChunk`` to split into windows (nothing is cut here).

    Required keys: ``input_ids``, ``bbox``, ``pad_token_id`` (from ``VQATokenLabelEncode``);
    ``token_type_ids``, ``attention_mask``, ``labels`` when present.
    Modified keys: those token keys (int64 arrays, ``bbox`` ``[n, 4]``); ``attention_mask`` /
    ``token_type_ids`` are removed when their ``return_*`` option is false.
    Added keys: none.

    Args:
        max_seq_len: pad to this many tokens.
        pad_to_max_seq_len: pad at all (false: only convert to arrays).
        return_attention_mask: keep ``attention_mask``.
        return_token_type_ids: keep ``token_type_ids``.
        infer_mode: accepted for PaddleOCR configs; labels are padded when present either way.
    """

    def __init__(self, max_seq_len: int = 512, pad_to_max_seq_len: bool = True, return_attention_mask: bool = True,
                 return_token_type_ids: bool = True, infer_mode: bool = False):
        self.max_seq_len = positive_int("max_seq_len", max_seq_len)
        for arg, val in (("pad_to_max_seq_len", pad_to_max_seq_len), ("return_attention_mask", return_attention_mask),
                         ("return_token_type_ids", return_token_type_ids), ("infer_mode", infer_mode)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        self.pad_to_max_seq_len = pad_to_max_seq_len
        self.return_attention_mask = return_attention_mask
        self.return_token_type_ids = return_token_type_ids
        self.infer_mode = infer_mode

    def __call__(self, data: dict) -> dict:
        if "input_ids" not in data or "bbox" not in data:
            raise SampleError("VQATokenPad needs 'input_ids' and 'bbox'; put VQATokenLabelEncode before it")
        arrays = token_arrays(data)
        n = len(arrays["input_ids"])
        for key, arr in arrays.items():
            if len(arr) != n:
                raise SampleError(f"VQATokenPad: {key!r} has {len(arr)} entries but input_ids has {n}")
        missing = self.max_seq_len - n if self.pad_to_max_seq_len else 0
        values = pad_values(data)
        for key, arr in arrays.items():
            if missing > 0:
                pad = np.full((missing,) + arr.shape[1:], values[key], dtype=np.int64)
                arr = np.concatenate([arr, pad])
            data[key] = arr
        if not self.return_attention_mask:
            data.pop("attention_mask", None)
        if not self.return_token_type_ids:
            data.pop("token_type_ids", None)
        return data

    def __repr__(self) -> str:
        return (f"VQATokenPad(max_seq_len={self.max_seq_len}, pad_to_max_seq_len={self.pad_to_max_seq_len}, "
                f"return_attention_mask={self.return_attention_mask}, "
                f"return_token_type_ids={self.return_token_type_ids})")
