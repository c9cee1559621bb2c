"""Relation extraction (question -> answer links) after SER, with the training-time models.

    python3 tools/infer_kie_token_ser_re.py -c configs/kie/vi_layoutxlm/re_vi_layoutxlm_xfund_zh.yml \
        -o Architecture.Backbone.checkpoints=./output/re_vi_layoutxlm_xfund_zh/best_accuracy \
           Global.infer_img=train_data/demo/kie/eval.json Global.infer_mode=False \
        -c_ser configs/kie/vi_layoutxlm/ser_vi_layoutxlm_xfund_zh.yml \
        -o_ser Architecture.Backbone.checkpoints=./output/ser_vi_layoutxlm_xfund_zh/best_accuracy

The RE config's Global decides the pages (infer_img, infer_mode, kie_det/rec_model_dir) and the output folder
(save_res_path: infer_results.txt and <image>_ser_re.jpg drawings).
"""
import sys

from ppocr.kie.infer import infer_ser_re
from ppocr.utils.cli import config_parser, run
from ppocr.utils.config import get_config


def main(argv=None) -> int:
    parser = config_parser(__doc__)
    parser.add_argument("-c_ser", "--config_ser", required=True, help="the SER config")
    parser.add_argument("-o_ser", "--opt_ser", nargs="+", action="extend", default=[],
                        help="overrides of the SER config, e.g. -o_ser Architecture.Backbone.checkpoints=...")
    args = parser.parse_args(argv)
    return run(lambda: infer_ser_re(get_config(args.config, args.opt), get_config(args.config_ser, args.opt_ser)))


if __name__ == "__main__":
    sys.exit(main())
