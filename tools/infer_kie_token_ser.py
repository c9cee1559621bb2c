"""Semantic entity recognition (a class per text line) with the training-time model.

    # OCR from this toolkit's exported det + rec models
    python3 tools/infer_kie_token_ser.py -c configs/kie/vi_layoutxlm/ser_vi_layoutxlm_xfund_zh.yml \
        -o Architecture.Backbone.checkpoints=./output/ser_vi_layoutxlm_xfund_zh/best_accuracy \
           Global.infer_img=img.jpg Global.kie_det_model_dir=./inference/det Global.kie_rec_model_dir=./inference/rec
    # OCR from a label file
    python3 tools/infer_kie_token_ser.py -c ... -o Architecture.Backbone.checkpoints=... \
        Global.infer_img=train_data/demo/kie/eval.json Global.infer_mode=False

Results: Global.save_res_path/infer_results.txt and <image>_ser.jpg drawings.
"""
import sys

from ppocr.kie.infer import infer_ser
from ppocr.utils.cli import run_config_tool

if __name__ == "__main__":
    sys.exit(run_config_tool(infer_ser, __doc__))
