"""The character list shared by label encoders and decoders, so both index characters identically.

Index 0 is the CTC blank; characters start at 1 in dictionary order.
"""
from __future__ import annotations

import os

from ppocr.utils.errors import ConfigError

DEFAULT_CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyz"


def load_character_list(character_dict_path: str | None = None, use_space_char: bool = False) -> list[str]:
    """Return the dictionary's characters (without the blank).

    Args:
        character_dict_path: a UTF-8 file with one character per line; ``None`` selects the
            lowercase alphanumeric default (labels are then lower-cased by the encoder).
        use_space_char: append ``' '`` when it is not already in the file.

    Raises:
        ConfigError: missing file, empty file or a line with more than one character.
    """
    if not character_dict_path:
        chars = list(DEFAULT_CHARACTERS)
    else:
        if not os.path.isfile(character_dict_path):
            raise ConfigError(f"character_dict_path {character_dict_path!r} does not exist; "
                              "set Global.character_dict_path to a file with one character per line")
        chars, seen = [], set()
        with open(character_dict_path, encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                ch = line.rstrip("\r\n")
                if not ch:
                    continue
                if len(ch) != 1:
                    raise ConfigError(f"{character_dict_path}:{no}: expected one character per line, got {ch!r}")
                if ch in seen:
                    raise ConfigError(f"{character_dict_path}:{no}: character {ch!r} is listed twice")
                seen.add(ch)
                chars.append(ch)
        if not chars:
            raise ConfigError(f"character_dict_path {character_dict_path!r} is empty")
    if use_space_char and " " not in chars:
        chars.append(" ")
    return chars
