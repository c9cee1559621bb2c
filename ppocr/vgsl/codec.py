"""Codec: text <-> sequences of class ids for CTC training (Tesseract unicharset + recoder, kraken codec).

A codec maps *symbols* (normally single code points) to sequences of *codes* ``1..M``; code ``0``
is the CTC blank, so the network's output size is ``num_classes = M + 1``.

Text pipeline (``encode``; ``decode`` runs it backwards):

1. ``normalization``: Unicode NFC/NFD/NFKC/NFKD (or ``None``), then, with
   ``normalize_whitespace``, every run of whitespace becomes one space and the ends are stripped.
   :meth:`Codec.normalize` gives this form; ``decode(encode(t)) == normalize(t)``.
2. ``recode`` (Tesseract-style recoding, makes large alphabets small):

   * Hangul syllables -> conjoining jamo L V [T] by Unicode arithmetic
     (``S = 0xAC00 + (L * 21 + V) * 28 + T``), so ~11k syllables need at most 19 + 21 + 27 codes;
   * any other character -> its canonical decomposition (NFD): base + combining marks
     (``ệ`` -> ``e`` U+0323 U+0302), so accented letters share codes;
   * Han ideographs -> ``han_digits`` (2 or 3) codes. The Han characters seen are numbered in
     code-point order, ``i = 0..N-1``, and ``i`` is written in base ``k = ceil(N ** (1 / digits))``,
     most significant digit first. Each digit *position* has its own ``k`` codes, so a Han
     character is always "position-0 code, position-1 code[, position-2 code]" and never two
     equal codes in a row (CTC needs no blank inside it). 3000 characters: 2 codes each from
     2 * 55 = 110 codes (3 digits: 3 * 15 = 45 codes) instead of 3000.

   Decoding composes jamo back into syllables and re-applies the normalisation (which composes
   base + marks for NFC/NFKC), so recoding needs one of the four normalisation forms.
3. ``reorder`` (off by default; turn it on to train right-to-left scripts, as kraken's
   ``--reorder`` does): bidi reordering from logical to display order (the order of the glyphs in
   the line image, left to right) for lines with right-to-left text, and back when decoding.
   ``base_dir`` ``'L'``/``'R'`` fixes the paragraph direction; ``'auto'`` picks ``R`` when the
   line has more strong right-to-left than left-to-right characters (a count, unlike Unicode's
   first-strong rule, does not change under reordering, so decoding finds the same direction).
   Uses ``python-bidi``; without it, lines whose strong characters are all right-to-left and that
   have no digits are reversed (exact for them) and other mixed lines raise ``ConfigError``.
   Brackets are not mirrored (python-bidi does not apply rule L4); encode and decode agree, so
   training is unaffected. Display order loses information: ``'hello שלום 12'`` and
   ``'hello 12 שלום'`` look the same, so they get the same codes and decoding (the same reordering
   applied again) returns one of them. Round trips are exact for purely right-to-left lines;
   lines that mix directions (right-to-left text with numbers, or with a left-to-right word)
   usually come back exactly, but not always; ``reorder=False`` is always exact.
4. Symbols are matched longest first (a loaded kraken codec may map strings such as ``'ch'``)
   and replaced by their codes. Characters without a symbol raise :class:`UnknownCharactersError`.

Decoding invalid code sequences (a Han digit code without its partner, an id outside the codec)
follows ``errors``: ``'ignore'`` (default) drops the codes, ``'replace'`` puts U+FFFD there,
``'strict'`` raises :class:`CodecDecodeError`. Blanks (0) in the input are skipped.

Files: ``save('x.json')`` writes the full codec as JSON; ``save('x.txt')`` a one-character-per-line
dictionary (``Global.character_dict_path`` format, only for codecs without recoding whose codes
are ``1..M`` in order). ``load`` reads both, and a kraken codec JSON (``{"a": [1], "c": [23, 24]}``).

Example:
    >>> codec = Codec.from_texts(["한국어 텍스트", "漢字"], recode=True)
    >>> codes = codec.encode("한국")      # 5 jamo codes
    >>> codec.decode(codes)
    '한국'
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import os
import re
import unicodedata
from typing import Iterable, Mapping, Optional, Sequence

from ppocr.utils.character import load_character_list
from ppocr.utils.errors import ConfigError, DataError, SampleError

logger = logging.getLogger(__name__)

NORMALIZATIONS = ("NFC", "NFD", "NFKC", "NFKD")
BASE_DIRS = ("auto", "L", "R")
DECODE_ERRORS = ("ignore", "replace", "strict")
FORMAT = "ppocr-codec/1"

# Hangul syllable arithmetic (Unicode chapter 3.12).
_S_BASE, _L_BASE, _V_BASE, _T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
_L_COUNT, _V_COUNT, _T_COUNT = 19, 21, 28
_N_COUNT = _V_COUNT * _T_COUNT
_S_COUNT = _L_COUNT * _N_COUNT

_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F), (0x30000, 0x323AF))
_WS = re.compile(r"\s+")


class UnknownCharactersError(SampleError):
    """``encode`` met characters that the codec cannot encode.

    Attributes:
        characters: the unknown characters (sorted, unique) as they appear in the text after
            normalisation (with recoding, the missing piece, e.g. a combining mark, is named too).
        text: the text that failed.
    """

    def __init__(self, text: str, characters: Sequence[str], pieces: Mapping[str, str] | None = None):
        self.text = text
        self.characters = list(characters)
        shown = []
        for ch in self.characters:
            piece = (pieces or {}).get(ch)
            extra = f" (its part {_describe(piece)} has no code)" if piece and piece != ch else ""
            shown.append(_describe(ch) + extra)
        super().__init__(f"cannot encode {text!r}: the codec has no code for {', '.join(shown)}; "
                         "build the codec from text that contains them (or merge with mode 'union')")


class CodecDecodeError(DataError):
    """``decode(..., errors='strict')`` met a code sequence that is no symbol."""


def _describe(ch: str) -> str:
    return " + ".join(f"{c!r} U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in ch)


def is_han(ch: str) -> bool:
    """True for a CJK (Han) ideograph, including extensions and compatibility ideographs."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _HAN_RANGES)


