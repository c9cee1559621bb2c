"""VGSL spec parsing: every documented example builds and runs, errors point at the token, specs print back."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import paddle
import pytest

from ppocr.modeling.vgsl import (GRAMMAR, InputLayer, OutputLayer, ParallelLayer, SeriesLayer, Shape, VGSLNet,
                                 VGSLSpecError, parse_spec, tokenize)
from ppocr.utils.errors import ConfigError

paddle.seed(0)

# Every spec printed in the reference documents, with the output width each gives for an input of
# width 24 (and, for variable height, height 30): (spec, num_classes, image [C, H], output width).
# Tesseract VGSLSpecs page (tessdoc tess4/VGSLSpecs.md):
TESSERACT_VGSL_PAGE = [
    ("[1,0,0,3 Ct5,5,16 Mp3,3 Lfys64 Lfx128 Lrx128 Lfx256 O1c105]", 105, [3, 30], 8),
    ("[1,1,0,48 Lbx256 O1c105]", 105, [1, 48], 24),
    ("[1,0,0,1 Ct5,5,16 Mp3,3 Lfys64 Lfx128 Lrx128 Lfx256 O1c105]", 105, [1, 30], 8),
]
# Tesseract training doc (shared/reference 004): --net_spec and the version strings of tessdata_best,
# printed without spaces.
TESSERACT_TRAINING_DOC = [
    ("[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c111]", 111, [1, 36], 8),
    ("[1,36,0,1Ct3,3,16Mp3,3Lfys48Lfx96Lrx96Lfx192O1c1]", 1, [1, 36], 8),
    ("[1,48,0,1Ct3,3,16Mp3,3Lfys64Lfx96Lrx96Lfx512O1c1]", 1, [1, 48], 8),
]
# kraken VGSL docs (docs/vgsl.rst); '01c59' (digit zero) is printed so in the docs and read as O1c59.
KRAKEN_VGSL_DOC = [
    ("[1,48,0,1 Cr3,3,32 Mp2,2 Cr3,3,64 Mp2,2 S1(1x12)1,3 Lbx100 Do O1c103]", 103, [1, 48], 6),
    ("[1,48,0,1 S1(1x48)1,3 Lbx100 O1c103]", 103, [1, 48], 24),
    ("[1,1,0,48 Lbx100 O1c103]", 103, [1, 48], 24),
    ("[1,1,0,48 Lbx100 Do 01c59]", 59, [1, 48], 24),
    ("[1,48,0,1 Cr3,3,32 Do0.1,2 Mp2,2 Cr3,3,64 Do0.1,2 Mp2,2 S1(1x12)1,3 Lbx100 Do 01c59]", 59, [1, 48], 6),
    ("[1,0,0,3 Cr3,3,16 Mp3,3 Lfys64 Lbx128 Lbx256 Do 01c59]", 59, [3, 30], 8),
]
DOC_SPECS = TESSERACT_VGSL_PAGE + TESSERACT_TRAINING_DOC + KRAKEN_VGSL_DOC

# Grammar the documents describe beyond those examples (names, strides, dilation, GRU, groups, parallel).
EXTRA_SPECS = [
    "[1,32,0,3 Cr{conv1}3,3,8,2,2 Mp2,2,2,1 Gn4 Cs3,3,8,1,1,2,2 Lbys6 Gfx5 Grx5 Gbx4 O1c9]",
    "[1,16,0,1 S2,2 (Lfx4 Lrx4 [Cr1,1,3 Clr3,3,5]) S1(1x8)1,3 Do0.2 O1s9]",
    "[1,8,0,1 Cm3,3,4 Ct2,2,4 Cl3,3,4 Mp8,1 Lfx4 O1l9]",
    "[1,8,0,1 S1(0x2)1,3 S3(2x0)3,1 Lbys3 O1m9]",
    "[1,6,10,1 Ft12 Fs5 O1c9]",
    "[1,8,0,1 Cr3,3,4 O2s9]",
]


@pytest.mark.parametrize("spec,classes,image,width", DOC_SPECS, ids=[s for s, *_ in DOC_SPECS])
def test_documented_specs_build_and_run(spec, classes, image, width):
    net = VGSLNet(spec)
    assert isinstance(net.layers[0], InputLayer) and isinstance(net.layers[-1], OutputLayer)
    assert net.out_channels == classes
    for mode in ("train", "eval"):
        getattr(net, mode)()
        out = net(paddle.rand([2, image[0], image[1], 24]))
        assert list(out.shape) == [2, width, classes]
        assert bool(paddle.isfinite(out).all())
    if classes > 1:
        assert abs(float(out.sum()) - 2 * width) < 1e-3  # eval: softmax probabilities


def test_tesseract_append_example():
    """Training doc, 'Training Just a Few Layers': chi_sim's net cut at index 5, '[Lfx256 O1c111]' appended."""
    net = VGSLNet("[1,48,0,1Ct3,3,16Mp3,3Lfys64Lfx96Lrx96Lfx512O1c1]")
    net.append(5, "[Lfx256 O1c111]")
    assert net.spec == "[1,48,0,1 Ct3,3,16 Mp3,3 Lfys64 Lfx96 Lrx96 Lfx256 O1c111]"
    assert list(net(paddle.rand([1, 1, 48, 24])).shape) == [1, 8, 111]


