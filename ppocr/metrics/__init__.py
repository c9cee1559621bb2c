"""Evaluation metrics.

Usage::

    from ppocr.metrics import build_metric
    metric = build_metric({"name": "RecMetric", "main_indicator": "acc"})
    metric((preds, labels))        # per-batch dict
    metric.get_metric()            # totals since the last reset, then resets
"""
from __future__ import annotations

from typing import Any

from ppocr.metrics import rec_metric  # noqa: F401  (registers RecMetric)
from ppocr.metrics import det_metric  # noqa: F401  (registers DetMetric)
from ppocr.metrics import cls_metric  # noqa: F401  (registers ClsMetric)
from ppocr.metrics import kie_metric  # noqa: F401  (registers VQASerTokenMetric, VQAReTokenMetric)
from ppocr.metrics import distillation_metric  # noqa: F401  (registers DistillationMetric)
from ppocr.metrics import line_report  # noqa: F401  (registers LineReportMetric)
from ppocr.metrics.rec_metric import RecMetric
from ppocr.registry import METRICS, build

__all__ = ["RecMetric", "build_metric"]


def build_metric(cfg: dict, global_cfg: dict | None = None) -> Any:
    """Build the metric that the ``Metric`` section names.

    Args:
        cfg: the ``Metric`` section, e.g. ``{"name": "RecMetric", "main_indicator": "acc"}``.
        global_cfg: the ``Global`` section (only declared pass-through keys reach the metric).

    Returns:
        The metric object.

    Raises:
        ConfigError: unknown name or key, or rejected arguments.
    """
    return build(cfg, METRICS, where="Metric", global_cfg=global_cfg)