def hangul_to_jamo(ch: str) -> str:
    """A precomposed Hangul syllable as its L V [T] conjoining jamo; other characters unchanged."""
    s = ord(ch) - _S_BASE
    if not 0 <= s < _S_COUNT:
        return ch
    lead, vowel, tail = s // _N_COUNT, (s % _N_COUNT) // _T_COUNT, s % _T_COUNT
    jamo = chr(_L_BASE + lead) + chr(_V_BASE + vowel)
    return jamo + chr(_T_BASE + tail) if tail else jamo


def jamo_to_hangul(text: str) -> str:
    """Compose every L V [T] run of conjoining jamo into its precomposed syllable."""
    out, i = [], 0
    while i < len(text):
        lead = ord(text[i]) - _L_BASE
        vowel = ord(text[i + 1]) - _V_BASE if i + 1 < len(text) else -1
        if 0 <= lead < _L_COUNT and 0 <= vowel < _V_COUNT:
            tail = ord(text[i + 2]) - _T_BASE if i + 2 < len(text) else -1
            if not 0 < tail < _T_COUNT:
                tail = 0
            out.append(chr(_S_BASE + (lead * _V_COUNT + vowel) * _T_COUNT + tail))
            i += 3 if tail else 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# -- bidi ---------------------------------------------------------------------------------------
def _strong_counts(text: str) -> tuple[int, int]:
    ltr = rtl = 0
    for ch in text:
        cls = unicodedata.bidirectional(ch)
        if cls == "L":
            ltr += 1
        elif cls in ("R", "AL"):
            rtl += 1
    return ltr, rtl


def _bidi_display(text: str, base_dir: str) -> str:
    """Logical <-> display order of one line (the same call both ways; see the module doc)."""
    ltr, rtl = _strong_counts(text)
    base = base_dir if base_dir != "auto" else ("R" if rtl > ltr else "L")
    if base == "L" and not rtl:
        return text
    try:
        from bidi import get_display
    except ImportError:
        get_display = None
    if get_display is not None:
        return get_display(text, base_dir=base)
    has_numbers = any(unicodedata.bidirectional(c) in ("EN", "AN") for c in text)
    if base == "R" and not ltr and not has_numbers:
        return text[::-1]
    raise ConfigError(f"reordering the mixed-direction line {text!r} needs python-bidi: pip install python-bidi "
                      "(without it only purely right-to-left lines without digits are reordered), or build the "
                      "codec with reorder=False")


