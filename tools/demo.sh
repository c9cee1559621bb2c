#!/usr/bin/env bash
# The README's main job: train CRNN on the bundled demo set, evaluate, export, and predict with the exported model.
# Training uses two processes on CPU (Paddle's CPU conv kernels use one core each; see benchmarks/rec_throughput.py),
# one on GPU builds. Extra arguments are passed to train.py as -o overrides (e.g. Global.epoch_num=2 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
CFG=configs/rec/rec_mv3_none_bilstm_ctc.yml
OUT=./output/rec/mv3_none_bilstm_ctc
if python3 -c "import paddle, sys; sys.exit(0 if paddle.is_compiled_with_cuda() or paddle.is_compiled_with_rocm() else 1)"; then
    python3 tools/train.py -c $CFG -o Global.save_model_dir=$OUT/ "$@"
else
    OMP_NUM_THREADS=1 python3 -m paddle.distributed.launch --nproc_per_node 2 --log_dir $OUT/launch \
        tools/train.py -c $CFG -o Global.use_gpu=False Global.save_model_dir=$OUT/ Train.loader.batch_size_per_card=8 \
        Train.loader.num_workers=1 "$@"
fi
python3 tools/eval.py -c $CFG -o Global.checkpoints=$OUT/best_accuracy Global.use_gpu=False
python3 tools/export_model.py -c $CFG -o Global.pretrained_model=$OUT/best_accuracy Global.save_inference_dir=./inference/rec/
python3 tools/infer/predict_rec.py --rec_model_dir=./inference/rec/ --image_dir=train_data/demo/rec/eval/000000.png \
    --use_gpu=False --rec_char_dict_path= --use_space_char=False