def test_tesseract_append_index_table():
    """The training doc's table: index 0 is the input, then one index per outer layer."""
    net = VGSLNet("[1,48,0,1Ct3,3,16Mp3,3Lfys64Lfx96Lrx96Lfx512O1c1]")
    assert [str(layer) for layer in net.layers] == ["1,48,0,1", "Ct3,3,16", "Mp3,3", "Lfys64", "Lfx96", "Lrx96",
                                                    "Lfx512", "O1c1"]


@pytest.mark.parametrize("spec", [s for s, *_ in DOC_SPECS] + EXTRA_SPECS)
def test_print_back_reparses_to_the_same_structure(spec):
    net = VGSLNet(spec, num_classes=None)
    again = VGSLNet(net.spec)
    assert again.spec == net.spec == str(net)

    def structure(n):
        return ([(type(m).__name__, m.in_shape, m.out_shape) for m in n.layers],
                [(k, list(v.shape)) for k, v in n.state_dict().items()])
    assert structure(again) == structure(net)


def test_printed_form_is_canonical():
    net = VGSLNet("[1,2,0,1 Cr3,3,32,1,1 Do Do0.5,2 Do0.1 Mp2,2,2,2 C{a}r3,3,4 Lfx2 O1c#]", num_classes=5)
    assert net.spec == "[1,2,0,1 Cr3,3,32 Do Do0.5,2 Do0.1 Mp2,2 Cr{a}3,3,4 Lfx2 O1c5]"
    assert VGSLNet("[1,1,0,4 Lbx2 01c5]").spec == "[1,1,0,4 Lbx2 O1c5]"


@pytest.mark.parametrize("spec", EXTRA_SPECS)
def test_extra_grammar_builds_and_runs(spec):
    net = VGSLNet(spec)
    inp = net.input
    x = paddle.rand([2, inp.image_channels, inp.image_height, inp.image_width or 20])
    for mode in ("train", "eval"):
        getattr(net, mode)()
        out = net(x)
        assert bool(paddle.isfinite(out).all())
    want = net.out_shape
    if net.output_layer.dim == 1:
        assert list(out.shape) == [2, want.width or out.shape[1], 9]
    else:
        assert list(out.shape) == [2, 9, want.height, out.shape[3]]


