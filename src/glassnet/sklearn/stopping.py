"""scikit-learn's stopping rule and learning-rate schedules as one glassnet Callback.

After every epoch, as ``BaseMultilayerPerceptron._fit_stochastic`` does: record the training
loss (and the validation score with early stopping), count epochs without an improvement of
more than ``tol``, update the learning rate ('invscaling': lr = lr₀ / (t + 1)^power_t, t the
samples seen), and after more than ``n_iter_no_change`` such epochs stop, or, with 'adaptive',
divide the learning rate by 5 and go on while it is above 1e-6. With ``verbose``, it prints
scikit-learn's lines (``Iteration 1, loss = 0.69314718``, the validation score, why it stopped).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.train.callbacks import Callback
from glassnet.train.loop import predict
from glassnet.train.run import Run

__all__ = ["SklearnStopping", "initial_state"]

Logs = dict[str, float]


class SklearnStopping(Callback):
    """Keep the estimator's curves and stop (or slow down) as scikit-learn's MLP does.

    Args:
        est: the estimator; its ``loss_curve_``, ``best_loss_``, ``validation_scores_``, ... are
            updated in place so a warm start goes on from them.
        n_samples: training samples per epoch (``t_`` grows by this much).
        validation: ``(X_val, score)``: the held-out inputs and a function of the network's
            outputs on them that returns the score (accuracy or R²); None without early stopping.
        schedule: 'constant', 'invscaling' or 'adaptive' (the last two for non-Adam solvers).

    >>> SklearnStopping(None, 10, None, "constant").schedule
    'constant'
    """

    changes_model = False  # it reads the model and sets the optimizer's learning rate

    def __init__(self, est: Any, n_samples: int, validation: tuple[np.ndarray, Callable[[np.ndarray], float]]
                 | None, schedule: str) -> None:
        self.est, self.n_samples, self.validation, self.schedule = est, n_samples, validation, schedule
        self.epochs, self.converged = 0, False
        self.best_weights: dict[str, Tensor] | None = None

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        est = self.est
        self.epochs += 1
        est.t_ += self.n_samples
        est.loss_ = float(logs["loss"])
        est.loss_curve_.append(est.loss_)
        if est.verbose:  # scikit-learn's lines, for a drop-in
            print(f"Iteration {self.epochs}, loss = {est.loss_:.8f}")
        if self.validation is None:
            improved = est.loss_ <= est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, est.loss_)
        else:
            X_val, score = self.validation
            value = score(predict(run.model, X_val))
            est.validation_scores_.append(value)
            if est.verbose:
                print(f"Validation score: {value:f}")
            est.validation_loss_curve_.append(float(logs["val_loss"]))
            improved = value >= est.best_validation_score_ + est.tol
            if value > est.best_validation_score_:
                est.best_validation_score_ = value
                self.best_weights = run.model.state_dict()
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        self._schedule(run, est)
        if est._no_improvement_count > est.n_iter_no_change:
            self._trigger(run, est)

    def _schedule(self, run: Run, est: Any) -> None:
        if self.schedule == "invscaling":  # lr = lr₀ / (t + 1)^power_t
            for group in run.optimizer.param_groups:
                group["lr"] = float(est.learning_rate_init) / (est.t_ + 1) ** est.power_t

    def _trigger(self, run: Run, est: Any) -> None:
        """Stop, or divide the learning rate by 5 ('adaptive') while it stays above 1e-6."""
        what = "Validation score" if self.validation is not None else "Training loss"
        reason = (f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} "
                  "consecutive epochs.")
        lr = float(run.optimizer.param_groups[0]["lr"])
        if self.schedule == "adaptive" and lr > 1e-6:
            for group in run.optimizer.param_groups:
                group["lr"] = group["lr"] / 5.0
            est._no_improvement_count = 0
            if est.verbose:
                print(f"{reason} Setting learning rate to {lr / 5.0:f}")
            return
        if est.verbose:
            print(f"{reason} Learning rate too small. Stopping." if self.schedule == "adaptive"
                  else f"{reason} Stopping.")
        self.converged = True
        run.stop(reason)

    def on_train_end(self, run: Run) -> None:
        if self.best_weights is not None:  # early stopping: the best validation score's weights
            run.restore_weights = self.best_weights


def initial_state(est: Any, early_stopping: bool) -> None:
    """Reset the curves and counters a fresh (not warm-started) fit begins with."""
    est.loss_curve_, est.t_, est._no_improvement_count = [], 0, 0
    est.best_loss_ = None if early_stopping else math.inf
    est.validation_scores_ = [] if early_stopping else None
    est.validation_loss_curve_ = [] if early_stopping else None
    est.best_validation_score_ = -math.inf if early_stopping else None
