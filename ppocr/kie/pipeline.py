"""Key information extraction on whole pages: OCR, then SER (a class per text line), then optionally RE (links).

Shared by the training-time tools (``tools/infer_kie_token_ser.py``, ``tools/infer_kie_token_ser_re.py``,
through :mod:`ppocr.kie.infer`) and the ``paddle.inference`` predictors
(``ppstructure/kie/predict_kie_token_ser*.py``). They differ only in the model call (a *runner*).

Where the text lines come from:

* ``infer_mode`` True: an image file or folder; an *OCR engine* reads each page. The default
  engine is this toolkit's :class:`~ppocr.inference.predict_system.TextSystem` built from an
  exported detector and recogniser (``Global.kie_det_model_dir`` / ``kie_rec_model_dir``, or
  ``--det_model_dir`` / ``--rec_model_dir``). Any callable ``image -> [{"transcription",
  "points"}]`` can stand in (see :data:`OCREngine`).
* ``infer_mode`` False: a KIE label file (``image_path<TAB>[{"transcription", "points", ...}]``);
  its transcriptions and boxes are used, its labels and links are not.

Results: ``<out_dir>/infer_results.txt`` with one line per page, ``image_path<TAB>{"ocr_info": [...]}``
(SER; each line gains ``pred_id``, ``pred``, ``score``) or ``{"ocr_info": [...], "relations": [[question,
answer], ...]}`` (SER + RE), and a drawing per page, ``<stem>_ser.jpg`` / ``<stem>_ser_re.jpg``.

Example:
    >>> ser = KIEStage(ops, post, runner, input_keys)          # see ppocr.kie.infer for building one
    >>> lines = predict_ser(ser, "form.png", ocr_info)
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, Iterator, Sequence

import cv2
import numpy as np

from ppocr.data.imaug import functional as F
from ppocr.inference.predict_system import TextSystem, to_regions
from ppocr.inference.utility import iter_images
from ppocr.inference.visualize import TextPainter, find_font
from ppocr.kie.visualize import draw_re_results, draw_ser_results
from ppocr.utils.errors import ConfigError, DataError, SampleError

logger = logging.getLogger(__name__)

#: An OCR engine: BGR page -> text lines ``[{"transcription": str, "points": [[x, y], ...]}, ...]``.
OCREngine = Callable[[np.ndarray], list]
#: A runner: model inputs of one page (``{key: array with a batch axis of 1}``) -> the model output.
Runner = Callable[[dict], Any]
RESULTS_FILE = "infer_results.txt"


class KIEStage:
    """One KIE model (SER or RE) with its pre- and post-processing.

    Args:
        ops: the label-free transform chain (``VQATokenLabelEncode`` in ``infer_mode``); it takes
            ``{"img_path", "image": bytes, "ocr_info": [...]}``.
        post: the SER or RE post-processor.
        runner: calls the model (see :data:`Runner`).
        input_keys: the model inputs, in order, taken from the transformed sample.
    """

    def __init__(self, ops, post, runner: Runner, input_keys: Sequence[str]):
        self.ops, self.post, self.runner = ops, post, runner
        self.input_keys = [k for k in input_keys if k != "relations"]  # inference predicts relations

    def prepare(self, img_path: str, image: bytes, ocr_info: list) -> dict:
        data = self.ops({"img_path": img_path, "image": image, "ocr_info": ocr_info})
        if data is None:
            raise SampleError(f"the pre-processing dropped {img_path}")
        missing = [k for k in self.input_keys + ["line_ids", "ocr_info"] if k not in data]
        if missing:
            raise ConfigError(f"the KIE pre-processing gives no {missing}; its KeepKeys must keep the model inputs, "
                              "line_ids and ocr_info (export the model again)")
        return data

    def feed(self, data: dict) -> dict[str, np.ndarray]:
        return {k: np.asarray(data[k])[None] for k in self.input_keys}


def predict_ser(stage: KIEStage, img_path: str, ocr_info: list, image: bytes | None = None) -> list[dict]:
    """Classify the text lines of one page.

    Returns:
        The lines in reading order, each a copy of its ``ocr_info`` entry with ``bbox`` (pixels),
        ``pred_id`` (0 = other), ``pred`` (class name, ``'O'`` for other) and ``score``.
    """
    image = image if image is not None else _read_bytes(img_path)
    data = stage.prepare(img_path, image, [_unlabelled(e) for e in ocr_info])
    preds = stage.runner(stage.feed(data))
    return stage.post(preds, line_ids=[data["line_ids"]], ocr_infos=[data["ocr_info"]])[0]


def predict_re(stage: KIEStage, img_path: str, ser_lines: list[dict], image: bytes | None = None) -> list:
    """Link the question lines of one page to their answers, from the SER result.

    Returns:
        ``[(question_line, answer_line), ...]``.
    """
    entries = [{"transcription": line["transcription"], "bbox": line["bbox"], "label": line.get("pred", "O"),
                "id": i, "linking": []} for i, line in enumerate(ser_lines)]
    image = image if image is not None else _read_bytes(img_path)
    data = stage.prepare(img_path, image, entries)
    feed = stage.feed(data)
    preds = stage.runner(feed)
    pairs = stage.post(preds, entities=feed["entities"], line_ids=[data["line_ids"]], ocr_infos=[data["ocr_info"]])
    return [(ser_lines[int(q["id"])], ser_lines[int(a["id"])]) for q, a in pairs[0]]


def _unlabelled(entry: dict) -> dict:
    """The OCR part of a text line (its label and links, if any, are not used for prediction)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("transcription"), str):
        raise DataError(f"a text line must be {{'transcription': str, 'points': [[x, y], ...]}}, got {entry!r:.80}")
    return {k: v for k, v in entry.items() if k in ("transcription", "points", "bbox", "id")}


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise DataError(f"cannot read image {path}: {e}") from e


