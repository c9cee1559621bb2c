"""VGSL LSTMs start with their forget gates open (bias 1), in Paddle's i, f, g, o gate order."""
import numpy as np
import paddle
from paddle import nn

from ppocr.modeling.vgsl import VGSLNet


def test_paddle_lstm_gate_order_is_i_f_g_o():
    """Our initialisation writes the second quarter of the bias: check that it is the forget gate."""
    lstm = nn.LSTM(1, 1)
    for name, p in lstm.named_parameters():
        value = np.zeros(p.shape, np.float32)
        if "bias_ih" in name:
            value[:] = [20.0, 20.0, 20.0, 0.0]     # i = 1, f = 1, g = tanh(20) = 1, o = 0.5
        p.set_value(value)
    out, _ = lstm(paddle.zeros([1, 2, 1]))
    # c1 = f*0 + i*g = 1, c2 = f*c1 + i*g = 2 (only if the second quarter is f); h = o * tanh(c)
    np.testing.assert_allclose(out.numpy().ravel(), [0.5 * np.tanh(1.0), 0.5 * np.tanh(2.0)], rtol=1e-5)


def test_vgsl_lstm_forget_bias_starts_at_one():
    net = VGSLNet("[1,36,0,1 Ct3,3,8 Mp3,3 Lfys16 Lbx24 Gfx8 O1c10]")
    checked = 0
    for name, p in net.named_parameters():
        if "rnn" not in name or "bias" not in name:
            continue
        v = p.numpy()
        h = v.shape[0] // 4
        if v.shape[0] % 4 or h not in (16, 24):
            continue                                 # the GRU (3 gates) keeps Paddle's default
        expected = 1.0 if "bias_ih" in name else 0.0
        np.testing.assert_array_equal(v[h:2 * h], expected)
        assert np.abs(v[:h]).max() > 0               # the other gates keep their random start
        checked += 1
    assert checked == 6                              # Lfys16 (ih, hh) + Lbx24 (2 directions x ih, hh)
