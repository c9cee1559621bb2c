"""DB detection on CPU: training throughput, exported-detector latency per image, end-to-end system latency.

    python3 benchmarks/det_throughput.py [--steps 6] [--batch_size 16] [--images 10]
                                         [--det_model_dir DIR] [--rec_model_dir DIR]

Training rows run ``tools/train.py -c configs/det/det_mv3_db.yml`` on the demo det set in a fresh process each
(thread settings must be in place before Paddle loads) and report samples/s over the logged steps after the
first (warm-up), with a ratio against the first row.

Inference rows serve an exported detector through ``paddle.inference`` (``TextDetector``) on the demo eval
pages, per image, for CPU threads x oneDNN, with the model's own resize (``inference.yml``: the config's
Eval ``DetResizeForTest``) and with PaddleOCR's default flags ``--det_limit_side_len 960 --det_limit_type max``.
Without ``--det_model_dir`` the detector is the checkpoint of the first training row (a few steps: its boxes
are meaningless), so the system rows run the real detector but hand the recogniser each page's labelled word
boxes, which keeps the recognition workload that of a working detector. With ``--det_model_dir`` the
detector's own boxes are used. Without ``--rec_model_dir`` the recogniser is
``configs/rec/rec_mv3_none_bilstm_ctc.yml`` trained for 2 steps and exported (same cost as a trained one).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DET_CFG = os.path.join(REPO, "configs", "det", "det_mv3_db.yml")
REC_CFG = os.path.join(REPO, "configs", "rec", "rec_mv3_none_bilstm_ctc.yml")
DEMO = os.path.join(REPO, "train_data", "demo", "det")
IPS = re.compile(r"global_step: (\d+),.*ips: ([0-9.]+) samples/s")


def train_run(cfg: str, out: str, steps: int, env_extra: dict, overrides=()) -> float:
    """Mean ips of the logged steps after the first one (warm-up)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update(env_extra)
    cmd = [sys.executable, os.path.join(REPO, "tools", "train.py"), "-c", cfg, "-o", f"Global.save_model_dir={out}",
           f"Global.max_steps={steps}", "Global.print_batch_step=1", "Global.eval_batch_step=[100000, 100000]",
           "Global.use_gpu=False", *overrides]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    log = r.stdout + r.stderr
    if os.path.isfile(os.path.join(out, "train.log")):
        log = open(os.path.join(out, "train.log")).read()
    rows = [float(m.group(2)) for m in IPS.finditer(log)]
    if r.returncode != 0 or len(rows) < 2:
        raise RuntimeError(f"training run failed:\n{log[-3000:]}")
    return sum(rows[1:]) / len(rows[1:])


def export_checkpoint(cfg: str, ckpt: str, out: str) -> str:
    from ppocr.engine.program import export  # not ppocr.engine.export: that name is also the submodule
    from ppocr.utils.config import get_config

    export(get_config(cfg, [f"Global.pretrained_model={ckpt}", f"Global.save_inference_dir={out}",
                            "Global.use_gpu=False"]))
    return out


def demo_pages(n: int):
    """``[(image, labelled word quads)]`` of the first ``n`` demo eval pages."""
    import cv2
    import numpy as np

    pages = []
    with open(os.path.join(DEMO, "det_gt_eval.txt"), encoding="utf-8") as f:
        for line in f.readlines()[:n]:
            path, label = line.rstrip("\n").split("\t", 1)
            quads = [np.asarray(r["points"], np.float32) for r in json.loads(label)
                     if r["transcription"] not in ("###", "*") and len(r["points"]) == 4]
            pages.append((cv2.imread(os.path.join(DEMO, path)), np.stack(quads) if quads else np.zeros((0, 4, 2))))
    return pages


def time_per_image(fn, pages) -> tuple[float, dict]:
    """Median seconds of ``fn(image, labelled quads)`` over the pages after one warm-up call, and the median of
    each part of the dict ``fn`` returns."""
    fn(*pages[0])  # warm-up: first-run kernel selection
    times, parts = [], {}
    for img, quads in pages:
        t = time.perf_counter()
        out = fn(img, quads)
        times.append(time.perf_counter() - t)
        for k, v in out.items():
            parts.setdefault(k, []).append(v)
    return statistics.median(times), {k: statistics.median(v) for k, v in parts.items()}


def det_parts(det, img) -> dict:
    """Run ``det`` once; seconds of its pre-processing, inference and post-processing."""
    before = dict(det.stats)
    det(img)
    return {k: det.stats[k] - before[k] for k in ("preprocess", "inference", "postprocess")}


