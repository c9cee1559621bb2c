"""OCR training toolkit on PaddlePaddle. Importing ``ppocr`` registers every built-in component."""
from ppocr import data, losses, metrics, modeling, optimizer, postprocess  # noqa: F401
from ppocr import engine  # noqa: F401  (after the components: it builds from them)
from ppocr.kie import task as _kie_task  # noqa: F401  (registers the tasks, which build on the engine)
from ppocr.vgsl import task as _vgsl_task  # noqa: F401

__version__ = "0.1.0"
