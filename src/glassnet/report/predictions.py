"""The report's Predictions figures: the confusion matrix, predicted against true values, and the
model's output over a 2-D input space with the training and test points on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.nn.activations import LogSoftmax, Sigmoid, Softmax
from glassnet.nn.module import Module
from glassnet.report.charts import Points, heatmap, region_map, scatter_chart
from glassnet.report.plots import Figure
from glassnet.report.record import RunRecord
from glassnet.report.svg import MUTED, PALETTE, LegendItem, fmt, mix, nice_ticks, ramp
from glassnet.train.loop import predict

__all__ = ["boundary_figures", "class_probabilities", "confusion_figures", "fit_figures"]

_GRID = 120  # cells per side of the decision-boundary grid
_LEVELS = 5  # shades of confidence per class
_STRONGEST = 0.62  # the deepest shade, mixed from white: the points must stay visible on it
_AXES = {"xlabel": "feature 1 (model input)", "ylabel": "feature 2 (model input)"}


def confusion_figures(run: RunRecord) -> list[Figure]:
    """The test set's confusion matrix as a heatmap with counts (classification only)."""
    matrix = run.extra.get("confusion_matrix")
    if matrix is None:
        return []
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.dtype.kind not in "iuf":
        return []
    labels = [run.class_name(i) for i in range(len(counts))]
    svg = heatmap("confusion_matrix", "Confusion matrix (test set)", counts.astype(np.int64), labels, labels,
                  xlabel="predicted class", ylabel="true class")
    return [Figure("confusion_matrix", svg, "Rows: the true class; columns: the predicted class. "
                   "The diagonal counts the correct predictions.")]


def _pair(saved: Any, first: str, second: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Two equally long numeric arrays of a saved dict, each as (n, k) float64; None when malformed."""
    if not isinstance(saved, dict) or first not in saved or second not in saved:
        return None
    try:
        a, b = np.asarray(saved[first], dtype=np.float64), np.asarray(saved[second])
        b = b if b.dtype.kind in "USO" else b.astype(np.float64)  # class labels may be text
    except (TypeError, ValueError):
        return None
    if a.ndim == 0 or b.ndim == 0 or len(a) != len(b) or len(a) == 0:
        return None
    return a.reshape(len(a), -1), b.reshape(len(b), -1)  # (n, k): a column per feature or output


def fit_figures(run: RunRecord) -> list[Figure]:
    """Regression: each test sample's prediction against its target, with the y = x line."""
    pair = _pair(run.extra.get("test_predictions"), "y_true", "y_pred")
    if pair is None or run.task == "classification" or pair[0].shape != pair[1].shape:
        return []
    true, predicted = pair  # (n_test, n_outputs) each
    k = true.shape[1]
    groups = [Points(np.stack([true[:, j], predicted[:, j]], axis=1), [PALETTE[j % 10]] * len(true))
              for j in range(k)]
    items = [LegendItem(f"output {j + 1}", PALETTE[j % 10], "dot") for j in range(k)] if k > 1 else []
    target = str(run.extra.get("target_name") or "target")
    svg = scatter_chart("predicted_vs_true", "Predicted vs true (test set)", groups, items,
                        xlabel=f"true {target}", ylabel=f"predicted {target}")
    return [Figure("predicted_vs_true", svg, f"Each dot is one of the {len(true)} test samples. On the "
                   "dashed line the prediction equals the target; above it the model predicts too high, "
                   "below it too low.")]


def boundary_figures(run: RunRecord) -> list[Figure]:
    """For 2-D inputs: the model's output over a grid, with the training and test points on top."""
    train = _pair(run.extra.get("points"), "X", "y")
    if train is None or train[0].shape[1] != 2:
        return []
    test = _pair(run.extra.get("test_points"), "X", "y")
    test = test if test is not None and test[0].shape[1] == 2 else None
    extent = _extent(np.concatenate([train[0]] + ([test[0]] if test else [])))
    gx = extent[0] + (np.arange(_GRID) + 0.5) * (extent[1] - extent[0]) / _GRID  # cell centres
    gy = extent[2] + (np.arange(_GRID) + 0.5) * (extent[3] - extent[2]) / _GRID
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)  # (_GRID², 2), row 0 at the bottom
    outputs = predict(run.model, grid)
    sets = [(X, y[:, 0]) for X, y in ([train] + ([test] if test else []))]
    if run.task == "classification":
        return [_decision_boundary(run, extent, outputs, sets)]
    return [_prediction_surface(extent, outputs, sets)]


