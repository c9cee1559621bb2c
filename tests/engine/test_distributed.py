"""Two CPU processes under paddle.distributed.launch keep identical replicas."""
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ppocr.utils.checkpoint import verify_checkpoint

from ppocr.testing import make_rec_data


def _launch_cmd(tmp_path, save, out, *extra):
    script = os.path.join(os.path.dirname(__file__), "dist_train.py")
    return [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2",
            "--log_dir", str(tmp_path / f"log_{save.name}"), script, str(tmp_path / "data"), str(save), str(out), *extra]


def _launch(tmp_path, *extra, bad_line=None, num_train=8):
    data = make_rec_data(str(tmp_path / "data"), num_train=num_train, num_eval=2)
    if bad_line:
        with open(os.path.join(data, "train", "garbage.png"), "wb") as f:   # passes the pre-flight header check,
            f.write(b"\x89PNG\r\n\x1a\n garbage IEND")                     # fails when decoded
        with open(os.path.join(data, "rec_gt_train.txt"), "a", encoding="utf-8") as f:
            f.write(bad_line + "\n")
    out = tmp_path / "dump"
    out.mkdir()
    script = os.path.join(os.path.dirname(__file__), "dist_train.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2",
                        "--log_dir", str(tmp_path / "log"), script, data, str(tmp_path / "save"), str(out), *extra],
                       capture_output=True, text=True, timeout=600, env=env)
    logs = "".join(open(os.path.join(tmp_path / "log", f)).read() for f in os.listdir(tmp_path / "log"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:] + logs[-5000:]
    return out, open(tmp_path / "save" / "train.log").read()


def test_two_process_replicas_identical(tmp_path):
    out, log = _launch(tmp_path)
    a, b = np.load(out / "rank0.npz"), np.load(out / "rank1.npz")
    assert sorted(a.files) == sorted(b.files) and a.files
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    # 8 samples, 2 ranks, batch 2: 2 steps per epoch per rank, 2 epochs
    assert "global_step: 4" in log
    # the replicas moved away from their start: training happened, not just two idle copies
    init = np.load(out / "init0.npz")
    assert any(not np.array_equal(init[k], a[k]) for k in a.files)


def test_one_rank_stopping_stops_all(tmp_path):
    """Rank 1 alone asks to stop after step 1 (its own clock or loss): both ranks leave at that step, rank 0
    saves ``latest``, and nobody is left waiting in an all-reduce (the launch would hang until the timeout)."""
    out, log = _launch(tmp_path, "stop1")
    assert "stopping: another process asked to stop" in log
    assert "global_step: 1," in log and "global_step: 2," not in log
    a, b = np.load(out / "rank0.npz"), np.load(out / "rank1.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    assert (tmp_path / "save" / "latest.pdparams").is_file()


NUM_TRAIN = 8   # with this seed the bad sample is rank 1's first batch in epoch 1 (stand-in: first usable sample)
                # and a later batch in epoch 2 (stand-in: the previous batch)


def test_rank_with_only_skipped_samples_keeps_step(tmp_path):
    """Batch 1 and an image that does not decode: one rank's batch is empty at one step. It steps anyway (weight 0)
    instead of leaving its partner alone in the gradient all-reduce (which hung until gloo's timeout and aborted)."""
    out, log = _launch(tmp_path, "skip", bad_line="train/garbage.png\tabc", num_train=NUM_TRAIN)
    a, b = np.load(out / "rank0.npz"), np.load(out / "rank1.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    # NUM_TRAIN + 1 samples over 2 ranks at batch 1, 2 epochs
    steps = 2 * ((NUM_TRAIN + 2) // 2)
    assert f"global_step: {steps}," in log and f"global_step: {steps + 1}," not in log
    assert "skipped" in log


def test_every_rank_evaluates_so_none_waits_for_another(tmp_path):
    """Rank 0 alone evaluating left rank 1 in the stop-flag all-reduce until gloo's timeout when evaluation was
    slow; now every rank evaluates the whole Eval set, and the identical replicas agree on every metric."""
    out, log = _launch(tmp_path, "eval")
    a, b = np.load(out / "evals0.npy"), np.load(out / "evals1.npy")
    assert len(a) == 4 and a.shape == b.shape  # one evaluation per step (4 steps; the final one is the last)
    np.testing.assert_array_equal(a, b)
    assert (tmp_path / "save" / "best_accuracy.pdparams").is_file()


def test_a_slow_process_does_not_time_out_the_others(tmp_path):
    """Rank 0 spends 35 s after step 2 (an evaluation or checkpoint write that is slow on one process only),
    longer than gloo's 30 s collective timeout that killed such runs: rank 1 waits for it at the meeting
    after the step (through the launcher's store, no timeout), and the run completes. Every evaluation
    agrees across ranks and the last equals a single-process evaluation of the final weights."""
    from ppocr.engine import evaluate
    from ppocr.testing import rec_config

    out, log = _launch(tmp_path, "slow35")
    a, b = np.load(out / "evals0.npy"), np.load(out / "evals1.npy")
    assert len(a) == 4
    np.testing.assert_array_equal(a, b)
    save = tmp_path / "save"
    single = evaluate(rec_config(str(tmp_path / "data"), str(save),
                                 [f"Global.checkpoints={save / 'latest'}"]))
    assert single["acc"] == a[-1][1] and single["norm_edit_dis"] == a[-1][2]


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_to_the_launcher_leaves_latest_that_resumes_exactly(tmp_path, sig):
    """The launcher passes SIGTERM/SIGINT on to every process (as SIGTERM, three times): the processes stop
    at the same step, rank 0 saves latest, and the run resumed from it ends with the weights of an
    uninterrupted run of the same seed."""
    make_rec_data(str(tmp_path / "data"), num_train=8, num_eval=2)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    ref_out, out = tmp_path / "ref_dump", tmp_path / "dump"
    ref_out.mkdir(), out.mkdir()
    r = subprocess.run(_launch_cmd(tmp_path, tmp_path / "ref", ref_out, "long"), capture_output=True, text=True,
                       timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]

    save = tmp_path / "run"
    proc = subprocess.Popen(_launch_cmd(tmp_path, save, out, "long"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    log = save / "train.log"
    deadline = time.monotonic() + 300
    while not (log.is_file() and "global_step: 3," in log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be signalled"
        time.sleep(0.1)
    proc.send_signal(getattr(signal, sig))
    proc.wait(timeout=120)
    text = log.read_text()
    assert "received SIGTERM" in text and "to continue, add -o Global.checkpoints=" in text
    stopped = max(int(m) for m in re.findall(r"global_step: (\d+),", text))
    assert 3 <= stopped < 20
    states = verify_checkpoint(str(save / "latest"))
    assert states["global_step"] == stopped

    r = subprocess.run(_launch_cmd(tmp_path, save, out, "long", f"Global.checkpoints={save / 'latest'}"),
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "resum" in log.read_text().lower()
    a, b = np.load(ref_out / "rank0.npz"), np.load(out / "rank0.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
