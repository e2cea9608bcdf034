"""What MLPClassifier and MLPRegressor share: the parameters, fit/partial_fit and the fitted attributes.

Training is ``glassnet.fit`` (the one visible loop) with a ``SklearnStopping`` callback that
keeps scikit-learn's curves, tolerance rule and learning-rate schedules, or, for 'lbfgs', SciPy's
L-BFGS-B on the same objective (``lbfgs.py``). A fit that raises leaves the estimator as it was.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.base import BaseEstimator, TransformerMixin  # type: ignore[import-untyped]
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from sklearn.utils import check_random_state  # type: ignore[import-untyped]
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data  # type: ignore[import-untyped]

from glassnet.errors import GlassnetError, check_number, check_whole
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module
from glassnet.sklearn.lbfgs import fit_lbfgs
from glassnet.sklearn.network import build_network, build_optimizer, build_penalties
from glassnet.sklearn.stopping import SklearnStopping, initial_state
from glassnet.train.loop import fit, predict

__all__ = ["BaseMLP"]

Targets = tuple[np.ndarray, Module, int]  # encoded targets, loss, output units


class BaseMLP(TransformerMixin, BaseEstimator):
    """A multi-layer perceptron trained by glassnet with scikit-learn's parameters (abstract).

    Subclasses define ``_targets`` (encode y and choose the loss) and ``_score_outputs``.

    ``transform`` gives the last hidden layer's activations, so the estimators are also transformers.

    >>> issubclass(BaseMLP, BaseEstimator)
    True
    """

    _task = ""
    n_outputs_: int  # set by fit; annotations only, so unfitted estimators have no such attribute

    def _init_params(self, hidden_layer_sizes: Any, activation: str | Sequence[str], solver: str,
                     alpha: float, batch_size: int | str, learning_rate: str, learning_rate_init: float,
                     power_t: float, max_iter: int, shuffle: bool, random_state: Any, tol: float,
                     verbose: bool | int, warm_start: bool, momentum: float, nesterovs_momentum: bool,
                     early_stopping: bool, validation_fraction: float, beta_1: float, beta_2: float,
                     epsilon: float, n_iter_no_change: int, max_fun: int, dropout: float, l1: float,
                     initializer: str, callbacks: Sequence[Any] | None, dtype: Any,
                     diagnostics: bool) -> None:
        self.hidden_layer_sizes, self.activation, self.solver = hidden_layer_sizes, activation, solver
        self.alpha, self.batch_size, self.learning_rate = alpha, batch_size, learning_rate
        self.learning_rate_init, self.power_t, self.max_iter = learning_rate_init, power_t, max_iter
        self.shuffle, self.random_state, self.tol, self.verbose = shuffle, random_state, tol, verbose
        self.warm_start, self.momentum, self.nesterovs_momentum = warm_start, momentum, nesterovs_momentum
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.n_iter_no_change, self.max_fun = n_iter_no_change, max_fun
        self.dropout, self.l1, self.initializer, self.callbacks = dropout, l1, initializer, callbacks
        self.dtype, self.diagnostics = dtype, diagnostics

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:  # outputs come in X's dtype, whatever the network's
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ subclass hooks
    def _targets(self, y: np.ndarray, first: bool, classes: Any) -> Targets:
        raise NotImplementedError

    def _score_outputs(self, y: np.ndarray, outputs: np.ndarray, sample_weight: np.ndarray | None) -> float:
        raise NotImplementedError

    def _sample_weight(self, y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        return sample_weight

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train on (X, y) for up to ``max_iter`` epochs; returns self.

        Args:
            X: (n_samples, n_features) inputs; sparse matrices are densified.
            y: targets (n_samples,) or (n_samples, n_outputs).
            sample_weight: (n_samples,) weights; each batch loss is Σ wᵢℓᵢ / Σ wᵢ.
        """
        return self._fit(X, y, sample_weight, incremental=False, classes=None)

    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool, classes: Any) -> Any:
        """Fit, or leave the estimator as it was: a fit that raises (bad input, a diverging loss,
        KeyboardInterrupt, ...) restores the attributes, weights and optimizer of before."""
        before = _Snapshot(self, continues=hasattr(self, "model_") and bool(self.warm_start or incremental))
        try:
            return self._fit_once(X, y, sample_weight, incremental, classes)
        except BaseException:
            before.restore(self)
            raise

    def _fit_once(self, X: Any, y: Any, sample_weight: Any, incremental: bool, classes: Any) -> Any:
        self._check_params()
        first = not hasattr(self, "model_") or not (self.warm_start or incremental)
        X, y = self._validate_xy(X, y, reset=first)
        targets, loss, n_out = self._targets(y, first, classes)
        w = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        w = self._sample_weight(y, w)
        if w is not None and np.all(w == 1):
            w = None  # the unweighted mean, bit for bit (other equal weights change alpha's Σ wᵢ)
        if first:
            self._start(X, n_out)
        elif not hasattr(self, "_train_rng"):  # a loaded estimator: its file keeps no generator
            self._train_rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        penalties = build_penalties(float(self.alpha), float(self.l1))
        if self._lbfgs():
            fit_lbfgs(self, X, targets, w, loss, penalties)
        else:
            if not self.early_stopping and getattr(self, "best_loss_", None) is None:
                self.best_loss_ = math.inf
            if first or not incremental or not hasattr(self, "_optimizer"):
                self._optimizer = build_optimizer(self, list(self.model_.parameters()))
            self._train(X, y, targets, w, loss, penalties, incremental)
        if not all(np.isfinite(p.array).all() for p in self.model_.parameters()):
            raise ValueError("Solver produced non-finite parameter weights. The input data may contain "
                             "large values and need to be preprocessed.")
        return self

    def _lbfgs(self) -> bool:
        return str(self.solver).strip().lower() == "lbfgs"

    def _check_solver(self) -> bool:
        """partial_fit exists for the stochastic solvers only, as in scikit-learn."""
        if self._lbfgs():
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} is "
                                 "not stochastic.")
        return True

    def _start(self, X: np.ndarray, n_out: int) -> None:
        """Draw a new network and reset the curves (a fresh fit).

        The weights come first from ``random_state``'s RandomState, as scikit-learn draws them;
        the seed of the shuffling (and validation split) is drawn after them.
        """
        rs = check_random_state(self.random_state)
        self.model_ = build_network(X.shape[1], _hidden(self.hidden_layer_sizes), self.activation,
                                    float(self.dropout), n_out, self.initializer, X.dtype, rs)
        self._train_rng = np.random.default_rng(rs.randint(np.iinfo(np.int32).max))
        if self._lbfgs():  # as scikit-learn: no curves, no stopping state for lbfgs
            self.t_ = 0
        else:
            initial_state(self, bool(self.early_stopping))

    def _train(self, X: np.ndarray, y: np.ndarray, targets: np.ndarray, w: np.ndarray | None, loss: Module,
               penalties: list[Any], incremental: bool) -> None:
        validation, val_data = None, None
        if self.early_stopping and not incremental:
            X, y, targets, w, validation, val_data = self._split(X, y, targets, w)
        n = len(X)
        batch_size = min(200, n) if self.batch_size == "auto" else int(self.batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or 'auto', got {self.batch_size!r}")
        if batch_size > n and self.batch_size != "auto":
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to "
                          "be clipped", stacklevel=5)
            batch_size = n
        schedule = "constant" if str(self.solver).lower() == "adam" else self.learning_rate
        stopper = SklearnStopping(self, n, validation, schedule)
        self.history_ = fit(
            self.model_, loss, self._optimizer, X, targets, epochs=1 if incremental else int(self.max_iter),
            batch_size=batch_size, validation_data=val_data, callbacks=[stopper, *(self.callbacks or [])],
            regularizer=penalties, penalty_per_sample=True, sample_weight=w, seed=self._train_rng,
            shuffle=bool(self.shuffle), verbose=0, diagnostics=bool(self.diagnostics))
        self.n_iter_ = stopper.epochs
        if self.history_.stop_reason and not stopper.converged and _diverged(self.history_.stop_reason):
            raise GlassnetError(self.history_.stop_reason)
        if not incremental and not stopper.converged and self.n_iter_ == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=5)

    def _split(self, X: np.ndarray, y: np.ndarray, targets: np.ndarray,
               w: np.ndarray | None) -> tuple[Any, ...]:
        """scikit-learn's hold-out for early stopping: ``validation_fraction``, stratified, seeded."""
        stratify = y if self._task == "classification" and y.ndim == 1 else None
        seed = int(self._train_rng.integers(np.iinfo(np.int32).max))
        idx_train, idx_val = train_test_split(np.arange(len(X)), test_size=self.validation_fraction,
                                              random_state=seed, stratify=stratify)
        w_val = None if w is None else w[idx_val]

        def score(outputs: np.ndarray) -> float:
            return self._score_outputs(y[idx_val], outputs, w_val)

        return (X[idx_train], y[idx_train], targets[idx_train], None if w is None else w[idx_train],
                (X[idx_val], score), (X[idx_val], targets[idx_val]))

    def _check_params(self) -> None:
        for name, (low, high, open_low, open_high) in _RANGES.items():
            if hasattr(self, name):
                _as_value_error(check_number, type(self).__name__, name, getattr(self, name), low, high,
                                open_low=open_low, open_high=open_high, example=_DEFAULTS[name])
        for name in ("max_iter", "n_iter_no_change", "max_fun"):
            _as_value_error(check_whole, type(self).__name__, name, getattr(self, name), 1,
                            example=_DEFAULTS[name])
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _as_value_error(check_whole, type(self).__name__, "batch_size", self.batch_size, 1,
                            example="auto")
        if not 0.0 < float(self.validation_fraction) < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        if int(self.max_iter) < 1 or int(self.n_iter_no_change) < 1:
            raise ValueError(f"max_iter and n_iter_no_change must be >= 1, got {self.max_iter}, "
                             f"{self.n_iter_no_change}")
        if self.learning_rate not in ("constant", "invscaling", "adaptive"):
            raise ValueError(f"learning_rate must be 'constant', 'invscaling' or 'adaptive', got "
                             f"{self.learning_rate!r}")
        if int(self.max_fun) < 1:
            raise ValueError(f"max_fun must be >= 1, got {self.max_fun}")
        if self._lbfgs() and self.dropout:
            raise GlassnetError(f"solver='lbfgs' needs a deterministic loss, but dropout={self.dropout} "
                                "draws new masks at every evaluation; use dropout=0 or solver='adam'")

    # ------------------------------------------------------------------ inputs and outputs
    def _validate_xy(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset,
                             y_numeric=self._task == "regression")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        X = X.toarray() if sp.issparse(X) else X
        return X.astype(self._compute_dtype(X, reset), copy=False), y

    def _compute_dtype(self, X: np.ndarray, reset: bool) -> np.dtype[Any]:
        """The network's dtype: ``dtype`` (float32 by default), or X's with None, as scikit-learn.

        A warm start or partial_fit keeps the dtype of the network already trained.
        """
        if not reset and hasattr(self, "model_"):
            return next(self.model_.parameters()).dtype
        if self.dtype is None:
            return X.dtype
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = np.dtype(object)  # not a dtype: refused below
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32', 'float64' or None (X's own), got {self.dtype!r}")
        return dtype

    def _outputs(self, X: Any, network: Module | None = None) -> np.ndarray:
        """The network's raw outputs (logits or values) for X, in eval mode: (n_samples, n_out).

        Computed in X's float dtype (float64 for integers) with the trained weights: a float32
        network answers float64 X in float64, so a sample's prediction does not depend on which
        other samples share its call (float32 matrix products round by block, and blocks follow
        the row count), as scikit-learn's checks require.
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False)
        X = X.toarray() if sp.issparse(X) else X
        net = network if network is not None else self.model_
        if next(net.parameters()).dtype != X.dtype:  # computed in X's dtype, as scikit-learn answers:
            net = copy.deepcopy(net).to(X.dtype)  # float32 sums vary with the batch's row count
        return predict(net, X)

    def transform(self, X: Any) -> np.ndarray:
        """The last hidden layer's activations for X: (n_samples, hidden_layer_sizes[-1])."""
        layers = list(self.model_) if hasattr(self, "model_") else []
        last_linear = max(i for i, m in enumerate(layers) if isinstance(m, Linear)) if layers else 0
        return self._outputs(X, Sequential(*layers[:last_linear]))

    # ------------------------------------------------------------------ fitted attributes
    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices as scikit-learn lays them out: W_i of shape (n_in, n_out)."""
        return [m.weight.array.T.copy() for m in self.model_ if isinstance(m, Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors b_i of shape (n_out,)."""
        return [m.bias.array.copy() for m in self.model_ if isinstance(m, Linear) and m.bias is not None]

    @property
    def n_layers_(self) -> int:
        """Layers counted as scikit-learn counts them: input, hidden..., output."""
        return len(self.coefs_) + 1


