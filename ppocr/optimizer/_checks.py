"""Argument checks shared by schedules, regularizers and optimizers (ValueError naming the argument)."""
from __future__ import annotations

import numbers


def check_number(arg: str, value, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float after checking it is a real number in the given range.

    Args:
        arg: the argument's name, used in the message.
        value: what the config gave.
        low: lower bound, or ``None``.
        high: upper bound, or ``None``.
        low_open: exclude ``low`` itself.
        high_open: exclude ``high`` itself.

    Raises:
        ValueError: not a number (booleans included) or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{arg} must be a number, got {value!r}")
    value = float(value)
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        lo = "" if low is None else f"{'(' if low_open else '['}{low}"
        hi = "" if high is None else f"{high}{')' if high_open else ']'}"
        rng = f"{lo or '(-inf'}, {hi or 'inf)'}"
        raise ValueError(f"{arg} must be in {rng}, got {value!r}")
    return value


def check_bool(arg: str, value) -> bool:
    """Return ``value`` after checking it is a boolean.

    Raises:
        ValueError: not ``True``/``False``.
    """
    if not isinstance(value, bool):
        raise ValueError(f"{arg} must be true or false, got {value!r}")
    return value


def check_positive_int(arg: str, value) -> int:
    """Return ``value`` after checking it is an integer >= 1.

    Raises:
        ValueError: not an integer (booleans included) or below 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{arg} must be an integer >= 1, got {value!r}")
    return int(value)
