"""Parse a VGSL spec string (Tesseract's ``net_spec`` and kraken's dialect) into layers.

A spec is ``[`` input block, layers ``]``; whitespace between tokens is optional, so Tesseract's
printed form ``[1,36,0,1Ct3,3,16Mp3,3Lfys48Lfx96Lrx96Lfx192O1c1]`` parses too. The lexer cuts the
text into tokens (brackets, the input block, one layer each) and every layer token goes through
the builder chain in :mod:`ppocr.modeling.vgsl.builders`. Errors are :class:`VGSLSpecError`
(a ``ConfigError``) showing the spec, a caret under the failing token and :data:`GRAMMAR`.

Example:
    >>> parsed = parse_spec("[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 O1c#]", num_classes=40)
    >>> [layer.spec for layer in parsed.layers]
    ['1,36,0,1', 'Ct3,3,16', 'Mp3,3', 'Lfys48', 'Lfx96', 'O1c40']
"""
from __future__ import annotations

import re
from typing import NamedTuple, Optional

from ppocr.modeling.vgsl.builders import BUILDERS, BuildContext
from ppocr.modeling.vgsl.layers import InputLayer, OutputLayer, ParallelLayer, SeriesLayer, Shape, VGSLLayer
from ppocr.utils.errors import ConfigError

GRAMMAR = """\
VGSL grammar (y = height, x = width, d = depth; <n> a number; 0 in the input block = variable):
  [b,h,w,d LAYER ...]          the spec: input block (batch ignored, height, width, depth 1 grey / 3 colour;
                               height 1 with another depth d = grey images of height d as vertical strips),
                               then layers in series; whitespace between tokens is optional
  [LAYER ...]                  layers in series (a nested block counts as one layer)
  (LAYER ...)                  layers in parallel on the same input, outputs concatenated in depth
  C(s|t|r|l|m|lr)<y>,<x>,<d>[,<sy>,<sx>[,<dy>,<dx>]]
                               convolution, y*x window, d filters, 'same' padding, optional stride, dilation
  Mp<y>,<x>[,<sy>,<sx>]        max-pool y*x (stride defaults to the window)
  L(f|r|b)(x|y)[s]<n>          LSTM with n units: f forward, r reversed, b both (depth 2n);
                               x along the width, y along the height; s keeps only the last step
  G(f|r|b)(x|y)[s]<n>          GRU, as L
  F(s|t|r|l|m)<d>              fully connected from a fixed-size input to d values (height, width 1)
  Do[<p>][,<dim>]              dropout with probability p (0.5); dim 1 single values, 2 whole channels
  Gn<g>                        group normalisation with g groups (g divides the depth)
  S<y>,<x>                     Tesseract reshape: each y*x block into depth (height/y, width/x, depth*y*x)
  S<d>(<a>x<b>)<e>,<f>         kraken reshape: split dimension d (1 height, 2 width, 3 depth) into a*b,
                               part a goes to dimension e, part b to f (e or f is d); a or b 0 = inferred
  O(1|2)(c|s|m|l)[<n>|#]       output, last: 1 sequence [B, width, n] (needs height 1), 2 map [B, n, H, W];
                               c CTC, s/m softmax, l sigmoid; # or no number = class count of the codec
  activations: s sigmoid, t tanh, r relu, l linear, m softmax, lr leaky relu
  a kraken {name} may follow the layer letters, e.g. Cr{conv1}3,3,32"""

# The grammar lines worth showing when a token starts with these letters.
_HINTS = {"C": "C(s|t|r|l|m|lr)", "M": "Mp<y>", "L": "L(f|r|b)", "G": ("G(f|r|b)", "Gn<g>"), "F": "F(s|t",
          "D": "Do[<p>]", "S": ("S<y>,<x>", "S<d>("), "O": "O(1|2)", "0": "O(1|2)"}


