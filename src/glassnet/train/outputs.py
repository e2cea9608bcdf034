"""What a network's outputs mean for a given loss: class probabilities, labels, or values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from glassnet.engine import activation_ops
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.metrics.table import get_metric
from glassnet.nn.losses import LOSSES
from glassnet.nn.module import Module

__all__ = ["OutputKind", "check_metrics", "output_kind", "score"]

Transform = Callable[[np.ndarray], np.ndarray]


def _softmax(z: np.ndarray) -> np.ndarray:
    return activation_ops.softmax(Tensor(z), axis=1).array  # the engine's own, stable softmax


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return activation_ops.sigmoid(Tensor(z)).array


@dataclass(frozen=True)
class OutputKind:
    """How to read a network's outputs: probabilities and labels for classifiers, else values."""

    name: str
    is_classifier: bool = False
    classes_as_indices: bool = False  # targets are class indices (cross-entropy, NLL)
    proba: Transform | None = None
    labels: Transform | None = None


_PROBA: dict[str, Transform] = {  # the values of a loss's "proba" fact
    "softmax": _softmax, "exp": np.exp, "sigmoid": _sigmoid, "identity": lambda p: p}
_LABELS: dict[str, Transform] = {  # the values of a loss's "labels" fact
    "argmax": lambda z: z.argmax(axis=1),
    "positive": lambda z: (z > 0).astype(np.int64),  # a logit above 0: P > ½
    "half": lambda p: (p > 0.5).astype(np.int64),
}


def output_kind(loss: Module) -> OutputKind:
    """The kind of outputs a loss expects, from its registration in ``LOSSES``: a classifier's
    logits or probabilities, or values (a loss that is not registered gives values)."""
    name = LOSSES.name_of(loss)
    if name is None or LOSSES.fact(name, "task") != "classification":
        return OutputKind(type(loss).__name__)
    proba, labels = LOSSES.fact(name, "proba"), LOSSES.fact(name, "labels")
    return OutputKind(type(loss).__name__, True, LOSSES.fact(name, "targets") == "indices", _PROBA[proba],
                      _LABELS[labels])


def check_metrics(metrics: object, who: str) -> None:
    """A list of known metric names, checked before anything runs (a bare string is not a list)."""
    if isinstance(metrics, str) or not isinstance(metrics, Sequence) or not all(
            isinstance(name, str) for name in metrics):
        raise GlassnetError(f"{who} got metrics={metrics!r}; expected a list of metric names, e.g. "
                            "metrics=['accuracy']")
    for name in metrics:
        get_metric(name)  # an unknown name: an error listing the known ones


def score(metrics: Sequence[str], kind: OutputKind, outputs: np.ndarray, y: np.ndarray,
          loss: Module) -> dict[str, float]:
    """Each named metric of the outputs against the targets."""
    scores = {}
    for name in metrics:
        metric = get_metric(name)
        if metric.task == "classification" and not kind.is_classifier:
            raise GlassnetError(f"metric '{name}' needs a classification loss, but the loss is "
                                f"{type(loss).__name__}; use a regression metric such as 'rmse'")
        if kind.is_classifier and kind.proba is not None and kind.labels is not None:
            predicted = kind.proba(outputs) if metric.needs_proba else kind.labels(outputs)
            scores[name] = float(metric.function(_flat(y), _flat(predicted)))
        else:
            scores[name] = float(metric.function(y, outputs))
    return scores


def _flat(a: np.ndarray) -> np.ndarray:
    """A single output column as a vector, as scikit-learn's metrics expect."""
    return a.reshape(len(a)) if a.ndim == 2 and a.shape[1] == 1 else a
