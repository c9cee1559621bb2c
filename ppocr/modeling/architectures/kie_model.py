"""The KIE architecture: a single backbone (LayoutXLMForSer / LayoutXLMForRe) that reads the batch dict.

PaddleOCR's KIE configs have an ``Architecture`` with only ``Backbone``; this class builds
them. Checkpoint keys start with ``backbone.model.``, as in PaddleOCR.

Example:
    >>> cfg = {"name": "KIEModel", "model_type": "kie", "algorithm": "LayoutXLM", "Transform": None,
    ...        "Backbone": {"name": "LayoutXLMForSer", "pretrained": "./pretrained/starter_layoutxlm",
    ...                     "mode": "vi", "num_classes": 7}}
    >>> model = build_model(cfg)
    >>> logits = model({"input_ids": ids, "bbox": bbox, "attention_mask": mask, "token_type_ids": types})
"""
from __future__ import annotations

import logging
import os

import paddle.nn as nn

from ppocr.kie.checkpoint import load_kie_checkpoint, load_kie_weights, save_kie_checkpoint, usable_checkpoint
from ppocr.registry import ARCHITECTURES, BACKBONES, build, nearest
from ppocr.utils.checkpoint import load_pretrained, strip_suffix
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)

ARCH_KEYS = ("name", "model_type", "algorithm", "Transform", "Backbone")


@ARCHITECTURES.register()
class KIEModel(nn.Layer):
    """Wraps a KIE backbone that takes the batch dict and returns the task output.

    Args:
        backbone: a layer with ``input_keys``, ``forward(batch)``, ``input_spec`` and
            ``save_pretrained``.
        model_type: ``'kie'``.
        algorithm: informational name (``'LayoutXLM'``).

    Attributes:
        input_keys: the backbone's batch keys (the first one counts samples).
    """

    def __init__(self, backbone: nn.Layer, model_type: str = "kie", algorithm: str | None = None):
        super().__init__()
        self.backbone = backbone
        self.model_type = model_type
        self.algorithm = algorithm
        self.input_keys = list(backbone.input_keys)

    @classmethod
    def from_config(cls, arch_cfg: dict, global_cfg: dict | None = None, num_classes: int | None = None) -> "KIEModel":
        """Build from an ``Architecture`` section with ``model_type: kie`` and a ``Backbone``."""
        unknown = [k for k in arch_cfg if k not in ARCH_KEYS]
        if unknown:
            extra = " (KIE models have no Neck or Head: the backbone does everything)" \
                if unknown[0] in ("Neck", "Head") else ""
            raise ConfigError(f"Architecture has no key {unknown[0]!r}{extra}; {nearest(unknown[0], ARCH_KEYS)}")
        if arch_cfg.get("model_type") != "kie":
            raise ConfigError(f"KIEModel needs Architecture.model_type: kie, got {arch_cfg.get('model_type')!r}")
        if arch_cfg.get("Transform") is not None:
            raise ConfigError(f"Architecture.Transform must be null for KIE models, got {arch_cfg['Transform']!r}")
        if not arch_cfg.get("Backbone"):
            raise ConfigError("Architecture.Backbone is required, e.g. {name: LayoutXLMForSer, mode: vi, "
                              "num_classes: 7, pretrained: ./pretrained/starter_layoutxlm}")
        backbone = build(arch_cfg["Backbone"], BACKBONES, where="Architecture.Backbone", global_cfg=global_cfg)
        for attr in ("input_keys", "save_pretrained"):
            if not hasattr(backbone, attr):
                raise ConfigError(f"Architecture.Backbone: {type(backbone).__name__} is not a KIE backbone (it has "
                                  f"no {attr!r}); use LayoutXLMForSer or LayoutXLMForRe")
        model = cls(backbone, model_type="kie", algorithm=arch_cfg.get("algorithm"))
        n_params = sum(int(p.numel()) for p in model.parameters())
        logger.info("built kie model %s: %s, %d parameters", model.algorithm, type(backbone).__name__, n_params)
        return model

    def forward(self, batch: dict):
        """Run the backbone on the batch dict."""
        return self.backbone(batch)

    def input_spec(self, image_shape=None, **sizes) -> list:
        """The backbone's export signature; ``sizes`` are ``max_seq_len``, ``max_windows`` (and for RE
        ``max_entities``), taken from the Eval transforms (see ``LayoutXLMForSer.input_spec``)."""
        return self.backbone.input_spec(image_shape, **sizes)

    def input_spec_from_transforms(self, transforms: list) -> list:
        """The export signature with the sizes the (Eval) transform list uses.

        Reads ``VQATokenPad.max_seq_len``, the chunk transform's ``max_windows``,
        ``TensorizeEntitiesRelations.max_seq_len`` (RE) and ``Resize.size`` (base mode), with
        the transforms' own defaults when absent.

        Args:
            transforms: a PaddleOCR-style transform list (``[{Name: {option: value}}, ...]``).
        """
        def arg(op: str, key: str, default):
            for entry in transforms or []:
                name, opts = next(iter(entry.items()))
                if name == op and opts and opts.get(key) is not None:
                    return opts[key]
            return default

        sizes = {"max_seq_len": arg("VQATokenPad", "max_seq_len", 512),
                 "max_windows": arg("VQASerTokenChunk", "max_windows", arg("VQAReTokenChunk", "max_windows", 1))}
        if "entities" in self.input_keys:
            sizes["max_entities"] = arg("TensorizeEntitiesRelations", "max_seq_len", 512)
        size = arg("Resize", "size", None)
        return self.input_spec([3] + list(size) if size else None, **sizes)

    def save_pretrained(self, path: str) -> None:
        """Save the backbone as a paddlenlp model directory (what ``Backbone.checkpoints`` loads)."""
        self.backbone.save_pretrained(path)

    # -- checkpoints: the engine uses these instead of its own .pdparams/.pdopt/.states files ------
    #: the config key that names the checkpoint the model is built from (for the engine's messages)
    checkpoint_option = "Architecture.Backbone.checkpoints"

    @property
    def checkpoint_path(self) -> str | None:
        """``Architecture.Backbone.checkpoints``, whose weights the backbone was built with.

        Training resumes from it exactly (optimizer, LR, epoch/step, best metric, RNG);
        evaluation, export and inference use its weights.
        """
        return getattr(self.backbone, "checkpoints", None)

    def save_checkpoint(self, prefix: str, optimizer, states: dict) -> None:
        """Write ``prefix/`` (paddlenlp model directory + ``metric.states``) and ``prefix.pdopt``, atomically."""
        save_kie_checkpoint(prefix, self, optimizer, states)

    def load_checkpoint(self, prefix: str, optimizer=None) -> dict:
        """Resume from a checkpoint directory: weights (unless built from it), optimizer; returns the training state."""
        used, states = load_kie_checkpoint(prefix, optimizer)
        if not _same_path(used, usable_checkpoint(self.checkpoint_path) if self.checkpoint_path else None):
            self.load_weights(used)
        return states

    def load_weights(self, path: str) -> None:
        """Load weights only: a model directory, or the ``prefix.pdparams`` of a whole-model state dict."""
        if os.path.isdir(path):
            load_kie_weights(self.backbone.model, path)
        else:
            report = load_pretrained(strip_suffix(path), self)
            if report["missing"] or report["mismatched"]:
                raise ConfigError(f"{path} does not fit this KIE model (missing {report['missing'][:3]}, mismatched "
                                  f"{report['mismatched'][:3]}); pass the checkpoint directory it was saved as")


def _same_path(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and os.path.abspath(a.rstrip("/\\")) == os.path.abspath(b.rstrip("/\\"))
