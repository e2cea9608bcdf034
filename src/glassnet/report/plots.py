"""The report's figures, built from a run: training curves, predictions and per-layer norms.

Each function returns a list of ``Figure`` (empty when the run lacks what it would show), so the
page can say what is missing instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.nn.activations import Sigmoid
from glassnet.nn.module import Module
from glassnet.report.charts import Series, heatmap, line_chart, region_map
from glassnet.report.record import RunRecord
from glassnet.report.svg import PALETTE, LegendItem, fmt, mix, nice_ticks, ramp
from glassnet.train.loop import predict

__all__ = ["Figure", "boundary_figures", "confusion_figures", "curve_figures", "metric_names",
           "norm_figures"]  # fmt: skip

_TRAIN, _VAL = PALETTE[0], PALETTE[1]
_BOOKKEEPING = {"loss", "data_loss", "lr", "time"}
_GRID = 120  # cells per side of the decision-boundary grid


@dataclass(frozen=True)
class Figure:
    """One plot of the page: its ``data-plot`` name, the SVG and a caption (plain text)."""

    name: str
    svg: str
    caption: str = ""


def metric_names(history: dict[str, list[float]]) -> list[str]:
    """The training metrics in a history: every key that is not a loss, penalty, norm, diagnostic or setting.

    >>> metric_names({"loss": [1.0], "accuracy": [0.5], "val_accuracy": [0.4], "lr": [0.1]})
    ['accuracy']
    """
    special = ("val_", "penalty_", "weight_norm/", "grad_norm/", "diag/", "steps/")
    return [k for k in history if k not in _BOOKKEEPING and not k.startswith(special)]


def curve_figures(run: RunRecord) -> list[Figure]:
    """Loss (training vs validation), loss terms, each metric and the learning rate per epoch."""
    h, x = run.history, run.epochs
    figures = []
    train = "data_loss" if "data_loss" in h else "loss"
    loss_name = str(run.hyperparameters.get("loss") or "loss")
    if train in h:
        lines = [Series("training (data loss)", x, h[train], _TRAIN)]
        if "val_loss" in h:
            lines.append(Series("validation", x, h["val_loss"], _VAL, dashed=True))
        title = "Loss: training vs validation" if "val_loss" in h else "Training loss (no validation data)"
        caption = "Mean data loss over each epoch's batches" + (
            "; the validation loss is the data loss alone, so the two curves compare directly."
            if "val_loss" in h else ".")
        figures.append(Figure("loss", line_chart("loss", title, lines, ylabel=loss_name), caption))
    penalties = [k for k in h if k.startswith("penalty_")]
    if penalties and "loss" in h:
        lines = [Series("total loss (minimised)", x, h["loss"], PALETTE[0])]
        if "data_loss" in h:
            lines.append(Series("data loss", x, h["data_loss"], PALETTE[4], dashed=True))
        lines += [Series(f"penalty: {k.removeprefix('penalty_')}", x, h[k], PALETTE[(i + 2) % 10])
                  for i, k in enumerate(penalties)]
        figures.append(Figure("loss_terms", line_chart("loss_terms", "Loss terms: total = data + penalties",
                                                       lines, ylabel="loss"),
                              "What the optimizer minimised, split into the data loss and each "
                              "regularization penalty."))
    for name in metric_names(h):
        lines = [Series(f"training {name}", x, h[name], _TRAIN)]
        if f"val_{name}" in h:
            lines.append(Series(f"validation {name}", x, h[f"val_{name}"], _VAL, dashed=True))
        vs = ": training vs validation" if len(lines) > 1 else " (training)"
        figures.append(Figure(f"metric_{name}", line_chart(f"metric_{name}", f"{name}{vs}", lines,
                                                           ylabel=name)))
    if "lr" in h:
        figures.append(Figure("lr", line_chart("lr", "Learning rate", [
            Series("learning rate", x, h["lr"], PALETTE[6])], ylabel="learning rate"),
            "The first parameter group's learning rate at the end of each epoch."))
    return figures


def norm_figures(run: RunRecord) -> list[Figure]:
    """‖W‖ and ‖∂L/∂W‖ per parameter and epoch, one line per parameter (log scale when useful)."""
    h, x = run.history, run.epochs
    logged = {k.split("/", 1)[1] for k in h if k.startswith(("weight_norm/", "grad_norm/"))}
    names = [n for n, _ in run.model.named_parameters() if n in logged] + sorted(
        logged - {n for n, _ in run.model.named_parameters()})  # the model's order, then any others
    layers = list(dict.fromkeys(n.rpartition(".")[0] for n in names))  # a layer's parameters share a colour
    style = {n: (PALETTE[layers.index(n.rpartition(".")[0]) % 10], n.endswith("bias")) for n in names}
    figures = []
    for key, name, title, log, caption in (
        ("weight_norm", "weight_norms", "Weight norms ‖W‖ per parameter", None,
         "Frobenius norm of each parameter after each epoch; one colour per layer, biases dashed."),
        ("grad_norm", "grad_norms", "Gradient norms ‖∂L/∂W‖ per parameter", True,
         "Frobenius norm of each parameter's gradient in the last batch of each epoch."),
    ):
        lines = [Series(n, x, h[f"{key}/{n}"], *style[n]) for n in names if f"{key}/{n}" in h]
        if lines:
            figures.append(Figure(name, line_chart(name, title, lines, ylabel="norm", log_y=log), caption))
    return figures


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


def boundary_figures(run: RunRecord) -> list[Figure]:
    """For 2-D inputs: the model's predictions over a grid, with the training points on top."""
    points = run.extra.get("points")
    if not isinstance(points, dict) or "X" not in points or "y" not in points:
        return []
    X, y = np.asarray(points["X"], dtype=np.float64), np.asarray(points["y"])
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0 or len(y) != len(X):
        return []
    extent = _extent(X)
    gx = extent[0] + (np.arange(_GRID) + 0.5) * (extent[1] - extent[0]) / _GRID  # cell centres
    gy = extent[2] + (np.arange(_GRID) + 0.5) * (extent[3] - extent[2]) / _GRID
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)  # (_GRID², 2), row 0 at the bottom
    outputs = predict(run.model, grid)
    axes = {"xlabel": "feature 1 (model input)", "ylabel": "feature 2 (model input)"}
    if run.task == "classification":
        return [_decision_boundary(run, extent, outputs, X, y, axes)]
    return [_prediction_surface(extent, outputs, X, y, axes)]


