"""Several models trained together: PaddleOCR's ``DistillationModel`` (a teacher and students, or students
learning from each other: KIE's UDML, PP-OCRv4's det CML and rec DKD).

The ``Architecture`` section names each model under ``Models``; every entry is an ordinary
``Architecture`` section plus three PaddleOCR keys::

    Architecture:
      model_type: kie
      name: DistillationModel
      algorithm: Distillation
      Models:
        Teacher:                         # UDML: a second student, trained as well
          pretrained:                    # weights to start this model from (optional)
          freeze_params: false           # true: this model's parameters are not trained (its BatchNorm
                                         # statistics still follow the batches in training mode, as in PaddleOCR)
          return_all_feats: true         # det/rec: backbone_out, neck_out, head_out (see BaseModel); KIE models
                                         # return their hidden states while training anyway
          model_type: kie
          algorithm: LayoutXLM
          Transform:
          Backbone: {name: LayoutXLMForSer, pretrained: ./pretrained/starter_layoutxlm, mode: vi, num_classes: 7}
        Student:
          ...

``model(batch)`` returns ``{name: that model's output}``; the ``Distillation*`` losses,
post-processors and ``DistillationMetric`` pick the models they compare by name.

Checkpoints are saved as PaddleOCR saves distillation runs: det/rec checkpoints hold every model
(keys ``<name>.backbone...``, e.g. ``Student.backbone.conv1...``) and resume exactly; KIE checkpoints
hold only the ``Student``, in the layout it saves itself in (a paddlenlp model directory that the
non-distillation config loads as ``Architecture.Backbone.checkpoints``). Evaluation and export load
a whole-model checkpoint by name, or a single model's weights (no prefix) into the student.

Export writes only the student (``Student``): its program and ``inference.yml`` (with the
single-model post-processor) go to ``<save_inference_dir>/Student/``, where PaddleOCR's export
puts that model too; the other models are training aids.

Example:
    >>> model = build_model(udml_cfg["Architecture"])
    >>> outputs = model(batch)          # {'Teacher': ..., 'Student': ...}
"""
from __future__ import annotations

import logging
import os
from typing import Any

import paddle.nn as nn

from ppocr.registry import ARCHITECTURES, nearest
from ppocr.utils import safe_pickle
from ppocr.utils.checkpoint import load_checkpoint, load_pretrained, save_checkpoint, strip_suffix
from ppocr.utils.errors import CheckpointError, ConfigError
from ppocr.modeling.architectures.base_model import build_model

logger = logging.getLogger(__name__)

ARCH_KEYS = ("name", "model_type", "algorithm", "Models")
#: Keys of a ``Models`` entry besides its own ``Architecture`` keys.
MODEL_KEYS = ("pretrained", "freeze_params", "return_all_feats")
#: The model whose weights checkpoints hold.
STUDENT = "Student"


