import numpy as np
import paddle
import pytest

from ppocr.postprocess import CTCLabelDecode, build_post_process
from ppocr.utils.errors import ConfigError


@pytest.fixture
def dict_file(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("a\nb\nß\n中\n", encoding="utf-8")  # ids: blank 0, a 1, b 2, ß 3, 中 4, ' ' 5
    return str(path)


def one_hot(ids, num_classes, p=1.0):
    """[B, T] ids -> [B, T, C] probabilities with ``p`` on the chosen class."""
    ids = np.asarray(ids)
    rest = (1.0 - p) / (num_classes - 1)
    out = np.full(ids.shape + (num_classes,), rest, dtype=np.float32)
    np.put_along_axis(out, ids[..., None], p, axis=-1)
    return out


def test_character_list_and_num(dict_file):
    dec = CTCLabelDecode(dict_file, use_space_char=True)
    assert dec.character == ["blank", "a", "b", "ß", "中", " "]
    assert dec.get_character_num() == 6
    assert CTCLabelDecode().get_character_num() == 37


def test_collapse_and_blank_removal(dict_file):
    dec = CTCLabelDecode(dict_file, use_space_char=True)
    ids = [[1, 1, 0, 1, 4, 4, 5, 3, 0],   # a a - a 中 中 ' ' ß -  -> "aa中 ß"
           [0, 0, 0, 0, 0, 0, 0, 0, 0]]   # all blank -> ""
    out = dec(one_hot(ids, 6))
    assert [t for t, _ in out] == ["aa中 ß", ""]


def test_score_is_mean_of_kept_steps(dict_file):
    dec = CTCLabelDecode(dict_file)
    probs = one_hot([[1, 1, 0, 2]], 5, p=0.5)
    probs[0, 0, 1] = 0.9   # kept (first of the run)
    probs[0, 1, 1] = 0.6   # repeat: not counted
    probs[0, 3, 2] = 0.7   # kept
    [(text, score)] = dec(paddle.to_tensor(probs))
    assert text == "ab"
    assert score == pytest.approx((0.9 + 0.7) / 2)


def test_empty_prediction_score_is_mean_over_steps(dict_file):
    dec = CTCLabelDecode(dict_file)
    probs = one_hot([[0, 0]], 5, p=0.8)
    probs[0, 1, 0] = 0.6
    [(text, score)] = dec(probs)
    assert text == "" and score == pytest.approx(0.7)


def test_input_containers(dict_file):
    dec = CTCLabelDecode(dict_file)
    probs = one_hot([[2, 0, 2]], 5)
    expected = [("bb", 1.0)]
    assert dec(probs) == expected
    assert dec(paddle.to_tensor(probs)) == expected
    assert dec((probs, "extra")) == expected
    assert dec({"head_out": probs}) == expected
    with pytest.raises(ValueError, match="head_out"):
        dec({"logits": probs})
    with pytest.raises(TypeError):
        dec("abc")


def test_label_decoding_keeps_repeats(dict_file):
    dec = CTCLabelDecode(dict_file, use_space_char=True)
    probs = one_hot([[1, 0, 1, 5, 4], [3, 3, 3, 0, 0]], 6)
    label = np.array([[1, 1, 5, 4, 0], [3, 0, 0, 0, 0]])
    preds, labels = dec(probs, label)
    assert preds == [("aa 中", 1.0), ("ß", 1.0)]
    assert labels == [("aa 中", 1.0), ("ß", 1.0)]
    assert dec(probs, paddle.to_tensor(label))[1] == labels


def test_decode_helper(dict_file):
    dec = CTCLabelDecode(dict_file)
    assert dec.decode([[1, 1, 2]], collapse=False) == [("aab", 1.0)]
    assert dec.decode([[1, 1, 2]]) == [("ab", 1.0)]
    with pytest.raises(ValueError, match="outside the dictionary"):
        dec.decode([[9]])


def test_class_count_mismatch(dict_file):
    dec = CTCLabelDecode(dict_file)
    with pytest.raises(ValueError, match="5"):
        dec(one_hot([[1]], 7))


def test_build_from_config(dict_file):
    dec = build_post_process({"name": "CTCLabelDecode"},
                             global_cfg={"character_dict_path": dict_file, "use_space_char": True})
    assert dec.get_character_num() == 6
    with pytest.raises(ConfigError, match="use_space_char"):
        build_post_process({"name": "CTCLabelDecode", "use_spce_char": True})
    with pytest.raises(ConfigError, match="CTCLabelDecode"):
        build_post_process({"name": "CTCLabelDecoder"})
