"""Logger set-up: PaddleOCR's line format on the console and in ``save_model_dir/train.log``.

Only rank 0 writes the file and INFO lines; other ranks log warnings and errors only.
"""
from __future__ import annotations

import logging
import os
import sys

FORMAT = "[%(asctime)s] %(name)s %(levelname)s: %(message)s"
DATEFMT = "%Y/%m/%d %H:%M:%S"


def get_rank() -> int:
    return int(os.environ.get("PADDLE_TRAINER_ID", os.environ.get("RANK", "0")))


def get_world_size() -> int:
    return int(os.environ.get("PADDLE_TRAINERS_NUM", os.environ.get("WORLD_SIZE", "1")))


def setup_logging(log_file: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Configure the ``ppocr`` logger (idempotent) and return it.

    Args:
        log_file: file to append to on rank 0 (its folder is created).
        level: level on rank 0; other ranks use WARNING.
    """
    logger = logging.getLogger("ppocr")
    rank = get_rank()
    logger.setLevel(level if rank == 0 else logging.WARNING)
    logger.propagate = False
    fmt = logging.Formatter(FORMAT, datefmt=DATEFMT)
    for h in list(logger.handlers):
        if getattr(h, "_ppocr", False):
            logger.removeHandler(h)
            h.close()
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(fmt)
    console._ppocr = True
    logger.addHandler(console)
    if log_file and rank == 0:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        fh = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        fh.setFormatter(fmt)
        fh._ppocr = True
        logger.addHandler(fh)
    return logger
