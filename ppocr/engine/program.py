"""Assemble a run from a config: train, evaluate, infer. The CLIs in ``tools/`` call these.

Example:
    >>> from ppocr.utils.config import get_config
    >>> from ppocr.engine import train
    >>> train(get_config("configs/rec/rec_mv3_none_bilstm_ctc.yml", ["Global.epoch_num=1"]))
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np
import paddle

from ppocr.data import build_dataloader, set_epoch
from ppocr.data.imaug import build_transforms
from ppocr.engine import hooks as H
from ppocr.engine.checkpoint import load_pretrained_weights, load_trained_weights, resume, resume_source
from ppocr.engine.env import import_custom_modules, init_distributed, seed_everything, setup_device
from ppocr.engine import contracts as C
from ppocr.engine.evaluator import evaluate_model, label_free_transforms, list_images
from ppocr.engine.inference_import import ImportReport, import_inference_model, is_inference_model, save_imported
from ppocr.engine.task import task_for
from ppocr.engine.trainer import Trainer
from ppocr.losses import build_loss
from ppocr.metrics import build_metric
from ppocr.optimizer import build_optimizer
from ppocr.registry import HOOKS, build
from ppocr.utils.checkpoint import set_rng_state, strip_suffix
from ppocr.utils.config import dump_config, ignored_global_keys
from ppocr.utils.errors import ConfigError
from ppocr.utils.logging import get_rank, setup_logging

logger = logging.getLogger(__name__)


def prepare_run(cfg: dict, log_name: str | None) -> tuple[dict, str]:
    """Logging (``save_model_dir/<log_name>``), custom imports, device and seeds; returns ``(Global, device)``."""
    g = cfg["Global"]
    save_dir = g.get("save_model_dir") or "./output/"
    setup_logging(os.path.join(save_dir, log_name) if log_name else None,
                  level=logging.DEBUG if g.get("debug") else logging.INFO)
    ignored = ignored_global_keys(cfg)
    if ignored:
        logger.info("Global keys accepted with no effect here (PaddleOCR keys): %s", ", ".join(ignored))
    import_custom_modules(g)
    device = setup_device(g)
    seed_everything(g.get("seed", 1024))
    return g, device


def build_core(cfg: dict) -> dict[str, Any]:
    """Post-processor, model and the character count that ties them together, built by the config's task
    (:func:`ppocr.engine.task.task_for`): ``{"model", "postprocess", "num_classes", "side_files", ...}``."""
    return task_for(cfg).build_core(cfg)


def _load_weights(g: dict, model, optimizer=None) -> dict | None:
    """Global.checkpoints, or the checkpoint the model was built from (its ``checkpoint_option``),
    resumes exactly and has priority over Global.pretrained_model (weights only)."""
    if resume_source(g, model):
        return resume(g, model, optimizer)
    if g.get("pretrained_model"):
        load_pretrained_weights(g["pretrained_model"], model)
    return None


def _amp(g: dict) -> dict | None:
    if not g.get("use_amp"):
        return None
    level, dtype = g.get("amp_level", "O1"), g.get("amp_dtype", "float16")
    if level not in ("O1", "O2") or dtype not in ("float16", "bfloat16"):
        raise ConfigError(f"Global.amp_level must be O1/O2 and amp_dtype float16/bfloat16, got {level}/{dtype}")
    scaler = None
    if dtype == "float16":
        scaler = paddle.amp.GradScaler(init_loss_scaling=g.get("scale_loss", 1024.0),
                                       use_dynamic_loss_scaling=g.get("use_dynamic_loss_scaling", True))
    return {"level": level, "dtype": dtype, "scaler": scaler, "custom_white_list": g.get("amp_custom_white_list"),
            "custom_black_list": g.get("amp_custom_black_list")}


def _hook_entries(cfg: dict, defaults: tuple[str, ...]) -> list[tuple[str, dict]]:
    entries = cfg.get("Hooks")
    if entries is None:
        return [(n, {}) for n in defaults]
    out = []
    for i, e in enumerate(entries):
        if isinstance(e, str):
            out.append((e, {}))
        elif isinstance(e, dict) and len(e) == 1:
            name, args = next(iter(e.items()))
            out.append((name, dict(args or {})))
        else:
            raise ConfigError(f"Hooks.{i}: expected a hook name or {{Name: {{options}}}}, got {e!r}")
    return out


def _build_hooks(cfg: dict, ctx: dict, defaults: tuple[str, ...]) -> list:
    g = cfg["Global"]
    eval_step = g.get("eval_batch_step", [0, 500])
    start, interval = (0, eval_step) if isinstance(eval_step, int) else (eval_step[0], eval_step[1])
    built = []
    for name, args in _hook_entries(cfg, defaults):
        if name == "LRSchedulerHook":
            hook = H.LRSchedulerHook(ctx["lr_scheduler"])
        elif name == "LoggerHook":
            hook = H.LoggerHook(g.get("print_batch_step", 10), g.get("log_smooth_window", 20),
                                ctx["steps_per_epoch"], ctx["train_metric"], **args)
        elif name == "EvalHook":
            if ctx["evaluate"] is None:
                continue
            hook = H.EvalHook(ctx["evaluate"], ctx["main_indicator"], start, interval, ctx["checkpointer"], **args)
        elif name == "CheckpointHook":
            hook = H.CheckpointHook(ctx["checkpointer"], g.get("save_epoch_step", 1), **args)
        elif name == "TimeLimitHook":
            if not g.get("max_train_seconds"):
                continue
            hook = H.TimeLimitHook(g["max_train_seconds"], **args)
        elif name == "VisualDLHook":
            if not g.get("use_visualdl"):
                continue
            hook = H.VisualDLHook(os.path.join(ctx["save_dir"], "vdl"), g.get("print_batch_step", 10), **args)
        else:
            hook = build({"name": name, **args}, HOOKS, where=f"Hooks.{name}")
        built.append(hook)
    return built


def _train_metric(cfg: dict, post):
    """PaddleOCR's ``cal_metric_during_train``: the metric on the logged batch."""
    if not cfg["Global"].get("cal_metric_during_train") or post is None:
        return None
    metric = build_metric(cfg["Metric"], cfg["Global"])

    def compute(preds, batch):
        metric.reset()
        metric(post(preds, *C.post_args(post, batch, C.eval_keys(post), "Train.dataset.transforms")), batch)
        return metric.get_metric()

    return compute


