"""One full training step on array-api-strict arrays on device1, against the same step on NumPy: a small
MLP with dropout, forward, a loss, backward and an SGD update with momentum.

Both models start from the same weights and draw the same dropout masks (the same seeds); the
step is the same formulas computed by two libraries, so every number agrees to a few units in the
last place. ``test_array_api.py`` covers each operation on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from test_array_api import assert_same, host, strict

X = np.random.default_rng(0).standard_normal((6, 4))
LABELS = np.array([0, 2, 1, 1, 0, 2])
TARGETS = np.random.default_rng(1).standard_normal((6, 3))
LOSSES: dict[str, tuple[nn.Module, np.ndarray]] = {
    "cross_entropy": (nn.CrossEntropyLoss(), LABELS),  # class indices
    "mse_loss": (nn.MSELoss(), TARGETS),
}


def mlp(dtype: Any, move: Callable[[np.ndarray], Any]) -> nn.Sequential:
    """Linear, ReLU, Dropout, Linear, Tanh, Linear with fixed seeds; parameters moved by ``move``."""
    model = nn.Sequential(
        nn.Linear(4, 8, dtype=dtype, generator=0), nn.ReLU(), nn.Dropout(0.25, generator=1),
        nn.Linear(8, 8, dtype=dtype, generator=2), nn.Tanh(), nn.Linear(8, 3, dtype=dtype, generator=3),
    )
    for p in model.parameters():
        p.array = move(p.array)
    return model


def forward_backward(model: nn.Module, loss: str, dtype: Any, move: Callable[[np.ndarray], Any]) -> Any:
    """The batch's loss (its array), with every parameter's gradient in ``.grad``."""
    fn, target = LOSSES[loss]
    target = target if target.dtype.kind != "f" else target.astype(dtype)
    value = fn(model(gn.tensor(move(X.astype(dtype)))), move(target))
    value.backward()
    return value.array


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_and_backward_on_device1_equal_numpy(dtype: Any, loss: str) -> None:
    reference, model = mlp(dtype, np.asarray), mlp(dtype, strict)
    assert_same(forward_backward(model, loss, dtype, strict),
                forward_backward(reference, loss, dtype, np.asarray))
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert_same(p.grad, q.grad)


def sgd_steps(model: nn.Module, loss: str, dtype: Any, move: Callable[[np.ndarray], Any]) -> None:
    """Two steps of SGD with momentum 0.9 (the second uses the momentum buffer)."""
    optimizer = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        optimizer.zero_grad()
        forward_backward(model, loss, dtype, move)
        optimizer.step()


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_update_on_device1_equals_numpy(dtype: Any, loss: str) -> None:
    reference, model = mlp(dtype, np.asarray), mlp(dtype, strict)
    sgd_steps(reference, loss, dtype, np.asarray)
    sgd_steps(model, loss, dtype, strict)
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert_same(p.grad, q.grad)
        assert_same(p.array, q.array)


def test_the_step_is_not_a_trivial_one() -> None:
    """The comparison means something: the loss and every gradient are not zero."""
    model = mlp(np.float64, strict)
    value = forward_backward(model, "cross_entropy", np.float64, strict)
    assert float(value) > 0.1
    for p in model.parameters():
        assert np.abs(host(p.grad)).max() > 0
