"""kill -9 campaigns: training killed at random moments (and during checkpoint writes) resumes exactly.

A trial runs ``tools/train.py`` on a small generated dataset, kills it with SIGKILL one or more times,
restarts it each time as a user would (``-o Global.checkpoints=<save_model_dir>``: the folder's complete
checkpoint that is furthest along; from scratch when none was written yet) and lets the last run finish.
It passes when the final ``latest`` weights equal, bit for bit, those of an uninterrupted run with the same
seed. Half of the kills land at a random time, half while a checkpoint is being written (the moment a
temporary checkpoint file appears in the folder).

Used by ``benchmarks/kill_campaign.py`` (the full campaign) and ``tests/engine/test_kill_campaign.py`` (a
short one).
"""
from __future__ import annotations

import dataclasses
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from ppocr.testing import REPO_ROOT, make_det_data, make_rec_data, write_lines
from ppocr.utils import safe_pickle

KINDS = ("rec", "det", "vgsl")
SMOKE = os.path.join(REPO_ROOT, "configs", "_smoke")
VGSL_TRAIN = ["abc def", "cab fed", "bad cafe", "face bead", "deaf cab", "bed face"]
VGSL_EVAL = ["dab fee", "bead cab"]



EPOCHS = {"rec": 20, "det": 16, "vgsl": 40}   # a few seconds of training each, several epochs and evaluations


def prepare(kind: str, root: str, epochs: int | None = None) -> list[str]:
    """Write ``kind``'s data under ``root``; return the ``-c ... -o ...`` arguments of its training run
    (without ``Global.save_model_dir``). Evaluation runs mid-epoch, so ``best_accuracy`` is written between
    the epoch-end saves of ``latest`` and ``iter_epoch_N``."""
    common = [f"Global.epoch_num={epochs or EPOCHS.get(kind, 4)}", "Global.save_epoch_step=1", "Global.print_batch_step=1",
              "Global.eval_batch_step=[1,3]"]
    if kind == "rec":
        data = make_rec_data(os.path.join(root, "data"), num_train=12, num_eval=4)
        return ["-c", os.path.join(SMOKE, "rec_smoke.yml"), "-o", *common,
                f"Train.dataset.data_dir={data}", f"Train.dataset.label_file_list=[{data}/rec_gt_train.txt]",
                f"Eval.dataset.data_dir={data}", f"Eval.dataset.label_file_list=[{data}/rec_gt_eval.txt]"]
    if kind == "det":
        data = make_det_data(os.path.join(root, "data"), num_train=6, num_eval=2, width=160, height=128)
        return ["-c", os.path.join(SMOKE, "det_smoke.yml"), "-o", *common,
                f"Train.dataset.data_dir={data}", f"Train.dataset.label_file_list=[{data}/det_gt_train.txt]",
                f"Eval.dataset.data_dir={data}", f"Eval.dataset.label_file_list=[{data}/det_gt_eval.txt]"]
    if kind == "vgsl":
        train = write_lines(os.path.join(root, "data", "train"), VGSL_TRAIN, 0)
        ev = write_lines(os.path.join(root, "data", "eval"), VGSL_EVAL, 1)
        return ["-c", os.path.join(SMOKE, "vgsl_smoke.yml"), "-o", *common,
                f"Train.dataset.data=[{train}]", f"Eval.dataset.data=[{ev}]"]
    raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def _command(args: list[str], save_dir: str, resume: bool) -> list[str]:
    cmd = [sys.executable, os.path.join(REPO_ROOT, "tools", "train.py"), *args, f"Global.save_model_dir={save_dir}"]
    return cmd + ([f"Global.checkpoints={save_dir}"] if resume else [])


def _env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")


def _started(save_dir: str) -> bool:
    """Whether the run in ``save_dir`` has logged a training step (imports and data loading are behind it)."""
    try:
        with open(os.path.join(save_dir, "train.log"), encoding="utf-8") as f:
            return "global_step: " in f.read()
    except FileNotFoundError:
        return False


