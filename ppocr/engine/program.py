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

import paddle

from ppocr.data import build_dataloader, set_epoch
from ppocr.engine import hooks as H
from ppocr.engine.checkpoint import (load_pretrained, load_trained_weights, resume, resume_source, set_rng_state,
                                     strip_suffix)
from ppocr.engine.env import import_custom_modules, init_distributed, seed_everything, setup_device
from ppocr.engine.evaluator import evaluate_model, label_free_transforms
from ppocr.engine.trainer import Trainer
from ppocr.losses import build_loss
from ppocr.metrics import build_metric
from ppocr.modeling import build_model
from ppocr.optimizer import build_optimizer
from ppocr.postprocess import build_post_process
from ppocr.registry import HOOKS, POSTPROCESS, accepted_params, build
from ppocr.utils.config import dump_config
from ppocr.utils.errors import ConfigError
from ppocr.utils.logging import get_rank, setup_logging

logger = logging.getLogger(__name__)

DEFAULT_HOOKS = ["LRSchedulerHook", "LoggerHook", "EvalHook", "CheckpointHook", "TimeLimitHook", "VisualDLHook"]


def _prepare(cfg: dict, log_name: str | None) -> tuple[dict, str]:
    g = cfg["Global"]
    save_dir = g.get("save_model_dir") or "./output/"
    setup_logging(os.path.join(save_dir, log_name) if log_name else None)
    import_custom_modules(g)
    device = setup_device(g)
    seed_everything(g.get("seed", 1024))
    return g, device


def _takes_codec(post_cfg) -> bool:
    """Whether the PostProcess component takes a ``codec`` (then the run resolves one, Global.codec)."""
    name = post_cfg.get("name") if isinstance(post_cfg, dict) else None
    return isinstance(name, str) and name in POSTPROCESS and "codec" in accepted_params(POSTPROCESS.get(name))[0]


def build_core(cfg: dict) -> dict[str, Any]:
    """Post-processor, model, and the character count that ties them together (derived once, here).

    A post-processor that takes a ``codec`` gets the run's codec (``ppocr.data.vgsl_codec``: the
    weights' stored codec, ``Global.codec.file``, or one built from the training text).
    """
    g = cfg["Global"]
    codec = None
    if cfg.get("PostProcess") and _takes_codec(cfg["PostProcess"]):
        from ppocr.data.vgsl_codec import resolve_codec
        codec, _ = resolve_codec(cfg)
        post = build(cfg["PostProcess"], POSTPROCESS, where="PostProcess", global_cfg=g, codec=codec)
    else:
        post = build_post_process(cfg["PostProcess"], g) if cfg.get("PostProcess") else None
    num_classes = None
    if post is not None and hasattr(post, "character"):
        num_classes = len(post.character)
    model = build_model(cfg["Architecture"], g, num_classes=num_classes)
    return {"postprocess": post, "model": model, "num_classes": num_classes, "codec": codec}


def _check_codec(loader, post, section: str, codec=None) -> None:
    """The label encoder and the decoder must index the same characters; encoders that take the run's
    codec get it first."""
    if codec is not None:
        from ppocr.data.vgsl_codec import bind_codec
        bind_codec(loader.dataset, codec, section)
    if post is None or not hasattr(post, "character"):
        return
    for op in getattr(getattr(loader.dataset, "ops", None), "ops", []):
        chars = getattr(op, "character", None)
        if chars is not None and list(chars) != list(post.character):
            raise ConfigError(f"{section}: {type(op).__name__} has {len(chars)} classes but PostProcess has "
                              f"{len(post.character)}; set character_dict_path/use_space_char in Global only "
                              "(not per component) so both use the same dictionary")


def _load_weights(g: dict, model, optimizer=None) -> dict | None:
    """Global.checkpoints, or the checkpoint the model was built from (KIE: Architecture.Backbone.checkpoints),
    resumes exactly and has priority over Global.pretrained_model (weights only)."""
    if resume_source(g, model):
        return resume(g, model, optimizer)
    if g.get("pretrained_model"):
        load_pretrained(g["pretrained_model"], model)
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
    return {"level": level, "dtype": dtype, "scaler": scaler, "custom_white_list": g.get("amp_custom_white_list")}


def _hook_entries(cfg: dict) -> list[tuple[str, dict]]:
    entries = cfg.get("Hooks")
    if entries is None:
        return [(n, {}) for n in DEFAULT_HOOKS]
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


def _build_hooks(cfg: dict, ctx: dict) -> list:
    g = cfg["Global"]
    eval_step = g.get("eval_batch_step", [0, 500])
    start, interval = (0, eval_step) if isinstance(eval_step, int) else (eval_step[0], eval_step[1])
    built, eval_hook = [], None
    for name, args in _hook_entries(cfg):
        if name == "LRSchedulerHook":
            hook = H.LRSchedulerHook(ctx["lr_scheduler"])
        elif name == "LoggerHook":
            hook = H.LoggerHook(g.get("print_batch_step", 10), g.get("log_smooth_window", 20),
                                ctx["steps_per_epoch"], ctx["train_metric"], **args)
        elif name == "EvalHook":
            if ctx["evaluate"] is None:
                continue
            hook = eval_hook = H.EvalHook(ctx["evaluate"], ctx["main_indicator"], start, interval,
                                          ctx["checkpointer"], **args)
        elif name == "CheckpointHook":
            hook = H.CheckpointHook(ctx["checkpointer"], g.get("save_epoch_step", 1), **args)
        elif name == "TimeLimitHook":
            if not g.get("max_train_seconds"):
                continue
            hook = H.TimeLimitHook(g["max_train_seconds"], **args)
        elif name == "VisualDLHook":
            if not g.get("use_visualdl"):
                continue
            hook = H.VisualDLHook(os.path.join(ctx["save_dir"], "vdl"), g.get("print_batch_step", 10),
                                  eval_hook, **args)
        else:
            hook = build({"name": name, **args}, HOOKS, where=f"Hooks.{name}")
        built.append(hook)
    return built


def _with_workflow_hooks(cfg: dict, hooks: list, post, codec) -> list:
    """The config's hooks plus those Global keys ask for (``ppocr.engine.workflow_hooks``)."""
    from ppocr.engine.workflow_hooks import workflow_hooks

    first, last = workflow_hooks(cfg["Global"], post, line_recognizer=codec is not None)
    return first + hooks + last


def _train_metric(cfg: dict, post):
    """PaddleOCR's ``cal_metric_during_train``: the metric on the logged batch."""
    if not cfg["Global"].get("cal_metric_during_train") or post is None:
        return None
    metric = build_metric(cfg["Metric"], cfg["Global"])

    def compute(preds, batch):
        metric.reset()
        metric(post(preds, *[batch[k] for k in getattr(post, "eval_keys", ("label",))]), batch)
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
    """Train from a resolved config; returns ``{'best': ..., 'global_step': ..., 'last_eval': ...}``."""
    g, device = _prepare(cfg, "train.log")
    if g.get("stop_training"):  # Tesseract's --stop_training: checkpoint -> recognition model, no training
        from ppocr.engine.convert import convert
        return convert(cfg)
    world = init_distributed()
    save_dir = g.get("save_model_dir") or "./output/"
    os.makedirs(save_dir, exist_ok=True)
    seed = g.get("seed", 1024)
    if g.get("continue_from"):  # fine-tune: old weights and codec, resize/append (ppocr.engine.finetune)
        from ppocr.engine.finetune import continue_from
        core = continue_from(cfg)
    else:
        core = build_core(cfg)
    if get_rank() == 0:  # after the model is built: fine-tuning records the resulting spec
        dump_config(cfg, os.path.join(save_dir, "config.yml"))
    model, post, codec = core["model"], core["postprocess"], core["codec"]
    train_loader = build_dataloader(cfg, "Train", g, seed)
    _check_codec(train_loader, post, "Train", codec)
    valid_loader = build_dataloader(cfg, "Eval", g, seed) if cfg.get("Eval") else None
    if valid_loader is not None:
        _check_codec(valid_loader, post, "Eval", codec)
    side_files = {}
    if codec is not None:  # the codec travels with every checkpoint (prefix.codec.json) and the run
        from ppocr.data.vgsl_codec import CODEC_SUFFIX
        side_files[CODEC_SUFFIX] = codec
        if get_rank() == 0:
            codec.save(os.path.join(save_dir, "codec.json"))
    loss_fn = build_loss(cfg["Loss"], g)
    if getattr(model, "aux_head", None) is not None and not getattr(loss_fn, "takes_aux", False):
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
                                  side_files=side_files)
    ctx = dict(lr_scheduler=lr_scheduler, steps_per_epoch=steps_per_epoch, train_metric=_train_metric(cfg, post),
               evaluate=evaluate, main_indicator=getattr(metric, "main_indicator", None), checkpointer=checkpointer,
               save_dir=save_dir)
    trainer = Trainer(train_model, loss_fn, optimizer, train_loader, epoch_num=epoch_num,
                      hooks=_with_workflow_hooks(cfg, _build_hooks(cfg, ctx), post, codec), set_epoch=set_epoch,
                      accumulation_steps=accum, amp=amp,
                      max_steps=g.get("max_steps"), input_keys=getattr(model, "input_keys", ("image",)))
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
    t0 = time.perf_counter()
    state = trainer.train()
    eval_hook = next((h for h in trainer.hooks if isinstance(h, H.EvalHook)), None)
    result = {"best": dict(state.best), "global_step": state.global_step, "epoch": state.epoch,
              "skipped": state.skipped, "train_seconds": time.perf_counter() - t0,
              "last_eval": eval_hook.last_metric if eval_hook else None, "save_dir": save_dir}
    logger.info("training done in %.1f s: global_step %d, best %s", result["train_seconds"], state.global_step,
                state.best)
    return result


