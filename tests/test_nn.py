"""Module, Parameter, Linear, Sequential, Identity, Flatten and Dropout, checked against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import nn
from oracle import assert_close, to_torch


def _mlp(seed: int = 0, dtype: type = np.float64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, dtype=dtype, generator=seed), nn.Identity(),
                         nn.Linear(4, 2, dtype=dtype, generator=seed + 1))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), fan_in=st.integers(1, 6), fan_out=st.integers(1, 6), bias=st.booleans(),
       batch_dims=st.integers(0, 2), seed=st.integers(0, 1000))
def test_linear_forward_and_gradients_match_torch(n: int, fan_in: int, fan_out: int, bias: bool,
                                                 batch_dims: int, seed: int) -> None:
    layer = nn.Linear(fan_in, fan_out, bias=bias, dtype=np.float64, generator=seed)
    ref = torch.nn.Linear(fan_in, fan_out, bias=bias)
    with torch.no_grad():
        ref.weight.copy_(to_torch(layer.weight))
        if bias:
            ref.bias.copy_(to_torch(layer.bias))
    x = np.random.default_rng(seed).standard_normal((2,) * batch_dims + (n, fan_in))
    ours, theirs = gn.tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    out, ref_out = layer(ours), ref(theirs)
    assert_close(out, ref_out)
    g = np.random.default_rng(seed + 1).standard_normal(out.shape)
    out.backward(g)
    ref_out.backward(to_torch(g))
    assert_close(ours.grad, theirs.grad)
    assert_close(layer.weight.grad, ref.weight.grad)
    if bias:
        assert_close(layer.bias.grad, ref.bias.grad)


def test_linear_default_init_has_pytorchs_bounds_and_is_seeded() -> None:
    layer = nn.Linear(400, 300, generator=7)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=√5): gain·√(3/fan_in) = √(1/3)·√(3/400) = 1/20
    assert layer.weight.dtype == np.float32 and layer.weight.shape == (300, 400)
    assert np.abs(layer.weight.array).max() <= bound and np.abs(layer.bias.array).max() <= bound
    assert np.std(layer.weight.array) == pytest.approx(bound / np.sqrt(3), rel=0.02)  # std of U(-b, b)
    again = nn.Linear(400, 300, generator=7)
    assert np.array_equal(layer.weight.array, again.weight.array)
    assert not np.array_equal(layer.weight.array, nn.Linear(400, 300, generator=8).weight.array)


def test_linear_rejects_a_wrong_input_width_with_a_helpful_message() -> None:
    layer = nn.Linear(784, 256)
    with pytest.raises(gn.ShapeError, match=r"Linear\(784 -> 256\) got input of shape \(32, 785\)"):
        layer(gn.tensor(np.zeros((32, 785), dtype=np.float32)))


def test_named_parameters_children_and_counts() -> None:
    net = _mlp()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [type(c).__name__ for c in net.children()] == ["Linear", "Identity", "Linear"]
    assert net.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2
    assert len(net) == 3 and isinstance(net[2], nn.Linear)


def test_shared_parameters_are_listed_once() -> None:
    layer = nn.Linear(2, 2)
    net = nn.Sequential(layer, layer)
    assert len(list(net.parameters())) == 2


def test_repr_shows_layers_shapes_and_parameter_counts() -> None:
    text = repr(_mlp())
    first = "(0): Linear(in_features=3, out_features=4, bias=True)  # weight(4, 3), bias(4,): 16 params"
    assert first in text
    assert text.endswith("26 params in total")


def test_state_dict_round_trip_and_copies() -> None:
    a, b = _mlp(0), _mlp(10)
    state = a.state_dict()
    state["0.weight"][0, 0] = 99.0  # a copy: editing it leaves the model alone
    assert a[0].weight.array[0, 0] != 99.0
    b.load_state_dict(a.state_dict())
    x = gn.tensor(np.ones((2, 3)))
    assert np.array_equal(a(x).array, b(x).array)


def test_load_state_dict_reports_missing_unexpected_and_shape_errors() -> None:
    net = _mlp()
    with pytest.raises(gn.GlassnetError, match=r"missing keys \['2.bias'\]"):
        net.load_state_dict({k: v for k, v in net.state_dict().items() if k != "2.bias"})
    state = net.state_dict()
    state["0.weight"] = np.zeros((5, 3))
    with pytest.raises(gn.ShapeError, match=r"'0\.weight' has shape"):
        net.load_state_dict(state)


def test_train_eval_modes_reach_every_submodule() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_or_zeroes() -> None:
    net = _mlp()
    net(gn.tensor(np.ones((1, 3)))).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_double_converts_parameters() -> None:
    net = nn.Sequential(nn.Linear(2, 2, generator=0)).double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net(gn.tensor(np.ones((1, 2)))).dtype == np.float64


def test_dropout_is_inverted_seeded_and_off_in_eval() -> None:
    x = gn.tensor(np.ones((2000, 50), dtype=np.float32), requires_grad=True)
    layer = nn.Dropout(0.3, generator=1)
    y = layer(x)
    kept = y.array != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    assert np.allclose(y.array[kept], 1 / 0.7)  # survivors scaled by 1/(1 - p): E[y] = x
    y.sum().backward()
    assert np.array_equal(x.grad, y.array)  # d(mask·x/(1-p))/dx = mask/(1-p)
    assert np.array_equal(nn.Dropout(0.3, generator=1)(x).array, y.array)
    layer.eval()
    assert layer(x) is x


def test_dropout_edge_probabilities() -> None:
    x = gn.tensor(np.ones((3, 3)))
    assert nn.Dropout(0.0)(x) is x
    assert not nn.Dropout(1.0)(x).array.any()
    with pytest.raises(gn.GlassnetError, match="0 <= p <= 1"):
        nn.Dropout(1.5)


def test_flatten() -> None:
    x = gn.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = nn.Flatten()(x)
    assert y.shape == (2, 12)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4)


def test_linear_takes_plain_arrays() -> None:
    layer = nn.Linear(3, 2, dtype=np.float64, generator=0)
    x = np.ones((4, 3))
    assert np.array_equal(layer(x).array, layer(gn.tensor(x)).array)


def test_sequential_is_a_list_of_its_layers() -> None:
    net = _mlp()
    head = net[1:]
    assert isinstance(head, nn.Sequential) and list(head) == [net[1], net[2]]
    x = gn.tensor(np.ones((2, 3)))
    assert np.array_equal(head(net[0](x)).array, net(x).array)  # a slice runs the same layers
    net.insert(2, nn.Tanh())
    net.append(nn.Sigmoid()).extend([nn.Identity()])
    assert [type(m).__name__ for m in net] == ["Linear", "Identity", "Tanh", "Linear", "Sigmoid", "Identity"]
    assert isinstance(net.pop(-1), nn.Identity) and isinstance(net.pop(2), nn.Tanh)
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    both = net + nn.Sequential(nn.ReLU())
    assert len(both) == 5 and len(net) == 4 and both[0] is net[0]
    del net[0]
    assert [name for name, _ in net.named_parameters()] == ["1.weight", "1.bias"]


def test_append_does_not_walk_the_layers_already_there(monkeypatch: pytest.MonkeyPatch) -> None:
    # one attribute and a count per append, so 10,000 layers take 10,000 steps, not 50 million
    def walk(self: nn.Module) -> None:
        raise AssertionError("append walked the children")

    layers = [nn.Identity() for _ in range(10_000)]
    monkeypatch.setattr(nn.Module, "named_children", walk)
    net = nn.Sequential(*layers).append(nn.Linear(2, 2))
    assert len(net) == 10_001 and net[-2] is layers[-1] and net[5_000] is layers[5_000]
    monkeypatch.undo()
    assert list(net.state_dict()) == ["10000.weight", "10000.bias"]
