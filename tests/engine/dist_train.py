"""Run by test_distributed.py under ``paddle.distributed.launch --nproc_per_node 2``.

Trains the smoke config; a hook saves every rank's final weights and the indices each rank saw.
"""
import os
import sys
import time

import numpy as np

import ppocr  # noqa: F401
from ppocr.engine import train
from ppocr.engine.trainer import HookBase
from ppocr.registry import HOOKS
from ppocr.testing import rec_config
from ppocr.utils.logging import get_rank


@HOOKS.register()
class DumpWeightsHook(HookBase):
    def __init__(self, out_dir: str):
        self.out_dir = out_dir

    def _dump(self, tag):
        model = self.trainer.model
        layer = getattr(model, "_layers", model)
        # parameters, not BatchNorm running statistics: those are per-replica unless use_sync_bn is set
        arrays = {k: v.numpy() for k, v in layer.named_parameters() if v.trainable}
        np.savez(os.path.join(self.out_dir, f"{tag}{get_rank()}.npz"), **arrays)

    def before_train(self):
        self._dump("init")

    def after_train(self):
        self._dump("rank")


@HOOKS.register()
class StopOneRankHook(HookBase):
    """Only rank ``rank`` asks to stop, after ``step`` steps (as a time limit or divergence check might)."""

    def __init__(self, rank: int, step: int):
        self.rank, self.step = rank, step

    def after_step(self):
        if get_rank() == self.rank and self.trainer.state.global_step >= self.step:
            self.trainer.request_stop(f"rank {self.rank} stops at step {self.step}")


@HOOKS.register()
class DumpEvalsHook(HookBase):
    """Writes the eval events this rank saw: every rank evaluates, so none waits for another's evaluation."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir

    def after_train(self):
        evals = [(step, ev["metrics"]["acc"], ev["metrics"]["norm_edit_dis"])
                 for step, ev in self.trainer.storage.history("eval")]
        np.save(os.path.join(self.out_dir, f"evals{get_rank()}.npy"), np.array(evals, np.float64))


@HOOKS.register()
class SlowRankHook(HookBase):
    """Rank ``rank`` alone spends ``seconds`` after step ``step`` (a slow evaluation or checkpoint write)."""

    def __init__(self, rank: int, step: int, seconds: float):
        self.rank, self.step, self.seconds = rank, step, seconds

    def after_step(self):
        if get_rank() == self.rank and self.trainer.state.global_step == self.step:
            time.sleep(self.seconds)


@HOOKS.register()
class PaceHook(HookBase):
    """Every rank spends ``seconds`` after each step, so that a test can signal the run in the middle."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def after_step(self):
        time.sleep(self.seconds)


if __name__ == "__main__":
    data_dir, save_dir, out_dir = sys.argv[1:4]
    hooks = f"LRSchedulerHook, LoggerHook, CheckpointHook, {{DumpWeightsHook: {{out_dir: {out_dir}}}}}"
    extra = ["Train.loader.batch_size_per_card=2"]
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    if mode.startswith("stop"):   # e.g. stop1: rank 1 alone asks to stop
        hooks += f", {{StopOneRankHook: {{rank: {int(mode[4:])}, step: 1}}}}"
    elif mode == "eval":          # evaluation every step on every rank
        hooks += f", EvalHook, {{DumpEvalsHook: {{out_dir: {out_dir}}}}}"
        extra += ["Global.eval_batch_step=[0,1]"]
    elif mode.startswith("slow"):  # e.g. slow35: rank 0 spends 35 s after step 2, longer than gloo's 30 s timeout
        hooks += (f", EvalHook, {{SlowRankHook: {{rank: 0, step: 2, seconds: {float(mode[4:])}}}}}, "
                  f"{{DumpEvalsHook: {{out_dir: {out_dir}}}}}, {{DumpWeightsHook: {{out_dir: {out_dir}}}}}")
        extra += ["Global.eval_batch_step=[0,1]"]
    elif mode == "long":          # 20 steps at >= 0.3 s each, with the signal hook; more -o overrides may follow
        hooks += ", SignalHook, {PaceHook: {seconds: 0.3}}"
        extra += ["Global.epoch_num=10", *sys.argv[5:]]
    elif mode == "skip":          # batch 1 with a bad sample: one rank's batch is empty at some step
        extra = ["Train.loader.batch_size_per_card=1", "Train.dataset.skip_bad_samples=True"]
    train(rec_config(data_dir, save_dir, ["Global.epoch_num=2", "Global.print_batch_step=1", *extra,
                                          f"Hooks=[{hooks}]"]))