class LabelledBoxes:
    """Runs the real detector (for its cost) and returns ``quads`` (for a realistic recognition load)."""

    def __init__(self, detector):
        self.detector = detector
        self.quads = None

    def __call__(self, img):
        _, elapsed = self.detector(img)
        return self.quads, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6, help="training steps per row (the first is warm-up)")
    ap.add_argument("--batch_size", type=int, default=16, help="Train.loader.batch_size_per_card")
    ap.add_argument("--images", type=int, default=10, help="demo eval pages timed per inference row")
    ap.add_argument("--det_model_dir", help="an exported (trained) detector; default: export the training run's")
    ap.add_argument("--rec_model_dir", help="an exported recogniser; default: a 2-step rec model exported here")
    ap.add_argument("--skip_train", action="store_true", help="no training rows (needs --det_model_dir)")
    args = ap.parse_args()
    if args.skip_train and not args.det_model_dir:
        ap.error("--skip_train needs --det_model_dir (the detector is otherwise exported from the training run)")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    with tempfile.TemporaryDirectory() as work:
        batch = [f"Train.loader.batch_size_per_card={args.batch_size}"]
        settings = [
            ("1 process, Paddle default threads, 4 loader workers (config)", {}, batch),
            ("1 process, Global.num_threads=1, 2 loader workers", {}, batch + ["Global.num_threads=1",
                                                                          "Train.loader.num_workers=2"]),
        ]
        if not args.skip_train:
            print(f"\ntraining throughput, det_mv3_db.yml (640x640 crops), batch {args.batch_size}, "
                  f"{args.steps} steps, demo det set")
            print("| setting | samples/s | ratio |\n|---|---|---|")
        ref = None
        for i, (name, env, over) in enumerate([] if args.skip_train else settings):
            ips = train_run(DET_CFG, os.path.join(work, f"t{i}"), args.steps, env, over)
            ref = ref or ips
            print(f"| {name} | {ips:.2f} | {ips / ref:.2f} |", flush=True)

        import logging

        import numpy as np

        import ppocr  # noqa: F401
        from ppocr.inference.predict_det import TextDetector
        from ppocr.inference.predict_rec import TextRecognizer
        from ppocr.inference.predict_system import TextSystem

        det_dir = args.det_model_dir or export_checkpoint(DET_CFG, os.path.join(work, "t0", "latest"),
                                                          os.path.join(work, "det_inf"))
        rec_dir = args.rec_model_dir
        if rec_dir is None:
            train_run(REC_CFG, os.path.join(work, "rec"), 2, {}, ["Global.print_batch_step=1"])
            rec_dir = export_checkpoint(REC_CFG, os.path.join(work, "rec", "latest"), os.path.join(work, "rec_inf"))
        logging.getLogger("ppocr").setLevel(logging.WARNING)  # after the exports, which set up logging
        pages = demo_pages(args.images)
        h, w = pages[0][0].shape[:2]
        words = np.mean([len(q) for _, q in pages])
        print(f"\ndet inference latency, {len(pages)} demo eval pages (~{w}x{h}), median ms/image")
        print("| predictor | resize | ms/image | pre / infer / post ms |\n|---|---|---|---|")
        resizes = (("inference.yml", {}), ("limit 960 max", {"det_limit_side_len": 960, "det_limit_type": "max"}))
        for threads, mkldnn in ((1, False), (1, True), (2, False), (2, True)):
            for rname, rflags in resizes:
                det = TextDetector({"det_model_dir": det_dir, "use_gpu": False, "cpu_threads": threads,
                                    "enable_mkldnn": mkldnn, **rflags})
                sec, parts = time_per_image(lambda img, _: det_parts(det, img), pages)
                ms = sec * 1000
                parts = " / ".join(f"{parts[k] * 1000:.0f}" for k in ("preprocess", "inference", "postprocess"))
                print(f"| paddle.inference threads={threads} mkldnn={mkldnn} | {rname} | {ms:.0f} | {parts} |",
                      flush=True)

        source = "the detector's boxes" if args.det_model_dir else f"labelled word boxes ({words:.0f}/page)"
        print(f"\nsystem latency (det + crop + rec), {len(pages)} pages, recognition on {source}, median ms/image")
        print("| predictors | ms/image | det / rec ms |\n|---|---|---|")
        for threads, mkldnn in ((1, False), (2, True)):
            flags = {"det_model_dir": det_dir, "rec_model_dir": rec_dir, "use_gpu": False, "cpu_threads": threads,
                     "enable_mkldnn": mkldnn, "drop_score": 0.0}
            det, rec = TextDetector(flags), TextRecognizer(flags)
            labelled = None if args.det_model_dir else LabelledBoxes(det)
            system = TextSystem(flags, text_detector=labelled or det, text_recognizer=rec)

            def run(img, quads):
                if labelled is not None:
                    labelled.quads = quads
                system(img)
                return system.last_time

            sec, parts = time_per_image(run, pages)
            print(f"| threads={threads} mkldnn={mkldnn} | {sec * 1000:.0f} | {parts['det'] * 1000:.0f} / "
                  f"{parts['rec'] * 1000:.0f} |", flush=True)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


if __name__ == "__main__":
    main()
