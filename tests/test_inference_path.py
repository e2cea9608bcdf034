"""Sequential under no_grad runs its layers on arrays: the same numbers, errors and Tensors as its
modules; softmax's row kernel gives NumPy's numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import nn
from glassnet.engine import activation_ops, kernels, ops
from glassnet.errors import ShapeError

CHAINS: dict[str, Callable[[Any], list[nn.Module]]] = {
    "relu": lambda dt: [
        nn.Linear(5, 7, dtype=dt, generator=1), nn.ReLU(), nn.Linear(7, 3, dtype=dt, generator=2)],
    "every array form": lambda dt: [
        nn.Linear(5, 7, dtype=dt, generator=1), nn.Sigmoid(), nn.Dropout(0.3, generator=5),
        nn.Linear(7, 7, dtype=dt, generator=2), nn.Tanh(), nn.Identity(), nn.ReLU(),
        nn.Linear(7, 3, dtype=dt, generator=3), nn.Dropout(0.0)],
    "a module without one midway": lambda dt: [
        nn.Linear(5, 7, dtype=dt, generator=1), nn.LeakyReLU(0.1), nn.Linear(7, 3, dtype=dt, generator=2)],
    "activation first": lambda dt: [nn.ReLU(), nn.Linear(5, 3, dtype=dt, generator=1)],
    "nested, dropout p=1": lambda dt: [
        nn.Sequential(nn.Linear(5, 7, dtype=dt, generator=1), nn.ReLU()), nn.Dropout(1.0),
        nn.Linear(7, 3, dtype=dt, generator=2)],
    "no bias": lambda dt: [nn.Linear(5, 4, bias=False, dtype=dt, generator=1), nn.Tanh()],
}


def _input(dtype: Any, shape: tuple[int, ...] = (6, 5)) -> np.ndarray:
    x = (np.random.default_rng(0).standard_normal(shape) * 3).astype(dtype)
    x.flat[:3] = [-0.0, 0.0, 1e4]  # signed zeros and a saturating value
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("chain", list(CHAINS))
def test_no_grad_forward_equals_the_modules_bit_for_bit(chain: str, training: bool, dtype: Any) -> None:
    graph, arrays = nn.Sequential(*CHAINS[chain](dtype)), nn.Sequential(*CHAINS[chain](dtype))
    graph.train(training)
    arrays.train(training)
    x = _input(dtype)
    before = x.copy()
    expected = graph(gn.tensor(x))  # the graph path: every parameter requires grad
    assert expected.requires_grad
    with gn.no_grad():
        got = arrays(gn.tensor(x))
    assert not got.requires_grad and got.grad is None and got.is_leaf
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got.data.view(np.uint8), expected.data.view(np.uint8))
    assert np.array_equal(x.view(np.uint8), before.view(np.uint8))  # the input is never written
    with gn.no_grad():  # the dropout layers drew the same masks: the generators still agree
        assert np.array_equal(graph(gn.tensor(x)).data, arrays(gn.tensor(x)).data)


def test_no_grad_forward_builds_no_node_for_array_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    model = nn.Sequential(*CHAINS["every array form"](np.float32)).eval()

    def no_node(*args: Any) -> gn.Tensor:
        raise AssertionError("a Tensor node was built")

    monkeypatch.setattr(ops, "linear", no_node)
    for name in ("relu", "sigmoid", "tanh"):
        monkeypatch.setattr(activation_ops, name, no_node)
    with gn.no_grad():
        out = model(_input(np.float32))
    assert out.shape == (6, 3)
    with pytest.raises(AssertionError, match="a Tensor node"):
        model(_input(np.float32))  # with grad: the modules, and so the patched ops


def test_no_grad_forward_keeps_the_modules_errors_inputs_and_shapes() -> None:
    model = nn.Sequential(*CHAINS["relu"](np.float32))
    with gn.no_grad():
        with pytest.raises(ShapeError, match=r"Linear\(5 -> 7\) got input of shape \(6, 4\)"):
            model(np.zeros((6, 4), np.float32))
        x3 = _input(np.float32, (2, 3, 5))  # not a batch of rows: the modules take it
        assert np.array_equal(model(x3).data, nn.Sequential(*CHAINS["relu"](np.float32))(x3).data)
        assert model([[1.0, 2.0, 3.0, 4.0, 5.0]]).dtype == np.float32  # Python floats: float32
        x = gn.tensor(_input(np.float32))
        assert nn.Sequential(nn.Identity(), nn.Dropout(0.5).eval())(x) is x  # nothing to compute
        assert nn.Sequential()(x) is x


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 70), c=st.integers(1, 140), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1e-30, 1.0, 30.0, 1e4]), special=st.booleans(), seed=st.integers(0, 2**16))
def test_softmax_row_kernel_equals_numpy_bit_for_bit(n: int, c: int, dtype: Any, scale: float, special: bool,
                                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, c)) * scale).astype(dtype)
    if special:  # signed zeros, infinities and NaN go through the same operations
        z.flat[rng.integers(0, z.size, 4)] = [-0.0, np.inf, -np.inf, np.nan]
        z[:, 0] = -0.0
    with np.errstate(all="ignore"):
        fast = kernels.softmax_rows(z)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        plain = e / e.sum(axis=1, keepdims=True)
        graph = activation_ops.softmax(gn.tensor(z, requires_grad=True), axis=-1)
    assert (fast is None) == (c > 128)  # long rows keep NumPy's sums
    for got in ([fast] if fast is not None else []) + [graph.data]:
        assert got.dtype == plain.dtype and np.array_equal(np.isnan(got), np.isnan(plain))
        keep = ~np.isnan(plain)
        assert np.array_equal(got[keep].view(np.uint8), plain[keep].view(np.uint8))
