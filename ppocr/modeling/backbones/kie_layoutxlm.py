"""LayoutXLM / VI-LayoutXLM for semantic entity recognition (SER) and relation extraction (RE).

The transformer comes from paddlenlp (``LayoutXLMModel``); weights are loaded only from local
directories (see :mod:`ppocr.kie.pretrained`). Both backbones take the whole batch dict
and are used without neck or head (``Architecture`` has only ``Backbone``)::

    Architecture:
      model_type: kie
      algorithm: LayoutXLM
      Transform:
      Backbone:
        name: LayoutXLMForSer        # or LayoutXLMForRe (no num_classes)
        pretrained: ./pretrained/starter_layoutxlm   # True = ./pretrained/<mode default>
        checkpoints:                 # a saved model directory; wins over pretrained
        mode: vi                     # vi: text and layout only; base: adds the visual backbone
        num_classes: 7               # 2 * classes - 1 (BIO tags)

Modes: ``vi`` (VI-LayoutXLM) reads no image. ``base`` adds paddlenlp's visual backbone (a
detectron2-style ResNeXt-101 FPN on a ``[3, 224, 224]`` image, frozen as in paddlenlp); it
builds and runs on CPU with random or local weights but needs the ``yacs`` package and is slow
on CPU.

Token inputs may carry a window axis (``[B, W, L]`` from ``max_windows > 1`` in the chunk
transforms): the windows run as separate sequences and their outputs are joined back to
``[B, W * L, ...]``, the flattened layout the transforms index entities in.

Weights are saved as paddlenlp directories (``save_pretrained``): ``model_state.pdparams`` and
``config.json`` (copied to ``model_config.json``, the name PaddleOCR's releases use). The
parameter names are paddlenlp's ``LayoutXLMForTokenClassification`` and
``LayoutXLMForRelationExtraction`` ones, so PaddleOCR's SER/RE model directories load.
"""
from __future__ import annotations

import logging
import os
import shutil
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle.static import InputSpec

from ppocr.registry import BACKBONES
from ppocr.utils.errors import ConfigError, DataError
from ppocr.kie.checkpoint import usable_checkpoint
from ppocr.kie.pretrained import check_model_dir, require_paddlenlp, resolve_pretrained

logger = logging.getLogger(__name__)

MODES = ("vi", "base")
TEXT_KEYS = ["input_ids", "bbox", "attention_mask", "token_type_ids"]
IMAGE_SHAPE = [3, 224, 224]


def _check_mode(mode: str, where: str) -> bool:
    """Validate ``mode``; return whether the visual backbone is used."""
    if mode not in MODES:
        raise ConfigError(f"{where}.mode must be 'vi' (VI-LayoutXLM, no image) or 'base' (with the visual "
                          f"backbone), got {mode!r}")
    if mode == "base":
        try:
            import yacs  # noqa: F401  (paddlenlp's visual backbone reads its config with yacs)
        except ImportError as e:
            raise ConfigError(f"{where}.mode 'base' builds paddlenlp's visual backbone, which needs the yacs "
                              "package (pip install yacs); or use mode: vi (no image)") from e
    return mode == "base"


def _load(model_cls, where: str, pretrained: Any, checkpoints: str | None, mode: str, **overrides) -> nn.Layer:
    """Build ``model_cls`` from ``checkpoints`` (priority) or ``pretrained``, forcing the visual mode.

    A checkpoint must fit exactly (same class count); from ``pretrained`` a classifier of
    another size starts fresh (fine-tuning a SER model on new classes).
    """
    overrides["use_visual_backbone"] = mode == "base"
    if checkpoints:
        if isinstance(checkpoints, str):
            checkpoints = usable_checkpoint(checkpoints)   # prefix.prev when the save of prefix was interrupted
        path = check_model_dir(checkpoints, f"{where}.checkpoints")
        source = "checkpoint"
        wanted = overrides.get("num_classes")
        if wanted is not None:
            have = require_paddlenlp(where).LayoutXLMConfig.from_pretrained(path).num_labels
            if have != wanted:
                raise ConfigError(f"{where}.checkpoints {path} was trained with {have} tags but num_classes is "
                                  f"{wanted}; use the class list it was trained with")
    else:
        path = resolve_pretrained(pretrained, mode, f"{where}.pretrained")
        source = "pretrained"
        if path is None:
            raise ConfigError(f"{where}: set pretrained to a model directory (or True for ./pretrained/"
                              f"{'vi-' if mode == 'vi' else ''}layoutxlm-base-uncased) or checkpoints to a saved "
                              "model; a starter directory comes from tools/make_kie_starter.py")
        overrides["ignore_mismatched_sizes"] = True
    model = model_cls.from_pretrained(path, **overrides)
    logger.info("%s: loaded %s weights from %s (mode %s)", where, source, path, mode)
    return model


