"""VGSLNet: layouts (x = width, y = height), summarising, reshapes, cut-and-append, output resizing, export."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

from ppocr.modeling.vgsl import OutputLayer, Shape, VGSLNet, VGSLSpecError, parse_spec
from ppocr.utils.errors import ConfigError

paddle.seed(0)


def _layer(spec, shape):
    (layer,) = parse_spec(spec, in_shape=shape).layers
    layer.eval()
    return layer


def _twin(spec_a, spec_b, shape):
    """Two layers with the same weights (specs that differ only in the summarising flag)."""
    a, b = _layer(spec_a, shape), _layer(spec_b, shape)
    b.set_state_dict(a.state_dict())
    return a, b


@pytest.mark.parametrize("cell", ["L", "G"])
def test_x_recurrence_runs_along_the_width_rows_independent(cell):
    fwd = _layer(f"[{cell}fx5]", Shape(3, 0, 4))
    x = paddle.rand([2, 4, 3, 7])
    y = fwd(x)
    assert list(y.shape) == [2, 5, 3, 7]
    x2 = x.clone()
    x2[:, :, 1, 4] = 5.0  # change row 1 at column 4
    y2 = fwd(x2)
    diff = (y2 - y).abs().sum(axis=[0, 1]).numpy()  # [H, W]
    assert diff[0].max() == 0 and diff[2].max() == 0  # other rows untouched
    assert diff[1, :4].max() == 0 and diff[1, 4:].min() > 0  # forward: only from column 4 on
    rev = _layer(f"[{cell}rx5]", Shape(3, 0, 4))
    d = (rev(x2) - rev(x)).abs().sum(axis=[0, 1]).numpy()
    assert d[1, 5:].max() == 0 and d[1, :5].min() > 0  # reversed: only up to column 4


def test_y_recurrence_runs_along_the_height_columns_independent():
    layer = _layer("[Lfy5]", Shape(6, 0, 4))
    x = paddle.rand([1, 4, 6, 5])
    x2 = x.clone()
    x2[:, :, 2, 3] = 5.0  # column 3 at row 2
    diff = (layer(x2) - layer(x)).abs().sum(axis=[0, 1]).numpy()  # [H, W]
    assert np.delete(diff, 3, axis=1).max() == 0
    assert diff[:2, 3].max() == 0 and diff[2:, 3].min() > 0


@pytest.mark.parametrize("axis", ["x", "y"])
def test_summarising_keeps_each_directions_final_output(axis):
    shape = Shape(4, 6, 3)
    x = paddle.rand([2, 3, 4, 6])
    time_axis = 3 if axis == "x" else 2
    for direction in "frb":
        full, summ = _twin(f"[L{direction}{axis}4]", f"[L{direction}{axis}s4]", shape)
        y, s = full(x).numpy(), summ(x).numpy()
        assert s.shape[time_axis] == 1
        last = np.take(y, [-1], axis=time_axis)
        first = np.take(y, [0], axis=time_axis)
        if direction == "f":
            want = last
        elif direction == "r":
            want = first
        else:  # forward half from the last step, backward half from the first position
            want = np.concatenate([last[:, :4], first[:, 4:]], axis=1)
        np.testing.assert_allclose(s, want, atol=1e-6)


def test_bidirectional_doubles_the_depth():
    assert parse_spec("[Lbx7]", in_shape=Shape(1, 0, 3)).out_shape.depth == 14


def test_kraken_reshape_moves_height_into_depth():
    layer = _layer("[S1(1x3)1,3]", Shape(3, 0, 2))
    x = paddle.arange(2 * 2 * 3 * 4, dtype="float32").reshape([2, 2, 3, 4])
    y = layer(x).numpy()
    assert y.shape == (2, 6, 1, 4)
    xs = x.numpy()
    for c in range(2):
        for h in range(3):  # new depth index = old depth * 3 + height part
            np.testing.assert_array_equal(y[:, c * 3 + h, 0], xs[:, c, h])


def test_kraken_reshape_width_into_depth_and_back():
    shape = Shape(2, 0, 3)
    to_depth = _layer("[S2(0x2)2,3]", shape)  # width W -> W/2, the factor 2 goes into depth
    assert to_depth.out_shape == Shape(2, 0, 6)
    x = paddle.rand([1, 3, 2, 8])
    y = to_depth(x)
    assert list(y.shape) == [1, 6, 2, 4]
    back = _layer("[S3(3x2)3,2]", to_depth.out_shape)  # depth 6 -> 3, the 2 goes back into width
    np.testing.assert_array_equal(back(y).numpy(), x.numpy())


def test_tesseract_reshape_folds_blocks_into_depth():
    layer = _layer("[S2,3]", Shape(4, 0, 1))
    x = paddle.arange(4 * 7, dtype="float32").reshape([1, 1, 4, 7])
    y = layer(x).numpy()
    assert y.shape == (1, 6, 2, 2)  # width 7 -> 2 (the remainder column is dropped)
    np.testing.assert_array_equal(y[0, :, 0, 0], [0, 1, 2, 7, 8, 9])


def test_strip_input_turns_image_rows_into_depth():
    net = VGSLNet("[1,1,0,5 Lfx2]")
    assert (net.input.image_channels, net.input.image_height) == (1, 5)
    x = paddle.rand([2, 1, 5, 7])
    np.testing.assert_array_equal(net.layers[0](x).numpy()[:, :, 0, :], x.numpy()[:, 0])


def test_input_mismatch_is_explained():
    net = VGSLNet("[1,36,0,1 Ct3,3,4 Mp3,3 Lfys4 O1c#]", num_classes=5)
    with pytest.raises(ConfigError, match=r"height 36, got 32.*\[1, 36, W\]"):
        net(paddle.rand([1, 1, 32, 30]))
    with pytest.raises(ConfigError, match="1 channel.*got 3"):
        net(paddle.rand([1, 3, 36, 30]))
    fixed = VGSLNet("[1,6,10,1 Ft3]")
    with pytest.raises(ConfigError, match="width 10, got 12"):
        fixed(paddle.rand([1, 1, 6, 12]))


def test_variable_width_batches_and_right_padding():
    """Widths differ between batches; a forward-only net's outputs before the padding do not
    depend on it (x runs left to right)."""
    net = VGSLNet("[1,36,0,1 Ct3,3,4 Mp3,3 Lfys6 Lfx6 O1c#]", num_classes=5)
    net.eval()
    line = paddle.rand([1, 1, 36, 30])
    for width in (30, 45, 61):
        out = net(paddle.concat([line, paddle.zeros([1, 1, 36, width - 30])], axis=3))
        assert list(out.shape) == [1, width // 3, 5]
        if width == 30:
            ref = out
        np.testing.assert_allclose(out[:, :9].numpy(), ref[:, :9].numpy(), atol=1e-6)
    batch = paddle.rand([3, 1, 36, 48])
    assert list(net(batch).shape) == [3, 16, 5]


def test_training_mode_gives_logits_eval_mode_probabilities():
    net = VGSLNet("[1,1,0,4 Lbx3 O1c#]", num_classes=6)
    x = paddle.rand([2, 1, 4, 9])
    logits = net(x)
    net.eval()
    probs = net(x)
    np.testing.assert_allclose(probs.numpy(), paddle.nn.functional.softmax(logits, axis=2).numpy(), atol=1e-6)


def test_layers_are_indexable_and_print_as_tokens():
    net = VGSLNet("[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c#]", num_classes=11)
    assert len(net.layers) == 8
    assert [str(net.layers[i]) for i in (0, 1, 3, -1)] == ["1,36,0,1", "Ct3,3,16", "Lfys48", "O1c11"]
    assert net.layers[3].out_shape == Shape(1, 0, 48)
    assert len(net.describe().splitlines()) == 8
    assert "Ct3,3,16" in repr(net)


def test_cut_and_append_keeps_the_lower_weights():
    net = VGSLNet("[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 Lfx8 Lrx8 Lfx16 O1c#]", num_classes=11)
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    kept = [k for k in before if int(k.split(".")[1]) <= 5]
    assert any(k.startswith("layers.5.") for k in kept)
    x = paddle.rand([2, 1, 36, 24])
    net.eval()
    below = net.layers[5](net.layers[4](net.layers[3](net.layers[2](net.layers[1](net.layers[0](x))))))

    assert net.append(5, "[Lfx12 O1c#]", num_classes=7) is net  # Tesseract's --append_index 5
    assert net.spec == "[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 Lfx8 Lrx8 Lfx12 O1c7]"
    after = net.state_dict()
    for k in kept:
        np.testing.assert_array_equal(after[k].numpy(), before[k])
    assert list(after["layers.6.rnn.weight_ih_l0"].shape)[0] == 4 * 12
    net.eval()
    again = net.layers[5](net.layers[4](net.layers[3](net.layers[2](net.layers[1](net.layers[0](x))))))
    np.testing.assert_array_equal(again.numpy(), below.numpy())
    assert list(net(x).shape) == [2, 8, 7]
    # the spec of the result rebuilds the same structure
    assert VGSLNet(net.spec).spec == net.spec


def test_append_with_negative_index_and_at_the_input():
    net = VGSLNet("[1,1,0,4 Lfx3 O1c5]")
    assert net.append(-2, "[Lbx2 O1c#]", num_classes=9).spec == "[1,1,0,4 Lfx3 Lbx2 O1c9]"
    assert net.append(0, "[Cr1,1,2 Lfx2 O1c9]").spec == "[1,1,0,4 Cr1,1,2 Lfx2 O1c9]"


@pytest.mark.parametrize("index,spec,match", [
    (9, "[Lfx2 O1c5]", "append index must be an int in 0..2"),
    (-4, "[Lfx2 O1c5]", "append index"),
    (2, "[Lfx2]", "keeps the output layer"),
    (1, "[1,1,0,3 Lfx2 O1c5]", "must not have an input block"),
])
def test_append_errors(index, spec, match):
    net = VGSLNet("[1,1,0,4 Lfx3 O1c5]")
    with pytest.raises(ConfigError, match=match):
        net.append(index, spec)


def test_append_spec_errors_point_into_the_new_spec():
    net = VGSLNet("[1,36,0,1 Ct3,3,8 Mp3,3 Lfys8 O1c5]")
    with pytest.raises(VGSLSpecError) as info:
        net.append(2, "[Lfx8 O1c#]", num_classes=5)  # layer 2 still has height 12
    assert info.value.token == "O1c#" and info.value.position == 6


def test_resize_output_keeps_mapped_classes():
    net = VGSLNet("[1,1,0,4 Lfx3 O1c5]")
    fc = net.output_layer.fc
    old_w, old_b = fc.weight.numpy().copy(), fc.bias.numpy().copy()
    hidden = net.layers[1].rnn.weight_ih_l0.numpy().copy()
    net.resize_output(7, {1: 3, 4: 1})
    assert net.spec == "[1,1,0,4 Lfx3 O1c7]" and net.out_channels == 7
    w, b = net.output_layer.fc.weight.numpy(), net.output_layer.fc.bias.numpy()
    assert w.shape == (3, 7)
    for old, new in ((0, 0), (1, 3), (4, 1)):
        np.testing.assert_array_equal(w[:, new], old_w[:, old])
        assert b[new] == old_b[old]
    np.testing.assert_array_equal(net.layers[1].rnn.weight_ih_l0.numpy(), hidden)
    assert list(net(paddle.rand([1, 1, 4, 6])).shape) == [1, 6, 7]
    with pytest.raises(ConfigError, match="no output layer"):
        VGSLNet("[1,1,0,4 Lfx3]").resize_output(4)


def test_output_layer_class_count_and_heatmap():
    out = VGSLNet("[1,8,0,1 Cr3,3,4 O2l6]")
    assert isinstance(out.output_layer, OutputLayer) and out.output_layer.dim == 2
    out.eval()
    y = out(paddle.rand([1, 1, 8, 5]))
    assert list(y.shape) == [1, 6, 8, 5] and float(y.min()) >= 0 and float(y.max()) <= 1  # sigmoid map


class _Export(paddle.nn.Layer):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


@pytest.mark.parametrize("spec,height,spec_shape", [
    ("[1,16,0,1 Cr3,3,4 Do0.1,2 Mp2,2 Gn2 (Lfx3 Lrx3) S1(1x8)1,3 Lbx4 Do O1c#]", 16, [None, 1, 16, -1]),
    ("[1,0,0,3 Ct3,3,4 Mp2,2 S2,2 Lfys4 Grx3 O1c#]", 12, [None, 3, -1, -1]),
])
def test_export_with_free_width_matches_dygraph(tmp_path, spec, height, spec_shape):
    paddle.seed(3)
    net = VGSLNet(spec, num_classes=6)
    net.eval()
    c = net.input.image_channels
    inputs = [paddle.rand([2, c, height, 40]), paddle.rand([1, c, height, 29])]
    if spec_shape[2] == -1:
        inputs.append(paddle.rand([1, c, height + 8, 33]))  # variable height too
    expected = [net(x).numpy() for x in inputs]
    spec_in = [paddle.static.InputSpec(spec_shape, "float32", name="x")]
    static = paddle.jit.to_static(_Export(net), input_spec=spec_in, full_graph=True)
    prefix = str(tmp_path / "inference")
    paddle.jit.save(static, prefix)
    loaded = paddle.jit.load(prefix)
    loaded.eval()
    for x, want in zip(inputs, expected):
        np.testing.assert_allclose(loaded(x).numpy(), want, atol=1e-5)
