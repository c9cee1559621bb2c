"""OCR training toolkit on PaddlePaddle. Importing ``ppocr`` registers every built-in component."""
from ppocr import data, losses, metrics, modeling, optimizer, postprocess  # noqa: F401
from ppocr import engine  # noqa: F401  (after the components: it builds from them)

__version__ = "0.1.0"
