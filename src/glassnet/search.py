"""Hyperparameter search on existing engines: an Optuna pruning callback for ``fit`` and the estimators.

glassnet has no search engine of its own. scikit-learn's ``GridSearchCV`` and
``RandomizedSearchCV`` search over the estimators of ``glassnet.sklearn`` as they are, on any
joblib backend (Dask's included); Optuna searches over anything a function can train. What
Optuna needs from the training is each epoch's validation loss and a way to stop a trial that its
pruner gives up on: ``PruningCallback``. Optuna is imported only when a pruned trial is raised
(``check_pruned``): ``import glassnet`` never imports it. docs/search.md has the recipes.
"""

from __future__ import annotations

from typing import Any

from glassnet.errors import GlassnetError
from glassnet.train.callbacks import Callback
from glassnet.train.run import Run

__all__ = ["PruningCallback"]

Logs = dict[str, float]


class PruningCallback(Callback):
    """Report ``monitor`` to an Optuna trial after every epoch; stop training when it should be pruned.

    After each epoch ``trial.report(logs[monitor], step=epoch)`` (epochs counted from 0, as
    ``History.epoch``); when ``trial.should_prune()`` says so, training stops cleanly at the end of
    that epoch, as early stopping does: the model keeps that epoch's weights, checkpoints and
    ``on_train_end`` run, and ``fit`` returns its History, whose ``stop_reason`` says why. Then
    ``check_pruned()`` raises ``optuna.TrialPruned``, which marks the trial pruned in the study
    (a fit never ends in an exception from here, so a fitted estimator is never rolled back).

    Args:
        trial: an ``optuna.Trial`` (anything with ``report(value, step)`` and ``should_prune()``).
        monitor: the logged quantity to report, by default the validation loss: pass
            ``validation_split`` or ``validation_data`` to ``fit``, or ``early_stopping=True`` to an
            estimator (its held-out ``validation_fraction``). It should be minimised or maximised as
            the study's ``direction`` says.

    Example, inside an Optuna objective::

        pruning = PruningCallback(trial)
        history = gn.fit(model, loss, optimizer, X, y, epochs=30, validation_split=0.2,
                         callbacks=[pruning])
        pruning.check_pruned()          # raises optuna.TrialPruned if the pruner stopped it
        return history["val_loss"][-1]
    """

    changes_model = False

    def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
        if not (callable(getattr(trial, "report", None)) and callable(getattr(trial, "should_prune", None))):
            raise GlassnetError(f"PruningCallback got trial={trial!r}; expected an optuna.Trial, the "
                                "argument of the objective function")
        if not isinstance(monitor, str) or not monitor:
            raise GlassnetError(f"PruningCallback got monitor={monitor!r}; expected a logged quantity such "
                                "as 'val_loss'")
        self.trial, self.monitor = trial, monitor
        self.pruned_epoch: int | None = None  # the epoch after which the pruner stopped training
        self.reason = ""

    def on_train_begin(self, run: Run) -> None:
        if self.monitor.startswith("val_") and not run.has_validation:
            raise GlassnetError(f"PruningCallback monitors '{self.monitor}', but fit has no validation data; "
                                "pass validation_split or validation_data to fit (early_stopping=True to "
                                "an estimator), or monitor='loss'")

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        if self.monitor not in logs:
            raise GlassnetError(f"PruningCallback monitors '{self.monitor}', which fit does not log; choose "
                                f"one of {sorted(k for k in logs if '/' not in k)}")
        value = float(logs[self.monitor])
        self.trial.report(value, run.epoch)
        if self.trial.should_prune():
            self.pruned_epoch = run.epoch
            number = getattr(self.trial, "number", "?")
            self.reason = (f"pruned by Optuna: trial {number}, {self.monitor} = {value:.6g} at epoch "
                           f"{run.epoch + 1}")
            run.stop(self.reason)

    @property
    def pruned(self) -> bool:
        """Whether the pruner stopped training."""
        return self.pruned_epoch is not None

    def check_pruned(self) -> None:
        """Raise ``optuna.TrialPruned`` if the pruner stopped training (call it after ``fit``)."""
        if self.pruned:
            import optuna  # only here: the callback itself needs no more than the trial it was given

            raise optuna.TrialPruned(self.reason)

    def state_dict(self) -> dict[str, Any]:
        return {"pruned_epoch": -1 if self.pruned_epoch is None else self.pruned_epoch, "reason": self.reason}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        epoch = int(state["pruned_epoch"])
        self.pruned_epoch, self.reason = (None if epoch < 0 else epoch), str(state["reason"])

