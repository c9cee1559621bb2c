"""KIE transforms: tokens, labels and boxes from label lines; padding; windows for long forms; RE targets."""
import os

import numpy as np
import pytest

from ppocr.testing.kie import MAX_SEQ_LEN, blank_page, windows_needed, write_form
from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.vqa.kie_token_chunk import plan_windows
from ppocr.data.simple_dataset import SimpleDataSet
from ppocr.utils.errors import DataError, SampleError

FORM = [
    {"transcription": "Name:", "label": "QUESTION", "points": [[30, 20], [90, 20], [90, 40], [30, 40]], "id": 0,
     "linking": [[0, 1]]},
    {"transcription": "John", "label": "answer", "bbox": [100, 20, 150, 40], "id": 1, "linking": [[0, 1]]},
    {"transcription": "  ", "label": "other", "points": [[0, 0], [5, 0], [5, 5], [0, 5]], "id": 2, "linking": [[2, 1]]},
    {"transcription": "Total", "label": "other", "points": [[-10, 190], [350, 190], [350, 230], [-10, 230]], "id": 3,
     "linking": []},
]


def _encode(kie_data, starter, entries, **opts):
    ops = build_transforms([{"VQATokenLabelEncode": dict(class_path=os.path.join(kie_data, "class_list.txt"),
                                                         tokenizer_path=starter, **opts)}], None, "t")
    return ops({"image": blank_page(), "label": __import__("json").dumps(entries), "img_path": "form.png"})


def test_label_encode_tokens_labels_boxes(kie_data, starter):
    data = _encode(kie_data, starter, FORM)
    enc = build_transforms([{"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"),
                                                     "tokenizer_path": starter}}], None, "t").ops[0]
    ids = [enc.tokenize(t)[1] for t in ("Name:", "John", "Total")]
    assert data["input_ids"] == ids[0] + ids[1] + ids[2]
    ends = np.cumsum([len(i) for i in ids]).tolist()
    assert data["segment_offset_id"] == ends
    assert [i["transcription"] for i in data["ocr_info"]] == ["Name:", "John", "Total"]  # the blank line is skipped
    n0, n1, n2 = (len(i) for i in ids)
    # page 300 x 200: boxes scaled to 0-1000; "Total" is clipped to the page first
    assert data["bbox"] == [[100, 100, 300, 200]] * n0 + [[333, 100, 500, 200]] * n1 + [[0, 950, 1000, 1000]] * n2
    assert data["labels"] == [1] + [2] * (n0 - 1) + [3] + [4] * (n1 - 1) + [0] * n2
    assert data["attention_mask"] == [1] * ends[-1] and data["token_type_ids"] == [0] * ends[-1]
    assert data["pad_token_id"] == 1


def test_split_token_boxes(kie_data, starter):
    data = _encode(kie_data, starter, FORM[:1] + [{"transcription": "Account no: 12345", "label": "question",
                                                    "bbox": [0, 100, 300, 120], "id": 5, "linking": []}],
                   use_textline_bbox_info=False)
    boxes = np.array(data["bbox"][data["segment_offset_id"][0]:])
    assert len(boxes) > 1 and boxes[0, 0] == 0 and boxes[-1, 2] == 1000
    assert (np.diff(boxes[:, 0]) >= 0).all() and (boxes[:, 2] >= boxes[:, 0]).all()
    assert (boxes[1:, 0] == boxes[:-1, 2]).all() and (boxes[:, 1] == 500).all()


def test_tb_yx_order(kie_data, starter):
    def line(text, x, y):
        return {"transcription": text, "label": "other", "bbox": [x, y, x + 40, y + 20], "id": text, "linking": []}

    entries = [line("c", 10, 100), line("b", 150, 22), line("a", 10, 20), line("d", 200, 98)]
    assert [i["transcription"] for i in _encode(kie_data, starter, entries)["ocr_info"]] == ["c", "b", "a", "d"]
    data = _encode(kie_data, starter, entries, order_method="tb-yx")
    assert [i["transcription"] for i in data["ocr_info"]] == ["a", "b", "c", "d"]


