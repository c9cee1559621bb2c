"""VGSL line recognition against its peers: this toolkit, Tesseract's ``lstmtraining`` and kraken's ``ketos train``.

    python3 benchmarks/vgsl_peers.py                                  # 900/50/100 lines, 600 s each, 1 thread
    python3 benchmarks/vgsl_peers.py --train 60 --val 10 --eval 20 --budget 30      # smoke run
    python3 benchmarks/vgsl_peers.py --systems ours --ours_nproc 2 --ours_override Optimizer.lr.learning_rate=0.002

One rendered line set (``ppocr.data.demo.lines``, 36 px high PNG + ``.gt.txt``): ``--train`` lines and
``--val`` validation lines in five Hershey faces, ``--eval`` lines only in ``--held_out_face``. Each system trains
from scratch with the network ``[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256]`` (plus its CTC output layer)
for ``--budget`` seconds of wall time, one process with ``--threads`` threads (OMP_NUM_THREADS/OMP_THREAD_LIMIT),
one after the other. The model left at the end (``--pick last``; ``best``: the one each tool selects) then
recognises the held-out lines, and one CER function scores every system: Levenshtein distance over characters,
summed over lines, divided by the summed reference length (NFC, whitespace runs collapsed, ends stripped).
lines/s = lines trained / training seconds, from each tool's own record: our ``train.log`` (global_step x lines
per step), lstmtraining's ``At iteration`` lines, the Lightning checkpoint ketos writes when it is interrupted.

* ours: ``tools/train.py -c configs/vgsl/vgsl_lines.yml`` (Adam 3e-3, cosine over ``--ours_epochs``, Tesseract's
  input levels) with ``Global.max_train_seconds`` (validation on the ``--val`` lines), then ``tools/infer_rec.py``
  on the held-out lines. ``--ours_nproc 2`` adds a row with two
  CPU processes (``paddle.distributed.launch``) of ``--threads`` threads each.
* tesseract: tesstrain's flow: ``unicharset_extractor`` + ``combine_lang_model`` (starter traineddata, no
  dictionary), a one-box-per-character ``.box`` per line and ``tesseract LINE BASE --psm 13 lstm.train`` for the
  ``.lstmf`` files, ``lstmtraining --learning_rate 20e-4`` (the tutorial's from-scratch setting) stopped at the
  budget, ``lstmtraining --stop_training`` on the checkpoint, ``tesseract --psm 13`` per held-out line.
  ``combine_lang_model`` reads ``radical-stroke.txt`` (and, if present, ``Latin.unicharset``) from
  ``--tess_langdata`` (tesseract-ocr/langdata_lstm, fetched beforehand); without it a comment-only radical table
  is written, which is enough for this ASCII text (the table only encodes Han characters).
* kraken: ``ketos --device cpu --threads N --workers 0 train -f path --resize new -q fixed`` (its defaults
  otherwise: AdamW 1e-3, constant rate, validation on the ``--val`` lines every epoch) from ``--kraken_venv``,
  interrupted with SIGINT at the budget (it then writes ``checkpoint_abort.ckpt``), ``ketos convert``, and
  ``kraken ... ocr -s`` on the held-out lines.

A system whose programs are missing is reported as skipped; one that fails is reported with the log to read.
Preparation (rendering, ``.lstmf`` files, starter traineddata) and recognition are outside the budget. Logs,
models and per-line predictions (``<system>/predictions.tsv``) stay under ``--work``.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from rapidfuzz.distance import Levenshtein

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFG = os.path.join(REPO, "configs", "vgsl", "vgsl_lines.yml")
SPEC = "[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256]"
SYSTEMS = ("ours", "tesseract", "kraken")
TESS_LANG = "bench"
STARTUP_SLACK = 300.0      # seconds past the budget before a run that does not stop is killed
GRACE = 120.0              # seconds a stopped trainer gets to write its checkpoint and exit


class RunError(Exception):
    """A system could not be trained or evaluated; the message says why and which log to read."""


@dataclass
class Result:
    """One row of the table; ``folder`` receives ``predictions.tsv``."""

    system: str
    lines: int | None = None
    speed: float | None = None
    cer: float | None = None
    notes: str = ""
    skipped: str | None = None
    folder: str | None = None
    predictions: dict[str, str] = field(default_factory=dict)


@dataclass
class Lines:
    """The rendered line set: ``{stem: text}`` and the folder of each split."""

    dirs: dict[str, str]
    texts: dict[str, dict[str, str]]

    def images(self, split: str) -> list[str]:
        return [os.path.join(self.dirs[split], s + ".png") for s in sorted(self.texts[split])]


# ---------------------------------------------------------------------------------------------------- data + CER

def render_lines(work: str, num_train: int, num_val: int, num_eval: int, seed: int, held_out_face: str) -> Lines:
    """Render train+val (training faces) and eval (held-out face); move the last ``num_val`` train lines to val."""
    from ppocr.data.demo.lines import make_lines_demo

    root = fresh_dir(os.path.join(work, "lines"))
    make_lines_demo(root, num_train + num_val, num_eval, seed=seed, held_out_face=held_out_face)
    val_dir = os.path.join(root, "val")
    os.makedirs(val_dir, exist_ok=True)
    for i in range(num_train, num_train + num_val):
        for ext in (".png", ".gt.txt"):
            os.replace(os.path.join(root, "train", f"{i:06d}{ext}"), os.path.join(val_dir, f"{i:06d}{ext}"))
    dirs = {split: os.path.join(root, split) for split in ("train", "val", "eval")}
    return Lines(dirs, {split: read_gt(d) for split, d in dirs.items()})


def read_gt(folder: str) -> dict[str, str]:
    """``{stem: text}`` of the ``.gt.txt`` files in ``folder``."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.gt.txt"))):
        with open(path, encoding="utf-8") as f:
            out[os.path.basename(path)[:-len(".gt.txt")]] = f.read().strip()
    return out


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(refs: dict[str, str], hyps: dict[str, str]) -> float:
    """Summed character edit distance over summed reference length; a missing prediction counts as empty."""
    edits = sum(Levenshtein.distance(normalise(ref), normalise(hyps.get(stem, ""))) for stem, ref in refs.items())
    return edits / max(1, sum(len(normalise(ref)) for ref in refs.values()))


