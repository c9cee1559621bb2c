"""Backbones; importing this package registers them in ``BACKBONES``."""
from ppocr.modeling.backbones import rec_mobilenet_v3, rec_resnet_vd  # noqa: F401  (registration)
