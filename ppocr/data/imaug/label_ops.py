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


class _AttentionLabelEncode:
    """Shared by the attention-decoder encoders: the dictionary, unknown-character handling and the
    length limit of :class:`CTCLabelEncode` (which filters the text), ids shifted to the decoder's table.

    Attention labels hold a start and an end token, so a text may have at most ``max_text_length - 2``
    characters (PaddleOCR drops longer samples silently; here they are bad samples, named in an error or
    skipped with ``skip_bad_samples``).
    """

    name = "AttentionLabelEncode"

    def __init__(self, max_text_length: int = 25, character_dict_path: str | None = None,
                 use_space_char: bool = False, lower: bool = False, unknown_chars: str = "drop"):
        self.ctc = CTCLabelEncode(max_text_length, character_dict_path, use_space_char, lower, unknown_chars)
        self.max_text_length = max_text_length
        self.num_chars = len(self.ctc.character) - 1

    def ids(self, ctc_ids: list[int]) -> np.ndarray:
        """The padded label for already-filtered text (CTC ids: dictionary index + 1)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def check_length(self, text: str, n: int) -> None:
        if n > self.max_text_length - 2:
            raise SampleError(f"the transcription {text!r} has {n} characters but {self.name} labels (start and "
                              f"end token around the text) allow at most max_text_length - 2 = "
                              f"{self.max_text_length - 2}; raise Global.max_text_length to at least {n + 2}")

    def encode_label(self, text: str) -> tuple[np.ndarray, int]:
        ids = self.ctc.encode(text)
        self.check_length(text, len(ids))
        return self.ids(ids), len(ids)

    def check_label(self, text: str) -> str | None:
        try:
            self.encode_label(text)
        except SampleError as e:
            return str(e)
        return None

    def __call__(self, data: dict) -> dict:
        data["label"], n = self.encode_label(data["label"])
        data["length"] = np.array(n, dtype=np.int64)
        return data

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(max_text_length={self.max_text_length}, "
                f"character_dict_path={self.ctc.character_dict_path!r}, use_space_char={self.ctc.use_space_char}, "
                f"unknown_chars={self.ctc.unknown_chars!r}, num_classes={len(self.tokens)})")


@TRANSFORMS.register()
class SARLabelEncode(_AttentionLabelEncode):
    """Encode a transcription for the SAR head: dictionary ids from 0, then ``<UKN>``, the start/end
    token ``<BOS/EOS>`` and padding ``<PAD>`` (PaddleOCR's table).

    Required keys: ``label`` (str).
    Modified keys: ``label`` (``int64`` [max_text_length]: start, characters, end, padding).
    Added keys: ``length`` (``int64`` scalar, number of characters).

    Args: as :class:`CTCLabelEncode`.

    Attributes:
        tokens: the decoder's class names; ``start_idx == end_idx``, ``padding_idx`` the last.
    """

    name = "SARLabelEncode"

    def __init__(self, max_text_length: int = 25, character_dict_path: str | None = None,
                 use_space_char: bool = False, lower: bool = False, unknown_chars: str = "drop"):
        super().__init__(max_text_length, character_dict_path, use_space_char, lower, unknown_chars)
        self.tokens = self.ctc.character[1:] + ["<UKN>", "<BOS/EOS>", "<PAD>"]
        self.unknown_idx = self.num_chars
        self.start_idx = self.end_idx = self.num_chars + 1
        self.padding_idx = self.num_chars + 2

    def ids(self, ctc_ids: list[int]) -> np.ndarray:
        target = [self.start_idx] + [i - 1 for i in ctc_ids] + [self.end_idx]
        out = np.full(self.max_text_length, self.padding_idx, dtype=np.int64)
        out[:len(target)] = target
        return out


@TRANSFORMS.register()
class NRTRLabelEncode(_AttentionLabelEncode):
    """Encode a transcription for the NRTR head: ``blank`` (padding) 0, ``<unk>`` 1, ``<s>`` 2,
    ``</s>`` 3, then the dictionary (PaddleOCR's table).

    Required keys: ``label`` (str).
    Modified keys: ``label`` (``int64`` [max_text_length]: 2, characters, 3, zeros).
    Added keys: ``length`` (``int64`` scalar, number of characters).

    Args: as :class:`CTCLabelEncode`.

    Attributes:
        tokens: the decoder's class names.
    """

    name = "NRTRLabelEncode"

    def __init__(self, max_text_length: int = 25, character_dict_path: str | None = None,
                 use_space_char: bool = False, lower: bool = False, unknown_chars: str = "drop"):
        super().__init__(max_text_length, character_dict_path, use_space_char, lower, unknown_chars)
        self.tokens = ["blank", "<unk>", "<s>", "</s>"] + self.ctc.character[1:]

    def ids(self, ctc_ids: list[int]) -> np.ndarray:
        target = [2] + [i + 3 for i in ctc_ids] + [3]
        out = np.zeros(self.max_text_length, dtype=np.int64)
        out[:len(target)] = target
        return out


GTC_ENCODERS = {"SARLabelEncode": SARLabelEncode, "NRTRLabelEncode": NRTRLabelEncode}


@TRANSFORMS.register()
class MultiLabelEncode:
    """Encode a transcription for a ``MultiHead`` model: the CTC label and the guiding branch's label.

    The text is filtered once, as :class:`CTCLabelEncode` does (out-of-dictionary characters dropped
    and named once in the log, or bad samples with ``unknown_chars: error``); both labels encode the
    same characters. The output holds only the keys below (and ``img_path``), as in PaddleOCR.

    A text too long for the attention label (more than ``max_text_length - 2`` characters) is
    dropped (``None``), as PaddleOCR drops it: ``RecConAug`` may join lines up to
    ``max_text_length``. Label files are checked before training (``check_label``), where such a
    line is a bad sample.

    Required keys: ``image``, ``label`` (str).
    Modified keys: none kept but ``image`` and ``img_path``.
    Added keys: ``label_ctc`` (``int64`` [max_text_length]), ``label_sar`` (default) or ``label_gtc``
    (with ``gtc_encode``) (``int64`` [max_text_length]), ``length`` (``int64`` scalar).

    Args:
        max_text_length: ``Global.max_text_length``; the attention label allows 2 characters fewer.
        character_dict_path: ``Global.character_dict_path``.
        use_space_char: ``Global.use_space_char``.
        gtc_encode: the guiding label's encoder, ``NRTRLabelEncode`` or ``SARLabelEncode``; None
            (PP-OCRv3) writes a SAR label under ``label_sar``, a name writes ``label_gtc``.
        lower: lower-case the text (always on with the default dictionary).
        unknown_chars: ``'drop'`` (PaddleOCR) or ``'error'``.

    Attributes:
        character: the CTC classes (the post-processor decodes the same).

    Raises:
        ValueError: an unknown ``gtc_encode``.
    """

    def __init__(self, max_text_length: int = 25, character_dict_path: str | None = None,
                 use_space_char: bool = False, gtc_encode: str | None = None, lower: bool = False,
                 unknown_chars: str = "drop"):
        if gtc_encode is not None and gtc_encode not in GTC_ENCODERS:
            raise ValueError(f"gtc_encode must be one of {list(GTC_ENCODERS)} or null (SAR), got {gtc_encode!r}")
        self.gtc_encode = gtc_encode
        self.gtc = GTC_ENCODERS[gtc_encode or "SARLabelEncode"](max_text_length, character_dict_path,
                                                               use_space_char, lower, unknown_chars)
        self.ctc = self.gtc.ctc
        self.character = self.ctc.character
        self.gtc_key = "label_gtc" if gtc_encode else "label_sar"

    @property
    def dropped(self) -> collections.Counter:
        """The out-of-dictionary characters dropped so far (see :class:`CTCLabelEncode`)."""
        return self.ctc.dropped

    def check_label(self, text: str) -> str | None:
        return self.gtc.check_label(text)

    def __call__(self, data: dict) -> dict | None:
        text = data["label"]
        ids = self.ctc.encode(text)
        if len(ids) > self.ctc.max_text_length - 2:
            return None
        ctc = np.zeros(self.ctc.max_text_length, dtype=np.int64)
        ctc[:len(ids)] = ids
        return {"img_path": data.get("img_path"), "image": data["image"], "label_ctc": ctc,
                self.gtc_key: self.gtc.ids(ids), "length": np.array(len(ids), dtype=np.int64)}

    def __repr__(self) -> str:
        return (f"MultiLabelEncode(max_text_length={self.ctc.max_text_length}, "
                f"character_dict_path={self.ctc.character_dict_path!r}, use_space_char={self.ctc.use_space_char}, "
                f"gtc_encode={self.gtc_encode!r}, unknown_chars={self.ctc.unknown_chars!r}, "
                f"num_classes={len(self.character)})")
