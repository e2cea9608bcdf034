"""Tensor semantics: attributes, dtype rules, grad mode, backward and its graph, against PyTorch."""

from __future__ import annotations

import operator
import sys
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import GlassnetError
from glassnet.engine.autograd import FREED
from oracle import assert_close, pair


# ----------------------------------------------------------------------------- attributes
def test_attributes_of_a_leaf() -> None:
    x = gn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert isinstance(x.array, np.ndarray)
    np.testing.assert_array_equal(x.array, [[1.0, 2.0], [3.0, 4.0]])
    assert x.grad is None
    assert x.requires_grad is True
    assert x.shape == (2, 2)
    assert x.dtype == np.float32
    assert x.ndim == 2 and x.size() == (2, 2) and x.numel() == 4 and len(x) == 2
    assert x.is_leaf


def test_numpy_shares_the_data() -> None:
    x = gn.tensor(np.zeros(3))
    assert x.numpy() is x.array
    x.numpy()[0] = 5.0
    assert x.array[0] == 5.0


def test_item_gives_a_python_number() -> None:
    value = gn.tensor([[2.5]]).item()
    assert value == 2.5 and type(value) is float
    assert type(gn.tensor(np.array(3)).item()) is int


def test_item_on_many_elements_raises() -> None:
    with pytest.raises(GlassnetError, match=r"one element.*\(2, 3\)"):
        gn.tensor(np.ones((2, 3))).item()


def test_detach_shares_data_and_cuts_the_graph() -> None:
    x, t = pair([1.0, -2.0, 3.0])
    y = x * 2.0
    d = y.detach()
    assert d.array is y.array
    assert not d.requires_grad and d.is_leaf and d.grad is None
    (d * x).sum().backward()  # d is a constant: d(d·x)/dx = d = 2x, not 4x
    (t.detach() * 2.0 * t).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])
    assert_close(x.grad, t.grad)


def test_result_of_an_op_is_not_a_leaf() -> None:
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    assert not y.is_leaf and y.requires_grad
    z = gn.tensor([1.0, 2.0]) * 2.0  # no input requires grad: nothing is recorded
    assert z.is_leaf and not z.requires_grad


def test_requires_grad_on_integers_raises() -> None:
    with pytest.raises(GlassnetError, match="floating-point"):
        gn.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(GlassnetError, match="int32"):
        gn.tensor(np.arange(3, dtype=np.int32), requires_grad=True)
    with pytest.raises(GlassnetError):
        gn.tensor(np.array([True, False]), requires_grad=True)


# ----------------------------------------------------------------------------- dtype rules
@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2.5]], [1.0, 2]])
def test_python_floats_become_float32(data: Any) -> None:
    assert gn.tensor(data).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.int64, np.uint8])
def test_ndarrays_keep_their_dtype(dtype: Any) -> None:
    array = np.arange(4).astype(dtype)
    assert gn.tensor(array).dtype == dtype
    assert gn.tensor(array.reshape(2, 2)).dtype == dtype


def test_python_ints_stay_integers() -> None:
    x = gn.tensor([1, 2, 3])
    assert x.dtype.kind == "i"
    assert gn.tensor(7).dtype.kind == "i"


def test_dtype_argument_forces_the_dtype() -> None:
    assert gn.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert gn.tensor(np.ones(2), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv, gn.maximum])
@pytest.mark.parametrize(
    ("a", "b"), [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.float32)]
)
def test_mixed_float_dtypes_follow_numpy_promotion(op: Callable[..., Any], a: Any, b: Any) -> None:
    x, y = gn.tensor(np.ones(3, dtype=a)), gn.tensor(np.ones(3, dtype=b))
    assert op(x, y).dtype == np.result_type(a, b)


PYTHON_SCALAR_OPS = {
    "t + 2.0": lambda t: t + 2.0,
    "2.0 + t": lambda t: 2.0 + t,
    "t - 1": lambda t: t - 1,
    "3.5 - t": lambda t: 3.5 - t,
    "t * 0.1": lambda t: t * 0.1,
    "2 * t": lambda t: 2 * t,
    "t / 3.0": lambda t: t / 3.0,
    "1 / t": lambda t: 1 / t,
    "t ** 2": lambda t: t**2,
    "t ** 0.5": lambda t: t**0.5,
    "2.0 ** t": lambda t: 2.0**t,
    "maximum(t, 0.0)": lambda t: gn.maximum(t, 0.0),
    "where(t > 1, t, 0.0)": lambda t: gn.where(t > 1, t, 0.0),
    "clip(t, 0.0, 1.0)": lambda t: t.clip(0.0, 1.0),
}


