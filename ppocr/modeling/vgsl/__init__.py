"""VGSL: build a network from a short spec string, as Tesseract's ``--net_spec`` and kraken's ``-s``.

Example:
    >>> from ppocr.modeling.vgsl import VGSLNet
    >>> net = VGSLNet("[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx256 O1c#]", num_classes=111)
    >>> net.layers[3].spec
    'Lfys48'

Layout: a spec's ``[batch, height, width, depth]`` is NCHW ``[B, depth, height, width]`` here;
every layer keeps 4-D tensors (a collapsed axis stays as size 1) and ``x`` is the width axis, ``y``
the height axis: ``Lfx`` runs left to right along each row, ``Lfy`` top to bottom along each
column, and ``s`` keeps only the final step, collapsing that axis to 1. The sequence output
``O1`` returns ``[B, width, classes]`` (logits in training, probabilities in eval), as ``CTCHead``.
``layers[0]`` is the input block, so indices match Tesseract's ``--append_index``.

``spec`` parses (:func:`parse_spec`, :data:`GRAMMAR`), ``builders`` holds one builder per token
kind, ``layers`` the layer classes, ``net`` the network. The registered architecture that a
config selects with ``Architecture.name: VGSLModel`` is in
``ppocr/modeling/architectures/vgsl_model.py``.
"""
from ppocr.modeling.vgsl.layers import (Conv2DLayer, DropoutLayer, FullyConnectedLayer, GroupNormLayer, InputLayer,
                                        MaxPoolLayer, OutputLayer, ParallelLayer, ReshapeLayer, RNNLayer, SeriesLayer,
                                        Shape, SpaceToDepthLayer, VGSLLayer)
from ppocr.modeling.vgsl.net import VGSLNet
from ppocr.modeling.vgsl.spec import GRAMMAR, ParsedSpec, VGSLSpecError, parse_spec, tokenize

__all__ = ["GRAMMAR", "Conv2DLayer", "DropoutLayer", "FullyConnectedLayer", "GroupNormLayer", "InputLayer",
           "MaxPoolLayer", "OutputLayer", "ParallelLayer", "ParsedSpec", "ReshapeLayer", "RNNLayer", "SeriesLayer",
           "Shape", "SpaceToDepthLayer", "VGSLLayer", "VGSLNet", "VGSLSpecError", "parse_spec", "tokenize"]
