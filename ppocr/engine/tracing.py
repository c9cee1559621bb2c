"""Turn a model into the static program an inference model holds: the wrapper that feeds the program's inputs
to the model as a batch dict, the fusing of reparameterised layers, and the trace-and-save step.

:mod:`ppocr.engine.export` uses these to write an export, :mod:`ppocr.engine.inference_import` to trace the
program a config's model would export, to compare it with a released one.
"""
from __future__ import annotations

import logging

import paddle

from ppocr.engine import contracts as C

logger = logging.getLogger(__name__)


class InferenceWrapper(paddle.nn.Layer):
    """Feeds the exported program's input to ``model`` as a batch dict.

    One input key: ``x`` is a tensor. Several (e.g. token models): ``x`` is a list in ``input_keys`` order,
    and the input spec is passed as one nested list.
    """

    def __init__(self, model: paddle.nn.Layer):
        super().__init__()
        self.model = model
        self.keys = list(C.input_keys(model))

    def forward(self, x):
        if len(self.keys) == 1:
            return self.model({self.keys[0]: x})
        return self.model(dict(zip(self.keys, x)))


def reparameterized_layers(model: paddle.nn.Layer) -> list[tuple[str, paddle.nn.Layer]]:
    """``(path, layer)`` of every sublayer (``model`` itself included, path ``''``) with a fused inference form
    (:class:`ppocr.engine.contracts.Reparameterizable`), outermost first."""
    return [(name, layer) for name, layer in model.named_sublayers(include_self=True)
            if isinstance(layer, C.Reparameterizable)]


def fuse_for_export(model: paddle.nn.Layer) -> int:
    """Switch every re-parameterisable sublayer of ``model`` to its fused inference form, in place.

    Run it in eval mode, after the weights are loaded: the fused convs fold in the BN running
    statistics. Layers already fused are left alone.

    Returns:
        How many layers were fused.
    """
    layers = [layer for _, layer in reparameterized_layers(model) if not layer.is_repped]
    for layer in layers:
        layer.rep()
    if layers:
        logger.info("fused %d re-parameterisable layers (%s) for export", len(layers),
                    ", ".join(sorted({type(m).__name__ for m in layers})))
    return len(layers)


def save_program(model: paddle.nn.Layer, spec: list, prefix: str) -> None:
    """Trace ``model`` (eval mode, whole graph) for the input ``spec`` and save it as ``prefix`` + ``.json``
    (Paddle 3) or ``.pdmodel``, with ``prefix.pdiparams``.

    ``spec``: one ``InputSpec`` per model input key; several are passed to the wrapper as one list.
    """
    model.eval()
    if len(spec) > 1:
        spec = [spec]
    static = paddle.jit.to_static(InferenceWrapper(model), input_spec=spec, full_graph=True)
    paddle.jit.save(static, prefix)
