"""ClsPostProcess: arg-max label and its probability, labels decoded alike, and what export records."""
import numpy as np
import paddle
import pytest

from ppocr.postprocess import build_post_process


def test_decode_with_and_without_labels():
    post = build_post_process({"name": "ClsPostProcess"}, {"label_list": ["0", "180"]})
    probs = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    out = post(paddle.to_tensor(probs))
    assert [n for n, _ in out] == ["180", "0"]
    np.testing.assert_allclose([s for _, s in out], [0.9, 0.8], rtol=1e-6)
    preds, labels = post(probs, np.array([1, 1]))
    assert labels == [("180", 1.0), ("180", 1.0)] and preds == out
    assert post.export_config() == {"label_list": ["0", "180"]}


def test_without_label_list_classes_are_indices_and_dict_outputs_need_key():
    post = build_post_process({"name": "ClsPostProcess"})
    assert post(np.array([[0.2, 0.3, 0.5]]))[0][0] == "2" and post.export_config() == {}
    keyed = build_post_process({"name": "ClsPostProcess", "key": "student"}, {"label_list": ["0", "180"]})
    assert keyed({"student": np.array([[0.7, 0.3]])})[0][0] == "0"
    with pytest.raises(ValueError, match="PostProcess.key"):
        post({"student": np.array([[0.7, 0.3]])})


def test_class_count_mismatch_names_the_fix():
    post = build_post_process({"name": "ClsPostProcess"}, {"label_list": ["0", "180"]})
    with pytest.raises(ValueError, match="class_dim"):
        post(np.full((1, 4), 0.25))
    with pytest.raises(ValueError, match=r"\[B, C\]"):
        post(np.full((1, 2, 2), 0.25))
