"""Read an exported Paddle inference model as the ordered list of its parameter uses.

An inference model is a program (Paddle 2.x ``inference.pdmodel``, protobuf; Paddle 3.x ``inference.json``,
PIR) plus raw tensors (``inference.pdiparams``). Neither file runs code when read. :func:`read_inference_model`
walks the program's ops in order and records, for every persistable tensor, the first op that consumes it:
the op's kind, the tensor's role in it (``weight``, ``bias``, ``scale``, ``mean``, ``variance``,
``weight_list[3]``, ...) and its shape. Two programs traced from the same network give the same sequence
whatever the Paddle version or the tensors' names, which is what lets weights be matched by structure
(:mod:`ppocr.engine.inference_import`).

Ops that only reshape a tensor (``reshape``, ``unsqueeze``, ``builtin.combine``, ...) are looked through:
a conv bias reshaped to ``[1, C, 1, 1]`` before the add is the add's operand in both dialects.

Example:
    >>> program = read_inference_model("./inference/ch_PP-OCRv4_det_infer")
    >>> program.uses[0]
    ParamUse(name='conv2d_0.w_0', op='conv2d', role='weight', shape=(16, 3, 3, 3), op_index=0)
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from typing import Iterator

import numpy as np
import paddle

from ppocr.utils.errors import CheckpointError

logger = logging.getLogger(__name__)

PROGRAM_FILES = ("inference.json", "inference.pdmodel")
PARAMS_FILE = "inference.pdiparams"

#: op names of both dialects (after dropping ``pd_op.`` and an in-place ``_``) -> one kind
_OP_ALIASES = {
    "depthwise_conv2d": "conv2d", "depthwise_conv2d_transpose": "conv2d_transpose", "conv3d": "conv3d",
    "elementwise_add": "add", "elementwise_mul": "multiply", "elementwise_sub": "subtract",
    "elementwise_div": "divide", "elementwise_max": "maximum", "elementwise_min": "minimum",
    "elementwise_pow": "pow", "matmul_v2": "matmul", "mul": "matmul", "lookup_table_v2": "embedding",
    "lookup_table": "embedding", "sync_batch_norm": "batch_norm",
}
#: kinds whose operands commute: a parameter is their ``operand`` whichever side it is on
_COMMUTATIVE = {"add", "multiply", "maximum", "minimum"}
#: input slot names of both dialects -> one role
_ROLE_ALIASES = {"filter": "weight", "input": "x", "w": "weight", "weightlist": "weight_list"}
#: ops that pass a tensor through unchanged in value (their first input), looked through
_TRANSPARENT = {"reshape", "reshape2", "unsqueeze", "unsqueeze2", "squeeze", "squeeze2", "flatten",
                "flatten2", "flatten_contiguous_range", "cast", "assign", "share_data"}
_SKIPPED = {"feed", "fetch", "data", "parameter", "fetch_v2"}


@dataclasses.dataclass(frozen=True)
class ParamUse:
    """One persistable tensor of a program, where it is first used.

    Attributes:
        name: the tensor's name in the program.
        op: kind of the first op consuming it (``conv2d``, ``batch_norm``, ``matmul``, ``add``, ``rnn``, ...).
        role: its input of that op (``weight``, ``bias``, ``scale``, ``mean``, ``variance``, ``x``, ``y``,
            ``operand`` for add/multiply, ``weight_list[i]`` for an entry of a list input).
        shape: its shape.
        op_index: position of that op among the ops that consume parameters (for messages).
    """

    name: str
    op: str
    role: str
    shape: tuple[int, ...]
    op_index: int

    def describe(self) -> str:
        return f"{self.op} {self.role} {list(self.shape)}"


@dataclasses.dataclass
class InferenceProgram:
    """What :func:`read_inference_model` returns.

    Attributes:
        path: the program file.
        dialect: ``'pdmodel'`` (Paddle 2.x program) or ``'json'`` (PIR).
        uses: every consumed persistable tensor, in the order of first use (within an op, by role).
        values: tensor name -> array, for every persistable tensor of the parameter file.
        unused: names of persistable tensors that no op consumes.
        feeds: the program's inputs in order, as ``(name, shape, dtype)`` (``-1`` for a free size; dtype as
            Paddle names it, e.g. ``'float32'``).
    """

    path: str
    dialect: str
    uses: list[ParamUse]
    values: dict[str, np.ndarray]
    unused: list[str]
    feeds: list[tuple[str, list[int], str]]


def find_inference_model(path: str) -> tuple[str, str] | None:
    """``(program file, params file)`` when ``path`` is an inference model folder or a program prefix, else None.

    A folder holds ``inference.json`` (Paddle 3) or ``inference.pdmodel`` (Paddle 2) and ``inference.pdiparams``;
    a prefix ``p`` has ``p.json`` or ``p.pdmodel`` and ``p.pdiparams``.
    """
    if not path:
        return None
    if os.path.isdir(path):
        candidates = [os.path.join(path, name) for name in PROGRAM_FILES]
        params = os.path.join(path, PARAMS_FILE)
    else:
        candidates = [path + ".json", path + ".pdmodel"]
        params = path + ".pdiparams"
    program = next((c for c in candidates if os.path.isfile(c)), None)
    return (program, params) if program and os.path.isfile(params) else None


def read_inference_model(path: str) -> InferenceProgram:
    """Read the parameter uses and values of an inference model folder (or program prefix).

    Args:
        path: a folder with ``inference.json`` or ``inference.pdmodel`` and ``inference.pdiparams``, or the
            common prefix of such files.

    Returns:
        The :class:`InferenceProgram`.

    Raises:
        CheckpointError: the files are missing or unreadable.
    """
    found = find_inference_model(path)
    if found is None:
        listing = ", ".join(sorted(os.listdir(path))) if os.path.isdir(path) else "no such folder"
        raise CheckpointError(f"{path} is not an inference model: expected inference.json or inference.pdmodel "
                              f"with inference.pdiparams (found: {listing or 'nothing'})")
    program_file, params_file = found
    prefix = program_file.rsplit(".", 1)[0]
    dialect = "json" if program_file.endswith(".json") else "pdmodel"
    if os.path.dirname(params_file) != os.path.dirname(program_file) or \
            os.path.basename(params_file).rsplit(".", 1)[0] != os.path.basename(prefix):
        raise CheckpointError(f"{program_file} and {params_file} must share a prefix")
    with _static_mode(legacy=dialect == "pdmodel"):
        scope = paddle.static.Scope()
        with paddle.static.scope_guard(scope):
            exe = paddle.static.Executor(paddle.CPUPlace())
            try:
                program, feeds, _ = paddle.static.load_inference_model(prefix, exe)
            except (RuntimeError, ValueError, OSError) as e:
                raise CheckpointError(f"cannot read the inference model {program_file}: {e}") from e
            walk = _walk_pir if dialect == "json" else _walk_legacy
            uses, persistable = walk(program)
            inputs = _feeds_pir(program, feeds) if dialect == "json" else _feeds_legacy(program, feeds)
            values = {}
            for name in persistable:
                var = scope.find_var(name)
                tensor = var.get_tensor() if var is not None else None
                if tensor is not None and tensor._is_initialized():
                    values[name] = np.array(tensor)
    uses = [u for u in uses if u.name in values]
    used = {u.name for u in uses}
    unused = sorted(n for n in values if n not in used)
    logger.debug("%s: %d parameter uses, %d unused tensors", program_file, len(uses), len(unused))
    return InferenceProgram(program_file, dialect, uses, values, unused, inputs)


@contextlib.contextmanager
def _static_mode(legacy: bool) -> Iterator[None]:
    """Static-graph mode for the duration (the old IR for a 2.x program), restoring dygraph afterwards."""
    was_dynamic = paddle.in_dynamic_mode()
    paddle.enable_static()
    try:
        if legacy:
            with paddle.pir_utils.OldIrGuard():
                yield
        else:
            yield
    finally:
        if was_dynamic:
            paddle.disable_static()


def op_kind(name: str) -> str:
    """One kind for an op name of either dialect (``pd_op.batch_norm_`` and ``batch_norm`` -> ``batch_norm``)."""
    name = name.split(".", 1)[1] if name.startswith(("pd_op.", "builtin.")) else name
    if name.endswith("_") and not name.endswith("__"):
        name = name[:-1]
    return _OP_ALIASES.get(name, name)


def _role(kind: str, slot: str, index: int | None) -> str:
    role = "operand" if kind in _COMMUTATIVE else _ROLE_ALIASES.get(slot.lower(), slot.lower())
    return role if index is None else f"{role}[{index}]"


def _sorted_uses(found: list[tuple[str, str, tuple[int, ...]]], kind: str, op_index: int) -> list[ParamUse]:
    """One op's parameters ordered by role (``weight_list[2]`` before ``weight_list[10]``): the slot order differs
    between the dialects."""
    def key(item):
        base, _, index = item[0].partition("[")
        return base, int(index.rstrip("]") or -1)
    return [ParamUse(name, kind, role, shape, op_index) for role, name, shape in sorted(found, key=key)]


def _dtype_name(dtype) -> str:
    return str(dtype).rsplit(".", 1)[-1].lower()


def _feeds_legacy(program, names: list[str]) -> list[tuple[str, list[int], str]]:
    block = program.global_block()
    return [(n, [int(d) for d in block.var(n).shape], _dtype_name(block.var(n).dtype)) for n in names]


def _feeds_pir(program, names: list[str]) -> list[tuple[str, list[int], str]]:
    found = {}
    for op in program.global_block().ops:
        if op.name() == "pd_op.data":
            value = op.result(0)
            found[op.attrs()["name"]] = ([int(d) for d in value.shape], _dtype_name(value.dtype))
    return [(n, *found[n]) for n in names if n in found]


class _Counter:
    """Numbers the parameter-consuming ops of a walk."""

    def __init__(self):
        self.n = -1

    def next(self) -> int:
        self.n += 1
        return self.n


def _walk_legacy(program) -> tuple[list[ParamUse], list[str]]:
    """Parameter uses of a Paddle 2.x program (its global block, sub-blocks where an op runs them)."""
    persistable = {v.name: tuple(v.shape) for v in program.list_vars()
                   if v.persistable and v.name not in ("feed", "fetch")}
    uses: list[ParamUse] = []
    seen: set[str] = set()
    counter = _Counter()
    producer: dict[str, object] = {}

    def sources(var: str) -> list[str]:
        if var in persistable:
            return [var]
        op = producer.get(var)
        if op is not None and op.type in _TRANSPARENT and "X" in op.input_names:
            return [s for arg in op.input("X") for s in sources(arg)]
        return []

    def visit(block) -> None:
        for op in block.ops:
            kind = op_kind(op.type)
            if op.type not in _TRANSPARENT and op.type not in _SKIPPED:
                found: list[tuple[str, str, tuple[int, ...]]] = []
                for slot in op.input_names:
                    args = op.input(slot)
                    for i, arg in enumerate(args):
                        for name in sources(arg):
                            if name not in seen:
                                seen.add(name)
                                found.append((_role(kind, slot, i if len(args) > 1 else None), name,
                                              persistable[name]))
                if found:
                    uses.extend(_sorted_uses(found, kind, counter.next()))
            for slot in op.output_names:
                for arg in op.output(slot):
                    producer[arg] = op
            if op.has_attr("sub_block"):
                visit(program.block(op._block_attr_id("sub_block")))

    visit(program.global_block())
    return uses, list(persistable)


def _persistable(op) -> bool:
    flag = op.attrs().get("persistable", [True])
    return bool(flag[0] if isinstance(flag, (list, tuple)) else flag)


def _walk_pir(program) -> tuple[list[ParamUse], list[str]]:
    """Parameter uses of a PIR program (its top block, nested blocks where an op holds them)."""
    uses: list[ParamUse] = []
    seen: set[str] = set()
    counter = _Counter()
    persistable: list[str] = []

    def sources(value, index: int | None) -> list[tuple[str, int | None, tuple[int, ...]]]:
        if value is None or not value.initialized():
            return []
        op = value.get_defining_op()
        if op is None:
            return []
        name = op.name()
        if name == "builtin.parameter":
            return [(op.attrs()["parameter_name"], index, tuple(value.shape))] if _persistable(op) else []
        if name == "builtin.combine":
            n = op.num_operands()
            return [s for i, v in enumerate(op.operands_source()) for s in sources(v, i if n > 1 else None)]
        if op_kind(name) in _TRANSPARENT:
            return sources(op.operand_source(0), index)
        return []

    def visit(block) -> None:
        for op in block.ops:
            name = op.name()
            if name == "builtin.parameter":
                if _persistable(op):  # not e.g. an RNN's dropout state
                    persistable.append(op.attrs()["parameter_name"])
                continue
            kind = op_kind(name)
            if kind not in _TRANSPARENT and kind not in _SKIPPED and name != "builtin.combine":
                slots = op.get_input_names()
                found: list[tuple[str, str, tuple[int, ...]]] = []
                for k, value in enumerate(op.operands_source()):
                    slot = slots[k] if k < len(slots) else f"in{k}"
                    for pname, index, shape in sources(value, None):
                        if pname not in seen:
                            seen.add(pname)
                            found.append((_role(kind, slot, index), pname, shape))
                if found:
                    uses.extend(_sorted_uses(found, kind, counter.next()))
            for sub in op.blocks():
                visit(sub)

    visit(program.global_block())
    return uses, persistable