def save_model_dir(model: nn.Layer, path: str) -> None:
    """``model.save_pretrained(path)`` plus a ``model_config.json`` copy of ``config.json``."""
    os.makedirs(path, exist_ok=True)
    model.save_pretrained(path)
    cfg = os.path.join(path, "config.json")
    if os.path.isfile(cfg):
        shutil.copyfile(cfg, os.path.join(path, "model_config.json"))


class _LayoutXLMBackbone(nn.Layer):
    """What SER and RE share: loading, window flattening, input checks, input specs and saving."""

    where = "Architecture.Backbone"

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        self.use_visual_backbone = _check_mode(mode, self.where)
        self.input_keys = TEXT_KEYS + (["image"] if self.use_visual_backbone else [])
        self._checked = False

    @property
    def config(self):
        return self.model.config

    def _check_inputs(self, ids: paddle.Tensor, bbox: paddle.Tensor) -> None:
        """Explain out-of-range ids or boxes once, instead of paddle's index errors."""
        if self._checked or not paddle.in_dynamic_mode():
            return
        self._checked = True
        vocab, grid = self.config.vocab_size, self.config.max_2d_position_embeddings
        if int(ids.max()) >= vocab or int(ids.min()) < 0:
            raise DataError(f"input_ids range {int(ids.min())}..{int(ids.max())} does not fit the model's "
                            f"vocabulary of {vocab}; the tokenizer (VQATokenLabelEncode.tokenizer_path) must be the "
                            "one the model was built with")
        if ids.shape[-1] > self.config.max_position_embeddings:
            raise DataError(f"sequence length {ids.shape[-1]} exceeds the model's max_position_embeddings "
                            f"{self.config.max_position_embeddings}; lower max_seq_len in the KIE transforms")
        b = bbox.reshape([-1, 4])
        if int(b.min()) < 0 or int(b.max()) >= grid or bool(((b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])).any()):
            raise DataError(f"bbox values must be x0 <= x1 and y0 <= y1 in 0..{grid - 1} (LayoutXLM's 0-1000 grid); "
                            "use VQATokenLabelEncode, which normalises and clips them")

    def _encoder_inputs(self, batch: dict) -> tuple[dict, tuple[int, int] | None]:
        """Model keyword inputs with any window axis folded into the batch; also ``(W, L)`` or None."""
        if not isinstance(batch, dict):
            raise DataError(f"{type(self).__name__} takes the batch dict, got {type(batch).__name__}")
        missing = [k for k in ("input_ids", "bbox") if k not in batch]
        if missing:
            raise DataError(f"{type(self).__name__} needs batch keys {missing}; keep them with KeepKeys "
                            f"(model inputs: {self.input_keys})")
        ids, bbox = batch["input_ids"], batch["bbox"]
        mask, types = batch.get("attention_mask"), batch.get("token_type_ids")
        image = batch.get("image") if self.use_visual_backbone else None
        if self.use_visual_backbone and image is None:
            raise DataError("mode 'base' needs batch['image'] ([B, 3, 224, 224]); keep 'image' in KeepKeys")
        windows = None
        if len(ids.shape) == 3:
            w, length = ids.shape[1], ids.shape[2]
            windows = (w, length)
            ids, bbox = ids.reshape([-1, length]), bbox.reshape([-1, length, 4])
            mask = mask.reshape([-1, length]) if mask is not None else None
            types = types.reshape([-1, length]) if types is not None else None
            if image is not None:
                image = paddle.repeat_interleave(image, w, axis=0)
        self._check_inputs(ids, bbox)
        inputs = {"input_ids": ids, "bbox": bbox.astype("int64"), "attention_mask": mask, "token_type_ids": types}
        if image is not None:
            inputs["image"] = image.astype("float32")
        return inputs, windows

    def save_pretrained(self, path: str) -> None:
        """Write the weights as a paddlenlp model directory (loadable as ``checkpoints``)."""
        save_model_dir(self.model, path)

    def input_spec(self, image_shape=None, max_seq_len: int = 512, max_windows: int = 1) -> list[InputSpec]:
        """Export signature: one ``InputSpec`` per ``input_keys`` entry, batch size free.

        Args:
            image_shape: ``[C, H, W]`` of the image input (base mode; default ``[3, 224, 224]``).
            max_seq_len: the token length (the ``max_seq_len`` of the KIE transforms).
            max_windows: the chunk transforms' ``max_windows``; above 1 the token inputs are
                ``[None, max_windows, max_seq_len]``.
        """
        seq = [None, max_seq_len] if max_windows == 1 else [None, max_windows, max_seq_len]
        specs = {"input_ids": InputSpec(seq, "int64", name="input_ids"),
                 "bbox": InputSpec(seq + [4], "int64", name="bbox"),
                 "attention_mask": InputSpec(seq, "int64", name="attention_mask"),
                 "token_type_ids": InputSpec(seq, "int64", name="token_type_ids"),
                 "image": InputSpec([None] + list(image_shape or IMAGE_SHAPE), "float32", name="image")}
        return [specs[k] for k in self.input_keys if k in specs]


