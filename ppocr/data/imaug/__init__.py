"""Transforms built from the YAML ``transforms`` list, and ``Compose`` that chains them.

Importing this package registers every transform in ``TRANSFORMS``.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol, runtime_checkable

from ppocr.data.imaug import label_ops, operators, rec_img_aug  # noqa: F401  (registration)
from ppocr.data.imaug import det_aug, det_label_ops, det_maps, det_resize  # noqa: F401  (registration)
from ppocr.data.imaug import det_copy_paste  # noqa: F401  (registration)
from ppocr.data.imaug import vgsl_ops  # noqa: F401  (registration)
from ppocr.data.imaug import vqa  # noqa: F401  (registration: KIE transforms)
from ppocr.registry import TRANSFORMS, build
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = ["Compose", "NeedsExtraSamples", "build_transforms"]


@runtime_checkable
class NeedsExtraSamples(Protocol):
    """A transform that mixes in other samples (``CopyPaste``): the dataset puts ``ext_data_num`` other
    samples, each run through the transforms before this one, into ``data["ext_data"]``."""

    #: how many other samples the transform reads
    ext_data_num: int

    def __call__(self, data: dict) -> dict | None: ...


class Compose:
    """Apply transforms in order; stop and return ``None`` when one drops the sample.

    Attributes:
        ops: the transforms, in order.
        last_drop: ``repr`` of the transform that returned ``None`` on the latest call, or ``None``.
    """

    def __init__(self, ops: list[Callable[[dict], dict | None]]):
        for i, op in enumerate(ops):
            if not callable(op):
                raise TypeError(f"ops[{i}] must be callable, got {type(op).__name__}")
        self.ops = list(ops)
        self.last_drop: str | None = None

    def __call__(self, data: dict) -> dict | None:
        """Run every transform on ``data``.

        Args:
            data: the sample dict.

        Returns:
            The transformed dict, or ``None`` when a transform dropped the sample
            (``last_drop`` then names it).
        """
        self.last_drop = None
        for op in self.ops:
            data = op(data)
            if data is None:
                self.last_drop = repr(op)
                return None
        return data

    def __len__(self) -> int:
        return len(self.ops)

    def __repr__(self) -> str:
        if not self.ops:
            return "Compose([])"
        return "Compose([\n" + "".join(f"    {op!r},\n" for op in self.ops) + "])"


def build_transforms(transform_list: list | None, global_cfg: dict | None, where: str) -> Compose:
    """Build a ``Compose`` from a PaddleOCR-style list of single-key mappings.

    Example::

        build_transforms([{"DecodeImage": {"img_mode": "BGR"}}, {"CTCLabelEncode": None},
                          {"RecResizeImg": {"image_shape": [3, 32, 100]}},
                          {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}],
                         global_cfg, where="Train.dataset.transforms")

    Args:
        transform_list: ``[{Name: {option: value} or None}, ...]``; ``None`` builds an empty chain.
        global_cfg: the ``Global`` section (passes ``max_text_length`` etc. to transforms
            that declare them).
        where: config path for error messages.

    Returns:
        The ``Compose``.

    Raises:
        ConfigError: an entry is not a single-key mapping, its options are not a mapping, or
            the transform name or an option is unknown.
    """
    if transform_list is None:
        return Compose([])
    if not isinstance(transform_list, (list, tuple)):
        raise ConfigError(f"{where}: expected a list of transforms such as "
                          f"[{{DecodeImage: {{img_mode: BGR}}}}, ...], got {type(transform_list).__name__}")
    ops = []
    for i, entry in enumerate(transform_list):
        if not isinstance(entry, dict) or len(entry) != 1:
            shown = list(entry) if isinstance(entry, dict) else entry
            raise ConfigError(f"{where}.{i}: each transform must be a mapping with exactly one key, the "
                              f"transform name (e.g. '- RecResizeImg: {{image_shape: [3, 32, 100]}}'), got {shown!r}; "
                              "check the indentation of its options")
        (name, opts), = entry.items()
        if not isinstance(name, str):
            raise ConfigError(f"{where}.{i}: transform name must be a string, got {name!r}")
        if opts is not None and not isinstance(opts, dict):
            raise ConfigError(f"{where}.{i}.{name}: options must be a mapping or empty, got {opts!r}")
        if opts and "name" in opts:
            raise ConfigError(f"{where}.{i}.{name}: 'name' is not an option; the key above it is the name")
        ops.append(build({"name": name, **(opts or {})}, TRANSFORMS, where=f"{where}.{i}.{name}",
                         global_cfg=global_cfg))
    return Compose(ops)
