"""Models: importing this package registers every backbone, neck, head and architecture."""
from ppocr.modeling import backbones, heads, layers, necks  # noqa: F401  (registration)
from ppocr.modeling.architectures import BaseModel, build_model

__all__ = ["BaseModel", "build_model"]
