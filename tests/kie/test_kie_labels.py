"""Class lists and BIO tags: numbering, case-insensitivity, errors, and tag <-> entity round trips."""
import numpy as np
import pytest

from ppocr.utils.errors import ConfigError, SampleError
from ppocr.kie.labels import KIELabels, bio_to_entities, entities_to_bio, read_class_list


def _class_file(tmp_path, text):
    path = tmp_path / "class_list.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_class_list_numbering_other_first_anywhere(tmp_path):
    labels = KIELabels.from_file(_class_file(tmp_path, "question\nOTHER\n\nAnswer\nheader\n"))
    assert labels.classes == ["QUESTION", "ANSWER", "HEADER"]
    assert labels.tags == ["O", "B-QUESTION", "I-QUESTION", "B-ANSWER", "I-ANSWER", "B-HEADER", "I-HEADER"]
    assert labels.num_classes == 7  # 2 * 4 - 1
    assert labels.class_id("Other") == 0 and labels.class_id("ignore") == 0
    assert labels.class_id("answer") == labels.class_id("ANSWER") == 2
    assert labels.line_tags("QuEsTiOn", 3) == [1, 2, 2]
    assert labels.line_tags("other", 2) == [0, 0]
    assert [labels.tag_class(t) for t in range(7)] == [0, 1, 1, 2, 2, 3, 3]
    assert labels.class_name(3) == "HEADER" and labels.class_name(0) == "O"


def test_unknown_label_names_the_class_file(tmp_path):
    path = _class_file(tmp_path, "OTHER\nQUESTION\n")
    with pytest.raises(SampleError, match=r"'answer' is not in the class list .*class_list.txt"):
        KIELabels.from_file(path).class_id("answer")


@pytest.mark.parametrize("text,match", [("", "empty"), ("A\na\n", "already listed on line 1"),
                                        ("OTHER\nB-QUESTION\n", "without BIO prefixes")])
def test_bad_class_lists(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        KIELabels.from_file(_class_file(tmp_path, text))


def test_missing_class_list():
    with pytest.raises(ConfigError, match="not found"):
        read_class_list("/no/such/class_list.txt")


def test_bio_entities_known_cases():
    tags = ["B-Q", "I-Q", "O", "I-A", "I-A", "B-A", "B-A", "I-Q", "O"]
    assert bio_to_entities(tags) == [("Q", 0, 2), ("A", 3, 5), ("A", 5, 6), ("A", 6, 7), ("Q", 7, 8)]
    assert bio_to_entities([]) == [] and bio_to_entities(["O", "O"]) == []


def _random_entities(rng, length, classes=("Q", "A", "H")):
    ents, pos = [], 0
    while pos < length:
        pos += int(rng.integers(0, 3))
        n = int(rng.integers(1, 4))
        if pos + n > length:
            break
        ents.append((classes[int(rng.integers(len(classes)))], pos, pos + n))
        pos += n
    return ents


def test_bio_round_trip_random():
    rng = np.random.default_rng(0)
    for _ in range(200):
        length = int(rng.integers(0, 30))
        ents = _random_entities(rng, length)
        assert bio_to_entities(entities_to_bio(ents, length)) == ents


def test_line_tags_decode_to_one_entity_per_line(tmp_path):
    labels = KIELabels(["other", "question", "answer"])
    lines = [("question", 2), ("answer", 3), ("other", 1), ("answer", 1), ("answer", 2)]
    tags = [labels.id2label[t] for label, n in lines for t in labels.line_tags(label, n)]
    assert bio_to_entities(tags) == [("QUESTION", 0, 2), ("ANSWER", 2, 5), ("ANSWER", 6, 7), ("ANSWER", 7, 9)]


def test_matches_seqeval_chunking():
    get_entities = pytest.importorskip("seqeval.metrics.sequence_labeling").get_entities
    rng = np.random.default_rng(1)
    vocab = ["O", "B-Q", "I-Q", "B-A", "I-A"]
    for _ in range(300):
        tags = [vocab[int(i)] for i in rng.integers(0, len(vocab), size=int(rng.integers(0, 15)))]
        ours = [(c, s, e - 1) for c, s, e in bio_to_entities(tags)]
        assert ours == get_entities(tags), tags
