"""Primitive operations: each forward computation with its local derivative right beside it.

A rule receives ``g = dL/d(out)`` (same shape as the output) and returns ``dL/d(input)`` for each
input, still in the broadcast shape: the engine (``tensor.py``) undoes broadcasting and adds the
result into the input's gradient. Rules never modify ``g`` in place.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.engine import kernels
from glassnet.engine.tensor import ArrayLike, Tensor, _make

__all__ = [
    "abs", "add", "clip", "concatenate", "div", "exp", "getitem", "linear", "linear_backward",
    "linear_forward", "log", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "pow",
    "reshape", "sqrt", "stack", "sub", "sum", "transpose", "where",
]  # fmt: skip

Axis = int | tuple[int, ...] | None


def raw(x: ArrayLike) -> Any:
    """The ndarray inside a Tensor, or the value itself."""
    return x.data if isinstance(x, Tensor) else x


def as_tensor(x: ArrayLike, like: Tensor | None = None) -> Tensor:
    """A Tensor for ``x``; a Python number takes the floating dtype of ``like`` (as in NumPy 2)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, int | float) and like is not None and like.dtype.kind == "f":
        return Tensor(np.asarray(x, dtype=like.dtype))
    return Tensor(x)


def _pair(a: ArrayLike, b: ArrayLike) -> tuple[Tensor, Tensor]:
    a_t = as_tensor(a, b if isinstance(b, Tensor) else None)
    return a_t, as_tensor(b, a_t)


# ----------------------------------------------------------------------------- arithmetic
def add(a: ArrayLike, b: ArrayLike) -> Tensor:
    a, b = _pair(a, b)
    # d(a + b)/da = 1, d(a + b)/db = 1
    return _make(a.data + b.data, (a, b), lambda g: (g, g), "add")


def sub(a: ArrayLike, b: ArrayLike) -> Tensor:
    a, b = _pair(a, b)
    # d(a - b)/da = 1, d(a - b)/db = -1
    return _make(a.data - b.data, (a, b), lambda g: (g, -g), "sub")


def mul(a: ArrayLike, b: ArrayLike) -> Tensor:
    a, b = _pair(a, b)
    # d(a·b)/da = b, d(a·b)/db = a
    return _make(a.data * b.data, (a, b), lambda g: (g * b.data, g * a.data), "mul")


def div(a: ArrayLike, b: ArrayLike) -> Tensor:
    a, b = _pair(a, b)
    out = a.data / b.data
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
    return _make(out, (a, b), lambda g: (g / b.data, -g * out / b.data), "div")


def neg(a: ArrayLike) -> Tensor:
    a = as_tensor(a)
    return _make(-a.data, (a,), lambda g: (-g,), "neg")


