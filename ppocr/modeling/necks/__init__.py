"""Necks; importing this package registers them in ``NECKS``."""
from ppocr.modeling.necks import rnn  # noqa: F401  (registration)
from ppocr.modeling.necks import db_fpn  # noqa: F401  (registration)
