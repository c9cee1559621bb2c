"""Helpers for the KIE tests: tiny synthetic forms and a tiny starter model built from them (no download)."""
from __future__ import annotations

import json
import os

import cv2
import numpy as np

#: Window length of the tiny test models (their max_position_embeddings is this + 2).
MAX_SEQ_LEN = 64


def make_kie_data(root: str, num_train: int = 6, num_eval: int = 3, seed: int = 0, size: int = 480) -> str:
    """Render a few synthetic forms (``train.json``, ``eval.json``, ``class_list.txt``) under ``root``."""
    from ppocr.utils.kie_demo_data import make_kie_demo

    make_kie_demo(root, num_train=num_train, num_eval=num_eval, seed=seed, width=size, height=size)
    return root


def make_tiny_starter(label_file: str, out_dir: str) -> str:
    """A starter model directory with hidden size 48 and one layer (needs paddlenlp)."""
    from ppocr.utils.kie_starter import make_starter

    make_starter([label_file], out_dir, vocab_size=200, hidden_size=48, num_layers=1, num_heads=2,
                 max_position_embeddings=MAX_SEQ_LEN + 2, max_seq_len=MAX_SEQ_LEN, seed=0)
    return out_dir


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
    tokenizer and every ``Backbone.pretrained`` (also under a distillation model's ``Models``).
    """
    from ppocr.utils.config import get_config

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
    return cfg
