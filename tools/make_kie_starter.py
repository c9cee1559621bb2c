"""Build a starter LayoutXLM model directory for KIE training, with no download.

Usage:
    python3 tools/make_kie_starter.py --label_files train_data/kie/train.json \
        --out ./pretrained/starter_layoutxlm [--vocab_size 8000 --hidden_size 192 --num_layers 4 --num_heads 4]

Then set ``Architecture.Backbone.pretrained`` and ``VQATokenLabelEncode.tokenizer_path`` to the
output directory.
"""
from __future__ import annotations

import argparse
import logging

from ppocr.utils.cli import run
from ppocr.kie.starter import TOKENIZER_MODEL_TYPES, make_starter


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the starter directory; returns the exit code."""
    p = argparse.ArgumentParser(description="Train a tokenizer on your KIE label files and write a small "
                                            "random-init LayoutXLM next to it (no download).")
    p.add_argument("--label_files", nargs="+", required=True, help="KIE label files (training split)")
    p.add_argument("--out", required=True, help="output directory, e.g. ./pretrained/starter_layoutxlm")
    p.add_argument("--vocab_size", type=int, default=8000, help="upper bound of tokenizer pieces")
    p.add_argument("--tokenizer_type", choices=TOKENIZER_MODEL_TYPES, default="unigram")
    p.add_argument("--hidden_size", type=int, default=192, help="divisible by 6 and by --num_heads")
    p.add_argument("--num_layers", type=int, default=4)
    p.add_argument("--num_heads", type=int, default=4)
    p.add_argument("--intermediate_size", type=int, default=None, help="default 4 * hidden_size")
    p.add_argument("--max_position_embeddings", type=int, default=514)
    p.add_argument("--max_seq_len", type=int, default=512, help="window length for the token statistics")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    p.add_argument("--random_positions", action="store_true",
                   help="random position and box embeddings instead of sinusoidal ones (slower to train from)")
    p.add_argument("--relative_attention", action="store_true",
                   help="attention biases for relative token positions and box offsets (as LayoutXLM-base)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run(lambda: make_starter(
        args.label_files, args.out, vocab_size=args.vocab_size, hidden_size=args.hidden_size,
        num_layers=args.num_layers, num_heads=args.num_heads, intermediate_size=args.intermediate_size,
        max_position_embeddings=args.max_position_embeddings, model_type=args.tokenizer_type, seed=args.seed,
        max_seq_len=args.max_seq_len, overwrite=args.overwrite, smooth_positions=not args.random_positions,
        relative_attention=args.relative_attention))


if __name__ == "__main__":
    raise SystemExit(main())