def iter_pages(infer_img: str | None, infer_mode: bool, ocr_engine: OCREngine | None = None,
               data_dir: str | None = None) -> Iterator[tuple[str, list]]:
    """``(image_path, ocr_info)`` for every page to process.

    Args:
        infer_img: an image or folder (``infer_mode`` True) or a KIE label file (False).
        infer_mode: where the text lines come from (see the module docstring).
        ocr_engine: reads the pages when ``infer_mode`` is True.
        data_dir: folder the label file's image paths are relative to (default: the label file's).

    Raises:
        ConfigError: ``infer_img`` missing, or no OCR engine in ``infer_mode``.
        DataError: a label file line that is not ``path<TAB>JSON list`` (naming file and line).
    """
    if not infer_img:
        raise ConfigError("set Global.infer_img to an image, a folder of images, or (with Global.infer_mode: False) "
                          "a KIE label file")
    if infer_mode:
        if ocr_engine is None:
            raise ConfigError("infer_mode True reads the text with an OCR engine: set Global.kie_det_model_dir and "
                              "Global.kie_rec_model_dir to exported detection and recognition models, or use "
                              "Global.infer_mode=False with a label file as Global.infer_img")
        for path, img in iter_images(infer_img):
            yield path, list(ocr_engine(img))
        return
    if not os.path.isfile(infer_img):
        raise ConfigError(f"Global.infer_img {infer_img!r}: with infer_mode False it must be a KIE label file")
    root = data_dir if data_dir is not None else os.path.dirname(infer_img)
    with open(infer_img, encoding="utf-8-sig") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            rel, sep, ann = line.partition("\t")
            try:
                entries = json.loads(ann) if sep else None
            except json.JSONDecodeError as e:
                raise DataError(f"{infer_img}:{no}: the annotation is not valid JSON ({e.msg})") from e
            if not isinstance(entries, list):
                raise DataError(f"{infer_img}:{no}: expected 'image_path<TAB>[{{\"transcription\": ...}}, ...]'")
            yield os.path.join(root, rel), entries


def text_system_engine(options) -> OCREngine:
    """An OCR engine from this toolkit's exported detector and recogniser (``TextSystem``).

    Args:
        options: inference flags (an ``argparse.Namespace`` from ``ppocr.inference.utility.parse_args``
            or a dict of flag names): at least ``det_model_dir`` and ``rec_model_dir``.

    Raises:
        ConfigError: a folder is not set or holds no exported model.
    """
    get = options.get if isinstance(options, dict) else lambda k: getattr(options, k, None)
    det, rec = get("det_model_dir"), get("rec_model_dir")
    if not det or not rec:
        raise ConfigError("OCR for KIE needs both an exported text detector and recogniser: set "
                          "Global.kie_det_model_dir and Global.kie_rec_model_dir (predictors: --det_model_dir and "
                          f"--rec_model_dir); got {det!r} and {rec!r}")

    system = TextSystem(options)
    return lambda img: to_regions(system(img))


def run_pages(pages: Iterator[tuple[str, list]], ser: KIEStage, out_dir: str, re: KIEStage | None = None,
              font_path: str | None = None, results_file: str = RESULTS_FILE) -> list[dict]:
    """Run SER (and RE) on every page; write the results file and a drawing per page under ``out_dir``.

    Pages whose OCR found no text are reported and written with empty results.

    Returns:
        Per page ``{"img_path", "ocr_info", "relations" (with RE), "vis_path"}``.
    """

    os.makedirs(out_dir, exist_ok=True)
    painter = TextPainter(find_font(font_path))
    results, lines = [], []
    for path, ocr_info in pages:
        image = _read_bytes(path)
        try:
            ser_lines = predict_ser(ser, path, ocr_info, image)
            pairs = predict_re(re, path, ser_lines, image) if re is not None else None
        except SampleError as e:
            logger.warning("%s: %s; no KIE result", path, e)
            ser_lines, pairs = [], ([] if re is not None else None)
        record = {"ocr_info": ser_lines}
        if pairs is not None:
            record["relations"] = [[q, a] for q, a in pairs]
        lines.append(f"{path}\t{json.dumps(record, ensure_ascii=False)}")
        try:
            page = F.to_bgr(F.decode_image(image, path))
        except SampleError:
            page = None
        vis_path = None
        if page is not None:
            vis = draw_ser_results(page, ser_lines, painter=painter)
            if pairs is not None:
                vis = np.concatenate([vis, draw_re_results(page, pairs, painter=painter)], axis=1)
            stem = os.path.splitext(os.path.basename(path))[0]
            vis_path = os.path.join(out_dir, f"{stem}_ser{'_re' if pairs is not None else ''}.jpg")
            cv2.imwrite(vis_path, vis)
        logger.info("%s: %d text lines, %d entities%s", path, len(ser_lines),
                    sum(1 for x in ser_lines if x.get("pred_id")), "" if pairs is None else f", {len(pairs)} links")
        results.append(dict(record, img_path=path, vis_path=vis_path))
    with open(os.path.join(out_dir, results_file), "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    logger.info("results and drawings written to %s", out_dir)
    return results
