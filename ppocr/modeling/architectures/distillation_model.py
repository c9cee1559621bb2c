"""Several models trained together: PaddleOCR's ``DistillationModel`` (UDML: two students learning from each other).

The ``Architecture`` section names each model under ``Models``; every entry is an ordinary
``Architecture`` section plus three PaddleOCR keys::

    Architecture:
      model_type: kie
      name: DistillationModel
      algorithm: Distillation
      Models:
        Teacher:                         # UDML: a second student, trained as well
          pretrained:                    # weights to start this model from (optional)
          freeze_params: false           # true: this model is not trained
          return_all_feats: true         # accepted; KIE models return their hidden states while training
          model_type: kie
          algorithm: LayoutXLM
          Transform:
          Backbone: {name: LayoutXLMForSer, pretrained: ./pretrained/starter_layoutxlm, mode: vi, num_classes: 7}
        Student:
          ...

``model(batch)`` returns ``{name: that model's output}``; the ``Distillation*`` losses,
post-processors and ``DistillationMetric`` pick the models they compare by name.

Checkpoints hold only the model named ``Student``, as PaddleOCR saves distillation runs, in the
layout that model saves itself in (KIE: a paddlenlp model directory that the non-distillation
config loads as ``Architecture.Backbone.checkpoints``). Evaluation loads such weights into the
student.

Example:
    >>> model = build_model(udml_cfg["Architecture"])
    >>> outputs = model(batch)          # {'Teacher': ..., 'Student': ...}
"""
from __future__ import annotations

import logging
from typing import Any

import paddle.nn as nn

from ppocr.registry import ARCHITECTURES, nearest
from ppocr.utils.checkpoint import load_pretrained, save_checkpoint, strip_suffix
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
            extra = {k: sub.pop(k) for k in MODEL_KEYS if k in sub}
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
        logger.info("built distillation model: %s (checkpoints hold %s)", ", ".join(models), STUDENT)
        return cls(models, model_type=arch_cfg.get("model_type"), algorithm=arch_cfg.get("algorithm"))

    def forward(self, batch: dict) -> dict[str, Any]:
        """``{name: model(batch)}`` for every model."""
        return {name: getattr(self, name)(batch) for name in self.model_names}

    @property
    def student(self) -> nn.Layer:
        return getattr(self, STUDENT)

    # -- checkpoints: only the student is saved (PaddleOCR) ----------------------------------------
    def save_checkpoint(self, prefix: str, optimizer, states: dict) -> None:
        """Save the student as it saves itself (KIE: a model directory), with the whole optimizer state."""
        saver = getattr(self.student, "save_checkpoint", None)
        if saver is not None:
            saver(prefix, optimizer, states)
        else:
            save_checkpoint(prefix, self.student, optimizer, states)

    def load_checkpoint(self, prefix: str, optimizer=None) -> dict:
        """Checkpoints hold the student only, so a distillation run cannot resume exactly from one.

        Raises:
            CheckpointError: always, with the ways to continue.
        """
        raise CheckpointError(
            f"{prefix} holds only the {STUDENT} model (distillation runs save the student, as in PaddleOCR), so "
            f"training cannot resume exactly from it. To go on training from its weights, set "
            f"Architecture.Models.<name>.Backbone.pretrained={prefix} for the models (and Global.checkpoints: null); "
            "to evaluate or export it, use the non-distillation config with its weights")

    def load_weights(self, path: str) -> None:
        """Load a checkpoint (the student's weights) into the student, for evaluation."""
        _load_model_weights(self.student, path, "weights")

    def input_spec(self, *args, **kwargs) -> list:
        """Distillation models are not exported whole.

        Raises:
            ConfigError: always; export the student with its own config.
        """
        raise ConfigError("a DistillationModel is not exported whole: export the student with the non-distillation "
                          "config and the checkpoint this run saved (it holds only the student), e.g. "
                          "tools/export_model.py -c configs/kie/vi_layoutxlm/ser_vi_layoutxlm_xfund_zh.yml "
                          "-o Architecture.Backbone.checkpoints=<save_model_dir>/best_accuracy")


def _load_model_weights(model: nn.Layer, path: str, where: str) -> None:
    own = getattr(model, "load_weights", None)
    if own is not None:
        own(path)
        return
    report = load_pretrained(strip_suffix(path), model)
    if report["missing"] or report["mismatched"]:
        raise ConfigError(f"{where}: {path} does not fit the model (missing {report['missing'][:3]}, mismatched "
                          f"{report['mismatched'][:3]})")
