"""Regenerate the bundled demo sets.

Usage:
    python tools/make_demo_data.py --out train_data/demo/rec --train 3000 --eval 300 --seed 0
    python tools/make_demo_data.py --task det --out train_data/demo/det --train 200 --eval 50 --seed 0
    python tools/make_demo_data.py --task kie --out train_data/demo/kie --train 300 --eval 60 --seed 0
    python tools/make_demo_data.py --task lines --out train_data/demo/lines --train 2000 --eval 150 --seed 0
    python tools/make_demo_data.py --task lines --out /tmp/lines_triplex --held_out_face triplex
    python tools/make_demo_data.py --task cls --out train_data/demo/cls --train 800 --eval 200 --seed 0
"""
from __future__ import annotations

import argparse
import logging

from ppocr.data.demo.cls import make_cls_demo
from ppocr.data.demo.rec import make_rec_demo
from ppocr.data.demo.det import make_det_demo
from ppocr.data.demo.kie import make_kie_demo
from ppocr.data.demo.lines import make_lines_demo
from ppocr.data.demo.render import LEGIBLE_FACES

DEFAULTS = {"rec": {"out": "train_data/demo/rec", "train": 3000, "eval": 300, "height": 32},
            "det": {"out": "train_data/demo/det", "train": 200, "eval": 50},
            "kie": {"out": "train_data/demo/kie", "train": 300, "eval": 60},
            "lines": {"out": "train_data/demo/lines", "train": 2000, "eval": 150, "height": 36},
            "cls": {"out": "train_data/demo/cls", "train": 800, "eval": 200, "height": 48}}


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the demo set."""
    parser = argparse.ArgumentParser(description="Render a demo set: word crops (default), pages, forms or lines.")
    parser.add_argument("--task", choices=sorted(DEFAULTS), default="rec",
                        help="rec: word crops with 0-9a-z labels; det: document pages with word polygons; "
                             "kie: forms with SER classes and RE links; lines: text lines with .gt.txt (VGSL); "
                             "cls: text lines, half of them upside down, labelled 0/180 (text direction)")
    parser.add_argument("--out", default=None, help="dataset root (data_dir in configs); default "
                        + ", ".join(f"{t}: {d['out']}" for t, d in DEFAULTS.items()))
    parser.add_argument("--train", type=int, default=None,
                        help="number of training images (default rec: 3000, det: 200, kie: 300, lines: 2000, cls: 800)")
    parser.add_argument("--eval", type=int, default=None,
                        help="number of evaluation images (default rec: 300, det: 50, kie: 60, lines: 150, cls: 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--height", type=int, default=None,
                        help="image height in pixels (rec: default 32; lines: default 36, the spec's height; cls: 48)")
    parser.add_argument("--held_out_face", choices=LEGIBLE_FACES, default=None,
                        help="lines only: render the training lines without this face and the eval lines only with it")
    args = parser.parse_args(argv)
    if args.height is not None and "height" not in DEFAULTS[args.task]:
        parser.error(f"--height applies to --task rec, lines and cls, not {args.task}")
    if args.held_out_face is not None and args.task != "lines":
        parser.error(f"--held_out_face applies to --task lines, not {args.task}")
    for key, value in DEFAULTS[args.task].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.train < 0 or args.eval < 0:
        parser.error("--train and --eval must be >= 0")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.task == "kie":
        stats = make_kie_demo(args.out, args.train, args.eval, args.seed)
        print(f"wrote {stats['train']} train + {stats['eval']} eval forms ({stats['entries']} text lines; "
              f"{stats['bytes'] / 1e6:.2f} MB of PNG) to {args.out}")
        return
    if args.task == "det":
        stats = make_det_demo(args.out, args.train, args.eval, args.seed)
        print(f"wrote {stats['train']} train + {stats['eval']} eval pages ({stats['words']} words, "
              f"{stats['ignored']} do-not-care; {stats['bytes'] / 1e6:.2f} MB of PNG) to {args.out}")
        return
    if args.task == "lines":
        stats = make_lines_demo(args.out, args.train, args.eval, args.seed, args.height, args.held_out_face)
        faces = f"; eval face {args.held_out_face}, unseen in training" if args.held_out_face else ""
        print(f"wrote {stats['train']} train + {stats['eval']} eval lines ({args.height} px high{faces}; "
              f"{stats['bytes'] / 1e6:.2f} MB of PNG) to {args.out}")
        return
    if args.task == "cls":
        stats = make_cls_demo(args.out, args.train, args.eval, args.seed, args.height)
        print(f"wrote {stats['train']} train + {stats['eval']} eval lines ({args.height} px high, about half upside "
              f"down; {stats['bytes'] / 1e6:.2f} MB of PNG) to {args.out}")
        return
    stats = make_rec_demo(args.out, args.train, args.eval, args.seed, args.height)
    print(f"wrote {stats['train']} train + {stats['eval']} eval images "
          f"({stats['bytes'] / 1e6:.2f} MB of PNG) to {args.out}")


if __name__ == "__main__":
    main()