class VGSLSpecError(ConfigError):
    """A VGSL spec that cannot be built.

    Attributes:
        spec: the whole spec string.
        position: 0-based index of the failing token in ``spec``.
        token: the failing token's text.
        reason: the message without spec, caret and grammar.
    """

    def __init__(self, reason: str, spec: str, position: int, token: str):
        self.spec, self.position, self.token, self.reason = spec, position, token, reason
        shown = re.sub(r"\s", " ", spec)  # tabs/newlines would misplace the caret
        super().__init__(f"VGSL spec error at column {position + 1} ({token!r}): {reason}\n"
                         f"  {shown}\n  {' ' * position}{'^' * max(1, len(token))}\n{GRAMMAR}")


class Token(NamedTuple):
    kind: str  # space, open, close, input, layer, other
    text: str
    pos: int


_LEX = re.compile(r"""
    (?P<space>\s+)
  | (?P<open>[\[(])
  | (?P<close>[\])])
  | (?P<input>\d+,\d+,\d+,\d+)(?![\d.,])
  | (?P<layer>[A-Z][A-Z]?(?:\{[^{}\s]*\}|\(\d+x\d+\)|[^\s\[\](){}A-Z])*)
  | (?P<other>[^\s\[\]()]+)
""", re.X)


def tokenize(spec: str) -> list[Token]:
    """Cut ``spec`` into tokens (whitespace dropped)."""
    tokens, pos = [], 0
    while pos < len(spec):
        m = _LEX.match(spec, pos)
        kind = m.lastgroup
        if kind != "space":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    return tokens


class ParsedSpec(NamedTuple):
    """What :func:`parse_spec` returns.

    Attributes:
        layers: the outer series; ``layers[0]`` is the :class:`InputLayer` when the spec has an
            input block.
        out_shape: the output :class:`Shape` of the last layer.
    """

    layers: list[VGSLLayer]
    out_shape: Shape


