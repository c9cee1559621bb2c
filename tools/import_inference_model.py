"""Turn an inference model (e.g. a PaddleOCR release) into a training checkpoint for a config, by structure.

    python3 tools/import_inference_model.py -c configs/det/det_mv3_db.yml \\
        -o Global.pretrained_model=./ch_PP-OCRv4_det_infer --out ./pretrained/det/imported

Every tensor of the inference model goes to the parameter or BN statistic in the same place of the
config's network; the first place where they differ is reported. Parameters the export dropped (branches
that do not run in eval mode) keep their initial values and are listed. Then train, evaluate or export with
``-o Global.pretrained_model=./pretrained/det/imported``.
"""
import sys

from ppocr.engine import import_inference
from ppocr.utils.cli import config_parser, run
from ppocr.utils.config import get_config


def main(argv=None) -> int:
    parser = config_parser(__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="checkpoint prefix to write, e.g. ./pretrained/det/imported")
    args = parser.parse_args(argv)

    def go():
        report = import_inference(get_config(args.config, args.opt), args.out)
        sys.stdout.write(report.summary() + f"\ncheckpoint: {args.out}.pdparams\n")

    return run(go)


if __name__ == "__main__":
    sys.exit(main())
