"""CopyPaste: paste text regions cut from another training image into this one (PP-OCRv4/v5 mobile det).

The dataset supplies the other image: a transform that declares ``ext_data_num`` (see
``ppocr.data.imaug.NeedsExtraSamples``) receives ``data["ext_data"]``, that many other samples of the
same dataset run through the transforms before it (for PaddleOCR's configs: ``DecodeImage`` and
``DetLabelEncode``).
"""
from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from ppocr.data.imaug import det_functional as DF
from ppocr.registry import TRANSFORMS
from ppocr.utils.errors import DataError

logger = logging.getLogger(__name__)

#: Most regions pasted into one image.
MAX_PASTED = 30
#: Placements tried per region before it is given up (``limit_paste``).
PLACEMENT_TRIES = 50


@TRANSFORMS.register()
class CopyPaste:
    """Paste care text regions of another sample, each rotated by a random angle, where there is no text.

    From the extra sample, ``max(1, min(int(objects_paste_ratio * N), 30))`` of its ``N`` regions
    (care regions only, in random order) are cut out as upright rectangles
    (``det_functional.rotate_crop``), each rotated by a random angle in [0, 360) and pasted at a random
    place. With ``limit_paste``, the place is drawn up to 50 times until the pasted region's bounding
    rectangle meets no existing (or already pasted) region; else the region is skipped. A region
    larger than the image is skipped. Pasted regions are added to ``polys`` (clipped to the image),
    ``ignore_tags`` and ``texts`` (when present). Without quadrilateral regions on both sides the
    sample passes unchanged.

    Differences from PaddleOCR's ``copy_paste.py``: its overlap test is shifted right by the
    region's width (it passes the right edge as the rectangle's left), here it is the region's own
    rectangle; and an image without regions passes unchanged instead of failing.

    Required keys: ``image`` (``HxWx3`` BGR uint8), ``polys`` (``[N, 4, 2]``), ``ignore_tags``,
    ``ext_data`` (a list with one such sample; the dataset adds it).
    Modified keys: ``image``, ``polys``, ``ignore_tags``, ``texts``; ``ext_data`` is removed.
    Added keys: none.

    Args:
        objects_paste_ratio: fraction of the other sample's regions to paste.
        limit_paste: only paste where no text is.
    """

    #: extra samples the dataset hands to this transform (``NeedsExtraSamples``)
    ext_data_num = 1

    def __init__(self, objects_paste_ratio: float = 0.2, limit_paste: bool = True):
        if isinstance(objects_paste_ratio, bool) or not isinstance(objects_paste_ratio, (int, float)) \
                or not 0.0 <= objects_paste_ratio <= 1.0:
            raise ValueError(f"objects_paste_ratio must be a number in [0, 1], got {objects_paste_ratio!r}")
        if not isinstance(limit_paste, bool):
            raise TypeError(f"limit_paste must be true or false, got {limit_paste!r}")
        self.objects_paste_ratio = float(objects_paste_ratio)
        self.limit_paste = limit_paste

    def __call__(self, data: dict) -> dict:
        if "ext_data" not in data:
            raise DataError("CopyPaste needs another sample in 'ext_data', which the dataset adds for transforms "
                            "that declare ext_data_num; use a dataset built on BaseRecDataSet (SimpleDataSet)")
        extra = data.pop("ext_data")
        img = data.get("image")
        polys = np.asarray(data.get("polys", np.zeros((0, 4, 2))), np.float32)
        if not extra or not isinstance(img, np.ndarray) or img.ndim != 3 or polys.ndim != 3 or polys.shape[1] != 4:
            return data
        ext = extra[0]
        ext_polys = np.asarray(ext["polys"], np.float32)
        ext_ignore = np.asarray(ext["ignore_tags"], bool)
        ext_texts = list(ext.get("texts", [""] * len(ext_polys)))
        if len(ext_polys) == 0 or ext_polys.shape[1] != 4 or len(polys) == 0:
            return data

        care = np.flatnonzero(~ext_ignore)
        count = max(1, min(int(self.objects_paste_ratio * len(ext_polys)), MAX_PASTED))
        chosen = care[np.random.permutation(len(care))][:count]

        canvas = Image.fromarray(np.ascontiguousarray(img[:, :, ::-1])).convert("RGBA")
        out_polys = list(polys)
        out_ignore = list(np.asarray(data["ignore_tags"], bool))
        texts = data.get("texts")
        out_texts = list(texts) if texts is not None else None
        ext_rgb = np.ascontiguousarray(ext["image"][:, :, ::-1])
        for i in chosen:
            piece = DF.rotate_crop(ext_rgb, ext_polys[i])
            box = self._paste(canvas, piece, out_polys)
            if box is None:
                continue
            out_polys.append(box)
            out_ignore.append(bool(ext_ignore[i]))
            if out_texts is not None:
                out_texts.append(ext_texts[i] if i < len(ext_texts) else "")
        h, w = img.shape[:2]
        data["image"] = np.asarray(canvas.convert("RGB"))[:, :, ::-1].copy()
        data["polys"] = DF.clip_polys(np.stack(out_polys).astype(np.float32), w, h)
        data["ignore_tags"] = np.array(out_ignore, bool)
        if out_texts is not None:
            data["texts"] = out_texts
        return data

    def _paste(self, canvas: Image.Image, piece: np.ndarray, polys: list) -> np.ndarray | None:
        """Rotate ``piece`` by a random angle and paste it into ``canvas``; its corners, or None if skipped."""
        src_w, src_h = canvas.size
        ph, pw = piece.shape[:2]
        if pw > src_w or ph > src_h:
            return None
        angle = int(np.random.randint(0, 360))
        box = DF.rotated_rect_corners(pw, ph, angle)
        where = self._place(box, np.stack(polys), src_w - pw, src_h - ph)
        if where is None:
            return None
        x, y = where
        rotated = Image.fromarray(piece).convert("RGBA").rotate(angle, expand=True)
        canvas.paste(rotated, (x, y), mask=rotated.split()[3])
        return box + np.array([x, y], np.float32)

    def _place(self, box: np.ndarray, polys: np.ndarray, end_x: int, end_y: int) -> tuple[int, int] | None:
        """Top-left of a paste position in ``[0, end_x] x [0, end_y]``, or None."""
        if not self.limit_paste:
            return int(np.random.randint(0, end_x + 1)), int(np.random.randint(0, end_y + 1))
        x0, y0 = box.min(0)
        x1, y1 = box.max(0)
        for _ in range(PLACEMENT_TRIES):
            x, y = int(np.random.randint(0, end_x + 1)), int(np.random.randint(0, end_y + 1))
            if DF.polys_outside_rect(polys, x0 + x, y0 + y, x1 + x, y1 + y).all():
                return x, y
        return None

    def __repr__(self) -> str:
        return f"CopyPaste(objects_paste_ratio={self.objects_paste_ratio:g}, limit_paste={self.limit_paste})"
