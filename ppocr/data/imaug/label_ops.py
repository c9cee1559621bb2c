"""Label encoders: transcription text -> class-id arrays."""
from __future__ import annotations

import collections
import logging

import numpy as np

from ppocr.registry import TRANSFORMS
from ppocr.utils.character import load_character_list
from ppocr.utils.errors import SampleError

logger = logging.getLogger(__name__)


@TRANSFORMS.register()
class CTCLabelEncode:
    """Encode a transcription as CTC class ids (0 = blank, dictionary character ``i`` -> ``i + 1``).

    Without a ``character_dict_path`` the default dictionary is lowercase ``0-9a-z`` and the
    text is lower-cased first, as PaddleOCR does. Characters outside the dictionary are dropped
    from the label, as PaddleOCR drops them (``unknown_chars: drop``); each such character is
    named in the log the first time it is seen and counted in :attr:`dropped`. With
    ``unknown_chars: error`` they make the sample bad instead (an error naming file and line, or
    a counted skip with ``skip_bad_samples``).

    Required keys: ``label`` (str).
    Modified keys: ``label`` (``int64`` array of length ``max_text_length``, zero-padded).
    Added keys: ``length`` (``int64`` scalar, number of characters).

    Args:
        max_text_length: longest transcription accepted (``Global.max_text_length``).
        character_dict_path: dictionary file (``Global.character_dict_path``).
        use_space_char: add ``' '`` to the dictionary (``Global.use_space_char``).
        lower: lower-case the text before encoding (always on with the default dictionary).
        unknown_chars: ``'drop'`` (PaddleOCR) or ``'error'``.

    Attributes:
        dropped: ``collections.Counter`` of the characters dropped so far (in this process).

    Raises:
        SampleError: empty text (also after dropping), text longer than ``max_text_length``, or
            with ``unknown_chars: error`` characters that are not in the dictionary.
    """

    UNKNOWN_CHARS = ("drop", "error")

    def __init__(self, max_text_length: int = 25, character_dict_path: str | None = None,
                 use_space_char: bool = False, lower: bool = False, unknown_chars: str = "drop"):
        if unknown_chars not in self.UNKNOWN_CHARS:
            raise ValueError(f"unknown_chars must be 'drop' (PaddleOCR: leave them out of the label) or 'error', "
                             f"got {unknown_chars!r}")
        self.unknown_chars = unknown_chars
        self.dropped: collections.Counter = collections.Counter()
        if isinstance(max_text_length, bool) or not isinstance(max_text_length, int) or max_text_length < 1:
            raise ValueError(f"max_text_length must be a positive integer, got {max_text_length!r}")
        for arg, val in (("use_space_char", use_space_char), ("lower", lower)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be true or false, got {val!r}")
        if character_dict_path is not None and not isinstance(character_dict_path, str):
            raise TypeError(f"character_dict_path must be a path string or null, got {character_dict_path!r}")
        self.max_text_length = max_text_length
        self.character_dict_path = character_dict_path
        self.use_space_char = use_space_char
        self.lower = lower or not character_dict_path
        chars = load_character_list(character_dict_path, use_space_char)
        self.character = ["blank"] + chars
        self.dict = {ch: i + 1 for i, ch in enumerate(chars)}

    def encode(self, text: str) -> list[int]:
        """Return the class ids of ``text``.

        Raises:
            SampleError: see the class docstring.
        """
        if not isinstance(text, str):
            raise SampleError(f"expected the transcription as text, got {type(text).__name__} {text!r}")
        if self.lower:
            text = text.lower()
        if len(text) == 0:
            raise SampleError("the transcription is empty; every sample needs at least one character")
        if len(text) > self.max_text_length:
            raise SampleError(f"the transcription {text!r} has {len(text)} characters but max_text_length is "
                              f"{self.max_text_length}; raise Global.max_text_length to at least {len(text)}")
        missing = sorted({ch for ch in text if ch not in self.dict})
        if missing:
            where = (f"the file at character_dict_path ({self.character_dict_path})" if self.character_dict_path
                     else "a dictionary file and set Global.character_dict_path to it (the default dictionary "
                          "is 0-9a-z)")
            hint = f"add them to {where}"
            if " " in missing and not self.use_space_char:
                hint += ", or set Global.use_space_char: True for spaces"
            if self.unknown_chars == "error":
                raise SampleError(f"the transcription {text!r} has characters that are not in the dictionary: "
                                  f"{', '.join(repr(c) for c in missing)}; {hint}")
            new = [ch for ch in missing if ch not in self.dropped]
            self.dropped.update(ch for ch in text if ch not in self.dict)
            if new:
                logger.warning("characters not in the dictionary are dropped from the labels (as PaddleOCR does), "
                               "first seen in %r: %s; %s, or set unknown_chars: error in CTCLabelEncode to treat "
                               "them as bad samples", text, ", ".join(repr(c) for c in new), hint)
            text = "".join(ch for ch in text if ch in self.dict)
            if not text:
                raise SampleError(f"no character of the transcription is in the dictionary "
                                  f"({', '.join(map(repr, missing))}); {hint}")
        return [self.dict[ch] for ch in text]

    def check_label(self, text: str) -> str | None:
        """Why ``text`` cannot be encoded, or None (the datasets check every label before training, so
        characters that will be dropped are named in the log before the first step)."""
        try:
            self.encode(text)
        except SampleError as e:
            return str(e)
        return None

    def __call__(self, data: dict) -> dict:
        ids = self.encode(data["label"])
        label = np.zeros(self.max_text_length, dtype=np.int64)
        label[:len(ids)] = ids
        data["label"] = label
        data["length"] = np.array(len(ids), dtype=np.int64)
        return data

    def __repr__(self) -> str:
        return (f"CTCLabelEncode(max_text_length={self.max_text_length}, "
                f"character_dict_path={self.character_dict_path!r}, use_space_char={self.use_space_char}, "
                f"lower={self.lower}, unknown_chars={self.unknown_chars!r}, num_classes={len(self.character)})")
