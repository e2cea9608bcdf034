"""Test metrics from METRICS, the model-file fields the CLI relies on, and small tables for people."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.cli.build import build_loss, default_loss, probabilities, targets
from glassnet.data.preprocessing import StandardScaler
from glassnet.errors import GlassnetError
from glassnet.io.model import LoadedModel, load
from glassnet.metrics.classification import confusion_matrix
from glassnet.metrics.table import METRICS
from glassnet.nn.module import Module
from glassnet.train import evaluate, predict

__all__ = [
    "CLASSIFICATION_METRICS", "REGRESSION_METRICS", "ModelInfo", "confusion", "format_table", "load_model",
    "metrics_table", "score", "shape_of",
]  # fmt: skip

CLASSIFICATION_METRICS = ("accuracy", "f1_macro", "log_loss")
REGRESSION_METRICS = ("rmse", "mae", "r2")


def score(model: Module, loss: str, X: np.ndarray, y: np.ndarray, task: str,
          n_classes: int) -> tuple[dict[str, float], np.ndarray]:
    """The loss and metrics of the model on (X, y), and its predictions (class indices or values)."""
    values = evaluate(model, build_loss(loss), X, targets(loss, y))
    outputs = predict(model, X)  # (n_samples, n_outputs)
    if task != "classification":
        return values | {m: float(METRICS[m].function(y, outputs)) for m in REGRESSION_METRICS}, outputs
    P = probabilities(loss, outputs)  # (n_samples, n_classes)
    labels = P.argmax(axis=1)  # (n_samples,)
    values |= {m: float(METRICS[m].function(y, labels)) for m in CLASSIFICATION_METRICS[:2]}
    values["log_loss"] = float(METRICS["log_loss"].function(y, P, labels=np.arange(n_classes)))
    return values, labels


def confusion(y: np.ndarray, labels: np.ndarray, n_classes: int) -> list[list[int]]:
    """C[i][j]: samples of class i predicted as class j."""
    return confusion_matrix(y, labels, labels=np.arange(n_classes)).astype(int).tolist()


def format_table(title: str, values: Mapping[str, float]) -> str:
    """``title`` and one aligned ``name  value`` line per entry (4 significant digits from a million).

    >>> print(format_table("test metrics", {"loss": 0.25, "accuracy": 0.975, "mse": 4.5e13}))
    test metrics
      loss      0.2500
      accuracy  0.9750
      mse       4.5e+13
    """
    width = max(len(k) for k in values)
    return "\n".join([title, *(f"  {k:<{width}}  {v:.4f}" if abs(v) < 1e6 else f"  {k:<{width}}  {v:.4g}"
                                for k, v in values.items())])


_EPS = float(np.finfo(np.float64).eps)  # log_loss's clip of the float64 probabilities


def metrics_table(title: str, values: Mapping[str, float]) -> str:
    """``format_table``, and a note when log_loss (its probabilities clipped) and the loss differ.

    >>> print(metrics_table("test", {"loss": 4.5e13, "log_loss": 33.44}))
    test
      loss      4.5e+13
      log_loss  33.4400  (clipped: see below)
      log_loss clips each probability to [2.2e-16, 1 − 2.2e-16] as scikit-learn does, so no sample adds
      more than 36.04; the loss takes the outputs unclipped, so confident mistakes weigh more there
    """
    loss, clipped = values.get("loss"), values.get("log_loss")
    if loss is None or clipped is None or math.isclose(loss, clipped, rel_tol=1e-4, abs_tol=1e-6):
        return format_table(title, values)
    lines = format_table(title, values).splitlines()
    row = list(values).index("log_loss") + 1
    lines[row] += "  (clipped: see below)"
    note = (f"  log_loss clips each probability to [{_EPS:.2g}, 1 − {_EPS:.2g}] as scikit-learn does, so no "
            f"sample adds\n  more than {-math.log(_EPS):.2f}; the loss takes the outputs unclipped, so "
            "confident mistakes weigh more there")
    return "\n".join([*lines, note])


def shape_of(model: Module) -> tuple[int, int]:
    """(inputs, outputs) of a network of Linear layers: the first weight's columns, the last one's rows."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    if not weights or weights[0].ndim != 2:
        raise GlassnetError("the model has no Linear layers; the CLI uses networks of Linear layers")
    return int(weights[0].shape[1]), int(weights[-1].shape[0])


