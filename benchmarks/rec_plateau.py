"""How long does a from-scratch CRNN sit on the all-blank CTC plateau, with and without Architecture.AuxHead?

    python3 benchmarks/rec_plateau.py [--steps 760] [--seeds 1024,7] [--parallel 2]

Each row trains ``configs/rec/rec_mv3_none_bilstm_ctc.yml`` on the demo set in its own process (one thread,
batch 16, the config's 8-epoch schedule cut at ``--steps``) and prints the eval word accuracy at each
evaluation. ``--parallel 2`` runs two trainings at a time, one per core (Paddle's CPU conv kernels use one
core each, so the two do not slow each other down). Settings: the config as it is, without the auxiliary head,
and with the neck replaced by a linear layer (``encoder_type: fc``, no BiLSTM), for reference.
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
SETTINGS = {
    "config (BiLSTM + AuxHead)": [],
    "no AuxHead": ["Architecture.AuxHead=null"],
    "fc neck, no AuxHead (no BiLSTM)": ["Architecture.AuxHead=null", "Architecture.Neck.encoder_type=fc"],
}


def eval_steps(steps: int) -> tuple[int, int, list[int]]:
    """(start, every, the steps evaluated): every sixth of the run from the middle on, and the last step."""
    every = max(steps // 6, 1)
    start = max(steps // 2 - every, 0)
    at = list(range(start + every, steps + 1, every))
    return start, every, at if at and at[-1] == steps else at + [steps]


def start(out: str, steps: int, seed: int, overrides: list[str]) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    first, every, _ = eval_steps(steps)
    args = ["-c", CFG, "-o", "Global.use_gpu=False", f"Global.save_model_dir={out}", f"Global.max_steps={steps}",
            f"Global.seed={seed}", f"Global.eval_batch_step=[{first},{every}]", "Global.print_batch_step=10",
            "Train.loader.num_workers=1", *overrides]
    return subprocess.Popen([sys.executable, os.path.join(REPO, "tools", "train.py"), *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def evals(out: str, steps: int) -> dict[int, float]:
    """{global_step: eval acc} from the run's train.log (the evaluations come in the order of ``eval_steps``)."""
    accs = [float(a) for a in re.findall(r"cur metric, acc: ([0-9.]+)", open(os.path.join(out, "train.log")).read())]
    return dict(zip(eval_steps(steps)[2], accs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=760, help="optimizer steps per run (batch 16)")
    ap.add_argument("--seeds", default="1024,7")
    ap.add_argument("--parallel", type=int, default=2, help="trainings at a time (one core each)")
    ap.add_argument("--settings", default=",".join(str(i) for i in range(len(SETTINGS))),
                    help="indices into: " + "; ".join(f"{i}: {k}" for i, k in enumerate(SETTINGS)))
    args = ap.parse_args()
    names = [list(SETTINGS)[int(i)] for i in args.settings.split(",")]
    jobs = [(n, int(s)) for n in names for s in args.seeds.split(",")]
    work = tempfile.mkdtemp(prefix="rec_plateau_")
    results, running, t0 = {}, [], time.time()
    while jobs or running:
        while jobs and len(running) < args.parallel:
            name, seed = jobs.pop(0)
            out = os.path.join(work, f"{len(results) + len(running)}")
            running.append((name, seed, out, start(out, args.steps, seed, SETTINGS[name])))
        time.sleep(5)
        for job in list(running):
            name, seed, out, proc = job
            if proc.poll() is None:
                continue
            running.remove(job)
            if proc.returncode != 0:
                raise RuntimeError(f"{name} seed {seed} failed:\n{proc.stderr.read()[-3000:]}")
            results[(name, seed)] = evals(out, args.steps)
            print(f"# done: {name}, seed {seed} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    steps = sorted({s for r in results.values() for s in r})
    print("| setting | seed | " + " | ".join(f"acc @ {s}" for s in steps) + " |")
    print("|---|---|" + "---|" * len(steps))
    for (name, seed), r in results.items():
        print(f"| {name} | {seed} | " + " | ".join(f"{r[s]:.1%}" if s in r else "" for s in steps) + " |")


if __name__ == "__main__":
    main()
