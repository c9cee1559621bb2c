"""Import the weights of an exported inference model into a training model, matched by structure.

A released inference model (PaddleOCR's ``*_infer`` folders: ``inference.pdmodel`` or ``inference.json`` with
``inference.pdiparams``) names its tensors after the layers of whoever exported it, so names cannot say which
tensor is which parameter of our model. Structure can: the config's model is traced the way export traces it
(eval mode, reparameterised layers fused, the release's own input signature) and both programs are read as
the ordered list of their parameter uses (:mod:`ppocr.utils.inference_program`: op kind, role, shape). The
two lists must agree entry by entry; the first disagreement is an error that names both sides. Tensors then
go to the parameter (or BN statistic) in the same position.

What the export fused is imported in fused form and handed to the training layer through
``load_fused(weight, bias)`` (:class:`ppocr.engine.contracts.Reparameterizable`). What the config has and the
export dropped (branches that do not run in eval, e.g. MultiHead's NRTR head) keeps its initial values and
is reported by name.

Example:
    >>> report = import_inference_model(model, "./ch_PP-OCRv4_det_infer")
    >>> print(report.summary())
    >>> save_imported(model, "./pretrained/ch_PP-OCRv4_det", report)   # then -o Global.pretrained_model=...
"""
from __future__ import annotations

import copy
import dataclasses
import logging
import os
import tempfile
from collections import Counter
from typing import Any

import numpy as np
import paddle
from paddle.static import InputSpec

from ppocr.engine import contracts as C
from ppocr.engine.tracing import fuse_for_export, reparameterized_layers, save_program
from ppocr.utils.checkpoint import save_checkpoint
from ppocr.utils.errors import CheckpointError
from ppocr.utils.inference_program import InferenceProgram, ParamUse, find_inference_model, read_inference_model

logger = logging.getLogger(__name__)

#: how many entries of each kind a summary lists before counting the rest
_LISTED = 8


