"""Semantic entity recognition with an exported SER model (``paddle.inference``), PaddleOCR's flags.

Usage (from ``ppstructure/``, as in PaddleOCR; paths are relative to where you run it)::

    python3 kie/predict_kie_token_ser.py --kie_algorithm=LayoutXLM --ser_model_dir=../inference/ser_vi_layoutxlm \
        --use_visual_backbone=False --image_dir=../train_data/demo/kie/eval/000000.png \
        --det_model_dir=../inference/det --rec_model_dir=../inference/rec \
        --ser_dict_path=../train_data/demo/kie/class_list.txt --ocr_order_method="tb-yx" --use_gpu=False

The text lines come from the exported detector and recogniser (``--det_model_dir``,
``--rec_model_dir``). The pre-processing, tokenizer and class list come with the model
(``inference.yml`` and ``assets/`` written by ``tools/export_model.py``); ``--ser_dict_path``
and ``--ocr_order_method`` override them. Writes ``<output>/infer.txt``
(``image<TAB>{"ocr_info": [...]}``) and ``<output>/<image>_ser.jpg``.
"""
import logging
import sys

from ppocr.inference.utility import parse_args
from ppocr.kie.predictor import RESULTS_FILE, KIEPredictor, ocr_engine_from_args  # noqa: F401  (public names)
from ppocr.kie.predictor import predict_ser as predict
from ppocr.utils.cli import run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return run(lambda: predict(args))


if __name__ == "__main__":
    sys.exit(main())
