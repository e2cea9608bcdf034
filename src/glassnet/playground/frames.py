"""Frames: what the page draws, built from one consistent moment of a Session, compact enough to stream.

One forward pass of the grid's points (eval mode, no graph) gives the output heatmap and every
hidden layer's output; neurons and features are shown on every other grid point (size/2). Each
heatmap is quantized to one byte per cell and sent as base64 (docs/playground.md, FRAME).
"""

from __future__ import annotations

import base64
import functools
import math
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.nn.layers import Linear, Sequential
from glassnet.playground.config import SIGNED_MSE
from glassnet.playground.datasets import DOMAIN, FEATURES, feature_matrix
from glassnet.playground.session import HISTORY_LIMIT, Session
from glassnet.train.outputs import output_kind

__all__ = ["GRID", "HISTORY_POINTS", "b64_bytes", "b64_floats", "build_frame", "feature_maps", "grid_points",
           "layer_outputs", "quantize"]

GRID = 50
HISTORY_POINTS = 250
"""The loss chart's points in a frame: the kept epochs, evenly thinned to at most this many."""


def grid_points(size: int) -> np.ndarray:
    """The centres of a size × size grid over [-DOMAIN, DOMAIN]², row-major, row 0 at the top (x2 largest)."""
    c = -DOMAIN + (np.arange(size) + 0.5) * (2 * DOMAIN / size)  # (size,)
    x1, x2 = np.meshgrid(c, c[::-1])  # (size, size) each
    return np.stack([x1.ravel(), x2.ravel()], axis=1)  # (size², 2)


