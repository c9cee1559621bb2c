"""CombinedLoss: a weighted sum of several losses (PaddleOCR's ``loss_config_list``), e.g. for distillation.

Example config::

    Loss:
      name: CombinedLoss
      loss_config_list:
      - DistillationVQASerTokenLayoutLMLoss: {weight: 1.0, model_name_list: [Student, Teacher], key: backbone_out,
                                              num_classes: 7}
      - DistillationSERDMLLoss: {weight: 1.0, act: softmax, use_log: true, model_name_pairs: [[Student, Teacher]],
                                 key: backbone_out}
"""
from __future__ import annotations

import numbers

import paddle
import paddle.nn as nn

from ppocr.registry import LOSSES, accepted_params, build
from ppocr.utils.errors import ConfigError, DataError


@LOSSES.register()
class CombinedLoss(nn.Layer):
    """Sum of the losses in ``loss_config_list``, each times its ``weight``.

    Each component returns a dict: its ``loss`` entry (or, without one, the sum of its entries)
    is added to the total, and every entry is logged, weighted. The result has ``loss`` (the
    total) and the components' entries (a component's ``loss`` is logged as ``loss_<Name>``).

    Args:
        loss_config_list: ``[{Name: {weight: w, option: value, ...}}, ...]``; ``weight``
            defaults to 1; a ``name`` option is the component's own (the prefix of its terms).

    Raises:
        ConfigError: a malformed entry, a bad weight, or an unknown loss or option.
    """

    def __init__(self, loss_config_list: list):
        super().__init__()
        if not isinstance(loss_config_list, list) or not loss_config_list:
            raise ConfigError("Loss.loss_config_list must be a non-empty list of {LossName: {weight: ..., ...}}, "
                              f"got {loss_config_list!r}")
        self.names, self.weights, losses = [], [], []
        for i, entry in enumerate(loss_config_list):
            where = f"Loss.loss_config_list.{i}"
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ConfigError(f"{where}: expected {{LossName: {{weight: ..., ...}}}}, got {entry!r}")
            name, args = next(iter(entry.items()))
            args = dict(args or {})
            weight = args.pop("weight", 1.0)
            if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or weight < 0:
                raise ConfigError(f"{where}.{name}.weight must be a number >= 0, got {weight!r}")
            extra = {}
            if "name" in args:  # PaddleOCR: the component's own `name` option (the prefix of its logged terms)
                term = args.pop("name")
                if name in LOSSES and "name" not in accepted_params(LOSSES.get(name))[0]:
                    raise ConfigError(f"{where}.{name} has no option 'name'")
                extra["name"] = term
            losses.append(build(dict(args, name=name), LOSSES, where=f"{where}.{name}", **extra))
            self.names.append(name)
            self.weights.append(float(weight))
        self.losses = nn.LayerList([m for m in losses if isinstance(m, nn.Layer)])
        self._losses = losses

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out: dict[str, paddle.Tensor] = {}
        total = None
        for name, weight, loss_fn in zip(self.names, self.weights, self._losses):
            part = loss_fn(preds, batch)
            if isinstance(part, paddle.Tensor):
                part = {"loss": part}
            if not isinstance(part, dict) or not part:
                raise DataError(f"{name} returned {type(part).__name__}; a loss must return a dict of tensors")
            part = {k: v * weight for k, v in part.items()}
            value = part["loss"] if "loss" in part else paddle.add_n(list(part.values()))
            total = value if total is None else total + value
            for key, v in part.items():
                key = f"loss_{name}" if key == "loss" else key
                while key in out:
                    key += "_"
                out[key] = v
        out["loss"] = total
        return out
