"""Post-processing of a ``DistillationModel`` (det and rec): decode the named models' outputs, one result per model.

Example configs (PaddleOCR's)::

    PostProcess: {name: DistillationDBPostProcess, model_name: [Student], key: head_out, thresh: 0.3,
                  box_thresh: 0.6, max_candidates: 1000, unclip_ratio: 1.5}
    PostProcess: {name: DistillationCTCLabelDecode, model_name: [Student], key: head_out, multi_head: true}

Each returns ``{model_name: what the single-model post-processor returns}`` for ``DistillationMetric``.
Export writes only the single-model post-processor (:meth:`base_config`) beside the exported student.
"""
from __future__ import annotations

from typing import Any

from ppocr.postprocess.db_postprocess import DBPostProcess
from ppocr.postprocess.rec_postprocess import CTCLabelDecode
from ppocr.registry import POSTPROCESS
from ppocr.utils.errors import DataError


def _names(model_name: Any) -> list[str]:
    names = [model_name] if isinstance(model_name, str) else model_name
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"model_name must be a model name or a list of them, got {model_name!r}")
    return list(names)


def _output(preds: Any, name: str) -> Any:
    if not isinstance(preds, dict) or name not in preds:
        have = sorted(preds) if isinstance(preds, dict) else type(preds).__name__
        raise DataError(f"PostProcess.model_name names {name!r} but the model outputs {have}; a Distillation* "
                        "post-processor decodes a DistillationModel's {model_name: output}")
    return preds[name]


@POSTPROCESS.register()
class DistillationDBPostProcess:
    """``DBPostProcess`` on each model of ``model_name``.

    Args:
        model_name: the models to decode (a name or a list).
        key: accepted for PaddleOCR's configs (``head_out``); the DB output ``{'maps': ...}`` is read, as
            PaddleOCR does.
        thresh, box_thresh, max_candidates, unclip_ratio, use_dilation, score_mode, box_type: see
            ``DBPostProcess``.
    """

    eval_keys = DBPostProcess.eval_keys
    infer_keys = DBPostProcess.infer_keys
    key_aliases = DBPostProcess.key_aliases

    def __init__(self, model_name: list[str] = ("Student",), key: str | None = None, thresh: float = 0.3,
                 box_thresh: float = 0.6, max_candidates: int = 1000, unclip_ratio: float = 1.5,
                 use_dilation: bool = False, score_mode: str = "fast", box_type: str = "quad"):
        self.model_name, self.key = _names(model_name), key
        self.base = DBPostProcess(thresh=thresh, box_thresh=box_thresh, max_candidates=max_candidates,
                                  unclip_ratio=unclip_ratio, use_dilation=use_dilation, score_mode=score_mode,
                                  box_type=box_type)
        self._options = dict(thresh=thresh, box_thresh=box_thresh, max_candidates=max_candidates,
                             unclip_ratio=unclip_ratio, use_dilation=use_dilation, score_mode=score_mode,
                             box_type=box_type)

    def base_config(self) -> dict[str, Any]:
        """The ``PostProcess`` section of one exported model."""
        return {"name": "DBPostProcess", **self._options}

    def __call__(self, preds: Any, shape_list: Any = None) -> dict[str, list]:
        return {m: self.base(_output(preds, m), shape_list) for m in self.model_name}

    def __repr__(self) -> str:
        return f"DistillationDBPostProcess(model_name={self.model_name}, base={self.base!r})"


@POSTPROCESS.register()
class DistillationCTCLabelDecode:
    """``CTCLabelDecode`` on each model of ``model_name``: its ``key`` entry, and with ``multi_head`` the
    ``ctc`` branch of a training-mode MultiHead output (eval mode gives the CTC probabilities directly).

    Args:
        character_dict_path: the dictionary (usually from ``Global``).
        use_space_char: append ``' '`` (usually from ``Global``).
        model_name: the models to decode (a name or a list).
        key: the entry of each output (``head_out`` with ``return_all_feats``), or null.
        multi_head: read the ``ctc`` branch of a dict output.

    Attributes:
        character: the blank and the dictionary, as ``CTCLabelDecode`` (the class count of the CTC heads).
    """

    eval_keys = getattr(CTCLabelDecode, "eval_keys", ("label",))
    key_aliases = getattr(CTCLabelDecode, "key_aliases", {})

    def __init__(self, character_dict_path: str | None = None, use_space_char: bool = False,
                 model_name: list[str] = ("Student",), key: str | None = None, multi_head: bool = False):
        if not isinstance(multi_head, bool):
            raise ValueError(f"multi_head must be true or false, got {multi_head!r}")
        self.model_name, self.key, self.multi_head = _names(model_name), key, multi_head
        self.base = CTCLabelDecode(character_dict_path=character_dict_path, use_space_char=use_space_char)
        self.character = self.base.character
        self.character_dict_path, self.use_space_char = character_dict_path, use_space_char

    def base_config(self) -> dict[str, Any]:
        """The ``PostProcess`` section of one exported model."""
        return {"name": "CTCLabelDecode"}

    def _pred(self, preds: Any, name: str) -> Any:
        pred = _output(preds, name)
        if self.key is not None and isinstance(pred, dict):
            if self.key not in pred:
                raise DataError(f"PostProcess.key {self.key!r} is not in the output of {name!r} ({sorted(pred)})")
            pred = pred[self.key]
        if self.multi_head and isinstance(pred, dict):
            pred = pred["ctc"]
        return pred

    def __call__(self, preds: Any, label: Any = None):
        return {m: self.base(self._pred(preds, m), label) for m in self.model_name}

    def __repr__(self) -> str:
        return (f"DistillationCTCLabelDecode(model_name={self.model_name}, key={self.key!r}, "
                f"multi_head={self.multi_head}, classes={len(self.character)})")