@dataclasses.dataclass
class ImportReport:
    """What :func:`import_inference_model` did.

    Attributes:
        source: the program file read.
        tensors: how many tensors of the file were matched and imported.
        loaded: state-dict keys set directly (keys that share a tensor, such as an LSTM's two views, included).
        fused: paths of the layers set from their fused form through ``load_fused``.
        not_exported: state-dict keys of the model that the inference program has no counterpart for
            (branches the export dropped); they keep their initial values.
        unused_in_file: tensors of the file that no op of its program uses.
    """

    source: str
    tensors: int
    loaded: list[str]
    fused: list[str]
    not_exported: list[str]
    unused_in_file: list[str]

    def not_exported_groups(self) -> dict[str, int]:
        """``not_exported`` counted by the layer two levels down (``head.gtc_head: 120``)."""
        return dict(Counter(".".join(k.split(".")[:2]) for k in self.not_exported))

    def summary(self) -> str:
        """Several lines for the log and the CLI."""
        lines = [f"imported {self.tensors} tensors from {self.source} into {len(self.loaded)} parameters and "
                 f"statistics" + (f", and {len(self.fused)} reparameterised layers through load_fused"
                                  if self.fused else "")]
        if self.not_exported:
            groups = ", ".join(f"{k} ({n})" for k, n in sorted(self.not_exported_groups().items()))
            lines.append(f"{len(self.not_exported)} parameters of the config are not in the export (they do not "
                         f"run in eval mode) and keep their initial values: {groups}")
            lines += [f"  not exported: {k}" for k in self.not_exported[:_LISTED]]
            if len(self.not_exported) > _LISTED:
                lines.append(f"  ... and {len(self.not_exported) - _LISTED} more")
        if self.unused_in_file:
            lines.append(f"{len(self.unused_in_file)} tensors of the file are used by no op and were skipped: "
                         f"{', '.join(self.unused_in_file[:_LISTED])}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def is_inference_model(path: str | None) -> bool:
    """Whether ``path`` is an inference model: a folder with ``inference.json`` or ``inference.pdmodel`` and
    ``inference.pdiparams``, or the common prefix of such files (a checkpoint prefix has ``.pdparams`` instead)."""
    return find_inference_model(path) is not None


def trace_reference(model: paddle.nn.Layer, feeds: list[tuple[str, list[int], str]]
                    ) -> tuple[paddle.nn.Layer, list[str], InferenceProgram]:
    """Trace what ``model`` would export for the input signature ``feeds`` and read it back.

    Returns:
        ``(copy, fused, program)``: an eval-mode copy of ``model`` with its reparameterised layers fused (the
        program's tensors are its parameters), the paths of the fused layers and the program read back.

    Raises:
        CheckpointError: the model reads another number of inputs than ``feeds`` gives.
    """
    keys = C.input_keys(model)
    if len(keys) != len(feeds):
        raise CheckpointError(f"the inference model takes {len(feeds)} inputs ({[f[0] for f in feeds]}) but the "
                              f"config's model reads {len(keys)} ({list(keys)}); import it with the config it "
                              "was trained with")
    ref = copy.deepcopy(model)
    ref.eval()
    fused = [path for path, layer in reparameterized_layers(ref) if not layer.is_repped]
    fuse_for_export(ref)
    spec = [InputSpec(shape, dtype, name=name) for name, shape, dtype in feeds]
    with tempfile.TemporaryDirectory(prefix="ppocr_import_") as tmp:
        save_program(ref, spec, os.path.join(tmp, "inference"))
        program = read_inference_model(tmp)
    return ref, fused, program


def match_uses(release: InferenceProgram, ours: InferenceProgram, keys_of: dict[str, list[str]]
               ) -> dict[str, np.ndarray]:
    """Pair the parameter uses of both programs in order; returns state-dict key -> the release's tensor.

    Args:
        release: the program being imported.
        ours: the program traced from the config's model.
        keys_of: tensor name in ``ours`` -> the state-dict keys holding it.

    Raises:
        CheckpointError: the first position where op kind, role or shape differ, or one program has more
            parameter uses than the other, naming both sides.
    """
    def ours_at(use: ParamUse) -> str:
        keys = keys_of.get(use.name)
        return f"{keys[0] if keys else use.name} ({use.describe()})"

    def where(i: int) -> str:
        before = f"; the last match was {ours_at(ours.uses[i - 1])}" if i else ""
        return f"parameter use #{i} (op #{release.uses[i].op_index if i < len(release.uses) else '-'}){before}"

    fix = "the config does not describe the exported network: check the Architecture section (model, scale, " \
          "channels, layers) against the config the model was exported from"
    for i, (theirs, mine) in enumerate(zip(release.uses, ours.uses)):
        if (theirs.op, theirs.role, theirs.shape) != (mine.op, mine.role, mine.shape):
            raise CheckpointError(f"{release.path} does not fit this config at {where(i)}: the inference model has "
                                  f"{theirs.name} as {theirs.describe()}, the config's model "
                                  f"{ours_at(mine)}; {fix}")
    n = min(len(release.uses), len(ours.uses))
    if len(release.uses) > n:
        extra = release.uses[n]
        raise CheckpointError(f"{release.path} has {len(release.uses) - n} more parameter uses than the config's "
                              f"model, from {extra.name} ({extra.describe()}) at {where(n)}; {fix}")
    if len(ours.uses) > n:
        raise CheckpointError(f"the config's model has {len(ours.uses) - n} more parameter uses than "
                              f"{release.path}, from {ours_at(ours.uses[n])}; {fix}")
    values: dict[str, np.ndarray] = {}
    for theirs, mine in zip(release.uses, ours.uses):
        for key in keys_of.get(mine.name, ()):  # a tensor no key holds is a constant of the traced code
            values[key] = release.values[theirs.name]
    return values


def import_inference_model(model: paddle.nn.Layer, path: str) -> ImportReport:
    """Set ``model``'s parameters and BN statistics from the inference model at ``path``, matched by structure.

    Args:
        model: the training model built from the config (left in the mode it was in).
        path: an inference model folder, or the common prefix of its files.

    Returns:
        The :class:`ImportReport`.

    Raises:
        CheckpointError: unreadable files, or a structure that differs from the config's model (the message
            names the first difference).
    """
    layer = model._layers if isinstance(model, paddle.DataParallel) else model
    release = read_inference_model(path)
    ref, fused, ours = trace_reference(layer, release.feeds)
    keys_of: dict[str, list[str]] = {}  # every key of a shared tensor (an LSTM's two views of its weights)
    for key, tensor in ref.state_dict().items():
        keys_of.setdefault(tensor.name, []).append(key)
    values = match_uses(release, ours, keys_of)

    own = layer.state_dict()
    stray = sorted(k for k in values if k not in own and not any(k.startswith(p + ".") for p in fused))
    if stray:
        raise CheckpointError(f"the traced copy has parameters the model lacks: {stray[:5]}")
    from_fused = {}  # checked before anything is set, so a failure leaves the model as it was
    for path_ in fused:
        inside = {k[len(path_) + 1:]: v for k, v in values.items() if k.startswith(path_ + ".") and k not in own}
        weight = next((v for k, v in inside.items() if k.endswith(".weight")), None)
        bias = next((v for k, v in inside.items() if k.endswith(".bias")), None)
        if weight is None or bias is None or len(inside) != 2:
            raise CheckpointError(f"{path_}: its fused form should add one conv weight and bias to the state dict, "
                                  f"got {sorted(inside)}; its rep() and load_fused() disagree")
        from_fused[path_] = (weight, bias)
    direct = {k: v for k, v in values.items() if k in own}
    for key, value in direct.items():  # one by one: set_state_dict warns about every key it is not given
        own[key].set_value(paddle.to_tensor(value, dtype=own[key].dtype))
    layers = dict(reparameterized_layers(layer))
    covered = set(direct)
    for path_, (weight, bias) in from_fused.items():
        layers[path_].load_fused(paddle.to_tensor(weight), paddle.to_tensor(bias))
        covered.update(k for k in own if k.startswith(path_ + "."))
    report = ImportReport(source=release.path, tensors=len(release.uses), loaded=sorted(direct),
                          fused=list(fused), not_exported=[k for k in own if k not in covered],
                          unused_in_file=list(release.unused))
    logger.info("%s", report.summary())
    return report


def save_imported(model: paddle.nn.Layer, prefix: str, report: ImportReport) -> str:
    """Write ``model`` as a checkpoint at ``prefix`` (``.pdparams`` + ``.states`` recording the import), which
    ``Global.pretrained_model`` (and evaluation, export and inference) loads; returns ``prefix``."""
    save_checkpoint(prefix, model, None, {"epoch": 0, "global_step": 0, "imported_from": report.source,
                                          "import_report": report.as_dict()})
    logger.info("checkpoint written to %s.pdparams", prefix)
    return prefix