def run_to_end(args: list[str], save_dir: str, resume: bool = False, timeout: float = 900) -> tuple[float, float]:
    """Run the training to its end; returns its wall time and the time its training steps took."""
    t = time.monotonic()
    out = open(save_dir.rstrip("/") + ".out", "w+", encoding="utf-8")
    proc = subprocess.Popen(_command(args, save_dir, resume), stdout=out, stderr=subprocess.STDOUT, env=_env())
    first = None
    while proc.poll() is None:
        if first is None and _started(save_dir):
            first = time.monotonic()
        if time.monotonic() - t > timeout:
            proc.kill()
        time.sleep(0.01)
    end = time.monotonic()
    out.seek(0)
    text = out.read()
    out.close()
    if proc.returncode != 0:
        raise RuntimeError(f"training failed ({proc.returncode}): {text[-3000:]}")
    return end - t, end - (first or t)


def _has_checkpoint(save_dir: str) -> bool:
    return bool(glob.glob(os.path.join(save_dir, "*.states")))


def _temporaries(save_dir: str) -> set[str]:
    try:
        return {e.name for e in os.scandir(save_dir) if ".tmp" in e.name}
    except FileNotFoundError:
        return set()


@dataclasses.dataclass
class Trial:
    kind: str
    kills: list[str]          # when each kill landed: 'at 3.2 s' or 'during a save at 4.1 s' or 'after the end'
    identical: bool = False
    detail: str = ""


def kill_once(args: list[str], save_dir: str, rng: random.Random, train_time: float, during_save: bool) -> str:
    """Start (or resume) the run and SIGKILL it at a random moment of its training (5-45% into it), or during the
    first checkpoint write after such a moment; returns when and how the kill landed."""
    proc = subprocess.Popen(_command(args, save_dir, _has_checkpoint(save_dir)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=_env())
    left = _temporaries(save_dir)   # what an earlier killed save left (the next save of that prefix removes it)
    log = os.path.join(save_dir, "train.log")
    logged = os.path.getsize(log) if os.path.isfile(log) else 0
    while proc.poll() is None and not (os.path.isfile(log) and os.path.getsize(log) > logged and _started(save_dir)):
        time.sleep(0.005)   # until this run logs (resumed runs append to the log)
    t0 = time.monotonic()
    # at most 45% into the training an uninterrupted run needs: a resumed run (which restarts from the last
    # complete checkpoint) still has more than that ahead of it, so every kill lands before the end
    deadline = t0 + rng.uniform(0.05, 0.45) * train_time
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if during_save:
        while proc.poll() is None and not (_temporaries(save_dir) - left):
            time.sleep(0.0005)
    when = time.monotonic() - t0
    if proc.poll() is not None:
        return f"after the end ({when:.1f} s into training)"
    writing = bool(_temporaries(save_dir) - left)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return f"{'during a save' if writing else 'at'} {when:.2f} s into training"


def same_weights(a: str, b: str) -> tuple[bool, str]:
    wa, wb = safe_pickle.load_params(a), safe_pickle.load_params(b)
    if sorted(wa) != sorted(wb):
        return False, "different parameter names"
    for k in wa:
        if not np.array_equal(np.asarray(wa[k]), np.asarray(wb[k])):
            return False, f"{k} differs (max {np.abs(np.asarray(wa[k]) - np.asarray(wb[k])).max():.3g})"
    return True, ""


def trial(kind: str, args: list[str], reference: str, save_dir: str, rng: random.Random, train_time: float,
          kills: int) -> Trial:
    """Kill the run ``kills`` times (alternately at a random time and during a save), then finish it."""
    shutil.rmtree(save_dir, ignore_errors=True)
    t = Trial(kind, [])
    for i in range(kills):
        t.kills.append(kill_once(args, save_dir, rng, train_time, during_save=(i + rng.randrange(2)) % 2 == 1))
    run_to_end(args, save_dir, resume=_has_checkpoint(save_dir))
    t.identical, t.detail = same_weights(reference, os.path.join(save_dir, "latest.pdparams"))
    return t
