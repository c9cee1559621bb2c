"""CRNN recognition on CPU: training throughput per thread setting, and inference latency.

    python3 benchmarks/rec_throughput.py [--steps 12] [--images 60]

Training rows run ``tools/train.py`` on the demo set in a fresh process each (thread settings must be
in place before Paddle loads), report samples/s over the steps after a warm-up, and a ratio against
the first row. Inference rows compare the training-time model with the exported model served through
``paddle.inference`` (CPU threads, MKLDNN on/off), per image at batch 1 and per batch of 6.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFG = os.path.join(REPO, "configs", "rec", "rec_mv3_none_bilstm_ctc.yml")
IPS = re.compile(r"global_step: (\d+),.*ips: ([0-9.]+) samples/s")


def train_run(out: str, steps: int, env_extra: dict, overrides=(), nproc: int = 1) -> float:
    """Mean ips of the logged windows after the first one (warm-up)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update(env_extra)
    args = ["-c", CFG, "-o", f"Global.save_model_dir={out}", f"Global.max_steps={steps}", "Global.print_batch_step=4",
            "Global.eval_batch_step=[100000, 100000]", "Global.use_gpu=False", *overrides]
    cmd = [sys.executable, os.path.join(REPO, "tools", "train.py"), *args]
    if nproc > 1:
        cmd = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(nproc),
               "--log_dir", os.path.join(out, "launch"), os.path.join(REPO, "tools", "train.py"), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    log = r.stdout + r.stderr
    if os.path.isfile(os.path.join(out, "train.log")):
        log = open(os.path.join(out, "train.log")).read()
    rows = [float(m.group(2)) for m in IPS.finditer(log)]
    if r.returncode != 0 or len(rows) < 2:
        raise RuntimeError(f"training run failed:\n{log[-3000:]}")
    per_rank = sum(rows[1:]) / len(rows[1:])
    return per_rank * nproc        # rank 0 logs its own ips; the ranks run in lockstep


def infer_rows(work: str, n_images: int) -> list[tuple[str, float, float]]:
    import cv2

    import ppocr  # noqa: F401
    from ppocr.engine import export
    from ppocr.inference.predict_rec import TextRecognizer
    from ppocr.utils.config import get_config

    ckpt = os.path.join(work, "t1", "latest")
    inf = os.path.join(work, "inference")
    export(get_config(CFG, [f"Global.pretrained_model={ckpt}", f"Global.save_inference_dir={inf}"]))
    root = os.path.join(REPO, "train_data", "demo", "rec", "eval")
    imgs = [cv2.imread(os.path.join(root, f)) for f in sorted(os.listdir(root))[:n_images]]
    rows = []
    for threads, mkldnn in ((1, False), (1, True), (2, True)):
        rec = TextRecognizer({"rec_model_dir": inf, "use_gpu": False, "cpu_threads": threads,
                              "enable_mkldnn": mkldnn, "rec_batch_num": 1})
        rec(imgs[:3])
        t = time.perf_counter()
        for im in imgs:
            rec([im])
        single = (time.perf_counter() - t) / len(imgs)
        rec6 = TextRecognizer({"rec_model_dir": inf, "use_gpu": False, "cpu_threads": threads,
                               "enable_mkldnn": mkldnn, "rec_batch_num": 6})
        rec6(imgs[:6])
        t = time.perf_counter()
        rec6(imgs)
        batched = (time.perf_counter() - t) / len(imgs) * 6
        rows.append((f"paddle.inference threads={threads} mkldnn={mkldnn}", single, batched))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--images", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        settings = [
            ("1 process, Paddle default threads (no OMP_NUM_THREADS)", {}, [], 1, "t0"),
            ("1 process, Global.num_threads=1", {}, ["Global.num_threads=1"], 1, "t1"),
            ("1 process, OMP_NUM_THREADS=2", {"OMP_NUM_THREADS": "2"}, [], 1, "t2"),
            ("1 process, Global.num_threads=2", {}, ["Global.num_threads=2"], 1, "t3"),
            ("2 processes (launch, CPU), 1 thread each, batch 32/proc", {"OMP_NUM_THREADS": "1"},
             ["Train.loader.batch_size_per_card=32", "Train.loader.num_workers=1"], 2, "t4"),
        ]
        print(f"training throughput, {CFG.split(os.sep)[-1]}, batch 64 (global), {args.steps} steps, demo set")
        print("| setting | samples/s | ratio |\n|---|---|---|")
        ref = None
        for name, env, over, nproc, tag in settings:
            ips = train_run(os.path.join(work, tag), args.steps, env, over, nproc)
            ref = ref or ips
            print(f"| {name} | {ips:.1f} | {ips / ref:.2f} |", flush=True)
        print(f"\ninference latency, {args.images} demo eval images")
        print("| predictor | ms/image (batch 1) | ms/batch of 6 |\n|---|---|---|")
        for name, single, batched in infer_rows(work, args.images):
            print(f"| {name} | {single * 1000:.1f} | {batched * 1000:.1f} |", flush=True)


if __name__ == "__main__":
    main()
