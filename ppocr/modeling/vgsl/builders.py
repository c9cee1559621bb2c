"""One small builder per VGSL token kind, tried in order by the parser (``BUILDERS``).

Each builder matches the token's text against its own regex (named groups) and returns
``(out_shape, layer)``, or ``None`` when the token is not its kind. A token of its kind with bad
values (a kernel larger than a fixed height, a class count that disagrees with the codec, ...)
raises ``ctx.error(message)``: a ``VGSLSpecError`` pointing at the token.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable, Optional

from ppocr.modeling.vgsl.layers import (Conv2DLayer, DropoutLayer, FullyConnectedLayer, GroupNormLayer, MaxPoolLayer,
                                        OutputLayer, ReshapeLayer, RNNLayer, Shape, SpaceToDepthLayer, VGSLLayer)

logger = logging.getLogger(__name__)


@dataclass
class BuildContext:
    """What a builder may need besides its token and input shape.

    Attributes:
        num_classes: class count from the codec (``None`` when the caller has none).
        error: makes the exception to raise for the current token, positioned in the spec.
    """

    num_classes: Optional[int]
    error: Callable[[str], Exception]


Result = Optional[tuple[Shape, VGSLLayer]]

# kraken allows a {name} right after the layer letter(s) or before the numbers.
_N1 = r"(?:\{(?P<name1>\w+)\})?"
_N2 = r"(?:\{(?P<name2>\w+)\})?"


def _name(m: re.Match, ctx: BuildContext) -> str | None:
    names = [v for k, v in m.groupdict().items() if k.startswith("name") and v]
    if len(names) > 1:
        raise ctx.error("a layer has one {name}, this token has two")
    return names[0] if names else None


def _positive(ctx: BuildContext, **values: int) -> None:
    for key, v in values.items():
        if v < 1:
            raise ctx.error(f"{key} must be at least 1, got {v}")


_CONV = re.compile(rf"C{_N1}(?P<act>lr|[strlm]){_N2}(?P<y>\d+),(?P<x>\d+),(?P<d>\d+)"
                   r"(?:,(?P<sy>\d+),(?P<sx>\d+)(?:,(?P<dy>\d+),(?P<dx>\d+))?)?")


def build_conv(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """``C(s|t|r|l|m|lr)<y>,<x>,<d>[,<sy>,<sx>[,<dy>,<dx>]]``."""
    m = _CONV.fullmatch(text)
    if not m:
        return None
    ky, kx, d = int(m["y"]), int(m["x"]), int(m["d"])
    sy, sx = (int(m["sy"]), int(m["sx"])) if m["sy"] else (1, 1)
    dy, dx = (int(m["dy"]), int(m["dx"])) if m["dy"] else (1, 1)
    _positive(ctx, kernel_height=ky, kernel_width=kx, filters=d, stride_y=sy, stride_x=sx, dilation_y=dy,
              dilation_x=dx)
    out = Shape(Conv2DLayer.output_size(shape.height, sy), Conv2DLayer.output_size(shape.width, sx), d)
    return out, Conv2DLayer(shape, out, m["act"], (ky, kx), d, (sy, sx), (dy, dx), name=_name(m, ctx))


_MAXPOOL = re.compile(rf"Mp{_N1}(?P<y>\d+),(?P<x>\d+)(?:,(?P<sy>\d+),(?P<sx>\d+))?")


def build_maxpool(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """``Mp<y>,<x>[,<sy>,<sx>]``."""
    m = _MAXPOOL.fullmatch(text)
    if not m:
        return None
    ky, kx = int(m["y"]), int(m["x"])
    sy, sx = (int(m["sy"]), int(m["sx"])) if m["sy"] else (ky, kx)
    _positive(ctx, window_height=ky, window_width=kx, stride_y=sy, stride_x=sx)
    for axis, size, k in (("height", shape.height, ky), ("width", shape.width, kx)):
        if size and size < k:
            raise ctx.error(f"the pooling window ({k}) is larger than the {axis} it gets ({size}); "
                            f"shrink the window or raise the input {axis}")
    out = Shape(MaxPoolLayer.output_size(shape.height, ky, sy), MaxPoolLayer.output_size(shape.width, kx, sx),
                shape.depth)
    return out, MaxPoolLayer(shape, out, (ky, kx), (sy, sx), name=_name(m, ctx))


_RNN = re.compile(rf"(?P<cell>[LG]){_N1}(?P<dir>[frb])(?P<axis>[xy])(?P<sum>s)?{_N2}(?P<n>\d+)")


def build_rnn(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """``L(f|r|b)(x|y)[s]<n>`` and ``G(f|r|b)(x|y)[s]<n>``."""
    m = _RNN.fullmatch(text)
    if not m:
        return None
    n = int(m["n"])
    _positive(ctx, units=n)
    summarize = bool(m["sum"])
    depth = 2 * n if m["dir"] == "b" else n
    if m["axis"] == "x":
        out = Shape(shape.height, 1 if summarize else shape.width, depth)
    else:
        out = Shape(1 if summarize else shape.height, shape.width, depth)
    return out, RNNLayer(shape, out, m["cell"], m["dir"], m["axis"], summarize, n, name=_name(m, ctx))


_TESS_LSTM_SOFTMAX = re.compile(r"L[SE]\d+")


def build_unsupported_lstm_softmax(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """Tesseract's ``LS<n>`` / ``LE<n>`` (LSTM with a built-in softmax): recognised, not supported."""
    if not _TESS_LSTM_SOFTMAX.fullmatch(text):
        return None
    raise ctx.error(f"Tesseract's {text[:2]}<n> (LSTM with a built-in softmax) is not supported; "
                    f"write an LSTM and an output layer instead, e.g. 'Lfx{text[2:]} O1c#'")


