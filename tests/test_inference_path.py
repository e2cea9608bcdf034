"""Forward passes under no_grad make no graph node and give the graph's numbers, masks and errors, for
any model: built-in layers, a user's Module, an activation with arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.engine import autograd
from glassnet.errors import ShapeError


class Block(nn.Module):
    """A user's own module: Linear → LeakyReLU(0.2) → Dropout → Linear, written with forward."""

    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.first = nn.Linear(5, 7, dtype=dtype, generator=1)
        self.drop = nn.Dropout(0.3, generator=5)
        self.second = nn.Linear(7, 3, dtype=dtype, generator=2)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.second(self.drop(nn.functional.leaky_relu(self.first(x), 0.2)))


CHAINS: dict[str, Callable[[Any], nn.Module]] = {
    "relu": lambda dt: nn.Sequential(
        nn.Linear(5, 7, dtype=dt, generator=1), nn.ReLU(), nn.Linear(7, 3, dtype=dt, generator=2)),
    "every kind": lambda dt: nn.Sequential(
        nn.Linear(5, 7, dtype=dt, generator=1), nn.Sigmoid(), nn.Dropout(0.3, generator=5),
        nn.Linear(7, 7, dtype=dt, generator=2), nn.Tanh(), nn.Identity(), nn.GELU(), nn.ELU(0.5),
        nn.Linear(7, 3, dtype=dt, generator=3), nn.Softmax(dim=-1), nn.Dropout(0.0)),
    "a user's module": Block,
    "nested, dropout p=1": lambda dt: nn.Sequential(
        nn.Sequential(nn.Linear(5, 7, dtype=dt, generator=1), nn.ReLU()), nn.Dropout(1.0),
        nn.Linear(7, 3, dtype=dt, generator=2)),
}


def _input(dtype: Any, shape: tuple[int, ...] = (6, 5)) -> np.ndarray:
    x = (np.random.default_rng(0).standard_normal(shape) * 3).astype(dtype)
    x.flat[:3] = [-0.0, 0.0, 1e4]  # signed zeros and a saturating value
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("chain", list(CHAINS))
def test_no_grad_forward_equals_the_graph_bit_for_bit(chain: str, training: bool, dtype: Any) -> None:
    graph, plain = CHAINS[chain](dtype), CHAINS[chain](dtype)
    graph.train(training)
    plain.train(training)
    x = _input(dtype)
    before = x.copy()
    expected = graph(gn.tensor(x))  # every parameter requires grad: a graph
    assert expected.requires_grad
    with gn.no_grad():
        got = plain(gn.tensor(x))
    assert not got.requires_grad and got.grad is None and got.is_leaf
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got.array.view(np.uint8), expected.array.view(np.uint8))  # the same ops, bits
    assert np.array_equal(x.view(np.uint8), before.view(np.uint8))  # the input is never written
    with gn.no_grad():  # the dropout layers drew the same masks: the generators still agree
        assert np.array_equal(graph(gn.tensor(x)).array, plain(gn.tensor(x)).array)


def test_no_grad_forward_makes_no_node(monkeypatch: pytest.MonkeyPatch) -> None:
    model = CHAINS["a user's module"](np.float32)
    made: list[Any] = []
    real = autograd.plan
    monkeypatch.setattr(autograd, "plan", lambda root: made.append(root) or real(root))
    with gn.no_grad():
        out = model(_input(np.float32))
    assert out._op is None and out._parents == () and out._saved is None
    with pytest.raises(gn.GlassnetError, match="does not require grad"):
        out.sum().backward()
    assert made == []


def test_no_grad_forward_keeps_the_modules_errors_inputs_and_shapes() -> None:
    model = CHAINS["relu"](np.float32)
    with gn.no_grad():
        with pytest.raises(ShapeError, match=r"Linear\(5 -> 7\) got input of shape \(6, 4\)"):
            model(np.zeros((6, 4), np.float32))
        x3 = _input(np.float32, (2, 3, 5))  # not a batch of rows
        assert np.array_equal(model(x3).array, CHAINS["relu"](np.float32)(x3).array)
        assert model([[1.0, 2.0, 3.0, 4.0, 5.0]]).dtype == np.float32  # Python floats: float32
        x = gn.tensor(_input(np.float32))
        assert nn.Sequential(nn.Identity(), nn.Dropout(0.5).eval())(x) is x  # nothing to compute
        assert nn.Sequential()(x) is x
