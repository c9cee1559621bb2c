"""The contract between the engine and a task, written down.

``ppocr.engine.program`` trains, evaluates, infers and exports any model the same way. Where a task
needs more (a codec that travels with the weights, fine-tuning or conversion workflows, its own
checkpoint layout or inference pipeline), it says so through the :class:`Task` protocol and registers
a class in ``TASKS``. The program asks :func:`task_for` which task a config belongs to and never names one itself.

Which task: the registered task whose ``owns(Architecture section)`` is true (by architecture
name or ``model_type``), else :class:`GenericTask` (PaddleOCR's det, rec and cls: the text-direction
classifier).

The model and post-processor sides of the contract are in :mod:`ppocr.engine.contracts`.

Example:
    >>> task = task_for(cfg)
    >>> core = task.build_core(cfg)              # {"model", "postprocess", "num_classes", "side_files", ...}
    >>> task.bind_loader(loader, core, "Train")  # the loader and the decoder agree on the characters
"""
from __future__ import annotations

import logging
from typing import Any, Protocol

from ppocr.engine import contracts as C
from ppocr.engine.export import export as export_model
from ppocr.engine.results import RESULT_WRITERS
from ppocr.engine.workflow_hooks import workflow_hooks
from ppocr.modeling import build_model
from ppocr.postprocess import build_post_process
from ppocr.registry import TASKS
from ppocr.utils.errors import ConfigError

logger = logging.getLogger(__name__)


class Task(Protocol):
    """What a task adds to the generic run. :class:`GenericTask` is the reference implementation."""

    name: str
    #: which configs it owns, in words for messages (e.g. ``"Architecture.name: MyModel"``)
    selected_by: str
    #: the ``Global`` keys only this task reads, with what they do (``-o Global.<key>`` is checked against them)
    global_keys: dict[str, str]

    @classmethod
    def owns(cls, arch_cfg: dict) -> bool:
        """Whether a config with this ``Architecture`` section belongs to the task."""

    def build_core(self, cfg: dict) -> dict[str, Any]:
        """Post-processor, model and the vocabulary size tying them together.

        Returns ``{"model", "postprocess", "num_classes", "side_files"}`` and any task-specific
        entries; ``side_files`` maps a file suffix to an object with ``save(path)``, written beside
        every checkpoint.
        """

    def run_instead(self, cfg: dict) -> dict[str, Any] | None:
        """A result when the config asks for something other than training (e.g. a conversion), else None."""

    def bind_loader(self, loader, core: dict[str, Any], section: str) -> None:
        """Check (or set up) that the ``section`` loader encodes labels as the post-processor decodes them."""

    def start_run(self, core: dict[str, Any], save_dir: str) -> None:
        """Write run-level files into ``save_dir`` on rank 0 (e.g. the codec)."""

    def hooks(self, cfg: dict, core: dict[str, Any]) -> tuple[list, list]:
        """Hooks the task's ``Global`` keys ask for: ``(before the config's hooks, after them)``."""

    def result_writer(self, cfg: dict):
        """Where ``tools/infer_*.py`` (``ppocr.engine.infer``) writes per-image results: an object with
        ``add(img_path, result)`` and ``close() -> list[dict]`` (``ppocr.engine.results``)."""

    def export(self, cfg: dict, core: dict[str, Any]) -> str:
        """Export the model of ``core`` for serving (``tools/export_model.py``); returns the folder."""


def _character_count(post) -> int | None:
    return len(post.character) if isinstance(post, C.CharacterDecoder) else None