_DROPOUT = re.compile(rf"Do{_N1}(?P<p>\d+(?:\.\d*)?|\.\d+)?(?:,(?P<dim>\d+))?")


def build_dropout(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """``Do[<p>][,<dim>]``."""
    m = _DROPOUT.fullmatch(text)
    if not m:
        return None
    p = float(m["p"]) if m["p"] else 0.5
    dim = int(m["dim"]) if m["dim"] else 1
    if not 0.0 <= p < 1.0:
        raise ctx.error(f"the dropout probability must be in [0, 1), got {p:g}")
    if dim not in (1, 2):
        raise ctx.error(f"dropout dim must be 1 (single values) or 2 (whole channels), got {dim}")
    return shape, DropoutLayer(shape, p, dim, name=_name(m, ctx))


_GROUPNORM = re.compile(rf"Gn{_N1}(?P<g>\d+)")


def build_groupnorm(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """``Gn<groups>``."""
    m = _GROUPNORM.fullmatch(text)
    if not m:
        return None
    g = int(m["g"])
    _positive(ctx, groups=g)
    if shape.depth % g:
        raise ctx.error(f"{g} groups do not divide the depth {shape.depth}; pick a divisor of {shape.depth}")
    return shape, GroupNormLayer(shape, g, name=_name(m, ctx))


_RESHAPE = re.compile(rf"S{_N1}(?P<src>\d)\((?P<a>\d+)x(?P<b>\d+)\)(?P<e>\d),(?P<f>\d)")


def build_reshape(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """kraken's ``S<d>(<a>x<b>)<e>,<f>`` (dimensions 1 height, 2 width, 3 depth)."""
    m = _RESHAPE.fullmatch(text)
    if not m:
        return None
    src, a, b, e, f = (int(m[k]) for k in ("src", "a", "b", "e", "f"))
    for key, v in (("d", src), ("e", e), ("f", f)):
        if v not in (1, 2, 3):
            raise ctx.error(f"reshape dimension {key}={v} must be 1 (height), 2 (width) or 3 (depth); "
                            "the batch dimension cannot be reshaped")
    if src not in (e, f) or e == f:
        raise ctx.error(f"one of e={e}, f={f} must be the source dimension d={src} (where that part stays) "
                        "and the other a different dimension (where the other part goes)")
    if a == 0 and b == 0:
        raise ctx.error("at most one of the split sizes a, b may be 0 (inferred)")
    sizes = {1: shape.height, 2: shape.width, 3: shape.depth}
    size = sizes[src]
    if size:
        if a and b and a * b != size:
            raise ctx.error(f"{a}x{b} = {a * b} does not split dimension {src} of size {size}")
        if size % (a or b):
            raise ctx.error(f"{a or b} does not divide dimension {src} of size {size}")
        a, b = (a or size // b), (b or size // a)
    stay, move, dst = (a, b, f) if e == src else (b, a, e)
    out = dict(sizes)
    out[src] = stay
    out[dst] = sizes[dst] * move if sizes[dst] and move else 0
    if not out[3]:
        raise ctx.error("the depth must stay a fixed size, but this moves a variable-size part into it; "
                        "fix the input size of that dimension in the input block")
    layer = ReshapeLayer(shape, Shape(out[1], out[2], out[3]), src, int(m["a"]), int(m["b"]), e, f,
                         name=_name(m, ctx))
    return layer.out_shape, layer


_SPACE_TO_DEPTH = re.compile(rf"S{_N1}(?P<y>\d+),(?P<x>\d+)")


def build_space_to_depth(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """Tesseract's ``S<y>,<x>``."""
    m = _SPACE_TO_DEPTH.fullmatch(text)
    if not m:
        return None
    y, x = int(m["y"]), int(m["x"])
    _positive(ctx, y=y, x=x)
    for axis, size, k in (("height", shape.height, y), ("width", shape.width, x)):
        if size and size < k:
            raise ctx.error(f"the block ({k}) is larger than the {axis} it gets ({size})")
    out = Shape(shape.height // y, shape.width // x, shape.depth * y * x)
    return out, SpaceToDepthLayer(shape, out, y, x, name=_name(m, ctx))


_FULL = re.compile(rf"F{_N1}(?P<act>lr|[strlm]){_N2}(?P<d>\d+)")


def build_fully_connected(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """Tesseract's ``F(s|t|r|l|m)<d>``."""
    m = _FULL.fullmatch(text)
    if not m:
        return None
    d = int(m["d"])
    _positive(ctx, outputs=d)
    if not shape.height or not shape.width:
        raise ctx.error(f"F connects to every position, so its input needs a fixed height and width, got {shape}; "
                        "for a per-position map use a 1x1 convolution, e.g. Cr1,1," + str(d))
    layer = FullyConnectedLayer(shape, m["act"], d, name=_name(m, ctx))
    return layer.out_shape, layer


_OUTPUT = re.compile(rf"(?P<letter>[O0]){_N1}(?P<dim>[012])(?P<kind>[cslm])(?P<n>\d+|#)?")


def build_output(text: str, shape: Shape, ctx: BuildContext) -> Result:
    """``O(1|2)(c|s|l|m)[<n>|#]``; ``#`` or no number takes the class count from the codec."""
    m = _OUTPUT.fullmatch(text)
    if not m:
        return None
    if m["letter"] == "0":
        logger.warning("VGSL output %r starts with the digit 0; reading it as the letter O", text)
    dim, kind = int(m["dim"]), m["kind"]
    if dim == 0:
        raise ctx.error("categorical output O0 is not supported; use O1 (sequence) or O2 (map)")
    if dim == 2 and kind == "c":
        raise ctx.error("CTC needs a sequence: use O1c, or O2s/O2l for a map output")
    if m["n"] in (None, "#"):
        if ctx.num_classes is None:
            raise ctx.error(f"{text} takes its class count from the codec, but none was given; pass num_classes "
                            "(the training config derives it from the character dictionary) or write the number")
        n = ctx.num_classes
    else:
        n = int(m["n"])
        if ctx.num_classes is not None and n != ctx.num_classes:
            raise ctx.error(f"the output layer has {n} classes but the codec has {ctx.num_classes} (blank included); "
                            f"write O{dim}{kind}{ctx.num_classes}, or O{dim}{kind}# to follow the codec")
    if n < 2 and kind in "csm":
        logger.warning("VGSL output %s has %d class(es); a softmax/CTC output needs at least 2", text, n)
    _positive(ctx, classes=n)
    if dim == 1:
        if shape.height != 1:
            got = "a variable height" if not shape.height else f"height {shape.height}"
            fix = ("add a summarising LSTM (e.g. Lfys64) to collapse a variable height" if not shape.height else
                   f"fold the height into depth with S1(1x{shape.height})1,3, pool it with Mp{shape.height},1, "
                   "or summarise it with an LSTM like Lfys64")
            raise ctx.error(f"sequence output O1 needs height 1 but the layer below gives {got}; {fix}")
        out = Shape(1, shape.width, n)
    else:
        out = Shape(shape.height, shape.width, n)
    return out, OutputLayer(shape, out, dim, kind, n, name=_name(m, ctx))


# Tried in order; the first builder that recognises the token builds it.
BUILDERS: list[Callable[[str, Shape, BuildContext], Result]] = [
    build_conv,
    build_maxpool,
    build_rnn,
    build_unsupported_lstm_softmax,
    build_dropout,
    build_groupnorm,
    build_reshape,
    build_space_to_depth,
    build_fully_connected,
    build_output,
]
