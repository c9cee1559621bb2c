"""Recognition distillation losses (PP-OCRv4 mobile): each model's own CTC / NRTR loss, and a student taught by
a teacher's NRTR (DKD) and CTC (logits) outputs.

The models are ``MultiHead`` recognisers built with ``return_all_feats: true``: in training each returns
``{"backbone_out", "neck_out", "head_out": {"ctc", "ctc_neck", "nrtr"}}``. PaddleOCR calls the NRTR branch
``gtc``; both names are read. Example (``configs/rec/PP-OCRv4/PP-OCRv4_mobile_rec_distillation.yml``)::

    - DistillationDKDLoss: {weight: 0.1, model_name_pairs: [[Student, Teacher]], key: head_out, multi_head: true,
                            alpha: 1.0, beta: 2.0, dis_head: gtc, name: dkd}
    - DistillationCTCLoss: {weight: 1.0, model_name_list: [Student], key: head_out, multi_head: true}
    - DistillationNRTRLoss: {weight: 1.0, smoothing: false, model_name_list: [Student], key: head_out,
                             multi_head: true}
    - DistillCTCLogits: {weight: 1.0, reduction: mean, model_name_pairs: [[Student, Teacher]], key: head_out}
"""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr.losses.distillation_common import branch, model_names, model_pairs, pick
from ppocr.losses.rec_ctc_loss import CTCLoss
from ppocr.registry import LOSSES
from ppocr.utils.errors import ConfigError, DataError


def _need(batch: dict, key: str, who: str) -> paddle.Tensor:
    if key not in batch:
        raise DataError(f"{who} needs batch[{key!r}] (MultiLabelEncode, kept by KeepKeys), got keys {sorted(batch)}")
    return batch[key]


def nrtr_targets(batch: dict, who: str) -> paddle.Tensor:
    """The tokens NRTR predicts, flattened: ``label_gtc[:, 1:2 + max(length)]`` -> ``[B * (max_len + 1)]``."""
    max_len = int(_need(batch, "length", who).max())
    return _need(batch, "label_gtc", who)[:, 1:2 + max_len].reshape([-1]).astype("int64")