def quantize(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values mapped linearly from [lo, hi] to 0–255 (clipped; NaN as lo)."""
    scaled = (np.nan_to_num(values, nan=lo) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def b64_bytes(q: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(q).tobytes()).decode("ascii")


def b64_floats(a: np.ndarray) -> str:
    """Little-endian float32 values as base64."""
    return b64_bytes(np.asarray(a, dtype="<f4"))


def _finite(x: float) -> float | None:
    """A number for JSON: None for NaN or infinity (JSON has neither)."""
    return float(x) if math.isfinite(x) else None


def layer_outputs(model: Sequential, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Each hidden layer's output (the last module's before the next Linear layer) and the network's
    output, from one forward pass of X in eval mode without a graph; the model's mode is restored."""
    children = list(model.children())
    hidden: list[np.ndarray] = []
    training = model.training
    model.eval()
    try:
        with no_grad():
            x = Tensor(X)
            for k, module in enumerate(children):
                x = module(x)
                if k > 0 and k + 1 < len(children) and isinstance(children[k + 1], Linear):
                    hidden.append(x.numpy())  # (n, n_neurons)
    finally:
        model.train(training)
    return hidden, x.numpy()


@functools.cache
def feature_maps() -> dict[str, str]:
    """Every input feature's small heatmap by name: they depend on the grid alone, so the page gets
    them once (it draws a feature left out of the network from here)."""
    X = feature_matrix(grid_points(GRID), list(FEATURES))  # (GRID², n_features)
    return {name: _feature_map(X[:, j]) for j, name in enumerate(FEATURES)}


def _feature_map(column: np.ndarray) -> str:
    """A feature's values over the grid, divided by their largest |value| there, as a small heatmap."""
    return b64_bytes(quantize(_small(column / max(float(np.abs(column).max()), 1e-12)), -1.0, 1.0))


def _small(column: np.ndarray) -> np.ndarray:
    """A grid column (GRID²,) as the small heatmap: every other row and column, (GRID/2)²."""
    return column.reshape(GRID, GRID)[::2, ::2]


def _output(session: Session, out: np.ndarray) -> dict[str, Any]:
    """The output heatmap: P(class 1), the winning class and its probability, or the prediction."""
    config = session.config
    if config["problem"] == "regression":
        labels = session.data.labels
        lo, hi = (float(labels.min()), float(labels.max())) if len(labels) else (-1.0, 1.0)
        lo, hi = (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)
        return {"kind": "regression", "values": b64_bytes(quantize(out[:, 0], lo, hi)), "classes": None,
                "range": [lo, hi]}
    if config["loss"] == SIGNED_MSE:
        P = (np.clip(out, -1.0, 1.0) + 1.0) / 2  # the output fits −1 and +1: P(class 1) = (ŷ + 1)/2
    else:
        proba = output_kind(session.loss).proba
        assert proba is not None  # every classification loss the playground offers has one
        P = proba(out)  # (n, 1) or (n, n_classes)
    if P.shape[1] <= 2:
        return {"kind": "binary", "values": b64_bytes(quantize(P[:, -1], 0.0, 1.0)), "classes": None,
                "range": [0.0, 1.0]}
    return {"kind": "classes", "values": b64_bytes(quantize(P.max(axis=1), 0.0, 1.0)),
            "classes": b64_bytes(P.argmax(axis=1).astype(np.uint8)), "range": [0.0, 1.0]}


def _history(session: Session) -> list[list[float | None]]:
    kept = session.history[-HISTORY_LIMIT:]
    if len(kept) > HISTORY_POINTS:
        kept = [kept[int(i)] for i in np.unique(np.linspace(0, len(kept) - 1, HISTORY_POINTS).round())]
    return [[epoch, _round(train), _round(test)] for epoch, train, test in kept]


def _round(x: float, digits: int = 5) -> float | None:
    return _finite(float(f"{x:.{digits}g}")) if math.isfinite(x) else None


def _points(session: Session) -> dict[str, Any]:
    data = session.data
    return {part: {"x": b64_floats(data.points[rows, 0]), "y": b64_floats(data.points[rows, 1]),
                   "label": b64_floats(data.labels[rows])}
            for part, rows in (("train", data.train), ("test", data.test))}


def build_frame(session: Session, points: bool = False) -> dict[str, Any]:
    """The FRAME of the session as it is now; with ``points`` the data's points too."""
    X = feature_matrix(grid_points(GRID), session.config["features"])  # (GRID², n_features)
    hidden, out = layer_outputs(session.model, X)
    linears = [m for _, m in session.linears()]
    frame: dict[str, Any] = {
        "step": session.steps, "epoch": session.epoch, "playing": session.playing,
        "seed": session.config["seed"], "lr": float(session.optimizer.param_groups[0]["lr"]),
        "loss": {"train": _finite(session.losses[0]), "test": _finite(session.losses[1])},
        "history": _history(session),
        "grid": {"size": GRID, "domain": [-DOMAIN, DOMAIN]},
        "output": _output(session, out),
        "features": [_feature_map(X[:, j]) for j in range(X.shape[1])],
        "neurons": [[b64_bytes(quantize(_small(column), -1.0, 1.0)) for column in a.T] for a in hidden],
        "weights": [_numbers(m.weight.numpy()) for m in linears],
        "biases": [[] if m.bias is None else _numbers(m.bias.numpy()) for m in linears],
        "gradients": [_gradient(m) for m in linears],
        "diagnostics": session.diagnostics(),
        "data_version": session.data_version,
        "classes": session.classes,  # an uploaded file's class labels (None: 0, 1, ...)
    }
    if points:
        frame["points"] = _points(session)
    return frame


def _numbers(a: np.ndarray) -> list[Any]:
    """An array as nested lists of floats (each float32 value exactly), None where not finite."""
    if a.ndim == 1:
        return [_finite(v) for v in a.astype(np.float64).tolist()]
    return [_numbers(row) for row in a]


def _gradient(linear: Linear) -> list[list[float]]:
    """∂L/∂W of the last step, 4 significant digits (zeros before the first step)."""
    g = linear.weight.grad_array
    if g is None:
        return np.zeros(linear.weight.shape).tolist()
    return [[float(f"{v:.4g}") if math.isfinite(v) else 0.0 for v in row] for row in g.tolist()]