@BACKBONES.register()
class LayoutXLMForSer(_LayoutXLMBackbone):
    """LayoutXLM token classification: one BIO tag per token.

    Args:
        num_classes: number of tags, ``2 * n - 1`` for ``n`` classes including OTHER.
        pretrained: ``True`` (``./pretrained/<mode default>``), a model directory (e.g. a
            starter), or ``False`` (then ``checkpoints`` is required).
        checkpoints: a directory saved by this model; has priority over ``pretrained``.
        mode: ``'vi'`` (no image) or ``'base'`` (with the visual backbone).

    Attributes:
        input_keys: ``input_ids, bbox, attention_mask, token_type_ids`` (+ ``image`` in base mode).
        checkpoints: the ``checkpoints`` directory the weights came from, or None.

    Shape:
        input_ids/attention_mask/token_type_ids ``[B, L]`` or ``[B, W, L]``; bbox ``[..., 4]``
        -> logits ``[B, L, num_classes]`` (``[B, W * L, num_classes]`` with windows). In training
        mode the output is ``{'backbone_out': logits, 'hidden_states_<i>': ...}``.

    Raises:
        ConfigError: missing weights directory, bad mode, or a checkpoint with another class count.
    """

    def __init__(self, num_classes: int, pretrained: Any = True, checkpoints: str | None = None, mode: str = "base"):
        super().__init__(mode)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1 or num_classes % 2 == 0:
            raise ConfigError(f"{self.where}.num_classes must be 2 * n - 1 for n classes including OTHER "
                              f"(an odd number), got {num_classes!r}")
        transformers = require_paddlenlp("LayoutXLMForSer")
        self.num_classes = num_classes
        self.checkpoints = checkpoints or None
        self.model = _load(transformers.LayoutXLMForTokenClassification, self.where, pretrained, checkpoints, mode,
                           num_classes=num_classes)

    def forward(self, batch: dict):
        inputs, windows = self._encoder_inputs(batch)
        out = self.model(**inputs)
        logits = out[0]
        if windows is not None:
            logits = logits.reshape([-1, windows[0] * windows[1], self.num_classes])
        if self.training:
            res = {"backbone_out": logits}
            res.update(out[1])
            return res
        return logits


class _Biaffine(nn.Layer):
    """Pairwise two-class scores ``x_i^T W_k y_j + V_k [x_i; y_j] + b_k`` for every ``(i, j)``."""

    def __init__(self, dim: int, classes: int = 2):
        super().__init__()
        self.bilinear = nn.Bilinear(dim, dim, classes, bias_attr=False)
        self.linear = nn.Linear(2 * dim, classes)
        self.dim = dim

    def forward(self, x: paddle.Tensor, y: paddle.Tensor) -> paddle.Tensor:
        """``x``: ``[B, E, d]`` heads, ``y``: ``[B, E, d]`` tails -> ``[B, E, E, classes]``."""
        w = self.bilinear.weight  # [classes, d, d]
        xw = paddle.matmul(x.unsqueeze(1), w.unsqueeze(0))                   # [B, k, E, d]
        bil = paddle.matmul(xw, y.unsqueeze(1), transpose_y=True)            # [B, k, E, E]
        lw = self.linear.weight                                              # [2d, k]
        lin = (paddle.matmul(x, lw[: self.dim]).unsqueeze(2)                # [B, E, 1, k]
               + paddle.matmul(y, lw[self.dim:]).unsqueeze(1) + self.linear.bias)
        return bil.transpose([0, 2, 3, 1]) + lin


