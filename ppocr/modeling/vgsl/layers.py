"""The layers a VGSL spec builds. Each prints back as its spec token (``str(layer)``).

Layout. A spec speaks TensorFlow's ``[batch, height, width, depth]``; Paddle tensors are NCHW, so
every layer here takes and returns ``[B, depth, height, width]``, whatever it collapses (as in
Tesseract, a collapsed dimension stays as size 1). ``x`` is the width axis, ``y`` the height axis.
Only the sequence output layer ``O1`` leaves 4-D: it returns ``[B, width, classes]`` (the CTC
contract of ``CTCHead``).

Shapes are tracked at build time as :class:`Shape` ``(height, width, depth)``; ``0`` means
variable (decided by each batch), as in the spec's input block.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.utils.errors import ConfigError, DataError

ACTIVATIONS = {"s": "sigmoid", "t": "tanh", "r": "relu", "l": "linear", "m": "softmax", "lr": "leaky relu"}


class Shape(NamedTuple):
    """Per-sample shape in spec terms; 0 = variable."""

    height: int
    width: int
    depth: int

    def __str__(self) -> str:
        def v(n):
            return str(n) if n else "var"
        return f"height {v(self.height)}, width {v(self.width)}, depth {self.depth}"


def _dim(x: paddle.Tensor, axis: int):
    """``x.shape[axis]`` as an int when it is known, else as a tensor (variable size in a static graph)."""
    v = x.shape[axis]
    if isinstance(v, int) and v >= 0:
        return v
    return paddle.shape(x)[axis]


def _activate(x: paddle.Tensor, act: str, axis: int = 1) -> paddle.Tensor:
    if act == "s":
        return F.sigmoid(x)
    if act == "t":
        return paddle.tanh(x)
    if act == "r":
        return F.relu(x)
    if act == "m":
        return F.softmax(x, axis=axis)
    if act == "lr":
        return F.leaky_relu(x)
    return x


def _named(letters: str, name: str | None) -> str:
    return letters + ("{" + name + "}" if name else "")


class VGSLLayer(nn.Layer):
    """Base class: remembers its input and output :class:`Shape` and its spec token.

    Attributes:
        in_shape: shape it was built for.
        out_shape: shape it produces.
        name: optional kraken-style ``{name}`` from the spec.
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, name: str | None = None):
        super().__init__()
        self.in_shape = in_shape
        self.out_shape = out_shape
        self.name = name

    @property
    def spec(self) -> str:
        """The spec token that rebuilds this layer."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.spec

    def extra_repr(self) -> str:
        return f"{self.spec!r}: {self.in_shape} -> {self.out_shape}"


class InputLayer(VGSLLayer):
    """The spec's input block ``batch,height,width,depth`` (index 0 of a net, as in Tesseract).

    Checks that images fit the spec and, for the strip form (height 1, depth other than 1 or 3,
    e.g. ``[1,1,0,48 ...]``), turns a grey image of height ``depth`` into ``depth`` channels of
    height 1. Images are never resized here: the resize transform must produce the spec's height.

    Attributes:
        image_channels: channels of the images fed in (1 grey, 3 colour; 1 for strips).
        image_height: height of the images fed in (0 = any).
        image_width: width of the images fed in (0 = any).

    Shape:
        [B, image_channels, image_height, W] -> [B, depth, height, W].
    """

    def __init__(self, batch: int, height: int, width: int, depth: int):
        shape = Shape(height, width, depth)
        super().__init__(shape, shape)
        self.batch = batch
        self.strips = height == 1 and depth not in (1, 3)
        self.image_channels = 1 if self.strips else depth
        self.image_height = depth if self.strips else height
        self.image_width = width

    @property
    def spec(self) -> str:
        s = self.out_shape
        return f"{self.batch},{s.height},{s.width},{s.depth}"

    def check_image_shape(self, channels, height, width=None) -> None:
        """Raise ConfigError when images of this size cannot enter the net (sizes < 0 are unknown)."""
        fix = (f"set the resize transform's image_shape to [{self.image_channels}, "
               f"{self.image_height or 'H'}, W] (e.g. RecResizeImg)")
        if isinstance(channels, int) and channels >= 0 and channels != self.image_channels:
            kind = "grey" if self.image_channels == 1 else "colour"
            raise ConfigError(f"the VGSL input block {self.spec} takes {kind} images with {self.image_channels} "
                              f"channel(s), got {channels}; {fix}")
        if isinstance(height, int) and height >= 0 and self.image_height and height != self.image_height:
            raise ConfigError(f"the VGSL input block {self.spec} takes images of height {self.image_height}, "
                              f"got {height}; {fix}, or write height 0 in the spec for variable height")
        if (isinstance(width, int) and width >= 0 and self.image_width and width != self.image_width):
            raise ConfigError(f"the VGSL input block {self.spec} takes images of width {self.image_width}, "
                              f"got {width}; resize to that width or write width 0 in the spec")

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if len(x.shape) != 4:
            raise DataError(f"a VGSL net takes images [B, C, H, W], got shape {list(x.shape)}")
        self.check_image_shape(x.shape[1], x.shape[2], x.shape[3])
        if self.strips:
            x = x.reshape([-1, self.out_shape.depth, 1, _dim(x, 3)])
        return x


class Conv2DLayer(VGSLLayer):
    """``C(s|t|r|l|m|lr)<y>,<x>,<d>[,<sy>,<sx>[,<dy>,<dx>]]``: convolution with 'same' padding.

    Padding keeps the size at stride 1 (even kernels pad one more at the bottom/right); with a
    stride the size becomes ``ceil(size / stride)``. Checkpoint keys: ``conv.weight``, ``conv.bias``.

    Shape:
        [B, C, H, W] -> [B, d, ceil(H / sy), ceil(W / sx)].
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, act: str, kernel: tuple[int, int], filters: int,
                 stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1), name: str | None = None):
        super().__init__(in_shape, out_shape, name)
        self.act, self.kernel, self.filters = act, tuple(kernel), filters
        self.stride, self.dilation = tuple(stride), tuple(dilation)
        pad = []
        for k, d in zip(self.kernel, self.dilation):
            total = d * (k - 1)
            pad += [total // 2, total - total // 2]
        self.conv = nn.Conv2D(in_shape.depth, filters, self.kernel, stride=self.stride, padding=pad,
                              dilation=self.dilation)

    @staticmethod
    def output_size(size: int, stride: int) -> int:
        return 0 if size == 0 else (size - 1) // stride + 1

    @property
    def spec(self) -> str:
        s = f"{_named('C' + self.act, self.name)}{self.kernel[0]},{self.kernel[1]},{self.filters}"
        if self.stride != (1, 1) or self.dilation != (1, 1):
            s += f",{self.stride[0]},{self.stride[1]}"
        if self.dilation != (1, 1):
            s += f",{self.dilation[0]},{self.dilation[1]}"
        return s

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return _activate(self.conv(x), self.act)


class MaxPoolLayer(VGSLLayer):
    """``Mp<y>,<x>[,<sy>,<sx>]``: max-pool, stride defaults to the kernel, no padding.

    A remainder smaller than the window is dropped (floor), as Paddle/PyTorch pooling does.

    Shape:
        [B, C, H, W] -> [B, C, (H - y) // sy + 1, (W - x) // sx + 1].
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, kernel: tuple[int, int], stride: tuple[int, int],
                 name: str | None = None):
        super().__init__(in_shape, out_shape, name)
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.pool = nn.MaxPool2D(self.kernel, stride=self.stride)

    @staticmethod
    def output_size(size: int, kernel: int, stride: int) -> int:
        return 0 if size == 0 else (size - kernel) // stride + 1

    @property
    def spec(self) -> str:
        s = f"{_named('Mp', self.name)}{self.kernel[0]},{self.kernel[1]}"
        if self.stride != self.kernel:
            s += f",{self.stride[0]},{self.stride[1]}"
        return s

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.pool(x)


class RNNLayer(VGSLLayer):
    """``L(f|r|b)(x|y)[s]<n>`` (LSTM) and ``G...`` (GRU).

    The recurrence runs along ``x`` (width, left to right for ``f``) or ``y`` (height, top to
    bottom for ``f``); every row (for ``x``) or column (for ``y``) is an independent sequence.
    ``r`` runs reversed, ``b`` both ways with the two outputs concatenated (depth ``2n``). With
    ``s`` only each direction's final output is kept (forward: the last step; reversed: the
    first position), collapsing that axis to 1. Checkpoint keys: ``rnn.*``.

    Shape:
        [B, C, H, W] -> [B, n or 2n, H, W], with H (``y``) or W (``x``) 1 when summarising.
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, cell: str, direction: str, axis: str, summarize: bool,
                 hidden: int, name: str | None = None):
        super().__init__(in_shape, out_shape, name)
        self.cell, self.direction, self.axis = cell, direction, axis
        self.summarize, self.hidden = summarize, hidden
        rnn_cls = nn.LSTM if cell == "L" else nn.GRU
        self.rnn = rnn_cls(in_shape.depth, hidden, direction="bidirect" if direction == "b" else "forward")
        if cell == "L":
            self._open_forget_gates()

    def _open_forget_gates(self) -> None:
        """Start each LSTM's forget gate open (bias 1, Gers et al. 2000; Jozefowicz et al. 2015), so the
        cell state carries over long lines from the first step. Paddle's gate order is i, f, g, o."""
        h = self.hidden
        for name, param in self.rnn.named_parameters():
            if "bias_ih" in name:
                value = param.numpy()
                value[h:2 * h] = 1.0
                param.set_value(value)
            elif "bias_hh" in name:
                value = param.numpy()
                value[h:2 * h] = 0.0
                param.set_value(value)

    @property
    def spec(self) -> str:
        letters = self.cell + self.direction + self.axis + ("s" if self.summarize else "")
        return f"{_named(letters, self.name)}{self.hidden}"

    def _run(self, seq: paddle.Tensor) -> paddle.Tensor:
        if self.direction == "r":
            out, _ = self.rnn(paddle.flip(seq, [1]))
            out = paddle.flip(out, [1])
            return out[:, :1] if self.summarize else out
        out, _ = self.rnn(seq)
        if not self.summarize:
            return out
        if self.direction == "f":
            return out[:, -1:]
        return paddle.concat([out[:, -1:, :self.hidden], out[:, :1, self.hidden:]], axis=2)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        c, h, w = _dim(x, 1), _dim(x, 2), _dim(x, 3)
        depth = self.out_shape.depth
        if self.axis == "x":
            out = self._run(x.transpose([0, 2, 3, 1]).reshape([-1, w, c]))  # rows: [B*H, W, C]
            steps = 1 if self.summarize else w
            return out.reshape([-1, h, steps, depth]).transpose([0, 3, 1, 2])
        out = self._run(x.transpose([0, 3, 2, 1]).reshape([-1, h, c]))  # columns: [B*W, H, C]
        steps = 1 if self.summarize else h
        return out.reshape([-1, w, steps, depth]).transpose([0, 3, 2, 1])


