"""Compile text lines into one .lines file for fast loading (as kraken's `ketos compile`).

    python3 tools/compile_lines.py --format xml --height 36 -o train.lines '../shared/data/pages/cremma_alto/*.xml'
    python3 tools/compile_lines.py --format lines --height 36 -o fraktur.lines ../shared/data/lines/fraktur
    python3 tools/compile_lines.py --format box -o eng.lines 'data/eng/*.box'

Then train with `Train.dataset: {name: CompiledLineDataSet, data: [train.lines], ...}` (partition works on it as
on the sources). Bad lines are skipped and counted (--strict stops at the first).
"""
from __future__ import annotations

import argparse
import logging
import sys

from ppocr.data.vgsl_compiled_dataset import compile_lines
from ppocr.registry import DATASETS
from ppocr.utils.cli import run

FORMATS = {"lines": "LineDataSet", "box": "BoxLineDataSet", "xml": "XMLLineDataSet", "compiled": "CompiledLineDataSet"}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, list the lines, write the compiled file."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data", nargs="+", help="files, folders, glob patterns or list files")
    p.add_argument("-o", "--out", required=True, help="the .lines file to write")
    p.add_argument("--format", choices=sorted(FORMATS), default="lines",
                   help="lines: image + .gt.txt; box: Tesseract .box + image; xml: ALTO/PAGE pages")
    p.add_argument("--height", type=int, default=0, help="scale lines to this height (the spec's); 0 keeps them")
    p.add_argument("--channels", type=int, choices=(1, 3), default=1, help="1: grey, 3: colour (the spec's depth)")
    p.add_argument("--strict", action="store_true", help="stop at the first bad line instead of skipping it")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    def go():
        dataset = DATASETS.get(FORMATS[args.format])(data=args.data, transforms=None,
                                                       skip_bad_samples=not args.strict)
        stats = compile_lines(dataset, args.out, height=args.height, channels=args.channels)
        print(f"{args.out}: {stats['lines']} lines, {stats['bytes'] / 1e6:.1f} MB; skipped {stats['skipped']}"
              + (f" ({', '.join(f'{n} {r}' for r, n in stats['reasons'].items())})" if stats["skipped"] else ""))

    return run(go)


if __name__ == "__main__":
    sys.exit(main())
