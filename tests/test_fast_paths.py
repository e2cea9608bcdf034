"""Fast paths compute exactly the numbers of the general paths, and never share memory unsafely."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.engine import loss_ops


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), c=st.integers(1, 12), scale=st.sampled_from([1e-3, 1.0, 30.0, 1e4]),
       dtype=st.sampled_from([np.float32, np.float64]), reduction=st.sampled_from(["mean", "sum", "none"]),
       seed=st.integers(0, 2**16))
def test_cross_entropy_with_class_indices_equals_the_general_path(
        n: int, c: int, scale: float, dtype: type, reduction: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, c)) * scale).astype(dtype)
    y = rng.integers(0, c, n)
    fast_z, general_z = gn.tensor(logits.copy(), requires_grad=True), gn.tensor(logits, requires_grad=True)
    fast = loss_ops.cross_entropy(fast_z, y, reduction=reduction)
    general = loss_ops.cross_entropy(general_z, y, weight=np.ones(c), reduction=reduction)  # no fast path
    assert fast.dtype == general.dtype == dtype
    assert np.array_equal(fast.data, general.data)
    upstream = rng.standard_normal(fast.shape).astype(dtype)
    fast.backward(upstream)
    general.backward(upstream)
    assert np.array_equal(fast_z.grad, general_z.grad)


def test_leaf_gradients_never_share_memory() -> None:
    a, b = gn.tensor([1.0, 2.0], requires_grad=True), gn.tensor([3.0, 4.0], requires_grad=True)
    out = a + b  # the add rule hands the same upstream array to both inputs
    upstream = np.array([1.0, 1.0], dtype=np.float32)
    out.backward(upstream)
    assert a.grad is not b.grad and a.grad is not upstream and b.grad is not upstream
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
    g1, w.grad = w.grad.copy(), None
    fn(w, x2).backward()
    g2, w.grad = w.grad.copy(), None
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
    assert fused._op == "weight_penalty"  # one node for every weight
    terms = [reg.penalty(w) for w in composed_ws]
    composed = terms[0]
    for term in terms[1:]:
        composed = composed + term
    assert fused.dtype == composed.dtype and np.array_equal(fused.data, composed.data)
    fused.backward()
    composed.backward()
    for a, b in zip(fused_ws, composed_ws, strict=True):
        if kind == "elastic_net":  # the two paths add l1·sign(w) and 2·l2·w in another order
            np.testing.assert_allclose(a.grad, b.grad, rtol=4 * np.finfo(dtype).eps, atol=0)
        else:
            assert np.array_equal(a.grad, b.grad)


def test_a_regularizer_with_its_own_penalty_is_not_fused() -> None:
    class Cubic(gn.regularizers.L2):
        def penalty(self, w: gn.Tensor) -> gn.Tensor:
            return self.l2 * (w * w * w).abs().sum()

    w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    assert Cubic(0.5)([w]).item() == 0.5 * 9


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 2000), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_relu_kernels_equal_numpy_bit_for_bit(n: int, dtype: type, seed: int) -> None:
    from glassnet.engine import kernels

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf], dtype=dtype)
    x[: min(n, 5)], g[-min(n, 5):] = special[: min(n, 5)], special[: min(n, 5)]
    assert kernels.numba is not None, "the dev extra installs numba so the kernels are tested"
    for shape in [(n,), (1, n)]:
        with np.errstate(invalid="ignore"), patch.object(kernels, "ELEMENTWISE_MIN_SIZE", 1):  # every size
            fast = kernels.relu(x.reshape(shape))
            fast_grad = kernels.relu_grad(g.reshape(shape), x.reshape(shape))
            plain, plain_grad = np.maximum(x.reshape(shape), 0), g.reshape(shape) * (x.reshape(shape) > 0)
        for a, b in ((fast, plain), (fast_grad, plain_grad)):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a.view(np.uint8), b.view(np.uint8))  # bits: NaN and −0 included


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), m=st.integers(1, 70), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1e-3, 1.0, 1e30]), seed=st.integers(0, 2**16))
def test_bias_kernels_equal_numpy_bit_for_bit(n: int, m: int, dtype: type, scale: float, seed: int) -> None:
    from glassnet.engine import kernels

    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, m)) * scale).astype(dtype)
    b = (rng.standard_normal(m) * scale).astype(dtype)
    z.flat[0], b[-1] = -0.0, np.nan
    z[:, -1] = -0.0  # a column of −0 sums to +0, as NumPy's sums start from +0
    fast, plain = z.copy(), z.copy()
    with patch.object(kernels, "ELEMENTWISE_MIN_SIZE", 1):  # the kernel at every size
        kernels.add_rows(fast, b)
    plain += b
    assert np.array_equal(fast.view(np.uint8), plain.view(np.uint8))
    with np.errstate(over="ignore"):
        fast_sum, plain_sum = kernels.column_sum(z), z.sum(axis=0)
    assert fast_sum.dtype == plain_sum.dtype and fast_sum.shape == plain_sum.shape
    assert np.array_equal(fast_sum.view(np.uint8), plain_sum.view(np.uint8))


def _composed_squared_error(x: gn.Tensor, y: gn.Tensor, reduction: str) -> gn.Tensor:
    d = x - y  # the three nodes mse_loss was composed of: sub, mul, and the reduction
    return loss_ops.reduce(d * d, reduction)


def _composed_bce_with_logits(z: gn.Tensor, y: gn.Tensor, pos_weight: np.ndarray | None,
                              reduction: str) -> gn.Tensor:
    return loss_ops.reduce(loss_ops._sigmoid_bce(z, y, pos_weight, "none"), reduction)


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
    for fused, composed in ((lambda x, y: loss_ops.squared_error(x, y, reduction),
                             lambda x, y: _composed_squared_error(x, y, reduction)),
                            (lambda x, y: bce(x, y, None, pw, reduction),
                             lambda x, y: _composed_bce_with_logits(x, y, pw, reduction))):
        results = []
        for make in (fused, composed):
            x, y = gn.tensor(x0.copy(), requires_grad=True), gn.tensor(y0.copy(), requires_grad=target_grad)
            loss = make(x, y)
            loss.backward(upstream)
            results.append((loss.data, x.grad, y.grad))
        (value, gx, gy), (value_c, gx_c, gy_c) = results
        assert value.dtype == value_c.dtype == dtype and np.array_equal(value, value_c)
        assert np.array_equal(gx, gx_c)
        assert (gy is None) == (gy_c is None) == (not target_grad)
        assert gy is None or np.array_equal(gy, gy_c)


def test_mse_loss_is_one_node() -> None:
    x = gn.tensor(np.ones((3, 2)), requires_grad=True)
    loss = gn.nn.functional.mse_loss(x, np.zeros((3, 2)))
    assert loss._op == "squared_error" and loss._parents[0] is x


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, shape and bits, signed zeros included; NaN where NaN, whatever its payload."""
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    keep = ~np.isnan(a)
    return np.array_equal(a[keep].view(np.uint8), b[keep].view(np.uint8))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(26, 300), c=st.integers(1, 140), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1e-30, 1e-3, 1.0, 30.0, 1e4]), special=st.booleans(),
       seed=st.integers(0, 2**16))