class _Parser:
    def __init__(self, spec: str, num_classes: Optional[int]):
        self.spec = spec
        self.num_classes = num_classes
        self.tokens = tokenize(spec)
        self.i = 0

    def error(self, tok: Token | None, reason: str) -> VGSLSpecError:
        if tok is None:
            return VGSLSpecError(reason, self.spec, len(self.spec), "")
        return VGSLSpecError(reason, self.spec, tok.pos, tok.text)

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token | None:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self, in_shape: Optional[Shape]) -> ParsedSpec:
        start = self.take()
        if start is None:
            raise self.error(None, "the spec is empty; write e.g. '[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 O1c#]'")
        if start.text != "[":
            raise self.error(start, "a spec starts with '[' (and ends with ']')")
        layers: list[VGSLLayer] = []
        first = self.peek()
        if first is not None and first.kind == "input":
            self.take()
            b, h, w, d = (int(v) for v in first.text.split(","))
            if d < 1:
                raise self.error(first, f"the depth must be at least 1, got {d}")
            if h != 1 and d not in (1, 3):
                raise self.error(first, f"depth {d} needs height 1 (grey vertical strips); otherwise the depth is "
                                        "1 (grey) or 3 (colour)")
            layers.append(InputLayer(b, h, w, d))
            in_shape = layers[0].out_shape
        elif first is not None and first.kind == "other" and re.fullmatch(r"[\d,]+", first.text):
            raise self.error(first, "the input block is batch,height,width,depth: four numbers")
        elif in_shape is None:
            raise self.error(first or start, "the spec needs an input block first, e.g. [1,36,0,1 ...] "
                                              "(batch, height, width, depth)")
        items, shape = self.series(in_shape, start, top=True)
        layers += items
        rest = self.peek()
        if rest is not None:
            raise self.error(rest, "text after the spec's closing ']'")
        return ParsedSpec(layers, shape)

    def series(self, shape: Shape, opener: Token, top: bool) -> tuple[list[VGSLLayer], Shape]:
        items: list[VGSLLayer] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise self.error(opener, "this '[' is never closed")
            if tok.kind == "close":
                self.take()
                if tok.text != "]":
                    raise self.error(tok, "')' closes nothing here; a '[' block ends with ']'")
                return items, shape
            if items and isinstance(items[-1], OutputLayer):
                raise self.error(tok, f"nothing may follow the output layer {items[-1].spec}")
            layer, shape = self.item(shape, top)
            items.append(layer)

    def item(self, shape: Shape, top: bool) -> tuple[VGSLLayer, Shape]:
        tok = self.take()
        if tok.text == "[":
            items, out = self.series(shape, tok, top=False)
            if not items:
                raise self.error(tok, "an empty [] block")
            return SeriesLayer(shape, items), out
        if tok.text == "(":
            return self.parallel(shape, tok)
        if tok.kind == "input":
            raise self.error(tok, "the input block comes first, right after the opening '['")
        ctx = BuildContext(self.num_classes, lambda reason: self.error(tok, reason))
        for builder in BUILDERS:
            built = builder(tok.text, shape, ctx)
            if built is not None:
                out, layer = built
                if isinstance(layer, OutputLayer) and not top:
                    raise self.error(tok, "the output layer must be the last layer of the outer series, "
                                          "not inside a [] or () block")
                return layer, out
        raise self.error(tok, f"no layer type matches {tok.text!r}{_hint(tok.text)}")

    def parallel(self, shape: Shape, opener: Token) -> tuple[VGSLLayer, Shape]:
        branches: list[VGSLLayer] = []
        outs: list[Shape] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise self.error(opener, "this '(' is never closed")
            if tok.kind == "close":
                self.take()
                if tok.text != ")":
                    raise self.error(tok, "']' closes nothing here; a '(' block ends with ')'")
                break
            layer, out = self.item(shape, top=False)
            branches.append(layer)
            outs.append(out)
        if not branches:
            raise self.error(opener, "an empty () block")
        sizes = {(o.height, o.width) for o in outs}
        if len(sizes) > 1:
            shown = ", ".join(f"{b.spec}: {o}" for b, o in zip(branches, outs))
            raise self.error(opener, f"parallel branches must give the same height and width to be concatenated "
                                     f"in depth, got {shown}")
        out = Shape(outs[0].height, outs[0].width, sum(o.depth for o in outs))
        return ParallelLayer(shape, out, branches), out


def _hint(text: str) -> str:
    keys = _HINTS.get(text[:1])
    if keys is None:
        return ""
    keys = (keys,) if isinstance(keys, str) else keys
    forms = [line.split()[0] for line in GRAMMAR.splitlines() if line.strip().startswith(keys)]
    return "; expected " + " or ".join(forms) if forms else ""


def parse_spec(spec: str, in_shape: Optional[Shape] = None, num_classes: Optional[int] = None) -> ParsedSpec:
    """Parse and build a VGSL spec.

    Args:
        spec: the spec, e.g. ``'[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c#]'``, or a
            fragment without input block (``'[Lfx256 O1c#]'``) when ``in_shape`` is given.
        in_shape: the shape feeding the first layer of a fragment; ignored when the spec has an
            input block.
        num_classes: class count from the codec (blank included), for ``O1c#``/``O1c``; a number
            in the spec must agree with it.

    Returns:
        A :class:`ParsedSpec`: the layers of the outer series (input layer first when present) and
        the final shape.

    Raises:
        VGSLSpecError: unknown token, bad values, unbalanced brackets, output not last, class count
            that disagrees with ``num_classes``, ... (message has the spec, a caret and the grammar).
    """
    if not isinstance(spec, str):
        raise ConfigError(f"a VGSL spec is a string like '[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 O1c#]', "
                          f"got {type(spec).__name__} {spec!r}")
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or num_classes < 1):
        raise ConfigError(f"num_classes must be a positive int or None, got {num_classes!r}")
    return _Parser(spec, num_classes).parse(in_shape)
