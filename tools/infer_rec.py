"""Recognise text images with the training-time model (no export needed).

    python3 tools/infer_rec.py -c configs/rec/rec_mv3_none_bilstm_ctc.yml \
        -o Global.checkpoints=./output/.../best_accuracy Global.infer_img=path/or/dir
"""
import sys

from ppocr.engine import infer
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(infer, __doc__))