def test_bad_input_errors_name_file_line_and_class_list(kie_data, starter, tmp_path):
    label_file = write_form(str(tmp_path), [dict(FORM[0], label="signature")])
    tf = [{"DecodeImage": {"img_mode": "RGB"}},
          {"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"), "tokenizer_path": starter}}]
    ds = SimpleDataSet(str(tmp_path), label_file, tf)
    with pytest.raises(DataError, match=r"labels.txt:1: label 'signature' is not in the class list .*class_list.txt"):
        ds[0]
    with pytest.raises(SampleError, match="links to id 9, which no text line"):
        _encode(kie_data, starter, [dict(FORM[0], linking=[[0, 9]])], contains_re=True)
    with pytest.raises(SampleError, match="no text"):
        _encode(kie_data, starter, [FORM[2]])
    with pytest.raises(SampleError, match="'points'"):
        _encode(kie_data, starter, [{"transcription": "a", "label": "other", "points": [[1, "x"]]}])
    with pytest.raises(SampleError, match="not valid JSON"):
        build_transforms([{"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"),
                                                   "tokenizer_path": starter}}], None, "t")(
            {"image": blank_page(), "label": "[{"})


def test_missing_tokenizer_says_what_to_do(kie_data, tmp_path, monkeypatch):
    from ppocr.utils.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="pretrained/layoutxlm-base-uncased.*make_kie_starter.py"):
        build_transforms([{"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt")}}], None, "t")


def _long_form(n_lines):
    return [{"transcription": f"Name: John Smith {i}", "label": ["question", "answer", "other"][i % 3],
             "bbox": [10, 5 * i, 200, 5 * i + 4], "id": i, "linking": []} for i in range(n_lines)]


def _pipeline(kie_data, starter, tail, contains_re=False):
    return build_transforms([{"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"),
                                                      "tokenizer_path": starter, "contains_re": contains_re}},
                             {"VQATokenPad": {"max_seq_len": MAX_SEQ_LEN}}] + tail, None, "t")


def test_pad_short_form(kie_data, starter):
    data = _pipeline(kie_data, starter, [])({"image": blank_page(), "label": __import__("json").dumps(FORM)})
    n = data["segment_offset_id"][-1]
    assert data["input_ids"].shape == (MAX_SEQ_LEN,) and data["bbox"].shape == (MAX_SEQ_LEN, 4)
    assert data["input_ids"].dtype == np.int64
    assert (data["input_ids"][n:] == 1).all() and (data["labels"][n:] == -100).all()
    assert (data["attention_mask"][n:] == 0).all() and (data["bbox"][n:] == 0).all()


def test_plan_windows_breaks_between_lines():
    assert plan_windows([3, 7, 12], 12, 8) == [(0, 7), (7, 12)]
    assert plan_windows([10], 10, 4) == [(0, 4), (4, 8), (8, 10)]  # one line longer than a window
    assert plan_windows([5], 5, 8) == [(0, 5)]