def _fresh_names(fn):
    """Run ``fn`` with Paddle's parameter/accumulator name counters reset, so a model built twice in one
    process gets the same names both times and optimizer state saved by one run loads into the other."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with paddle.utils.unique_name.guard():
            return fn(*args, **kwargs)

    return wrapper


@_fresh_names
def train(cfg: dict) -> dict[str, Any]:
    """Train from a resolved config.

    Returns:
        ``{'best', 'global_step', 'epoch', 'skipped', 'train_seconds', 'last_eval', 'history', 'save_dir'}``;
        ``history`` holds ``'train'`` (per logged step: epoch, lr, train metric, smoothed losses) and
        ``'eval'`` (per evaluation: the metrics) as ``(step, dict)`` lists, rank 0's view.
    """
    g, device = prepare_run(cfg, "train.log")
    task = task_for(cfg)
    instead = task.run_instead(cfg)  # e.g. Tesseract's --stop_training: a conversion, no training
    if instead is not None:
        return instead
    world = init_distributed()
    save_dir = g.get("save_model_dir") or "./output/"
    os.makedirs(save_dir, exist_ok=True)
    seed = g.get("seed", 1024)
    core = task.build_core(cfg)
    if get_rank() == 0:  # after the model is built: fine-tuning records the resulting spec
        dump_config(cfg, os.path.join(save_dir, "config.yml"))
        task.start_run(core, save_dir)
    model, post = core["model"], core["postprocess"]
    train_loader = build_dataloader(cfg, "Train", g, seed)
    task.bind_loader(train_loader, core, "Train")
    valid_loader = build_dataloader(cfg, "Eval", g, seed) if cfg.get("Eval") else None
    if valid_loader is not None:
        task.bind_loader(valid_loader, core, "Eval")
    loss_fn = build_loss(cfg["Loss"], g)
    if getattr(model, "aux_head", None) is not None and not C.takes(loss_fn, "aux"):  # BaseModel's AuxHead
        raise ConfigError(f"Architecture.AuxHead needs a loss that adds the auxiliary head's loss (CTCLoss with "
                          f"aux_weight); Loss.name {cfg['Loss'].get('name')!r} does not: remove AuxHead or "
                          f"use CTCLoss")
    metric = build_metric(cfg["Metric"], g) if cfg.get("Metric") else None
    accum = int(g.get("accumulation_steps", 1) or 1)
    steps_per_epoch = max(1, len(train_loader) // accum)
    epoch_num = int(g.get("epoch_num", 1))
    optimizer, lr_scheduler = build_optimizer(cfg["Optimizer"], epoch_num, steps_per_epoch, model)
    amp = _amp(g)
    states = _load_weights(g, model, optimizer)
    if g.get("use_sync_bn") and world > 1:
        model = paddle.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    if amp and amp["level"] == "O2":
        model, optimizer = paddle.amp.decorate(models=model, optimizers=optimizer, level="O2", dtype=amp["dtype"])
    train_model = paddle.DataParallel(model) if world > 1 else model
    n_params = sum(int(p.size) for p in model.parameters())
    logger.info("device %s, world size %d, %d parameters, %d train batches/epoch%s", device, world, n_params,
                len(train_loader), f", {len(valid_loader.dataset)} eval samples" if valid_loader else "")

    evaluate = None
    if valid_loader is not None and metric is not None:
        def evaluate():
            return evaluate_model(model, valid_loader, post, metric)

    checkpointer = H.Checkpointer(save_dir, model, optimizer, lr_scheduler, amp["scaler"] if amp else None,
                                  side_files=core["side_files"])
    ctx = dict(lr_scheduler=lr_scheduler, steps_per_epoch=steps_per_epoch, train_metric=_train_metric(cfg, post),
               evaluate=evaluate, main_indicator=getattr(metric, "main_indicator", None), checkpointer=checkpointer,
               save_dir=save_dir)
    first, last = task.hooks(cfg, core)  # first: before the config's hooks (a reverted state is what gets saved)
    trainer = Trainer(train_model, loss_fn, optimizer, train_loader, epoch_num=epoch_num,
                      hooks=first + _build_hooks(cfg, ctx, task.default_hooks) + last, set_epoch=set_epoch,
                      accumulation_steps=accum, amp=amp,
                      max_steps=g.get("max_steps"), input_keys=C.input_keys(model),
                      nan_guard=g.get("nan_guard", True), batch_locations=C.batch_locations(train_loader))
    if states is not None:
        st = trainer.state
        st.epoch = int(states.get("epoch", 0)) + 1
        st.step_in_epoch = int(states.get("step_in_epoch", 0))
        st.global_step = int(states.get("global_step", 0))
        st.best = dict(states.get("best_model_dict") or {})
        st.samples_seen, st.skipped = states.get("samples_seen", 0), states.get("skipped", 0)
        if states.get("lr_scheduler") is not None and lr_scheduler is not None:
            lr_scheduler.set_state_dict(states["lr_scheduler"])
        if states.get("scaler") is not None and amp and amp["scaler"] is not None:
            amp["scaler"].load_state_dict(states["scaler"])
        if states.get("rng") is not None:
            set_rng_state(states["rng"])
        if states.get("lr_scale", 1.0) != 1.0:  # DivergenceHook lowered the LR before the checkpoint
            trainer.scale_lr(states["lr_scale"])
        trainer.set_hook_states(states.get("hooks"))
    t0 = time.perf_counter()
    state = trainer.train()
    last_eval = trainer.storage.latest("eval")
    result = {"best": dict(state.best), "global_step": state.global_step, "epoch": state.epoch,
              "skipped": state.skipped, "train_seconds": time.perf_counter() - t0,
              "last_eval": last_eval[1]["metrics"] if last_eval else None,
              "history": {"train": trainer.storage.history("train"),
                          "eval": [(step, ev["metrics"]) for step, ev in trainer.storage.history("eval")]},
              "save_dir": save_dir}
    logger.info("training done in %.1f s: global_step %d, best %s", result["train_seconds"], state.global_step,
                state.best)
    return result


@_fresh_names
def evaluate(cfg: dict) -> dict[str, Any]:
    """Evaluate ``Global.checkpoints`` (or ``pretrained_model``, or the checkpoint the model was built from)
    on the Eval section."""
    g, _ = prepare_run(cfg, None)
    task = task_for(cfg)
    core = task.build_core(cfg)
    model, post = core["model"], core["postprocess"]
    source = load_trained_weights(g, model, "eval")
    loader = build_dataloader(cfg, "Eval", g, g.get("seed", 1024))
    task.bind_loader(loader, core, "Eval")
    metric = build_metric(cfg["Metric"], g)
    result = evaluate_model(model, loader, post, metric)
    if isinstance(metric, C.WritesReport):  # a full report (LineReportMetric) goes beside the weights
        metric.write_report(strip_suffix(source) + ".eval_report.json")
    logger.info("metric eval ***************")
    for k, v in result.items():
        logger.info("%s:%s", k, v)
    return result


@_fresh_names
def infer(cfg: dict) -> list[dict[str, Any]]:
    """Run the training-time model on ``Global.infer_img`` (file or folder); writes ``save_res_path``.

    What is written is the task's ``result_writer`` (det and rec: ``ppocr.engine.results``).
    """
    g, _ = prepare_run(cfg, None)
    task = task_for(cfg)
    writer = task.result_writer(cfg)
    core = task.build_core(cfg)
    model, post = core["model"], core["postprocess"]
    load_trained_weights(g, model, "infer")
    model.eval()
    extra = C.infer_keys(post)
    ops = build_transforms(label_free_transforms(cfg["Eval"]["dataset"]["transforms"], ("image",) + extra), g,
                           "Eval.dataset.transforms")
    for path in list_images(g.get("infer_img")):
        with open(path, "rb") as f:
            data = ops({"img_path": path, "image": f.read()})
        with paddle.no_grad():
            preds = model({"image": paddle.to_tensor(data["image"][None])})
        writer.add(path, post(preds, *[np.asarray(v)[None] for v in C.post_args(post, data, extra)])[0])
    return writer.close()


@_fresh_names
def export(cfg: dict) -> str:
    """Export the model of ``cfg`` with the weights in ``Global.pretrained_model`` (or ``checkpoints``)."""
    prepare_run(cfg, None)
    task = task_for(cfg)
    return task.export(cfg, task.build_core(cfg))


@_fresh_names
def import_inference(cfg: dict, out: str) -> ImportReport:
    """Import the inference model ``Global.pretrained_model`` names into the config's model, by structure, and
    save it as the checkpoint ``out`` (``out.pdparams`` + ``out.states``).

    Raises:
        ConfigError: ``Global.pretrained_model`` is not an inference model folder.
        CheckpointError: the inference model does not fit the config (the first difference is named).
    """
    prepare_run(cfg, None)
    source = cfg["Global"].get("pretrained_model")
    if not is_inference_model(source):
        raise ConfigError(f"Global.pretrained_model must name an inference model folder (inference.json or "
                          f"inference.pdmodel with inference.pdiparams), got {source!r}")
    model = task_for(cfg).build_core(cfg)["model"]
    report = import_inference_model(model, source)
    save_imported(model, out, report)
    return report
