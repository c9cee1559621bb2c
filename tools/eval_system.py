"""Score the end-to-end OCR system (detector + recogniser) on a labelled detection set.

    python3 tools/eval_system.py --det_model_dir ./inference/det/ --rec_model_dir ./inference/rec/ \
        --rec_char_dict_path= --use_space_char=False \
        --label_file train_data/demo/det/det_gt_eval.txt --data_dir train_data/demo/det/ [--lower] [--max_images 20]

For each page the system's words, in the order ``predict_system.py`` returns them, are aligned with the label
file's words in reading order (do-not-care regions left out). The word error rate is the word-level Levenshtein
distance over the number of label words, so a word read right but out of order counts as an error; ``page
exact`` is the share of pages read with no error at all. ``--lower`` compares lower-cased (a recogniser
trained on 0-9a-z). Every other flag is ``predict_system.py``'s.
"""
from __future__ import annotations

import logging
import sys

from ppocr.inference.predict_system import TextSystem
from ppocr.inference.system_eval import load_labels, score_pages
from ppocr.inference.utility import init_args, parse_args
from ppocr.utils.errors import ConfigError


def main(argv: list[str] | None = None) -> dict:
    """Parse flags, read and score every labelled page, print the figures."""
    parser = init_args()
    parser.add_argument("--label_file", required=True, help="PaddleOCR det label file (image<TAB>JSON regions)")
    parser.add_argument("--data_dir", default="", help="image paths in the label file are relative to this")
    parser.add_argument("--lower", action="store_true", help="compare lower-cased words")
    parser.add_argument("--max_images", type=int, default=0, help="score only the first N pages (0: all)")
    args = parse_args(argv, parser)
    logging.basicConfig(level=logging.INFO if args.show_log else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        pages = load_labels(args.label_file, args.data_dir)
    except (ConfigError, OSError) as e:
        parser.error(str(e))
    if args.max_images > 0:
        pages = pages[:args.max_images]
    result = score_pages(pages, TextSystem(args), lower=args.lower)
    print(f"pages {result['pages']}, label words {result['words']}, word errors {result['word_errors']} "
          f"(WER {result['wer']:.4f}; read right in any order {result['found_any_order']:.4f}), "
          f"pages read exactly {result['page_exact']:.4f}, {result['seconds_per_page'] * 1000:.0f} ms/page")
    print("most errors: " + ", ".join(f"{name} ({e})" for e, name in result["worst"]))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