def test_softmax_kernels_equal_numpy_bit_for_bit(n: int, c: int, dtype: type, scale: float, special: bool,
                                                 seed: int) -> None:
    """The row kernels of softmax cross-entropy: NumPy's operations, NumPy's summation order."""
    from glassnet.engine import kernels

    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, c)) * scale * 10 ** rng.uniform(-2, 2, (n, c))).astype(dtype)
    if special:  # signed zeros, infinities and NaN go through the same operations
        z.flat[rng.integers(0, z.size, 4)] = [-0.0, np.inf, -np.inf, np.nan]
        z[1], z[:, 0] = -0.0, -0.0  # a row and a column of −0
    y = rng.integers(0, c, n)
    with np.errstate(all="ignore"):
        compiled = kernels.log_softmax_picked(z, y)
        assert (compiled is None) == (c > 128 or z.size < kernels.MIN_SIZE)  # long rows keep NumPy's sums
        if compiled is not None:
            shifted = z - kernels.row_max(z)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            assert _same_bits(compiled[0], log_p) and _same_bits(compiled[1], -log_p[np.arange(n), y])
        flat = z.reshape(-1)
        assert _same_bits(kernels.vector_sum(flat), np.asarray(flat.sum()))
        for size in (1, 7, 8, 9, 127, 128, 129, 300):
            for part in (flat[:size].copy(), np.full(size, -0.0, dtype=dtype)):
                assert _same_bits(kernels.vector_sum(part), np.asarray(part.sum()))
        scale_0d = np.asarray(rng.standard_normal(), dtype=dtype)
        fast, plain = np.abs(z), np.abs(z)
        kernels.softmax_minus_onehot(fast, y, scale_0d)
        plain[np.arange(n), y] -= 1.0
        plain *= scale_0d
        assert _same_bits(fast, plain)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(256, 5000), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1e-30, 1e-3, 1.0, 1e30]), seed=st.integers(0, 2**16))
def test_l2_gradient_kernel_equals_numpy_bit_for_bit(n: int, dtype: type, scale: float, seed: int) -> None:
    """L2's gradient added to a weight's in one compiled pass: into + (t·w + t·w), as NumPy adds it."""
    from glassnet.engine import kernels, penalty_ops

    rng = np.random.default_rng(seed)
    w = (rng.standard_normal(n) * scale).astype(dtype)
    w[:3] = [-0.0, 0.0, np.inf]
    into = rng.standard_normal(n).astype(dtype)
    g = np.asarray(rng.random() + 0.5, dtype=dtype)
    expected = into + penalty_ops.penalty_backward(g, w, 0.0, 0.01)
    fast = into.copy()
    assert kernels.add_doubled_product(fast, w, (g * w.dtype.type(0.01))[()])
    assert _same_bits(fast, expected)
    fast = into.copy()
    penalty_ops.add_penalty_backward(g, w, 0.0, 0.01, into=fast)
    assert _same_bits(fast, expected)
