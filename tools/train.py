"""Train a model from a YAML config.

    python3 tools/train.py -c configs/rec/rec_mv3_none_bilstm_ctc.yml
    python3 tools/train.py -c ... -o Global.checkpoints=./output/rec/mv3_none_bilstm_ctc/latest
    python3 -m paddle.distributed.launch --gpus 0,1 tools/train.py -c ...
"""
import sys

from ppocr.engine import train
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(train, __doc__))
