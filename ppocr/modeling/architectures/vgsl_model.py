"""``VGSLModel``: a whole recognition network from a VGSL spec, selected by ``Architecture.name``.

Example config::

    Architecture:
      name: VGSLModel
      model_type: rec
      algorithm: VGSL
      spec: '[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c#]'
      input_levels: [1, -1]      # optional: paper +1, ink -1 as Tesseract feeds its nets

``O1c#`` (or ``O1c``, or no output layer at all, as with kraken's ``ketos train -s``) takes the
class count from the dictionary; the eval/export resize transform must produce images of the
spec's depth and height (``RecResizeImg: {image_shape: [1, 36, 320]}`` for the spec above).

Example:
    >>> model = build_model({"name": "VGSLModel", "model_type": "rec", "algorithm": "VGSL",
    ...                      "spec": "[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 O1c#]"}, num_classes=37)
    >>> model({"image": paddle.rand([2, 1, 36, 120])}).shape
    [2, 40, 37]
"""
from __future__ import annotations

import logging
import os
from typing import Optional, Sequence

import paddle
import paddle.nn as nn
from paddle.static import InputSpec

from ppocr.modeling.vgsl import VGSLNet
from ppocr.vgsl.model_file import is_model_file, load_model_file
from ppocr.registry import ARCHITECTURES, nearest
from ppocr.utils.checkpoint import load_pretrained, strip_suffix, verify_checkpoint
from ppocr.utils.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

VGSL_ARCH_KEYS = ("name", "model_type", "algorithm", "spec", "Transform", "input_levels")


def _check_levels(levels) -> list[float]:
    numbers = isinstance(levels, (list, tuple)) and len(levels) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels)
    if not numbers or levels[0] == levels[1]:
        raise ConfigError(f"Architecture.input_levels must be [paper, ink], two different numbers (Tesseract's "
                          f"input: [1, -1]; null keeps the transform's paper 0, ink 1), got {levels!r}")
    return [float(levels[0]), float(levels[1])]


def levels_hint(own_keys, stored_keys) -> str:
    """A sentence for load errors when only one side has the ``input_levels`` buffer ('' otherwise)."""
    if ("input_levels" in own_keys) == ("input_levels" in stored_keys):
        return ""
    if "input_levels" in stored_keys:
        return ("; the weights were trained with Architecture.input_levels (e.g. [1, -1]) and this config has "
                "none: set it as in training")
    return ("; the weights were trained without Architecture.input_levels and this config sets it: remove it "
            "(null) or train anew")