class DropoutLayer(VGSLLayer):
    """``Do[<p>][,<dim>]``: dropout with probability ``p`` (default 0.5); ``dim`` 1 drops single
    values, 2 drops whole channels (use after convolutions). Identity in eval mode.

    Shape:
        unchanged.
    """

    def __init__(self, in_shape: Shape, p: float = 0.5, dim: int = 1, name: str | None = None):
        super().__init__(in_shape, in_shape, name)
        self.p, self.dim = p, dim
        self.dropout = nn.Dropout(p) if dim == 1 else nn.Dropout2D(p)

    @property
    def spec(self) -> str:
        s = _named("Do", self.name)
        if self.p != 0.5 or self.dim != 1:
            s += f"{self.p:g}"
        if self.dim != 1:
            s += f",{self.dim}"
        return s

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.dropout(x)


class GroupNormLayer(VGSLLayer):
    """``Gn<g>``: group normalisation over ``g`` groups of channels. Checkpoint keys: ``norm.*``.

    Shape:
        unchanged.
    """

    def __init__(self, in_shape: Shape, groups: int, name: str | None = None):
        super().__init__(in_shape, in_shape, name)
        self.groups = groups
        self.norm = nn.GroupNorm(groups, in_shape.depth)

    @property
    def spec(self) -> str:
        return f"{_named('Gn', self.name)}{self.groups}"

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.norm(x)