@ARCHITECTURES.register()
class DistillationModel(nn.Layer):
    """Runs every model of ``Models`` on the batch and returns their outputs by name.

    Args:
        models: ``{name: built model}``, in config order; one must be named ``Student``.
        model_type: the task family of the models.
        algorithm: informational (``'Distillation'``).

    Attributes:
        model_names: the names, in config order.
        input_keys: the batch keys any of the models reads.
    """

    def __init__(self, models: dict[str, nn.Layer], model_type: str | None = None, algorithm: str | None = None):
        super().__init__()
        if STUDENT not in models:
            raise ConfigError(f"Architecture.Models needs a model named {STUDENT!r} (checkpoints hold it), got "
                              f"{list(models)}")
        self.model_names = list(models)
        for name, model in models.items():
            self.add_sublayer(name, model)
        self.model_type, self.algorithm = model_type, algorithm
        keys: list[str] = []
        for model in models.values():
            keys += [k for k in getattr(model, "input_keys", ("image",)) if k not in keys]
        self.input_keys = keys

    @classmethod
    def from_config(cls, arch_cfg: dict, global_cfg: dict | None = None,
                    num_classes: int | None = None) -> "DistillationModel":
        """Build every model of ``arch_cfg['Models']`` with ``build_model`` (see the module docstring)."""
        unknown = [k for k in arch_cfg if k not in ARCH_KEYS]
        if unknown:
            raise ConfigError(f"Architecture (DistillationModel) has no key {unknown[0]!r}; "
                              f"{nearest(unknown[0], ARCH_KEYS)}; the models go under Architecture.Models")
        entries = arch_cfg.get("Models")
        if not isinstance(entries, dict) or not entries:
            raise ConfigError("Architecture.Models must map model names to Architecture sections, e.g. "
                              "{Teacher: {...}, Student: {...}}")
        models = {}
        for name, sub in entries.items():
            where = f"Architecture.Models.{name}"
            if not isinstance(sub, dict):
                raise ConfigError(f"{where} must be an Architecture section, got {sub!r}")
            sub = dict(sub)
            keep = ("return_all_feats",) if sub.get("model_type", arch_cfg.get("model_type")) != "kie" else ()
            extra = {k: sub.pop(k) for k in MODEL_KEYS if k in sub and k not in keep}
            sub.setdefault("model_type", arch_cfg.get("model_type"))
            try:
                model = build_model(sub, global_cfg, num_classes=num_classes)
            except ConfigError as e:
                raise ConfigError(f"{where}: {e}") from e
            if extra.get("pretrained"):
                _load_model_weights(model, extra["pretrained"], f"{where}.pretrained")
            freeze = extra.get("freeze_params", False)
            if not isinstance(freeze, bool):
                raise ConfigError(f"{where}.freeze_params must be true or false, got {freeze!r}")
            if freeze:
                for p in model.parameters():
                    p.stop_gradient = True
            models[name] = model
        logger.info("built distillation model: %s (%s is evaluated and exported)", ", ".join(models), STUDENT)
        return cls(models, model_type=arch_cfg.get("model_type"), algorithm=arch_cfg.get("algorithm"))

    def forward(self, batch: dict) -> dict[str, Any]:
        """``{name: model(batch)}`` for every model."""
        return {name: getattr(self, name)(batch) for name in self.model_names}

    @property
    def student(self) -> nn.Layer:
        return getattr(self, STUDENT)

    # -- checkpoints (PaddleOCR's layouts, see the module docstring) ------------------------------
    def _student_saves_itself(self) -> bool:
        return getattr(self.student, "save_checkpoint", None) is not None

    def save_checkpoint(self, prefix: str, optimizer, states: dict) -> None:
        """Save every model (det/rec), or the student as it saves itself (KIE), with the whole optimizer state."""
        if self._student_saves_itself():
            self.student.save_checkpoint(prefix, optimizer, states)
        else:
            save_checkpoint(prefix, self, optimizer, states)

    def load_checkpoint(self, prefix: str, optimizer=None) -> dict:
        """Resume exactly from a whole-model checkpoint (det/rec).

        Raises:
            CheckpointError: a KIE checkpoint (it holds only the student), with the ways to continue.
        """
        if not self._student_saves_itself():
            return load_checkpoint(prefix, self, optimizer)
        raise CheckpointError(
            f"{prefix} holds only the {STUDENT} model (distillation runs save the student, as in PaddleOCR), so "
            f"training cannot resume exactly from it. To go on training from its weights, set "
            f"Architecture.Models.<name>.Backbone.pretrained={prefix} for the models (and Global.checkpoints: null); "
            "to evaluate or export it, use the non-distillation config with its weights")

    def load_weights(self, path: str) -> None:
        """Load weights for evaluation and export: a whole-model checkpoint (keys ``<name>.``) by name, else
        one model's weights into the student."""
        if not self._student_saves_itself():
            prefix = strip_suffix(path)
            if os.path.isfile(prefix + ".pdparams"):
                keys = safe_pickle.load_params(prefix + ".pdparams").keys()
                if any(k.split(".", 1)[0] in self.model_names for k in keys):
                    report = load_pretrained(prefix, self)
                    if report["missing"] or report["mismatched"]:
                        raise ConfigError(f"{path} does not fit the distillation model (missing "
                                          f"{report['missing'][:3]}, mismatched {report['mismatched'][:3]})")
                    return
        _load_model_weights(self.student, path, "weights")

    def export_target(self) -> tuple[str, nn.Layer]:
        """``(name, layer)`` of what export writes: the student, with ``return_all_feats`` off.

        Raises:
            ConfigError: a KIE distillation model (export the student with its non-distillation config).
        """
        if self._student_saves_itself():
            raise ConfigError("a KIE DistillationModel is not exported: export the student with the non-distillation "
                              "config and the checkpoint this run saved (it holds only the student), e.g. "
                              "tools/export_model.py -c configs/kie/vi_layoutxlm/ser_vi_layoutxlm_xfund_zh.yml "
                              "-o Architecture.Backbone.checkpoints=<save_model_dir>/best_accuracy")
        student = self.student
        if hasattr(student, "return_all_feats"):
            student.return_all_feats = False
        return STUDENT, student

    def input_spec(self, *args, **kwargs) -> list:
        """The student's export signature (see :meth:`export_target`)."""
        return self.export_target()[1].input_spec(*args, **kwargs)


def _load_model_weights(model: nn.Layer, path: str, where: str) -> None:
    own = getattr(model, "load_weights", None)
    if own is not None:
        own(path)
        return
    report = load_pretrained(strip_suffix(path), model)
    if report["missing"] or report["mismatched"]:
        raise ConfigError(f"{where}: {path} does not fit the model (missing {report['missing'][:3]}, mismatched "
                          f"{report['mismatched'][:3]})")