class _Snapshot:
    """An estimator's state before a fit, to put back if the fit raises.

    The attributes as they were (lists of the curves copied, since training appends to them);
    and, when the fit goes on from the trained network (warm start, partial_fit), copies of the
    network, its optimizer and the shuffling generator, which training changes in place. A fresh
    fit builds new ones and leaves the old untouched.
    """

    def __init__(self, est: BaseMLP, continues: bool) -> None:
        self.attributes = {k: list(v) if isinstance(v, list) and k.endswith("_") else v
                           for k, v in vars(est).items()}
        self.trained = copy.deepcopy([getattr(est, k, None) for k in _TRAINED]) if continues else None

    def restore(self, est: BaseMLP) -> None:
        est.__dict__.clear()
        est.__dict__.update(self.attributes)
        for name, value in zip(_TRAINED, self.trained or [], strict=False):
            if value is not None:
                setattr(est, name, value)


_TRAINED = ("model_", "_optimizer", "_train_rng")  # what training changes in place
# scikit-learn's ranges of the numeric parameters (low, high, open at low, open at high), glassnet's too
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "alpha": (0.0, math.inf, False, True), "learning_rate_init": (0.0, math.inf, True, True),
    "power_t": (0.0, math.inf, False, True), "tol": (0.0, math.inf, False, True),
    "momentum": (0.0, 1.0, False, False), "validation_fraction": (0.0, 1.0, True, True),
    "beta_1": (0.0, 1.0, False, True), "beta_2": (0.0, 1.0, False, True),
    "epsilon": (0.0, math.inf, True, True),
    "dropout": (0.0, 1.0, False, True), "l1": (0.0, math.inf, False, True),
}  # fmt: skip
_DEFAULTS: dict[str, Any] = {
    "alpha": 1e-4, "learning_rate_init": 1e-3, "power_t": 0.5, "tol": 1e-4, "momentum": 0.9,
    "validation_fraction": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "dropout": 0.0, "l1": 0.0,
    "max_iter": 200, "n_iter_no_change": 10, "max_fun": 15000,
}  # fmt: skip


def _as_value_error(check: Any, *args: Any, **kwargs: Any) -> None:
    """A parameter check raising ValueError, scikit-learn's error for a bad parameter."""
    try:
        check(*args, **kwargs)
    except GlassnetError as e:
        raise ValueError(str(e)) from None


def _hidden(sizes: Any) -> list[int]:
    """hidden_layer_sizes as a list: an int is one layer; each a whole number >= 1 (2.5 is not truncated)."""
    hidden = np.atleast_1d(np.asarray(sizes, dtype=object)).tolist()
    if not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) and int(h) >= 1 for h in hidden):
        raise ValueError(f"hidden_layer_sizes must be whole numbers >= 1, e.g. (100,) or (64, 32), got "
                         f"{sizes!r}")
    return [int(h) for h in hidden]



def _diverged(reason: str) -> bool:
    """Whether fit stopped because training diverged (TerminateOnNaN's reasons)."""
    return reason.startswith(("the loss became", "the weights became"))