@_fresh_names
def evaluate(cfg: dict) -> dict[str, Any]:
    """Evaluate ``Global.checkpoints`` (or ``pretrained_model``, or KIE's ``Architecture.Backbone.checkpoints``)
    on the Eval section."""
    g, _ = _prepare(cfg, None)
    core = build_core(cfg)
    model, post = core["model"], core["postprocess"]
    source = load_trained_weights(g, model, "eval")
    loader = build_dataloader(cfg, "Eval", g, g.get("seed", 1024))
    _check_codec(loader, post, "Eval", core["codec"])
    metric = build_metric(cfg["Metric"], g)
    result = evaluate_model(model, loader, post, metric)
    if hasattr(metric, "write_report"):  # a metric with a full report (LineReportMetric) writes it beside the weights
        metric.write_report(strip_suffix(source) + ".eval_report.json")
    logger.info("metric eval ***************")
    for k, v in result.items():
        logger.info("%s:%s", k, v)
    return result


@_fresh_names
def infer(cfg: dict) -> list[dict[str, Any]]:
    """Run the training-time model on ``Global.infer_img`` (file or folder); writes ``save_res_path``.

    What is written depends on ``Architecture.model_type`` (see ``ppocr.engine.results``).
    """
    import numpy as np

    from ppocr.data.imaug import build_transforms
    from ppocr.engine.evaluator import infer_keys, list_images
    from ppocr.engine.results import RESULT_WRITERS

    g, _ = _prepare(cfg, None)
    model_type = cfg["Architecture"].get("model_type")
    if model_type not in RESULT_WRITERS:
        raise ConfigError(f"inference on single images supports model_type {sorted(RESULT_WRITERS)}, got "
                          f"{model_type!r}")
    core = build_core(cfg)
    model, post = core["model"], core["postprocess"]
    load_trained_weights(g, model, "infer")
    model.eval()
    extra = infer_keys(post)
    ops = build_transforms(label_free_transforms(cfg["Eval"]["dataset"]["transforms"], ("image",) + extra), g,
                           "Eval.dataset.transforms")
    writer = RESULT_WRITERS[model_type](g.get("save_res_path"))
    for path in list_images(g.get("infer_img")):
        with open(path, "rb") as f:
            data = ops({"img_path": path, "image": f.read()})
        with paddle.no_grad():
            preds = model({"image": paddle.to_tensor(data["image"][None])})
        writer.add(path, post(preds, *[np.asarray(data[k])[None] for k in extra])[0])
    return writer.close()


@_fresh_names
def export(cfg: dict) -> str:
    """Export the model of ``cfg`` with the weights in ``Global.pretrained_model`` (or ``checkpoints``)."""
    from ppocr.engine.export import export as export_model

    _prepare(cfg, None)
    core = build_core(cfg)
    return export_model(cfg, core["model"], core["postprocess"])
