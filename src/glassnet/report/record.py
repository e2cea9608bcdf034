"""What the report reads from a loaded model file, with a plain default for every missing piece."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet.io.model import LoadedModel
from glassnet.nn.module import Module

__all__ = ["RunRecord", "read_run"]


@dataclass(frozen=True)
class RunRecord:
    """A training run as the report sees it.

    Attributes:
        model: the trained network (eval mode).
        history: per-epoch values by key (``loss``, ``val_loss``, ``lr``, ...), all one length.
        epochs: the 1-based epoch number of each entry.
        stop_reason: why training stopped early ('' when it ran all its epochs).
        hyperparameters: the run's settings; extra: what the CLI stored beside them.
        classes: the class labels, or None. task: 'classification' or 'regression'.
        dataset: the dataset's name; version: the glassnet that wrote the file.
        warnings: the diagnostics' warnings, each a dict as ``DiagnosticWarning.to_dict`` saved it
            (``name, epoch, layer, value, threshold, formula, reason, fix``).
        restored_epoch: the 1-based epoch whose weights the model holds after early stopping
            restored its best weights, or None (no early stopping, or no validation loss).
    """

    model: Module
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    stop_reason: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    classes: list[Any] | None = None
    task: str = "regression"
    dataset: str = "unnamed run"
    version: str = ""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    restored_epoch: int | None = None

    def class_name(self, index: int) -> str:
        """The label of class ``index`` (its number when the file has no labels)."""
        if self.classes is not None and 0 <= index < len(self.classes):
            return str(self.classes[index])
        return str(index)

    @property
    def total_time(self) -> float:
        """Seconds spent training, summed over the epochs (nan when not recorded)."""
        times = [t for t in self.history.get("time", []) if math.isfinite(t)]
        return float(sum(times)) if times else math.nan


def read_run(loaded: LoadedModel) -> RunRecord:
    """The ``RunRecord`` of a model file; absent or malformed fields become empty defaults.

    >>> import glassnet as gn
    >>> record = read_run(LoadedModel(gn.nn.Linear(2, 1), history={"history": {"loss": [0.5, 0.25]},
    ...                                                       "epoch": [0, 1]}))
    >>> record.epochs, record.history, record.task
    ([1, 2], {'loss': [0.5, 0.25]}, 'regression')
    """
    saved: Mapping[str, Any] = loaded.history if isinstance(loaded.history, Mapping) else {}
    values = saved.get("history", saved)
    history = _curves(values if isinstance(values, Mapping) else {})
    n = max((len(v) for v in history.values()), default=0)
    history = {k: v for k, v in history.items() if len(v) == n}
    epoch = saved.get("epoch")
    if isinstance(epoch, list | np.ndarray) and len(epoch) == n:
        epochs = [int(e) + 1 for e in epoch]
    else:
        epochs = list(range(1, n + 1))
    hyperparameters = dict(loaded.hyperparameters) if isinstance(loaded.hyperparameters, Mapping) else {}
    extra = dict(loaded.extra) if isinstance(loaded.extra, Mapping) else {}
    labels = loaded.classes
    classes = list(labels) if isinstance(labels, list | tuple) else None  # malformed: as if absent
    task = str(extra.get("task") or ("classification" if classes is not None or "confusion_matrix" in extra
                                     else "regression"))
    dataset = extra.get("dataset") or hyperparameters.get("dataset") or "unnamed run"
    return RunRecord(loaded.model, history, epochs, str(saved.get("stop_reason", "") or ""),
                     hyperparameters, extra, classes, task, str(dataset), loaded.glassnet_version,
                     _warnings(saved.get("warnings")), _restored_epoch(history, epochs, hyperparameters))


def _restored_epoch(history: Mapping[str, list[float]], epochs: list[int],
                    hyperparameters: Mapping[str, Any]) -> int | None:
    """The epoch of the lowest validation loss when the run used early stopping (which restores it).

    EarlyStopping counts only a strictly lower value as better, so the first lowest one is kept.
    """
    losses = history.get("val_loss", [])
    finite = [(v, i) for i, v in enumerate(losses) if math.isfinite(v)]
    if not hyperparameters.get("early_stopping") or not finite:
        return None
    return epochs[min(finite)[1]]


def _warnings(saved: Any) -> list[dict[str, Any]]:
    """The saved warnings that are dicts (anything else in the file is skipped)."""
    if not isinstance(saved, list | tuple):
        return []
    return [dict(w) for w in saved if isinstance(w, Mapping)]


def _curves(values: Mapping[Any, Any]) -> dict[str, list[float]]:
    """Each key whose value is a flat sequence of numbers, as a list of floats."""
    curves = {}
    for key, value in values.items():
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if array.ndim == 1:
            curves[str(key)] = array.tolist()
    return curves
