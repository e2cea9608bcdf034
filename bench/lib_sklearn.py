"""scikit-learn's MLPClassifier/MLPRegressor: one ``fit`` call with warm_start is one epoch."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from cases import SEED, Case, Weights
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor


def estimator(case: Case, batch: int, seed: int = SEED) -> MLPClassifier | MLPRegressor:
    """The case's estimator. Its L2 term is alpha/(2·batch)·Σw², so alpha = 2·l2·batch; it has no
    LeakyReLU (ReLU instead) and no dropout."""
    activation = "relu" if case.activation == "leaky_relu" else case.activation
    params: dict[str, Any] = dict(
        hidden_layer_sizes=case.sizes[1:-1], activation=activation, solver=case.optimizer,
        batch_size=batch, learning_rate_init=case.lr, alpha=2 * case.l2 * batch, max_iter=1,
        shuffle=True, warm_start=True, random_state=seed, tol=0.0, n_iter_no_change=10**9,
    )
    if case.optimizer == "sgd":
        params.update(momentum=case.momentum, nesterovs_momentum=False, learning_rate="constant")
    return MLPRegressor(**params) if case.task == "regress" else MLPClassifier(**params)


def _fit(model: MLPClassifier | MLPRegressor, X: np.ndarray, y: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)


def load(model: MLPClassifier | MLPRegressor, weights: Weights) -> None:
    """Copy weights into a fitted model in place (its optimizer holds these very arrays)."""
    for coef, intercept, (W, b) in zip(model.coefs_, model.intercepts_, weights, strict=True):
        coef[...] = W.T  # scikit-learn stores (in, out)
        intercept[...] = b


class Trainer:
    """``run(n)`` is one ``fit`` call on X[:n]: one epoch. The first call initialises the model."""

    def __init__(self, case: Case, batch: int, weights: Weights, X: np.ndarray, y: np.ndarray,
                 seed: int = SEED) -> None:
        self.model = estimator(case, batch, seed)
        self.X, self.y = X, (y.ravel() if case.task == "regress" else y)
        self.weights: Weights | None = weights

    def run(self, n: int) -> None:
        _fit(self.model, self.X[:n], self.y[:n])
        if self.weights is not None:  # first fit made the arrays: start from the shared weights
            load(self.model, self.weights)
            self.weights = None

    def load(self, weights: Weights) -> None:
        if hasattr(self.model, "coefs_"):
            load(self.model, weights)
        else:
            self.weights = weights

    def compute_dtype(self) -> str:
        return str(self.model.coefs_[0].dtype) if hasattr(self.model, "coefs_") else "unfitted"


def predictor(case: Case, weights: Weights, X: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], Any]:
    """predict_proba of a model fitted for one epoch on a small slice, then given the weights."""
    model = estimator(case, 64)
    _fit(model, X[:2048], y[:2048])
    load(model, weights)
    return model.predict_proba
