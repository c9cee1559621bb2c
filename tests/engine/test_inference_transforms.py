"""The inference pre-processing derived from the Eval transforms (label_free_transforms), used by infer and export."""
import ppocr  # noqa: F401  (registers components)
from ppocr.engine.evaluator import label_free_transforms
from ppocr.registry import TRANSFORMS


def test_label_encoders_are_dropped_unless_kept_at_inference():
    rec = [{"DecodeImage": {"img_mode": "BGR"}}, {"CTCLabelEncode": None},
           {"RecResizeImg": {"image_shape": [3, 32, 100]}}, {"KeepKeys": {"keep_keys": ["image", "label", "length"]}}]
    assert label_free_transforms(rec) == [{"DecodeImage": {"img_mode": "BGR"}},
                                          {"RecResizeImg": {"image_shape": [3, 32, 100]}},  # infer_mode untouched
                                          {"KeepKeys": {"keep_keys": ["image"]}}]
    assert TRANSFORMS.get("VQATokenLabelEncode").keep_at_inference is True
    kie = [{"DecodeImage": None}, {"VQATokenLabelEncode": {"class_path": "c.txt", "contains_re": False}},
           {"VQATokenPad": {"max_seq_len": 8}},
           {"KeepKeys": {"keep_keys": ["input_ids", "bbox", "labels"]}}]
    out = label_free_transforms(kie, ("image", "input_ids", "bbox", "line_ids", "ocr_info"))
    assert out[1] == {"VQATokenLabelEncode": {"class_path": "c.txt", "contains_re": False, "infer_mode": True}}
    assert out[3] == {"KeepKeys": {"keep_keys": ["image", "input_ids", "bbox", "line_ids", "ocr_info"]}}
    assert kie[1]["VQATokenLabelEncode"] == {"class_path": "c.txt", "contains_re": False}  # input not modified