# spec dimension numbers (1 height, 2 width, 3 depth) -> NCHW axes
SPEC_TO_AXIS = {1: 2, 2: 3, 3: 1}


class ReshapeLayer(VGSLLayer):
    """kraken's ``S<d>(<a>x<b>)<e>,<f>``: split dimension ``d`` into ``a * b``; the ``a`` part goes
    to dimension ``e``, the ``b`` part to ``f`` (one of them is ``d`` itself, where that part stays).
    Dimensions: 1 height, 2 width, 3 depth. A part of 0 is inferred from the size.

    The moved part is merged into its destination as the faster-varying index:
    ``new = old_destination_index * moved_size + part_index``.

    Example: ``S1(1x12)1,3`` on depth 64, height 12 gives height 1, depth ``64 * 12``.
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, src: int, a: int, b: int, e: int, f: int,
                 name: str | None = None):
        super().__init__(in_shape, out_shape, name)
        self.src, self.a, self.b, self.e, self.f = src, a, b, e, f
        if e == src:  # a stays, b moves to f
            self.stay_first, self.dst = True, f
        else:  # b stays, a moves to e
            self.stay_first, self.dst = False, e

    @property
    def spec(self) -> str:
        return f"{_named('S', self.name)}{self.src}({self.a}x{self.b}){self.e},{self.f}"

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        s_ax, d_ax = SPEC_TO_AXIS[self.src], SPEC_TO_AXIS[self.dst]
        dims = [_dim(x, i) for i in range(4)]
        size = dims[s_ax]
        a = self.a if self.a else size // self.b
        b = self.b if self.b else size // self.a
        # 5-D: the source axis split into (a, b); labels track where each axis goes.
        split = dims[:s_ax] + [a, b] + dims[s_ax + 1:]
        labels = list(range(s_ax)) + ["a", "b"] + list(range(s_ax + 1, 4))
        stay, move = ("a", "b") if self.stay_first else ("b", "a")
        order = [stay if lab == "a" else lab for lab in labels if lab != "b"]
        order.insert(order.index(d_ax) + 1, move)
        perm = [labels.index(lab) for lab in order]
        x = x.reshape(split).transpose(perm)
        out = [split[labels.index(lab)] for lab in order]
        i = order.index(d_ax)
        out[i:i + 2] = [out[i] * out[i + 1]]
        return x.reshape(out)


class SpaceToDepthLayer(VGSLLayer):
    """Tesseract's ``S<y>,<x>``: fold each ``y * x`` block into depth (depth ``* y * x``).

    A remainder of the height/width that does not fill a block is dropped.

    Shape:
        [B, C, H, W] -> [B, C * y * x, H // y, W // x].
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, y: int, x: int, name: str | None = None):
        super().__init__(in_shape, out_shape, name)
        self.y, self.x = y, x

    @property
    def spec(self) -> str:
        return f"{_named('S', self.name)}{self.y},{self.x}"

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        c, h, w = _dim(x, 1), _dim(x, 2), _dim(x, 3)
        hy, wx = h // self.y, w // self.x
        x = x[:, :, :hy * self.y, :wx * self.x]
        x = x.reshape([-1, c, hy, self.y, wx, self.x]).transpose([0, 1, 3, 5, 2, 4])
        return x.reshape([-1, c * self.y * self.x, hy, wx])


