"""Small real data sets shipped inside scikit-learn (no network): digits, iris, wine, breast cancer, diabetes.

scikit-learn is an optional dependency, imported only when one of these loaders is called.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np

from glassnet.data.dataset import Dataset, Task
from glassnet.errors import GlassnetError

__all__ = ["load_breast_cancer", "load_diabetes", "load_digits", "load_iris", "load_wine"]


def _sklearn_datasets(name: str) -> ModuleType:
    """sklearn.datasets, or a GlassnetError that says how to install it."""
    try:
        return importlib.import_module("sklearn.datasets")
    except ImportError as e:
        raise GlassnetError(f"the bundled data set {name!r} needs scikit-learn: "
                            "pip install scikit-learn") from e


def _from_sklearn(name: str, task: Task, description: str) -> Dataset:
    """Load ``sklearn.datasets.load_<name>()`` as a Dataset: X float32, y int64 classes or float32 (n, 1)."""
    bunch = getattr(_sklearn_datasets(name), f"load_{name}")()
    X = np.asarray(bunch.data, dtype=np.float32)  # (n_samples, n_features)
    raw_names = bunch.get("feature_names")
    features = tuple(str(f) for f in raw_names) if raw_names is not None else tuple(
        f"x{j}" for j in range(X.shape[1]))
    if task == "classification":
        codes = np.asarray(bunch.target, dtype=np.int64)  # (n_samples,), already 0..k-1
        return Dataset(X, codes, task, name, description, features, np.asarray(bunch.target_names))
    column = np.asarray(bunch.target, dtype=np.float32)[:, None]  # (n_samples, 1)
    return Dataset(X, column, task, name, description, features, None)


def load_digits() -> Dataset:
    """Handwritten digits: 1797 images of 8×8 pixels with values 0..16, 10 classes (UCI optdigits test set).

    >>> load_digits().X.shape
    (1797, 64)
    """
    return _from_sklearn("digits", "classification",
                         "8x8 images of handwritten digits 0-9 (UCI, 1797 samples)")


def load_iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements in cm, 3 species.

    >>> ds = load_iris()
    >>> ds.X.shape, ds.target_names
    ((150, 4), ('setosa', 'versicolor', 'virginica'))
    """
    return _from_sklearn("iris", "classification", "Fisher's iris flowers: 4 measurements, 3 species")


def load_wine() -> Dataset:
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars.

    >>> load_wine().n_classes
    3
    """
    return _from_sklearn("wine", "classification", "wines from 3 cultivars: 13 chemical measurements")


def load_breast_cancer() -> Dataset:
    """Wisconsin diagnostic breast cancer: 569 tumours, 30 features of cell nuclei, malignant or benign.

    >>> load_breast_cancer().target_names
    ('malignant', 'benign')
    """
    return _from_sklearn("breast_cancer", "classification",
                         "Wisconsin breast cancer: 30 cell-nucleus features, malignant or benign")


def load_diabetes() -> Dataset:
    """Diabetes progression: 442 patients, 10 baseline features (centred and scaled), regression target.

    >>> load_diabetes().y.shape
    (442, 1)
    """
    return _from_sklearn("diabetes", "regression",
                         "diabetes progression after one year from 10 baseline variables (regression)")
