"""Fast paths compute exactly the numbers of the general paths, and never share memory unsafely."""

from __future__ import annotations

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