class FullyConnectedLayer(VGSLLayer):
    """Tesseract's ``F(s|t|r|l|m)<d>``: one linear map of the whole (fixed-size) input to ``d`` values.
    Checkpoint keys: ``fc.*``.

    Shape:
        [B, C, H, W] -> [B, d, 1, 1].
    """

    def __init__(self, in_shape: Shape, act: str, out: int, name: str | None = None):
        super().__init__(in_shape, Shape(1, 1, out), name)
        self.act, self.out = act, out
        self.fc = nn.Linear(in_shape.height * in_shape.width * in_shape.depth, out)

    @property
    def spec(self) -> str:
        return f"{_named('F' + self.act, self.name)}{self.out}"

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = _activate(self.fc(x.flatten(1)), self.act, axis=1)
        return y.reshape([-1, self.out, 1, 1])


class OutputLayer(VGSLLayer):
    """``O(1|2)(c|s|m|l)<n>``: the output projection to ``n`` classes (blank = class 0 for CTC).

    ``O1``: sequence output for CTC (``c``) or per-step softmax (``s``/``m``) or sigmoid (``l``);
    needs height 1 and returns ``[B, W, n]``: logits in training mode, probabilities (softmax, or
    sigmoid for ``l``) in eval mode, as ``CTCHead`` does. Checkpoint keys: ``fc.*``.
    ``O2``: a 1x1 convolution map ``[B, n, H, W]``, same training/eval rule over the depth axis.
    Checkpoint keys: ``conv.*``.
    """

    def __init__(self, in_shape: Shape, out_shape: Shape, dim: int, kind: str, classes: int,
                 name: str | None = None):
        super().__init__(in_shape, out_shape, name)
        self.dim, self.kind, self.classes = dim, kind, classes
        self._make(classes)

    def _make(self, classes: int) -> None:
        if self.dim == 1:
            self.fc = nn.Linear(self.in_shape.depth, classes)
        else:
            self.conv = nn.Conv2D(self.in_shape.depth, classes, 1)

    @property
    def out_channels(self) -> int:
        return self.classes

    @property
    def spec(self) -> str:
        return f"{_named('O', self.name)}{self.dim}{self.kind}{self.classes}"

    def resize(self, classes: int, old_to_new: dict[int, int] | None = None) -> None:
        """Replace the projection by one with ``classes`` outputs, copying the weights of the old
        classes that ``old_to_new`` maps (``{old_index: new_index}``; e.g. from a codec merge).
        Unmapped new classes keep their fresh initialisation."""
        old = self.fc if self.dim == 1 else self.conv
        old_w, old_b = old.weight.numpy(), old.bias.numpy()
        self.classes = classes
        self._make(classes)
        new = self.fc if self.dim == 1 else self.conv
        w, b = new.weight.numpy(), new.bias.numpy()
        for o, n in (old_to_new or {}).items():
            if 0 <= o < old_w.shape[-1 if self.dim == 1 else 0] and 0 <= n < classes:
                if self.dim == 1:
                    w[:, n] = old_w[:, o]
                else:
                    w[n] = old_w[o]
                b[n] = old_b[o]
        new.weight.set_value(w)
        new.bias.set_value(b)
        self.out_shape = self.out_shape._replace(depth=classes)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.dim == 1:
            y = self.fc(x.squeeze(2).transpose([0, 2, 1]))
            axis = 2
        else:
            y = self.conv(x)
            axis = 1
        if self.training:
            return y
        return F.sigmoid(y) if self.kind == "l" else F.softmax(y, axis=axis)


