"""Detect and recognise text in whole images (PaddleOCR ``tools/infer/predict_system.py`` flags).

Usage:
    python tools/infer/predict_system.py --det_model_dir inference/det --rec_model_dir inference/rec \
        --image_dir page.png --use_gpu false
    python tools/infer/predict_system.py --det_model_dir inference/det --rec_model_dir inference/rec \
        --use_angle_cls true --cls_model_dir inference/cls --image_dir page.png --use_gpu false

Writes ``<draw_img_save_dir>/system_results.txt``
(``image_name<TAB>[{"transcription": ..., "points": [[x, y], ...]}, ...]``, reading order) and one
visualisation per image under the image's name (``--draw_img_save_dir``, default ``./inference_results``).
"""
from __future__ import annotations

import logging

from ppocr.inference.predict_system import predict_images
from ppocr.inference.utility import init_args, parse_args
from ppocr.utils.errors import ConfigError


def main(argv: list[str] | None = None) -> None:
    """Parse flags, read each image's text, print one line per image."""
    parser = init_args()
    args = parse_args(argv, parser)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        outputs = predict_images(args)
    except ConfigError as e:
        parser.error(str(e))
    for out in outputs:
        words = " ".join(r["transcription"] for r in out["regions"])
        print(f"{out['image']}\t{len(out['regions'])} regions\t{out['time']['all']:.3f}s\t{words}")
    total = sum(o["time"]["all"] for o in outputs)
    print(f"Total predict time for {len(outputs)} images, cost: {total:.3f}s; results in {args.draw_img_save_dir}")


if __name__ == "__main__":
    main()
