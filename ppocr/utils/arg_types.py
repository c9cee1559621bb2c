"""Config values checked against the constructor's annotations, before anything is built.

``build`` calls :func:`check_args` so that ``Backbone: {scale: abc}`` says "Architecture.Backbone.scale:
MobileNetV3 takes a number, got 'abc' (str)" instead of a ``TypeError`` deep inside Paddle. Only what an
annotation states plainly is checked: ``int``, ``float``, ``bool``, ``str``, lists/tuples/sequences of those,
``dict``, unions of them and ``None``. Anything else (a callable, a Paddle layer, ``Any``) is accepted as is.
"""
from __future__ import annotations

import collections.abc as cabc
import functools
import inspect
import re
import types
import typing
from typing import Any, Callable

_UNKNOWN = object()   # an annotation this module does not judge


@functools.lru_cache(maxsize=None)
def param_annotations(cls: Callable) -> dict[str, Any]:
    """The resolved annotations of ``cls``'s constructor parameters (empty when they cannot be resolved)."""
    fn = cls.__init__ if inspect.isclass(cls) else cls
    try:
        hints = typing.get_type_hints(fn)
    except Exception:   # a forward reference this module cannot resolve: judge nothing
        return {}
    hints.pop("return", None)
    return hints


@functools.lru_cache(maxsize=None)
def _none_defaults(cls: Callable) -> frozenset[str]:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(p.name for p in params if p.default is None)


def _is_union(ann) -> bool:
    return typing.get_origin(ann) in (typing.Union, types.UnionType)


def _check(value: Any, ann) -> bool | object:
    """True/False when ``ann`` is judged, ``_UNKNOWN`` when it is not."""
    if ann is Any or ann is inspect.Parameter.empty:
        return _UNKNOWN
    if ann is type(None):
        return value is None
    if _is_union(ann):
        results = [_check(value, a) for a in typing.get_args(ann)]
        if any(r is True for r in results):
            return True
        return _UNKNOWN if any(r is _UNKNOWN for r in results) else False
    if ann is bool:
        return isinstance(value, bool)
    if ann is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if ann is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if ann is str:
        return isinstance(value, str)
    origin = typing.get_origin(ann) or ann
    if origin in (list, tuple, cabc.Sequence):
        if not isinstance(value, (list, tuple)):
            return False
        args = [a for a in typing.get_args(ann) if a is not Ellipsis]
        if not args:
            return True
        if origin is tuple and len(args) > 1 and Ellipsis not in typing.get_args(ann):
            if len(value) != len(args):
                return False
            results = [_check(v, a) for v, a in zip(value, args)]
        else:
            results = [_check(v, args[0]) for v in value]
        return False if any(r is False for r in results) else True
    if origin in (dict, cabc.Mapping):
        return isinstance(value, dict)
    return _UNKNOWN


def describe(ann) -> str:
    """``int | None`` -> 'an integer or null', for error messages."""
    if _is_union(ann):
        return " or ".join(describe(a) for a in typing.get_args(ann))
    if ann is type(None):
        return "null"
    simple = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if ann in simple:
        return simple[ann]
    origin = typing.get_origin(ann) or ann
    if origin in (list, tuple, cabc.Sequence):
        args = [a for a in typing.get_args(ann) if a is not Ellipsis]
        if origin is tuple and len(args) > 1 and Ellipsis not in typing.get_args(ann):
            return f"a list of {len(args)} ({', '.join(describe(a) for a in args)})"
        return f"a list of {describe(args[0])}" if args else "a list"
    if origin in (dict, cabc.Mapping):
        return "a mapping"
    return getattr(ann, "__name__", str(ann))


def arg_doc(cls: Callable, key: str) -> str:
    """The first line of ``key``'s entry in the ``Args:`` section of ``cls``'s docstring, or ''."""
    for doc in (inspect.getdoc(cls), inspect.getdoc(getattr(cls, "__init__", None))):
        m = re.search(rf"^\s*{re.escape(key)}(?: \([^)]*\))?: (.+)$", doc or "", re.M)
        if m:
            return m.group(1).strip()
    return ""


def wrong_args(cls: Callable, kwargs: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """``(key, value, what it takes)`` for every argument whose value contradicts ``cls``'s annotation."""
    hints = param_annotations(cls)
    defaults = _none_defaults(cls)
    bad = []
    for key, value in kwargs.items():
        if value is None and key in defaults:
            continue   # null where the default is null: "leave it unset", whatever the annotation says
        if key in hints and _check(value, hints[key]) is False:
            bad.append((key, value, describe(hints[key])))
    return bad
