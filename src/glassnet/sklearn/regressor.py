"""MLPRegressor: scikit-learn's multi-layer perceptron regressor, trained by glassnet.

One linear (identity) output per target column; the loss is scikit-learn's name for a glassnet
loss: 'squared_error' (MSELoss), 'absolute_error' (L1Loss) or 'huber' (HuberLoss, delta 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin  # type: ignore[import-untyped]
from sklearn.metrics import r2_score  # type: ignore[import-untyped]
from sklearn.utils.metaestimators import available_if  # type: ignore[import-untyped]

from glassnet.sklearn.base import BaseMLP, Targets
from glassnet.sklearn.network import regression_loss

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's parameters, glassnet's engine.

    Parameters as ``sklearn.neural_network.MLPRegressor`` (same names, meanings and defaults;
    ``loss='poisson'`` is not supported), plus ``loss`` 'absolute_error' or 'huber', and
    ``dropout``, ``l1``, ``initializer``, ``callbacks``, ``dtype`` (float32 by default) and
    ``diagnostics`` (off) as in ``MLPClassifier``. 'squared_error' is scikit-learn's ½·(y − ŷ)²,
    half the mean squared error, so ``loss_`` and ``loss_curve_`` are scikit-learn's numbers.

    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), activation="tanh", learning_rate_init=0.02, max_iter=500,
    ...                    random_state=0).fit(X, 2 * X[:, 0])
    >>> bool(reg.score(X, 2 * X[:, 0]) > 0.95), reg.predict(X[:2]).shape
    (True, (2,))
    """

    _task = "regression"

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,),
                 activation: str | Sequence[str] = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, l1: float = 0.0, initializer: str = "xavier_uniform",
                 callbacks: Sequence[Any] | None = None, dtype: Any = "float32",
                 diagnostics: bool = False) -> None:
        self.loss = loss
        self._init_params(hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
                          learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
                          warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction,
                          beta_1, beta_2, epsilon, n_iter_no_change, max_fun, dropout, l1, initializer,
                          callbacks, dtype, diagnostics)

    @available_if(BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, incremental=True, classes=None)

    def _targets(self, y: np.ndarray, first: bool, classes: Any) -> Targets:
        t = (y[:, None] if y.ndim == 1 else y).astype(np.float64)  # (n_samples, n_outputs)
        fitted = self.n_outputs_ if not first else t.shape[1]
        if not first and t.shape[1] != fitted:
            raise ValueError(f"y has {t.shape[1]} target columns; the model was fitted with {fitted}")
        self.out_activation_, self.n_outputs_ = "identity", t.shape[1]
        return t, regression_loss(self.loss), t.shape[1]

    def _score_outputs(self, y: np.ndarray, outputs: np.ndarray, sample_weight: np.ndarray | None) -> float:
        return float(r2_score(y, outputs.reshape(y.shape), sample_weight=sample_weight))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values (n_samples,), or (n_samples, n_outputs) for several targets."""
        z = self._outputs(X)  # (n_samples, n_outputs)
        return z.ravel() if z.shape[1] == 1 else z

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags
