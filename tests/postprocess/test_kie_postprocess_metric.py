"""SER/RE post-processing and metrics on constructed cases."""
import numpy as np
import pytest

from ppocr.metrics.kie_metric import VQAReTokenMetric, VQASerTokenMetric
from ppocr.postprocess.kie_postprocess import VQAReTokenLayoutLMPostProcess, VQASerTokenLayoutLMPostProcess
from ppocr.utils.errors import DataError

O, BQ, IQ, BA, IA = range(5)


@pytest.fixture
def class_path(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("OTHER\nQUESTION\nANSWER\n", encoding="utf-8")
    return str(path)


def _logits(tags, n=5):
    out = np.full((len(tags), n), -4.0, np.float32)
    out[np.arange(len(tags)), tags] = 4.0
    return out


def test_ser_eval_decoding_token_and_line_level(class_path):
    # positions: line 0 = [0, 1], line 1 = [2], line 2 = [3, 4], padding = [5]
    pred = _logits([BQ, BQ, O, IA, BA, O])[None]
    labels = np.array([[BQ, IQ, O, BA, IA, -100]])
    line_ids = np.array([[0, 0, 1, 2, 2, -1]])
    post = VQASerTokenLayoutLMPostProcess(class_path)
    assert post.eval_keys == ("labels",)
    p, g = post({"backbone_out": pred}, labels)
    assert g == [["B-QUESTION", "I-QUESTION", "O", "B-ANSWER", "I-ANSWER"]]
    assert p == [["B-QUESTION", "B-QUESTION", "O", "I-ANSWER", "B-ANSWER"]]
    line_post = VQASerTokenLayoutLMPostProcess(class_path, line_decode=True)
    assert line_post.eval_keys == ("labels", "line_ids")
    p, _ = line_post(pred, labels, line_ids)
    assert p == g  # one class per line, tagged B- then I-
    with pytest.raises(DataError, match="line_ids"):
        line_post(pred, labels)
    with pytest.raises(DataError, match=r"\[B, T, 5\]"):
        post(pred[..., :4], labels)


def test_ser_inference_one_class_per_line(class_path):
    pred = _logits([BQ, IA, IQ, O, BA, IA])[None]  # line 0 has 2 of 3 question tokens
    infos = [{"transcription": "Name:"}, {"transcription": "x"}, {"transcription": "John"}]
    out = VQASerTokenLayoutLMPostProcess(class_path)(pred, line_ids=[np.array([0, 0, 0, 1, 2, 2])],
                                                     ocr_infos=[infos])
    assert [(o["transcription"], o["pred_id"], o["pred"]) for o in out[0]] == [
        ("Name:", 1, "QUESTION"), ("x", 0, "O"), ("John", 2, "ANSWER")]
    assert 0.5 < out[0][2]["score"] <= 1.0 and "pred" not in infos[0]


def test_ser_metric_entity_level():
    pytest.importorskip("seqeval")
    metric = VQASerTokenMetric()
    gold = [["B-QUESTION", "I-QUESTION", "O", "B-ANSWER"], ["B-ANSWER", "I-ANSWER"]]
    pred = [["B-QUESTION", "I-QUESTION", "O", "B-QUESTION"], ["B-ANSWER", "B-ANSWER"]]
    batch = metric((pred[:1], gold[:1]))
    assert batch == pytest.approx({"precision": 0.5, "recall": 0.5, "hmean": 0.5})
    metric((pred[1:], gold[1:]))
    # 1 of 2 + 0 of 2 predicted entities are right; 1 of 3 true entities found
    assert metric.get_metric() == pytest.approx({"precision": 0.25, "recall": 1 / 3, "hmean": 2 / 7})
    assert metric.get_metric() == {"precision": 0.0, "recall": 0.0, "hmean": 0.0}  # reset after get_metric
    metric(([["O", "O"]], [["O", "O"]]))
    assert metric.get_metric()["hmean"] == 0.0
    with pytest.raises(DataError, match="differ"):
        metric(([["O"]], [["O", "O"]]))
    with pytest.raises(ValueError, match="main_indicator"):
        VQASerTokenMetric("f1")


def _entities(rows, size=6):
    ent = np.full((size + 1, 3), -1, np.int64)
    ent[0] = len(rows)
    ent[1:len(rows) + 1] = rows
    return ent


def _relations(pairs, size=6):
    rel = np.full((size + 1, 2), -1, np.int64)
    rel[0] = len(pairs)
    if pairs:
        rel[1:len(pairs) + 1] = pairs
    return rel


def test_re_post_and_metric():
    ents = _entities([(0, 2, 1), (2, 4, 2), (5, 6, 1), (6, 9, 2)])
    probs = np.zeros((6, 6), np.float32)
    probs[0, 1], probs[2, 1], probs[2, 3] = 0.9, 0.6, 0.4
    post = VQAReTokenLayoutLMPostProcess()
    assert post.eval_keys == ("entities", "relations")
    pred, gold = post({"relation_probs": probs[None]}, ents[None], _relations([(0, 1), (2, 3)])[None])
    assert [(r["head_id"], r["tail_id"]) for r in pred[0]] == [(0, 1), (2, 1)]  # above 0.5, best first
    assert pred[0][0]["head"] == (0, 2) and pred[0][0]["tail"] == (2, 4) and pred[0][0]["score"] == pytest.approx(0.9)
    assert [(r["head"], r["tail"]) for r in gold[0]] == [((0, 2), (2, 4)), ((5, 6), (6, 9))]
    metric = VQAReTokenMetric()
    assert metric((pred, gold)) == pytest.approx({"precision": 0.5, "recall": 0.5, "hmean": 0.5})
    assert metric.get_metric()["hmean"] == pytest.approx(0.5)
    # inference: each answer keeps its best question; lines come from line_ids at entity starts
    infos = [{"transcription": t} for t in ("Name:", "John", "Date:", "today")]
    line_ids = np.array([0, 0, 1, 1, -1, 2, 3, 3, 3, -1])
    pairs = post({"relation_probs": probs[None]}, ents[None], line_ids=[line_ids], ocr_infos=[infos])
    assert [(q["transcription"], a["transcription"]) for q, a in pairs[0]] == [("Name:", "John")]
    with pytest.raises(ValueError, match="threshold"):
        VQAReTokenLayoutLMPostProcess(threshold=1.5)
