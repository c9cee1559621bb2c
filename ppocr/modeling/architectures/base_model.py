"""The standard model: (transform) -> backbone -> optional neck -> head, built from the
``Architecture`` section of a config.

Example:
    >>> cfg = {"model_type": "rec", "algorithm": "CRNN", "Transform": None,
    ...        "Backbone": {"name": "MobileNetV3", "scale": 0.5, "model_name": "large"},
    ...        "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 96},
    ...        "Head": {"name": "CTCHead", "fc_decay": 0}}
    >>> model = build_model(cfg, num_classes=37)
    >>> model({"image": paddle.rand([2, 3, 32, 100])}).shape
    [2, 25, 37]
"""
from __future__ import annotations

import inspect
import logging
from typing import Any, Sequence

import paddle
import paddle.nn as nn
from paddle.static import InputSpec

from ppocr.modeling.necks.rnn import Im2Seq
from ppocr.registry import ARCHITECTURES, BACKBONES, HEADS, NECKS, accepted_params, build, nearest
from ppocr.utils.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

MODEL_TYPES = ("det", "rec", "cls", "kie", "table", "e2e", "sr")
#: ``Architecture.name`` when a config leaves it out, per ``model_type`` (else ``BaseModel``).
#: PaddleOCR's KIE configs have no ``name``: their single ``Backbone`` is the whole model.
DEFAULT_ARCHITECTURES = {"kie": "KIEModel"}
ARCH_KEYS = ("name", "model_type", "algorithm", "Transform", "Backbone", "Neck", "Head", "AuxHead",
             "return_all_feats")
#: where components are looked up per ``model_type`` (see ``Registry.resolve``); others use their own
#: scope. PaddleOCR builds the text-direction classifier from the recognition components: its
#: ``MobileNetV3`` is the recognition one.
COMPONENT_SCOPES = {"cls": ("cls", "rec")}


