"""``VGSLNet``: the network a VGSL spec describes, indexable and printable as its spec."""
from __future__ import annotations

import logging
from typing import Mapping, Optional

import paddle
import paddle.nn as nn

from ppocr.modeling.vgsl.layers import InputLayer, OutputLayer, Shape
from ppocr.modeling.vgsl.spec import parse_spec
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)


class VGSLNet(nn.Layer):
    """A network built from a VGSL spec.

    ``layers`` is the outer series, numbered as Tesseract's ``--append_index``: ``layers[0]`` is
    the input block, ``layers[1]`` the first real layer, and so on; a nested ``[...]`` or ``(...)``
    block is one layer. ``str(net)`` and ``net.spec`` give the spec back (with ``O1c#`` resolved
    to the class count), and parsing that string builds the same structure. Checkpoint keys are
    ``layers.<index>.<...>``, so the kept layers of :meth:`append` keep their keys.

    Example:
        >>> net = VGSLNet("[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c#]", num_classes=111)
        >>> net.spec
        '[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c111]'
        >>> net(paddle.rand([2, 1, 36, 120])).shape      # logits in training mode
        [2, 40, 111]
        >>> net.append(5, "[Lfx128 O1c#]", num_classes=80)  # keep layers 0..5, new top
        >>> str(net)
        '[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx128 O1c80]'

    Args:
        spec: the VGSL spec, starting with the input block.
        num_classes: class count of the codec (blank included) for ``O1c#``; a number written in
            the spec must agree with it.

    Attributes:
        layers: ``nn.LayerList`` of :class:`VGSLLayer` (input first).
        out_channels: depth of the output (the class count after an output layer).

    Shape:
        [B, C, H, W] (C, H as the input block says; W free when its width is 0) -> with an ``O1``
        output [B, W', classes] (logits in training, probabilities in eval), else the last layer's
        [B, depth, H', W'].

    Raises:
        VGSLSpecError: (a ``ConfigError``) the spec does not parse or build.
    """

    def __init__(self, spec: str, num_classes: Optional[int] = None):
        super().__init__()
        parsed = parse_spec(spec, num_classes=num_classes)
        if not parsed.layers or not isinstance(parsed.layers[0], InputLayer):
            raise ConfigError(f"the VGSL spec {spec!r} has no input block; a net starts with "
                              "[batch,height,width,depth ...], e.g. [1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 O1c#]")
        self.layers = nn.LayerList(parsed.layers)

    # -- description ---------------------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The spec that rebuilds this net."""
        return "[" + " ".join(layer.spec for layer in self.layers) + "]"

    def __str__(self) -> str:
        return self.spec

    def extra_repr(self) -> str:
        return repr(self.spec)

    @property
    def input(self) -> InputLayer:
        """The input block (``layers[0]``)."""
        return self.layers[0]

    @property
    def out_shape(self) -> Shape:
        return self.layers[-1].out_shape

    @property
    def out_channels(self) -> int:
        return self.out_shape.depth

    @property
    def output_layer(self) -> Optional[OutputLayer]:
        """The output layer, or ``None`` when the spec has none."""
        last = self.layers[-1]
        return last if isinstance(last, OutputLayer) else None

    def describe(self) -> str:
        """One line per layer: index, spec token, output shape (as Tesseract/kraken print them)."""
        lines = []
        for i, layer in enumerate(self.layers):
            n = sum(int(p.numel()) for p in layer.parameters())
            lines.append(f"{i:>3}  {layer.spec:<24} {layer.out_shape}  ({n} parameters)")
        return "\n".join(lines)

    # -- surgery for fine-tuning -----------------------------------------------------------------
    def append(self, index: int, spec: str, num_classes: Optional[int] = None) -> "VGSLNet":
        """Cut every layer above ``index`` and append the layers of ``spec`` (in place).

        Layers ``0..index`` are kept as they are, weights included (Tesseract's
        ``--append_index``); the new layers are freshly initialised.

        Args:
            index: last layer to keep (``0`` keeps only the input block); negative counts from the end.
            spec: the layers to append, without input block, e.g. ``'[Lfx256 O1c#]'``.
            num_classes: class count for the new output layer (``O1c#``).

        Returns:
            ``self``.

        Raises:
            ConfigError: ``index`` out of range, or it would keep the output layer.
            VGSLSpecError: ``spec`` does not parse on top of the kept layers.
        """
        n = len(self.layers)
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise ConfigError(f"append index must be an int in 0..{n - 1} (or -{n}..-1), got {index!r}; "
                              f"the layers are:\n{self.describe()}")
        index %= n
        kept = list(self.layers)[:index + 1]
        if isinstance(kept[-1], OutputLayer):
            raise ConfigError(f"append index {index} keeps the output layer {kept[-1].spec}; nothing can follow "
                              f"it, so cut below it (index {index - 1} or lower)")
        parsed = parse_spec(spec, in_shape=kept[-1].out_shape, num_classes=num_classes)
        if parsed.layers and isinstance(parsed.layers[0], InputLayer):
            raise ConfigError(f"the spec appended at index {index} must not have an input block, got {spec!r}; "
                              "write only the new layers, e.g. '[Lfx256 O1c#]'")
        self.layers = nn.LayerList(kept + parsed.layers)
        logger.info("VGSL net cut above layer %d and appended %s: %s", index, spec, self.spec)
        return self

    def resize_output(self, num_classes: int, old_to_new: Optional[Mapping[int, int]] = None) -> "VGSLNet":
        """Give the output layer ``num_classes`` classes, keeping the weights of mapped classes.

        Args:
            num_classes: new class count (blank included).
            old_to_new: ``{old class index: new class index}`` for classes whose weights to keep
                (e.g. from a codec merge); blank 0 -> 0 is added when missing.

        Returns:
            ``self``.

        Raises:
            ConfigError: the net has no output layer, or a bad class count.
        """
        out = self.output_layer
        if out is None:
            raise ConfigError(f"the net {self.spec} has no output layer to resize; append one, e.g. "
                              "net.append(-1, '[O1c#]', num_classes=...)")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ConfigError(f"num_classes must be a positive int, got {num_classes!r}")
        mapping = {0: 0, **dict(old_to_new or {})}
        out.resize(num_classes, mapping)
        logger.info("VGSL output resized to %d classes (%d kept): %s", num_classes, len(mapping), self.spec)
        return self

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x