def _extent(X: np.ndarray) -> tuple[float, float, float, float]:
    """Round axis limits a little beyond the points."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((hi - lo) * 0.06, 1e-6)
    xt, yt = nice_ticks(lo[0] - pad[0], hi[0] + pad[0], 6), nice_ticks(lo[1] - pad[1], hi[1] + pad[1], 6)
    return xt[0], xt[-1], yt[0], yt[-1]


def _predicted_class(outputs: np.ndarray, model: Module) -> np.ndarray:
    """Class indices from raw outputs: argmax of several columns, else a threshold on one."""
    z = outputs.reshape(len(outputs), -1)  # (n, n_outputs)
    if z.shape[1] > 1:
        return z.argmax(axis=1)
    leaves = [m for m in model.modules() if not list(m.children())]
    threshold = 0.5 if leaves and isinstance(leaves[-1], Sigmoid) else 0.0  # probabilities or logits
    return (z[:, 0] > threshold).astype(np.int64)


def _class_indices(y: np.ndarray, classes: Sequence[Any] | None) -> np.ndarray:
    """Each point's class index: its label's position in ``classes``, or the value itself."""
    flat = y.reshape(len(y), -1)[:, 0]
    if classes is not None and flat.dtype.kind in "USO":
        where = {str(c): i for i, c in enumerate(classes)}
        return np.array([where.get(str(v), 0) for v in flat.tolist()], dtype=np.int64)
    return np.rint(flat.astype(np.float64)).astype(np.int64)


def _decision_boundary(run: RunRecord, extent: tuple[float, ...], outputs: np.ndarray, X: np.ndarray,
                       y: np.ndarray, axes: dict[str, str]) -> Figure:
    predicted = _predicted_class(outputs, run.model).reshape(_GRID, _GRID)
    true = _class_indices(y, run.classes)
    n = max(len(run.classes or []), int(predicted.max()) + 1, int(true.max(initial=0)) + 1)
    colors = [PALETTE[k % 10] for k in range(n)]
    items = [LegendItem(run.class_name(k), colors[k], "dot") for k in range(n)]
    fills = [mix(c, "#ffffff", 0.68) for c in colors]  # light tints, so the points stand out
    svg = region_map("decision_boundary", "Decision boundary", extent, predicted, fills, X,
                     [colors[k % n] for k in true], items, **axes)
    return Figure("decision_boundary", svg, f"Shaded regions: the class the model predicts on a "
                  f"{_GRID} × {_GRID} grid. Dots: {len(X)} training points coloured by their true class, "
                  "in the model's input space (after preprocessing).")


def _prediction_surface(extent: tuple[float, ...], outputs: np.ndarray, X: np.ndarray, y: np.ndarray,
                        axes: dict[str, str]) -> Figure:
    predicted = outputs.reshape(len(outputs), -1)[:, 0]
    target = y.reshape(len(y), -1)[:, 0].astype(np.float64)
    lo, hi = min(predicted.min(), target.min()), max(predicted.max(), target.max())
    edges = nice_ticks(float(lo), float(hi), 7)
    bins = len(edges) - 1
    colors = [ramp(i / max(bins - 1, 1)) for i in range(bins)]

    def level(v: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(edges, v, side="right") - 1, 0, bins - 1)

    items = [LegendItem(f"{fmt(edges[i])} to {fmt(edges[i + 1])}", colors[i], "box") for i in range(bins)]
    svg = region_map("prediction_surface", "Predictions over the input space", extent,
                     level(predicted).reshape(_GRID, _GRID), [mix(c, "#ffffff", 0.45) for c in colors], X,
                     [colors[k] for k in level(target)], items, outline="#1f2933", **axes)
    return Figure("prediction_surface", svg, "Shaded regions: the model's prediction on a grid. Dots: "
                  f"{len(X)} training points coloured by their target, on the same scale.")