class SeriesLayer(VGSLLayer):
    """``[...]``: layers run one after the other. Checkpoint keys: ``layers.<i>.*``."""

    def __init__(self, in_shape: Shape, layers: Sequence[VGSLLayer]):
        super().__init__(in_shape, layers[-1].out_shape if layers else in_shape)
        self.layers = nn.LayerList(list(layers))

    @property
    def spec(self) -> str:
        return "[" + " ".join(layer.spec for layer in self.layers) + "]"

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class ParallelLayer(VGSLLayer):
    """``(...)``: every branch gets the same input; outputs are concatenated in depth. The branches
    must produce the same height and width. Checkpoint keys: ``branches.<i>.*``."""

    def __init__(self, in_shape: Shape, out_shape: Shape, branches: Sequence[VGSLLayer]):
        super().__init__(in_shape, out_shape)
        self.branches = nn.LayerList(list(branches))

    @property
    def spec(self) -> str:
        return "(" + " ".join(b.spec for b in self.branches) + ")"

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        outs = [b(x) for b in self.branches]
        sizes = [tuple(o.shape[2:]) for o in outs]
        if all(isinstance(v, int) and v >= 0 for s in sizes for v in s) and len(set(sizes)) > 1:
            raise ConfigError(f"the parallel block {self.spec} got branch outputs of different height x width "
                              f"{sizes} for input {list(x.shape)}; make every branch reduce height and width alike")
        return paddle.concat(outs, axis=1)

