"""Feature scaling fitted on training data only, and one-hot encoding of class labels.

The scalers follow scikit-learn's formulas and attribute names (``mean_``, ``scale_``, ``data_min_``)
and save as plain arrays and numbers (``state_dict``) so a model file can carry them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError, ShapeError

__all__ = ["MinMaxScaler", "Scaler", "StandardScaler", "one_hot"]

_EPS = np.finfo(np.float64).eps


def _as_2d(X: np.ndarray, who: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise ShapeError(f"{who} expects X of shape (n_samples, n_features), got shape {X.shape}; "
                         "reshape a single feature with X[:, None]")
    return X


def _out_dtype(X: np.ndarray) -> np.dtype:
    """Floating inputs keep their dtype; anything else becomes float32, the house default."""
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)


class Scaler(ABC):
    """A per-feature affine map learned by ``fit`` from training data and applied by ``transform``."""

    n_features_in_: int | None = None

    @abstractmethod
    def fit(self, X: np.ndarray) -> Scaler:
        """Learn the per-feature statistics from training data X of shape (n_samples, n_features)."""

    @abstractmethod
    def transform(self, X: np.ndarray) -> np.ndarray:
        """Scale X of shape (n_samples, n_features) with the fitted statistics; shape unchanged."""

    @abstractmethod
    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo transform."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """The fitted statistics as plain arrays and numbers."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """fit(X), then transform(X): for the training data only; transform validation and test data."""
        return self.fit(X).transform(X)

    def _check(self, X: np.ndarray, method: str) -> np.ndarray:
        who = f"{type(self).__name__}.{method}"
        X = _as_2d(X, who)
        self._require_fitted(who)
        if X.shape[1] != self.n_features_in_:
            raise ShapeError(f"{who}: fitted on {self.n_features_in_} features, got X of shape {X.shape}")
        return X

    def _require_fitted(self, who: str) -> None:
        if self.n_features_in_ is None:
            raise GlassnetError(f"{who}: the scaler is not fitted; call fit(X_train) first")


class StandardScaler(Scaler):
    """Standardize each feature: z = (x - μ) / σ, with μ and σ (ddof=0) from the training data.

    A feature that is constant in the training data gets σ = 1, as in scikit-learn, so it maps to 0
    instead of dividing by zero.

    >>> s = StandardScaler().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> s.mean_.tolist(), s.scale_.tolist(), s.transform(np.array([[2.0, 5.0], [5.0, 6.0]])).tolist()
    ([2.0, 5.0], [1.0, 1.0], [[0.0, 0.0], [3.0, 1.0]])
    """

    def __init__(self, *, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean, self.with_std = with_mean, with_std
        self.mean_: np.ndarray | None = None
        self.var_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.n_samples_seen_ = 0

    def fit(self, X: np.ndarray) -> StandardScaler:
        """Learn μ = mean(x) and σ² = mean((x - μ)²) per feature, in float64."""
        X = _as_2d(X, "StandardScaler.fit").astype(np.float64)
        n = X.shape[0]
        if n == 0:
            raise ShapeError("StandardScaler.fit got 0 samples; expected at least 1")
        mean = X.mean(axis=0)  # (n_features,)
        var = X.var(axis=0)  # (n_features,)
        # scikit-learn's bound on the rounding error of var for a constant feature (_is_constant_feature)
        constant = var <= n * _EPS * var + (n * mean * _EPS) ** 2
        self.mean_, self.var_ = mean, var
        self.scale_ = np.where(constant, 1.0, np.sqrt(var))
        self.n_samples_seen_, self.n_features_in_ = n, X.shape[1]
        return self

    def _shift_scale(self) -> tuple[np.ndarray, np.ndarray]:
        assert self.mean_ is not None and self.scale_ is not None
        shift = self.mean_ if self.with_mean else np.zeros_like(self.mean_)
        return shift, self.scale_ if self.with_std else np.ones_like(self.scale_)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """z = (x - μ) / σ, computed in float64 and returned in X's float dtype (float32 otherwise)."""
        X = self._check(X, "transform")
        mu, sigma = self._shift_scale()
        return ((X.astype(np.float64) - mu) / sigma).astype(_out_dtype(X))  # (n_samples, n_features)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """x = z · σ + μ."""
        Z = self._check(Z, "inverse_transform")
        mu, sigma = self._shift_scale()
        return (Z.astype(np.float64) * sigma + mu).astype(_out_dtype(Z))  # (n_samples, n_features)

    def state_dict(self) -> dict[str, Any]:
        """{'mean', 'var', 'scale': float64 arrays, 'n_samples_seen': int, 'with_mean', 'with_std': bool}."""
        self._require_fitted(f"{type(self).__name__}.state_dict")
        assert self.mean_ is not None and self.var_ is not None and self.scale_ is not None
        return {"mean": self.mean_.copy(), "var": self.var_.copy(), "scale": self.scale_.copy(),
                "n_samples_seen": self.n_samples_seen_, "with_mean": self.with_mean,
                "with_std": self.with_std}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> StandardScaler:
        """A fitted StandardScaler from the output of ``state_dict()``."""
        _require(state, ("mean", "var", "scale", "n_samples_seen", "with_mean", "with_std"), cls.__name__)
        s = cls(with_mean=bool(state["with_mean"]), with_std=bool(state["with_std"]))
        s.mean_, s.var_, s.scale_ = (np.array(state[k], dtype=np.float64) for k in ("mean", "var", "scale"))
        s.n_samples_seen_, s.n_features_in_ = int(state["n_samples_seen"]), len(s.mean_)
        return s


