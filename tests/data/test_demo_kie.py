"""The synthetic form generator writes valid, reproducible KIE labels."""
import json
import os

import cv2

from ppocr.data.demo.kie import make_kie_demo


def _read(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def test_demo_forms_are_valid_and_reproducible(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    stats = make_kie_demo(a, num_train=3, num_eval=2, seed=5, width=400, height=400)
    make_kie_demo(b, num_train=3, num_eval=2, seed=5, width=400, height=400)
    assert stats["train"] == 3 and stats["eval"] == 2 and stats["entries"] > 10
    assert open(os.path.join(a, "class_list.txt")).read().split() == ["OTHER", "QUESTION", "ANSWER", "HEADER"]
    assert open(os.path.join(a, "train.json")).read() == open(os.path.join(b, "train.json")).read()
    assert open(os.path.join(a, "train.json")).read() != open(os.path.join(a, "eval.json")).read()
    labels_seen = set()
    for split in ("train", "eval"):
        for rel, ann in _read(os.path.join(a, f"{split}.json")):
            img = cv2.imread(os.path.join(a, rel))
            assert img is not None and img.shape[:2] == (400, 400)
            entries = json.loads(ann)
            by_id = {e["id"]: e for e in entries}
            assert len(by_id) == len(entries)
            for e in entries:
                labels_seen.add(e["label"])
                assert e["transcription"].strip() and e["transcription"].isascii()
                (x0, y0), _, (x1, y1), _ = e["points"]
                assert 0 <= x0 < x1 <= 400 and 0 <= y0 < y1 <= 400
                for q, ans in e["linking"]:
                    assert (by_id[q]["label"], by_id[ans]["label"]) == ("question", "answer")
                    assert e["id"] in (q, ans)
    assert labels_seen == {"question", "answer", "header", "other"}
