"""Detect text in images with the training-time model (no export needed).

    python3 tools/infer_det.py -c configs/det/det_mv3_db.yml \
        -o Global.checkpoints=./output/db_mv3/best_accuracy Global.infer_img=path/or/dir

Writes ``Global.save_res_path`` (``img_path<TAB>[{"points": ...}]`` per image) and the images with
their boxes drawn under ``<save_res_path folder>/det_results/``.
"""
import sys

from ppocr.engine import infer
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(infer, __doc__))