@pytest.mark.parametrize("name", list(PYTHON_SCALAR_OPS))
def test_python_scalar_with_float32_tensor_stays_float32(name: str) -> None:
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = PYTHON_SCALAR_OPS[name](x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


def test_float32_grads_stay_float32_through_every_kind_of_op() -> None:
    x = gn.tensor(np.linspace(0.5, 2.0, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    W = gn.tensor(np.full((4, 3), 0.25, dtype=np.float32), requires_grad=True)
    h = gn.engine.linear(x, W)  # (2, 4)
    h.retain_grad()
    z = (gn.maximum(h, 0.5) * x.mean(axis=1, keepdims=True) + x.max() + (x**x).sum()).exp().log()
    z = gn.concatenate([z, gn.where(z > 1, z, 0.0)], axis=0)[[0, 0, 3]] @ gn.tensor(np.ones(4, np.float32))
    z.sum().backward()
    for grad in (x.grad, W.grad, h.grad):
        assert grad is not None and grad.dtype == np.float32


def test_float32_parameter_with_float64_input_gets_a_float32_grad() -> None:
    w = gn.tensor([1.0, 2.0], requires_grad=True)  # float32
    (w * gn.tensor(np.array([3.0, 4.0]))).sum().backward()  # float64 input: the product is float64
    assert w.grad is not None and w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


# ----------------------------------------------------------------------------- grad mode
def test_no_grad_records_nothing() -> None:
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    assert gn.is_grad_enabled()
    with gn.no_grad():
        assert not gn.is_grad_enabled()
        y = (x * 2.0).exp().sum()
    assert gn.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y._parents == () and y._op is None
    with pytest.raises(GlassnetError, match="does not require grad"):
        y.backward()


def test_enable_grad_nests_inside_no_grad() -> None:
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with gn.no_grad():
        a = x * 2.0
        with gn.enable_grad():
            assert gn.is_grad_enabled()
            b = x * 3.0
            with gn.no_grad():
                c = x * 4.0
            d = x * 5.0
        e = x * 6.0
    assert [t.requires_grad for t in (a, b, c, d, e)] == [False, True, False, True, False]
    (b + d).sum().backward()
    np.testing.assert_array_equal(x.grad, [8.0, 8.0])


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError), gn.no_grad():
        raise ValueError("boom")
    assert gn.is_grad_enabled()


# ----------------------------------------------------------------------------- backward vs torch
def test_shared_subexpressions_accumulate_like_torch() -> None:
    x, t = pair([0.5, -1.0, 2.0])
    y = x * x + x  # x is used three times
    z = y * y  # y twice
    (z.sum() + y.sum()).backward()
    ty = t * t + t
    ((ty * ty).sum() + ty.sum()).backward()
    # dz/dx = (2y + 1)(2x + 1): at x = 0.5, y = 0.75, so (2.5)(2) = 5
    assert x.grad is not None and x.grad[0] == pytest.approx(5.0)
    assert_close(x.grad, t.grad)


def diamond(x: Any, exp: Callable[[Any], Any]) -> Any:
    """x → a → (b, c) → d: two paths from a to d, and x used again at the end."""
    a = x * 3.0
    b = exp(a)
    c = a * a
    return ((b + c) * a / x).sum()


def test_diamond_graph_like_torch() -> None:
    x, t = pair([[0.1, -0.2], [0.3, 0.4]])
    diamond(x, gn.exp).backward()
    diamond(t, torch.exp).backward()
    assert_close(x.grad, t.grad)


def test_same_tensor_as_both_operands() -> None:
    x, t = pair([1.0, -3.0])
    (x * x / x - x @ x).sum().backward()
    (t * t / t - t @ t).sum().backward()
    assert_close(x.grad, t.grad)


def test_backward_on_non_scalar_without_gradient_raises() -> None:
    y = gn.tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(GlassnetError, match=r"shape \(2, 3\) needs an explicit gradient.*\.mean\(\)"):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape_raises() -> None:
    y = gn.tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(GlassnetError, match=r"gradient of shape \(3,\) for a tensor of shape \(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_of_a_one_element_non_scalar_needs_no_gradient() -> None:
    x, t = pair([[2.0]])
    (x * x).backward()
    (t * t).backward(torch.ones(1, 1))
    assert_close(x.grad, t.grad)


def test_backward_with_explicit_gradient_like_torch() -> None:
    x, t = pair(np.linspace(-1, 1, 6).reshape(2, 3))
    G = np.arange(6.0).reshape(2, 3) - 2.5  # dL/dy
    (x.exp() * x).backward(G)
    (t.exp() * t).backward(torch.from_numpy(G))
    assert_close(x.grad, t.grad)
    y = x * 2.0  # a Tensor as the gradient works too
    y.backward(gn.tensor(G))
    (t * 2.0).backward(torch.from_numpy(G))
    assert_close(x.grad, t.grad)


def test_backward_on_two_graphs_accumulates_like_torch() -> None:
    x, t = pair([1.0, 2.0, -3.0])
    (x * 2.0).sum().backward()
    (x * x).sum().backward()  # a second graph: x.grad = 2 + 2x
    (t * 2.0).sum().backward()
    (t * t).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 6.0, -4.0])
    assert_close(x.grad, t.grad)


def test_backward_twice_through_a_freed_graph_raises() -> None:
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(GlassnetError, match="retain_graph=True"):
        y.backward()


def test_backward_through_an_intermediate_freed_by_another_backward_raises() -> None:
    x, t = pair([1.0, 2.0])
    h = x.exp()
    h.sum().backward()
    with pytest.raises(GlassnetError, match="already freed"):
        (h * 2.0).sum().backward()
    th = t.exp()
    th.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):  # torch refuses too
        (th * 2.0).sum().backward()


