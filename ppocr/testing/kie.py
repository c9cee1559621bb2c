"""Helpers for the KIE tests: tiny synthetic forms and a tiny starter model built from them (no download)."""
from __future__ import annotations

import functools
import json
import os

import cv2
import numpy as np

from ppocr.data.imaug import build_transforms
from ppocr.data.imaug.vqa.kie_token_chunk import plan_windows
from ppocr.data.demo.kie import make_kie_demo
from ppocr.kie.starter import make_starter
from ppocr.utils.config import get_config

#: Window length of the tiny test models (their max_position_embeddings is this + 2).
MAX_SEQ_LEN = 64


def make_kie_data(root: str, num_train: int = 6, num_eval: int = 3, seed: int = 0, size: int = 480) -> str:
    """Render a few synthetic forms (``train.json``, ``eval.json``, ``class_list.txt``) under ``root``."""

    make_kie_demo(root, num_train=num_train, num_eval=num_eval, seed=seed, width=size, height=size)
    return root


def make_tiny_starter(label_file: str, out_dir: str) -> str:
    """A starter model directory with hidden size 48 and one layer (needs paddlenlp)."""

    make_starter([label_file], out_dir, vocab_size=200, hidden_size=48, num_layers=1, num_heads=2,
                 max_position_embeddings=MAX_SEQ_LEN + 2, max_seq_len=MAX_SEQ_LEN, seed=0)
    return out_dir


def windows_needed(kie_data: str, starter: str, splits: tuple[str, ...] = ("train", "eval"),
                   max_seq_len: int = MAX_SEQ_LEN) -> int:
    """The most windows of ``max_seq_len`` tokens any form of ``kie_data`` needs with ``starter``'s tokenizer.

    The count comes from the same encoder and window planner the chunk transforms use, so tests
    size ``max_windows`` from the data rather than from one tokenizer version's token counts.
    """

    encode = build_transforms([{"DecodeImage": {"img_mode": "RGB"}},
                               {"VQATokenLabelEncode": {"class_path": os.path.join(kie_data, "class_list.txt"),
                                                        "tokenizer_path": starter, "order_method": "tb-yx"}}],
                              None, "windows_needed")
    most = 1
    for split in splits:
        with open(os.path.join(kie_data, f"{split}.json"), encoding="utf-8") as f:
            lines = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
        for name, label in lines:
            with open(os.path.join(kie_data, name), "rb") as img:
                data = encode({"img_path": name, "image": img.read(), "label": label})
            ends = data["segment_offset_id"]
            most = max(most, len(plan_windows(ends, int(ends[-1]) if len(ends) else 0, max_seq_len)))
    return most


def blank_page(size: tuple[int, int] = (200, 300)) -> np.ndarray:
    """A decoded white page (``H x W x 3``), as DecodeImage leaves it."""
    return np.full(tuple(size) + (3,), 255, np.uint8)


def write_form(root: str, entries: list[dict], name: str = "form.png", size: tuple[int, int] = (200, 300),
               label_file: str = "labels.txt") -> str:
    """Write a blank page image and a one-line KIE label file for it; returns the label file path."""
    os.makedirs(root, exist_ok=True)
    cv2.imwrite(os.path.join(root, name), blank_page(size))
    path = os.path.join(root, label_file)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{name}\t{json.dumps(entries)}\n")
    return path


def smoke_config(name: str, kie_data: str, starter: str, save_dir: str) -> dict:
    """``configs/_smoke/<name>.yml`` pointed at generated forms ``kie_data`` and a starter model ``starter``.

    Sets the data folders and label files, the class list (encoder and post-processor), the
    tokenizer, every ``Backbone.pretrained`` (also under a distillation model's ``Models``) and the
    chunk transforms' ``max_windows``, sized from the forms with :func:`windows_needed`.
    """

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cfg = get_config(os.path.join(repo, "configs", "_smoke", f"{name}.yml"))
    class_path = os.path.join(kie_data, "class_list.txt")
    cfg["Global"]["save_model_dir"] = save_dir
    arch = cfg["Architecture"]
    for sub in (arch.get("Models") or {"": arch}).values():
        sub["Backbone"]["pretrained"] = starter
    if "class_path" in cfg["PostProcess"]:
        cfg["PostProcess"]["class_path"] = class_path
    for split, label in (("Train", "train.json"), ("Eval", "eval.json")):
        ds = cfg[split]["dataset"]
        ds["data_dir"], ds["label_file_list"] = kie_data, [os.path.join(kie_data, label)]
        for entry in ds["transforms"]:
            if "VQATokenLabelEncode" in entry:
                entry["VQATokenLabelEncode"] = dict(entry["VQATokenLabelEncode"], tokenizer_path=starter,
                                                    class_path=class_path)
            for chunk in ("VQASerTokenChunk", "VQAReTokenChunk"):
                if chunk in entry:
                    max_seq_len = entry[chunk].get("max_seq_len", MAX_SEQ_LEN)
                    entry[chunk] = dict(entry[chunk], max_windows=_windows(kie_data, starter, max_seq_len))
    return cfg


@functools.lru_cache(maxsize=None)
def _windows(kie_data: str, starter: str, max_seq_len: int) -> int:
    return windows_needed(kie_data, starter, max_seq_len=max_seq_len)