def test_kraken_doc_shape_examples():
    """Shapes stated in kraken's docs: Lfx25 / Lfys20 / S1(1x16)1,3 on a [1, 16, 906, 32] input
    (batch, height, width, depth), and S1(1x48)1,3 on [1, 48, W, 8] -> depth 384."""
    shape = Shape(16, 906, 32)
    assert parse_spec("[Lfx25]", in_shape=shape).out_shape == Shape(16, 906, 25)
    assert parse_spec("[Lfys20]", in_shape=shape).out_shape == Shape(1, 906, 20)
    assert parse_spec("[S1(1x16)1,3]", in_shape=shape).out_shape == Shape(1, 906, 512)
    assert parse_spec("[S1(1x48)1,3]", in_shape=Shape(48, 0, 8)).out_shape == Shape(1, 0, 384)
    # Tesseract: Lfys64 collapses a variable height; Mp3,3 keeps it variable.
    assert parse_spec("[1,0,0,1 Ct5,5,16 Mp3,3 Lfys64]").out_shape == Shape(1, 0, 64)


def test_nested_blocks_count_as_one_layer():
    net = VGSLNet("[1,16,0,1 [Cr3,3,4 Mp2,2] (Lfx3 [Cr1,1,2 Lrx2]) S1(1x8)1,3 O1c#]", num_classes=4)
    assert len(net.layers) == 5
    assert isinstance(net.layers[1], SeriesLayer) and isinstance(net.layers[2], ParallelLayer)
    assert net.layers[2].out_shape == Shape(8, 0, 3 + 2)
    assert list(net(paddle.rand([1, 1, 16, 12])).shape) == [1, 6, 4]


def test_tokenizer_splits_specs_without_spaces():
    texts = [t.text for t in tokenize("[1,36,0,1Ct3,3,16Mp3,3Lfys48S1(1x12)1,3Do0.1,2O1c#]")]
    assert texts == ["[", "1,36,0,1", "Ct3,3,16", "Mp3,3", "Lfys48", "S1(1x12)1,3", "Do0.1,2", "O1c#", "]"]


def test_class_count_from_the_codec():
    assert VGSLNet("[1,1,0,4 Lfx3 O1c#]", num_classes=12).spec.endswith("O1c12]")
    assert VGSLNet("[1,1,0,4 Lfx3 O1c]", num_classes=12).spec.endswith("O1c12]")
    assert VGSLNet("[1,1,0,4 Lfx3 O1c12]", num_classes=12).out_channels == 12


