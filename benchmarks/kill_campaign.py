"""kill -9 campaign: does training killed at random moments (and during checkpoint writes) resume exactly?

    python3 benchmarks/kill_campaign.py [--trials 8] [--kinds rec det vgsl] [--seed 0]

For each kind (the rec, det and VGSL smoke configs on generated data, 4 epochs with evaluations between
the epoch-end saves), one uninterrupted run gives the reference weights; then each trial kills the run with
SIGKILL 2 or 3 times (alternately at a random moment and while a checkpoint is being written), resumes it
each time with ``-o Global.checkpoints=<save_model_dir>`` and lets it finish. Prints every trial and a tally
of trials whose final weights equal the reference bit for bit. See ``ppocr/testing/kill_campaign.py``.
"""
import argparse
import os
import random
import tempfile

from ppocr.testing import kill_campaign as K


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=8, help="trials per kind")
    ap.add_argument("--kinds", nargs="+", default=list(K.KINDS), choices=K.KINDS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory() as root:
        for kind in args.kinds:
            work = os.path.join(root, kind)
            train_args = K.prepare(kind, work)
            ref_dir = os.path.join(work, "reference")
            duration, train_time = K.run_to_end(train_args, ref_dir)
            print(f"{kind}: uninterrupted run {duration:.1f} s ({train_time:.1f} s of training)", flush=True)
            for i in range(args.trials):
                t = K.trial(kind, train_args, os.path.join(ref_dir, "latest.pdparams"),
                            os.path.join(work, f"trial{i}"), rng, train_time, kills=rng.choice((2, 3)))
                results.append(t)
                print(f"| {kind} | {i} | {'; '.join(t.kills)} | {'identical' if t.identical else t.detail} |",
                      flush=True)
    kills = sum(not k.startswith("after the end") for t in results for k in t.kills)
    late = sum(k.startswith("after the end") for t in results for k in t.kills)
    saves = sum(k.startswith("during a save") for t in results for k in t.kills)
    print(f"\n{sum(t.identical for t in results)} of {len(results)} trials ended with the uninterrupted run's weights "
          f"({kills} kills, {saves} of them during a checkpoint write; {late} planned kills came after a resumed run "
          "had already finished)")
    for kind in args.kinds:
        mine = [t for t in results if t.kind == kind]
        print(f"| {kind} | {sum(t.identical for t in mine)} / {len(mine)} |")


if __name__ == "__main__":
    main()
