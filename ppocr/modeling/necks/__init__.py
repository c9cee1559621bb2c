"""Necks; importing this package registers them in ``NECKS``."""
from ppocr.modeling.necks import rnn  # noqa: F401  (registration)
