"""Training engine: the loop, hooks, checkpoints, and the train/eval/export/infer entry points."""
from ppocr.engine import hooks  # noqa: F401  (registers the hooks)
# Load the export submodule before binding the export() function: a submodule imported later would
# replace the package attribute ``export`` with the module.
from ppocr.engine import export as _export_module  # noqa: F401
from ppocr.engine.program import build_core, evaluate, export, import_inference, infer, train

__all__ = ["train", "evaluate", "export", "infer", "build_core", "import_inference"]