# (spec, num_classes, failing token, its 0-based position, words in the reason)
BAD_SPECS = [
    ("[1,36,0,1 Cx3,3,16 O1c#]", 5, "Cx3,3,16", 10, r"no layer type matches.*C\(s\|t"),
    ("[1,36,0,1 Ct3,3,16 Mp3,3 O1c#]", 5, "O1c#", 25, r"needs height 1.*height 12.*S1\(1x12\)1,3"),
    ("[1,0,0,1 Ct3,3,16 O1c#]", 5, "O1c#", 18, "variable height.*Lfys"),
    ("[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 O1c111]", 37, "O1c111", 32, "111 classes but the codec has 37.*O1c37"),
    ("[1,36,0,1 Lfys48 O1c#]", None, "O1c#", 17, "class count from the codec"),
    ("[1,36,0,1 Ct3,3,16", 5, "[", 0, "never closed"),
    ("[1,36,0,1 (Lfx4 Lrx4 Ct3,3,16", 5, "(", 10, r"'\(' is never closed"),
    ("1,36,0,1 Ct3,3,16]", 5, "1,36,0,1", 0, "starts with '\\['"),
    ("[1,36,0,1 Ct3,3,16]]", 5, "]", 19, "after the spec's closing"),
    ("[1,36,0,1 Ct3,3,16)", 5, ")", 18, "closes nothing"),
    ("[Ct3,3,16 O1c5]", 5, "Ct3,3,16", 1, "input block first"),
    ("[1,36,0 Ct3,3,16]", 5, "1,36,0", 1, "four numbers"),
    ("[1,36,0,2 Ct3,3,16]", 5, "1,36,0,2", 1, "depth 2 needs height 1"),
    ("[1,36,0,1 Ct3,3,16 1,36,0,1]", 5, "1,36,0,1", 19, "input block comes first"),
    ("[1,1,0,4 O1c5 Lfx3]", 5, "Lfx3", 14, "nothing may follow the output"),
    ("[1,36,0,1 [Lfys8 O1c5]]", 5, "O1c5", 17, "last layer of the outer series"),
    ("[1,36,0,1 Mp40,2]", 5, "Mp40,2", 10, "window .40. is larger than the height"),
    ("[1,36,0,1 Ct3,3,6 Gn4]", 5, "Gn4", 18, "4 groups do not divide the depth 6"),
    ("[1,36,0,1 S1(5x7)1,3]", 5, "S1(5x7)1,3", 10, "5x7 = 35 does not split"),
    ("[1,36,0,1 S1(1x36)2,3]", 5, "S1(1x36)2,3", 10, "must be the source dimension"),
    ("[1,36,0,1 S0(1x36)0,3]", 5, "S0(1x36)0,3", 10, "batch dimension"),
    ("[1,36,0,1 S2(2x2)1,1]", 5, "S2(2x2)1,1", 10, "must be the source"),
    ("[1,36,0,1 S2(2x0)2,3]", 5, "S2(2x0)2,3", 10, "depth must stay a fixed size"),
    ("[1,36,0,1 Do1.5]", 5, "Do1.5", 10, r"probability must be in \[0, 1\)"),
    ("[1,36,0,1 Do0.1,3]", 5, "Do0.1,3", 10, "dim must be 1"),
    ("[1,0,0,1 Ft10]", 5, "Ft10", 9, "fixed height and width"),
    ("[1,36,0,1 (Mp2,2 Ct3,3,4)]", 5, "(", 10, "same height and width"),
    ("[1,36,0,1 LS32]", 5, "LS32", 10, "not supported.*Lfx32 O1c#"),
    ("[1,36,0,1 Lfx]", 5, "Lfx", 10, r"expected L\(f\|r\|b\)\(x\|y\)\[s\]<n>"),
    ("[1,36,0,1 Lfx0]", 5, "Lfx0", 10, "units must be at least 1"),
    ("[1,36,0,1 Ct3,0,4]", 5, "Ct3,0,4", 10, "kernel_width must be at least 1"),
    ("[1,36,0,1 C{a}t{b}3,3,4]", 5, "C{a}t{b}3,3,4", 10, "has two"),
    ("[1,1,0,4 O0c5]", 5, "O0c5", 9, "O0 is not supported"),
    ("[1,1,0,4 O2c5]", 5, "O2c5", 9, "CTC needs a sequence"),
    ("[1,36,0,1 Ct3,3,16 lfx96]", 5, "lfx96", 19, "no layer type matches 'lfx96'"),
    ("[1,36,0,1 []]", 5, "[", 10, "empty"),
    ("[]", 5, "]", 1, "input block first"),
]


@pytest.mark.parametrize("spec,classes,token,pos,reason", BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_bad_specs_point_at_the_token(spec, classes, token, pos, reason):
    with pytest.raises(VGSLSpecError, match=reason) as info:
        VGSLNet(spec, num_classes=classes)
    err = info.value
    assert isinstance(err, ConfigError)
    assert (err.token, err.position) == (token, pos)
    text = str(err)
    lines = text.splitlines()
    assert f"column {pos + 1}" in lines[0]
    assert lines[1] == "  " + spec  # the whole spec ...
    assert lines[2] == "  " + " " * pos + "^" * max(1, len(token))  # ... and a caret under the token
    assert GRAMMAR in text


def test_caret_stays_aligned_with_newlines_in_the_spec():
    spec = "[1,36,0,1\n  Ct3,3,16\tMp3,3 Qx]"
    with pytest.raises(VGSLSpecError) as info:
        VGSLNet(spec)
    lines = str(info.value).splitlines()
    assert lines[2].index("^") - 2 == spec.index("Qx") and lines[1][2 + spec.index("Qx"):].startswith("Qx")


@pytest.mark.parametrize("spec", ["", "   ", None, 42])
def test_empty_or_non_string_spec(spec):
    with pytest.raises(ConfigError, match="spec"):
        VGSLNet(spec)


def test_digit_zero_output_warns(caplog):
    VGSLNet("[1,1,0,4 Lbx2 01c5]")
    assert any("digit 0" in r.getMessage() for r in caplog.records)