class GenericTask:
    """Detection, recognition and classification as PaddleOCR runs them: everything from the registries."""

    name = "generic"
    selected_by = "any config no other task owns"
    global_keys: dict[str, str] = {}
    #: the hooks of a config without a ``Hooks`` section (each is left out when its Global key or the Eval
    #: section it needs is not set)
    default_hooks = ("LRSchedulerHook", "LoggerHook", "EvalHook", "CheckpointHook", "SignalHook", "TimeLimitHook",
                     "VisualDLHook")

    @classmethod
    def owns(cls, arch_cfg: dict) -> bool:
        return True

    def build_postprocess(self, cfg: dict) -> tuple[Any, dict[str, Any]]:
        """The post-processor of ``cfg`` and what else it brings into the core (a task's codec, say)."""
        post = build_post_process(cfg["PostProcess"], cfg["Global"]) if cfg.get("PostProcess") else None
        return post, {}

    def build_core(self, cfg: dict) -> dict[str, Any]:
        post, extra = self.build_postprocess(cfg)
        num_classes = _character_count(post)
        model = build_model(cfg["Architecture"], cfg["Global"], num_classes=num_classes)
        check_model(model, cfg["Architecture"])
        return {"postprocess": post, "model": model, "num_classes": num_classes, "side_files": {}, **extra}

    def run_instead(self, cfg: dict) -> dict[str, Any] | None:
        return None

    def bind_loader(self, loader, core: dict[str, Any], section: str) -> None:
        post = core["postprocess"]
        ops = getattr(getattr(loader.dataset, "ops", None), "ops", [])
        if isinstance(post, C.LabelListCoder) and post.label_list is not None:
            for op in ops:  # class-name encoders publish their list too
                names = op.label_list if isinstance(op, C.LabelListCoder) else None
                if names is not None and list(names) != list(post.label_list):
                    raise ConfigError(f"{section}: {type(op).__name__} has label_list {list(names)} but PostProcess "
                                      f"has {list(post.label_list)}; set label_list in Global only (not per "
                                      "component) so both number the classes alike")
        if not isinstance(post, C.CharacterDecoder):
            return
        want = post.character
        for op in ops:
            chars = op.character if isinstance(op, C.CharacterDecoder) else None  # encoders publish theirs too
            if chars is not None and list(chars) != list(want):
                raise ConfigError(f"{section}: {type(op).__name__} has {len(chars)} classes but PostProcess has "
                                  f"{len(want)}; set character_dict_path/use_space_char in Global only "
                                  "(not per component) so both use the same dictionary")

    def start_run(self, core: dict[str, Any], save_dir: str) -> None:
        return None

    def hooks(self, cfg: dict, core: dict[str, Any]) -> tuple[list, list]:
        return workflow_hooks(cfg["Global"], core["postprocess"], line_recognizer=False)

    def result_writer(self, cfg: dict):
        model_type = cfg["Architecture"].get("model_type")
        if model_type not in RESULT_WRITERS:
            raise ConfigError(f"inference on single images supports model_type {sorted(RESULT_WRITERS)}, got "
                              f"{model_type!r}")
        return RESULT_WRITERS[model_type](cfg["Global"].get("save_res_path"))

    def export(self, cfg: dict, core: dict[str, Any]) -> str:
        return export_model(cfg, core["model"], core["postprocess"])


def check_model(model, arch_cfg: dict) -> None:
    """Raise ConfigError when a built model does not meet :class:`ppocr.engine.contracts.Model`."""
    if not isinstance(model, C.Model):
        raise ConfigError(f"Architecture {arch_cfg.get('name') or 'BaseModel'}: the built {type(model).__name__} has "
                          "no input_keys (the batch keys it reads, e.g. ['image']); see ppocr/engine/contracts.py")


def task_for(cfg: dict) -> Task:
    """The task ``cfg`` belongs to (see the module docstring).

    Raises:
        ConfigError: ``Global`` sets a key of another task (``Global.continue_from`` on a det config).
    """
    arch = cfg.get("Architecture") or {}
    owners = [name for name in TASKS.names() if TASKS.get(name).owns(arch)]
    if len(owners) > 1:
        raise ConfigError(f"the Architecture section is claimed by several tasks ({', '.join(owners)}); "
                          "a task's owns() must be specific to its architectures")
    task = TASKS.get(owners[0])() if owners else GenericTask()
    for key in cfg.get("Global") or {}:
        if key in task.global_keys:
            continue
        other = next((n for n in TASKS.names() if key in TASKS.get(n).global_keys), None)
        if other is not None:
            raise ConfigError(f"Global.{key} is read only by the {other} task ({TASKS.get(other).selected_by}); this "
                              f"config is a {task.name} one (Architecture.name {arch.get('name')!r}, model_type "
                              f"{arch.get('model_type')!r}): remove Global.{key}")
    return task