class MinMaxScaler(Scaler):
    """Map each feature's training range onto feature_range = (a, b): z = a + (x - min)·(b - a)/(max - min).

    Stored as scikit-learn does: ``scale_ = (b - a) / (max - min)`` and ``min_ = a - min · scale_``,
    so z = x · scale_ + min_. A constant feature gets max - min = 1.

    >>> s = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([[0.0], [10.0]]))
    >>> s.transform(np.array([[5.0], [20.0]])).tolist()
    [[0.0], [3.0]]
    """

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        if not feature_range[0] < feature_range[1]:
            raise GlassnetError(f"MinMaxScaler: feature_range must be (min, max) with min < max, "
                                f"got {feature_range}")
        self.feature_range = (float(feature_range[0]), float(feature_range[1]))
        self.data_min_: np.ndarray | None = None
        self.data_max_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.min_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> MinMaxScaler:
        """Learn each feature's minimum and maximum over the training data."""
        X = _as_2d(X, "MinMaxScaler.fit").astype(np.float64)
        if X.shape[0] == 0:
            raise ShapeError("MinMaxScaler.fit got 0 samples; expected at least 1")
        self._set(X.min(axis=0), X.max(axis=0))
        return self

    def _set(self, data_min: np.ndarray, data_max: np.ndarray) -> None:
        a, b = self.feature_range
        data_range = data_max - data_min  # (n_features,)
        data_range = np.where(data_range < 10 * _EPS, 1.0, data_range)  # sklearn's _handle_zeros_in_scale
        self.data_min_, self.data_max_ = data_min, data_max
        self.scale_ = (b - a) / data_range
        self.min_ = a - data_min * self.scale_
        self.n_features_in_ = len(data_min)

    @property
    def data_range_(self) -> np.ndarray | None:
        """max - min per feature, as seen in the training data."""
        return None if self.data_min_ is None or self.data_max_ is None else self.data_max_ - self.data_min_

    def transform(self, X: np.ndarray) -> np.ndarray:
        """z = x · scale_ + min_ (values outside the training range land outside feature_range)."""
        X = self._check(X, "transform")
        assert self.min_ is not None and self.scale_ is not None
        return (X.astype(np.float64) * self.scale_ + self.min_).astype(_out_dtype(X))

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """x = (z - min_) / scale_."""
        Z = self._check(Z, "inverse_transform")
        assert self.min_ is not None and self.scale_ is not None
        return ((Z.astype(np.float64) - self.min_) / self.scale_).astype(_out_dtype(Z))

    def state_dict(self) -> dict[str, Any]:
        """{'data_min', 'data_max': float64 arrays, 'feature_range': (a, b)}."""
        self._require_fitted(f"{type(self).__name__}.state_dict")
        assert self.data_min_ is not None and self.data_max_ is not None
        return {"data_min": self.data_min_.copy(), "data_max": self.data_max_.copy(),
                "feature_range": self.feature_range}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> MinMaxScaler:
        """A fitted MinMaxScaler from the output of ``state_dict()``."""
        _require(state, ("data_min", "data_max", "feature_range"), cls.__name__)
        a, b = state["feature_range"]
        s = cls(feature_range=(float(a), float(b)))
        s._set(np.array(state["data_min"], dtype=np.float64), np.array(state["data_max"], dtype=np.float64))
        return s


def _require(state: dict[str, Any], keys: tuple[str, ...], who: str) -> None:
    missing = [k for k in keys if k not in state]
    if missing:
        raise GlassnetError(f"{who}.from_state_dict: missing {missing}; expected the keys {list(keys)} "
                            f"written by {who}.state_dict()")


def one_hot(y: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """One row per label with a 1 in column y[i]: Y[i, k] = 1 if y[i] = k else 0.

    Args:
        y: class indices of shape (n_samples,). n_classes: the number of columns (default max(y) + 1).

    Returns:
        float32 array of shape (n_samples, n_classes).

    >>> one_hot(np.array([2, 0]), 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise ShapeError(f"one_hot expects integer class indices of shape (n_samples,), got {y.dtype} "
                         f"of shape {y.shape}")
    k = int(y.max()) + 1 if n_classes is None and y.size else int(n_classes or 0)
    if y.size and (y.min() < 0 or y.max() >= k):
        raise GlassnetError(f"one_hot: labels must lie in 0..{k - 1} for n_classes={k}, "
                            f"got values from {y.min()} to {y.max()}")
    Y = np.zeros((y.shape[0], k), dtype=np.float32)  # (n_samples, n_classes)
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y
