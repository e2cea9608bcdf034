"""Where a metric's arguments enter: checks whose errors say what is wrong and how to fix it.

Also the two small reductions every metric shares (a weighted mean and a per-class count), kept
here so that metrics.py shows only the formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.errors import GlassnetError, ShapeError


def check_option(name: str, value: object, valid: tuple[object, ...]) -> None:
    """Nothing, or an error listing the valid values of a string option."""
    if not any(value is v or (isinstance(value, str) and value == v) for v in valid):
        raise GlassnetError(f"got {name}={value!r}; expected one of {', '.join(map(repr, valid))}")


def zero_division_value(zero_division: str | float) -> float:
    """The score given to a 0/0 ratio: 'warn' means 0.0, as in scikit-learn (without the warning)."""
    if isinstance(zero_division, str) and zero_division in ("warn", "nan"):
        return 0.0 if zero_division == "warn" else np.nan
    if isinstance(zero_division, int | float) and (zero_division in (0, 1) or np.isnan(zero_division)):
        return float(zero_division)
    raise GlassnetError(
        f"got zero_division={zero_division!r}; expected 'warn', 0.0, 1.0 or np.nan, the score "
        "given to precision, recall or F1 when its denominator is 0"
    )


def check_samples(y_true: NDArray[Any], y_pred: NDArray[Any], sample_weight: ArrayLike | None
                  ) -> NDArray[Any] | None:
    """The sample weights as an array (or None) once y_true, y_pred and the weights agree in length."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim == 0 or len(y) == 0:
            raise ShapeError(f"{name} has shape {y.shape}; expected an array of at least 1 sample")
    if len(y_true) != len(y_pred):
        raise ShapeError(
            f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}; "
            "pass exactly one prediction per sample"
        )
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.shape != (len(y_true),):
        raise ShapeError(
            f"sample_weight has shape {w.shape}; expected ({len(y_true)},), one weight per sample"
        )
    return w


def check_labels(name: str, y: ArrayLike) -> NDArray[Any]:
    """Class labels as a 1-D array (a column vector is flattened); real numbers are refused."""
    a = np.asarray(y)
    a = a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a
    if a.ndim != 1:
        raise ShapeError(
            f"{name} has shape {a.shape}; expected a 1-D array with one class label per sample "
            "(multilabel indicator matrices are not supported)"
        )
    if a.dtype.kind in "fc" and not np.array_equal(a, np.round(a.real)):
        raise GlassnetError(
            f"{name} holds non-integer values such as {a[a != np.round(a.real)][0]}; classification "
            "metrics compare class labels: pass labels (e.g. proba.argmax(axis=1)), or use "
            "log_loss for probabilities and a regression metric for real-valued targets"
        )
    return a


def same_kind(a: NDArray[Any], b: NDArray[Any], what: str) -> None:
    """Nothing, or an error when string labels meet numeric ones (they can never be equal)."""
    if (a.dtype.kind in "USO") != (b.dtype.kind in "USO"):
        raise GlassnetError(
            f"{what} mix string and numeric class labels ({a.dtype} and {b.dtype}); "
            "use one type for all labels"
        )


def classification_targets(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
                           ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any] | None, NDArray[Any]]:
    """y_true and y_pred as 1-D label arrays, the weights, and the sorted classes of both."""
    t, p = check_labels("y_true", y_true), check_labels("y_pred", y_pred)
    w = check_samples(t, p, sample_weight)
    same_kind(t, p, "y_true and y_pred")
    return t, p, w, np.union1d(t, p)


def regression_targets(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None,
                       multioutput: Any, options: tuple[str, ...] = ("raw_values", "uniform_average")
                       ) -> tuple[NDArray[np.floating], NDArray[np.floating], NDArray[Any] | None]:
    """y_true, y_pred as float (n_samples, n_outputs) arrays and the weights, once they agree."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    w = check_samples(t, p, sample_weight)
    floats = [a.dtype for a in (t, p, w) if a is not None and a.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.float64
    t, p = t.astype(dtype).reshape(len(t), -1), p.astype(dtype).reshape(len(p), -1)  # (n, n_outputs)
    if t.shape != p.shape or np.ndim(y_true) > 2 or np.ndim(y_pred) > 2:
        raise ShapeError(f"y_true has shape {np.shape(y_true)} and y_pred {np.shape(y_pred)}; expected "
                         "equal shapes (n_samples,) or (n_samples, n_outputs)")
    if isinstance(multioutput, str):
        check_option("multioutput", multioutput, options)
    elif np.shape(multioutput) != (t.shape[1],) or t.shape[1] == 1:
        raise ShapeError(f"multioutput weights have shape {np.shape(multioutput)}; expected one weight "
                         f"per output, ({t.shape[1]},), and at least 2 outputs")
    return t, p, None if w is None else w.astype(dtype)


def index_of(y: NDArray[Any], classes: NDArray[Any]) -> NDArray[np.intp]:
    """The position of each label of y in classes (any order), or -1 where it is not there."""
    order = np.argsort(classes, kind="stable")  # (n_classes,)
    pos = np.searchsorted(classes[order], y).clip(0, len(classes) - 1)  # (n_samples,)
    return np.where(classes[order][pos] == y, order[pos], -1)


def class_counts(i: NDArray[np.intp], w: NDArray[Any] | None, n: int) -> NDArray[Any]:
    """Σ of the weights of the samples with each class index 0..n-1 (counts when w is None)."""
    return np.bincount(i, weights=w, minlength=n)  # (n,)


def average(a: NDArray[Any], weights: NDArray[Any] | None, *, axis: int | None = None,
            normalize: bool = True, what: str = "sample_weight") -> Any:
    """Σ w·a / Σ w along axis (the plain mean without weights); the sum when not normalize.

    Computed in the widest floating dtype of a and the weights, as scikit-learn's ``_average``.
    """
    floats = [x.dtype for x in (a, weights) if x is not None and x.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.float64
    a = a.astype(dtype)
    if weights is None:
        return np.mean(a, axis=axis) if normalize else np.sum(a, axis=axis)
    w = weights.astype(dtype).reshape((-1,) + (1,) * (a.ndim - 1))  # broadcasts over outputs
    total = np.sum(a * w, axis=axis)
    if not normalize:
        return total
    scale = np.sum(w, axis=axis)
    if np.any(scale == 0):
        raise GlassnetError(f"{what} sums to zero, so the weighted mean is undefined; "
                            "give at least one entry a positive weight")
    return total / scale


def nanaverage(a: NDArray[Any], weights: NDArray[Any] | None) -> float:
    """The weighted mean of the non-NaN entries; unweighted when their weights sum to 0."""
    keep = ~np.isnan(a)
    if not keep.any():
        return np.nan
    if weights is None:
        return float(np.nanmean(a))
    if np.sum(weights[keep]) == 0:
        return float(np.mean(a[keep]))
    return float(average(a[keep], weights[keep]))
