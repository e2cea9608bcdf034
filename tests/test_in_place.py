"""In-place arithmetic on Tensors, as PyTorch's: the same object changes, under PyTorch's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import GlassnetError
from oracle import assert_close, pair


def _manual_loop(lib: Any, nn: Any, F: Any, dtype: Any, weights: list[np.ndarray], X: np.ndarray,
                 y: np.ndarray, steps: int) -> list[Any]:
    """The tutorials' loop: the update written by hand, `param -= lr * param.grad` under no_grad."""
    model = nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(lib.tensor(w))
    Xt, yt = lib.tensor(X), lib.tensor(y)
    for _ in range(steps):
        loss = F.cross_entropy(model(Xt), yt)
        loss.backward()
        with lib.no_grad():
            for param in model.parameters():
                param -= 0.5 * param.grad
                param.grad = None
    return list(model.parameters())


def test_a_hand_written_update_trains_as_in_pytorch() -> None:
    rng = np.random.default_rng(0)
    shapes = [(8, 4), (8,), (3, 8), (3,)]
    weights = [rng.standard_normal(s) * 0.5 for s in shapes]
    X, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    ours = _manual_loop(gn, gn.nn, gn.nn.functional, np.float64, weights, X, y, 20)
    theirs = _manual_loop(torch, torch.nn, torch.nn.functional, torch.float64, weights, X, y, 20)
    for a, b, w in zip(ours, theirs, weights, strict=True):
        assert not np.allclose(a.array, w)  # it trained
        assert_close(a, b)


def test_in_place_changes_the_same_object_and_array() -> None:
    p = gn.nn.Parameter(np.array([1.0, 2.0, 3.0]))
    array, before = p.array, p
    with gn.no_grad():
        p -= 0.5 * np.array([2.0, 2.0, 2.0])
        p *= 2
        p /= 4
        p += gn.tensor([1.0, 1.0, 1.0], dtype=np.float64)
    assert p is before and p.array is array and p.requires_grad
    np.testing.assert_array_equal(p.array, [1.0, 1.5, 2.0])


Arrays = Callable[[Any], Any]
METHODS: list[tuple[str, Callable[[Any, Arrays], Any]]] = [
    ("add_", lambda t, a: t.add_(2.0)),
    ("add_ alpha", lambda t, a: t.add_(a([1.0, -1.0, 0.5, 2.0]), alpha=0.25)),
    ("add_ list alpha", lambda t, a: t.add_(a([1.0, -1.0, 0.5, 2.0]) if a is torch.tensor
                                            else [1.0, -1.0, 0.5, 2.0], alpha=-2.0)),
    ("sub_ alpha", lambda t, a: t.sub_(a([1.0, -1.0, 0.5, 2.0]), alpha=3.0)),
    ("mul_", lambda t, a: t.mul_(-1.5)),
    ("div_", lambda t, a: t.div_(a([2.0, 4.0, -8.0, 0.5]))),
    ("clamp_", lambda t, a: t.clamp_(-0.5, 0.25)),
    ("clamp_ min", lambda t, a: t.clamp_(min=0.0)),
    ("fill_", lambda t, a: t.fill_(0.01)),
    ("zero_", lambda t, a: t.zero_()),
    ("copy_", lambda t, a: t.copy_(a([9.0, 8.0, 7.0, 6.0]))),
    ("copy_ broadcast", lambda t, a: t.copy_(a(3.0))),
]


@pytest.mark.parametrize("call", [m[1] for m in METHODS], ids=[m[0] for m in METHODS])
def test_underscore_methods_match_pytorch(call: Callable[[Any, Arrays], Any]) -> None:
    ours, theirs = pair([0.3, -1.2, 2.5, np.inf], requires_grad=False)
    assert call(ours, np.array) is ours
    call(theirs, torch.tensor)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_a_leaf_that_requires_grad_changes_only_under_no_grad() -> None:
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GlassnetError, match="no_grad"):
        w -= 1.0
    with pytest.raises(GlassnetError, match="no_grad"):
        w.zero_()
    np.testing.assert_array_equal(w.array, [1.0, 2.0])  # unchanged: the last good state kept
    tw = torch.tensor([1.0, 2.0], requires_grad=True)  # the same rule in PyTorch
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tw -= 1.0


def test_augmented_assignment_inside_the_graph_gives_pytorchs_gradient() -> None:
    (x, tx) = pair([0.5, -1.0, 2.0])
    outs = []
    for lib_x in (x, tx):
        h = lib_x * 3.0
        h += lib_x * lib_x  # a result of an operation: PyTorch changes it in place, in its graph
        h *= 2.0
        outs.append(h)
        h.sum().backward()
    assert_close(outs[0], outs[1])
    assert_close(x.grad, tx.grad)
    y = x * 2.0
    with pytest.raises(GlassnetError, match="out of place"):
        y.add_(1.0)


def test_in_place_refuses_what_the_tensor_cannot_hold() -> None:
    counts = gn.tensor(np.array([1, 2, 3]))
    with pytest.raises(GlassnetError, match="cannot hold"):
        counts /= 2  # true division gives floats, as PyTorch refuses
    counts += 1
    np.testing.assert_array_equal(counts.array, [2, 3, 4])
    t = gn.tensor([1.0, 2.0])
    with pytest.raises(GlassnetError, match="broadcast"):
        t += np.ones((2, 2))
    with pytest.raises(GlassnetError, match="broadcast"):
        t.copy_(np.ones(3))
    np.testing.assert_array_equal(t.array, [1.0, 2.0])
