"""VGSLLabelDecode: CTC best path through the codec, ground-truth labels, RecMetric pairs, errors."""
import numpy as np
import paddle
import pytest

import ppocr  # noqa: F401  (registers components)
from ppocr.metrics.rec_metric import RecMetric
from ppocr.postprocess import build_post_process
from ppocr.postprocess.vgsl_postprocess import VGSLLabelDecode
from ppocr.registry import POSTPROCESS
from ppocr.vgsl.codec import Codec
from ppocr.utils.errors import ConfigError


@pytest.fixture
def codec():
    return Codec.from_texts(["ab c"])  # blank, ' ', a, b, c


def _onehot(ids, n=5, p=1.0):
    probs = np.full((len(ids), n), (1 - p) / (n - 1), np.float32)
    probs[np.arange(len(ids)), ids] = p
    return probs


def test_best_path_merges_repeats_and_drops_blanks(codec):
    decode = VGSLLabelDecode(codec)
    assert decode.character == ["blank", " ", "a", "b", "c"] and decode.eval_keys == ("label",)
    a, b, c, sp = (codec.symbols[ch][0] for ch in "abc ")
    probs = np.stack([_onehot([a, a, 0, a, b, b, sp, c]), _onehot([0, 0, 0, 0, 0, 0, 0, 0], p=0.6)])
    (t1, s1), (t2, s2) = decode(paddle.to_tensor(probs))
    assert (t1, t2) == ("aab c", "")
    assert s1 == pytest.approx(1.0) and s2 == pytest.approx(0.6)


def test_logits_get_a_softmax_and_labels_decode_without_merging(codec):
    decode = VGSLLabelDecode(codec)
    a, b = codec.encode("a")[0], codec.encode("b")[0]
    logits = np.log(_onehot([a, 0, b], p=0.9))[None] + 3.0  # shifted log-probabilities: not probabilities
    label = np.array([[a, a, b, 0, 0]])
    preds, labels = decode(logits, label)
    assert preds[0][0] == "ab" and preds[0][1] == pytest.approx(0.9, abs=1e-5)
    assert labels == [("aab", 1.0)]
    metric = RecMetric(main_indicator="norm_edit_dis", ignore_space=False)
    metric((preds, labels))
    assert metric.get_metric()["cer"] == pytest.approx(1 / 3)


def test_recoded_codec_decodes_to_text():
    codec = Codec.from_texts(["한국어 ệ"], recode=True)
    decode = VGSLLabelDecode(codec)
    codes = codec.encode("국어")
    steps = []
    for code in codes:
        steps += [code, 0]
    assert decode(_onehot(steps, n=codec.num_classes)[None])[0][0] == "국어"


def test_errors(codec):
    decode = VGSLLabelDecode(codec)
    with pytest.raises(ValueError, match="7 classes but the codec has 5"):
        decode(np.zeros((1, 3, 7), np.float32))
    with pytest.raises(ValueError, match=r"\[B, T, C\]"):
        decode(np.zeros((3, 5), np.float32))
    with pytest.raises(TypeError, match="needs the run's codec"):
        VGSLLabelDecode()
    with pytest.raises(ConfigError, match="needs the run's codec"):
        build_post_process({"name": "VGSLLabelDecode"})
    assert "VGSLLabelDecode" in POSTPROCESS
    assert decode.export_config()["codec"] == codec.to_dict()
