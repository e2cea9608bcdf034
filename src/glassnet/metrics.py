"""Classification and regression metrics with scikit-learn's signatures, on NumPy alone.

Every metric is ``metric(y_true, y_pred)`` with scikit-learn's argument names, defaults and
results (a Python float, or an array for per-class or per-output values); tests/test_metrics.py
checks each against ``sklearn.metrics`` to 1e-12. Class labels may be integers, booleans or
strings; the classes are the sorted union of the labels in y_true and y_pred.

Where glassnet differs from scikit-learn: no warnings are emitted (``zero_division='warn'``
gives 0.0 silently, as scikit-learn's value is), multilabel indicator targets are not supported,
and a user's mistake raises ``GlassnetError`` (``ShapeError``, also a ValueError, for shapes).

Precision, recall and F1 share scikit-learn's arguments. They count, per class k, tp_k, fp_k
and fn_k (weighted by sample_weight). ``labels``: the classes to score, in the order of the
result for average=None (default: all, sorted); classes absent from the data score as 0/0.
``average``: 'binary' scores ``pos_label`` only (at most 2 classes); 'micro' pools the counts
of the chosen classes before dividing; 'macro' is the plain mean over classes; 'weighted' the
mean weighted by the support tp_k + fn_k; None returns the per-class scores, shape (n_labels,).
``zero_division``: the score of a 0/0 ratio, 0.0, 1.0 or np.nan ('warn' gives 0.0 without the
warning); NaN scores are left out of the averages. Otherwise the result is a float.

``METRICS`` maps names ("accuracy", "f1_macro", "rmse", "r2", ...) to ``Metric`` records for the
training loop and the CLI; ``get_metric(name)`` looks one up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet import _metrics_checks as chk
from glassnet.errors import GlassnetError, ShapeError

__all__ = [
    "METRICS", "Metric", "accuracy_score", "balanced_accuracy_score", "confusion_matrix", "f1_score",
    "get_metric", "log_loss", "mean_absolute_error", "mean_squared_error", "precision_score",
    "r2_score", "recall_score", "root_mean_squared_error",
]

Average = Literal["binary", "micro", "macro", "weighted"] | None
ZeroDivision = Literal["warn", "nan"] | float
Multioutput = Literal["raw_values", "uniform_average"] | ArrayLike
Score = float | NDArray[Any]


def accuracy_score(y_true: ArrayLike, y_pred: ArrayLike, *, normalize: bool = True,
                   sample_weight: ArrayLike | None = None) -> float:
    """Fraction (or weighted count when not normalize) of samples whose label is predicted exactly.

    accuracy = Σ_i w_i·[y_i = ŷ_i] / Σ_i w_i

    Args:
        y_true, y_pred: class labels, shape (n_samples,).
        normalize: return the fraction; False returns the (weighted) number of correct samples.
        sample_weight: weights w_i, shape (n_samples,); all 1 when None.

    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
    0.5
    """
    t, p, w, _ = chk.classification_targets(y_true, y_pred, sample_weight)
    return float(chk.average(t == p, w, normalize=normalize))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None,
                     sample_weight: ArrayLike | None = None,
                     normalize: Literal["true", "pred", "all"] | None = None) -> NDArray[Any]:
    """C[i, j] = Σ w over samples of true class i predicted as class j.

    normalize divides by the row sums ('true': recall on the diagonal), the column sums ('pred':
    precision on the diagonal) or the total ('all'); 0/0 becomes 0.

    Args:
        y_true, y_pred: class labels, shape (n_samples,).
        labels: the classes, in the order of the rows; samples of other classes are left out.
            Default: the sorted labels of y_true and y_pred.
        sample_weight: shape (n_samples,). normalize: None, 'true', 'pred' or 'all'.

    Returns:
        C, shape (n_classes, n_classes): int64 counts, float64 with float weights or normalize.

    >>> confusion_matrix(["cat", "dog", "dog"], ["cat", "cat", "dog"])
    array([[1, 0],
           [1, 1]])
    """
    chk.check_option("normalize", normalize, (None, "true", "pred", "all"))
    t, p, w, classes = chk.classification_targets(y_true, y_pred, sample_weight)
    if labels is not None:
        classes = np.asarray(labels)
        chk.same_kind(classes, t, "labels and y_true")
        if classes.size == 0 or not np.isin(classes, t).any():
            raise GlassnetError(f"none of labels={classes.tolist()} occurs in y_true; pass the "
                                f"classes to count, among {np.unique(t).tolist()}, or labels=None")
    n = len(classes)
    i, j = chk.index_of(t, classes), chk.index_of(p, classes)  # (n_samples,)
    keep = (i >= 0) & (j >= 0)
    C = chk.class_counts(i[keep] * n + j[keep], None if w is None else w[keep], n * n).reshape(n, n)
    C = C.astype(np.int64 if w is None or w.dtype.kind in "iub" else np.float64)  # as sklearn
    with np.errstate(all="ignore"):
        total = {"true": C.sum(axis=1, keepdims=True), "pred": C.sum(axis=0, keepdims=True),
                 "all": C.sum(), None: 1}[normalize]
        return C if normalize is None else np.nan_to_num(C / total)


def balanced_accuracy_score(y_true: ArrayLike, y_pred: ArrayLike, *,
                            sample_weight: ArrayLike | None = None, adjusted: bool = False) -> float:
    """Mean over the classes present in y_true of the recall C[k, k] / Σ_j C[k, j].

    adjusted rescales so that chance scores 0 and perfect 1: (score - 1/K) / (1 - 1/K).

    Args:
        y_true, y_pred: class labels, shape (n_samples,). sample_weight: shape (n_samples,).

    >>> balanced_accuracy_score([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])
    0.625
    """
    C = confusion_matrix(y_true, y_pred, sample_weight=sample_weight)  # (K, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = np.diag(C) / C.sum(axis=1)  # (K,), NaN for classes only predicted
    per_class = per_class[~np.isnan(per_class)]
    score = np.mean(per_class)
    if adjusted:
        chance = 1 / len(per_class)
        score = (score - chance) / (1 - chance)
    return float(score)


def _prf(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None, pos_label: Any,
         average: Average, sample_weight: ArrayLike | None, zero_division: ZeroDivision,
         which: Literal["precision", "recall", "f1"]) -> Score:
    """Precision tp/(tp+fp), recall tp/(tp+fn) or F1 2tp/(2tp+fp+fn) per class, then averaged."""
    chk.check_option("average", average, ("binary", "micro", "macro", "weighted", None))
    zero = chk.zero_division_value(zero_division)
    t, p, w, present = chk.classification_targets(y_true, y_pred, sample_weight)
    if average == "binary":
        if len(present) > 2:
            raise GlassnetError(f"average='binary' needs at most 2 classes but the targets hold "
                                f"{len(present)}; choose average='micro', 'macro', 'weighted' or None")
        if len(present) == 2 and pos_label not in present.tolist():
            raise GlassnetError(f"pos_label={pos_label!r} is not one of the classes "
                                f"{present.tolist()}; pass one of them as pos_label")
        if pos_label not in present.tolist():  # a single class that is not pos_label: tp = fp = fn = 0
            return zero
        labels = [pos_label]
    chosen = present if labels is None else np.asarray(labels)
    chk.same_kind(chosen, present, "labels and the targets")
    classes = np.union1d(chosen, present)
    i_t, i_p, k = chk.index_of(t, classes), chk.index_of(p, classes), chk.index_of(chosen, classes)
    hit = i_t == i_p
    tp = chk.class_counts(i_t[hit], None if w is None else w[hit], len(classes))[k]  # (n_chosen,)
    pred_sum = chk.class_counts(i_p, w, len(classes))[k]  # tp + fp
    true_sum = chk.class_counts(i_t, w, len(classes))[k]  # tp + fn, the support
    if average == "micro":
        tp, pred_sum, true_sum = (np.atleast_1d(np.sum(s)) for s in (tp, pred_sum, true_sum))
    num, den = {"precision": (tp, pred_sum), "recall": (tp, true_sum),
                "f1": (2.0 * tp, true_sum + pred_sum)}[which]
    score = num / np.where(den == 0, 1, den).astype(np.float64)
    score[den == 0] = zero
    if average is None:
        return score
    return chk.nanaverage(score, true_sum if average == "weighted" else None)


def precision_score(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None,
                    pos_label: Any = 1, average: Average = "binary",
                    sample_weight: ArrayLike | None = None, zero_division: ZeroDivision = "warn") -> Score:
    """Precision: the fraction of the samples predicted as class k that belong to it.

    precision_k = tp_k / (tp_k + fp_k), then averaged over the classes as ``average`` says.

    Args, Returns: see "Precision, recall and F1" in the module docstring.

    >>> precision_score([0, 1, 1, 1], [1, 1, 0, 1])  # tp = 2, fp = 1
    0.6666666666666666
    """
    return _prf(y_true, y_pred, labels, pos_label, average, sample_weight, zero_division, "precision")


def recall_score(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None,
                 pos_label: Any = 1, average: Average = "binary",
                 sample_weight: ArrayLike | None = None, zero_division: ZeroDivision = "warn") -> Score:
    """Recall: the fraction of the samples of class k that are predicted as k.

    recall_k = tp_k / (tp_k + fn_k), then averaged over the classes as ``average`` says.

    Args, Returns: see "Precision, recall and F1" in the module docstring.

    >>> recall_score([0, 1, 1, 1], [1, 1, 0, 0])  # tp = 1, fn = 2
    0.3333333333333333
    """
    return _prf(y_true, y_pred, labels, pos_label, average, sample_weight, zero_division, "recall")


def f1_score(y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None,
             pos_label: Any = 1, average: Average = "binary",
             sample_weight: ArrayLike | None = None, zero_division: ZeroDivision = "warn") -> Score:
    """F1: the harmonic mean of precision and recall.

    F1_k = 2·P_k·R_k / (P_k + R_k) = 2·tp_k / (2·tp_k + fp_k + fn_k), then averaged as ``average`` says.

    Args, Returns: see "Precision, recall and F1" in the module docstring.

    >>> f1_score(["a", "b", "c"], ["a", "b", "b"], average=None)
    array([1.        , 0.66666667, 0.        ])
    """
    return _prf(y_true, y_pred, labels, pos_label, average, sample_weight, zero_division, "f1")


def log_loss(y_true: ArrayLike, y_pred: ArrayLike, *, normalize: bool = True,
             sample_weight: ArrayLike | None = None, labels: ArrayLike | None = None) -> float:
    """Cross-entropy of predicted probabilities: -Σ_i w_i Σ_k Y_ik·log(P_ik) / Σ_i w_i.

    P is clipped to [eps, 1 - eps] with eps the machine epsilon of its dtype, so a confident
    mistake costs about 36 (float64), not infinity. Columns are the sorted classes.

    Args:
        y_true: class labels, shape (n_samples,).
        y_pred: probabilities P, shape (n_samples, n_classes), or (n_samples,) for the larger of
            two classes. labels: all classes, when y_true does not hold every one of them.
        normalize: the mean; False gives the sum. sample_weight: shape (n_samples,).

    >>> round(log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616
    """
    y = chk.check_labels("y_true", y_true)
    P = np.asarray(y_pred)
    P = P if P.dtype.kind == "f" else P.astype(np.float64)
    w = chk.check_samples(y, P, sample_weight)
    if P.ndim > 2 or not np.all((P >= 0) & (P <= 1)):
        raise GlassnetError(f"y_pred must hold probabilities in [0, 1] of shape (n_samples,) or "
                            f"(n_samples, n_classes), got shape {P.shape} with values in "
                            f"[{np.min(P)}, {np.max(P)}]; apply softmax or sigmoid to logits first")
    classes = np.unique(y if labels is None else np.asarray(labels))
    chk.same_kind(classes, y, "labels and y_true")
    if not np.isin(y, classes).all() or len(classes) < 2:
        raise GlassnetError(f"log_loss needs at least 2 classes covering y_true, got classes "
                            f"{classes.tolist()}; pass every class the model predicts as labels=")
    Y = (y[:, None] == classes[None, :]).astype(P.dtype)  # (n_samples, n_classes) one-hot
    P = P.reshape(len(P), -1)  # (n_samples, n_columns)
    P = np.concatenate([1 - P, P], axis=1) if P.shape[1] == 1 else P  # binary: P(larger class)
    if P.shape[1] != len(classes):
        raise ShapeError(f"y_pred has {P.shape[1]} probability columns but there are "
                         f"{len(classes)} classes {classes.tolist()}; pass one column per class, or "
                         f"the full class list through labels=")
    eps = np.finfo(P.dtype).eps
    loss = -np.sum(Y * np.log(np.clip(P, eps, 1 - eps)), axis=1)  # (n_samples,)
    return float(chk.average(loss, w, normalize=normalize))


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
