"""MultiLoss: the loss of a ``MultiHead`` model, CTC on its CTC branch plus SAR or NRTR on the guiding one.

Example config (PP-OCRv4)::

    Loss:
      name: MultiLoss
      loss_config_list:
        - CTCLoss:
        - NRTRLoss:
"""
from __future__ import annotations

import numbers

import paddle
import paddle.nn as nn

from ppocr.registry import LOSSES, build, nearest
from ppocr.utils.errors import ConfigError, DataError

#: loss name -> (the MultiHead output it reads, the batch key that is its label)
BRANCHES = {"CTCLoss": ("ctc", "label_ctc"), "SARLoss": ("sar", "label_sar"), "NRTRLoss": ("nrtr", "label_gtc")}


@LOSSES.register()
class MultiLoss(nn.Layer):
    """``weight_1 * CTC + weight_2 * (SAR or NRTR)``, each on its branch of the ``MultiHead`` output.

    Each component gets the batch with its label under ``label`` (CTC: ``label_ctc``, SAR:
    ``label_sar``, NRTR: ``label_gtc``). The result has ``loss`` (the total) and each component's
    weighted loss under its name (``CTCLoss``, ``NRTRLoss``...), as PaddleOCR logs them.

    Args:
        loss_config_list: ``[{CTCLoss: options or null}, {SARLoss or NRTRLoss: options or null}]``.
        weight_1: weight of the CTC loss.
        weight_2: weight of the SAR/NRTR loss.

    Raises:
        ConfigError: an entry that is not one of CTCLoss, SARLoss, NRTRLoss, a malformed entry or
            an unknown option of a component.
    """

    def __init__(self, loss_config_list: list, weight_1: float = 1.0, weight_2: float = 1.0):
        super().__init__()
        if not isinstance(loss_config_list, list) or not loss_config_list:
            raise ConfigError("Loss.loss_config_list must be a non-empty list such as [{CTCLoss: null}, "
                              f"{{NRTRLoss: null}}], got {loss_config_list!r}")
        for arg, w in (("weight_1", weight_1), ("weight_2", weight_2)):
            if isinstance(w, bool) or not isinstance(w, numbers.Real) or w < 0:
                raise ConfigError(f"Loss.{arg} must be a number >= 0, got {w!r}")
        self.names, self.weights, losses = [], [], []
        for i, entry in enumerate(loss_config_list):
            where = f"Loss.loss_config_list.{i}"
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ConfigError(f"{where}: expected {{LossName: options or null}}, got {entry!r}")
            name, args = next(iter(entry.items()))
            if name not in BRANCHES:
                raise ConfigError(f"{where}: MultiLoss combines {', '.join(BRANCHES)}, not {name!r}; "
                                  f"{nearest(str(name), BRANCHES)}")
            if args is not None and not isinstance(args, dict):
                raise ConfigError(f"{where}.{name}: options must be a mapping or empty, got {args!r}")
            losses.append(build({"name": name, **(args or {})}, LOSSES, where=f"{where}.{name}"))
            self.names.append(name)
            self.weights.append(float(weight_1 if name == "CTCLoss" else weight_2))
        self.losses = nn.LayerList(losses)

    def forward(self, preds: dict, batch: dict) -> dict[str, paddle.Tensor]:
        if not isinstance(preds, dict):
            raise DataError(f"MultiLoss expects a MultiHead's training output (a dict with 'ctc' and 'sar' or "
                            f"'nrtr'), got {type(preds).__name__}")
        out: dict[str, paddle.Tensor] = {}
        total = None
        for name, weight, loss_fn in zip(self.names, self.weights, self.losses):
            pred_key, label_key = BRANCHES[name]
            for key, source, what in ((pred_key, preds, "the model output"), (label_key, batch, "the batch")):
                if key not in source:
                    raise DataError(f"MultiLoss: {name} needs {key!r} in {what}, got {sorted(source)}; the "
                                    "MultiHead head_list and MultiLabelEncode/KeepKeys must agree with loss_config_list")
            part = loss_fn(preds[pred_key], {**batch, "label": batch[label_key]})["loss"] * weight
            out[name] = part
            total = part if total is None else total + part
        out["loss"] = total
        return out
