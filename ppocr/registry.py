"""One registry per component kind, and the single ``build`` that turns a config dict into an object.

Components register with a decorator::

    @BACKBONES.register()
    class MobileNetV3(nn.Layer):
        def __init__(self, in_channels=3, model_name="large", scale=0.5): ...

and configs select them by ``name``. Unknown names and unknown keys fail with the nearest
valid spellings.

Task-specific variants that share a config name (PaddleOCR selects both the recognition and the
detection MobileNetV3 with ``name: MobileNetV3``, told apart by ``Architecture.model_type``)
register under ``'<scope>/<name>'``::

    @BACKBONES.register(name="det/MobileNetV3")
    class MobileNetV3(nn.Layer): ...

``build(cfg, BACKBONES, scope="det")`` then prefers ``det/MobileNetV3`` over ``MobileNetV3``;
without a scope, or when no scoped variant exists, the plain name is used. A scope may be a sequence
tried in order: PaddleOCR's text-direction classifier (``model_type: cls``) is built from the
recognition components, so ``scope=("cls", "rec")`` takes ``cls/<name>``, else ``rec/<name>``, else
``<name>``.
"""
from __future__ import annotations

import difflib
import inspect
from typing import Any, Callable, Sequence

from ppocr.utils.arg_types import arg_doc, wrong_args
from ppocr.utils.errors import ConfigError

# Global keys that PaddleOCR configs expect to reach components. They are handed only to
# components whose constructor declares a parameter of the same name, and only when the
# component's own config does not set it.
GLOBAL_PASSTHROUGH = ("character_dict_path", "max_text_length", "use_space_char", "infer_mode", "label_list")


def nearest(name: str, choices, n: int = 3) -> str:
    """Return a human hint listing the closest spellings of ``name`` among ``choices``."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(name), choices, n=n, cutoff=0.5)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "valid: " + ", ".join(choices) if choices else "none registered"


class Registry:
    """A name -> class mapping for one kind of component."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, Callable] = {}

    def register(self, obj: Callable | None = None, *, name: str | None = None):
        """Register a class or function, usable bare or as ``@REG.register()``."""

        def _do(o):
            key = name or o.__name__
            if key in self._items and self._items[key] is not o:
                raise ConfigError(f"{self.kind} {key!r} is registered twice "
                                  f"({self._items[key].__module__} and {o.__module__})")
            self._items[key] = o
            return o

        return _do(obj) if obj is not None else _do

    def resolve(self, name: str, scope: str | Sequence[str] | None = None) -> str:
        """The key ``name`` selects: ``'<scope>/<name>'`` when that is registered, else ``name``.

        Args:
            name: the config ``name``.
            scope: a task family such as ``'det'`` (``Architecture.model_type``), a sequence of them tried
                in order (``('cls', 'rec')``), or None.

        Returns:
            The registry key to ``get``.
        """
        scopes = (scope,) if isinstance(scope, str) else tuple(scope or ())
        if isinstance(name, str):
            for s in scopes:
                scoped = f"{s}/{name}"
                if s and scoped in self._items:
                    return scoped
        return name

    def get(self, name: str, where: str = "") -> Callable:
        if name not in self._items:
            loc = f" at {where}" if where else ""
            raise ConfigError(f"unknown {self.kind} {name!r}{loc}; {nearest(name, self._items)}")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name) -> bool:
        return name in self._items

    def __repr__(self) -> str:
        return f"Registry({self.kind}: {', '.join(self.names())})"


DATASETS = Registry("dataset")
TRANSFORMS = Registry("transform")
BACKBONES = Registry("backbone")
NECKS = Registry("neck")
HEADS = Registry("head")
ARCHITECTURES = Registry("architecture")
LOSSES = Registry("loss")
POSTPROCESS = Registry("postprocess")
METRICS = Registry("metric")
OPTIMIZERS = Registry("optimizer")
LR_SCHEDULERS = Registry("lr schedule")
HOOKS = Registry("hook")
SAMPLERS = Registry("sampler")
TASKS = Registry("task")


def accepted_params(cls: Callable) -> tuple[set[str], bool]:
    """Names a constructor accepts, and whether it takes ``**kwargs``."""
    sig = inspect.signature(cls)
    names, var_kw = set(), False
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.add(p.name)
    names.discard("self")
    return names, var_kw


def build(cfg: dict | None, registry: Registry, *, where: str = "", global_cfg: dict | None = None,
          scope: str | Sequence[str] | None = None, **defaults: Any):
    """Construct the component that ``cfg['name']`` names.

    Args:
        cfg: the component's config; ``name`` selects the class, other keys are its arguments.
        registry: where to look the name up.
        where: the config path, used in error messages (e.g. ``Architecture.Backbone``).
        global_cfg: the ``Global`` section; keys in ``GLOBAL_PASSTHROUGH`` are passed to the
            component only if its constructor declares them and ``cfg`` does not set them.
        scope: prefer the variant registered as ``'<scope>/<name>'`` (see ``Registry.resolve``).
        **defaults: builder-provided arguments (e.g. ``in_channels``), passed only if declared.

    Returns:
        The constructed object.

    Raises:
        ConfigError: missing or unknown name, unknown key (with the nearest valid keys), a value that
            contradicts the constructor's annotation (:mod:`ppocr.utils.arg_types`), or a constructor that
            rejects its arguments.
    """
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where or registry.kind}: expected a mapping with a 'name' key, got {cfg!r}")
    cfg = dict(cfg)
    if "name" not in cfg:
        raise ConfigError(f"{where or registry.kind}: missing 'name'; registered {registry.kind}s: "
                          f"{', '.join(registry.names())}")
    name = cfg.pop("name")
    cls = registry.get(registry.resolve(name, scope), where)
    params, var_kw = accepted_params(cls)
    if not var_kw:
        unknown = [k for k in cfg if k not in params]
        if unknown:
            k = unknown[0]
            raise ConfigError(f"{where or name}: {name} has no option {k!r}; {nearest(k, params)}")
    for key, value, takes in wrong_args(cls, cfg)[:1]:
        doc = arg_doc(cls, key)
        raise ConfigError(f"{where or name}.{key}: {name} takes {takes} for {key!r}, got {value!r} "
                          f"({type(value).__name__})" + (f"; {key}: {doc}" if doc else ""))
    kwargs = {k: v for k, v in defaults.items() if k in params or var_kw}
    for key in GLOBAL_PASSTHROUGH:
        if global_cfg and key in params and key not in cfg and key in global_cfg:
            kwargs[key] = global_cfg[key]
    kwargs.update(cfg)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where or name}: {name}({', '.join(f'{k}={v!r}' for k, v in cfg.items())}) "
                          f"was rejected: {e}") from e
