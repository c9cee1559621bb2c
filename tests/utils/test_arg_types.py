"""Config values of the wrong kind are refused by ``build`` before construction, naming the key."""
import inspect
import typing

import pytest

import ppocr  # noqa: F401  (registers everything)
import ppocr.registry as R
from ppocr.registry import Registry, build
from ppocr.utils.arg_types import describe, param_annotations, wrong_args
from ppocr.utils.config import GLOBAL_TYPES, check_global_types
from ppocr.utils.errors import ConfigError

# a value of the wrong kind for each kind the checker judges
WRONG = {int: "abc", float: "abc", bool: "yes", str: 12}


def _wrong_value(ann):
    """A value that contradicts ``ann`` (None when ``ann`` is not one the checker judges plainly)."""
    if ann in WRONG:
        return WRONG[ann]
    origin = typing.get_origin(ann)
    if origin in (list, tuple) and typing.get_args(ann):
        return 5  # a scalar where a list is wanted
    return None


def _cases():
    cases = []
    for reg in (v for v in vars(R).values() if isinstance(v, Registry)):
        for name in reg.names():
            cls = reg.get(name)
            if not cls.__module__.startswith("ppocr."):
                continue
            for key, ann in param_annotations(cls).items():
                value = _wrong_value(ann)
                if value is not None and key != "name":   # a config's 'name' selects the class
                    cases.append(pytest.param(reg, name, key, value, id=f"{reg.kind}-{name}-{key}"))
    return cases


CASES = _cases()


def test_the_registry_wide_sample_is_large_and_spans_sections():
    kinds = {c.values[0].kind for c in CASES}
    assert len(CASES) >= 100 and {"backbone", "head", "loss", "transform", "postprocess", "metric",
                                  "dataset", "optimizer", "hook"} <= kinds, (len(CASES), kinds)


@pytest.mark.parametrize("reg,name,key,value", CASES)
def test_wrong_kind_names_the_key_what_it_got_and_what_it_takes(reg, name, key, value):
    where = f"Section.{reg.kind}"
    with pytest.raises(ConfigError) as e:
        build({"name": name, key: value}, reg, where=where)
    msg = str(e.value)
    assert msg.startswith(f"{where}.{key}: {name} takes ") and repr(value) in msg, msg


def test_right_kinds_pass_and_ints_are_numbers():
    class Thing:
        def __init__(self, a: float = 1.0, b: list[int] | None = None, c: str | None = None,
                     d: tuple[int, int] = (1, 1), e: bool = False, f: typing.Any = None, g: str = None):
            pass

    assert wrong_args(Thing, {"a": 2, "b": [1, 2], "c": None, "d": [3, 4], "e": True, "f": object(), "g": None}) == []
    bad = dict((k, t) for k, _, t in wrong_args(Thing, {"a": True, "b": [1, "x"], "d": [1, 2, 3], "e": 1}))
    assert bad == {"a": "a number", "b": "a list of an integer or null", "d": "a list of 2 (an integer, an integer)",
                   "e": "true or false"}


def test_describe_reads_like_a_sentence():
    assert describe(int | None) == "an integer or null"
    assert describe(list[float]) == "a list of a number"


def test_every_generic_global_key_is_typed():
    for key in GLOBAL_TYPES:
        with pytest.raises(ConfigError, match=f"Global.{key} must be"):
            check_global_types({key: object()})


def test_annotations_resolve_for_nearly_every_component():
    """An annotation that cannot be resolved silently turns the check off: keep them resolvable."""
    unresolved = []
    for reg in (v for v in vars(R).values() if isinstance(v, Registry)):
        for name in reg.names():
            cls = reg.get(name)
            if not cls.__module__.startswith("ppocr."):   # registered by another test
                continue
            params = [p for p in inspect.signature(cls).parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
            if params and any(p.annotation is not p.empty for p in params) and not param_annotations(cls):
                unresolved.append(f"{reg.kind} {name}")
    assert unresolved == []
