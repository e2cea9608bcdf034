"""Regression metrics with scikit-learn's signatures: mean squared and absolute error, its root, R²."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.metrics import checks as chk

__all__ = ["mean_absolute_error", "mean_squared_error", "r2_score", "root_mean_squared_error"]

Multioutput = Literal["raw_values", "uniform_average"] | ArrayLike
Score = float | NDArray[Any]


def _over_outputs(errors: NDArray[np.floating], multioutput: Multioutput) -> Score:
    """Per-output values as they are ('raw_values'), their mean, or their weighted mean."""
    if isinstance(multioutput, str):
        return errors if multioutput == "raw_values" else float(np.mean(errors))
    return float(chk.average(errors, np.asarray(multioutput, dtype=np.float64), what="multioutput"))


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                       multioutput: Multioutput = "uniform_average") -> Score:
    """Mean squared error, per output: Σ_i w_i·(y_i - ŷ_i)² / Σ_i w_i.

    Args:
        y_true, y_pred: targets and predictions, shape (n_samples,) or (n_samples, n_outputs).
        sample_weight: weights w_i, shape (n_samples,); all 1 when None.
        multioutput: 'uniform_average' (the mean over outputs), 'raw_values' (an array of shape
            (n_outputs,)) or an array of output weights, shape (n_outputs,).

    >>> mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    """
    t, p, w = chk.regression_targets(y_true, y_pred, sample_weight, multioutput)
    return _over_outputs(chk.average((t - p) ** 2, w, axis=0), multioutput)


def root_mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *,
                            sample_weight: ArrayLike | None = None,
                            multioutput: Multioutput = "uniform_average") -> Score:
    """Root mean squared error, per output: √(Σ_i w_i·(y_i - ŷ_i)² / Σ_i w_i), then averaged.

    Args: as mean_squared_error.

    >>> root_mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 7])
    0.3535533905932738
    """
    t, p, w = chk.regression_targets(y_true, y_pred, sample_weight, multioutput)
    return _over_outputs(np.sqrt(chk.average((t - p) ** 2, w, axis=0)), multioutput)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                        multioutput: Multioutput = "uniform_average") -> Score:
    """Mean absolute error, per output: Σ_i w_i·|y_i - ŷ_i| / Σ_i w_i.

    Args: as mean_squared_error.

    >>> mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    t, p, w = chk.regression_targets(y_true, y_pred, sample_weight, multioutput)
    return _over_outputs(chk.average(np.abs(p - t), w, axis=0), multioutput)


def r2_score(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
             multioutput: Multioutput | Literal["variance_weighted"] = "uniform_average",
             force_finite: bool = True) -> Score:
    """Coefficient of determination: R² = 1 - Σ_i w_i·(y_i - ŷ_i)² / Σ_i w_i·(y_i - ȳ)², per output.

    ȳ is the weighted mean of y_true. With a constant y_true the ratio is undefined: with
    force_finite it scores 1.0 for perfect predictions, else 0.0. Fewer than 2 samples gives NaN.

    Args:
        multioutput: as in mean_squared_error, or 'variance_weighted' (weights Σ w·(y - ȳ)²).
        Others: see mean_squared_error. force_finite: replace NaN and -inf as described above.

    >>> r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.9486081370449679
    """
    options = ("raw_values", "uniform_average", "variance_weighted")
    t, p, w = chk.regression_targets(y_true, y_pred, sample_weight, multioutput, options)
    if len(t) < 2:
        return float("nan")
    weight = 1.0 if w is None else w[:, None]  # (n_samples, 1)
    num = np.sum(weight * (t - p) ** 2, axis=0)  # (n_outputs,)
    den = np.sum(weight * (t - chk.average(t, w, axis=0)) ** 2, axis=0)  # (n_outputs,)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1 - num / den
    if force_finite:
        r2 = np.where(num == 0, 1.0, np.where(den == 0, 0.0, r2))
    if isinstance(multioutput, str) and multioutput == "variance_weighted":
        return float(chk.average(r2, den, what="variance") if np.any(den != 0) else np.mean(r2))
    return _over_outputs(r2, multioutput)
