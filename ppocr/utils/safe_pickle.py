"""Loading checkpoint files without running code.

``.pdparams``, ``.pdopt`` and ``.states`` files are pickles (Paddle's own format, and PaddleOCR's).
``pickle.load`` and ``paddle.load`` rebuild whatever objects a file names, so a file from a stranger
can run any code while it loads. :func:`load` reads the same files but allows only what a
checkpoint holds: numbers, strings, lists, tuples, dicts, NumPy arrays and dtypes, and Paddle's RNG
state; any other object stops the load with a :class:`~ppocr.utils.errors.CheckpointError` that
names it.

Example:
    >>> params = load("output/rec/best_accuracy.pdparams")   # {name: np.ndarray}
"""
from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

from ppocr.utils.errors import CheckpointError

#: the only globals a checkpoint file may name, ``(module, name)``
ALLOWED = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("collections", "OrderedDict"),
    ("builtins", "tuple"), ("builtins", "list"), ("builtins", "dict"), ("builtins", "set"),
    ("builtins", "frozenset"), ("builtins", "bytearray"), ("builtins", "complex"), ("builtins", "slice"),
    ("paddle.base.libpaddle", "GeneratorState"), ("paddle.fluid.libpaddle", "GeneratorState"),
    ("_codecs", "encode"),  # protocol-2 pickles (older Paddle files) store bytes as latin-1 text through it
})


#: the key under which ``paddle.save`` stores structured -> parameter names
NAME_TABLE = "StructuredToParameterName@@"


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, path: str):
        super().__init__(f)
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED or (module.startswith("numpy") and name.endswith("DType")
                                         and module.rsplit(".", 1)[-1] == "dtypes"):
            return super().find_class(module, name)
        raise CheckpointError(f"refusing to load {self.path}: it asks to build {module}.{name}, which no checkpoint "
                              "needs (a file built this way can run code while it loads); only load checkpoints "
                              "you trust, or re-save the weights from a trusted copy")

    def persistent_load(self, pid):
        raise CheckpointError(f"refusing to load {self.path}: it uses pickle persistent ids, which checkpoints "
                              "do not")


def loads(data: bytes, path: str = "<bytes>") -> Any:
    """:func:`load` on bytes already read."""
    try:
        return _Unpickler(io.BytesIO(data), path).load()
    except CheckpointError:
        raise
    except Exception as e:  # truncated, random bytes, another format
        raise CheckpointError(f"{path} is not a readable checkpoint file ({type(e).__name__}: {e}); it may be "
                              "truncated or not a checkpoint") from e


def load(path: str) -> Any:
    """Read a pickled checkpoint file, allowing only the plain data a checkpoint holds (see the module docstring).

    Raises:
        CheckpointError: the file names any other object, or is not a readable pickle.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from e
    return loads(data, path)


def load_params(path: str) -> dict[str, np.ndarray]:
    """A weights or optimizer file (``.pdparams`` / ``.pdopt``) as ``{name: value}``, safely.

    Paddle 2.x saved tensors as ``(name, array)`` pairs; they come back as the arrays, and the name
    table ``paddle.save`` adds (``StructuredToParameterName@@``) is left out, as ``paddle.load`` does.

    Raises:
        CheckpointError: see :func:`load`, or the file does not hold a mapping.
    """
    obj = load(path)
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} holds a {type(obj).__name__}, not a mapping of parameter names to values")
    out = {}
    for key, value in obj.items():
        if key == NAME_TABLE:
            continue
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) \
                and isinstance(value[1], np.ndarray):
            value = value[1]
        out[key] = value
    return out
