"""Classification metrics with scikit-learn's signatures: accuracy, balanced accuracy, the confusion
matrix, precision, recall, F1 and log-loss (see ``glassnet.metrics`` for the shared conventions)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassnet.errors import GlassnetError, ShapeError
from glassnet.metrics import checks as chk

__all__ = [
    "accuracy_score", "balanced_accuracy_score", "confusion_matrix", "f1_score", "log_loss",
    "precision_score", "recall_score",
]  # fmt: skip

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
