"""scikit-learn's searches over glassnet's estimators on joblib's Dask backend, on a LocalCluster.

The estimators travel to the workers and back as Python objects (cloudpickle; they are cloned
first, so only their parameters go out); the fits run there and the search gives the same best
parameters and scores as on the default backend. Float64 networks, so that the rounding of another
process's BLAS (the workers run single-threaded BLAS) stays far below what could change a score.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("dask.distributed", reason="the dask extra is missing: pip install glassnet[dask]")
import joblib
from dask.distributed import Client, LocalCluster, get_task_stream
from scipy.stats import loguniform
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate

from glassnet.sklearn import MLPClassifier, MLPRegressor


def _classification() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 6))
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] ** 2 > 0.3).astype(np.int64)  # (150,)
    return X, y


def _regression() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    return X, np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.05 * rng.normal(size=150)  # (150,)


@pytest.fixture(scope="module")
def processes() -> Iterator[Client]:
    """Two worker processes of one thread each (about 3 to 6 s to start on a 2-core machine)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield client


def _grid() -> GridSearchCV:
    return GridSearchCV(MLPClassifier(max_iter=20, random_state=0, dtype="float64"),
                        {"hidden_layer_sizes": [(4,), (16,)], "learning_rate_init": [1e-3, 2e-2]}, cv=3)


def _randomized() -> RandomizedSearchCV:
    return RandomizedSearchCV(MLPRegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0,
                                           dtype="float64"),
                              {"learning_rate_init": loguniform(1e-4, 1e-1), "alpha": loguniform(1e-5, 1.0)},
                              n_iter=4, cv=3, random_state=0)


def _fit(search, X: np.ndarray, y: np.ndarray, client: Client | None = None):
    """Fit the search on the default backend, or on Dask; returns it and the workers that ran its tasks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: few epochs on purpose
        if client is None:
            return search.fit(X, y), set()
        with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            search.fit(X, y)
    return search, {task["worker"] for task in tasks.data}


def _same_search(ours, theirs) -> None:
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-9, atol=1e-12)
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key], rtol=1e-9, atol=1e-12)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]


@pytest.mark.parametrize("make, data", [(_grid, _classification), (_randomized, _regression)],
                         ids=["GridSearchCV", "RandomizedSearchCV"])
def test_a_search_on_dask_workers_finds_what_the_default_backend_finds(processes: Client, make, data) -> None:
    X, y = data()
    local, _ = _fit(make(), X, y)
    assert np.ptp(local.cv_results_["mean_test_score"]) > 0.01  # the candidates differ: a real choice
    remote, workers = _fit(make(), X, y, processes)
    assert workers and workers <= set(processes.scheduler_info()["workers"])  # the fits ran on the workers
    assert os.getpid() not in processes.run(os.getpid).values()  # which are other processes
    _same_search(remote, local)
    np.testing.assert_allclose(remote.best_estimator_.predict(X), local.best_estimator_.predict(X), rtol=1e-9)


def test_fitted_estimators_come_back_from_the_workers(processes: Client) -> None:
    X, y = _classification()
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = cross_validate(est, X, y, cv=3, return_estimator=True)
        with joblib.parallel_backend("dask"):
            remote = cross_validate(est, X, y, cv=3, return_estimator=True)
    np.testing.assert_allclose(remote["test_score"], local["test_score"], rtol=1e-9)
    for theirs, ours in zip(remote["estimator"], local["estimator"], strict=True):
        assert theirs is not ours and theirs.n_iter_ == ours.n_iter_ == 20
        np.testing.assert_allclose(theirs.loss_curve_, ours.loss_curve_, rtol=1e-9)
        np.testing.assert_allclose(theirs.predict_proba(X), ours.predict_proba(X), rtol=1e-9, atol=1e-12)
        theirs.partial_fit(X, y)  # a working estimator: its network and optimizer came back too


def test_a_cluster_of_threads_finds_the_same() -> None:
    """processes=False: the workers are threads of this process, training at once (grad mode and the
    recording tape are per thread)."""
    X, y = _classification()
    local, _ = _fit(_grid(), X, y)
    threads = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    with threads as cluster, Client(cluster) as client:
        remote, workers = _fit(_grid(), X, y, client)
    assert workers
    _same_search(remote, local)