def write_predictions(path: str, refs: dict[str, str], hyps: dict[str, str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("line\treference\tprediction\tedits\n")
        for stem, ref in sorted(refs.items()):
            hyp = hyps.get(stem, "")
            f.write(f"{stem}\t{ref}\t{hyp}\t{Levenshtein.distance(normalise(ref), normalise(hyp))}\n")


# ---------------------------------------------------------------------------------------------------- processes

def thread_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[key] = str(threads)
    return env


@dataclass
class TimedRun:
    """What :func:`run_timed` saw: exit code, and times (seconds since launch) of the start marker and the stop."""

    rc: int
    start: float | None
    stopped: float | None
    log: str


def run_timed(cmd: list[str], log: str, env: dict, budget: float, *, stop_signal: int | None = None,
              start_marker: str | None = None, on_line: Callable[[float, str], None] | None = None,
              done: Callable[[], bool] | None = None, cwd: str | None = None) -> TimedRun:
    """Run ``cmd``, timestamping its output into ``log``; send ``stop_signal`` ``budget`` seconds after
    ``start_marker`` appears (or after launch). ``done()`` true (the run ended itself but its process lingers,
    e.g. a launcher) or ``budget + STARTUP_SLACK`` seconds without stopping end it with SIGTERM.

    ``on_line(t, line)`` sees each output line with its time since launch as it arrives.
    """
    t0 = time.monotonic()
    # A shell starts background jobs with SIGINT ignored, and a child inherits that (Python then installs no
    # KeyboardInterrupt handler): give the child the default disposition so that the stop signal reaches it.
    restore = (lambda: signal.signal(stop_signal, signal.SIG_DFL)) if stop_signal is not None else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd, text=True,
                            errors="replace", preexec_fn=restore)
    seen: dict[str, float | None] = {"start": None if start_marker else 0.0}

    def pump():
        with open(log, "w", encoding="utf-8") as f:
            for line in proc.stdout:
                t = time.monotonic() - t0
                f.write(f"{t:9.2f} {line}")
                f.flush()
                if seen["start"] is None and start_marker in line:
                    seen["start"] = t
                if on_line is not None:
                    on_line(t, line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    stopped = None
    while proc.poll() is None:
        now = time.monotonic() - t0
        start = seen["start"]
        if stop_signal is not None and start is not None and now - start >= budget:
            proc.send_signal(stop_signal)
            stopped = now
            break
        if done is not None and done():
            try:
                proc.wait(timeout=10)     # a finished run gets a moment to exit by itself
            except subprocess.TimeoutExpired:
                proc.terminate()
            break
        if now > budget + STARTUP_SLACK:
            proc.terminate()
            break
        time.sleep(0.2)
    try:
        proc.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    reader.join(timeout=10)
    return TimedRun(proc.returncode, seen["start"], stopped, log)


def check_call(cmd: list[str], log: str, env: dict, what: str, cwd: str | None = None) -> None:
    """Run a preparation/recognition step; raise with the log's tail when it fails."""
    with open(log, "a", encoding="utf-8") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    if rc != 0:
        raise RunError(f"{what} failed (exit {rc}); see {log}")


def fresh_dir(path: str) -> str:
    """An empty folder at ``path`` (a stale checkpoint would be resumed by lstmtraining)."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def tail(path: str, size: int = 4096) -> str:
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - size))
        return f.read().decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------------- ours

LOG_TIME = re.compile(r"^\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\]")
WORLD = re.compile(r"world size (\d+)")
STEP = re.compile(r"global_step: (\d+),.*avg_samples: ([0-9.]+)")
DONE = re.compile(r"training done in [0-9.]+ s: global_step (\d+)")


def parse_train_log(path: str) -> dict:
    """From our ``train.log`` (its last run): ``lines`` trained, ``speed`` (lines/s up to the last logged step),
    ``seconds`` of training and whether the time limit (not the epoch count) ended it."""
    start = last = final_step = None
    world, per_step, last_step, time_limited = 1, 1.0, 0, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LOG_TIME.match(line)
            t = datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S").timestamp() if m else None
            if w := WORLD.search(line):      # a fresh run (the log is appended to)
                world, start, last, final_step, time_limited = int(w.group(1)), t, None, None, False
            elif step := STEP.search(line):
                last_step, per_step, last = int(step.group(1)), float(step.group(2)), t
            elif d := DONE.search(line):
                final_step = int(d.group(1))
            time_limited = time_limited or "reached Global.max_train_seconds" in line
    if start is None or last is None or final_step is None:
        raise RunError(f"no logged training steps (raise --budget or lower Global.print_batch_step); see {path}")
    seconds = max(last - start, 1.0)
    return {"lines": int(final_step * per_step * world), "speed": last_step * per_step * world / seconds,
            "seconds": seconds, "time_limited": time_limited}


def run_ours(lines: Lines, work: str, args, nproc: int) -> Result:
    name = "ours" if nproc == 1 else f"ours ({nproc} processes)"
    out = fresh_dir(os.path.join(work, "ours" if nproc == 1 else f"ours_{nproc}proc"))
    opts = ["Global.use_gpu=False", f"Global.max_train_seconds={args.budget:g}", f"Global.num_threads={args.threads}",
            "Global.print_batch_step=10", f"Global.save_model_dir={out}", "Global.use_visualdl=False",
            f"Train.dataset.data=[{lines.dirs['train']}]", f"Eval.dataset.data=[{lines.dirs['val']}]",
            f"Global.epoch_num={args.ours_epochs}", *args.ours_override]
    train_py = os.path.join(REPO, "tools", "train.py")
    cmd = [sys.executable, train_py, "-c", CFG, "-o", *opts]
    if nproc > 1:
        cmd = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(nproc),
               "--log_dir", os.path.join(out, "launch"), train_py, "-c", CFG, "-o", *opts]
    train_log = os.path.join(out, "train.log")

    def finished() -> bool:   # rank 0 has saved `latest`; with 2 processes the launcher may wait on the other rank
        return nproc > 1 and os.path.isfile(train_log) and bool(DONE.search(tail(train_log)))

    run = run_timed(cmd, os.path.join(out, "stdout.log"), thread_env(args.threads), args.budget, done=finished,
                    cwd=REPO)
    if not os.path.isfile(train_log):
        raise RunError(f"training did not start (exit {run.rc}); see {run.log}")
    stats = parse_train_log(train_log)
    weights = os.path.join(out, "best_accuracy" if args.pick == "best" else "latest")
    if not os.path.isfile(weights + ".pdparams"):
        weights = os.path.join(out, "latest")
    res_path = os.path.join(out, "predicts.txt")
    check_call([sys.executable, os.path.join(REPO, "tools", "infer_rec.py"), "-c", os.path.join(out, "config.yml"),
                "-o", f"Global.checkpoints={weights}", f"Global.infer_img={lines.dirs['eval']}",
                f"Global.save_res_path={res_path}", "Global.use_gpu=False", f"Global.num_threads={args.threads}"],
               os.path.join(out, "infer.log"), thread_env(args.threads), "recognition (tools/infer_rec.py)", cwd=REPO)
    preds = {}
    with open(res_path, encoding="utf-8") as f:
        for row in f:
            path, text = row.rstrip("\n").split("\t")[:2]
            preds[os.path.basename(path)[:-len(".png")]] = text
    notes = f"{nproc} x {args.threads} thread(s), vgsl_lines.yml, model {os.path.basename(weights)}"
    if not stats["time_limited"]:
        notes += f"; its schedule (Global.epoch_num) ended after {stats['seconds']:.0f} s, before the budget"
    return Result(name, stats["lines"], stats["speed"], notes=notes, folder=out, predictions=preds)


# ---------------------------------------------------------------------------------------------------- tesseract

TESS_TOOLS = ("tesseract", "lstmtraining", "unicharset_extractor", "combine_lang_model")
TESS_ITER = re.compile(r"At iteration (\d+)/(\d+)/(\d+)")
TESS_BEST = re.compile(r"wrote best model:(\S+)")


def write_line_box(text: str, width: int, height: int, path: str) -> None:
    """tesstrain's ``generate_line_box.py``: every character (combining marks joined to their base) boxed with
    the whole line, then a tab (end of line)."""
    text = unicodedata.normalize("NFC", text)
    chars: list[str] = []
    for ch in text:
        if chars and unicodedata.combining(ch):
            chars[-1] += ch
        else:
            chars.append(ch)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f"{ch} 0 0 {width} {height} 0\n" for ch in chars)
        f.write(f"\t {width} {height} {width + 1} {height + 1} 0\n")


def tess_starter(lines: Lines, out: str, langdata: str | None, env: dict) -> tuple[str, int]:
    """Starter traineddata from the training text; returns its path and the unicharset size (for ``O1c``)."""
    log = os.path.join(out, "prepare.log")
    all_gt = os.path.join(out, "all-gt.txt")
    with open(all_gt, "w", encoding="utf-8") as f:
        f.writelines(text + "\n" for text in lines.texts["train"].values())
    unicharset = os.path.join(out, "unicharset")
    check_call(["unicharset_extractor", "--output_unicharset", unicharset, "--norm_mode", "2", all_gt], log, env,
               "unicharset_extractor")
    script_dir = langdata
    if script_dir is None:
        script_dir = os.path.join(out, "langdata_stub")
        os.makedirs(script_dir, exist_ok=True)
        with open(os.path.join(script_dir, "radical-stroke.txt"), "w", encoding="utf-8") as f:
            f.write("# no Han characters in this training text\n")
    data_dir = os.path.join(out, "data")
    os.makedirs(os.path.join(data_dir, TESS_LANG), exist_ok=True)    # combine_lang_model does not create it
    check_call(["combine_lang_model", "--input_unicharset", unicharset, "--script_dir", script_dir,
                "--output_dir", data_dir, "--lang", TESS_LANG], log, env, "combine_lang_model")
    # the recoder's code range (what O1c must be) is in the name of a file combine_lang_model writes
    marker = glob.glob(os.path.join(data_dir, TESS_LANG, f"{TESS_LANG}.charset_size=*.txt"))
    if marker:
        size = int(re.search(r"charset_size=(\d+)", marker[0]).group(1))
    else:                                   # tesstrain's choice: the unicharset's size
        with open(unicharset, encoding="utf-8") as f:
            size = int(f.readline().split()[0])
    return os.path.join(data_dir, TESS_LANG, f"{TESS_LANG}.traineddata"), size


def tess_lstmf(lines: Lines, out: str, env: dict) -> str:
    """One ``.lstmf`` per training line (image linked beside its ``.box``); returns the list file."""
    import cv2

    folder = os.path.join(out, "ground-truth")
    os.makedirs(folder, exist_ok=True)
    log = os.path.join(out, "prepare.log")
    listed = []
    for stem, text in sorted(lines.texts["train"].items()):
        image = os.path.join(folder, stem + ".png")
        if not os.path.exists(image):
            os.symlink(os.path.join(lines.dirs["train"], stem + ".png"), image)
        height, width = cv2.imread(image, cv2.IMREAD_GRAYSCALE).shape
        write_line_box(text, width, height, os.path.join(folder, stem + ".box"))
        base = os.path.join(folder, stem)
        check_call(["tesseract", image, base, "--psm", "13", "lstm.train"], log, env, f"tesseract lstm.train {stem}")
        if os.path.isfile(base + ".lstmf"):
            listed.append(base + ".lstmf")
    if not listed:
        raise RunError(f"tesseract wrote no .lstmf files; see {log}")
    list_file = os.path.join(out, "list.train")
    with open(list_file, "w", encoding="utf-8") as f:
        f.writelines(p + "\n" for p in listed)
    return list_file


def run_tesseract(lines: Lines, work: str, args) -> Result:
    missing = [t for t in TESS_TOOLS if shutil.which(t) is None]
    if missing:
        return Result("tesseract", skipped=f"{', '.join(missing)} not found; apt-get install tesseract-ocr")
    if args.tess_langdata and not os.path.isfile(os.path.join(args.tess_langdata, "radical-stroke.txt")):
        return Result("tesseract", skipped=f"--tess_langdata {args.tess_langdata} has no radical-stroke.txt")
    out = fresh_dir(os.path.join(work, "tesseract"))
    ckpt_dir = fresh_dir(os.path.join(out, "checkpoints"))
    env = thread_env(args.threads)
    starter, size = tess_starter(lines, out, args.tess_langdata, env)
    list_file = tess_lstmf(lines, out, env)
    model_output = os.path.join(ckpt_dir, TESS_LANG)
    safe = model_output + "_checkpoint.last"
    progress: dict = {"iter": 0, "t": None, "best": None}

    def on_line(t: float, line: str) -> None:
        # the checkpoint is complete when its progress line is printed; the next one is 100 lines away
        if m := TESS_ITER.search(line):
            if os.path.isfile(model_output + "_checkpoint"):
                shutil.copyfile(model_output + "_checkpoint", safe)
            progress.update(iter=int(m.group(2)), t=t)
        if b := TESS_BEST.search(line):
            progress["best"] = b.group(1)

    cmd = ["lstmtraining", "--traineddata", starter, "--net_spec", SPEC[:-1] + f" O1c{size}]",
           "--model_output", model_output, "--learning_rate", "20e-4", "--train_listfile", list_file,
           "--max_iterations", "1000000000", "--target_error_rate", "0"]
    run = run_timed(cmd, os.path.join(out, "train.log"), env, args.budget, stop_signal=signal.SIGTERM,
                    on_line=on_line)
    if progress["t"] is None or not os.path.isfile(safe):
        raise RunError(f"no checkpoint within the budget (exit {run.rc}); see {run.log}")
    source, label = safe, f"checkpoint at {progress['iter']} lines"
    if args.pick == "best" and progress["best"]:
        source, label = progress["best"], "best training BCER: " + os.path.basename(progress["best"])
    elif args.pick == "best":
        label += " (no best model written yet)"
    tessdata = os.path.join(out, "tessdata")
    os.makedirs(tessdata, exist_ok=True)
    final = "benchfinal"
    check_call(["lstmtraining", "--stop_training", "--continue_from", source, "--traineddata", starter,
                "--model_output", os.path.join(tessdata, final + ".traineddata")], os.path.join(out, "convert.log"),
               env, "lstmtraining --stop_training")
    preds = {}
    for image in lines.images("eval"):
        r = subprocess.run(["tesseract", image, "stdout", "--psm", "13", "--tessdata-dir", tessdata, "-l", final],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RunError(f"tesseract failed on {image}: {r.stderr.strip()[-300:]}")
        preds[os.path.basename(image)[:-len(".png")]] = r.stdout.strip()
    notes = f"1 x {args.threads} thread(s), lr 20e-4, no dictionary, {label}"
    return Result("tesseract", progress["iter"], progress["iter"] / progress["t"], notes=notes, folder=out,
                  predictions=preds)


# ---------------------------------------------------------------------------------------------------- kraken

# the Lightning checkpoint's count of training batches (kraken trains with manual optimisation)
KRAKEN_COUNT = ("import sys, torch; c = torch.load(sys.argv[1], map_location='cpu', weights_only=False); "
                "print(c['loops']['fit_loop']['epoch_loop.batch_progress']['total']['completed'], c['epoch'])")
KRAKEN_SCORE = re.compile(r"checkpoint_\d+-([0-9.]+)\.ckpt$")


def kraken_best(ckpt_dir: str) -> str | None:
    """The validation checkpoint with the highest ``val_metric`` (ketos keeps ten)."""
    scored = [(float(m.group(1)), p) for p in glob.glob(os.path.join(ckpt_dir, "checkpoint_*-*.ckpt"))
              if (m := KRAKEN_SCORE.search(p))]
    return max(scored)[1] if scored else None


def write_manifest(images: list[str], path: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(p + "\n" for p in images)
    return path


def run_kraken(lines: Lines, work: str, args) -> Result:
    bin_dir = os.path.join(args.kraken_venv, "bin")
    ketos, kraken, python = (os.path.join(bin_dir, n) for n in ("ketos", "kraken", "python"))
    if not (os.access(ketos, os.X_OK) and os.access(kraken, os.X_OK)):
        return Result("kraken", skipped=f"no ketos/kraken in {bin_dir}; see benchmarks/README.md (--kraken_venv)")
    out = fresh_dir(os.path.join(work, "kraken"))
    ckpt_dir = fresh_dir(os.path.join(out, "checkpoints"))
    env = thread_env(args.threads)
    train_list = write_manifest(lines.images("train"), os.path.join(out, "train.list"))
    val_list = write_manifest(lines.images("val"), os.path.join(out, "val.list"))
    common = [ketos, "--device", "cpu", "--threads", str(args.threads), "--workers", "0"]
    cmd = [*common, "train", "-f", "path", "-t", train_list, "-e", val_list, "--spec", SPEC, "--resize", "new",
           "-q", "fixed", "-N", "100000", "-o", ckpt_dir]
    run = run_timed(cmd, os.path.join(out, "train.log"), env, args.budget, stop_signal=signal.SIGINT,
                    start_marker="Initializing new model", cwd=out)
    abort = os.path.join(ckpt_dir, "checkpoint_abort.ckpt")
    if not os.path.isfile(abort):
        raise RunError(f"ketos wrote no checkpoint_abort.ckpt after SIGINT (exit {run.rc}); see {run.log}")
    r = subprocess.run([python, "-c", KRAKEN_COUNT, abort], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RunError(f"cannot read the step count of {abort}: {r.stderr.strip()[-300:]}")
    trained, epoch = (int(v) for v in r.stdout.split()[-2:])
    source = (kraken_best(ckpt_dir) if args.pick == "best" else None) or abort
    weights = os.path.join(out, "model.safetensors")
    check_call([ketos, "--device", "cpu", "convert", "-o", weights, source], os.path.join(out, "convert.log"), env,
               "ketos convert")
    pred_dir = os.path.join(out, "predictions")
    os.makedirs(pred_dir, exist_ok=True)
    cmd = [kraken, "-d", "cpu", "--threads", str(args.threads)]
    for image in lines.images("eval"):
        cmd += ["-i", image, os.path.join(pred_dir, os.path.basename(image)[:-len(".png")] + ".txt")]
    check_call([*cmd, "ocr", "-m", weights, "-s", "--num-line-workers", "0"], os.path.join(out, "ocr.log"), env,
               "kraken ocr")
    preds = {}
    for path in glob.glob(os.path.join(pred_dir, "*.txt")):
        with open(path, encoding="utf-8") as f:
            preds[os.path.basename(path)[:-len(".txt")]] = f.read().strip()
    seconds = run.stopped - run.start if run.stopped is not None and run.start is not None else float(args.budget)
    notes = f"1 x {args.threads} thread(s), AdamW 1e-3, {epoch} epochs, model {os.path.basename(source)}"
    return Result("kraken", trained, trained / seconds, notes=notes, folder=out, predictions=preds)


# ---------------------------------------------------------------------------------------------------- main

def run_system(name: str, fn: Callable[[], Result], lines: Lines) -> Result:
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)
    try:
        res = fn()
    except RunError as e:
        return Result(name, notes=f"failed: {e}")
    if res.skipped is None:
        res.cer = cer(lines.texts["eval"], res.predictions)
        write_predictions(os.path.join(res.folder, "predictions.tsv"), lines.texts["eval"], res.predictions)
    return res


def format_row(r: Result) -> str:
    if r.skipped is not None:
        return f"| {r.system} | - | - | - | skipped ({r.skipped}) |"
    if r.cer is None:
        return f"| {r.system} | - | - | - | {r.notes} |"
    speed = f"{r.speed:.2f}" if r.speed else "-"
    return f"| {r.system} | {r.lines} | {speed} | {100 * r.cer:.2f}% | {r.notes} |"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from ppocr.data.demo.render import LEGIBLE_FACES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--train", type=int, default=900, help="training lines (training faces)")
    ap.add_argument("--val", type=int, default=50, help="validation lines (training faces) for ours and kraken")
    ap.add_argument("--eval", type=int, default=100, help="held-out lines (--held_out_face only)")
    ap.add_argument("--held_out_face", default="triplex", choices=LEGIBLE_FACES)
    ap.add_argument("--seed", type=int, default=0, help="rendering seed")
    ap.add_argument("--budget", type=float, default=600, help="training wall-clock seconds per system")
    ap.add_argument("--threads", type=int, default=1, help="threads per training process")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ",".join(SYSTEMS))
    ap.add_argument("--pick", choices=("last", "best"), default="last",
                    help="last: the model at the end of the budget; best: each tool's selected model (ours and "
                         "kraken: best validation score, tesseract: best training BCER)")
    ap.add_argument("--work", help="work folder, kept; its lines/, ours*/, tesseract/, kraken/ are replaced "
                                   "(default: a temporary folder, removed afterwards)")
    ap.add_argument("--ours_nproc", type=int, default=1, help="also run ours with this many CPU processes (row)")
    ap.add_argument("--ours_epochs", type=int, default=14,
                    help="epochs of our cosine schedule: 14 x 900 lines fit 600 s at about 23 lines/s (one thread "
                         "here), so the rate anneals within the budget; scale it with --budget and --train")
    ap.add_argument("--ours_override", nargs="+", default=[], help="extra -o overrides for ours (Optimizer.lr.learning_rate=0.002)")
    ap.add_argument("--kraken_venv", default=os.path.join(os.path.dirname(REPO), "kvenv"),
                    help="virtual environment with kraken's ketos and kraken (default: kvenv beside the repository)")
    ap.add_argument("--tess_langdata", help="folder with langdata_lstm's radical-stroke.txt (and Latin.unicharset)")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.systems.split(",")) - set(SYSTEMS))
    if unknown:
        ap.error(f"--systems: unknown {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    if args.budget <= 0 or args.threads < 1 or args.ours_nproc < 1 or min(args.train, args.val, args.eval) < 1:
        ap.error("--budget, --threads, --ours_nproc, --train, --val and --eval must be positive")
    return args


def benchmark(args: argparse.Namespace, work: str) -> list[Result]:
    lines = render_lines(work, args.train, args.val, args.eval, args.seed, args.held_out_face)
    chosen = args.systems.split(",")
    jobs: list[tuple[str, Callable[[], Result]]] = []
    if "ours" in chosen:
        jobs.append(("ours", lambda: run_ours(lines, work, args, 1)))
        if args.ours_nproc > 1:
            jobs.append((f"ours ({args.ours_nproc} processes)", lambda: run_ours(lines, work, args, args.ours_nproc)))
    if "tesseract" in chosen:
        jobs.append(("tesseract", lambda: run_tesseract(lines, work, args)))
    if "kraken" in chosen:
        jobs.append(("kraken", lambda: run_kraken(lines, work, args)))
    return [run_system(name, fn, lines) for name, fn in jobs]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="vgsl_peers_")
    os.makedirs(work, exist_ok=True)
    try:
        results = benchmark(args, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{args.train} training + {args.val} validation lines (5 Hershey faces), {args.eval} held-out lines "
          f"({args.held_out_face}), spec {SPEC}, {args.budget:g} s per system, {args.threads} thread(s) per "
          f"process, model: {args.pick}" + ("" if args.work else " (work folder removed; keep it with --work)"))
    print("\n| system | lines trained | lines/s | held-out CER | notes |\n|---|---|---|---|---|")
    for r in results:
        print(format_row(r))


if __name__ == "__main__":
    main()
