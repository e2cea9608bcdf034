"""Every primitive of glassnet.engine.ops: forward against NumPy, forward and gradient against PyTorch
(float64, ~1e-12 relative) on hypothesis-generated shapes, and a finite-difference gradcheck.

The gradient is taken for a random upstream gradient G = dL/d(out), not for out.sum(), so that a
rule that mixes up output elements cannot pass by symmetry.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet.engine import ops
from glassnet.engine.op import Op, apply
from glassnet.errors import GradcheckError
from oracle import assert_close, pair, to_torch

SETTINGS = settings(max_examples=25, deadline=None, database=None)
SEEDS = st.integers(0, 2**32 - 1)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)
NONEMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
# pairs of shapes that broadcast against each other, e.g. ((3, 1), (4,)) -> (3, 4)
BROADCAST_PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
BROADCAST_TRIPLES = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3)
# NumPy's matmul signature: vectors (the optional m and p), matrices and broadcast batches of them
MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2, max_side=4)


# ----------------------------------------------------------------------------- data
def normal(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def positive(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values in [0.5, 2.5): away from the kinks of log, sqrt and division."""
    return np.random.default_rng(seed).uniform(0.5, 2.5, shape)


def nonzero(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values with |x| in [0.5, 2): away from 0, where abs has a kink and 1/x a pole."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def grid(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values from {-1, -0.5, 0, 0.5, 1}: many exact ties, and values exactly at clip bounds."""
    return np.random.default_rng(seed).integers(-2, 3, shape) / 2.0


def distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A permutation of 0.1·(0, 1, ..., n-1): no ties, so max/min/maximum are differentiable."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1


# ----------------------------------------------------------------------------- the check
def check(
    op: Callable[..., gn.Tensor],
    torch_op: Callable[..., torch.Tensor],
    numpy_op: Callable[..., Any],
    *arrays: np.ndarray,
) -> gn.Tensor:
    """op's forward equals numpy_op's; op's forward and gradients equal torch_op's.

    Every array becomes a float64 input requiring grad; the upstream gradient is random.
    """
    pairs = [pair(a) for a in arrays]
    ours = op(*(p[0] for p in pairs))
    theirs = torch_op(*(p[1] for p in pairs))
    assert isinstance(ours, gn.Tensor)
    assert ours.dtype == np.float64
    assert_close(ours, np.asarray(numpy_op(*arrays)))
    assert_close(ours, theirs)
    G = np.random.default_rng(1).standard_normal(ours.shape)  # dL/d(out), same shape as out
    ours.backward(G)
    theirs.backward(torch.from_numpy(G))
    for i, (x, t) in enumerate(pairs):
        assert x.grad is not None, f"input {i} got no gradient"
        assert x.grad.dtype == np.float64
        assert t.grad is not None
        assert_close(x.grad, t.grad)
    return ours


# ----------------------------------------------------------------------------- arithmetic
BINARY = {
    "add": (gn.engine.add, torch.add, np.add),
    "sub": (gn.engine.sub, torch.sub, np.subtract),
    "mul": (gn.engine.mul, torch.mul, np.multiply),
    "div": (gn.engine.div, torch.div, np.divide),
    "maximum": (gn.maximum, torch.maximum, np.maximum),
    "minimum": (gn.minimum, torch.minimum, np.minimum),
}
OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
@SETTINGS
@given(shapes=BROADCAST_PAIRS, seed=SEEDS)
def test_arithmetic_broadcasts_like_torch(name: str, shapes: Any, seed: int) -> None:
    op, torch_op, numpy_op = BINARY[name]
    a_shape, b_shape = shapes.input_shapes
    b = nonzero(b_shape, seed + 1) if name == "div" else normal(b_shape, seed + 1)
    out = check(op, torch_op, numpy_op, normal(a_shape, seed), b)
    assert out.shape == shapes.result_shape
    check(OPERATORS[name], torch_op, numpy_op, normal(a_shape, seed), b)  # a + b, a - b, a * b, a / b


@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_neg(shape: tuple[int, ...], seed: int) -> None:
    check(lambda x: -x, torch.neg, np.negative, normal(shape, seed))
    check(gn.engine.neg, torch.neg, np.negative, normal(shape, seed))


@pytest.mark.parametrize("p", [0, 1, 2, 3, -1, 0.5, -1.5, 2.5])
@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_pow_scalar_exponent(p: float, shape: tuple[int, ...], seed: int) -> None:
    check(lambda x: x**p, lambda t: t**p, lambda x: x**p, positive(shape, seed))


@pytest.mark.parametrize("p", [2, 3, 0])
@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_pow_integer_exponent_of_any_sign_base(p: int, shape: tuple[int, ...], seed: int) -> None:
    check(lambda x: gn.engine.pow(x, p), lambda t: torch.pow(t, p), lambda x: x**p, normal(shape, seed))


@SETTINGS
@given(shapes=BROADCAST_PAIRS, seed=SEEDS)
def test_pow_tensor_exponent_broadcasts(shapes: Any, seed: int) -> None:
    a_shape, b_shape = shapes.input_shapes
    check(lambda a, b: a**b, torch.pow, np.power, positive(a_shape, seed), normal(b_shape, seed + 1))


@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_pow_scalar_base_tensor_exponent(shape: tuple[int, ...], seed: int) -> None:
    check(lambda b: 2.0**b, lambda t: 2.0**t, lambda b: 2.0**b, normal(shape, seed))
    check(lambda b: gn.engine.pow(0.5, b), lambda t: torch.pow(0.5, t), lambda b: 0.5**b, normal(shape, seed))


def test_pow_tensor_exponent_at_zero_base_and_zero_exponent_matches_torch() -> None:
    # 0⁰ = 1: d/da = b·aᵇ⁻¹ is taken as 0 where b = 0; d/db = aᵇ ln a is taken as 0 where a = 0, b ≥ 0
    base, exponent = np.array([0.0, 0.0, 1.5, 2.0]), np.array([0.0, 2.0, 0.0, 1.0])
    check(lambda a, b: a**b, torch.pow, np.power, base, exponent)


def test_pow_ndarray_exponent_is_elementwise() -> None:
    x, t = pair([1.5, 2.0, 0.5])
    p = np.array([2.0, 0.0, -1.0])
    (x**p).backward(np.ones(3))
    (t ** torch.from_numpy(p)).backward(torch.ones(3))
    assert_close(x.grad, t.grad)


# ----------------------------------------------------------------------------- matmul, linear
@SETTINGS
@given(shapes=MATMUL_SHAPES, seed=SEEDS)
def test_matmul_vectors_matrices_and_batches(shapes: Any, seed: int) -> None:
    a_shape, b_shape = shapes.input_shapes
    out = check(lambda a, b: a @ b, torch.matmul, np.matmul, normal(a_shape, seed), normal(b_shape, seed + 1))
    assert out.shape == shapes.result_shape


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
     ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 2, 3), (4, 3, 2))],
)  # fmt: skip
def test_matmul_named_cases(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
    check(gn.matmul, torch.matmul, np.matmul, normal(a_shape, 0), normal(b_shape, 1))


@pytest.mark.parametrize("bias", [True, False])
@SETTINGS
@given(lead=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), seed=SEEDS)  # fmt: skip
def test_linear_is_x_Wt_plus_b(bias: bool, lead: tuple[int, ...], n_in: int, n_out: int, seed: int) -> None:
    arrays = [normal((*lead, n_in), seed), normal((n_out, n_in), seed + 1)]
    if bias:
        arrays.append(normal((n_out,), seed + 2))
    out = check(
        gn.engine.linear,
        torch.nn.functional.linear,
        lambda x, W, b=0.0: x @ W.T + b,  # z = x Wᵀ + b
        *arrays,
    )
    assert out.shape == (*lead, n_out)


def test_linear_only_weight_requires_grad() -> None:
    x = gn.tensor(normal((4, 3), 0))  # an input: no gradient wanted
    W, W_torch = pair(normal((2, 3), 1))
    b, b_torch = pair(normal((2,), 2))
    gn.engine.linear(x, W, b).backward(np.ones((4, 2)))
    torch.nn.functional.linear(to_torch(x), W_torch, b_torch).backward(torch.ones(4, 2))
    assert x.grad is None
    assert_close(W.grad, W_torch.grad)
    assert_close(b.grad, b_torch.grad)


# ----------------------------------------------------------------------------- reductions
@st.composite
def shape_and_axis(draw: Any) -> tuple[tuple[int, ...], int | tuple[int, ...] | None]:
    """A shape and an axis for it: None, an int (maybe negative) or a tuple of distinct axes."""
    shape = draw(SHAPES)
    ndim = len(shape)
    if ndim == 0:
        return shape, None
    one = st.integers(-ndim, ndim - 1)
    many = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
        lambda axes: st.tuples(*(st.sampled_from([a, a - ndim]) for a in axes))
    )
    return shape, draw(st.one_of(st.none(), one, many))


REDUCTIONS = {
    "sum": (gn.sum, torch.sum, np.sum),
    "mean": (gn.mean, torch.mean, np.mean),
    "max": (gn.max, torch.amax, np.max),  # amax/amin split the gradient evenly among ties
    "min": (gn.min, torch.amin, np.min),
}


def torch_reduce(torch_op: Callable[..., torch.Tensor], t: torch.Tensor, axis: Any, keepdims: bool) -> Any:
    if axis is None:
        out = torch_op(t)
        return out.reshape((1,) * t.ndim) if keepdims else out
    return torch_op(t, dim=axis, keepdim=keepdims)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@SETTINGS
@given(shape_axis=shape_and_axis(), keepdims=st.booleans(), seed=SEEDS)
def test_reductions(name: str, shape_axis: Any, keepdims: bool, seed: int) -> None:
    op, torch_op, numpy_op = REDUCTIONS[name]
    shape, axis = shape_axis
    x = grid(shape, seed)  # few distinct values: max and min see ties
    check(
        lambda t: op(t, axis=axis, keepdims=keepdims),
        lambda t: torch_reduce(torch_op, t, axis, keepdims),
        lambda a: numpy_op(a, axis=axis, keepdims=keepdims),
        x,
    )


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reduction_methods_equal_functions(name: str) -> None:
    x = gn.tensor(grid((3, 4), 0))
    function = REDUCTIONS[name][0]
    assert_close(getattr(x, name)(axis=-1, keepdims=True), function(x, axis=-1, keepdims=True).array)


def test_max_ties_split_the_gradient_evenly() -> None:
    # max(1, 3, 3) = 3 is reached twice, so each 3 gets half of dL/dmax = 1: grad = (0, 0.5, 0.5)
    x = gn.tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


# ----------------------------------------------------------------------------- elementwise
UNARY = {
    "exp": (gn.exp, torch.exp, np.exp, normal),
    "log": (gn.log, torch.log, np.log, positive),
    "sqrt": (gn.sqrt, torch.sqrt, np.sqrt, positive),
    "abs": (gn.abs, torch.abs, np.abs, nonzero),
    "sin": (gn.sin, torch.sin, np.sin, normal),
    "cos": (gn.cos, torch.cos, np.cos, normal),
}


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_unary(name: str, shape: tuple[int, ...], seed: int) -> None:
    op, torch_op, numpy_op, data = UNARY[name]
    check(op, torch_op, numpy_op, data(shape, seed))
    check(lambda t: getattr(t, name)(), torch_op, numpy_op, data(shape, seed))


def test_abs_at_zero_has_zero_gradient_as_torch() -> None:
    out = check(gn.abs, torch.abs, np.abs, np.array([-2.0, 0.0, 3.0, -0.0]))
    assert out.array[1] == 0.0


@pytest.mark.parametrize(("low", "high"), [(-0.5, 0.5), (None, 0.5), (-0.5, None), (0.0, 0.0)])
@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_clip(low: float | None, high: float | None, shape: tuple[int, ...], seed: int) -> None:
    # grid values land exactly on the bounds, where the gradient passes (bounds are inside)
    check(lambda x: x.clip(low, high), lambda t: torch.clamp(t, low, high),
          lambda x: np.clip(x, low, high), grid(shape, seed))  # fmt: skip


def test_clip_at_the_bounds_lets_the_gradient_through() -> None:
    x, t = pair([-1.0, -0.5, 0.0, 0.5, 1.0])
    gn.clip(x, -0.5, 0.5).backward(np.ones(5))
    torch.clamp(t, -0.5, 0.5).backward(torch.ones(5))
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    assert_close(x.grad, t.grad)


@SETTINGS
@given(shapes=BROADCAST_TRIPLES, seed=SEEDS)
def test_where_broadcasts(shapes: Any, seed: int) -> None:
    c_shape, a_shape, b_shape = shapes.input_shapes
    cond = np.asarray(np.random.default_rng(seed).random(c_shape) < 0.5)
    a, b = normal(a_shape, seed + 1), normal(b_shape, seed + 2)
    check(lambda a, b: gn.where(cond, a, b), lambda a, b: torch.where(torch.from_numpy(cond), a, b),
          lambda a, b: np.where(cond, a, b), a, b)  # fmt: skip


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@SETTINGS
@given(shapes=BROADCAST_PAIRS, seed=SEEDS)
def test_maximum_minimum_with_ties(name: str, shapes: Any, seed: int) -> None:
    op, torch_op, numpy_op = BINARY[name]
    a_shape, b_shape = shapes.input_shapes
    check(op, torch_op, numpy_op, grid(a_shape, seed), grid(b_shape, seed + 1))  # ties split 1/2 : 1/2


# ----------------------------------------------------------------------------- shape
@SETTINGS
@given(shape=SHAPES, seed=SEEDS, target=st.integers(0, 3))
def test_reshape(shape: tuple[int, ...], seed: int, target: int) -> None:
    new_shape = [(-1,), shape[::-1], (1, -1), (*shape, 1)][target]
    check(lambda x: x.reshape(new_shape), lambda t: t.reshape(new_shape),
          lambda x: x.reshape(new_shape), normal(shape, seed))  # fmt: skip
    check(lambda x: gn.reshape(x, new_shape), lambda t: t.reshape(new_shape),
          lambda x: x.reshape(new_shape), normal(shape, seed))  # fmt: skip


@SETTINGS
@given(shape=SHAPES, seed=SEEDS)
def test_transpose_T_reverses_axes(shape: tuple[int, ...], seed: int) -> None:
    reverse = tuple(range(len(shape)))[::-1]
    check(lambda x: x.T, lambda t: t.permute(reverse), lambda x: x.T, normal(shape, seed))


@st.composite
def shape_and_permutation(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A shape and a permutation of its axes, some written as negative axes."""
    shape = draw(NONEMPTY_SHAPES)
    ndim = len(shape)
    perm = draw(st.permutations(range(ndim)))
    return shape, tuple(draw(st.sampled_from([a, a - ndim])) for a in perm)


@SETTINGS
@given(shape_perm=shape_and_permutation(), seed=SEEDS)
def test_transpose_explicit_axes(shape_perm: Any, seed: int) -> None:
    shape, axes = shape_perm
    x = normal(shape, seed)
    check(lambda t: gn.transpose(t, axes), lambda t: t.permute(axes), lambda a: a.transpose(axes), x)
    check(lambda t: t.transpose(axes), lambda t: t.permute(axes), lambda a: a.transpose(axes), x)
    check(lambda t: t.permute(*axes), lambda t: t.permute(axes), lambda a: a.transpose(axes), x)
    if len(axes) != 2:  # two axes are PyTorch's transpose(dim0, dim1): a swap
        check(lambda t: t.transpose(*axes), lambda t: t.permute(axes), lambda a: a.transpose(axes), x)
    else:
        check(lambda t: t.transpose(*axes), lambda t: t.transpose(*axes), lambda a: a.swapaxes(*axes), x)


def gather_oracle(shape: tuple[int, ...], index: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    """torch's view of x[index] as a gather of flat positions: works for any NumPy index.

    NumPy computes which flat positions x[index] picks; torch gathers them and its backward
    scatters (adds) the gradient back. This checks negative steps, which torch cannot slice.
    """
    picked = np.array(np.arange(int(np.prod(shape))).reshape(shape)[index])  # a copy: torch wants strides ≥ 0
    return lambda t: t.reshape(-1)[torch.from_numpy(picked)]


@st.composite
def shape_and_basic_index(draw: Any) -> tuple[tuple[int, ...], Any]:
    shape = draw(SHAPES)
    return shape, draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))


@SETTINGS
@given(shape_index=shape_and_basic_index(), seed=SEEDS)
def test_getitem_basic_indices(shape_index: Any, seed: int) -> None:
    # ints, slices (negative steps included), None and Ellipsis
    shape, index = shape_index
    check(lambda x: x[index], gather_oracle(shape, index), lambda a: a[index], normal(shape, seed))


@st.composite
def shape_and_integer_index(draw: Any) -> tuple[tuple[int, ...], Any]:
    shape = draw(NONEMPTY_SHAPES)
    result_shapes = hnp.array_shapes(max_dims=2, max_side=5)
    return shape, draw(hnp.integer_array_indices(shape, result_shape=result_shapes))


@SETTINGS
@given(shape_index=shape_and_integer_index(), seed=SEEDS)
def test_getitem_integer_arrays_with_repeats(shape_index: Any, seed: int) -> None:
    # a tuple of integer arrays, one per leading axis; an element picked k times gets k gradients
    shape, index = shape_index
    torch_index = tuple(torch.from_numpy(i) for i in index)
    check(lambda x: x[index], lambda t: t[torch_index], lambda a: a[index], normal(shape, seed))


MASK = np.array([True, False, True, True])
GETITEM_CASES = [  # (index for glassnet and NumPy, the same index for torch)
    ((1, slice(None), 1), (1, slice(None), 1)),
    ((-1, slice(1, None)), (-1, slice(1, None))),
    ((None, Ellipsis, 0), (None, Ellipsis, 0)),
    ((Ellipsis, None, slice(None, 2)), (Ellipsis, None, slice(None, 2))),
    (np.array([0, 2, 0, 0]), torch.tensor([0, 2, 0, 0])),  # repeated rows add up
    ((np.array([0, 2, 0]), np.array([1, 1, 1])), (torch.tensor([0, 2, 0]), torch.tensor([1, 1, 1]))),
    ((slice(None), [3, 3, 0]), (slice(None), [3, 3, 0])),
    ((np.array([[0, 1], [1, 1]]), slice(None), np.array([0, 0])),
     (torch.tensor([[0, 1], [1, 1]]), slice(None), torch.tensor([0, 0]))),
    ((slice(None), MASK), (slice(None), torch.from_numpy(MASK))),
    (np.array([False, True, True]), torch.tensor([False, True, True])),
]  # fmt: skip


@pytest.mark.parametrize(("index", "torch_index"), GETITEM_CASES)
def test_getitem_named_cases(index: Any, torch_index: Any) -> None:
    x = normal((3, 4, 2), 0)
    check(lambda t: t[index], lambda t: t[torch_index], lambda a: a[index], x)


def test_getitem_boolean_mask_of_full_shape() -> None:
    x = normal((3, 4), 0)
    mask = x > 0
    check(lambda t: t[mask], lambda t: t[torch.from_numpy(mask)], lambda a: a[mask], x)
    check(lambda t: t[t > 0], lambda t: t[t > 0], lambda a: a[a > 0], x)


def test_getitem_negative_steps() -> None:
    x = normal((4, 5), 0)
    check(lambda t: t[::-1, ::-2], lambda t: t.flip(0, 1)[:, ::2], lambda a: a[::-1, ::-2], x)


@st.composite
def concat_case(draw: Any) -> tuple[list[tuple[int, ...]], int]:
    """Shapes that agree except along ``axis`` (maybe negative), and that axis."""
    shape = draw(NONEMPTY_SHAPES)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    shapes = []
    for n in sizes:
        s = list(shape)
        s[axis] = n
        shapes.append(tuple(s))
    return shapes, axis


@SETTINGS
@given(case=concat_case(), seed=SEEDS)
def test_concatenate(case: Any, seed: int) -> None:
    shapes, axis = case
    arrays = [normal(s, seed + i) for i, s in enumerate(shapes)]
    check(lambda *ts: gn.concatenate(ts, axis=axis), lambda *ts: torch.cat(ts, dim=axis),
          lambda *xs: np.concatenate(xs, axis=axis), *arrays)  # fmt: skip


@SETTINGS
@given(shape=SHAPES, n=st.integers(1, 3), seed=SEEDS, data=st.data())
def test_stack(shape: tuple[int, ...], n: int, seed: int, data: Any) -> None:
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [normal(shape, seed + i) for i in range(n)]
    check(lambda *ts: gn.stack(ts, axis=axis), lambda *ts: torch.stack(ts, dim=axis),
          lambda *xs: np.stack(xs, axis=axis), *arrays)  # fmt: skip


# ----------------------------------------------------------------------------- reflected operators
C = np.random.default_rng(7).uniform(0.5, 2.0, (3, 1))  # an ndarray constant, broadcast against (2, 3, 4)
REFLECTED = {  # (glassnet, torch, numpy) of a constant on the left of a tensor
    "2.0 - t": (lambda t: 2.0 - t, lambda t: 2.0 - t, lambda x: 2.0 - x),
    "1 / t": (lambda t: 1 / t, lambda t: 1 / t, lambda x: 1 / x),
    "3 * t": (lambda t: 3 * t, lambda t: 3 * t, lambda x: 3 * x),
    "0.5 + t": (lambda t: 0.5 + t, lambda t: 0.5 + t, lambda x: 0.5 + x),
    "2 ** t": (lambda t: 2**t, lambda t: 2**t, lambda x: 2**x),
    "ndarray + t": (lambda t: C + t, lambda t: torch.from_numpy(C) + t, lambda x: C + x),
    "ndarray - t": (lambda t: C - t, lambda t: torch.from_numpy(C) - t, lambda x: C - x),
    "ndarray * t": (lambda t: C * t, lambda t: torch.from_numpy(C) * t, lambda x: C * x),
    "ndarray / t": (lambda t: C / t, lambda t: torch.from_numpy(C) / t, lambda x: C / x),
    "ndarray ** t": (lambda t: C**t, lambda t: torch.from_numpy(C) ** t, lambda x: C**x),
    "ndarray @ t": (lambda t: C.T @ t, lambda t: torch.from_numpy(C.T) @ t, lambda x: C.T @ x),
}


@pytest.mark.parametrize("name", list(REFLECTED))
def test_reflected_operators(name: str) -> None:
    op, torch_op, numpy_op = REFLECTED[name]
    out = check(op, torch_op, numpy_op, nonzero((2, 3, 4), 3))
    assert isinstance(out, gn.Tensor)


# ----------------------------------------------------------------------------- gradcheck
def _t(array: np.ndarray) -> gn.Tensor:
    return gn.tensor(array, requires_grad=True)


X23, Y23, P23 = _t(normal((2, 3), 0)), _t(normal((2, 3), 1)), _t(positive((2, 3), 3))
Y3 = _t(nonzero((3,), 2))
D23, E23 = _t(distinct((2, 3), 4)), _t(distinct((2, 3), 5) + 0.05)  # no ties between or within them
GRADCHECK_CASES: dict[str, tuple[Callable[..., gn.Tensor], list[Any]]] = {
    "add": (lambda a, b: a + b, [X23, Y3]),
    "sub": (lambda a, b: a - b, [X23, Y3]),
    "mul": (lambda a, b: a * b, [X23, Y3]),
    "div": (lambda a, b: a / b, [X23, Y3]),
    "neg": (lambda a: -a, [X23]),
    "pow scalar": (lambda a: a**-1.5, [P23]),
    "pow tensor": (lambda a, b: a**b, [P23, Y3]),
    "pow scalar base": (lambda b: 3.0**b, [X23]),
    "matmul 2-D": (gn.matmul, [X23, _t(normal((3, 4), 6))]),
    "matmul 1-D @ 2-D": (gn.matmul, [_t(normal((2,), 7)), X23]),
    "matmul 2-D @ 1-D": (gn.matmul, [X23, _t(normal((3,), 8))]),
    "matmul 1-D @ 1-D": (gn.matmul, [_t(normal((3,), 9)), _t(normal((3,), 10))]),
    "matmul batched": (gn.matmul, [_t(normal((2, 1, 2, 3), 11)), _t(normal((3, 3, 2), 12))]),
    "linear": (gn.engine.linear, [_t(normal((2, 2, 3), 13)), _t(normal((4, 3), 14)), _t(normal((4,), 15))]),
    "linear no bias": (gn.engine.linear, [_t(normal((2, 3), 16)), _t(normal((4, 3), 17))]),
    "sum": (lambda a: a.sum(axis=(0, -1), keepdims=True), [_t(normal((2, 3, 2), 18))]),
    "mean": (lambda a: a.mean(axis=-2), [_t(normal((2, 3, 2), 19))]),
    "max": (lambda a: a.max(axis=1), [D23]),
    "min": (lambda a: a.min(), [D23]),
    "exp": (gn.exp, [X23]),
    "log": (gn.log, [P23]),
    "sqrt": (gn.sqrt, [P23]),
    "abs": (gn.abs, [_t(nonzero((2, 3), 20))]),
    "sin": (gn.sin, [X23]),
    "cos": (gn.cos, [X23]),
    "copy (clone)": (lambda a: a.clone() * a, [X23]),
    "clip": (lambda a: a.clip(-0.45, 0.45), [_t(grid((3, 4), 21) + 0.1)]),  # 0.1 off every bound
    "where": (lambda a, b: gn.where(np.array([True, False, True]), a, b), [X23, _t(normal((2, 1), 22))]),
    "maximum": (gn.maximum, [D23, E23]),
    "minimum": (gn.minimum, [D23, E23]),
    "reshape": (lambda a: a.reshape(3, 2), [X23]),
    "transpose": (lambda a: a.transpose(2, 0, 1), [_t(normal((2, 3, 2), 23))]),
    "getitem slice": (lambda a: a[::-1, 1:], [X23]),
    "getitem gather": (lambda a: a[[0, 0, 1], [2, 2, 0]], [X23]),
    "getitem mask": (lambda a: a[a.array > 0], [X23]),
    "concatenate": (lambda a, b: gn.concatenate([a, b], axis=-1), [X23, Y23]),
    "stack": (lambda a, b: gn.stack([a, b], axis=1), [X23, Y23]),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_gradcheck(name: str) -> None:
    fn, inputs = GRADCHECK_CASES[name]
    assert gn.gradcheck(fn, inputs) is True


def test_gradcheck_covers_every_primitive() -> None:
    covered = {name.split()[0] for name in GRADCHECK_CASES}
    helpers = {"as_tensor", "raw", "check", "compare", "detach"}  # no derivative of their own
    assert set(ops.__all__) - helpers <= covered


class BadSin(Op):
    @staticmethod
    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.sin(x), x

    @staticmethod
    def backward(g: np.ndarray, x: np.ndarray, needs: tuple[bool, ...]) -> tuple[np.ndarray]:
        return (g * np.sin(x),)  # should be cos


class BadMul(Op):
    @staticmethod
    def forward(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        return a * b, (a, b)

    @staticmethod
    def backward(g: np.ndarray, saved: tuple[np.ndarray, np.ndarray],
                 needs: tuple[bool, ...]) -> tuple[np.ndarray, ...]:
        _, b = saved
        return g * b, g  # db should be g·a


def test_gradcheck_catches_a_wrong_derivative() -> None:
    def bad_sin(x: gn.Tensor) -> gn.Tensor:
        return apply(BadSin, x)

    # at π/4, sin = cos, so the wrong rule agrees there; at 1.0 it does not: element (0, 1) fails
    a = gn.tensor(np.array([0.3]), requires_grad=True)
    x = gn.tensor(np.array([[np.pi / 4, 1.0], [2.0, 3.0]]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gn.gradcheck(lambda a, x: a.sum() + bad_sin(x).sum(), [a, x])
    message = str(info.value)
    assert "input 1" in message
    assert "index (0, 1)" in message
    backward, numeric = (float(v) for v in re.findall(r"gave (-?[\d.e+-]+)", message))
    assert backward == pytest.approx(np.sin(1.0), rel=1e-12)
    assert numeric == pytest.approx(np.cos(1.0), rel=1e-6)


def test_gradcheck_catches_a_wrong_broadcast_in_a_rule() -> None:
    def bad_mul(a: gn.Tensor, b: gn.Tensor) -> gn.Tensor:
        return apply(BadMul, a, b)

    with pytest.raises(GradcheckError, match="input 1 at index"):
        gn.gradcheck(bad_mul, [X23, Y3])