def pow(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a ** b for a scalar or tensor exponent."""
    if not isinstance(b, Tensor) and np.ndim(b) == 0:  # constant exponent p: d(aᵖ)/da = p·aᵖ⁻¹
        a, p = as_tensor(a), b
        out = a.data**p

        def rule_scalar(g: np.ndarray) -> tuple[np.ndarray]:
            if p == 0:
                return (np.zeros_like(g),)
            return (g * p * a.data ** (p - 1),)

        return _make(out, (a,), rule_scalar, "pow")
    a, b = _pair(a, b)
    out = a.data**b.data

    def rule(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # d(aᵇ)/da = b·aᵇ⁻¹ (taken as 0 where b = 0),  d(aᵇ)/db = aᵇ·ln a  (taken as 0 where a = 0
        # and b ≥ 0), both as PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = np.where(b.data == 0, 0.0, g * b.data * a.data ** (b.data - 1))
            gb = np.where((a.data == 0) & (b.data >= 0), 0.0, g * out * np.log(a.data))
        return ga, gb.astype(out.dtype, copy=False)

    return _make(out, (a, b), rule, "pow")


def matmul(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Matrix product with NumPy's rules: vectors, matrices and broadcast batches of matrices."""
    a, b = _pair(a, b)
    A, B = a.data, b.data

    def rule(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # C = A B  =>  dL/dA = G Bᵀ,  dL/dB = Aᵀ G  (vectors promoted to matrices, as NumPy does)
        A2 = A[None, :] if A.ndim == 1 else A
        B2 = B[:, None] if B.ndim == 1 else B
        G = g[..., None] if B.ndim == 1 else g  # B's axis first: for vector @ vector g is 0-d
        G = G[..., None, :] if A.ndim == 1 else G
        ga = G @ np.swapaxes(B2, -1, -2) if a.requires_grad else None
        gb = np.swapaxes(A2, -1, -2) @ G if b.requires_grad else None
        if ga is not None and A.ndim == 1:
            ga = ga[..., 0, :]
        if gb is not None and B.ndim == 1:
            gb = gb[..., 0]
        return ga, gb

    return _make(A @ B, (a, b), rule, "matmul")


def linear(x: ArrayLike, W: Tensor, b: Tensor | None = None) -> Tensor:
    """z = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features).

    Fused for speed: one node instead of three (transpose, matmul, add). The arithmetic is
    :func:`linear_forward` and :func:`linear_backward`, which fit's fused step calls directly.
    """
    x = as_tensor(x)
    flat = x.data.ndim == 2
    X = x.data if flat else x.data.reshape(-1, x.shape[-1])  # (n_samples, in_features)
    z = linear_forward(X, W.data, None if b is None else b.data)  # (n_samples, out_features)

    def rule(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        G = g if flat else g.reshape(-1, W.shape[0])  # (n_samples, out_features)
        gx, gW, gb = linear_backward(G, X, W.data, x.requires_grad, W.requires_grad,
                                     b is not None and b.requires_grad)
        if gx is not None and not flat:
            gx = gx.reshape(x.shape)
        return (gx, gW) if b is None else (gx, gW, gb)

    parents = (x, W) if b is None else (x, W, b)
    return _make(z if flat else z.reshape(*x.shape[:-1], W.shape[0]), parents, rule, "linear")


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """z = X Wᵀ + b for X (n_samples, in_features): a new (n_samples, out_features) array."""
    z = X @ W.T  # (n_samples, out_features)
    if b is not None:
        kernels.add_rows(z, b)  # z += b
    return z


def linear_backward(G: np.ndarray, X: np.ndarray, W: np.ndarray, need_x: bool, need_W: bool,
                    need_b: bool) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dL/dX, dL/dW, dL/db) = (G W, Gᵀ X, Σₙ Gₙ) for G = dL/dz (n_samples, out_features).

    Each is None where not needed (an input without grad, a frozen parameter, no bias).
    """
    gx = G @ W if need_x else None  # (n_samples, in_features)
    gW = G.T @ X if need_W else None  # (out_features, in_features)
    return gx, gW, kernels.column_sum(G) if need_b else None  # (out_features,)


# ----------------------------------------------------------------------------- elementwise
def exp(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    out = np.exp(x.data)
    return _make(out, (x,), lambda g: (g * out,), "exp")  # d eˣ/dx = eˣ


def log(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    return _make(np.log(x.data), (x,), lambda g: (g / x.data,), "log")  # d ln x/dx = 1/x


def sqrt(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    out = np.sqrt(x.data)
    return _make(out, (x,), lambda g: (g * 0.5 / out,), "sqrt")  # d√x/dx = 1/(2√x)


def abs(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    # d|x|/dx = sign(x), taken as 0 at x = 0 (as PyTorch)
    return _make(np.abs(x.data), (x,), lambda g: (g * np.sign(x.data),), "abs")


def clip(x: ArrayLike, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamp into [min, max]; the gradient passes where min ≤ x ≤ max (bounds included)."""
    x = as_tensor(x)
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x.data >= min
    if max is not None:
        inside &= x.data <= max
    out = np.clip(x.data, min, max).astype(x.dtype, copy=False)
    return _make(out, (x,), lambda g: (g * inside,), "clip")


def where(condition: ArrayLike, a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise ``a`` where condition holds, else ``b``; each gets the gradient of its picks."""
    cond = np.asarray(raw(condition), dtype=bool)
    a, b = _pair(a, b)
    zero = np.zeros((), dtype=np.result_type(a.data, b.data))
    rule = lambda g: (np.where(cond, g, zero), np.where(cond, zero, g))  # noqa: E731
    return _make(np.where(cond, a.data, b.data), (a, b), rule, "where")


def maximum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise maximum; at ties each input gets half the gradient (as PyTorch)."""
    a, b = _pair(a, b)
    share_a = (a.data > b.data) + 0.5 * (a.data == b.data)
    rule = lambda g: (g * share_a, g * (1.0 - share_a))  # noqa: E731
    return _make(np.maximum(a.data, b.data), (a, b), rule, "maximum")


def minimum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise minimum; at ties each input gets half the gradient (as PyTorch)."""
    a, b = _pair(a, b)
    share_a = (a.data < b.data) + 0.5 * (a.data == b.data)
    rule = lambda g: (g * share_a, g * (1.0 - share_a))  # noqa: E731
    return _make(np.minimum(a.data, b.data), (a, b), rule, "minimum")


# ----------------------------------------------------------------------------- reductions
def _expand(g: np.ndarray, shape: tuple[int, ...], axis: Axis, keepdims: bool) -> np.ndarray:
    """Put back the reduced axes of ``g`` and broadcast it to ``shape`` (a read-only view)."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = as_tensor(x)
    # every summed element has derivative 1: the gradient is copied back over the reduced axes
    rule = lambda g: (_expand(g, x.shape, axis, keepdims),)  # noqa: E731
    return _make(np.asarray(x.data.sum(axis=axis, keepdims=keepdims)), (x,), rule, "sum")


def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = as_tensor(x)
    out = np.asarray(x.data.mean(axis=axis, keepdims=keepdims))
    n = x.data.size // builtins.max(out.size, 1) if x.size else 1
    # d mean/dxᵢ = 1/n over each reduced group of n elements
    rule = lambda g: (_expand(g / n, x.shape, axis, keepdims),)  # noqa: E731
    return _make(out, (x,), rule, "mean")


def _extreme(x: Tensor, axis: Axis, keepdims: bool, which: str) -> Tensor:
    reduce = x.data.max if which == "max" else x.data.min
    best = reduce(axis=axis, keepdims=True)
    is_best = x.data == best
    share = is_best / is_best.sum(axis=axis, keepdims=True)  # ties split the gradient evenly
    out = best if keepdims else np.squeeze(best, axis=axis)
    rule = lambda g: (_expand(g, x.shape, axis, keepdims) * share,)  # noqa: E731
    return _make(np.asarray(out), (x,), rule, which)


def max(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Largest value; the gradient goes to the maximal elements (split evenly among ties)."""
    return _extreme(as_tensor(x), axis, keepdims, "max")


def min(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Smallest value; the gradient goes to the minimal elements (split evenly among ties)."""
    return _extreme(as_tensor(x), axis, keepdims, "min")


# ----------------------------------------------------------------------------- shape
def reshape(x: ArrayLike, shape: Sequence[int]) -> Tensor:
    x = as_tensor(x)
    return _make(x.data.reshape(shape), (x,), lambda g: (g.reshape(x.shape),), "reshape")


def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None); the gradient is permuted back."""
    x = as_tensor(x)
    perm = tuple(range(x.ndim))[::-1] if axes is None else tuple(axes)
    out = x.data.transpose(perm)  # validates perm; negative axes count from the end
    inverse = tuple(np.argsort([i % x.ndim for i in perm]))
    return _make(out, (x,), lambda g: (g.transpose(inverse),), "transpose")


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) never picks an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    basic = (int, slice, type(None), type(Ellipsis), np.integer)
    return builtins.all(isinstance(p, basic) and not isinstance(p, bool) for p in parts)


def getitem(x: ArrayLike, index: Any) -> Tensor:
    """x[index]: slicing, masks and integer-array gathering (repeated indices add up)."""
    x = as_tensor(x)
    index = tuple(raw(i) for i in index) if isinstance(index, tuple) else raw(index)

    def rule(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.zeros(x.shape, dtype=g.dtype)
        if _is_basic(index):
            grad[index] = g
        else:
            np.add.at(grad, index, g)  # an element gathered k times gets k gradients
        return (grad,)

    return _make(np.asarray(x.data[index]), (x,), rule, "getitem")


def concatenate(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join along an existing axis; each input gets back its own slice of the gradient."""
    ts = tuple(as_tensor(t) for t in tensors)
    ends = np.cumsum([t.shape[axis] for t in ts])[:-1]
    rule = lambda g: tuple(np.split(g, ends, axis=axis))  # noqa: E731
    return _make(np.concatenate([t.data for t in ts], axis=axis), ts, rule, "concatenate")


def stack(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join along a new axis; each input gets back its own slice of the gradient."""
    ts = tuple(as_tensor(t) for t in tensors)
    out = np.stack([t.data for t in ts], axis=axis)
    rule = lambda g: tuple(np.moveaxis(g, axis, 0))  # noqa: E731
    return _make(out, ts, rule, "stack")
