"""Export trained weights to a Paddle inference model (inference.json/.pdiparams + inference.yml).

    python3 tools/export_model.py -c configs/rec/rec_mv3_none_bilstm_ctc.yml \
        -o Global.pretrained_model=./output/.../best_accuracy Global.save_inference_dir=./inference/rec/
"""
import sys

from ppocr.engine import export
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(export, __doc__))
