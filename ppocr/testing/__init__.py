"""Helpers for tests and benchmarks: tiny generated datasets and configs pointed at them."""
from __future__ import annotations

import os

import numpy as np

from ppocr.utils.config import get_config
from ppocr.data.demo.rec import write_rec_split
from ppocr.data.demo.det import make_det_demo
from ppocr.data.demo.cls import write_cls_split
from ppocr.data.demo.render import render_line

def write_lines(folder: str, texts: list[str], seed: int, height: int = 24) -> str:
    """Render ``texts`` as ``NNN.png`` + ``NNN.gt.txt`` line pairs (the tesstrain/kraken layout) in ``folder``."""
    import cv2

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i, text in enumerate(texts):
        cv2.imwrite(os.path.join(folder, f"{i:03d}.png"), render_line(text, rng, "simplex", height=height,
                                                                      margin=(1, 2)))
        with open(os.path.join(folder, f"{i:03d}.gt.txt"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return folder


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMOKE_REC = os.path.join(REPO_ROOT, "configs", "_smoke", "rec_smoke.yml")
SMOKE_CLS = os.path.join(REPO_ROOT, "configs", "_smoke", "cls_smoke.yml")


def make_rec_data(root: str, num_train: int = 8, num_eval: int = 4, seed: int = 0, max_len: int = 6) -> str:
    """Render a tiny recognition dataset (``rec_gt_train.txt`` / ``rec_gt_eval.txt``) under ``root``."""

    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    write_rec_split(root, "train", num_train, np.random.default_rng(train_seq), max_len=max_len)
    write_rec_split(root, "eval", num_eval, np.random.default_rng(eval_seq), max_len=max_len)
    return root


def rec_config(data_dir: str, save_dir: str, overrides: list[str] | None = None, config: str = SMOKE_REC) -> dict:
    """Load ``config`` with its data and output paths pointed at ``data_dir`` / ``save_dir``."""
    opts = [f"Global.save_model_dir={save_dir}",
            f"Train.dataset.data_dir={data_dir}",
            f"Train.dataset.label_file_list=[{os.path.join(data_dir, 'rec_gt_train.txt')}]",
            f"Eval.dataset.data_dir={data_dir}",
            f"Eval.dataset.label_file_list=[{os.path.join(data_dir, 'rec_gt_eval.txt')}]"]
    return get_config(config, opts + list(overrides or []))


def make_det_data(root: str, num_train: int = 4, num_eval: int = 2, seed: int = 0, width: int = 320,
                  height: int = 256) -> str:
    """Render a tiny detection dataset (``det_gt_train.txt`` / ``det_gt_eval.txt``) of small pages under ``root``."""

    make_det_demo(root, num_train, num_eval, seed, width=width, height=height, empty_prob=0.0)
    return root


def make_cls_data(root: str, num_train: int = 8, num_eval: int = 4, seed: int = 0, height: int = 48) -> str:
    """Render a tiny text-direction dataset (``cls_gt_train.txt`` / ``cls_gt_eval.txt``, labels 0/180) under ``root``."""
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    write_cls_split(root, "train", num_train, np.random.default_rng(train_seq), height)
    write_cls_split(root, "eval", num_eval, np.random.default_rng(eval_seq), height)
    return root


def cls_config(data_dir: str, save_dir: str, overrides: list[str] | None = None, config: str = SMOKE_CLS) -> dict:
    """Load ``config`` (a classifier config) with its data and output paths pointed at ``data_dir`` / ``save_dir``."""
    opts = [f"Global.save_model_dir={save_dir}",
            f"Train.dataset.data_dir={data_dir}",
            f"Train.dataset.label_file_list=[{os.path.join(data_dir, 'cls_gt_train.txt')}]",
            f"Eval.dataset.data_dir={data_dir}",
            f"Eval.dataset.label_file_list=[{os.path.join(data_dir, 'cls_gt_eval.txt')}]"]
    return get_config(config, opts + list(overrides or []))
