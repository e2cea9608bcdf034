"""The Dataset record every loader returns, and how raw targets become class indices or regression columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from glassnet.data.checks import check_numbers
from glassnet.errors import GlassnetError, ShapeError

__all__ = ["TASKS", "Dataset", "Seed", "Task", "encode_target", "infer_task"]

Seed = int | np.random.Generator | None
Task = Literal["classification", "regression", "unlabeled"]
TASKS: tuple[Task, ...] = ("classification", "regression", "unlabeled")

# A numeric target is read as class labels when it holds only integers and at most this many distinct values.
_MAX_INFERRED_CLASSES = 20


def _rng(seed: Seed) -> np.random.Generator:
    """A Generator from a seed; a Generator passes through, so successive calls keep drawing from it."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A data set: features, targets and what the targets mean.

    Args:
        X: features, float32, shape (n_samples, n_features).
        y: class indices 0..k-1, int64, shape (n_samples,), for classification; float32 of shape
            (n_samples, n_outputs) for regression; float32 of shape (n_samples, 0) when unlabeled.
        task: 'classification', 'regression' or 'unlabeled'.
        name, description: a short name and one line about where the data come from.
        feature_names: one name per column of X.
        classes: the original label of each class index (``classes[y]`` gives the labels back);
            None unless task is 'classification'.
        target_name: the name of the target column.

    >>> ds = Dataset.from_arrays([[0.0], [1.0], [2.0]], ["cat", "dog", "cat"])
    >>> ds.task, ds.y.tolist(), ds.classes.tolist(), ds.decode([1, 0]).tolist()
    ('classification', [0, 1, 0], ['cat', 'dog'], ['dog', 'cat'])
    """

    X: np.ndarray
    y: np.ndarray
    task: Task
    name: str = ""
    description: str = ""
    feature_names: tuple[str, ...] = ()
    classes: np.ndarray | None = None
    target_name: str = "target"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise GlassnetError(f"Dataset task {self.task!r} is unknown; expected one of {', '.join(TASKS)}")
        if self.X.ndim != 2 or self.y.shape[:1] != self.X.shape[:1]:
            raise ShapeError(f"Dataset {self.name!r}: X of shape {self.X.shape} and y of shape "
                             f"{self.y.shape} do not match; expected X (n_samples, n_features) and y "
                             "with n_samples rows")
        if (self.classes is None) != (self.task != "classification"):
            raise GlassnetError(f"Dataset {self.name!r}: classes must be given exactly when task is "
                                f"'classification' (task is {self.task!r})")
        if self.feature_names and len(self.feature_names) != self.X.shape[1]:
            raise ShapeError(f"Dataset {self.name!r}: {len(self.feature_names)} feature names for "
                             f"{self.X.shape[1]} features")

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes; 0 unless the task is classification."""
        return 0 if self.classes is None else len(self.classes)

    @property
    def target_names(self) -> tuple[str, ...]:
        """The classes as strings, e.g. for a confusion matrix's labels; empty unless classification."""
        return () if self.classes is None else tuple(str(c) for c in self.classes.tolist())

    def decode(self, y_pred: np.ndarray | list[int]) -> np.ndarray:
        """Map predicted class indices back to the original labels: ``classes[y_pred]``."""
        if self.classes is None:
            raise GlassnetError(f"Dataset {self.name!r} is a {self.task} set; only class indices "
                                "can be decoded")
        return self.classes[np.asarray(y_pred, dtype=np.int64)]

    def __repr__(self) -> str:
        extra = f", {self.n_classes} classes" if self.classes is not None else ""
        return (f"Dataset({self.name!r}, {self.task}, {self.n_samples} samples × "
                f"{self.n_features} features{extra})")

    @classmethod
    def from_arrays(cls, X: np.ndarray | list, y: np.ndarray | list, *, task: Task | None = None,
                    name: str = "", description: str = "", feature_names: tuple[str, ...] | None = None,
                    target_name: str = "target") -> Dataset:
        """Build a Dataset from a feature matrix and raw targets, encoding class labels as 0..k-1.

        With task=None, targets that are not numbers, or integers with few distinct values (at most
        20, and at most half the number of samples, but always 2), mean classification; other
        numeric targets mean regression.
        """
        where = f"{name}: " if name else ""
        rescale = "rescale those values (a Dataset holds float32)"
        X_arr = check_numbers(X, f"{where}X", np.float32, rescale).astype(np.float32)
        y = np.asarray(y)
        if y.dtype.kind in "biufc":
            check_numbers(y, f"{where}y", np.float32 if task != "classification" else np.float64, rescale)
        if X_arr.ndim == 1:
            X_arr = X_arr[:, None]  # (n_samples, 1)
        y_enc, classes, task = encode_target(np.asarray(y), task, name or "data")
        names = feature_names if feature_names is not None else tuple(f"x{j}" for j in range(X_arr.shape[1]))
        return cls(X_arr, y_enc, task, name, description, tuple(names), classes, target_name)


def infer_task(y: np.ndarray) -> Task:
    """'classification' for non-numeric targets or integers with few distinct values, else 'regression'.

    >>> infer_task(np.array(["a", "b"])), infer_task(np.array([0, 1, 1, 0])), infer_task(np.array([0.5, 2.0]))
    ('classification', 'classification', 'regression')
    """
    if y.dtype.kind not in "biuf":
        return "classification"
    if y.dtype.kind == "b":
        return "classification"
    if y.ndim != 1 or (y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y)))):
        return "regression"
    few = min(_MAX_INFERRED_CLASSES, max(2, y.shape[0] // 2))
    return "classification" if len(np.unique(y)) <= few else "regression"


def encode_target(y: np.ndarray, task: Task | None, where: str) -> tuple[np.ndarray, np.ndarray | None, Task]:
    """Targets as a Dataset stores them: (y, classes, task); classes is None for regression.

    Class labels become indices into ``classes = np.unique(y)``; regression targets become float32
    columns of shape (n_samples, n_outputs).

    >>> y, classes, task = encode_target(np.array([10, 30, 10, 20, 20, 30]), None, "example")
    >>> y.tolist(), classes.tolist(), task
    ([0, 2, 0, 1, 1, 2], [10, 20, 30], 'classification')
    """
    task = infer_task(y) if task is None else task
    if task == "classification":
        if y.ndim != 1:
            raise ShapeError(f"{where}: class labels must be one per sample, got shape {y.shape}")
        classes, codes = np.unique(y, return_inverse=True)
        if classes.dtype.kind in "iu" or (classes.dtype.kind == "f" and np.all(classes == np.round(classes))):
            classes = classes.astype(np.int64)
        return codes.reshape(-1).astype(np.int64), classes, task
    if task == "regression":
        if y.dtype.kind not in "biuf":
            raise GlassnetError(f"{where}: task='regression' needs numeric targets, got values like "
                                f"{y.reshape(-1)[:3].tolist()}; use task='classification' for labels")
        return (y.reshape(y.shape[0], -1) if y.ndim != 1 else y[:, None]).astype(np.float32), None, task
    if task == "unlabeled":
        return np.empty((y.shape[0], 0), dtype=np.float32), None, task
    raise GlassnetError(f"{where}: task {task!r} is unknown; expected one of {', '.join(TASKS)}")
