"""Regenerate the bundled recognition demo set.

Usage:
    python tools/make_demo_data.py --out train_data/demo/rec --train 3000 --eval 300 --seed 0
"""
from __future__ import annotations

import argparse
import logging

from ppocr.utils.demo_data import make_rec_demo


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the demo set."""
    parser = argparse.ArgumentParser(description="Render the word-recognition demo set (0-9a-z labels).")
    parser.add_argument("--out", default="train_data/demo/rec", help="dataset root (data_dir in configs)")
    parser.add_argument("--train", type=int, default=3000, help="number of training images")
    parser.add_argument("--eval", type=int, default=300, help="number of evaluation images")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--height", type=int, default=32, help="image height in pixels")
    args = parser.parse_args(argv)
    if args.train < 0 or args.eval < 0:
        parser.error("--train and --eval must be >= 0")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stats = make_rec_demo(args.out, args.train, args.eval, args.seed, args.height)
    print(f"wrote {stats['train']} train + {stats['eval']} eval images "
          f"({stats['bytes'] / 1e6:.2f} MB of PNG) to {args.out}")


if __name__ == "__main__":
    main()
