"""Metrics by name: the table the training loop and the command line read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from glassnet.errors import GlassnetError
from glassnet.metrics.classification import (
    Average,
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
)
from glassnet.metrics.regression import (
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)

__all__ = ["METRICS", "Metric", "get_metric"]


@dataclass(frozen=True)
class Metric:
    """A metric by name: its function and what a training loop or CLI must know to use it.

    Args:
        function: ``function(y_true, y_pred) -> float``.
        greater_is_better: True for scores (accuracy, R²), False for losses and errors.
        needs_proba: y_pred must be probabilities (log_loss) rather than labels or values.
        task: 'classification' or 'regression'.
    """

    function: Callable[..., Any]
    greater_is_better: bool
    needs_proba: bool
    task: Literal["classification", "regression"]


_AVERAGES: tuple[tuple[str, Average], ...] = (
    ("", "binary"), ("_micro", "micro"), ("_macro", "macro"), ("_weighted", "weighted"))
METRICS: dict[str, Metric] = {
    "accuracy": Metric(accuracy_score, True, False, "classification"),
    "balanced_accuracy": Metric(balanced_accuracy_score, True, False, "classification"),
    **{f"{name}{suffix}": Metric(partial(function, average=average), True, False, "classification")
       for name, function in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score))
       for suffix, average in _AVERAGES},
    "log_loss": Metric(log_loss, False, True, "classification"),
    "mse": Metric(mean_squared_error, False, False, "regression"),
    "rmse": Metric(root_mean_squared_error, False, False, "regression"),
    "mae": Metric(mean_absolute_error, False, False, "regression"),
    "r2": Metric(r2_score, True, False, "regression"),
}


def get_metric(name: str) -> Metric:
    """The Metric called name in METRICS, or an error listing the valid names.

    >>> get_metric("f1_macro").function([0, 1, 2], [0, 1, 1])
    0.5555555555555555
    """
    if name not in METRICS:
        raise GlassnetError(f"unknown metric {name!r}; expected one of {', '.join(sorted(METRICS))}")
    return METRICS[name]
