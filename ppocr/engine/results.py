"""How ``tools/infer_*.py`` report results: one writer per task family (``Architecture.model_type``).

A writer gets ``add(img_path, result)`` once per image, with ``result`` as the post-processor returns
it for that image, and ``close()`` at the end. It logs each result and, when ``Global.save_res_path``
is set, writes one line per image in PaddleOCR's format:

* ``rec``: ``img_path<TAB>text<TAB>score``
* ``det``: ``img_path<TAB>[{"points": [[x, y], ...]}, ...]``, plus each image with its boxes drawn under
  ``<save_res_path folder>/det_results/``;
* ``cls``: ``img_path<TAB>label<TAB>score`` (the text direction, e.g. ``0`` or ``180``).
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


class ResultWriter:
    """Collects results and writes ``save_res_path`` (no file when it is empty)."""

    def __init__(self, save_res_path: str | None):
        self.save_res_path = save_res_path
        self.lines: list[str] = []
        self.results: list[dict[str, Any]] = []

    def add(self, img_path: str, result: Any) -> dict[str, Any]:
        raise NotImplementedError

    def close(self) -> list[dict[str, Any]]:
        if self.save_res_path:
            os.makedirs(os.path.dirname(os.path.abspath(self.save_res_path)), exist_ok=True)
            with open(self.save_res_path, "w", encoding="utf-8") as f:
                f.writelines(line + "\n" for line in self.lines)
            logger.info("results written to %s", self.save_res_path)
        return self.results


class RecResultWriter(ResultWriter):
    """``result`` is ``(text, score)``."""

    def add(self, img_path: str, result: Any) -> dict[str, Any]:
        text, score = result
        self.lines.append(f"{img_path}\t{text}\t{float(score):.6f}")
        logger.info("\t result: %s\t%s\t%.6f", img_path, text, score)
        out = {"img_path": img_path, "text": text, "score": float(score)}
        self.results.append(out)
        return out


class DetResultWriter(ResultWriter):
    """``result`` is ``{'points': [N, K, 2] or list of [K, 2], 'scores': ...}``; draws the boxes too."""

    def __init__(self, save_res_path: str | None):
        super().__init__(save_res_path)
        self.vis_dir = os.path.join(os.path.dirname(os.path.abspath(save_res_path)), "det_results") \
            if save_res_path else None

    def add(self, img_path: str, result: Any) -> dict[str, Any]:
        import cv2

        boxes = [np.asarray(b, dtype=np.float32) for b in result.get("points", [])]
        self.lines.append(f"{img_path}\t" + json.dumps([{"points": np.round(b).astype(int).tolist()} for b in boxes]))
        logger.info("\t result: %s\t%d boxes", img_path, len(boxes))
        if self.vis_dir:
            img = cv2.imread(img_path, cv2.IMREAD_COLOR)
            if img is not None:
                for b in boxes:
                    cv2.polylines(img, [np.round(b).astype(np.int32).reshape(-1, 1, 2)], True, (0, 0, 255), 2)
                os.makedirs(self.vis_dir, exist_ok=True)
                cv2.imwrite(os.path.join(self.vis_dir, os.path.basename(img_path)), img)
        out = {"img_path": img_path, "points": [b.tolist() for b in boxes]}
        self.results.append(out)
        return out


class ClsResultWriter(ResultWriter):
    """``result`` is ``(label, score)``."""

    def add(self, img_path: str, result: Any) -> dict[str, Any]:
        label, score = result
        self.lines.append(f"{img_path}\t{label}\t{float(score):.6f}")
        logger.info("\t result: %s\t%s\t%.6f", img_path, label, score)
        out = {"img_path": img_path, "label": label, "score": float(score)}
        self.results.append(out)
        return out


RESULT_WRITERS = {"rec": RecResultWriter, "det": DetResultWriter, "cls": ClsResultWriter}
