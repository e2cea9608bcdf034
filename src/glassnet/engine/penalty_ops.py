"""The weight penalty R = Σ_W (l1·Σ|w| + l2·Σw²) over many tensors as one graph node.

Composed from ops, each weight matrix would add four nodes (abs or square, sum, scale, add) to
every training step's graph; fused, the whole penalty is one node whose rule gives every
tensor's gradient l1·sign(w) + 2·l2·w at once. The operations are those of the composed form
in the same order, so L1's and L2's numbers are the same bit for bit; with both terms (elastic
net) the two gradients are added in another order than the composed graph adds them, which can
differ in the last bits (``tests/test_fast_paths.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.engine import kernels
from glassnet.engine.tensor import Tensor, _make

__all__ = ["add_penalty_backward", "penalty_backward", "penalty_forward", "weight_penalty"]


def weight_penalty(ws: Sequence[Tensor], l1: float = 0.0, l2: float = 0.0) -> Tensor:
    """R = Σ_W (l1·Σ|w| + l2·Σw²), a 0-d Tensor; a zero strength leaves its term out.

    >>> import glassnet as gn, numpy as np
    >>> w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    >>> r = weight_penalty([w], l1=0.1, l2=0.1)   # 0.1·3 + 0.1·5
    >>> r.backward()
    >>> round(r.item(), 12), w.grad.tolist()       # l1·sign(w) + 2·l2·w
    (0.8, [[0.30000000000000004, -0.5]])
    """
    total = penalty_forward([w.data for w in ws], l1, l2)

    def rule(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return tuple(penalty_backward(g, w.data, l1, l2) if w.requires_grad else None for w in ws)

    return _make(total, tuple(ws), rule, "weight_penalty")


def penalty_forward(ws: Sequence[np.ndarray], l1: float, l2: float) -> np.ndarray:
    """R = Σ_W (l1·Σ|w| + l2·Σw²) over arrays, a 0-d array: the node's forward."""
    total: Any = None
    for w in ws:
        term: Any = None
        if l1:
            term = w.dtype.type(l1) * np.abs(w).sum()  # l1·Σ|w|
        if l2:
            square = w.dtype.type(l2) * (w * w).sum()  # l2·Σw²
            term = square if term is None else term + square
        if term is not None:
            total = term if total is None else total + term
    if total is None:  # no weights, or both strengths 0
        return np.zeros((), dtype=np.result_type(*ws) if ws else np.float32)
    return np.asarray(total)


def penalty_backward(g: np.ndarray, w: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """dL/dw = g·(l1·sign(w) + 2·l2·w) for one weight array w."""
    grad = None
    if l1:  # ∂(l1·Σ|w|)/∂w = l1·sign(w)
        grad = (g * w.dtype.type(l1)) * np.sign(w)
    if l2:  # ∂(l2·Σw²)/∂w = 2·l2·w, as the product rule gives it: l2·w + l2·w
        half = (g * w.dtype.type(l2)) * w
        grad = half + half if grad is None else grad + (half + half)
    return grad if grad is not None else np.zeros_like(w)


def add_penalty_backward(g: np.ndarray, w: np.ndarray, l1: float, l2: float, into: np.ndarray) -> None:
    """into ← into + penalty_backward(g, w, l1, l2), in place: a gradient that already holds dL/dw.

    For L2 alone, when numba is installed, one compiled pass does the same operations.
    """
    if not l1 and l2 and kernels.add_doubled_product(into, w, (g * w.dtype.type(l2))[()]):
        return
    np.add(into, penalty_backward(g, w, l1, l2), out=into)