class ModelInfo:
    """A loaded model file with what the CLI needs from it: task, loss, classes, scaler, names."""

    def __init__(self, path: str | Path, loaded: LoadedModel) -> None:
        """Every field the CLI uses, checked against the model: a file is validated, never trusted."""
        self.path, self.model = str(path), loaded.model
        extra = _field(self.path, "extra", loaded.extra, dict) or {}
        hyper = _field(self.path, "hyperparameters", loaded.hyperparameters, dict) or {}
        self.n_features, self.n_outputs = shape_of(self.model)
        self.classes: list[Any] | None = _classes(self.path, loaded.classes, self.n_outputs)
        task = _field(self.path, "extra 'task'", extra.get("task"), str)
        self.task: str = task or ("classification" if self.classes else "regression")
        if self.task not in ("classification", "regression"):
            raise _bad(self.path, "extra 'task'", f"is {self.task!r}", "'classification' or 'regression'")
        if self.task == "classification" and self.classes is None:
            raise _bad(self.path, "classes", "are missing for a classification model", "a list of labels")
        self.loss: str = _field(self.path, "hyperparameters 'loss'", hyper.get("loss"), str) or default_loss(
            self.task)
        self.target: str | None = _field(self.path, "hyperparameters 'target'", hyper.get("target"), str)
        self.optimizer: str | None = _field(self.path, "hyperparameters 'optimizer'", hyper.get("optimizer"),
                                            str)
        self.steps: dict[str, float] = {k: _setting(self.path, k, hyper[k]) for k in _STEP if k in hyper}
        self.target_name: str = _field(self.path, "extra 'target_name'", extra.get("target_name"),
                                       str) or "prediction"
        self.feature_names: list[str] = _names(self.path, extra.get("feature_names"), self.n_features)
        self.scaler = _scaler(self.path, loaded.preprocessing, self.n_features)

    def inputs(self, X: np.ndarray, source: str) -> np.ndarray:
        """X checked against the model's input size and passed through the saved preprocessing."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise GlassnetError(f"{source} has {X.shape[-1]} feature columns but the model {self.path} "
                                f"takes {self.n_features}; pass data with the columns it was trained on")
        return X if self.scaler is None else self.scaler.transform(X)

    def class_indices(self, labels: np.ndarray, source: str) -> np.ndarray:
        """The index of each original label in the saved classes (labels compared as text)."""
        known = {_label_text(c): i for i, c in enumerate(self.classes or [])}
        unseen = sorted({_label_text(v) for v in labels.tolist()} - known.keys())
        if unseen:
            raise GlassnetError(f"{source} holds labels {unseen[:5]} the model never saw; it knows "
                                f"{list(known)}")
        return np.array([known[_label_text(v)] for v in labels.tolist()], dtype=np.int64)


def _bad(path: str, field: str, what: str, expected: str) -> GlassnetError:
    return GlassnetError(f"the model file {path} is not usable: its {field} {what}; expected {expected}; "
                         "re-save the model with matching fields")


def _field(path: str, field: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    """``value`` if it is None or of ``kind`` (never a bool standing for an int)."""
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
    raise _bad(path, field, f"is a {type(value).__name__}", f"a {names}")


_STEP = ("lr", "weight_decay", "l1", "l2")  # the run's settings that shape one training step


def _setting(path: str, name: str, value: Any) -> float:
    """A saved step setting: a finite number >= 0."""
    number = _field(path, f"hyperparameters {name!r}", value, (int, float))
    if number is None or not 0.0 <= number < float("inf"):
        raise _bad(path, f"hyperparameters {name!r}", f"is {value!r}", "a finite number >= 0")
    return float(number)


def _classes(path: str, classes: Any, n_outputs: int) -> list[Any] | None:
    """The saved labels, one per output (or two for a single sigmoid output), each a str or number."""
    if classes is None:
        return None
    if not isinstance(classes, list | tuple) or not all(
            isinstance(c, str | int | float) for c in classes):
        raise _bad(path, "classes", f"are {classes!r:.60}", "a list of labels (strings or numbers)")
    fits = len(classes) == n_outputs or (n_outputs == 1 and len(classes) == 2)
    if not fits or len({_label_text(c) for c in classes}) != len(classes):
        raise _bad(path, "classes", f"are {len(classes)} labels {list(classes)[:5]!r:.80}",
                   f"{n_outputs} distinct labels, one per output of the model")
    return list(classes)


def _names(path: str, names: Any, n_features: int) -> list[str]:
    """The saved feature names: none, or one string per input of the model."""
    if names is None or names == []:
        return []
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names) \
            or len(names) != n_features:
        raise _bad(path, "extra 'feature_names'", f"are {names!r:.60}",
                   f"{n_features} strings, one per input of the model")
    return list(names)


def _scaler(path: str, state: Any, n_features: int) -> StandardScaler | None:
    """The saved StandardScaler, its mean and scale one finite number per input (scale > 0)."""
    if _field(path, "preprocessing", state, dict) is None:
        return None
    try:
        scaler = StandardScaler.from_state_dict(state)
    except (GlassnetError, TypeError, ValueError) as e:
        raise _bad(path, "preprocessing", f"is not a scaler's state ({e})", "a StandardScaler's") from e
    for name, values in (("mean", np.asarray(scaler.mean_)), ("scale", np.asarray(scaler.scale_))):
        if values.shape != (n_features,) or not np.isfinite(values).all() or (name == "scale" and
                                                                             (values <= 0).any()):
            raise _bad(path, f"preprocessing '{name}'", f"has shape {values.shape} or bad values",
                       f"{n_features} finite numbers" + (" above 0" if name == "scale" else ""))
    return scaler


def _label_text(value: Any) -> str:
    """A label as text, with 3.0 and 3 the same label."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_model(path: str) -> ModelInfo:
    """The model file at ``path``, or a one-line error for a missing, corrupt or foreign file."""
    if not Path(path).is_file():
        raise GlassnetError(f"no model file {path!r}; pass the model.safetensors of a run folder")
    return ModelInfo(path, load(path))
