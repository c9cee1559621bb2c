"""Backbones; importing this package registers them in ``BACKBONES``."""
from ppocr.modeling.backbones import rec_mobilenet_v3, rec_resnet_vd  # noqa: F401  (registration)
from ppocr.modeling.backbones import det_mobilenet_v3, det_resnet_vd  # noqa: F401  (registration)
from ppocr.modeling.backbones import kie_layoutxlm  # noqa: F401  (registration)
from ppocr.modeling.backbones import rec_lcnetv3  # noqa: F401  (registration; det and rec, one class)
from ppocr.modeling.backbones import rec_mv1_enhance  # noqa: F401  (registration)
from ppocr.modeling.backbones import rec_svtrnet  # noqa: F401  (registration)
