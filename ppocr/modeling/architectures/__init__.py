"""Architectures and ``build_model``."""
from ppocr.modeling.architectures.base_model import BaseModel, build_model

__all__ = ["BaseModel", "build_model"]
