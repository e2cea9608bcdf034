"""Optuna over glassnet: PruningCallback reports each epoch's validation loss and stops pruned trials.

The studies here are built so that pruning is certain, not luck: the parameters are enqueued, the
networks and shuffles seeded, and the trials that must be pruned learn with a learning rate so small
that their validation loss stays at the untrained network's while the completed trials' falls.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="the optuna extra is missing: pip install glassnet[optuna]")

import glassnet as gn  # noqa: E402
from glassnet import nn, optim  # noqa: E402
from glassnet.search import PruningCallback  # noqa: E402
from glassnet.train import History  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"
GOOD, BAD = 0.5, 1e-7  # learning rates: one that learns within two epochs, one that does not move


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 6))
    y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(np.int64)  # (240,) linearly separable classes
    return X, y


def _train(lr: float, callbacks: list[gn.train.Callback], epochs: int = 6) -> tuple[nn.Module, History]:
    X, y = _data()
    net = nn.Sequential(nn.Linear(6, 16, generator=0), nn.Tanh(), nn.Linear(16, 2, generator=1))
    history = gn.fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=lr), X, y, epochs=epochs,
                     batch_size=24, validation_split=0.25, seed=0, verbose=0, diagnostics=False,
                     callbacks=callbacks)
    return net, history


def _study(pruner: optuna.pruners.BasePruner, rates: list[float]) -> tuple[optuna.Study, list]:
    """A study of trials that train with ``rates`` in turn, and each trial's callback, net and History."""
    runs = []

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-8, 1.0, log=True)
        pruning = PruningCallback(trial)
        net, history = _train(lr, [pruning])
        runs.append((pruning, net, history))
        pruning.check_pruned()
        return history["val_loss"][-1]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", pruner=pruner)
    for lr in rates:
        study.enqueue_trial({"lr": lr})
    study.optimize(objective, n_trials=len(rates))
    return study, runs


def test_a_median_pruner_prunes_the_trials_that_do_not_learn() -> None:
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    study, runs = _study(pruner, [GOOD, GOOD, BAD, GOOD, BAD])
    states = [t.state for t in study.trials]
    S = optuna.trial.TrialState
    assert states == [S.COMPLETE, S.COMPLETE, S.PRUNED, S.COMPLETE, S.PRUNED]
    for trial, (pruning, _, history) in zip(study.trials, runs, strict=True):
        # every epoch trained was reported, with its validation loss, under its epoch number
        assert trial.intermediate_values == dict(enumerate(history["val_loss"]))
        if trial.state == S.PRUNED:  # pruned at the first epoch the pruner may judge (warm-up: 1 step)
            assert pruning.pruned and pruning.pruned_epoch == 1 and len(history.epoch) == 2
            assert history.stop_reason == f"pruned by Optuna: trial {trial.number}, val_loss = " \
                                          f"{history['val_loss'][1]:.6g} at epoch 2"
        else:
            assert not pruning.pruned and len(history.epoch) == 6 and history.stop_reason == ""
    assert study.best_params == {"lr": GOOD}


def test_a_pruned_fit_ends_cleanly_in_the_last_epochs_state() -> None:
    """The pruned run keeps the weights of the epoch it stopped after, exactly those of a run that
    was asked for that many epochs (same code, same seeds), and its on_train_end runs."""
    _, runs = _study(optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=2), [GOOD, BAD])
    pruning, net, _ = runs[1]
    assert pruning.pruned_epoch == 2
    ended = []
    reference, _ = _train(BAD, [gn.train.LambdaCallback(on_train_end=ended.append)], epochs=3)
    assert ended  # the callbacks' on_train_end ran
    expected = reference.state_dict()
    for name, ours in net.state_dict().items():
        np.testing.assert_array_equal(ours.numpy(), expected[name].numpy(), err_msg=name)
    with pytest.raises(optuna.TrialPruned, match="pruned by Optuna: trial 1, val_loss"):
        pruning.check_pruned()


def test_the_estimator_takes_the_callback_with_early_stopping_as_its_validation() -> None:
    from glassnet.sklearn import MLPClassifier

    X, y = _data()
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1))
    fitted = []

    def objective(trial: optuna.Trial) -> float:
        pruning = PruningCallback(trial)
        clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=trial.suggest_float("lr", 1e-8, 1.0),
                            early_stopping=True, n_iter_no_change=50, max_iter=8, random_state=0,
                            callbacks=[pruning])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is small on purpose
            clf.fit(X, y)
        fitted.append(clf)
        pruning.check_pruned()
        return clf.history_["val_loss"][-1]

    study.enqueue_trial({"lr": 0.05})
    study.enqueue_trial({"lr": BAD})
    study.optimize(objective, n_trials=2)
    S = optuna.trial.TrialState
    assert [t.state for t in study.trials] == [S.COMPLETE, S.PRUNED]
    good, pruned = fitted
    assert good.n_iter_ == 8 and pruned.n_iter_ == 2  # stopped after epoch 2 (step 1), still fitted
    assert study.trials[1].intermediate_values == dict(enumerate(pruned.history_["val_loss"]))
    assert pruned.predict(X).shape == (240,)


class _Trial:
    """A trial whose pruner never prunes (what the errors below need of one)."""

    number = 0

    def report(self, value: float, step: int) -> None: ...

    def should_prune(self) -> bool:
        return False


@pytest.mark.parametrize(("make", "match"), [
    (lambda: PruningCallback("trial"), "PruningCallback got trial='trial'; expected an optuna.Trial"),
    (lambda: PruningCallback(_Trial(), monitor=5), "PruningCallback got monitor=5; expected a logged"),
    (lambda: gn.fit(*_parts(), callbacks=[PruningCallback(_Trial())], verbose=0),
     "monitors 'val_loss', but fit has no validation data; pass validation_split"),
    (lambda: gn.fit(*_parts(), callbacks=[PruningCallback(_Trial(), "val_acc")], validation_split=0.25,
                    verbose=0), r"monitors 'val_acc', which fit does not log; choose one of \['data_loss', "),
])  # fmt: skip
def test_mistakes_are_one_line(make, match: str) -> None:
    with pytest.raises(gn.GlassnetError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def _parts() -> tuple:
    X, y = _data()
    net = nn.Sequential(nn.Linear(6, 2, generator=0))
    return net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), X, y


def test_import_glassnet_imports_neither_optuna_nor_dask() -> None:
    code = ("import sys, glassnet, glassnet.search, glassnet.sklearn\n"
            "found = [m for m in ('optuna', 'dask', 'distributed') if m in sys.modules]\n"
            "assert not found, found\n")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(SRC)}, timeout=60)
