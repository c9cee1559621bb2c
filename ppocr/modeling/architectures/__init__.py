"""Architectures and ``build_model``."""
from ppocr.modeling.architectures.base_model import BaseModel, build_model
from ppocr.modeling.architectures.vgsl_model import VGSLModel  # noqa: F401  (registration)

__all__ = ["BaseModel", "build_model"]