class RelationHead(nn.Layer):
    """Scores every (question, answer) entity pair of a document as linked or not.

    Each entity is represented by the hidden state of its first token plus an embedding of its
    class (0 other, 1 head candidate, 2 tail candidate); two feed-forward projections make head
    and tail views, and a biaffine layer scores all pairs at once. Only pairs of a class-1 head
    and a class-2 tail count. The loss is the cross-entropy over all such pairs in the batch.

    Shape:
        hidden ``[B, T, H]``; entities ``[B, E + 1, 3]`` and relations ``[B, R + 1, 2]`` in the
        layout of ``TensorizeEntitiesRelations`` -> ``loss`` (scalar) and ``relation_probs``
        ``[B, E, E]`` (probability that entity ``i`` is the head of entity ``j``; 0 for pairs
        that are not head/tail candidates).
    """

    def __init__(self, hidden_size: int, dropout: float = 0.1):
        super().__init__()
        self.entity_emb = nn.Embedding(3, hidden_size)

        def projection():
            return nn.Sequential(nn.Linear(2 * hidden_size, hidden_size), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden_size, hidden_size // 2), nn.ReLU(), nn.Dropout(dropout))

        self.ffnn_head = projection()
        self.ffnn_tail = projection()
        self.rel_classifier = _Biaffine(hidden_size // 2, 2)

    @staticmethod
    def pair_targets(entities: paddle.Tensor, relations: paddle.Tensor | None) -> tuple[paddle.Tensor, paddle.Tensor]:
        """Candidate-pair mask ``[B, E, E]`` (bool) and gold links ``[B, E, E]`` (int64)."""
        e = entities.shape[1] - 1
        idx = paddle.arange(e, dtype="int64").unsqueeze(0)
        valid = idx < entities[:, 0:1, 0]
        labels = entities[:, 1:, 2]
        heads = valid & (labels == 1)
        tails = valid & (labels == 2)
        mask = heads.unsqueeze(2) & tails.unsqueeze(1)
        if relations is None:
            return mask, paddle.zeros(mask.shape, dtype="int64")
        r = relations.shape[1] - 1
        ridx = paddle.arange(r, dtype="int64").unsqueeze(0)
        rvalid = ridx < relations[:, 0:1, 0]
        flat = relations[:, 1:, 0] * e + relations[:, 1:, 1]
        flat = paddle.where(rvalid, flat, paddle.full_like(flat, e * e))
        gold = paddle.zeros([relations.shape[0], e * e + 1], dtype="int64")
        gold = paddle.put_along_axis(gold, flat, paddle.ones_like(flat), axis=1, reduce="assign")
        return mask, gold[:, : e * e].reshape([-1, e, e])

    def forward(self, hidden: paddle.Tensor, entities: paddle.Tensor, relations: paddle.Tensor | None = None) -> dict:
        starts = paddle.clip(entities[:, 1:, 0], min=0)
        labels = paddle.clip(entities[:, 1:, 2], min=0)
        at_start = paddle.take_along_axis(hidden, starts.unsqueeze(-1).expand([-1, -1, hidden.shape[-1]]), axis=1)
        rep = paddle.concat([at_start, self.entity_emb(labels)], axis=-1)
        logits = self.rel_classifier(self.ffnn_head(rep), self.ffnn_tail(rep))  # [B, E, E, 2]
        mask, gold = self.pair_targets(entities, relations)
        probs = F.softmax(logits, axis=-1)[..., 1] * mask.astype(logits.dtype)
        out = {"relation_probs": probs}
        if relations is not None and paddle.in_dynamic_mode():  # no loss in an exported program
            if bool(mask.any()):
                out["loss"] = F.cross_entropy(logits[mask], gold[mask])
            else:
                out["loss"] = logits.sum() * 0.0
        return out


_RE_MODEL_CLASS = None


def relation_model_class():
    """The paddlenlp model class for RE: ``LayoutXLMModel`` + :class:`RelationHead` (built on first use)."""
    global _RE_MODEL_CLASS
    if _RE_MODEL_CLASS is None:
        transformers = require_paddlenlp("LayoutXLMForRe")

        class LayoutXLMRelationModel(transformers.LayoutXLMPretrainedModel):
            """LayoutXLM encoder + relation head, with paddlenlp's RE parameter names."""

            def __init__(self, config):
                super().__init__(config)
                self.layoutxlm = transformers.LayoutXLMModel(config)
                self.extractor = RelationHead(config.hidden_size, config.hidden_dropout_prob)
                self.dropout = nn.Dropout(config.hidden_dropout_prob)

            def _init_weights(self, layer):
                # paddlenlp's N(0, 0.02) init, applied through the three layers of the relation head
                # and the biaffine product, leaves the pair scores ~1e-5 and their gradients vanishing;
                # the head keeps paddle's Xavier init so it learns from a random encoder too.
                if id(layer) not in {id(sub) for sub in self.extractor.sublayers(include_self=True)}:
                    super()._init_weights(layer)

            def forward(self, input_ids, bbox, image=None, attention_mask=None, token_type_ids=None,
                        entities=None, relations=None, windows=None):
                out = self.layoutxlm(input_ids=input_ids, bbox=bbox, image=image, attention_mask=attention_mask,
                                     token_type_ids=token_type_ids)
                seq = out[0][:, : input_ids.shape[1]]
                if windows is not None:
                    seq = seq.reshape([-1, windows[0] * windows[1], seq.shape[-1]])
                res = self.extractor(self.dropout(seq), entities, relations)
                if self.training:
                    layers = range(self.layoutxlm.config.num_hidden_layers)
                    res["hidden_states"] = paddle.stack([out[2][f"{i}_data"] for i in layers], axis=1)
                return res

        _RE_MODEL_CLASS = LayoutXLMRelationModel
    return _RE_MODEL_CLASS


@BACKBONES.register()
class LayoutXLMForRe(_LayoutXLMBackbone):
    """LayoutXLM relation extraction: links question entities to their answers.

    Args:
        pretrained: ``True``, a model directory (e.g. a starter or a SER directory: the
            encoder weights are reused, the relation head starts random), or ``False``.
        checkpoints: a directory saved by this model; has priority over ``pretrained``.
        mode: ``'vi'`` or ``'base'``.

    Attributes:
        input_keys: the SER inputs plus ``entities`` and ``relations``.

    Shape:
        token inputs as :class:`LayoutXLMForSer`; ``entities`` ``[B, E + 1, 3]``, ``relations``
        ``[B, R + 1, 2]`` -> ``{'loss', 'relation_probs': [B, E, E]}`` (+ ``hidden_states`` in
        training mode). Without ``relations`` there is no loss.
    """

    def __init__(self, pretrained: Any = True, checkpoints: str | None = None, mode: str = "base"):
        super().__init__(mode)
        self.checkpoints = checkpoints or None
        self.model = _load(relation_model_class(), self.where, pretrained, checkpoints, mode)
        self.input_keys = self.input_keys + ["entities", "relations"]

    def forward(self, batch: dict) -> dict:
        inputs, windows = self._encoder_inputs(batch)
        if batch.get("entities") is None:
            raise DataError("LayoutXLMForRe needs batch['entities'] (from TensorizeEntitiesRelations); keep it with "
                            "KeepKeys")
        return self.model(**inputs, entities=batch["entities"], relations=batch.get("relations"), windows=windows)

    def input_spec(self, image_shape=None, max_seq_len: int = 512, max_windows: int = 1,
                   max_entities: int = 512) -> list[InputSpec]:
        """The SER inputs plus ``entities [None, max_entities + 1, 3]``, in ``input_keys`` order.

        ``relations`` (the last input key) is left out: the exported program predicts links and
        computes no loss. ``max_entities`` is ``TensorizeEntitiesRelations.max_seq_len``.
        """
        return super().input_spec(image_shape, max_seq_len, max_windows) + [
            InputSpec([None, max_entities + 1, 3], "int64", name="entities")]
