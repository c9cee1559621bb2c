"""Architectures and ``build_model``."""
from ppocr.modeling.architectures.base_model import BaseModel, build_model
from ppocr.modeling.architectures.vgsl_model import VGSLModel  # noqa: F401  (registration)
from ppocr.modeling.architectures.kie_model import KIEModel  # noqa: F401  (registration)
from ppocr.modeling.architectures.distillation_model import DistillationModel  # noqa: F401  (registration)

__all__ = ["BaseModel", "build_model"]
