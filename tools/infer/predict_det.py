"""Detect text in images with an exported DB model (PaddleOCR ``tools/infer/predict_det.py`` flags).

Usage:
    python tools/infer/predict_det.py --det_model_dir inference/det --image_dir page.png --use_gpu false

Writes ``<draw_img_save_dir>/det_results.txt`` (``image_name<TAB>[[[x, y], ...], ...]``) and
``det_res_<image_name>`` with the boxes drawn (``--draw_img_save_dir``, default ``./inference_results``).
"""
from __future__ import annotations

import logging

from ppocr.inference.predict_det import detect_images
from ppocr.inference.utility import init_args, parse_args
from ppocr.utils.errors import ConfigError


def main(argv: list[str] | None = None) -> None:
    """Parse flags, detect text in each image, print one line per image."""
    parser = init_args()
    args = parse_args(argv, parser)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        outputs = detect_images(args)
    except ConfigError as e:
        parser.error(str(e))
    for out in outputs:
        print(f"{out['image']}\t{len(out['boxes'])} boxes\t{out['time']:.3f}s")
    total = sum(o["time"] for o in outputs)
    print(f"Total predict time for {len(outputs)} images, cost: {total:.3f}s; results in {args.draw_img_save_dir}")


if __name__ == "__main__":
    main()