def _flag(value, arg: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{arg} must be true or false, got {value!r}")
    return value


@LOSSES.register()
class DistillationCTCLoss(nn.Layer):
    """``CTCLoss`` of every model in ``model_name_list`` (its ``ctc`` branch with ``multi_head``, against
    ``label_ctc``; else its whole output against ``label``), logged as ``<name>_<model>_<index>``.

    Args:
        model_name_list: the models.
        key: the entry of each output (``head_out``).
        multi_head: read the MultiHead's ``ctc`` branch and ``label_ctc``.
        name: prefix of the logged terms.
    """

    def __init__(self, model_name_list: list[str] = ("Student",), key: str | None = None, multi_head: bool = False,
                 name: str = "loss_ctc"):
        super().__init__()
        self.model_name_list = model_names(model_name_list)
        self.key, self.multi_head, self.name = key, _flag(multi_head, "multi_head"), name
        self.ctc = CTCLoss()

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out = {}
        for i, m in enumerate(self.model_name_list):
            pred = pick(preds, m, self.key)
            labels = batch
            if self.multi_head:
                pred = branch(pred, "ctc", m)
                labels = {**batch, "label": _need(batch, "label_ctc", "DistillationCTCLoss")}
            out[f"{self.name}_{m}_{i}"] = self.ctc(pred, labels)["loss"]
        return out


@LOSSES.register()
class DistillationNRTRLoss(nn.Layer):
    """Cross-entropy of the NRTR branch (``gtc``/``nrtr``) of every model in ``model_name_list`` against
    :func:`nrtr_targets`, logged as ``<name>_<model>_<index>``.

    As PaddleOCR's (its ``CELoss``): with ``smoothing`` label smoothing 0.1 averaged over the non-padding
    tokens; without it the plain mean over all target positions, padding (class 0) included.

    Args:
        model_name_list: the models.
        key: the entry of each output (``head_out``).
        multi_head: read the MultiHead's NRTR branch (else the whole output is the NRTR logits).
        smoothing: see above.
        name: prefix of the logged terms.
    """

    def __init__(self, model_name_list: list[str] = ("Student",), key: str | None = None, multi_head: bool = False,
                 smoothing: bool = True, name: str = "loss_nrtr"):
        super().__init__()
        self.model_name_list = model_names(model_name_list)
        self.key, self.multi_head = key, _flag(multi_head, "multi_head")
        self.smoothing, self.name = _flag(smoothing, "smoothing"), name

    def _ce(self, logits: paddle.Tensor, tgt: paddle.Tensor) -> paddle.Tensor:
        pred = logits.reshape([-1, logits.shape[-1]])
        if pred.shape[0] != tgt.shape[0]:
            raise DataError(f"DistillationNRTRLoss: {pred.shape[0]} predicted tokens but {tgt.shape[0]} targets")
        if not self.smoothing:
            return F.cross_entropy(pred, tgt, reduction="mean")
        eps, classes = 0.1, pred.shape[1]
        one_hot = F.one_hot(tgt, classes)
        soft = one_hot * (1 - eps) + (1 - one_hot) * eps / (classes - 1)
        per_token = -(soft * F.log_softmax(pred, axis=1)).sum(axis=1)
        return per_token.masked_select(tgt != 0).mean()

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        tgt = nrtr_targets(batch, "DistillationNRTRLoss")
        out = {}
        for i, m in enumerate(self.model_name_list):
            pred = pick(preds, m, self.key)
            if self.multi_head:
                pred = branch(pred, "gtc", m)
            out[f"{self.name}_{m}_{i}"] = self._ce(pred, tgt)
        return out


@LOSSES.register()
class DistillationDKDLoss(nn.Layer):
    """Decoupled knowledge distillation on the NRTR tokens of a student/teacher pair (Zhao et al. 2022).

    Per target position (:func:`nrtr_targets`; padding positions count, as in PaddleOCR), with softmax at
    ``temperature`` T: TCKD is the KL between the teacher's and the student's binary
    (target class / all others) probabilities, NCKD the KL between their distributions over the
    non-target classes; each is averaged over the positions and times T^2, and the loss is
    ``alpha * TCKD + beta * NCKD``, logged as ``<name>_<pair index>``.

    Args:
        model_name_pairs: ``[[student, teacher], ...]``.
        key: the entry of each output (``head_out``).
        multi_head: must be true (PaddleOCR computes DKD on a MultiHead branch only).
        dis_head: the branch (``gtc``: NRTR).
        maps_name: must be null (a detection option of PaddleOCR's shared base).
        name: prefix of the logged terms.
        temperature: softmax temperature.
        alpha: weight of TCKD.
        beta: weight of NCKD.
    """

    def __init__(self, model_name_pairs: list = (("Student", "Teacher"),), key: str | None = None,
                 multi_head: bool = False, dis_head: str = "ctc", maps_name: str | None = None, name: str = "dkd",
                 temperature: float = 1.0, alpha: float = 1.0, beta: float = 1.0):
        super().__init__()
        if _flag(multi_head, "multi_head") is not True:
            raise ConfigError("DistillationDKDLoss needs multi_head: true (it distils a MultiHead branch, dis_head, "
                              "against the NRTR targets)")
        if maps_name is not None:
            raise ConfigError(f"DistillationDKDLoss.maps_name must be null, got {maps_name!r}")
        for arg, v in (("temperature", temperature), ("alpha", alpha), ("beta", beta)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (arg == "temperature" and v == 0):
                raise ConfigError(f"{arg} must be a number >= 0 (temperature > 0), got {v!r}")
        self.model_name_pairs = model_pairs(model_name_pairs)
        self.key, self.dis_head, self.name = key, dis_head, name
        self.temperature, self.alpha, self.beta = float(temperature), float(alpha), float(beta)

    @staticmethod
    def _kl(log_p: paddle.Tensor, q: paddle.Tensor) -> paddle.Tensor:
        return (q * (paddle.log(q + 1e-10) - log_p)).sum(axis=1).mean()

    def dkd(self, student: paddle.Tensor, teacher: paddle.Tensor, target: paddle.Tensor) -> paddle.Tensor:
        """The DKD loss of ``[B, L, C]`` logits for ``[B * L]`` target classes."""
        t = self.temperature
        s, te = student.flatten(0, 1), teacher.flatten(0, 1)
        if s.shape[0] != target.shape[0]:
            raise DataError(f"DistillationDKDLoss: {s.shape[0]} predicted tokens but {target.shape[0]} targets")
        gt = F.one_hot(target, num_classes=s.shape[-1]).astype(s.dtype)
        other = 1 - gt
        ps, pt = F.softmax(s / t, axis=1), F.softmax(te / t, axis=1)
        bs = paddle.concat([(ps * gt).sum(1, keepdim=True), (ps * other).sum(1, keepdim=True)], axis=1)
        bt = paddle.concat([(pt * gt).sum(1, keepdim=True), (pt * other).sum(1, keepdim=True)], axis=1)
        tckd = self._kl(paddle.log(bs), bt) * t ** 2
        nckd = self._kl(F.log_softmax(s / t - 1000.0 * gt, axis=1), F.softmax(te / t - 1000.0 * gt, axis=1)) * t ** 2
        return self.alpha * tckd + self.beta * nckd

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        tgt = nrtr_targets(batch, "DistillationDKDLoss")
        out = {}
        for i, (a, b) in enumerate(self.model_name_pairs):
            sa = branch(pick(preds, a, self.key), self.dis_head, a)
            sb = branch(pick(preds, b, self.key), self.dis_head, b)
            out[f"{self.name}_{i}"] = self.dkd(sa, sb, tgt)
        out["loss"] = paddle.add_n(list(out.values()))
        return out


@LOSSES.register()
class DistillCTCLogits(nn.Layer):
    """The student's CTC distribution, averaged over time, learns the teacher's (PaddleOCR's ``mean`` mode).

    The blank logit of both is negated, softmax at temperature 0.5 is averaged over the time steps
    (the two models may have different numbers), and the loss is
    ``sum(q * log((q + 1e-6) / (p + 1e-6) + 1e-6)) / batch`` for the teacher's ``q`` and the student's ``p``,
    logged as ``<name>_<pair index>``.

    Args:
        model_name_pairs: ``[[student, teacher], ...]``.
        key: the entry of each output holding the MultiHead output (``head_out``); its ``ctc`` branch is used.
        name: prefix of the logged terms.
        reduction: ``mean`` (PaddleOCR's only behaviour).
    """

    TEMPERATURE = 0.5
    EPS = 1e-6

    def __init__(self, model_name_pairs: list = (("Student", "Teacher"),), key: str | None = None,
                 name: str = "ctc_logits", reduction: str = "mean"):
        super().__init__()
        if reduction != "mean":
            raise ConfigError(f"DistillCTCLogits.reduction must be 'mean', got {reduction!r}")
        self.model_name_pairs = model_pairs(model_name_pairs)
        self.key, self.name = key, name

    def _mean_probs(self, logits: paddle.Tensor) -> paddle.Tensor:
        sign = paddle.ones([logits.shape[-1]], dtype=logits.dtype)
        sign[0] = -1.0
        return F.softmax(logits * sign / self.TEMPERATURE, axis=-1).mean(axis=1)

    def forward(self, preds, batch: dict) -> dict[str, paddle.Tensor]:
        out = {}
        for i, (a, b) in enumerate(self.model_name_pairs):
            p = self._mean_probs(branch(pick(preds, a, self.key), "ctc", a))
            q = self._mean_probs(branch(pick(preds, b, self.key), "ctc", b))
            kl = q * paddle.log((q + self.EPS) / (p + self.EPS) + self.EPS)
            out[f"{self.name}_{i}"] = kl.sum() / kl.shape[0]
        return out
