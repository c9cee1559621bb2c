"""MultiHead: PP-OCRv3/v4/v5's CTC head trained together with a guiding attention head.

The CTC branch (a ``SequenceEncoder`` neck and a ``CTCHead``) is the model that is evaluated and
exported; the second branch (``SARHead``, or ``NRTRHead`` behind a linear projection) only shapes the
backbone's features during training. Checkpoint keys follow PaddleOCR's ``rec_multi_head.py``:
``ctc_encoder.*``, ``ctc_head.*``, ``sar_head.*`` or ``before_gtc.*`` and ``gtc_head.*``.

Example config (PP-OCRv4)::

    Head:
      name: MultiHead
      head_list:
        - CTCHead:
            Neck: {name: svtr, dims: 120, depth: 2, hidden_dims: 120, kernel_size: [1, 3], use_guide: True}
            Head: {fc_decay: 0.00001}
        - NRTRHead: {nrtr_dim: 384, max_text_length: 25}
"""
from __future__ import annotations

import paddle
import paddle.nn as nn
from paddle.nn.initializer import Constant, TruncatedNormal

from ppocr.registry import HEADS, NECKS, build, nearest
from ppocr.utils.errors import ConfigError, DataError

#: ``out_channels_list`` keys (PaddleOCR's, named after the decoders) and the class count of each
#: branch given the CTC classes ``n`` (dictionary + blank): SAR adds start/end and padding, the NRTR
#: vocabulary has padding, unknown, start and end in front of the dictionary.
BRANCH_CLASSES = {"CTCLabelDecode": lambda n: n, "SARLabelDecode": lambda n: n + 2,
                  "NRTRLabelDecode": lambda n: n + 3}
NRTR_OPTIONS = {"nrtr_dim": 256, "max_text_length": 25, "num_decoder_layers": 4}
GUIDE_HEADS = ("SARHead", "NRTRHead")


