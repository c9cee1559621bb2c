"""Classify the text direction of line images with an exported model (PaddleOCR ``tools/infer/predict_cls.py``
flags).

Usage:
    python tools/infer/predict_cls.py --cls_model_dir inference/cls --image_dir line.png --use_gpu false
"""
from __future__ import annotations

import logging

from ppocr.inference.predict_cls import TextClassifier
from ppocr.inference.utility import init_args, iter_images, parse_args
from ppocr.utils.errors import ConfigError


def main(argv: list[str] | None = None) -> None:
    """Parse flags, read the images, classify them and print one line per image."""
    parser = init_args()
    args = parse_args(argv, parser)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        classifier = TextClassifier(args)
        paths, images = zip(*iter_images(args.image_dir))
        _, results, elapsed = classifier(list(images))
    except ConfigError as e:
        parser.error(str(e))
    for path, (label, score) in zip(paths, results):
        print(f"Predicts of {path}:{[label, score]}")
    print(f"Total predict time for {len(images)} images, cost: {elapsed:.3f}s")


if __name__ == "__main__":
    main()
