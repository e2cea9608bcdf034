"""Fused nodes and compiled helpers compute the numbers of the general forms (to a few units in the last
place), and kept gradients never share memory unsafely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.engine import activation_ops, apply, kernels, loss_ops


def ulps(dtype: Any, n: float = 4) -> dict[str, float]:
    """assert_allclose's tolerances for n units in the last place of dtype."""
    return {"rtol": n * float(np.finfo(dtype).eps), "atol": n * float(np.finfo(dtype).tiny)}


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), c=st.integers(1, 12), scale=st.sampled_from([1e-3, 1.0, 30.0, 1e4]),
       dtype=st.sampled_from([np.float32, np.float64]), reduction=st.sampled_from(["mean", "sum", "none"]),
       seed=st.integers(0, 2**16))
def test_cross_entropy_with_class_indices_equals_the_general_path(
        n: int, c: int, scale: float, dtype: type, reduction: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, c)) * scale).astype(dtype)
    y = gn.tensor(rng.integers(0, c, n))
    fast_z, general_z = gn.tensor(logits.copy(), requires_grad=True), gn.tensor(logits, requires_grad=True)
    fast = loss_ops.cross_entropy(fast_z, y, reduction=reduction)
    general = loss_ops.cross_entropy(general_z, y, weight=np.ones(c), reduction=reduction)  # weighted form
    assert fast.dtype == general.dtype == dtype
    np.testing.assert_allclose(fast.array, general.array, **ulps(dtype, 8))
    upstream = rng.standard_normal(fast.shape).astype(dtype)
    fast.backward(upstream)
    general.backward(upstream)
    np.testing.assert_allclose(fast_z.grad, general_z.grad, rtol=16 * np.finfo(dtype).eps,
                               atol=16 * np.finfo(dtype).eps * float(np.abs(upstream).max()))


def test_leaf_gradients_never_share_memory() -> None:
    a, b = gn.tensor([1.0, 2.0], requires_grad=True), gn.tensor([3.0, 4.0], requires_grad=True)
    out = a + b  # the add rule hands the same upstream array to both inputs
    upstream = np.array([1.0, 1.0], dtype=np.float32)
    out.backward(upstream)
    assert a.grad_array is not b.grad_array and a.grad_array is not upstream and b.grad_array is not upstream
    a.grad[0] = 99.0
    assert b.grad[0] == 1.0 and upstream[0] == 1.0


GRAPHS = {
    "product": lambda w, x: (w * x).sum(),  # the rule's own product becomes .grad
    "matmul": lambda w, x: (x.T @ w).sum(),
    "view": lambda w, x: (w.reshape(6) * x.reshape(6)).sum(),  # a view of a product: copied
    "passthrough": lambda w, x: (w + x).sum(),  # the upstream gradient itself: copied
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_kept_gradients_accumulate_like_copies(name: str) -> None:
    rng = np.random.default_rng(0)
    fn = GRAPHS[name]
    w = gn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    x1, x2 = gn.tensor(rng.standard_normal((2, 3))), gn.tensor(rng.standard_normal((2, 3)))
    fn(w, x1).backward()
    g1, w.grad = w.grad_array.copy(), None
    fn(w, x2).backward()
    g2, w.grad = w.grad_array.copy(), None
    fn(w, x1).backward()
    fn(w, x2).backward()  # accumulates in place into the array kept from the first backward
    assert np.array_equal(w.grad, g1 + g2)


@settings(max_examples=25, deadline=None)
@given(shapes=st.lists(st.sampled_from([(3, 4), (5,), (2, 3, 2), (1, 1)]), min_size=1, max_size=4),
       kind=st.sampled_from(["l1", "l2", "elastic_net"]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**16))
def test_fused_weight_penalty_equals_the_penalty_composed_from_ops(
        shapes: list[tuple[int, ...]], kind: str, dtype: type, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    values[0].flat[0] = 0.0  # sign(0) = 0: the subgradient PyTorch takes
    fused_ws = [gn.nn.Parameter(v.copy()) for v in values]
    composed_ws = [gn.nn.Parameter(v.copy()) for v in values]
    reg = gn.regularizers.REGULARIZERS[kind](include_bias=True)  # 1-D tensors count too
    fused = reg(fused_ws)
    assert fused._op.name == "weight_penalty"  # one node for every weight
    terms = [reg.penalty(w) for w in composed_ws]
    composed = terms[0]
    for term in terms[1:]:
        composed = composed + term
    assert fused.dtype == composed.dtype
    np.testing.assert_allclose(fused.array, composed.array, **ulps(dtype))
    fused.backward()
    composed.backward()
    for a, b in zip(fused_ws, composed_ws, strict=True):
        np.testing.assert_allclose(a.grad, b.grad, **ulps(dtype))


def test_a_regularizer_with_its_own_penalty_is_not_fused() -> None:
    class Cubic(gn.regularizers.L2):
        def penalty(self, w: gn.Tensor) -> gn.Tensor:
            return self.l2 * (w * w * w).abs().sum()

    w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    assert Cubic(0.5)([w]).item() == 0.5 * 9


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 2000), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
       slope=st.sampled_from([0.01, 0.2, 1.5, -0.3, 0.0]))
