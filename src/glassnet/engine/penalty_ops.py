"""The weight penalty R = Σ_W (l1·Σ|w| + l2·Σw²) over many tensors as one graph node.

Composed from ops, each weight matrix would add four nodes (abs or square, sum, scale, add) to
every training step's graph; fused, the whole penalty is one node whose rule gives every
tensor's gradient l1·sign(w) + 2·l2·w at once. The operations are those of the composed form
in the same order, so L1's and L2's numbers are the same bit for bit (L2's gradient doubles
g·l2 before the product instead of adding two equal products: doubling is exact, so the bits
are the same unless the result is subnormal, and one pass over w is saved); with both terms
(elastic net) the two gradients are added in another order than the composed graph adds them,
which can differ in the last bits (``tests/test_fast_paths.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glassnet.engine.backend import constant, device, namespace
from glassnet.engine.op import Op, apply
from glassnet.engine.tensor import Tensor

__all__ = ["WeightPenalty", "weight_penalty"]


class WeightPenalty(Op):
    """R = Σ_W (l1·Σ|w| + l2·Σw²) over the input arrays, a 0-d array; a zero strength is left out."""

    @staticmethod
    def forward(*ws: Any, l1: float, l2: float) -> tuple[Any, Any]:
        total: Any = None
        for w in ws:
            xp = namespace(w)
            term: Any = None
            if l1:
                term = constant(l1, w) * xp.sum(xp.abs(w))  # l1·Σ|w|
            if l2:
                square = constant(l2, w) * xp.sum(w * w)  # l2·Σw²
                term = square if term is None else term + square
            if term is not None:
                total = term if total is None else total + term
        if total is None:  # both strengths 0
            total = namespace(ws[0]).zeros((), dtype=ws[0].dtype, device=device(ws[0]))
        return total, (ws, l1, l2)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any, ...]:
        ws, l1, l2 = saved
        return tuple(_gradient(g, w, l1, l2) if need else None for w, need in zip(ws, needs, strict=True))


def _gradient(g: Any, w: Any, l1: float, l2: float) -> Any:
    """∂L/∂w = g·(l1·sign(w) + 2·l2·w) for one weight array w."""
    xp = namespace(w)
    grad = None
    if l1:  # ∂(l1·Σ|w|)/∂w = l1·sign(w)
        grad = (g * constant(l1, w)) * xp.sign(w)
    if l2:  # ∂(l2·Σw²)/∂w = 2·l2·w, as (2·(g·l2))·w (see the module docstring)
        scale = g * constant(l2, w)
        twice = (scale + scale) * w
        grad = twice if grad is None else grad + twice
    return grad if grad is not None else xp.zeros_like(w)


def weight_penalty(ws: Sequence[Tensor], l1: float = 0.0, l2: float = 0.0) -> Tensor:
    """R = Σ_W (l1·Σ|w| + l2·Σw²), a 0-d Tensor; a zero strength leaves its term out.

    >>> import glassnet as gn, numpy as np
    >>> w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    >>> r = weight_penalty([w], l1=0.1, l2=0.1)   # 0.1·3 + 0.1·5
    >>> r.backward()
    >>> round(r.item(), 12), w.grad.tolist()       # l1·sign(w) + 2·l2·w
    (0.8, [[0.30000000000000004, -0.5]])
    """
    return apply(WeightPenalty, *ws, l1=l1, l2=l2)
