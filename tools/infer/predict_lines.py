"""Recognise a folder of text-line images with an exported VGSL model (paddle.inference).

Usage:
    python3 tools/infer/predict_lines.py --rec_model_dir inference/vgsl_lines --image_dir train_data/demo/lines/eval \
        --use_gpu false [--rec_batch_num 1] [--save_res_path out.txt]

Prints (and with --save_res_path writes) one ``path<TAB>text<TAB>score`` line per image.
"""
from __future__ import annotations

import logging
import os

from ppocr.inference.predict_lines import LineRecognizer
from ppocr.inference.utility import get_image_file_list, init_args, parse_args
from ppocr.utils.errors import ConfigError, DataError


def main(argv: list[str] | None = None) -> None:
    """Parse flags, recognise the images, print one line per image."""
    parser = init_args()
    parser.add_argument("--save_res_path", type=str, default=None, help="also write the results to this file")
    parser.set_defaults(rec_batch_num=1)  # one line at a time: exact (no padding) and as fast on a CPU
    args = parse_args(argv, parser)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("predict_lines")
    try:
        files = get_image_file_list(args.image_dir, log)
        recognizer = LineRecognizer(args)
        images = []
        for path in files:
            with open(path, "rb") as f:
                images.append(f.read())
        results, elapsed = recognizer(images)
    except (ConfigError, DataError) as e:
        parser.error(str(e))
    lines = [f"{path}\t{text}\t{score:.6f}" for path, (text, score) in zip(files, results)]
    print("\n".join(lines))
    print(f"{len(files)} lines in {elapsed:.3f}s")
    if args.save_res_path:
        os.makedirs(os.path.dirname(os.path.abspath(args.save_res_path)), exist_ok=True)
        with open(args.save_res_path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    main()
