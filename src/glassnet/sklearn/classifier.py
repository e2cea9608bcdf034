"""MLPClassifier: scikit-learn's multi-layer perceptron classifier, trained by glassnet.

Multiclass: softmax over one logit per class, cross-entropy. Binary: one logit, logistic
output, binary cross-entropy (as scikit-learn). Multi-label (an indicator matrix y): one
logistic output per label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin  # type: ignore[import-untyped]
from sklearn.metrics import accuracy_score  # type: ignore[import-untyped]
from sklearn.utils import compute_sample_weight  # type: ignore[import-untyped]
from sklearn.utils.metaestimators import available_if  # type: ignore[import-untyped]
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels  # type: ignore[import-untyped]

from glassnet.nn.losses import LOSSES
from glassnet.sklearn.base import BaseMLP, Targets
from glassnet.sklearn.network import ScaledLoss
from glassnet.train.outputs import output_kind

__all__ = ["MLPClassifier"]

# the registered loss whose output rule turns logits into probabilities, by output activation
_PROBA_RULE = {"softmax": "cross_entropy", "logistic": "bce_with_logits"}


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's parameters, glassnet's engine.

    Parameters as ``sklearn.neural_network.MLPClassifier`` (same names, meanings and defaults;
    'lbfgs' is SciPy's L-BFGS-B, as scikit-learn's), plus:

    Args:
        activation: one name for every hidden layer, or a list with one per hidden layer; any
            name of ``glassnet.nn.activations.ACTIVATIONS`` or scikit-learn's 'logistic'.
        solver: 'adam', 'sgd', 'lbfgs', or any name of ``glassnet.optim.OPTIMIZERS``.
        dropout: dropout probability after every hidden activation.
        l1: L1 penalty, scaled as alpha: l1·Σ|W| / n, n the batch's sample count.
        class_weight: None, 'balanced' or ``{label: weight}``; multiplies ``sample_weight``.
        initializer: the weights' initializer, a name of ``glassnet.nn.init`` without the
            underscore; the default 'xavier_uniform' is scikit-learn's Glorot initialisation.
        callbacks: glassnet callbacks handed to ``glassnet.fit``.
        dtype: the network's dtype, 'float32' (glassnet's default, for speed) or 'float64'; None
            computes in X's own float dtype, as scikit-learn does. Outputs come in X's float dtype.
        diagnostics: record glassnet's training diagnostics (dead and saturated units, gradient
            flow, update sizes; see ``glassnet.train.Diagnostics``) in ``history_``, with their
            warnings in ``history_.warnings``. Off by default, as scikit-learn has none: they
            cost a probe pass each epoch (bench/RESULTS.md measures it).

    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10)
    >>> clf = MLPClassifier((8,), activation="tanh", learning_rate_init=0.05, max_iter=300,
    ...                     random_state=0).fit(X, X[:, 0])
    >>> clf.predict([[1.0, 0.0], [0.0, 1.0]]).tolist(), clf.coefs_[0].shape
    ([1.0, 0.0], (2, 8))
    """

    _task = "classification"

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str | Sequence[str] = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, l1: float = 0.0, class_weight: str | Mapping[Any, float] | None = None,
                 initializer: str = "xavier_uniform", callbacks: Sequence[Any] | None = None,
                 dtype: Any = "float32", diagnostics: bool = False) -> None:
        self._init_params(hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
                          learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
                          warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction,
                          beta_1, beta_2, epsilon, n_iter_no_change, max_fun, dropout, l1, initializer,
                          callbacks, dtype, diagnostics)
        self.class_weight = class_weight

    @available_if(BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> MLPClassifier:
        """One epoch over (X, y); ``classes`` (all labels) is required on the first call."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _targets(self, y: np.ndarray, first: bool, classes: Any) -> Targets:
        check_classification_targets(y)
        if first:
            self._multilabel = type_of_target(y).startswith("multilabel")
            labels = unique_labels(y) if classes is None else unique_labels(classes)
            self.classes_ = np.arange(y.shape[1]) if self._multilabel else labels
            if len(self.classes_) < 2 and not self._multilabel:
                raise ValueError(f"MLPClassifier needs samples of at least 2 classes in the data, but "
                                 f"the data contain only one class: {self.classes_[0]!r}")
        elif self._multilabel:
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {y.shape[1:] or 'no'} label columns; the model has "
                                 f"{len(self.classes_)} labels")
        else:
            unseen = np.setdiff1d(unique_labels(y), self.classes_)
            if len(unseen):
                raise ValueError(f"y contains labels {unseen.tolist()} not in classes_ "
                                 f"{self.classes_.tolist()}; warm_start and partial_fit need the "
                                 "same classes")
        if self._multilabel:  # scikit-learn's loss: the sum over labels of each one's mean BCE
            self.out_activation_, self.n_outputs_ = "logistic", len(self.classes_)
            return y.astype(np.float64), ScaledLoss("bce_with_logits", len(self.classes_)), len(self.classes_)
        if len(self.classes_) == 2:  # one logit: P(classes_[1]) = σ(z)
            self.out_activation_, self.n_outputs_ = "logistic", 1
            return (y == self.classes_[1]).astype(np.float64)[:, None], LOSSES["bce_with_logits"](), 1
        self.out_activation_, self.n_outputs_ = "softmax", len(self.classes_)
        return np.searchsorted(self.classes_, y), LOSSES["cross_entropy"](), len(self.classes_)

    def _sample_weight(self, y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        if self.class_weight is None:
            return sample_weight
        w = compute_sample_weight(self.class_weight, y)  # 'balanced': n / (n_classes · count)
        return w if sample_weight is None else w * sample_weight

    def _labels(self, z: np.ndarray) -> np.ndarray:
        """Labels from logits: argmax, or z > 0 (σ(z) > ½) for logistic outputs."""
        if self._multilabel:
            return (z > 0).astype(np.int64)
        if z.shape[1] == 1:
            return self.classes_[(z[:, 0] > 0).astype(np.int64)]
        return self.classes_[z.argmax(axis=1)]

    def _score_outputs(self, y: np.ndarray, outputs: np.ndarray, sample_weight: np.ndarray | None) -> float:
        return float(accuracy_score(y, self._labels(outputs), sample_weight=sample_weight))

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (n_samples,), or a 0/1 indicator matrix (n_samples, n_labels) for multi-label."""
        return self._labels(self._outputs(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes): softmax(z), or σ(z) per label."""
        z = self._outputs(X)
        P = output_kind(LOSSES[_PROBA_RULE[self.out_activation_]]()).proba(z)  # type: ignore[misc]
        if z.shape[1] == 1 and not self._multilabel:
            return np.hstack([1.0 - P, P])  # binary: P(classes_[0]), P(classes_[1])
        return P

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags
