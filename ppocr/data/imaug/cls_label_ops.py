"""Label encoder of the text-direction classifier: class name -> class id (PaddleOCR's ``ClsLabelEncode``)."""
from __future__ import annotations

import numpy as np

from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import SampleError
from ppocr.utils.label_list import check_label_list


@TRANSFORMS.register()
class ClsLabelEncode:
    """Replace the label text (``'0'`` or ``'180'`` in PaddleOCR's ``path<TAB>label`` files) by its index in
    ``label_list``.

    PaddleOCR drops a sample whose label is not in the list without a word; here such a label is a bad
    sample (the datasets check every label before training through :meth:`check_label`, so the file and
    line are named, or the sample is skipped and counted with ``skip_bad_samples``).

    Required keys: ``label`` (str).
    Modified keys: ``label`` (``int64`` scalar, the class id).
    Added keys: none.

    Args:
        label_list: class names in index order (``Global.label_list``, e.g. ``['0', '180']``).

    Raises:
        SampleError: a label that is not in ``label_list``.
    """

    def __init__(self, label_list: list[str] | None = None):
        if label_list is None:
            raise ValueError("ClsLabelEncode needs label_list, the class names in index order; set "
                             "Global.label_list: ['0', '180'] (PaddleOCR's text-direction classes)")
        self.label_list = check_label_list(label_list, "label_list")
        self._index = {name: i for i, name in enumerate(self.label_list)}

    def check_label(self, text: str) -> str | None:
        """Why ``text`` is not a class of ``label_list``, or None."""
        if isinstance(text, str) and text.strip() in self._index:
            return None
        return (f"the label {text!r} is not one of label_list {self.label_list}; write one of them after the TAB "
                "or add it to Global.label_list (and Architecture.Head.class_dim)")

    def __call__(self, data: dict) -> dict:
        reason = self.check_label(data["label"])
        if reason:
            raise SampleError(reason)
        data["label"] = np.array(self._index[data["label"].strip()], dtype=np.int64)
        return data

    def __repr__(self) -> str:
        return f"ClsLabelEncode(label_list={self.label_list})"