def _extent(X: np.ndarray) -> tuple[float, float, float, float]:
    """Round axis limits a little beyond the points."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((hi - lo) * 0.06, 1e-6)
    xt, yt = nice_ticks(lo[0] - pad[0], hi[0] + pad[0], 6), nice_ticks(lo[1] - pad[1], hi[1] + pad[1], 6)
    return xt[0], xt[-1], yt[0], yt[-1]


def class_probabilities(outputs: np.ndarray, model: Module) -> np.ndarray:
    """Class probabilities (n, n_classes) from raw outputs, read by the model's last layer.

    One column is p(class 1): a Sigmoid's output, else a logit. Several columns are a Softmax's
    output, a LogSoftmax's log-probabilities, or else logits (softmax taken here).

    >>> import glassnet as gn
    >>> class_probabilities(np.array([[0.0], [2.0]]), gn.nn.Linear(2, 1)).round(3).tolist()
    [[0.5, 0.5], [0.119, 0.881]]
    """
    z = outputs.reshape(len(outputs), -1).astype(np.float64)  # (n, n_outputs)
    leaves = [m for m in model.modules() if not list(m.children())]
    last = leaves[-1] if leaves else None
    if z.shape[1] == 1:
        p = z[:, 0] if isinstance(last, Sigmoid) else 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -500, 500)))
        return np.stack([1.0 - p, p], axis=1)
    if isinstance(last, Softmax):
        return z
    if isinstance(last, LogSoftmax):
        return np.exp(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _predicted_class(outputs: np.ndarray, model: Module) -> np.ndarray:
    """Class indices from raw outputs: the most probable class."""
    return class_probabilities(outputs, model).argmax(axis=1)


def _class_indices(y: np.ndarray, classes: Sequence[Any] | None) -> np.ndarray:
    """Each point's class index: its label's position in ``classes``, or the value itself."""
    if classes is not None and y.dtype.kind in "USO":
        where = {str(c): i for i, c in enumerate(classes)}
        return np.array([where.get(str(v), 0) for v in y.tolist()], dtype=np.int64)
    return np.rint(y.astype(np.float64)).astype(np.int64)


def _shades(P: np.ndarray, colors: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each grid cell's fill index, and the fills: the predicted class's colour, deeper when surer.

    Two classes get a diverging scale of p(class 1): class 0's colour at 0, white at 0.5, class
    1's at 1. More classes: the confidence (max p − 1/k) / (1 − 1/k) picks one of a few shades.
    """
    k = P.shape[1]
    if k == 2:
        bins = 2 * _LEVELS
        index = np.minimum((P[:, 1] * bins).astype(np.int64), bins - 1)
        depth = [abs((i + 0.5) / bins - 0.5) * 2 for i in range(bins)]  # 0 at p = 0.5, 1 at p = 0 or 1
        return index, [mix("#ffffff", colors[int(i >= _LEVELS)], _STRONGEST * d) for i, d in enumerate(depth)]
    sure = (P.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)  # (n,) in [0, 1]
    level = np.minimum((sure * _LEVELS).astype(np.int64), _LEVELS - 1)
    fills = [mix("#ffffff", c, _STRONGEST * (0.25 + 0.75 * lv / (_LEVELS - 1)))
             for c in colors for lv in range(_LEVELS)]
    return P.argmax(axis=1) * _LEVELS + level, fills


def _legend_points(n_test: int) -> list[LegendItem]:
    return [LegendItem("training points", MUTED, "dot")] + (
        [LegendItem("test points", MUTED, "ring")] if n_test else [])


def _decision_boundary(run: RunRecord, extent: tuple[float, ...], outputs: np.ndarray,
                       sets: list[tuple[np.ndarray, np.ndarray]]) -> Figure:
    P = class_probabilities(outputs, run.model)  # (_GRID², n_classes)
    true = [_class_indices(y, run.classes) for _, y in sets]
    n = max(len(run.classes or []), P.shape[1], *(int(t.max(initial=0)) + 1 for t in true))
    colors = [PALETTE[k % 10] for k in range(n)]
    index, fills = _shades(np.pad(P, ((0, 0), (0, n - P.shape[1]))), colors)
    groups = [Points(X, [colors[c] for c in t], hollow=i > 0) for i, ((X, _), t) in enumerate(zip(sets, true,
                                                                                                   strict=True))]
    items = [LegendItem(run.class_name(k), colors[k], "dot") for k in range(n)]
    n_test = len(sets[1][0]) if len(sets) > 1 else 0
    svg = region_map("decision_boundary", "Decision boundary and confidence", extent,
                     index.reshape(_GRID, _GRID), fills, groups, items + _legend_points(n_test), **_AXES)
    if n == 2:
        shade = (f"Shade: p({run.class_name(1)}) on a {_GRID} × {_GRID} grid, deep {run.class_name(0)} "
                 f"colour where it is near 0, white at 0.5 (the boundary), deep {run.class_name(1)} colour "
                 "near 1.")
    else:
        shade = (f"Shade: the class the model predicts on a {_GRID} × {_GRID} grid, paler where it is less "
                 "sure (its probability nearer 1/k).")
    tested = f"; rings: {n_test} test points" if n_test else ""
    return Figure("decision_boundary", svg, f"{shade} Dots: {len(sets[0][0])} training points{tested}, "
                  "coloured by their true class, in the model's input space (after preprocessing).")


def _prediction_surface(extent: tuple[float, ...], outputs: np.ndarray,
                        sets: list[tuple[np.ndarray, np.ndarray]]) -> Figure:
    predicted = outputs.reshape(len(outputs), -1)[:, 0]
    lo = min(predicted.min(), *(y.min() for _, y in sets))
    hi = max(predicted.max(), *(y.max() for _, y in sets))
    edges = nice_ticks(float(lo), float(hi), 7)
    bins = len(edges) - 1
    colors = [ramp(i / max(bins - 1, 1)) for i in range(bins)]

    def level(v: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(edges, v, side="right") - 1, 0, bins - 1)

    items = [LegendItem(f"{fmt(edges[i])} to {fmt(edges[i + 1])}", colors[i], "box") for i in range(bins)]
    groups = [Points(X, [colors[k] for k in level(y)], hollow=i > 0, outline="#1f2933")
              for i, (X, y) in enumerate(sets)]
    n_test = len(sets[1][0]) if len(sets) > 1 else 0
    svg = region_map("prediction_surface", "Predictions over the input space", extent,
                     level(predicted).reshape(_GRID, _GRID), [mix(c, "#ffffff", 0.45) for c in colors],
                     groups, items + _legend_points(n_test), **_AXES)
    tested = f", rings: {n_test} test points" if n_test else ""
    return Figure("prediction_surface", svg, "Shaded regions: the model's prediction on a grid. Dots: "
                  f"{len(sets[0][0])} training points{tested}, coloured by their target on the same scale.")
