"""The compiled optimizer loops compute the numbers of the NumPy form of the same rules.

A loop runs the rule's own source on single numbers in θ's dtype, so its results equal the NumPy
form's to within a few units in the last place (usually exactly): each number is compared at
4 ulps of itself or, where a sum cancelled, 4 ulps of the largest number of its array.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import nn, optim
from glassnet.optim import adam, kernels, rules, sgd
from glassnet.optim.optimizer import descend

ULPS = 4

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("adam", {"lr": 1e-2}),
    ("adam", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2}),
    ("adam", {"lr": 1e-2, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    ("adam", {"lr": 1e-3, "maximize": True}),
    ("adamw", {"lr": 1e-2}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
]


def assert_within_ulps(fast: np.ndarray, plain: np.ndarray) -> None:
    assert fast.dtype == plain.dtype and fast.shape == plain.shape
    eps = float(np.finfo(plain.dtype).eps)
    np.testing.assert_allclose(fast, plain, rtol=ULPS * eps, atol=ULPS * eps * float(np.max(np.abs(plain))))


def _trajectory(name: str, options: dict[str, Any], dtype: type, steps: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    ws = [nn.Parameter(rng.standard_normal(shape).astype(dtype)) for shape in [(65, 64), (3,)]]
    opt = optim.OPTIMIZERS[name](ws, **options)
    for _ in range(steps):
        for w in ws:
            w.grad = rng.standard_normal(w.shape).astype(dtype)
        opt.step()
    return [a for w in ws for a in (w.array.copy(), *(v for v in opt.state[w].values()
                                                      if isinstance(v, np.ndarray)))]


def test_numba_is_installed_for_the_tests() -> None:
    assert kernels.numba is not None, "the dev extra installs numba so the loops are tested"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_the_loops_follow_the_numpy_forms_trajectory(name: str, options: dict[str, Any], dtype: type,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Six steps from one state: the loop's rounding is the NumPy form's, so nothing drifts apart."""
    fast = _trajectory(name, options, dtype)
    monkeypatch.setattr(kernels, "ENABLED", False)
    plain = _trajectory(name, options, dtype)
    for a, b in zip(fast, plain, strict=True):
        assert_within_ulps(a, b)


def _arrays(rng: np.random.Generator, n: int, dtype: type, scale: float) -> list[np.ndarray]:
    """θ, g and two buffers (m and a non-negative v) of n elements over many magnitudes."""
    theta, g, m = (rng.standard_normal(n) * scale * 10 ** rng.uniform(-3, 3, n) for _ in range(3))
    v = np.abs(rng.standard_normal(n)) * scale**2 * 10 ** rng.uniform(-6, 6, n)
    return [a.astype(dtype) for a in (theta, g, m, v)]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), dtype=st.sampled_from([np.float32, np.float64]), t=st.integers(1, 10_000),
       scale=st.sampled_from([1e-6, 1e-2, 1.0, 1e3]), decay=st.sampled_from([0.0, 1e-2]),
       decoupled=st.booleans(), seed=st.integers(0, 2**16))
def test_the_adam_loop_equals_the_rule_on_arrays(n: int, dtype: type, t: int, scale: float, decay: float,
                                                 decoupled: bool, seed: int) -> None:
    """One step of Adam from any state: the loop against ``adam`` and ``descend`` on whole arrays."""
    rng = np.random.default_rng(seed)
    theta, g, m, v = _arrays(rng, n, dtype, scale)
    bias1, bias2 = rules.bias_correction(0.9, t), rules.bias_correction(0.999, t)
    c = adam.AdamNumbers(0.9, 0.1, 0.999, 0.001, bias1, bias2, 1e-8, 0.0 if decoupled else decay,
                         decay if decoupled else 0.0)
    theta_plain, m_plain, v_plain = theta.copy(), m.copy(), v.copy()  # the rules update these in place
    u, m_plain, v_plain = adam.adam(np, c, g, theta_plain, m_plain, v_plain)
    descend(theta_plain, 1e-3, u)
    assert kernels.run(adam.adam, descend, 1e-3, c, theta, g, [m, v])
    for fast, plain in ((theta, theta_plain), (m, m_plain), (v, v_plain)):
        assert_within_ulps(fast, plain)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), dtype=st.sampled_from([np.float32, np.float64]), first=st.booleans(),
       nesterov=st.booleans(), dampening=st.sampled_from([0.0, 0.3]), decay=st.sampled_from([0.0, 1e-3]),
       seed=st.integers(0, 2**16))
