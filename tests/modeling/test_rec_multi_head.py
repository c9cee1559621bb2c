"""MultiHead (CTC + SAR/NRTR guiding branch), SARHead, NRTRHead, the SVTR encoder: shapes, modes, keys."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import paddle
import pytest

import ppocr.modeling  # noqa: F401  (registers everything)
from ppocr.modeling import build_model
from ppocr.modeling.heads.rec_multi_head import MultiHead
from ppocr.modeling.heads.rec_nrtr_head import NRTRHead
from ppocr.modeling.heads.rec_sar_head import SARHead
from ppocr.modeling.necks.rnn import SequenceEncoder
from ppocr.utils.errors import ConfigError, DataError

paddle.seed(0)
CTC = {"CTCHead": {"Neck": {"name": "svtr", "dims": 16, "depth": 1, "hidden_dims": 16, "num_heads": 2,
                            "use_guide": True}, "Head": {"fc_decay": 1e-5}}}


def _batch(b=2, length=(3, 5), l_max=10, vocab=9):
    rng = np.random.RandomState(0)
    return {"label_sar": paddle.to_tensor(rng.randint(0, vocab, (b, l_max))),
            "label_gtc": paddle.to_tensor(rng.randint(4, vocab, (b, l_max))),
            "length": paddle.to_tensor(np.array(length, dtype=np.int64)),
            "valid_ratio": paddle.to_tensor(np.array([0.5, 1.0][:b], dtype=np.float32))}


@pytest.mark.parametrize("guide", [{"SARHead": {"enc_dim": 16, "d_k": 8}}, {"NRTRHead": {"nrtr_dim": 32}}])
def test_train_dict_eval_ctc_only(guide):
    head = MultiHead(in_channels=32, out_channels=7, head_list=[CTC, guide])
    x = paddle.rand([2, 32, 1, 12])
    out = head(x, batch=_batch())
    key = "sar" if "SARHead" in guide else "nrtr"
    assert set(out) == {"ctc", "ctc_neck", key}
    assert list(out["ctc"].shape) == [2, 12, 7] and list(out["ctc_neck"].shape) == [2, 12, 16]
    if key == "sar":   # SAR classes: 7 + 2, predicted without padding: 8
        assert list(out["sar"].shape) == [2, 10, 8]
    else:              # NRTR vocabulary 7 + 3, output one more; 1 + max(length) positions
        assert list(out["nrtr"].shape) == [2, 6, 11]
    for t in out.values():
        assert np.isfinite(t.numpy()).all()
    head.eval()
    probs = head(x)
    assert isinstance(probs, paddle.Tensor) and list(probs.shape) == [2, 12, 7]
    np.testing.assert_allclose(probs.sum(axis=-1).numpy(), 1.0, rtol=1e-5)


def test_paddleocr_state_dict_keys():
    sar = MultiHead(in_channels=32, out_channels=7, head_list=[CTC, {"SARHead": {"enc_dim": 16, "d_k": 8}}])
    keys = set(sar.state_dict())
    for k in ("ctc_encoder.encoder.conv1.conv.weight", "ctc_encoder.encoder.svtr_block.0.mixer.qkv.weight",
              "ctc_encoder.encoder.conv1x1.norm._variance", "ctc_head.fc.weight",
              "sar_head.encoder.rnn_encoder.0.cell.weight_ih", "sar_head.decoder.conv3x3_1.weight",
              "sar_head.decoder.embedding.weight", "sar_head.decoder.prediction.weight"):
        assert k in keys, k
    nrtr = MultiHead(in_channels=32, out_channels=7, head_list=[CTC, {"NRTRHead": {"nrtr_dim": 64}}])
    keys = set(nrtr.state_dict())
    for k in ("before_gtc.1.fc.weight", "gtc_head.embedding.embedding.weight", "gtc_head.positional_encoding.pe",
              "gtc_head.decoder.3.cross_attn.kv.weight", "gtc_head.decoder.0.mlp.fc2.bias", "gtc_head.tgt_word_prj.weight"):
        assert k in keys, k
    assert nrtr.gtc_head.decoder[0].self_attn.num_heads == 2   # nrtr_dim // 32


def test_use_guide_stops_gradient_into_the_backbone():
    x = paddle.rand([2, 32, 1, 6])
    x.stop_gradient = False
    for guide, expect_grad in ((True, False), (False, True)):
        neck = SequenceEncoder(in_channels=32, encoder_type="svtr", dims=8, hidden_dims=16, num_heads=2,
                               use_guide=guide)
        neck(x).sum().backward()
        assert (x.grad is not None and float(x.grad.abs().sum()) > 0) == expect_grad
        x.clear_gradient()


def test_sar_valid_ratio_masks_the_padding():
    head = SARHead(in_channels=8, out_channels=9, enc_dim=8, d_k=4, max_text_length=4)
    head.eval()
    feat = paddle.rand([1, 8, 1, 10])
    changed = feat.numpy().copy()
    changed[..., 6:] = 5.0  # only padding columns change
    ratio = paddle.to_tensor([0.5])
    a = head(feat, (None, ratio)).numpy()
    b = head(paddle.to_tensor(changed), (None, ratio)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert a.shape == (1, 4, 8)


def test_nrtr_greedy_decode_shapes():
    head = NRTRHead(in_channels=32, out_channels=10, num_decoder_layers=1, max_text_length=5)
    head.eval()
    seq, prob = head(paddle.rand([2, 7, 32]))
    assert seq.shape[0] == 2 and seq.shape[1] <= 5 and int(seq[0, 0]) == 2 and list(prob.shape) == list(seq.shape)


def test_errors_name_the_fix():
    with pytest.raises(ConfigError, match="one CTCHead"):
        MultiHead(in_channels=32, out_channels=7, head_list=[CTC, CTC])
    with pytest.raises(ConfigError, match="NRTRHead"):
        MultiHead(in_channels=32, out_channels=7, head_list=[CTC, {"NRTRHaed": {}}])
    with pytest.raises(ConfigError, match="nrtr_dim"):
        MultiHead(in_channels=32, out_channels=7, head_list=[CTC, {"NRTRHead": {"nrtr_dimm": 32}}])
    with pytest.raises(ConfigError, match="hidden_dims"):
        bad = {"CTCHead": {"Neck": {"name": "svtr", "hiden_dims": 16}, "Head": {}}}
        MultiHead(in_channels=32, out_channels=7, head_list=[bad, {"NRTRHead": {}}])
    head = MultiHead(in_channels=32, out_channels=7, head_list=[CTC, {"NRTRHead": {"nrtr_dim": 32}}])
    with pytest.raises(DataError, match="label_gtc"):
        head(paddle.rand([2, 32, 1, 4]), batch={"image": None})


def test_built_from_architecture_with_derived_classes():
    arch = {"model_type": "rec", "algorithm": "SVTR_LCNet", "Transform": None,
            "Backbone": {"name": "MobileNetV1Enhance", "scale": 0.5, "last_conv_stride": [1, 2],
                         "last_pool_type": "avg", "last_pool_kernel_size": [2, 2]},
            "Head": {"name": "MultiHead", "head_list": [CTC, {"SARHead": {"enc_dim": 16, "d_k": 8}}]}}
    model = build_model(arch, {}, num_classes=7)
    batch = {"image": paddle.rand([2, 3, 48, 160]), **_batch()}
    out = model(batch)
    assert list(out["ctc"].shape) == [2, 20, 7] and list(out["sar"].shape) == [2, 10, 8]
    model.eval()
    assert list(model(batch).shape) == [2, 20, 7]
