"""DistillationMetric: one metric per model of a ``DistillationModel``; the ``key`` model's scores lead.

Example config (PaddleOCR's)::

    Metric:
      name: DistillationMetric
      base_metric_name: VQASerTokenMetric
      main_indicator: hmean
      key: Student
"""
from __future__ import annotations

from typing import Any

from ppocr.registry import METRICS, build
from ppocr.utils.errors import ConfigError, DataError


@METRICS.register()
class DistillationMetric:
    """Evaluates each model's post-processed output (``{model_name: result}``) with ``base_metric_name``.

    ``get_metric`` returns the ``key`` model's scores under their own names (the best checkpoint
    follows them) and every other model's as ``<model>_<name>``.

    Args:
        base_metric_name: a registered metric, e.g. ``VQASerTokenMetric``.
        key: the model whose scores lead (``Student``: the model checkpoints hold).
        main_indicator: the score that picks the best checkpoint.
        ignore_space: passed to the base metric when set (``RecMetric``: compare texts without spaces).
    """

    def __init__(self, base_metric_name: str, key: str = "Student", main_indicator: str = "hmean",
                 ignore_space: bool | None = None):
        if base_metric_name not in METRICS or base_metric_name == "DistillationMetric":
            raise ConfigError(f"Metric.base_metric_name must name a registered metric, got {base_metric_name!r}; "
                              f"registered: {', '.join(n for n in METRICS.names() if n != 'DistillationMetric')}")
        self.base_metric_name, self.key, self.main_indicator = base_metric_name, key, main_indicator
        self.base_options = {"main_indicator": main_indicator}
        if ignore_space is not None:
            self.base_options["ignore_space"] = ignore_space
        self.build({key})  # checks main_indicator against the base metric now
        self.reset()

    def build(self, names) -> None:
        self.metrics = {n: build({"name": self.base_metric_name, **self.base_options}, METRICS,
                                 where="Metric (base_metric_name)") for n in names}

    def __call__(self, preds: Any, batch: Any = None) -> dict:
        if not isinstance(preds, dict) or self.key not in preds:
            have = sorted(preds) if isinstance(preds, dict) else type(preds).__name__
            raise DataError(f"DistillationMetric expects {{model_name: result}} with {self.key!r} (Metric.key), got "
                            f"{have}; use a Distillation* post-processor")
        for name in preds:
            if name not in self.metrics:
                self.metrics[name] = build({"name": self.base_metric_name, **self.base_options},
                                           METRICS, where="Metric (base_metric_name)")
        return {name: self.metrics[name](result, batch) for name, result in preds.items()}[self.key]

    def get_metric(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, metric in self.metrics.items():
            scores = metric.get_metric()
            if name == self.key:
                out.update(scores)
            else:
                out.update({f"{name}_{k}": v for k, v in scores.items()})
        self.reset()
        return out

    def reset(self) -> None:
        for metric in self.metrics.values():
            metric.reset()
