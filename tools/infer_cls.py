"""Classify the text direction of line images with the training-time model (no export needed).

    python3 tools/infer_cls.py -c configs/cls/cls_mv3.yml \
        -o Global.checkpoints=./output/cls/mv3/best_accuracy Global.infer_img=path/or/dir
"""
import sys

from ppocr.engine import infer
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(infer, __doc__))
