"""Heads; importing this package registers them in ``HEADS``."""
from ppocr.modeling.heads import rec_ctc_head  # noqa: F401  (registration)
from ppocr.modeling.heads import rec_nrtr_head, rec_sar_head  # noqa: F401  (registration)
from ppocr.modeling.heads import rec_multi_head  # noqa: F401  (registration)
from ppocr.modeling.heads import det_db_head  # noqa: F401  (registration)
from ppocr.modeling.heads import cls_head  # noqa: F401  (registration)