def test_relu_helpers_equal_their_array_expressions(n: int, dtype: type, seed: int, slope: float) -> None:
    """max(x, 0) and g where x > 0, and LeakyReLU's x·s and g·s (s = 1 or a): a comparison, a choice
    and one product in the array's dtype, so the same bits (NaN, ±0 included) as the expression that
    multiplies by s (the rule as written before the helper)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf], dtype=dtype)
    x[: min(n, 5)], g[-min(n, 5):] = special[: min(n, 5)], special[: min(n, 5)]
    assert kernels.numba is not None, "the dev extra installs numba so the helpers are tested"
    for shape in [(n,), (1, n)]:
        with np.errstate(invalid="ignore"), patch.object(kernels, "MIN_SIZE", 1):  # every size
            fast = kernels.relu(x.reshape(shape))
            fast_grad = kernels.relu_grad(g.reshape(shape), x.reshape(shape))
            plain = np.maximum(x.reshape(shape), 0.0)
            plain_grad = np.where(x.reshape(shape) > 0, g.reshape(shape), 0.0)
            a = dtype(slope)  # LeakyReLU's helpers against x·s and g·s, s = 1 for x > 0 else a
            s = np.where(x.reshape(shape) > 0, dtype(1.0), a).astype(dtype)
            xs, gs = x.reshape(shape), g.reshape(shape)
            pairs = [(fast, plain), (fast_grad, plain_grad), (kernels.leaky_relu(xs, slope), xs * s),
                     (kernels.leaky_relu_grad(gs, xs, slope), gs * s)]
        for a, b in pairs:
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(np.isnan(a), np.isnan(b))
            keep = ~np.isnan(a)
            assert np.array_equal(a[keep].view(np.uint8), b[keep].view(np.uint8))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), c=st.integers(1, 140), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1e-30, 1e-3, 1.0, 30.0, 1e4]), special=st.booleans(),
       seed=st.integers(0, 2**16))
def test_row_helpers_equal_numpy_within_a_few_ulps(n: int, c: int, dtype: type, scale: float, special: bool,
                                                   seed: int) -> None:
    """The shift by the row maximum exactly (NaN included); the row sum within a few ulps."""
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, c)) * scale * 10 ** rng.uniform(-2, 2, (n, c))).astype(dtype)
    if special:
        z.flat[rng.integers(0, z.size, 3)] = [np.inf, -np.inf, np.nan]
    with np.errstate(all="ignore"):
        shifted, plain_shifted = kernels.shift_rows(z), z - z.max(axis=1, keepdims=True)
        assert shifted.shape == plain_shifted.shape == (n, c) and shifted.dtype == dtype
        np.testing.assert_array_equal(shifted, plain_shifted)
        positive = np.abs(z)  # sums of terms of one sign: a relative bound holds
        total, plain_total = kernels.row_sum(positive), positive.sum(axis=1, keepdims=True)
        assert total.shape == (n, 1) and total.dtype == dtype
        bound = 4 * float(np.finfo(dtype).eps) * max(np.log2(c), 1)  # pairwise summation's error
        np.testing.assert_allclose(total, plain_total, rtol=bound, atol=0)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), c=st.integers(1, 140), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1e-30, 1e-3, 1.0, 30.0, 1e4]), special=st.booleans(),
       seed=st.integers(0, 2**16))
def test_log_softmax_helper_is_within_a_few_ulps_of_its_expression(n: int, c: int, dtype: type, scale: float,
                                                                   special: bool, seed: int) -> None:
    """Within a few ulps of the terms of (x − max) − log Σ e^(x − max); NaN and ±inf where its are."""
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, c)) * scale * 10 ** rng.uniform(-2, 2, (n, c))).astype(dtype)
    if special:
        z.flat[rng.integers(0, z.size, 3)] = [np.inf, -np.inf, np.nan]
    with np.errstate(all="ignore"):
        fast = kernels.log_softmax_rows(z)
        with patch.object(kernels, "ENABLED", False):  # the op's array expression
            plain, _ = activation_ops.LogSoftmax.forward(z, 1)
        shifted = z - z.max(axis=1, keepdims=True)
        size = np.abs(shifted) + np.log(np.exp(shifted).sum(axis=1, keepdims=True)) + 1  # the sum is ≥ 1
    assert fast.shape == plain.shape == (n, c) and fast.dtype == plain.dtype == dtype
    assert np.array_equal(np.isnan(fast), np.isnan(plain))
    finite = np.isfinite(plain)
    assert np.array_equal(fast[~finite & ~np.isnan(plain)], plain[~finite & ~np.isnan(plain)])
    eps = float(np.finfo(dtype).eps)
    bound = 4 * eps * max(np.log2(c), 1) * size  # pairwise summation's error, then a subtraction
    assert np.all(np.abs(fast[finite] - plain[finite]) <= bound[finite])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), c=st.integers(1, 12), skip=st.sampled_from([-100, 0, 3]),
       index_dtype=st.sampled_from([np.int64, np.int32]), seed=st.integers(0, 2**16))
def test_class_helpers_pick_and_subtract_as_fancy_indexing(n: int, c: int, skip: int, index_dtype: type,
                                                          seed: int) -> None:
    """a[n, yₙ] and a[n, yₙ] −= 1 exactly; None (the caller checks) for a label out of range or skipped."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, c))
    y = rng.integers(-1, c + 1, n).astype(index_dtype)
    valid = bool(np.all((y >= 0) & (y < c) & (y != skip)))
    picked = kernels.pick_rows(a, y, skip)
    if not valid:
        assert picked is None
        y = np.clip(y, 0, c - 1)
    else:
        assert picked is not None and np.array_equal(picked, a[np.arange(n), y])
    fast, plain = a.copy(), a.copy()
    kernels.subtract_picked(fast, y)
    plain[np.arange(n), y] -= 1.0
    assert np.array_equal(fast, plain)


