"""Training engine: the loop, hooks, checkpoints, and the train/eval/export/infer entry points."""
from ppocr.engine import hooks  # noqa: F401  (registers the hooks)
from ppocr.engine.program import build_core, evaluate, export, infer, train

__all__ = ["train", "evaluate", "export", "infer", "build_core"]
