"""Convert FUNSD annotations (one json per form) to PaddleOCR KIE label lines.

Usage:
    python3 ppstructure/kie/tools/trans_funsd_label.py --anno_dir funsd/training_data/annotations \
        --output train_data/funsd/train.json
    # a held-out split from one folder: forms sorted by name, the 5th, 10th, ... to eval.json
    python3 ppstructure/kie/tools/trans_funsd_label.py --anno_dir funsd/training_data/annotations \
        --output train_data/funsd/train.json --eval_every 5 --eval_output train_data/funsd/eval.json

Entities that wrap over several text lines are split into one entry per line; by default the
output is identical to PaddleOCR's FUNSD labels (``--no_paddleocr_compat`` keeps lines that
start with an empty word and leaves empty words out).
"""
from __future__ import annotations

import argparse
import logging

from ppocr.utils.cli import run
from ppocr.kie.convert import funsd_dir_to_lines, write_lines


def convert(anno_dir: str, out: str, image_ext: str, wrap_tolerance: float, compat: bool,
            eval_every: int = 0, eval_out: str | None = None) -> None:
    lines = funsd_dir_to_lines(anno_dir, image_ext, wrap_tolerance, compat)
    log = logging.getLogger("ppocr")
    if eval_every:
        held = [ln for i, ln in enumerate(lines) if i % eval_every == eval_every - 1]
        lines = [ln for i, ln in enumerate(lines) if i % eval_every != eval_every - 1]
        write_lines(held, eval_out)
        log.info("wrote %d forms (every %d-th by name) to %s", len(held), eval_every, eval_out)
    write_lines(lines, out)
    log.info("wrote %d forms to %s", len(lines), out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="FUNSD annotations -> PaddleOCR KIE label file")
    p.add_argument("--anno_dir", required=True, help="folder of FUNSD *.json annotation files")
    p.add_argument("--output", required=True, help="label file to write")
    p.add_argument("--image_ext", default=".png", help="image file extension replacing .json")
    p.add_argument("--wrap_tolerance", type=float, default=10.0,
                   help="pixels a word may start left of the previous word's end and stay on its line")
    p.add_argument("--no_paddleocr_compat", action="store_true",
                   help="keep lines whose first word is empty and drop empty words from the text")
    p.add_argument("--eval_every", type=int, default=0,
                   help="hold out every N-th form (sorted by name: the N-th, 2N-th, ...) into --eval_output")
    p.add_argument("--eval_output", default=None, help="label file for the held-out forms (with --eval_every)")
    args = p.parse_args(argv)
    if args.eval_every < 0 or args.eval_every == 1 or bool(args.eval_every) != bool(args.eval_output):
        p.error("--eval_every N (N >= 2) and --eval_output go together")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run(lambda: convert(args.anno_dir, args.output, args.image_ext, args.wrap_tolerance,
                               not args.no_paddleocr_compat, args.eval_every, args.eval_output))


if __name__ == "__main__":
    raise SystemExit(main())