@ARCHITECTURES.register()
class BaseModel(nn.Layer):
    """Chains a backbone, an optional neck and a head.

    Build it from config with ``build_model`` (or ``BaseModel.from_config``); the constructor
    takes ready layers. Checkpoint keys start with ``backbone.``, ``neck.`` and ``head.``, as in
    PaddleOCR.

    Args:
        backbone: image -> feature map layer.
        head: produces the model output.
        neck: optional layer between backbone and head.
        model_type: task family (``'rec'``, ``'det'``, ...); decides ``input_spec``.
        algorithm: informational name (``'CRNN'``, ``'DB'``, ...).
        aux_head: recognition only, training only: a second head fed the backbone's features
            directly (columns as time steps), skipping the neck. It gives the backbone a short
            gradient path while the neck (a BiLSTM) has learnt nothing yet; its loss is added by
            the loss (``CTCLoss.aux_weight``). It runs only in training mode, so evaluation,
            prediction and exported models use the main path alone (checkpoint keys ``aux_head.``).
        return_all_feats: PaddleOCR's option for distillation: training mode returns
            ``{"backbone_out", "neck_out", "head_out"}`` (a MultiHead's ``ctc_neck`` is the
            ``neck_out``; a head's other dict output is merged in), eval mode ``{"head_out": ...}``
            (a dict head output as it is). Export switches it off.

    Attributes:
        input_keys: batch keys ``forward`` reads: ``['image']``.

    Shape:
        image [B, C, H, W] -> head output (for CTC recognition [B, W / 4, num_classes]:
        logits in training mode, probabilities in eval mode; for DB detection
        ``{"maps": [B, 3, H, W]}`` in training mode, ``{"maps": [B, 1, H, W]}`` in eval mode).
        With ``aux_head``, training mode gives ``{"head_out": head output, "aux_out": aux output}``.
    """

    def __init__(self, backbone: nn.Layer, head: nn.Layer, neck: nn.Layer | None = None,
                 model_type: str = "rec", algorithm: str | None = None, aux_head: nn.Layer | None = None,
                 return_all_feats: bool = False):
        super().__init__()
        if not isinstance(return_all_feats, bool):
            raise ConfigError(f"Architecture.return_all_feats must be true or false, got {return_all_feats!r}")
        self.return_all_feats = return_all_feats
        self.model_type = model_type
        self.algorithm = algorithm
        self.input_keys = ["image"]
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.aux_head = aux_head
        self.aux_seq = Im2Seq(getattr(backbone, "out_channels", 0)) if aux_head is not None else None
        # Heads that need targets while training (attention decoders) declare a ``batch`` argument.
        self._head_takes_batch = "batch" in inspect.signature(head.forward).parameters

    @classmethod
    def from_config(cls, arch_cfg: dict, global_cfg: dict | None = None,
                    num_classes: int | None = None) -> "BaseModel":
        """Build from an ``Architecture`` section; see ``build_model``.

        Backbone, neck and head names are looked up for ``model_type`` first: ``MobileNetV3``
        under ``model_type: det`` is the component registered as ``det/MobileNetV3`` (see
        ``Registry.resolve``), as PaddleOCR's per-task builders do.
        """
        unknown = [k for k in arch_cfg if k not in ARCH_KEYS]
        if unknown:
            raise ConfigError(f"Architecture has no key {unknown[0]!r}; {nearest(unknown[0], ARCH_KEYS)}")
        model_type = arch_cfg.get("model_type")
        if model_type not in MODEL_TYPES:
            raise ConfigError(f"Architecture.model_type must be one of {list(MODEL_TYPES)}, got "
                              f"{model_type!r}; {nearest(str(model_type), MODEL_TYPES)}")
        if arch_cfg.get("Transform") is not None:
            raise ConfigError("Architecture.Transform is not supported yet; set it to null "
                              f"(got {arch_cfg['Transform']!r})")
        if arch_cfg.get("AuxHead") and model_type != "rec":
            raise ConfigError(f"Architecture.AuxHead is for recognition models (model_type: rec); this one is "
                              f"{model_type!r}: remove AuxHead")
        for key, reg in (("Backbone", BACKBONES), ("Head", HEADS)):
            if not arch_cfg.get(key):
                raise ConfigError(f"Architecture.{key} is required; registered {reg.kind}s: "
                                  f"{', '.join(reg.names())}")

        # Components registered as '<model_type>/<name>' win over '<name>' (see Registry.resolve):
        # a det config's 'MobileNetV3' is the detection backbone, a rec (or cls) config's the recognition one.
        scope = COMPONENT_SCOPES.get(model_type, model_type)
        backbone_cfg = arch_cfg["Backbone"]
        backbone = build(backbone_cfg, BACKBONES, where="Architecture.Backbone",
                         global_cfg=global_cfg, scope=scope, in_channels=3)
        channels = _out_channels(backbone, "Architecture.Backbone")
        neck = None
        if arch_cfg.get("Neck"):
            neck = build(arch_cfg["Neck"], NECKS, where="Architecture.Neck", global_cfg=global_cfg,
                         scope=scope, in_channels=channels)
            channels = _out_channels(neck, "Architecture.Neck")

        def build_head(key: str, in_channels: int) -> nn.Layer:
            _check_head_classes(arch_cfg[key], num_classes, scope, where=f"Architecture.{key}")
            defaults: dict[str, Any] = {"in_channels": in_channels}
            if num_classes is not None:
                defaults["out_channels"] = num_classes
            return build(arch_cfg[key], HEADS, where=f"Architecture.{key}", global_cfg=global_cfg,
                         scope=scope, **defaults)

        head = build_head("Head", channels)
        # the auxiliary head reads the backbone's features, before the neck
        aux_head = build_head("AuxHead", _out_channels(backbone, "Architecture.Backbone")) \
            if arch_cfg.get("AuxHead") else None

        model = cls(backbone, head, neck=neck, model_type=model_type,
                    algorithm=arch_cfg.get("algorithm"), aux_head=aux_head,
                    return_all_feats=bool(arch_cfg.get("return_all_feats") or False))
        n_params = sum(int(p.numel()) for p in model.parameters())
        logger.info("built %s model %s: %s -> %s -> %s%s, %d parameters", model_type,
                    model.algorithm, type(backbone).__name__,
                    type(neck).__name__ if neck is not None else "no neck",
                    type(head).__name__,
                    f" (training also through {type(aux_head).__name__} on the backbone)" if aux_head else "",
                    n_params)
        return model

    def forward(self, batch: dict | paddle.Tensor):
        """Run the model on a batch dict (reads ``batch['image']``) or a bare image tensor."""
        if isinstance(batch, dict):
            if "image" not in batch:
                raise DataError(f"model input needs an 'image' entry, got keys {sorted(batch)}")
            x = batch["image"]
        else:
            x = batch
            batch = None
        x = self.backbone(x)
        feats = {"backbone_out": x}
        aux = self.aux_head(self.aux_seq(x)) if self.aux_head is not None and self.training else None
        if self.neck is not None:
            x = self.neck(x)
            feats["neck_out"] = x
        if self._head_takes_batch:
            out = self.head(x, batch=batch if self.training else None)
        else:
            out = self.head(x)
        if self.return_all_feats:
            return self._all_feats(feats, out, aux)
        return out if aux is None else {"head_out": out, "aux_out": aux}

    def _all_feats(self, feats: dict, out, aux) -> dict:
        """PaddleOCR's ``return_all_feats`` output (see the class docstring)."""
        if not self.training:
            return out if isinstance(out, dict) else {"head_out": out}
        if isinstance(out, dict) and "ctc_neck" in out:  # MultiHead: its CTC neck is the neck output
            feats["neck_out"] = out["ctc_neck"]
            feats["head_out"] = out
        elif isinstance(out, dict):
            feats.update(out)
        else:
            feats["head_out"] = out
        if aux is not None:
            feats["aux_out"] = aux
        return feats

    def input_spec(self, image_shape: Sequence[int]) -> list[InputSpec]:
        """The export signature, for ``paddle.jit.to_static(..., input_spec=...)``.

        Args:
            image_shape: ``[C, H, W]`` as in the eval resize transform; may be None for ``det``/``e2e``.

        Returns:
            One ``InputSpec`` named ``x``, float32, batch size free:
            ``rec``: ``[None, C, H, -1]`` (any width; the height must stay H);
            ``det``/``e2e`` and ``cls`` (PaddleOCR's text-direction classifier pools the whole map):
            ``[None, C, -1, -1]``;
            other model types: ``[None, C, H, W]``.

        Raises:
            ConfigError: ``image_shape`` is not three positive ints.
        """
        if image_shape is None and self.model_type in ("det", "e2e"):
            image_shape = [3, -1, -1]  # detection takes any size; the eval resize decides it per image
        elif (not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3
                or not all(isinstance(v, int) and v > 0 for v in image_shape)):
            raise ConfigError(f"image_shape must be [C, H, W] (three positive ints), got {image_shape!r}; "
                              "set it in the Eval resize transform (RecResizeImg.image_shape)")
        c, h, w = image_shape
        if self.model_type == "rec":
            shape = [None, c, h, -1]
        elif self.model_type in ("det", "e2e", "cls"):
            shape = [None, c, -1, -1]
        else:
            shape = [None, c, h, w]
        return [InputSpec(shape, "float32", name="x")]