def test_retain_graph_lets_backward_run_twice_and_accumulate_like_torch() -> None:
    x, t = pair([0.5, 1.5])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty = (t.exp() * t).sum()
    ty.backward(retain_graph=True)
    ty.backward()
    assert_close(x.grad, t.grad)
    assert_close(x.grad, 2 * np.exp(x.array) * (1 + x.array))  # twice d(x eˣ)/dx = 2eˣ(1 + x)
    with pytest.raises(GlassnetError):  # the second call freed it
        y.backward()


def test_retain_grad_on_intermediates_like_torch() -> None:
    x, t = pair([[1.0, -2.0], [0.5, 3.0]])
    h = x * x
    h.retain_grad()
    k = h.exp()  # not retained
    (k * h).sum().backward()
    th = t * t
    th.retain_grad()
    tk = th.exp()
    (tk * th).sum().backward()
    assert_close(h.grad, th.grad)
    assert_close(x.grad, t.grad)
    assert k.grad is None and not tk.retains_grad  # only retained intermediates keep .grad


def test_retain_grad_accumulates_over_two_backwards_like_torch() -> None:
    x, t = pair([1.0, 2.0])
    h, th = x * 3.0, t * 3.0
    h.retain_grad()
    th.retain_grad()
    (h * h).sum().backward(retain_graph=True)
    (th * th).sum().backward(retain_graph=True)
    h.sum().backward()
    th.sum().backward()
    assert_close(h.grad, th.grad)
    assert_close(x.grad, t.grad)


# ----------------------------------------------------------------------------- memory and depth
def test_backward_frees_the_graph() -> None:
    x = gn.tensor(np.ones(3), requires_grad=True)
    h = x * 2.0
    alive = weakref.ref(h)
    out = (h.exp() * h).sum()
    del h
    assert alive() is not None  # only the graph holds the intermediate now
    out.backward()
    assert out._parents == () and out._saved is FREED
    del out
    assert alive() is None


def test_retain_graph_keeps_the_graph_until_the_output_dies() -> None:
    x = gn.tensor(np.ones(3), requires_grad=True)
    h = x * 2.0
    alive = weakref.ref(h)
    out = (h.exp() * h).sum()
    del h
    out.backward(retain_graph=True)
    assert alive() is not None and out._saved is not FREED
    del out
    assert alive() is None  # no reference cycles: freed without the garbage collector


def test_deep_graph_backprops_without_recursion() -> None:
    n = 10_000
    assert n > sys.getrecursionlimit()
    x = gn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0  # two ops per step: 20,000 nodes
    y.sum().backward()
    assert_close(x.grad, np.full(2, 1.0001**n), rtol=1e-10)


def test_deep_graph_can_be_dropped_without_backward() -> None:
    x = gn.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + 1.0
    alive = weakref.ref(y)
    del y
    assert alive() is None


def test_float32_backward_is_close_to_torch_float32() -> None:
    data = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    x = gn.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    (gn.exp(x) * x).mean(axis=0).max().backward()
    (torch.exp(t) * t).mean(dim=0).amax().backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_grad_mode_contexts_nest_decorate_and_recurse() -> None:
    context = gn.no_grad()
    with context:
        with context:  # the same object entered twice
            assert not gn.is_grad_enabled()
            with gn.enable_grad():
                assert gn.is_grad_enabled()
        assert not gn.is_grad_enabled()
    assert gn.is_grad_enabled()

    @gn.no_grad()
    def depth(n: int) -> list[bool]:  # a decorated function that calls itself
        inner = depth(n - 1) if n else []
        return [gn.is_grad_enabled(), *inner]

    assert depth(3) == [False] * 4 and gn.is_grad_enabled()
