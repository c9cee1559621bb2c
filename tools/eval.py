"""Evaluate a checkpoint on the config's Eval section.

    python3 tools/eval.py -c configs/rec/rec_mv3_none_bilstm_ctc.yml -o Global.checkpoints=./output/.../best_accuracy
"""
import sys

from ppocr.engine import evaluate
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(evaluate, __doc__))