@ARCHITECTURES.register()
class VGSLModel(nn.Layer):
    """A recognition model that is one :class:`~ppocr.modeling.vgsl.VGSLNet` (checkpoint keys
    ``net.layers.<index>.*``).

    Args:
        spec: the VGSL spec; without an output layer, ``O1c#`` is appended.
        num_classes: dictionary size + blank, for ``O1c#``; a number in the spec must agree.
        model_type: must be ``'rec'``.
        algorithm: informational name (``'VGSL'``).
        input_levels: ``[paper, ink]``: the values the net sees for the transform's paper (0) and ink (1),
            mapped linearly; ``[1, -1]`` is Tesseract's input (``NetworkIO::SetPixel``: paper +1, ink -1) and
            learns much faster from scratch than the raw ``[0, 1]`` with this spec (benchmarks/vgsl_peers.py).
            Stored as the buffer ``input_levels``, so it travels with checkpoints, converted and exported
            models; ``None`` (no buffer): the image as the transform gives it. The loader and predictor pad
            batches with 0, which stays paper either way.

    Attributes:
        net: the network; ``net.layers`` is indexable, ``net.spec`` prints the spec back.
        input_keys: ``['image']``.
        out_channels: the class count.

    Shape:
        image [B, C, H, W] -> [B, W', num_classes] (logits in training, probabilities in eval), the
        contract of ``CTCHead``; W' is W after the spec's width reductions.
    """

    def __init__(self, spec: str, num_classes: Optional[int] = None, model_type: str = "rec",
                 algorithm: Optional[str] = "VGSL", input_levels: Optional[Sequence[float]] = None):
        super().__init__()
        if model_type != "rec":
            raise ConfigError(f"Architecture.model_type must be 'rec' for VGSLModel (text line recognition), "
                              f"got {model_type!r}")
        self.model_type = model_type
        self.algorithm = algorithm
        self.input_keys = ["image"]
        self.net = VGSLNet(spec, num_classes=num_classes)
        if self.net.output_layer is None:
            logger.info("VGSL spec %s has no output layer; appending O1c# (CTC over the dictionary)", spec)
            self.net.append(len(self.net.layers) - 1, "[O1c#]", num_classes=num_classes)
        if self.net.output_layer.dim != 1:
            raise ConfigError(f"VGSLModel recognises text lines, so its spec must end with a sequence output "
                              f"O1c<n> (or O1c#), got {self.net.output_layer.spec} in {self.net.spec}")
        if input_levels is not None:
            # a buffer, so checkpoints, converted models and exported models carry it with the weights
            self.register_buffer("input_levels", paddle.to_tensor(_check_levels(input_levels), dtype="float32"))

    @classmethod
    def from_config(cls, arch_cfg: dict, global_cfg: Optional[dict] = None,
                    num_classes: Optional[int] = None) -> "VGSLModel":
        """Build from an ``Architecture`` section: ``name``, ``model_type`` (``rec``), ``algorithm``,
        ``spec`` (required), ``Transform`` (must be null)."""
        unknown = [k for k in arch_cfg if k not in VGSL_ARCH_KEYS]
        if unknown:
            raise ConfigError(f"Architecture has no key {unknown[0]!r} for VGSLModel; "
                              f"{nearest(unknown[0], VGSL_ARCH_KEYS)}")
        if arch_cfg.get("Transform") is not None:
            raise ConfigError(f"Architecture.Transform is not supported with VGSLModel; set it to null "
                              f"(got {arch_cfg['Transform']!r})")
        spec = arch_cfg.get("spec")
        if not isinstance(spec, str) or not spec.strip():
            raise ConfigError("Architecture.spec is required for VGSLModel: a VGSL string such as "
                              "'[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c#]'" +
                              (f", got {spec!r}" if spec is not None else ""))
        model = cls(spec, num_classes=num_classes, model_type=arch_cfg.get("model_type", "rec"),
                    algorithm=arch_cfg.get("algorithm", "VGSL"), input_levels=arch_cfg.get("input_levels"))
        n_params = sum(int(p.numel()) for p in model.parameters())
        logger.info("built VGSL model %s, %d parameters\n%s", model.spec, n_params, model.net.describe())
        return model

    @property
    def spec(self) -> str:
        return self.net.spec

    # -- fine-tuning (ppocr.vgsl.finetune) and converted models (ppocr.vgsl.model_file) --
    @property
    def head_index(self) -> int:
        """First layer of the "head" that ``Global.freeze_backbone`` keeps training: the layers appended
        by :meth:`append_layers`, else the output layer."""
        return getattr(self, "_head_index", len(self.net.layers) - 1)

    def backbone_parameters(self) -> list:
        """Parameters of the layers below :attr:`head_index` (frozen by ``Global.freeze_backbone``)."""
        return [p for layer in list(self.net.layers)[:self.head_index] for p in layer.parameters()]

    def append_layers(self, index: int, spec: str, num_classes: Optional[int] = None) -> None:
        """Cut above layer ``index`` and append ``spec`` (``VGSLNet.append``); the appended layers
        become the head."""
        n = len(self.net.layers)
        self.net.append(index, spec, num_classes=num_classes)
        self._head_index = (index % n if -n <= index < 0 else index) + 1

    def resize_output(self, num_classes: int, old_to_new=None) -> None:
        """``VGSLNet.resize_output``: new class count, keeping the mapped classes' weights."""
        self.net.resize_output(num_classes, old_to_new)

    def load_weights(self, path: str) -> None:
        """Load a checkpoint (``prefix`` or ``prefix.pdparams``) or a converted model (``prefix`` with
        ``prefix.json``; its stored spec rebuilds the net when it differs, int8 weights are dequantised).

        Raises:
            ConfigError: the weights do not fit the spec.
            CheckpointError: a torn checkpoint or missing files.
        """
        prefix = strip_suffix(path)
        if is_model_file(prefix):
            info = load_model_file(prefix)
            if info["spec"] != self.spec:
                logger.info("%s.json has spec %s; rebuilding the net (config spec %s)", prefix, info["spec"],
                            self.spec)
                self.net = VGSLNet(info["spec"])
            own = self.state_dict()
            bad = sorted(set(own) ^ set(info["state"])) + [
                k for k in own if k in info["state"] and list(own[k].shape) != list(info["state"][k].shape)]
            if bad:
                hint = levels_hint(own, info["state"])
                raise ConfigError(f"{prefix}.pdparams does not fit its spec {info['spec']} ({bad[:3]})" +
                                  (hint or "; convert the checkpoint again"))
            self.set_state_dict(info["state"])
            logger.info("loaded converted model %s (%s)", prefix, "int8" if info.get("quantized") else "float32")
            return
        if os.path.isfile(prefix + ".states"):
            verify_checkpoint(prefix)
        report = load_pretrained(prefix, self)
        if report["missing"] or report["mismatched"] or "input_levels" in report["unexpected"]:
            # missing: only this model has the key; unexpected: only the stored weights have it
            hint = levels_hint(report["missing"], report["unexpected"])
            raise ConfigError(f"{prefix}.pdparams does not fit the spec {self.spec} (missing {report['missing'][:3]}, "
                              f"mismatched {report['mismatched'][:3]})" +
                              (hint or "; use the config (Architecture.spec, codec) it was trained with"))

    @property
    def out_channels(self) -> int:
        return self.net.out_channels

    def forward(self, batch: dict | paddle.Tensor) -> paddle.Tensor:
        """Run the net on a batch dict (reads ``batch['image']``) or a bare image tensor."""
        if isinstance(batch, dict):
            if "image" not in batch:
                raise DataError(f"model input needs an 'image' entry, got keys {sorted(batch)}")
            batch = batch["image"]
        levels = getattr(self, "input_levels", None)
        if levels is not None:
            batch = levels[0] + (levels[1] - levels[0]) * batch
        return self.net(batch)

    def input_spec(self, image_shape: Sequence[int]) -> list[InputSpec]:
        """The export signature for ``paddle.jit.to_static``.

        Args:
            image_shape: ``[C, H, W]`` of the eval resize transform (``RecResizeImg`` or
                ``VGSLResizeLine``; 0 for a variable height or width).

        Returns:
            One float32 ``InputSpec`` named ``x``: ``[None, C, H, -1]``, with ``-1`` for a height
            the spec leaves variable and the fixed width when the spec fixes one.

        Raises:
            ConfigError: ``image_shape`` is not three ints >= 0 (C > 0), or disagrees with the spec's
                input block (channels, height).
        """
        if (not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in image_shape)
                or image_shape[0] < 1):
            raise ConfigError(f"image_shape must be [C, H, W] (ints, C > 0; 0 for a variable H or W, as "
                              f"VGSLResizeLine takes it), got {image_shape!r}")
        c, h, _ = image_shape
        inp = self.net.input
        inp.check_image_shape(c, h)
        height = inp.image_height or -1
        width = inp.image_width or -1
        return [InputSpec([None, c, height, width], "float32", name="x")]