def _out_channels(layer: nn.Layer, where: str) -> int:
    if not hasattr(layer, "out_channels"):
        raise ConfigError(f"{where}: {type(layer).__name__} has no 'out_channels' attribute, so the "
                          f"next component's in_channels is unknown")
    return layer.out_channels


def _check_head_classes(head_cfg: Any, num_classes: int | None, scope: str | Sequence[str] | None,
                        where: str) -> None:
    """Say clearly when a head needs a class count that nobody provided."""
    if not isinstance(head_cfg, dict):
        return  # build() reports these
    key = HEADS.resolve(head_cfg.get("name"), scope)
    if key not in HEADS:
        return  # build() reports these
    cls = HEADS.get(key)
    params, _ = accepted_params(cls)
    if "out_channels" not in params:
        return
    if "out_channels" in head_cfg:
        if num_classes is not None and head_cfg["out_channels"] != num_classes:
            logger.warning("%s.out_channels=%s overrides the %d classes derived from "
                           "the dictionary", where, head_cfg["out_channels"], num_classes)
        return
    if num_classes is None and inspect.signature(cls).parameters["out_channels"].default is inspect.Parameter.empty:
        raise ConfigError(f"{where}: {head_cfg['name']} needs out_channels (the number of "
                          f"classes); pass num_classes to build_model (derived from "
                          f"Global.character_dict_path) or set {where}.out_channels")


def build_model(arch_cfg: dict, global_cfg: dict | None = None,
                num_classes: int | None = None) -> BaseModel:
    """Build the model an ``Architecture`` config section describes.

    Args:
        arch_cfg: the section: ``model_type``, ``algorithm``, ``Transform`` (must be null),
            ``Backbone`` (required), ``Neck`` (optional), ``Head`` (required), ``AuxHead``
            (optional, recognition, training only: see :class:`BaseModel`), and optionally
            ``name`` (a registered architecture; default ``KIEModel`` for ``model_type: kie``,
            see :data:`DEFAULT_ARCHITECTURES`, else ``BaseModel``).
        global_cfg: the ``Global`` section; a few keys reach components that declare them.
        num_classes: class count for heads that declare ``out_channels`` and whose config does
            not set it (CTC: dictionary size + blank).

    Returns:
        The model, in training mode.

    Raises:
        ConfigError: unknown or missing keys or names, or arguments a component rejects.
    """
    if not isinstance(arch_cfg, dict):
        raise ConfigError(f"Architecture must be a mapping, got {type(arch_cfg).__name__}")
    default = DEFAULT_ARCHITECTURES.get(arch_cfg.get("model_type"), "BaseModel")
    cls = ARCHITECTURES.get(arch_cfg.get("name") or default, where="Architecture.name")
    return cls.from_config(arch_cfg, global_cfg=global_cfg, num_classes=num_classes)
