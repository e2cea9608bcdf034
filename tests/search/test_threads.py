"""Training in several threads at once (joblib's threading backend, a Dask cluster of threads).

Grad mode and the recording tape are per thread, as PyTorch's grad mode is: one thread's
``no_grad`` block or recorded step never reaches another thread's operations. Each test holds one
thread inside its block (a barrier) while the other works, so the overlap is certain.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from threading import Thread
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.engine.tape import Tape


def _hold(enter: Callable[[], Any], inside: Callable[[], object]) -> tuple[threading.Barrier, Thread]:
    """A thread that enters a context and stays inside it until the barrier is passed twice."""
    barrier = threading.Barrier(2, timeout=30)

    def work() -> None:
        with enter():
            barrier.wait()  # inside: the main thread now works
            barrier.wait()  # the main thread is done
            inside()

    thread = threading.Thread(target=work)
    thread.start()
    return barrier, thread


def test_no_grad_in_one_thread_leaves_the_graph_on_in_another() -> None:
    seen = []
    barrier, thread = _hold(gn.no_grad, lambda: seen.append(gn.is_grad_enabled()))
    barrier.wait()
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    assert gn.is_grad_enabled() and y.requires_grad
    barrier.wait()
    thread.join()
    assert seen == [False]  # the other thread's no_grad held all along
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_each_thread_records_on_its_own_tape() -> None:
    x_theirs, x_ours = gn.tensor([1.0, 2.0]), gn.tensor([3.0, 4.0])
    theirs, ours = Tape([x_theirs], []), Tape([x_ours], [])
    barrier, thread = _hold(theirs.recording, lambda: x_theirs.exp())
    barrier.wait()
    with ours.recording():  # raised "a tape is already recording" when the tape was one for the process
        (x_ours * 2.0).sum()
    barrier.wait()
    thread.join()
    assert [e.op.__name__ for e in ours.entries] == ["Mul", "Sum"]
    assert [e.op.__name__ for e in theirs.entries] == ["Exp"]


def test_estimators_fitted_in_threads_match_those_fitted_one_by_one() -> None:
    joblib = pytest.importorskip("joblib", reason="joblib comes with scikit-learn, not installed here")
    from glassnet.sklearn import MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = X @ np.arange(1.0, 6.0) + 0.1 * rng.normal(size=120)  # (120,)

    def fit(seed: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: few epochs on purpose
            est = MLPRegressor(hidden_layer_sizes=(16,), max_iter=8, random_state=seed, dtype="float64")
            return est.fit(X, y).predict(X)

    alone = [fit(seed) for seed in range(4)]
    with joblib.parallel_backend("threading", n_jobs=2):
        together = joblib.Parallel()(joblib.delayed(fit)(seed) for seed in range(4))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9)
