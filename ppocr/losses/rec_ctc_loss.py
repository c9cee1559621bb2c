"""CTC loss for recognition heads that output per-time-step logits."""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.registry import LOSSES
from ppocr.utils.errors import DataError


@LOSSES.register()
class CTCLoss(nn.Layer):
    """Connectionist temporal classification loss, blank index 0, mean over the batch.

    Each sample's loss is the negative log-likelihood of its label over all alignments (not
    divided by the label length). ``paddle.nn.functional.ctc_loss`` applies the softmax itself,
    so the head's raw logits go in.

    Example:
        >>> loss_fn = CTCLoss()
        >>> loss_fn(logits, {"label": label, "length": length})["loss"]

    Args:
        use_focal_loss: weight each sample by ``(1 - exp(-loss)) ** 2`` so easy samples count less.
        aux_weight: weight of the auxiliary head's CTC loss when the model has one
            (``Architecture.AuxHead``): ``loss = loss_ctc + aux_weight * loss_aux``.

    Shape:
        preds: [B, T, C] logits (or a tuple/list whose last item is; heads with
        ``return_feats`` return ``(feats, logits)``), or ``{"head_out": that, "aux_out": [B, T, C]}``
        from a model with an auxiliary head; batch['label']: [B, L] int (0-padded);
        batch['length']: [B] int, each <= T; optional batch['sample_weight']: [B] float, multiplies
        each sample's loss (the mean is still over all B). Output ``loss``: scalar (with an
        auxiliary head also ``loss_ctc`` and ``loss_aux``, logged separately).
    """

    takes_sample_weight = True  # batch['sample_weight'] [B] multiplies each sample's loss
    takes_aux = True            # adds the loss of Architecture.AuxHead's output (preds['aux_out'])

    def __init__(self, use_focal_loss: bool = False, aux_weight: float = 1.0):
        super().__init__()
        self.use_focal_loss = use_focal_loss
        if not isinstance(aux_weight, (int, float)) or aux_weight < 0:
            raise ValueError(f"aux_weight must be a number >= 0, got {aux_weight!r}")
        self.aux_weight = float(aux_weight)

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        if isinstance(preds, dict):
            if "head_out" not in preds:
                raise DataError(f"CTCLoss expects the logits under 'head_out', got keys {sorted(preds)}")
            main = self._ctc(preds["head_out"], batch)
            if preds.get("aux_out") is None:
                return {"loss": main}
            aux = self._ctc(preds["aux_out"], batch)
            return {"loss": main + self.aux_weight * aux, "loss_ctc": main, "loss_aux": aux}
        return {"loss": self._ctc(preds, batch)}

    def _ctc(self, preds, batch: dict) -> paddle.Tensor:
        if isinstance(preds, (list, tuple)):
            preds = preds[-1]
        for key in ("label", "length"):
            if key not in batch:
                raise DataError(f"CTCLoss needs batch[{key!r}] (from the CTC label encoder); "
                                f"got keys {sorted(batch)}")
        if len(preds.shape) != 3:
            raise DataError(f"CTCLoss expects logits [B, T, C], got shape {list(preds.shape)}")
        logits = preds.transpose([1, 0, 2])  # [T, B, C]
        t, b = logits.shape[0], logits.shape[1]
        input_lengths = paddle.full([b], t, dtype="int64")
        labels = batch["label"].astype("int32")
        label_lengths = batch["length"].astype("int64").reshape([-1])
        loss = F.ctc_loss(logits, labels, input_lengths, label_lengths, blank=0, reduction="none")
        loss = loss.reshape([-1])
        if self.use_focal_loss:
            weight = paddle.square(1.0 - paddle.exp(-loss))
            loss = loss * weight
        if batch.get("sample_weight") is not None:  # e.g. 0 for lines skipped by perfect_sample_delay
            loss = loss * batch["sample_weight"].astype(loss.dtype).reshape([-1])
        return loss.mean()
