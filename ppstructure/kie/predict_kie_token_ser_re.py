"""SER then relation extraction with exported models (``paddle.inference``), PaddleOCR's flags.

Usage (from ``ppstructure/``, as in PaddleOCR)::

    python3 kie/predict_kie_token_ser_re.py --kie_algorithm=LayoutXLM --re_model_dir=../inference/re_vi_layoutxlm \
        --ser_model_dir=../inference/ser_vi_layoutxlm --use_visual_backbone=False \
        --image_dir=../train_data/demo/kie/eval/000000.png --det_model_dir=../inference/det \
        --rec_model_dir=../inference/rec --ser_dict_path=../train_data/demo/kie/class_list.txt \
        --ocr_order_method="tb-yx" --use_gpu=False

Writes ``<output>/infer.txt`` (``image<TAB>{"ocr_info": [...], "relations": [[question, answer], ...]}``) and
``<output>/<image>_ser_re.jpg`` (SER classes on the left, links on the right).
"""
import logging
import sys

from ppocr.inference.utility import parse_args
from ppocr.kie.predictor import predict_ser_re as predict
from ppocr.utils.cli import run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return run(lambda: predict(args))


if __name__ == "__main__":
    sys.exit(main())
