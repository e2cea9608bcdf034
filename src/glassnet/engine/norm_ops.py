"""Normalization and embedding lookup, each forward with its local derivative beside it.

``Normalize`` is LayerNorm's and BatchNorm's shared core, x̂ = (x − μ)/√(σ² + ε) over some axes
with the batch's own μ and σ², its backward fused (one node instead of a dozen, and the formula
of the paper); ``Standardize`` is the same map with μ and σ² given (BatchNorm in eval mode);
``EmbeddingLookup`` gathers rows of a table by integer index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glassnet.engine.backend import kind, namespace
from glassnet.engine.libraries import scatter_add
from glassnet.engine.op import Op
from glassnet.errors import GlassnetError

__all__ = ["EmbeddingLookup", "Normalize", "Standardize"]

Axes = tuple[int, ...]
Track = Callable[[Any, Any, int], None]  # (batch mean, biased batch variance, n per statistic)


class Normalize(Op):
    """x̂ = (x − μ)/√(σ² + ε), μ and σ² the mean and biased variance of x over ``axes``.

    Ioffe & Szegedy 2015, Algorithm 1 (BatchNorm, axes = the batch) and Ba et al. 2016, eq. 4
    (LayerNorm, axes = the features). ``track``, when given, is called with μ, σ² (flattened) and
    the number of elements each was taken over: BatchNorm's running statistics. It is an argument
    of the op, so a recorded step that runs the op again updates them as the graph would.
    """

    @staticmethod
    def forward(x: Any, axes: Axes, eps: float, track: Track | None = None) -> tuple[Any, Any]:
        xp = namespace(x)
        mu = xp.mean(x, axis=axes, keepdims=True)  # (1, C) for a batch, (n, 1) for features
        d = x - mu
        var = xp.mean(d * d, axis=axes, keepdims=True)  # biased: divides by n
        inv = 1.0 / xp.sqrt(var + eps)  # 1/√(σ² + ε)
        x_hat = d * inv  # x's shape
        if track is not None:
            track(xp.reshape(mu, (-1,)), xp.reshape(var, (-1,)), x.size // mu.size)
        return x_hat, (x_hat, inv, axes)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        # fused: through μ and σ² too, dL/dx = (g − mean(g) − x̂·mean(g ⊙ x̂)) / √(σ² + ε)
        x_hat, inv, axes = saved
        xp = namespace(g)
        mean_g = xp.mean(g, axis=axes, keepdims=True)
        mean_gx = xp.mean(g * x_hat, axis=axes, keepdims=True)
        return (inv * (g - mean_g - x_hat * mean_gx),)


class Standardize(Op):
    """(x − m)/√(v + ε) with m and v given (BatchNorm's running mean and variance in eval mode).

    ∂/∂x = 1/√(v + ε),  ∂/∂m = −1/√(v + ε),  ∂/∂v = −(x − m)/(2(v + ε)^{3/2}).
    """

    @staticmethod
    def forward(x: Any, m: Any, v: Any, eps: float) -> tuple[Any, Any]:
        inv = 1.0 / namespace(x).sqrt(v + eps)
        d = x - m
        return d * inv, (d, inv)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any, Any, Any]:
        d, inv = saved
        gx = g * inv
        return (gx if needs[0] else None, -gx if needs[1] else None,
                -0.5 * g * d * inv * inv * inv if needs[2] else None)


def _rows(indices: Any, n: int) -> Any:
    """``indices`` as integers in [0, n); floats holding whole numbers are accepted (fit gives a
    model its input in the parameters' dtype)."""
    xp = namespace(indices)
    if kind(indices) == "f" and bool(xp.all(indices == xp.round(indices))):
        indices = xp.astype(indices, xp.int64)
    if kind(indices) not in "iu":
        raise GlassnetError(f"an embedding takes integer indices, got dtype {indices.dtype}; pass "
                            "np.int64 indices (whole numbers)")
    if indices.size and (int(xp.min(indices)) < 0 or int(xp.max(indices)) >= n):
        bad = int(xp.min(indices)) if int(xp.min(indices)) < 0 else int(xp.max(indices))
        raise GlassnetError(f"embedding index {bad} is out of range: the table has {n} rows "
                            f"(num_embeddings), so indices go from 0 to {n - 1}")
    return indices


class EmbeddingLookup(Op):
    """y = W[i]: row iₚ of the table W for every position p of the index array.

    ∂L/∂W[j] = Σ over positions p with iₚ = j of gₚ (a row used k times gets k gradients), and 0
    for ``padding_idx``'s row; the indices have no gradient.
    """

    @staticmethod
    def forward(W: Any, indices: Any, padding_idx: int | None) -> tuple[Any, Any]:
        rows = _rows(indices, W.shape[0])
        xp = namespace(W)
        y = xp.take(W, xp.reshape(rows, (-1,)), axis=0)  # (positions, dim)
        return xp.reshape(y, (*rows.shape, W.shape[1])), (W.shape, rows, padding_idx)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any, None]:
        shape, rows, padding_idx = saved
        xp = namespace(g)
        flat_g = xp.reshape(g, (-1, shape[1]))  # (positions, dim)
        flat_i = xp.reshape(rows, (-1,))
        gW = scatter_add(shape, flat_i, flat_g)  # the gradients of a repeated row add up
        if padding_idx is not None:
            gW[padding_idx, ...] = 0
        return gW, None
