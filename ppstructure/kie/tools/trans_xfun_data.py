"""Convert an XFUND annotation file to PaddleOCR KIE label lines.

Usage:
    python3 ppstructure/kie/tools/trans_xfun_data.py --input XFUND/zh.train.json --output train_data/XFUND/zh_train/train.json

Each document becomes ``image_name<TAB>[{"transcription", "label", "points", "id", "linking"}]``.
"""
from __future__ import annotations

import argparse
import json
import logging

from ppocr.utils.cli import run
from ppocr.utils.errors import DataError
from ppocr.kie.convert import write_lines, xfund_to_lines


def convert(src: str, out: str) -> None:
    try:
        with open(src, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read XFUND file {src}: {e}") from e
    lines = xfund_to_lines(data, src)
    write_lines(lines, out)
    logging.getLogger("ppocr").info("wrote %d documents to %s", len(lines), out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="XFUND json -> PaddleOCR KIE label file")
    p.add_argument("--input", required=True, help="XFUND annotation file, e.g. zh.train.json")
    p.add_argument("--output", required=True, help="label file to write")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run(lambda: convert(args.input, args.output))


if __name__ == "__main__":
    raise SystemExit(main())
