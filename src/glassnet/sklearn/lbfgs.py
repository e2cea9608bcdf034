"""solver='lbfgs': SciPy's L-BFGS-B on the flattened parameters, loss and gradient from the engine.

As ``BaseMultilayerPerceptron._fit_lbfgs`` does: the objective is the whole training set's loss
with the alpha penalty, f(θ) = Σ wᵢℓᵢ / Σ wᵢ + ½·alpha·Σ‖W‖² / Σ wᵢ (wᵢ = 1 unweighted), and
``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` runs with maxfun = ``max_fun``,
maxiter = ``max_iter`` and gtol = ``tol``. Each evaluation of f and ∇f is one training step of
glassnet's engine on all samples (``TrainStep``: the forward pass, the loss and penalties, the
reverse pass), recorded once and then replayed, as in ``glassnet.fit``.

SciPy is needed only here and imported when an estimator fits with 'lbfgs'.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]

from glassnet.errors import GlassnetError
from glassnet.nn.losses import Loss
from glassnet.nn.module import Module
from glassnet.regularizers.penalties import Regularizer
from glassnet.train.history import History
from glassnet.train.steps import TrainStep

__all__ = ["fit_lbfgs"]


def fit_lbfgs(est: Any, X: np.ndarray, targets: np.ndarray, w: np.ndarray | None, loss: Module,
              penalties: list[Regularizer]) -> None:
    """Minimise the estimator's objective over ``est.model_``'s parameters from where they are.

    Sets ``n_iter_`` (L-BFGS iterations, at most ``max_iter``), ``loss_`` (the objective at the
    solution) and ``history_`` (the objective after each iteration); warns with scikit-learn's
    ConvergenceWarning when SciPy reports no convergence.

    Args:
        est: the estimator; its ``model_`` is trained in place.
        X: (n_samples, n_features) inputs in the network's dtype; targets: encoded targets.
        w: (n_samples,) sample weights, or None.
        loss: the data loss; penalties: alpha's (and l1's), divided by Σ wᵢ here.
    """
    minimize = _scipy_minimize()
    model: Module = est.model_
    params = list(model.parameters())
    weighting = None if w is None else (_unreduced(loss), w)
    step = TrainStep(model, loss, weighting, {type(r).__name__.lower(): r for r in penalties}, X.dtype,
                     penalty_per_sample=True)
    everyone = np.arange(len(X))
    model.train()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        _unpack(theta, params)
        losses, _ = step.forward(X, targets, everyone)  # f(θ)
        for p in params:
            p.grad_array = None
        step.backward()  # ∇f(θ)
        grads = [np.zeros_like(p.array) if p.grad_array is None else p.grad_array for p in params]
        return losses.total, _pack(grads)

    history = History()

    def record(intermediate_result: Any) -> None:
        history.append(len(history), {"loss": float(intermediate_result.fun)})

    options = {"maxfun": int(est.max_fun), "maxiter": int(est.max_iter), "gtol": float(est.tol),
               **_iprint(bool(est.verbose))}
    result = minimize(objective, _pack([p.array for p in params]), method="L-BFGS-B", jac=True,
                      options=options, callback=record)
    _unpack(result.x, params)
    est.n_iter_ = min(int(result.nit), int(est.max_iter))
    est.loss_ = float(result.fun)
    est.history_ = history
    if result.status != 0:
        _warn(result, est.n_iter_, int(est.max_iter))


def _scipy_minimize() -> Any:
    try:
        from scipy.optimize import minimize  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - scikit-learn brings SciPy along
        raise GlassnetError("solver='lbfgs' needs SciPy, which is not installed; install it with "
                            "pip install 'glassnet[data]' (or pip install scipy), or use solver='adam' "
                            "or 'sgd'") from e
    return minimize


def _iprint(verbose: bool) -> dict[str, int]:
    """scikit-learn's ``iprint`` (1 verbose, else -1), which SciPy 1.15 dropped: then none."""
    import scipy  # type: ignore[import-untyped]

    major, minor = (int(part) for part in scipy.__version__.split(".")[:2])
    return {} if (major, minor) >= (1, 15) else {"iprint": 1 if verbose else -1}


def _pack(arrays: list[np.ndarray]) -> np.ndarray:
    """The arrays flattened into one float64 vector θ, in the order of ``model.parameters()``."""
    return np.concatenate([a.ravel() for a in arrays]).astype(np.float64, copy=False)  # (n_params,)


def _unpack(theta: np.ndarray, params: list[Any]) -> None:
    """Copy θ back into the parameters, in place (in their dtype)."""
    start = 0
    for p in params:
        p.array[...] = theta[start:start + p.array.size].reshape(p.array.shape)
        start += p.array.size


def _unreduced(loss: Module) -> Module:
    """The same loss without reduction, whose per-sample terms the step weights."""
    if not isinstance(loss, Loss):  # the estimators' losses all are
        raise GlassnetError(f"sample weights need a glassnet Loss, got {type(loss).__name__}")
    unreduced = copy.copy(loss)
    unreduced.reduction = "none"
    return unreduced


def _warn(result: Any, n_iter: int, max_iter: int) -> None:
    """scikit-learn's ConvergenceWarning for an L-BFGS run that stopped before converging."""
    message = (f"lbfgs failed to converge after {n_iter} iteration(s) (status={result.status}):\n"
               f"{result.message}\n")
    if n_iter == max_iter:
        message += f"\nIncrease the number of iterations to improve the convergence (max_iter={max_iter})."
    message += ("\nYou might also want to scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html")
    warnings.warn(message, ConvergenceWarning, stacklevel=6)
