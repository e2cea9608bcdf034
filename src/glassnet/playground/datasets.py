"""The playground's 2-D data sets, its input features, and the user's own points.

The data sets follow TensorFlow Playground's descriptions, written here from those descriptions:
points in [-6, 6]², noise 0–50 % moving each point (or widening each cloud), labels 0/1 for
the classification sets (class 1 is TF Playground's blue) and values in [-1, 1] for the two
regression sets. ``blobs3`` adds k Gaussian clouds (3 by default) and ``custom`` holds the
user's points: an uploaded CSV file or points added by clicking.

A feature is an expression of the point's coordinates x1, x2 (``FEATURES``); the same text is
evaluated here and written into the exported training scripts, so both compute the same numbers.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from glassnet.data.checks import check_classes
from glassnet.errors import GlassnetError
from glassnet.io.tables import load_csv

__all__ = ["DATASETS", "DOMAIN", "FEATURES", "MAX_UPLOAD_ROWS", "TARGETS", "Data", "DataSet", "Feature",
           "feature_matrix", "make_data", "read_upload", "split", "target_array"]

DOMAIN = 6.0
"""Points and the heatmaps' grid span [-DOMAIN, DOMAIN] in both coordinates."""

MAX_UPLOAD_ROWS = 5000


class Feature(NamedTuple):
    """An input feature: its label on the page and its NumPy expression of x1 and x2 (float64 columns)."""

    label: str
    expression: str


FEATURES: dict[str, Feature] = {
    "x1": Feature("x₁", "x1"), "x2": Feature("x₂", "x2"), "x1sq": Feature("x₁²", "x1 * x1"),
    "x2sq": Feature("x₂²", "x2 * x2"), "x1x2": Feature("x₁x₂", "x1 * x2"),
    "sinx1": Feature("sin x₁", "np.sin(x1)"), "sinx2": Feature("sin x₂", "np.sin(x2)"),
}  # fmt: skip

_COMPILED = {name: compile(f.expression, f"<feature {name}>", "eval") for name, f in FEATURES.items()}

TARGETS: dict[str, str] = {
    "indices": "labels.astype(np.int64)",
    "binary": "labels.astype(np.float32).reshape(-1, 1)",
    "signed": "(2.0 * labels - 1.0).astype(np.float32).reshape(-1, 1)",
    "values": "labels.astype(np.float32).reshape(-1, 1)",
}
"""How a loss wants the labels (class indices, 0/1 column, ±1 column, values), as NumPy expressions of
``labels`` (float64): the session and the exported scripts evaluate the same text."""

_TARGETS_COMPILED = {kind: compile(text, f"<targets {kind}>", "eval") for kind, text in TARGETS.items()}


def feature_matrix(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The chosen features of points (n, 2) as float32 columns (n, len(names)), in the given order."""
    scope = {"np": np, "x1": points[:, 0], "x2": points[:, 1]}
    columns = [eval(_COMPILED[name], scope) for name in names]
    return np.stack(columns, axis=1).astype(np.float32)  # (n, n_features)


def target_array(labels: np.ndarray, kind: str) -> np.ndarray:
    """The labels (n,) as the loss wants them (a kind of ``TARGETS``)."""
    return np.asarray(eval(_TARGETS_COMPILED[kind], {"np": np, "labels": labels}))


@dataclass
class Data:
    """Points (n, 2) float64, labels (n,) float64 (class index or value), and which points train (n,) bool."""

    points: np.ndarray
    labels: np.ndarray
    train: np.ndarray

    @property
    def test(self) -> np.ndarray:
        return ~self.train


Maker = Callable[[int, float, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


class DataSet(NamedTuple):
    """A data set of the page: its label, its problem (None: the data decide), a fixed class count (None:
    the CONFIG's) and its maker (None: the user's points)."""

    label: str
    problem: str | None
    n_classes: int | None
    make: Maker | None


def _shift(points: np.ndarray, noise: float, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Each point moved by uniform(−scale, scale)·noise in each coordinate (noise a fraction, 0–0.5)."""
    return points + rng.uniform(-scale, scale, size=points.shape) * noise


def _circle(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 in a disc of radius 2.5, class 0 on a ring from 3.5 to 5 around it."""
    inside = np.arange(n) < n // 2
    r = np.where(inside, rng.uniform(0.0, 2.5, n), rng.uniform(3.5, 5.0, n))
    angle = rng.uniform(0.0, 2 * math.pi, n)
    points = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)  # (n, 2)
    return _shift(points, noise, rng, 5.0), inside.astype(np.float64)


def _xor(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform in [-5, 5]², kept 0.3 off the axes; class 1 where x1 and x2 have the same sign."""
    points = rng.uniform(-5.0, 5.0, size=(n, 2))
    points += np.where(points >= 0, 0.3, -0.3)
    labels = (points[:, 0] * points[:, 1] >= 0).astype(np.float64)
    return _shift(points, noise, rng, 5.0), labels


def _spread(noise: float) -> float:
    """A Gaussian cloud's standard deviation: variance 0.5 without noise, 4 at 50 % noise."""
    return math.sqrt(0.5 + 7.0 * noise)


def _gauss(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds: class 1 around (2, 2), class 0 around (−2, −2)."""
    labels = (np.arange(n) < n // 2).astype(np.float64)
    centers = np.where(labels[:, None] == 1, 2.0, -2.0)  # (n, 2)
    return centers + rng.normal(0.0, _spread(noise), size=(n, 2)), labels


def _spiral(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms, 1.75 turns out to radius 5; class 1 is the arm turned by π."""
    labels = (np.arange(n) % 2).astype(np.float64)
    t = (np.arange(n) // 2) / max(1, (n + 1) // 2)  # 0 → 1 along each arm
    angle = 1.75 * 2 * math.pi * t + math.pi * labels
    points = np.stack([5 * t * np.sin(angle), 5 * t * np.cos(angle)], axis=1)  # (n, 2)
    return _shift(points, noise, rng, 2.0), labels


def _plane(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane: y = (x1 + x2)/12, in [-1, 1] over [-6, 6]²."""
    points = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    labels = (points[:, 0] + points[:, 1]) / (2 * DOMAIN)
    return _shift(points, noise, rng, DOMAIN), labels


_BUMPS = [(-4.0, 2.5, 1.0), (0.0, 2.5, -1.0), (4.0, 2.5, 1.0), (-4.0, -2.5, -1.0), (0.0, -2.5, 1.0),
          (4.0, -2.5, -1.0)]


def _multigauss(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Six Gaussian bumps of alternating sign (width 1.5): y = Σ ±exp(−|x − c|²/(2·1.5²)), in [-1, 1]."""
    points = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    labels = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        labels += sign * np.exp(-((points[:, 0] - cx) ** 2 + (points[:, 1] - cy) ** 2) / (2 * 1.5**2))
    return _shift(points, noise, rng, DOMAIN), np.clip(labels, -1.0, 1.0)


def _blobs(n: int, noise: float, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian clouds with centres evenly spaced on a circle of radius 3.5; class c around centre c."""
    labels = np.arange(n) % k
    angle = 2 * math.pi * labels / k + math.pi / 2
    centers = 3.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return centers + rng.normal(0.0, _spread(noise), size=(n, 2)), labels.astype(np.float64)


DATASETS: dict[str, DataSet] = {
    "circle": DataSet("Circle", "classification", 2, _circle),
    "xor": DataSet("Exclusive or", "classification", 2, _xor),
    "gauss": DataSet("Gaussian", "classification", 2, _gauss),
    "spiral": DataSet("Spiral", "classification", 2, _spiral),
    "plane": DataSet("Plane", "regression", None, _plane),
    "multigauss": DataSet("Multi Gaussian", "regression", None, _multigauss),
    "blobs3": DataSet("Blobs", "classification", None, _blobs),
    "custom": DataSet("Your data", None, None, None),
}


def split(n: int, train_share: float, rng: np.random.Generator) -> np.ndarray:
    """Which of n points train (n,) bool: a seeded random round(n·share/100), at least 1 (if n > 0)."""
    n_train = min(n, max(1, round(n * train_share / 100)))
    train = np.zeros(n, dtype=bool)
    train[rng.permutation(n)[:n_train]] = True
    return train


def make_data(config: dict[str, Any]) -> Data:
    """The data set the CONFIG names (not custom): its points, labels and train/test split, seeded."""
    maker = DATASETS[config["dataset"]].make
    if maker is None:
        raise GlassnetError(f"the data set {config['dataset']!r} is made of your own points, not generated")
    rng = np.random.default_rng(config["data_seed"])
    points, labels = maker(config["n_samples"], config["noise"] / 100, rng, config["n_classes"])
    return Data(points, labels, split(len(points), config["train_share"], rng))


def read_upload(text: str) -> tuple[np.ndarray, np.ndarray, str, list[Any] | None]:
    """An uploaded CSV table: two feature columns and a label column (a header is optional).

    Read and checked by glassnet's own CSV reader, so its errors are the command line's.

    Returns:
        points (n, 2) float64, labels (n,) float64 (class indices or values), the problem, and the
        class labels for classification.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        ds = load_csv(path)  # the task inferred as for the command line's CSV files
    if ds.n_features != 2:
        raise GlassnetError(f"upload.csv: found {ds.n_features} feature columns; expected two (x1, x2) "
                            "and a label column last")
    if len(ds.X) > MAX_UPLOAD_ROWS:
        raise GlassnetError(f"upload.csv: {len(ds.X)} rows; the playground takes at most {MAX_UPLOAD_ROWS}")
    if ds.task == "classification":
        check_classes(ds.y, "upload.csv: the label column")
        if ds.n_classes > 6:
            raise GlassnetError(f"upload.csv: the label column holds {ds.n_classes} classes; the playground "
                                "takes 2 to 6")
    classes = None if ds.classes is None else ds.classes.tolist()
    labels = np.asarray(ds.y, dtype=np.float64).reshape(len(ds.X))
    return ds.X.astype(np.float64), labels, ds.task, classes