def test_the_sgd_momentum_loop_equals_the_rule_on_arrays(n: int, dtype: type, first: bool, nesterov: bool,
                                                         dampening: float, decay: float, seed: int) -> None:
    """One step of SGD with momentum, the buffer's first step or a later one."""
    rng = np.random.default_rng(seed)
    theta, g, b, _ = _arrays(rng, n, dtype, 1.0)
    dampening = 0.0 if nesterov else dampening
    c = sgd.SGDNumbers(decay, 0.9, 0.0 if first else 0.9, 1.0 if first else 1.0 - dampening, float(nesterov))
    theta_plain, b_plain = theta.copy(), b.copy()
    u, b_plain = sgd.sgd_momentum(np, c, g, theta_plain, b_plain)
    descend(theta_plain, 0.1, u)
    assert kernels.run(sgd.sgd_momentum, descend, 0.1, c, theta, g, [b])
    for fast, plain in ((theta, theta_plain), (b, b_plain)):
        assert_within_ulps(fast, plain)


def test_the_loops_take_only_contiguous_numpy_arrays_of_one_dtype_and_shape() -> None:
    c = sgd.SGDNumbers(0.0, 0.9, 0.9, 1.0, 0.0)
    x = np.ones(6, np.float32)

    def ran(theta: Any, g: Any, b: Any, rule: Any = sgd.sgd_momentum) -> bool:
        return kernels.run(rule, descend, 0.1, c, theta, g, [b])

    assert ran(x.copy(), x.copy(), x.copy())
    assert not ran(x.copy(), x.astype(np.float64), x.copy())  # g in another dtype
    assert not ran(x.astype(np.float16), x.astype(np.float16), x.astype(np.float16))
    assert not ran(np.ones((3, 2), np.float32).T, np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))
    assert not ran(x.copy(), x.copy(), np.ones(5, np.float32))  # a buffer of another shape
    assert not ran(x.copy(), x.copy(), x.copy(), rule=sgd.sgd)  # a rule without a loop
    before = x.copy()
    assert not ran(before, x.copy(), x[::-1].copy()[::-1]) and np.array_equal(before, x)  # unchanged


def test_without_numba_the_numpy_form_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """numba is optional: a process without it takes the NumPy form, and gets its very numbers."""
    code = (
        "import sys; sys.modules['numba'] = None  # import numba raises ImportError\n"
        "import numpy as np, test_kernels\n"
        "assert test_kernels.kernels.numba is None\n"
        "for i, (name, options) in enumerate(test_kernels.CONFIGS):\n"
        "    np.savez(f'{sys.argv[1]}/{i}.npz', *test_kernels._trajectory(name, options, np.float32))\n"
    )
    path = os.pathsep.join([str(Path(gn.__file__).parents[1]), str(Path(__file__).parent),
                            os.environ.get("PYTHONPATH", "")])
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=300,
                   env={**os.environ, "PYTHONPATH": path})
    monkeypatch.setattr(kernels, "ENABLED", False)
    for i, (name, options) in enumerate(CONFIGS):
        with np.load(tmp_path / f"{i}.npz") as saved:
            found = [saved[f"arr_{j}"] for j in range(len(saved.files))]
        for a, b in zip(found, _trajectory(name, options, np.float32), strict=True):
            assert np.array_equal(a, b), (name, options)