def test_long_form_is_windowed_not_truncated(kie_data, starter):
    import json

    sample = {"image": blank_page(), "label": json.dumps(_long_form(20))}
    with pytest.raises(SampleError, match=r"need \d windows of max_seq_len=64 .*max_windows is 1"):
        _pipeline(kie_data, starter, [{"VQASerTokenChunk": {"max_seq_len": MAX_SEQ_LEN}}])(dict(sample))
    ref = _pipeline(kie_data, starter, [])(dict(sample))
    n = ref["segment_offset_id"][-1]
    assert n > 2 * MAX_SEQ_LEN  # really longer than two windows
    w = len(plan_windows(ref["segment_offset_id"], n, MAX_SEQ_LEN)) + 1  # sized from the data, one spare
    data = _pipeline(kie_data, starter, [{"VQASerTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "max_windows": w}}])(
        dict(sample))
    for key in ("input_ids", "attention_mask", "token_type_ids", "labels", "line_ids"):
        assert data[key].shape == (w, MAX_SEQ_LEN), key
    assert data["bbox"].shape == (w, MAX_SEQ_LEN, 4)
    assert (data["attention_mask"][-1] == 0).all()  # the spare window is all padding
    lines = data["line_ids"].reshape(-1)
    real = lines >= 0
    assert real.sum() == n and (data["attention_mask"].reshape(-1) == real).all()
    for key in ("input_ids", "labels"):  # the windows hold every token, in order
        np.testing.assert_array_equal(data[key].reshape(-1)[real], ref[key][:n])
    np.testing.assert_array_equal(lines[real], np.searchsorted(ref["segment_offset_id"], np.arange(n), side="right"))
    window_of_line = {}
    for i in range(w):  # no line is split across windows
        for line in set(data["line_ids"][i][data["line_ids"][i] >= 0].tolist()):
            assert window_of_line.setdefault(line, i) == i


def test_re_targets_and_windows(kie_data, starter):
    import json

    form = _long_form(12) + [
        {"transcription": "Date:", "label": "question", "bbox": [10, 100, 50, 110], "id": "q", "linking": [["a", "q"]]},
        {"transcription": "12/05/2020", "label": "answer", "bbox": [60, 100, 150, 110], "id": "a", "linking": [["a", "q"]]},
        {"transcription": "FORM", "label": "header", "bbox": [10, 120, 50, 130], "id": "h", "linking": [["h", "q"]]}]
    form[0]["linking"] = [[0, 1]]
    form[1]["linking"] = [[0, 1], [1, 0]]
    sample = {"image": blank_page(), "label": json.dumps(form)}
    ref = _pipeline(kie_data, starter, [{"VQAReTokenRelation": None}], contains_re=True)(dict(sample))
    ends = ref["segment_offset_id"]
    w = len(plan_windows(ends, ends[-1], MAX_SEQ_LEN))  # sized from the data
    assert w >= 2  # entities land in later windows too
    tail = [{"VQAReTokenRelation": None}, {"VQAReTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "max_windows": w}}]
    ops = _pipeline(kie_data, starter, tail, contains_re=True)
    data = ops(dict(sample))
    ents, rels = data["entities"], data["relations"]
    labels = [e["label"] for e in ref["entities"]]
    # question 0 -> answer 1 (listed twice), question "q" -> answer "a"; the header link is dropped
    assert rels["head"] == [0, labels.index("QUESTION", 8)] and len(rels["tail"]) == 2
    assert [ents["label"][h] for h in rels["head"]] == [1, 1] and [ents["label"][t] for t in rels["tail"]] == [2, 2]
    flat_ids = data["input_ids"].reshape(-1)
    for i, e in enumerate(ref["entities"]):  # each entity still starts on its own first token
        assert flat_ids[ents["start"][i]] == ref["input_ids"][e["start"]]
        assert ents["end"][i] - ents["start"][i] == e["end"] - e["start"]
    packed = build_transforms([{"TensorizeEntitiesRelations": {"max_seq_len": 32}}], None, "t")(data)
    assert packed["entities"].shape == (33, 3) and packed["relations"].shape == (129, 2)
    assert packed["entities"][0].tolist() == [len(labels)] * 3 and packed["relations"][0].tolist() == [2, 2]
    assert packed["entities"][1:len(labels) + 1, 0].tolist() == ents["start"]
    assert (packed["entities"][len(labels) + 1:] == -1).all()
    with pytest.raises(SampleError, match="raise it"):
        build_transforms([{"TensorizeEntitiesRelations": {"max_seq_len": 4}}], None, "t")(
            ops(dict(sample)))


@pytest.mark.parametrize("name,opts,err", [
    ("VQATokenPad", {"max_seq_len": 0}, "max_seq_len"),
    ("VQASerTokenChunk", {"max_windows": "2"}, "max_windows"),
    ("VQAReTokenChunk", {"entities_labels": {"KEY": 1}}, "tail class"),
    ("TensorizeEntitiesRelations", {"infer_mode": "no"}, "infer_mode"),
])
def test_option_checks(name, opts, err):
    from ppocr.utils.errors import ConfigError

    with pytest.raises(ConfigError, match=err):
        build_transforms([{name: opts}], None, "t")


def test_reprs_and_order_errors():
    ops = build_transforms([{"VQATokenPad": {"max_seq_len": 16}}, {"VQASerTokenChunk": {"max_seq_len": 16}},
                            {"VQAReTokenRelation": None}, {"TensorizeEntitiesRelations": None}], None, "t")
    assert "VQATokenPad(max_seq_len=16" in repr(ops) and "VQASerTokenChunk(" in repr(ops)
    with pytest.raises(SampleError, match="put VQATokenLabelEncode before"):
        ops.ops[0]({"image": blank_page()})
    with pytest.raises(SampleError, match="contains_re"):
        ops.ops[2]({"entities": []})


KIE_TRANSFORMS = ["VQATokenLabelEncode", "VQATokenPad", "VQAReTokenRelation", "VQAReTokenChunk",
                  "TensorizeEntitiesRelations", "VQASerTokenChunk"]


def test_every_kie_transform_is_covered():
    from ppocr.registry import TRANSFORMS

    registered = {n for n in TRANSFORMS.names() if ".vqa." in TRANSFORMS.get(n).__module__}
    assert registered == set(KIE_TRANSFORMS)


@pytest.mark.parametrize("name", KIE_TRANSFORMS)
def test_kie_transform_contract(name, kie_data, starter):
    """The registry contract of tests/data/imaug/test_imaug_registry.py, with a KIE sample."""
    import json

    from ppocr.registry import TRANSFORMS

    w = windows_needed(kie_data, starter, ("train",))
    doc = TRANSFORMS.get(name).__doc__ or ""
    assert "Required" in doc and "Modified" in doc and "Added" in doc, name
    chain = [{"DecodeImage": {"img_mode": "RGB"}},
             {"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"), "tokenizer_path": starter,
                                      "contains_re": name != "VQASerTokenChunk"}},
             {"VQATokenPad": {"max_seq_len": MAX_SEQ_LEN}}, {"VQAReTokenRelation": None},
             {"VQAReTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "max_windows": w}}, {"TensorizeEntitiesRelations": None}]
    if name == "VQASerTokenChunk":
        chain = chain[:3] + [{"VQASerTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "max_windows": w}}]
    upto = next(i for i, e in enumerate(chain) if name in e) + 1
    ops = build_transforms(chain[:upto], None, "t")
    assert name in repr(ops.ops[-1])
    rel, ann = open(os.path.join(kie_data, "train.json")).readline().rstrip("\n").split("\t")
    with open(os.path.join(kie_data, rel), "rb") as f:
        out = ops({"img_path": rel, "label": ann, "image": f.read()})
    assert isinstance(out, dict) and "image" in out and "input_ids" in out
    json.dumps(out["ocr_info"])  # what inference writes out stays JSON


def test_infer_mode_takes_ocr_results(kie_data, starter):
    """Inference: lines come from an OCR engine (``ocr_info``, no labels) or, for RE, carry SER predictions."""
    ocr = [{"transcription": "Date:", "points": [[10, 10], [60, 10], [60, 30], [10, 30]]},
           {"transcription": "12/05/2020", "points": [[70, 10], [150, 10], [150, 30], [70, 30]]}]
    ops = build_transforms([{"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"),
                                                     "tokenizer_path": starter, "infer_mode": True}},
                            {"VQATokenPad": {"max_seq_len": MAX_SEQ_LEN, "infer_mode": True}},
                            {"VQASerTokenChunk": {"max_seq_len": MAX_SEQ_LEN, "infer_mode": True}}], None, "t")
    data = ops({"image": blank_page(), "ocr_info": ocr})
    assert "labels" not in data and data["input_ids"].shape == (MAX_SEQ_LEN,)
    assert [i["transcription"] for i in data["ocr_info"]] == ["Date:", "12/05/2020"]
    assert data["ocr_info"][0]["bbox"] == [10.0, 10.0, 60.0, 30.0]
    assert set(data["line_ids"].tolist()) == {-1, 0, 1}
    ser = [dict(ocr[0], label="QUESTION"), dict(ocr[1], label="ANSWER")]
    re_ops = build_transforms([{"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"),
                                                        "tokenizer_path": starter, "infer_mode": True,
                                                        "contains_re": True}}], None, "t")
    data = re_ops({"image": blank_page(), "ocr_info": ser})
    assert [e["label"] for e in data["entities"]] == ["QUESTION", "ANSWER"] and data["relations"] == []
