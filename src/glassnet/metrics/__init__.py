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

from glassnet.metrics.classification import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
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
from glassnet.metrics.table import METRICS, Metric, get_metric

__all__ = [
    "METRICS", "Metric", "accuracy_score", "balanced_accuracy_score", "confusion_matrix", "f1_score",
    "get_metric", "log_loss", "mean_absolute_error", "mean_squared_error", "precision_score",
    "r2_score", "recall_score", "root_mean_squared_error",
]
