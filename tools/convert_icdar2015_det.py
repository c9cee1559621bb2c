"""Convert ICDAR 2015 ground truth (gt_img_N.txt files) to a PaddleOCR detection label file.

Usage:
    python tools/convert_icdar2015_det.py --gt_dir icdar2015/ch4_training_localization_transcription_gt \
        --image_dir icdar2015/ch4_training_images --out icdar2015/train_label.txt
"""
from __future__ import annotations

import argparse
import logging

from ppocr.data.det_label_convert import convert_icdar2015
from ppocr.utils.errors import DataError


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the label file."""
    parser = argparse.ArgumentParser(description="ICDAR 2015 gt_img_N.txt files -> PaddleOCR det label file "
                                                 "(image path, TAB, JSON list of regions).")
    parser.add_argument("--gt_dir", required=True, help="folder of gt_img_N.txt files")
    parser.add_argument("--image_dir", required=True, help="folder of img_N.jpg images")
    parser.add_argument("--out", required=True, help="label file to write")
    parser.add_argument("--image_prefix", default=None,
                        help="folder written before each image name (default: --image_dir relative to the "
                             "label file's folder, which then serves as data_dir)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        stats = convert_icdar2015(args.gt_dir, args.image_dir, args.out, args.image_prefix)
    except DataError as e:
        parser.error(str(e))
    print(f"wrote {stats['images']} images, {stats['regions']} regions ({stats['ignored']} do-not-care) to {args.out}")


if __name__ == "__main__":
    main()
