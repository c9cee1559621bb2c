"""Building blocks shared by every backbone, neck and head."""
from ppocr.modeling.layers.activation import ACTIVATIONS, HardSigmoid, build_activation
from ppocr.modeling.layers.channels import make_divisible
from ppocr.modeling.layers.conv_bn import ConvBNLayer, to_pair
from ppocr.modeling.layers.inverted_residual import ResidualUnit
from ppocr.modeling.layers.resnet_blocks import BasicBlock, BottleneckBlock, VDShortcut
from ppocr.modeling.layers.se_module import SEModule

__all__ = [
    "ACTIVATIONS", "HardSigmoid", "build_activation", "make_divisible", "ConvBNLayer", "to_pair",
    "ResidualUnit", "BasicBlock", "BottleneckBlock", "VDShortcut", "SEModule",
]
