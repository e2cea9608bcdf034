"""The fused optimizer kernels compute exactly the numbers of the NumPy rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from glassnet import nn, optim
from glassnet.optim import kernels

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("adam", {"lr": 1e-2}),
    ("adam", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2}),
    ("adam", {"lr": 1e-2, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    ("adamw", {"lr": 1e-2}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
]


def _trajectory(name: str, options: dict[str, Any], dtype: type, steps: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    ws = [nn.Parameter(rng.standard_normal(shape).astype(dtype)) for shape in [(65, 64), (3,)]]
    opt = optim.OPTIMIZERS[name](ws, **options)
    for _ in range(steps):
        for w in ws:
            w.grad = rng.standard_normal(w.shape).astype(dtype)
        opt.step()
    return [a for w in ws for a in (w.data.copy(), *(v for v in opt.state[w].values()
                                                      if isinstance(v, np.ndarray)))]


def test_numba_is_installed_for_the_tests() -> None:
    assert kernels.numba is not None, "the dev extra installs numba so the kernels are tested"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_kernel_is_bit_identical_to_the_rules(name: str, options: dict[str, Any], dtype: type,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fused = _trajectory(name, options, dtype)
    monkeypatch.setattr(kernels, "ENABLED", False)
    plain = _trajectory(name, options, dtype)
    for a, b in zip(fused, plain, strict=True):
        assert a.dtype == dtype and np.array_equal(a, b)


def test_kernel_is_used_for_contiguous_parameters_of_one_dtype() -> None:
    big, small = np.zeros(4096, np.float32), np.zeros(kernels.MIN_SIZE, np.float32)
    assert kernels.available(big, big) and kernels.available(small, small)
    assert not kernels.available(big, big.astype(np.float64))
    transposed = np.zeros((64, 2), np.float32).T
    assert not kernels.available(transposed, np.zeros_like(transposed))