def _composed_squared_error(x: gn.Tensor, y: gn.Tensor, reduction: str) -> gn.Tensor:
    d = x - y  # the three nodes mse_loss would be composed of: sub, mul, and the reduction
    return loss_ops.reduce(d * d, reduction)


def _composed_bce_with_logits(z: gn.Tensor, y: gn.Tensor, pos_weight: np.ndarray | None,
                              reduction: str) -> gn.Tensor:
    per_element = apply(loss_ops.BCEWithLogits, z, y, pos_weight=pos_weight, reduction="none")
    return loss_ops.reduce(per_element, reduction)


Loss = Callable[[gn.Tensor, gn.Tensor], gn.Tensor]


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([(1,), (7,), (5, 1), (9, 3), (4, 2, 3)]),
       scale=st.sampled_from([1e-3, 1.0, 40.0, 1e4]), dtype=st.sampled_from([np.float32, np.float64]),
       reduction=st.sampled_from(["mean", "sum", "none"]),
       target_grad=st.booleans(), pos_weight=st.booleans(), seed=st.integers(0, 2**16))
def test_one_node_losses_equal_their_composed_forms(shape: tuple[int, ...], scale: float, dtype: type,
                                                    reduction: str, target_grad: bool, pos_weight: bool,
                                                    seed: int) -> None:
    """mse_loss and binary_cross_entropy_with_logits are one node each, with the composed numbers."""
    rng = np.random.default_rng(seed)
    x0 = (rng.standard_normal(shape) * scale).astype(dtype)
    y0 = rng.random(shape).astype(dtype)
    pw = rng.random(shape[-1:]).astype(dtype) * 3 if pos_weight else None
    upstream = rng.standard_normal(shape).astype(dtype) if reduction == "none" else None
    bce = loss_ops.binary_cross_entropy_with_logits
    pairs: list[tuple[Loss, Loss]] = [
        (lambda x, y: loss_ops.squared_error(x, y, reduction),
         lambda x, y: _composed_squared_error(x, y, reduction)),
        (lambda x, y: bce(x, y, None, pw, reduction),
         lambda x, y: _composed_bce_with_logits(x, y, pw, reduction)),
    ]
    for fused, composed in pairs:
        results = []
        for make in (fused, composed):
            x, y = gn.tensor(x0.copy(), requires_grad=True), gn.tensor(y0.copy(), requires_grad=target_grad)
            loss = make(x, y)
            loss.backward(upstream)
            results.append((loss.array, x.grad, y.grad))
        (value, gx, gy), (value_c, gx_c, gy_c) = results
        assert value.dtype == value_c.dtype == dtype
        np.testing.assert_allclose(value, value_c, **ulps(dtype))
        np.testing.assert_allclose(gx, gx_c, **ulps(dtype))
        assert (gy is None) == (gy_c is None) == (not target_grad)
        if gy is not None:
            np.testing.assert_allclose(gy, gy_c, **ulps(dtype))


def test_mse_loss_is_one_node() -> None:
    x = gn.tensor(np.ones((3, 2)), requires_grad=True)
    loss = gn.nn.functional.mse_loss(x, np.zeros((3, 2)))
    assert loss._op.name == "squared_error" and loss._parents[0] is x