# -- the codec ----------------------------------------------------------------------------------
class Codec:
    """Maps text to class ids and back. See the module docstring for the pipeline.

    Build one with :meth:`from_texts` (training transcriptions), :meth:`from_characters`
    (a dictionary) or :meth:`load`; the constructor takes an explicit symbol table.

    Args:
        symbols: ``{symbol: [code, ...]}`` with codes ``>= 1`` (0 is the blank); no two symbols
            may share a sequence.
        normalization: ``'NFC'``, ``'NFD'``, ``'NFKC'``, ``'NFKD'`` or ``None``.
        normalize_whitespace: collapse whitespace runs to one space and strip the ends.
        recode: decompose Hangul and combining sequences into their parts (see module doc).
            Needs a normalisation form.
        reorder: bidi logical -> display order for encoding (and back for decoding); see the
            module doc for when decoding is exact.
        base_dir: paragraph direction for ``reorder``: ``'auto'``, ``'L'`` or ``'R'``.
        han_codes: with recoding, the Han digit code ids per digit position
            (``han_codes[p][v]``: the code of digit value ``v`` at position ``p``).

    Attributes:
        num_classes: output size of the network: largest code + 1 (the blank).
        symbols: ``{symbol: tuple of codes}``.

    Raises:
        ValueError / TypeError: bad arguments (named in the message).
    """

    def __init__(self, symbols: Mapping[str, Sequence[int]], *, normalization: Optional[str] = "NFC",
                 normalize_whitespace: bool = True, recode: bool = False, reorder: bool = False,
                 base_dir: str = "auto", han_codes: Optional[Sequence[Sequence[int]]] = None):
        if normalization is not None and normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {', '.join(NORMALIZATIONS)} or None, got {normalization!r}")
        if base_dir not in BASE_DIRS:
            raise ValueError(f"base_dir must be one of {', '.join(BASE_DIRS)}, got {base_dir!r}")
        for arg, val in (("normalize_whitespace", normalize_whitespace), ("recode", recode), ("reorder", reorder)):
            if not isinstance(val, bool):
                raise TypeError(f"{arg} must be True or False, got {val!r}")
        if recode and normalization is None:
            raise ValueError("recode=True needs a normalization form (NFC, NFD, NFKC or NFKD) so that decoding can "
                             "compose the parts back exactly; NFC is the usual choice")
        if not isinstance(symbols, Mapping):
            raise TypeError(f"symbols must be a mapping {{symbol: [codes]}}, got {type(symbols).__name__}")
        table: dict[str, tuple[int, ...]] = {}
        owner: dict[tuple[int, ...], str] = {}
        for sym, codes in symbols.items():
            if not isinstance(sym, str) or not sym:
                raise ValueError(f"symbols must be non-empty strings, got {sym!r}")
            if isinstance(codes, int):
                codes = [codes]
            codes = tuple(codes)
            if not codes or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in codes):
                raise ValueError(f"symbol {sym!r} needs a non-empty list of codes >= 1 (0 is the blank), got {codes!r}")
            if codes in owner:
                raise ValueError(f"symbols {owner[codes]!r} and {sym!r} share the codes {list(codes)}; "
                                 "each symbol needs its own sequence")
            owner[codes] = sym
            table[sym] = codes
        self.symbols = table
        self.normalization = normalization
        self.normalize_whitespace = normalize_whitespace
        self.recode = recode
        self.reorder = reorder
        self.base_dir = base_dir
        self.han_codes: list[list[int]] = [list(p) for p in (han_codes or [])]
        if self.han_codes and len({len(p) for p in self.han_codes}) != 1:
            raise ValueError("han_codes needs the same number of digit codes at every position")
        used = {c for codes in table.values() for c in codes} | {c for p in self.han_codes for c in p}
        self.num_classes = max(used, default=0) + 1
        self._max_len = max((len(s) for s in table), default=1)
        self._trie: dict = {}
        for sym, codes in table.items():
            node = self._trie
            for c in codes:
                node = node.setdefault(c, {})
            node[None] = sym  # key None marks "a symbol ends here"
        self._compose = normalization in ("NFC", "NFKC")

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_texts(cls, texts: Iterable[str], *, normalization: Optional[str] = "NFC",
                   normalize_whitespace: bool = True, recode: bool = False, han_digits: int = 2,
                   reorder: bool = False, base_dir: str = "auto") -> "Codec":
        """Build a codec from training transcriptions: every symbol seen, in code-point order.

        Args:
            texts: the transcriptions.
            normalization, normalize_whitespace, recode, reorder, base_dir: see the class.
            han_digits: codes per Han character with ``recode`` (2 or 3).

        Returns:
            The codec; codes ``1..A`` are the (decomposed) characters in code-point order, the Han
            digit codes follow, position by position.

        Raises:
            ValueError: bad options, or no characters at all.
        """
        if han_digits not in (2, 3):
            raise ValueError(f"han_digits must be 2 or 3, got {han_digits!r}")
        probe = cls({}, normalization=normalization, normalize_whitespace=normalize_whitespace, recode=recode,
                    reorder=reorder, base_dir=base_dir)
        atoms: set[str] = set()
        han: set[str] = set()
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__} {text!r}")
            for atom, _ in probe._atoms(probe.normalize(text)):
                (han if recode and is_han(atom) else atoms).add(atom)
        if not atoms and not han:
            raise ValueError("no characters in the texts to build a codec from")
        symbols = {a: [i] for i, a in enumerate(sorted(atoms), 1)}
        han_codes: list[list[int]] = []
        if han:
            k = max(1, math.ceil(len(han) ** (1.0 / han_digits) - 1e-9))
            while k ** han_digits < len(han):
                k += 1
            nxt = len(symbols) + 1
            han_codes = [list(range(nxt + p * k, nxt + (p + 1) * k)) for p in range(han_digits)]
            for i, ch in enumerate(sorted(han)):
                digits = [(i // k ** (han_digits - 1 - p)) % k for p in range(han_digits)]
                symbols[ch] = [han_codes[p][d] for p, d in enumerate(digits)]
        codec = cls(symbols, normalization=normalization, normalize_whitespace=normalize_whitespace, recode=recode,
                    reorder=reorder, base_dir=base_dir, han_codes=han_codes)
        logger.info("codec built: %d symbols (%d Han) in %d codes (+ blank)", len(symbols), len(han),
                    codec.num_classes - 1)
        return codec

    @classmethod
    def from_characters(cls, characters: Sequence[str], **options) -> "Codec":
        """A codec where ``characters[i]`` has the single code ``i + 1``, as a ``character_dict_path``
        dictionary numbers them. ``options`` are the class's keyword arguments (no ``recode``:
        a dictionary lists whole characters)."""
        if options.get("recode"):
            raise ValueError("from_characters keeps the dictionary's numbering, so recode must be False")
        return cls({ch: [i] for i, ch in enumerate(characters, 1)}, **options)

    @property
    def options(self) -> dict:
        """The text options, to build a compatible codec: ``Codec.from_texts(texts, **codec.options)``."""
        opts = {"normalization": self.normalization, "normalize_whitespace": self.normalize_whitespace,
                "recode": self.recode, "reorder": self.reorder, "base_dir": self.base_dir}
        if self.han_codes:
            opts["han_digits"] = len(self.han_codes)
        return opts

    # -- text forms -----------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        """The text as the codec sees it (and as ``decode`` returns it): Unicode normalisation, then
        whitespace normalisation."""
        if self.normalization:
            text = unicodedata.normalize(self.normalization, text)
        if self.normalize_whitespace:
            text = _WS.sub(" ", text).strip()
        return text

    def _atoms(self, text: str) -> list[tuple[str, str]]:
        """(atom, source character) pairs: the text after recoding's decomposition."""
        if not self.recode:
            return [(ch, ch) for ch in text]
        out = []
        for ch in text:
            if is_han(ch):
                out.append((ch, ch))
                continue
            parts = hangul_to_jamo(ch)
            if parts == ch:
                parts = unicodedata.normalize("NFD", ch)
            out.extend((p, ch) for p in parts)
        return out

    # -- encode / decode ------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """The codes of ``text`` (may be empty for empty text).

        Raises:
            UnknownCharactersError: characters without a code (all of them are named).
            TypeError: ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode expects a string, got {type(text).__name__} {text!r}")
        pairs = self._atoms(self.normalize(text))
        seq = "".join(a for a, _ in pairs)
        if self.reorder:
            seq = _bidi_display(seq, self.base_dir)
        codes: list[int] = []
        unknown: dict[str, None] = {}
        i = 0
        while i < len(seq):
            for n in range(min(self._max_len, len(seq) - i), 0, -1):
                codes_of = self.symbols.get(seq[i:i + n])
                if codes_of is not None:
                    codes.extend(codes_of)
                    i += n
                    break
            else:
                unknown[seq[i]] = None
                i += 1
        if unknown:
            source = {}
            for atom, ch in pairs:
                if atom in unknown:
                    source.setdefault(ch, atom)
            chars = sorted(source) if source else sorted(unknown)
            raise UnknownCharactersError(text, chars, source)
        return codes

    def decode(self, codes: Iterable[int], errors: str = "ignore") -> str:
        """The text of a code sequence (after CTC collapsing; blanks are skipped).

        Args:
            codes: class ids.
            errors: what to do with codes that form no symbol: ``'ignore'`` drops them,
                ``'replace'`` writes U+FFFD, ``'strict'`` raises.

        Returns:
            The text, in the codec's normal form (:meth:`normalize`).

        Raises:
            CodecDecodeError: with ``errors='strict'``, an invalid code sequence.
            ValueError: unknown ``errors``.
        """
        if errors not in DECODE_ERRORS:
            raise ValueError(f"errors must be one of {', '.join(DECODE_ERRORS)}, got {errors!r}")
        seq = [int(c) for c in codes if int(c) != 0]
        out: list[str] = []
        i = 0
        while i < len(seq):
            node, j, best = self._trie, i, None
            while j < len(seq) and seq[j] in node:
                node = node[seq[j]]
                j += 1
                if None in node:
                    best = (node[None], j)
            if best is None:
                if errors == "strict":
                    raise CodecDecodeError(f"code {seq[i]} at position {i} of {seq} starts no symbol of this codec "
                                           f"(codes 1..{self.num_classes - 1})")
                if errors == "replace":
                    out.append("\ufffd")
                i += 1
                continue
            out.append(best[0])
            i = best[1]
        text = "".join(out)
        if self.reorder:
            text = _bidi_display(text, self.base_dir)
        if self.recode and self._compose:
            text = jamo_to_hangul(text)
        return self.normalize(text)

    # -- introspection --------------------------------------------------------------------------
    def code_labels(self) -> list[str]:
        """A printable label per class id: ``'blank'``, then the symbol of each single-code symbol,
        ``<han p:v>`` for Han digit codes and ``<id>`` for codes used only inside longer sequences."""
        labels = ["blank"] + [f"<{i}>" for i in range(1, self.num_classes)]
        for p, codes in enumerate(self.han_codes):
            for v, c in enumerate(codes):
                labels[c] = f"<han {p}:{v}>"
        for sym, codes in self.symbols.items():
            if len(codes) == 1:
                labels[codes[0]] = sym
        return labels

    @property
    def characters(self) -> list[str]:
        """The symbols, in code order."""
        return sorted(self.symbols, key=lambda s: self.symbols[s])

    def __contains__(self, symbol: str) -> bool:
        return symbol in self.symbols

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codec) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (f"Codec({len(self.symbols)} symbols, {self.num_classes} classes, normalization={self.normalization!r}, "
                f"normalize_whitespace={self.normalize_whitespace}, recode={self.recode}, reorder={self.reorder}, "
                f"base_dir={self.base_dir!r})")

    # -- merging for fine-tuning ----------------------------------------------------------------
    def merge(self, other: "Codec", mode: str = "union") -> tuple["Codec", dict[int, int]]:
        """Combine this (the model's) codec with ``other`` (built from new training data).

        Args:
            other: codec of the new data, built with the same text options (``self.options``).
            mode: ``'union'``: every old symbol keeps its codes and the new ones are appended;
                ``'new'``: exactly ``other``'s symbols: the shared ones keep their code sequences
                (renumbered in old order), the others get fresh codes after them.

        Returns:
            ``(codec, old_to_new)``: the merged codec and ``{old class id: new class id}`` for every
            class whose output weights stay meaningful (blank included), for
            ``VGSLNet.resize_output``. Symbols new to this codec get one new code each (a Han
            character with recoding gets a free digit sequence, adding digit codes when needed).

        Raises:
            ValueError: unknown mode, or the two codecs were built with different text options.
        """
        if mode not in ("union", "new"):
            raise ValueError(f"mode must be 'union' or 'new', got {mode!r}")
        if not isinstance(other, Codec):
            raise TypeError(f"merge expects a Codec, got {type(other).__name__}")
        mine = {k: v for k, v in self.options.items() if k != "han_digits"}
        theirs = {k: v for k, v in other.options.items() if k != "han_digits"}
        if mine != theirs:
            raise ValueError(f"codecs with different text options cannot be merged: {mine} vs {theirs}; build the "
                             "new one with Codec.from_texts(texts, **old_codec.options)")
        if mode == "union":
            symbols = {s: list(c) for s, c in self.symbols.items()}
            han_codes = [list(p) for p in self.han_codes]
            mapping = {i: i for i in range(self.num_classes)}
        else:
            kept = {s: c for s, c in self.symbols.items() if s in other.symbols}
            used = sorted({c for codes in kept.values() for c in codes}
                          | ({c for p in self.han_codes for c in p} if any(is_han(s) for s in kept) else set()))
            mapping = {0: 0, **{old: new for new, old in enumerate(used, 1)}}
            symbols = {s: [mapping[c] for c in codes] for s, codes in kept.items()}
            han_codes = ([[mapping[c] for c in p] for p in self.han_codes]
                         if any(is_han(s) for s in kept) else [])
        added = [s for s in other.characters if s not in symbols]
        nxt = max([c for codes in symbols.values() for c in codes] + [c for p in han_codes for c in p], default=0) + 1
        new_han = [s for s in added if self.recode and is_han(s)]
        for s in added:
            if s not in new_han:
                symbols[s] = [nxt]
                nxt += 1
        if new_han:
            digits = len(han_codes) or len(other.han_codes) or 2
            if not han_codes:
                han_codes = [[] for _ in range(digits)]
            taken = {tuple(han_codes[p].index(c) for p, c in enumerate(codes))
                     for s, codes in symbols.items() if is_han(s)}
            while len(han_codes[0]) ** digits < len(taken) + len(new_han):
                for p in range(digits):  # widen every position by one digit value (new codes at the end)
                    han_codes[p].append(nxt)
                    nxt += 1
            free = (t for t in itertools.product(range(len(han_codes[0])), repeat=digits) if t not in taken)
            for s, digit_values in zip(new_han, free):
                symbols[s] = [han_codes[p][v] for p, v in enumerate(digit_values)]
        merged = Codec(symbols, han_codes=han_codes, **{k: v for k, v in mine.items()})
        logger.info("codec merge (%s): %d old symbols, %d new, %d dropped -> %d classes", mode, len(self.symbols),
                    len(added), len(set(self.symbols) - set(merged.symbols)), merged.num_classes)
        return merged, mapping

    # -- files ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON-able description (``format``, options, ``symbols``, ``han_codes``)."""
        return {"format": FORMAT, "normalization": self.normalization,
                "normalize_whitespace": self.normalize_whitespace, "recode": self.recode, "reorder": self.reorder,
                "base_dir": self.base_dir, "symbols": {s: list(c) for s, c in self.symbols.items()},
                "han_codes": [list(p) for p in self.han_codes]}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Codec":
        """Inverse of :meth:`to_dict`; a mapping without ``format`` is read as a kraken codec
        (``{symbol: [codes]}``, no normalisation, no reordering)."""
        if "format" not in data:
            return cls(dict(data), normalization=None, normalize_whitespace=False, reorder=False)
        if data["format"] != FORMAT:
            raise ValueError(f"unknown codec format {data['format']!r}; this version reads {FORMAT!r}")
        keys = ("normalization", "normalize_whitespace", "recode", "reorder", "base_dir")
        return cls(data["symbols"], han_codes=data.get("han_codes") or None, **{k: data[k] for k in keys if k in data})

    def save(self, path: str) -> None:
        """Write ``path``: JSON when it ends in ``.json``, else a one-character-per-line dictionary.

        Raises:
            ValueError: a plain dictionary cannot describe this codec (recoding, multi-code or
                multi-character symbols, gaps); save it as ``.json``.
        """
        if path.endswith(".json"):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(self.to_dict(), f, ensure_ascii=False, indent=1)
            return
        chars = self.characters
        simple = (not self.recode and all(len(s) == 1 for s in chars)
                  and [self.symbols[s] for s in chars] == [(i,) for i in range(1, len(chars) + 1)]
                  and not any(c in "\r\n" for c in chars))
        if not simple:
            raise ValueError(f"{path}: a one-character-per-line dictionary cannot hold this codec (recoding, "
                             "multi-code or multi-character symbols, or line breaks); save it as .json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(ch + "\n" for ch in chars))

    @classmethod
    def load(cls, path: str, **options) -> "Codec":
        """Read a codec file written by :meth:`save` (``.json``: the codec, or a kraken codec), or a
        one-character-per-line dictionary (``options`` then give the text options).

        Raises:
            ConfigError: missing or unreadable file.
        """
        if not os.path.isfile(path):
            raise ConfigError(f"codec file {path!r} does not exist")
        try:
            if path.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
                if options:
                    raise ValueError(f"options {sorted(options)} are stored in the JSON codec; do not pass them")
                return cls.from_dict(data)
            return cls.from_characters(load_character_list(path), **options)
        except (ValueError, TypeError, KeyError) as e:
            raise ConfigError(f"codec file {path!r} is not a valid codec: {e}") from e