class FCTranspose(nn.Layer):
    """[B, C, N] -> [B, N, out_channels]: put positions first and project (key ``fc``, no bias)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.fc = nn.Linear(in_channels, out_channels, bias_attr=False)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.fc(x.transpose([0, 2, 1]))


class AddPos(nn.Layer):
    """Add a learnt position embedding (``dec_pos_embed`` [1, max_positions, dim]) to [B, N, dim]."""

    def __init__(self, dim: int, max_positions: int):
        super().__init__()
        self.dec_pos_embed = self.create_parameter([1, max_positions, dim], default_initializer=Constant(0.0))
        TruncatedNormal(std=0.02)(self.dec_pos_embed)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return x + self.dec_pos_embed[:, :x.shape[1], :]


def _entry(entry, i: int) -> tuple[str, dict]:
    where = f"Architecture.Head.head_list.{i}"
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ConfigError(f"{where}: expected {{HeadName: {{options}}}} (CTCHead, SARHead or NRTRHead), got {entry!r}")
    name, args = next(iter(entry.items()))
    if args is not None and not isinstance(args, dict):
        raise ConfigError(f"{where}.{name}: options must be a mapping, got {args!r}")
    return name, dict(args or {})


@HEADS.register()
class MultiHead(nn.Layer):
    """A CTC branch and one guiding branch (SAR or NRTR) on the same backbone features.

    Eval mode returns only the CTC branch's probabilities [B, W, n], exactly what an exported model
    outputs. Training mode returns ``{"ctc": CTC logits, "ctc_neck": the neck's output, "sar" or
    "nrtr": the guiding branch's logits}`` and needs the batch: the guiding labels (``label_sar`` or
    ``label_gtc``), ``length`` and, for SAR, ``valid_ratio`` (from ``MultiLabelEncode`` and the resize).

    Args:
        in_channels: channels of the backbone output.
        out_channels: CTC classes (dictionary + blank), from the dictionary; the guiding branch's
            classes follow from it (:data:`BRANCH_CLASSES`).
        head_list: ``[{CTCHead: {Neck: {name: <encoder_type>, ...}, Head: {...}}}, {SARHead: {...}}
            or {NRTRHead: {nrtr_dim, max_text_length, num_decoder_layers}}]``.
        out_channels_list: PaddleOCR's explicit class counts per decoder name
            (``CTCLabelDecode``, ``SARLabelDecode``, ``NRTRLabelDecode``); by default derived from
            ``out_channels``.
        use_pool: average-pool [3, 2] over the features first (PaddleOCR's option for 2-D backbones).
        use_pos: add a learnt position embedding before the NRTR decoder.

    Attributes:
        out_channels: CTC classes.
        guide: ``'sar'`` or ``'nrtr'``.

    Raises:
        ConfigError: a head_list without exactly one CTCHead and one guiding head, unknown options.
    """

    def __init__(self, in_channels: int, out_channels: int, head_list: list[dict],
                 out_channels_list: dict[str, int] | None = None, use_pool: bool = False, use_pos: bool = False):
        super().__init__()
        if not isinstance(head_list, list) or len(head_list) < 2:
            raise ConfigError("Architecture.Head.head_list must list a CTCHead and a SARHead or NRTRHead, got "
                              f"{head_list!r}")
        entries = [_entry(e, i) for i, e in enumerate(head_list)]
        names = [n for n, _ in entries]
        for i, name in enumerate(names):
            if name not in ("CTCHead", *GUIDE_HEADS):
                raise ConfigError(f"Architecture.Head.head_list.{i}: MultiHead builds CTCHead, SARHead and NRTRHead, "
                                  f"not {name!r}; {nearest(name, ('CTCHead', *GUIDE_HEADS))}")
        if names.count("CTCHead") != 1 or sum(names.count(g) for g in GUIDE_HEADS) != 1:
            raise ConfigError(f"Architecture.Head.head_list must have one CTCHead and one SARHead or NRTRHead, "
                              f"got {names}")
        classes = {k: f(out_channels) for k, f in BRANCH_CLASSES.items()}
        for key, value in (out_channels_list or {}).items():
            if key not in classes:
                raise ConfigError(f"Architecture.Head.out_channels_list: unknown key {key!r}; {nearest(key, classes)}")
            classes[key] = value
        self.in_channels = in_channels
        self.out_channels = classes["CTCLabelDecode"]
        self.use_pool = use_pool
        self.pool = nn.AvgPool2D(kernel_size=[3, 2], stride=[3, 2], padding=0) if use_pool else None
        for i, (name, args) in enumerate(entries):
            where = f"Architecture.Head.head_list.{i}.{name}"
            if name == "CTCHead":
                self._build_ctc(args, where, in_channels, classes["CTCLabelDecode"])
            elif name == "SARHead":
                self.guide = "sar"
                self.sar_head = build({"name": "SARHead", **args}, HEADS, where=where, in_channels=in_channels,
                                      out_channels=classes["SARLabelDecode"])
            else:
                self.guide = "nrtr"
                unknown = [k for k in args if k not in NRTR_OPTIONS]
                if unknown:
                    raise ConfigError(f"{where}: no option {unknown[0]!r}; {nearest(unknown[0], NRTR_OPTIONS)}")
                opts = {**NRTR_OPTIONS, **args}
                dim = opts["nrtr_dim"]
                layers = [nn.Flatten(2), FCTranspose(in_channels, dim)]
                if use_pos:
                    layers.append(AddPos(dim, 80))
                self.before_gtc = nn.Sequential(*layers)
                self.gtc_head = build({"name": "NRTRHead", "num_decoder_layers": opts["num_decoder_layers"],
                                       "max_text_length": opts["max_text_length"]}, HEADS, where=where,
                                      in_channels=dim, out_channels=classes["NRTRLabelDecode"])

    def _build_ctc(self, args: dict, where: str, in_channels: int, classes: int) -> None:
        unknown = [k for k in args if k not in ("Neck", "Head")]
        if unknown:
            raise ConfigError(f"{where}: expected the keys Neck and Head, got {unknown[0]!r}")
        neck = dict(args.get("Neck") or {})
        if "name" not in neck:
            raise ConfigError(f"{where}.Neck needs a name, the SequenceEncoder encoder_type (svtr, rnn, fc, reshape)")
        neck_cfg = {"name": "SequenceEncoder", "encoder_type": neck.pop("name"), **neck}
        self.ctc_encoder = build(neck_cfg, NECKS, where=f"{where}.Neck", in_channels=in_channels)
        head = dict(args.get("Head") or {})
        if "name" in head and head["name"] != "CTCHead":
            raise ConfigError(f"{where}.Head is the CTCHead's options; remove name {head['name']!r}")
        head["name"] = "CTCHead"
        self.ctc_head = build(head, HEADS, where=f"{where}.Head", in_channels=self.ctc_encoder.out_channels,
                              out_channels=classes)

    @staticmethod
    def _need(batch: dict | None, key: str, guide: str) -> paddle.Tensor:
        if batch is None or key not in batch:
            got = sorted(batch) if batch is not None else None
            raise DataError(f"MultiHead's {guide} branch needs batch[{key!r}] in training (MultiLabelEncode writes "
                            f"the labels, the resize valid_ratio); keep it in Train KeepKeys, got keys {got}")
        return batch[key]

    def forward(self, x: paddle.Tensor, batch: dict | None = None):
        if self.pool is not None:
            x = self.pool(x.reshape([0, 3, -1, self.in_channels]).transpose([0, 3, 1, 2]))
        neck = self.ctc_encoder(x)
        ctc = self.ctc_head(neck)
        if not self.training:
            return ctc
        out = {"ctc": ctc, "ctc_neck": neck}
        if self.guide == "sar":
            ratio = self._need(batch, "valid_ratio", "SAR").astype("float32").reshape([-1])
            out["sar"] = self.sar_head(x, (self._need(batch, "label_sar", "SAR"), ratio))
        else:
            targets = (self._need(batch, "label_gtc", "NRTR"), self._need(batch, "length", "NRTR"))
            out["nrtr"] = self.gtc_head(self.before_gtc(x), targets)
        return out
