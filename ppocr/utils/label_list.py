"""Class-name lists (``Global.label_list``) shared by label encoders and decoders, so both index classes alike."""
from __future__ import annotations

from typing import Any

#: PaddleOCR's default ``label_list``: text upright (``'0'``) or upside down (``'180'``).
DEFAULT_LABEL_LIST = ("0", "180")


def check_label_list(value: Any, arg: str = "label_list") -> list[str]:
    """Validate a list of class names and return it as strings, in index order.

    Integers are accepted and turned into their decimal text (``-o Global.label_list=[0,180]`` parses
    to numbers, and label files hold ``0`` / ``180`` as text).

    Args:
        value: the list, e.g. ``['0', '180']``.
        arg: the option name, for messages.

    Returns:
        The class names.

    Raises:
        TypeError: not a list of strings/integers.
        ValueError: fewer than two classes, an empty name, or a name listed twice.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{arg} must be a list of class names such as ['0', '180'], got {value!r}")
    names = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise TypeError(f"{arg} entries must be strings (class names as the label file writes them), got {item!r}")
        names.append(str(item))
    if len(names) < 2:
        raise ValueError(f"{arg} needs at least two classes, got {names!r}")
    if any(not n for n in names):
        raise ValueError(f"{arg} has an empty class name: {names!r}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{arg} lists {', '.join(map(repr, dup))} more than once: {names!r}")
    return names
