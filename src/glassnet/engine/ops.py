"""Primitive operations: each forward computation with its local derivative right beside it.

Every operation is an :class:`~glassnet.engine.tensor.Op`: ``forward`` maps the input arrays
(and any non-array arguments) to the output and what backward needs; ``backward`` maps
``g = ∂L/∂out`` to ``∂L/∂input`` for each input, still in the broadcast shape: the engine
(``autograd.py``) sums broadcasting away and adds the result into the input's gradient. Rules
never modify ``g`` in place, and take their array module from their inputs (``backend.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.engine.backend import NUMPY, device, kind, namespace
from glassnet.engine.op import Op, apply, as_tensor, raw
from glassnet.engine.tensor import ArrayLike, Tensor

__all__ = [
    "abs", "add", "as_tensor", "check", "clip", "compare", "concatenate", "copy", "cos", "detach", "div",
    "exp", "getitem", "linear", "log", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg",
    "pow", "raw", "reshape", "sin", "sqrt", "stack", "sub", "sum", "transpose", "where",
]  # fmt: skip

Axis = int | tuple[int, ...] | None


def _pair(a: ArrayLike, b: ArrayLike) -> tuple[Tensor, Tensor]:
    a_t = as_tensor(a, b if isinstance(b, Tensor) else None)
    b_t = as_tensor(b, a_t)
    if type(a_t.array) is type(b_t.array) and a_t.array.dtype != b_t.array.dtype:  # PyTorch's promotion:
        a_kind, b_kind = kind(a_t.array), kind(b_t.array)  # integers meeting floats take the floats'
        # dtype (NumPy's would be float64); arrays of two libraries are refused by the op itself
        if a_kind == "f" and b_kind in "iub":
            b_t = _cast(b_t, a_t)
        elif b_kind == "f" and a_kind in "iub":
            a_t = _cast(a_t, b_t)
    return a_t, b_t


def _cast(x: Tensor, like: Tensor) -> Tensor:
    """An integer or boolean tensor as ``like``'s floating dtype (it has no gradient to keep)."""
    return Tensor(namespace(x.array).astype(x.array, like.array.dtype))


# ----------------------------------------------------------------------------- arithmetic
class Add(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, None]:
        return a + b, None

    @staticmethod
    def backward(g: Any, saved: None, needs: tuple[bool, ...]) -> tuple[Any, Any]:
        return g, g  # d(a + b)/da = 1, d(a + b)/db = 1


class Sub(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, None]:
        return a - b, None

    @staticmethod
    def backward(g: Any, saved: None, needs: tuple[bool, ...]) -> tuple[Any, Any]:
        return g, (-g if needs[1] else None)  # d(a - b)/da = 1, d(a - b)/db = -1


class Mul(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, tuple[Any, Any]]:
        return a * b, (a, b)

    @staticmethod
    def backward(g: Any, saved: tuple[Any, Any], needs: tuple[bool, ...]) -> tuple[Any, Any]:
        a, b = saved  # d(a·b)/da = b, d(a·b)/db = a
        return (g * b if needs[0] else None), (g * a if needs[1] else None)


class Div(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, tuple[Any, Any]]:
        out = a / b
        return out, (b, out)

    @staticmethod
    def backward(g: Any, saved: tuple[Any, Any], needs: tuple[bool, ...]) -> tuple[Any, Any]:
        b, out = saved  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
        return (g / b if needs[0] else None), (-g * out / b if needs[1] else None)


class Neg(Op):
    @staticmethod
    def forward(a: Any) -> tuple[Any, None]:
        return -a, None

    @staticmethod
    def backward(g: Any, saved: None, needs: tuple[bool, ...]) -> tuple[Any]:
        return (-g,)  # d(-a)/da = -1


class PowScalar(Op):
    name = "pow"

    @staticmethod
    def forward(a: Any, p: Any) -> tuple[Any, Any]:
        return a**p, (a, p)

    @staticmethod
    def backward(g: Any, saved: tuple[Any, Any], needs: tuple[bool, ...]) -> tuple[Any]:
        a, p = saved  # d(aᵖ)/da = p·aᵖ⁻¹ for a constant exponent p
        return (namespace(g).zeros_like(g),) if p == 0 else (g * p * a ** (p - 1),)


class Pow(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, tuple[Any, Any, Any]]:
        out = a**b
        return out, (a, b, out)

    @staticmethod
    def backward(g: Any, saved: tuple[Any, Any, Any], needs: tuple[bool, ...]) -> tuple[Any, Any]:
        a, b, out = saved
        xp = namespace(g)
        # d(aᵇ)/da = b·aᵇ⁻¹ (taken as 0 where b = 0),  d(aᵇ)/db = aᵇ·ln a  (taken as 0 where a = 0
        # and b ≥ 0), both as PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = xp.where(b == 0, 0.0, g * b * a ** (b - 1)) if needs[0] else None
            gb = xp.where((a == 0) & (b >= 0), 0.0, g * out * xp.log(a)) if needs[1] else None
        return ga, (None if gb is None else xp.astype(gb, out.dtype, copy=False))


def add(a: ArrayLike, b: ArrayLike) -> Tensor:
    return apply(Add, *_pair(a, b))


def sub(a: ArrayLike, b: ArrayLike) -> Tensor:
    return apply(Sub, *_pair(a, b))


def mul(a: ArrayLike, b: ArrayLike) -> Tensor:
    return apply(Mul, *_pair(a, b))


def div(a: ArrayLike, b: ArrayLike) -> Tensor:
    a_t, b_t = _pair(a, b)
    if kind(a_t.array) != "f" and kind(b_t.array) != "f":  # true division of integers: float32, as PyTorch
        xp = namespace(a_t.array)
        a_t = Tensor(xp.astype(a_t.array, xp.float32))
        b_t = _cast(b_t, a_t)
    return apply(Div, a_t, b_t)


def neg(a: ArrayLike) -> Tensor:
    return apply(Neg, as_tensor(a))


def pow(a: ArrayLike, b: ArrayLike) -> Tensor:
    """a ** b for a scalar or tensor exponent."""
    if not isinstance(b, Tensor) and np.ndim(b) == 0:  # a constant exponent
        return apply(PowScalar, as_tensor(a), p=b)
    return apply(Pow, *_pair(a, b))


# ----------------------------------------------------------------------------- matrix products
class Matmul(Op):
    @staticmethod
    def forward(A: Any, B: Any) -> tuple[Any, tuple[Any, Any]]:
        return namespace(A).matmul(A, B), (A, B)

    @staticmethod
    def backward(g: Any, saved: tuple[Any, Any], needs: tuple[bool, ...]) -> tuple[Any, Any]:
        A, B = saved
        xp = namespace(g)
        # C = A B  =>  dL/dA = G Bᵀ,  dL/dB = Aᵀ G  (vectors promoted to matrices, as NumPy does)
        A2 = xp.expand_dims(A, axis=0) if A.ndim == 1 else A
        B2 = xp.expand_dims(B, axis=1) if B.ndim == 1 else B
        G = xp.expand_dims(g, axis=-1) if B.ndim == 1 else g  # B's axis first: for vector @ vector g is 0-d
        G = xp.expand_dims(G, axis=-2) if A.ndim == 1 else G
        ga = xp.matmul(G, xp.matrix_transpose(B2)) if needs[0] else None
        gb = xp.matmul(xp.matrix_transpose(A2), G) if needs[1] else None
        if ga is not None and A.ndim == 1:
            ga = ga[..., 0, :]
        if gb is not None and B.ndim == 1:
            gb = gb[..., 0]
        return ga, gb


class Linear(Op):
    """z = X Wᵀ + b for X (n_samples, in_features): one node instead of three (transpose, matmul,
    add), fused for speed."""

    @staticmethod
    def forward(X: Any, W: Any, b: Any = None) -> tuple[Any, Any]:
        z = X @ W.mT  # (n_samples, out_features)
        if b is None:
            return z, (X, W)
        if type(z) is np.ndarray:
            z += b  # b added to every row, in place on the new z
            return z, (X, W)
        return z + b, (X, W)

    @staticmethod
    def backward(G: Any, saved: tuple[Any, Any], needs: tuple[bool, ...]) -> tuple[Any, ...]:
        X, W = saved  # (dL/dX, dL/dW, dL/db) = (G W, Gᵀ X, Σₙ Gₙ) for G = dL/dz
        gx = G @ W if needs[0] else None  # (n_samples, in_features)
        gW = G.mT @ X if needs[1] else None  # (out_features, in_features)
        if len(needs) == 2:
            return gx, gW
        gb = None
        if needs[2]:  # Σₙ Gₙ, the sum over the samples
            gb = np.add.reduce(G, axis=0) if type(G) is np.ndarray else namespace(G).sum(G, axis=0)
        return gx, gW, gb  # (out_features,)


def matmul(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Matrix product with NumPy's rules: vectors, matrices and broadcast batches of matrices."""
    return apply(Matmul, *_pair(a, b))


def linear(x: ArrayLike, W: Tensor, b: Tensor | None = None) -> Tensor:
    """z = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features)."""
    x = as_tensor(x)
    if x.ndim == 2:
        return apply(Linear, x, W) if b is None else apply(Linear, x, W, b)
    flat = reshape(x, (-1, x.shape[-1]))  # (n_samples, in_features)
    z = apply(Linear, flat, W) if b is None else apply(Linear, flat, W, b)
    return reshape(z, (*x.shape[:-1], W.shape[0]))


# ----------------------------------------------------------------------------- elementwise
class Exp(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        out = namespace(x).exp(x)
        return out, out

    @staticmethod
    def backward(g: Any, out: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g * out,)  # d eˣ/dx = eˣ


class Log(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        return namespace(x).log(x), x

    @staticmethod
    def backward(g: Any, x: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g / x,)  # d ln x/dx = 1/x


class Sqrt(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        out = namespace(x).sqrt(x)
        return out, out

    @staticmethod
    def backward(g: Any, out: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g * 0.5 / out,)  # d√x/dx = 1/(2√x)


class Abs(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        return namespace(x).abs(x), x

    @staticmethod
    def backward(g: Any, x: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g * namespace(x).sign(x),)  # d|x|/dx = sign(x), taken as 0 at x = 0 (as PyTorch)


class Sin(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        return namespace(x).sin(x), x

    @staticmethod
    def backward(g: Any, x: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g * namespace(x).cos(x),)  # d sin x/dx = cos x


class Cos(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        return namespace(x).cos(x), x

    @staticmethod
    def backward(g: Any, x: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (-g * namespace(x).sin(x),)  # d cos x/dx = −sin x


class Copy(Op):
    """The same values in a new array, cast to ``dtype`` (None: the input's); the gradient passes
    back cast to the input's dtype. PyTorch's ``clone()`` and ``to(dtype)``."""

    @staticmethod
    def forward(x: Any, dtype: Any) -> tuple[Any, Any]:
        xp = namespace(x)
        return xp.astype(x, x.dtype if dtype is None else dtype, copy=True), x.dtype

    @staticmethod
    def backward(g: Any, dtype: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (namespace(g).astype(g, dtype, copy=False),)  # d x/dx = 1


class Clip(Op):
    @staticmethod
    def forward(x: Any, min: float | None, max: float | None) -> tuple[Any, Any]:
        xp = namespace(x)
        inside = xp.ones(x.shape, dtype=xp.bool, device=device(x))
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        if xp is not NUMPY:  # the standard multiplies no booleans; NumPy takes them as 0 and 1
            inside = xp.astype(inside, x.dtype)
        return xp.astype(xp.clip(x, min=min, max=max), x.dtype, copy=False), inside

    @staticmethod
    def backward(g: Any, inside: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g * inside,)  # the gradient passes where min ≤ x ≤ max (bounds included)


class Where(Op):
    @staticmethod
    def forward(condition: Any, a: Any, b: Any) -> tuple[Any, Any]:
        xp = namespace(a)
        return xp.where(condition, a, b), (condition, xp.result_type(a, b))

    @staticmethod
    def backward(g: Any, saved: tuple[Any, Any], needs: tuple[bool, ...]) -> tuple[None, Any, Any]:
        condition, dtype = saved  # each side gets the gradient of the elements it gave
        xp = namespace(g)
        zero = xp.zeros((), dtype=dtype, device=device(g))
        return (None, xp.where(condition, g, zero) if needs[1] else None,
                xp.where(condition, zero, g) if needs[2] else None)


class Maximum(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, Any]:
        xp = namespace(a)
        out = xp.maximum(a, b)
        return out, _share(xp, a > b, a == b, out.dtype)

    @staticmethod
    def backward(g: Any, share_a: Any, needs: tuple[bool, ...]) -> tuple[Any, Any]:
        return g * share_a, g * (1.0 - share_a)  # at ties each input gets half (as PyTorch)


class Minimum(Op):
    @staticmethod
    def forward(a: Any, b: Any) -> tuple[Any, Any]:
        xp = namespace(a)
        out = xp.minimum(a, b)
        return out, _share(xp, a < b, a == b, out.dtype)

    @staticmethod
    def backward(g: Any, share_a: Any, needs: tuple[bool, ...]) -> tuple[Any, Any]:
        return g * share_a, g * (1.0 - share_a)  # at ties each input gets half (as PyTorch)


def _share(xp: Any, wins: Any, ties: Any, dtype: Any) -> Any:
    """a's share of the gradient: 1 where a is picked, ½ at a tie, else 0."""
    if not xp.isdtype(dtype, "real floating"):
        dtype = xp.float64
    return xp.astype(wins, dtype) + 0.5 * xp.astype(ties, dtype)


def exp(x: ArrayLike) -> Tensor:
    return apply(Exp, as_tensor(x))


def log(x: ArrayLike) -> Tensor:
    return apply(Log, as_tensor(x))


def sqrt(x: ArrayLike) -> Tensor:
    return apply(Sqrt, as_tensor(x))


def abs(x: ArrayLike) -> Tensor:
    return apply(Abs, as_tensor(x))


def sin(x: ArrayLike) -> Tensor:
    return apply(Sin, as_tensor(x))


def cos(x: ArrayLike) -> Tensor:
    return apply(Cos, as_tensor(x))


def copy(x: ArrayLike, dtype: Any = None) -> Tensor:
    """A copy of x (cast to ``dtype`` if given) that gradients flow back through."""
    return apply(Copy, as_tensor(x), dtype=dtype)


def clip(x: ArrayLike, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamp into [min, max]; the gradient passes where min ≤ x ≤ max (bounds included)."""
    return apply(Clip, as_tensor(x), min=min, max=max)


def where(condition: ArrayLike, a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise ``a`` where condition holds, else ``b``; each gets the gradient of its picks."""
    a, b = _pair(a, b)
    cond = condition if isinstance(condition, Tensor) else Tensor(condition)
    if kind(cond.array) != "b":
        xp = namespace(cond.array)
        cond = Tensor(xp.astype(cond.array, xp.bool))
    return apply(Where, cond, a, b)


def maximum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise maximum; at ties each input gets half the gradient (as PyTorch)."""
    return apply(Maximum, *_pair(a, b))


def minimum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise minimum; at ties each input gets half the gradient (as PyTorch)."""
    return apply(Minimum, *_pair(a, b))


# ----------------------------------------------------------------------------- no gradient
class Detach(Op):
    """The same values, cut off from the graph: no gradient flows back through it."""

    differentiable = False

    @staticmethod
    def forward(x: Any) -> tuple[Any, None]:
        return x, None

    @staticmethod
    def backward(g: Any, saved: None, needs: tuple[bool, ...]) -> tuple[None]:
        return (None,)


COMPARISONS = ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal")


class Compare(Op):
    """An elementwise comparison: a boolean array, which has no gradient."""

    differentiable = False

    @staticmethod
    def forward(a: Any, b: Any, how: str) -> tuple[Any, None]:
        return getattr(namespace(a), how)(a, b), None

    @staticmethod
    def backward(g: Any, saved: None, needs: tuple[bool, ...]) -> tuple[None, None]:
        return None, None


class Check(Op):
    """The input unchanged, after ``check(input)`` (which raises on a bad value): validation where
    data enters, run again on every array a recorded step is given. The gradient passes as is."""

    @staticmethod
    def forward(x: Any, check: Any) -> tuple[Any, None]:
        check(x)
        return x, None

    @staticmethod
    def backward(g: Any, saved: None, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g,)


def detach(x: ArrayLike) -> Tensor:
    return apply(Detach, as_tensor(x))


def compare(a: ArrayLike, b: ArrayLike, how: str) -> Tensor:
    """a <how> b elementwise as a boolean Tensor; ``how`` is one of ``COMPARISONS`` ('less', ...)."""
    return apply(Compare, *_pair(a, b), how=how)


def check(x: Tensor, check: Any) -> Tensor:
    """``x``, once ``check(x's array)`` has passed. ``check`` compares equal to itself across calls
    (a function, or a frozen dataclass), so that a recorded step can be recognised."""
    return apply(Check, x, check=check)


from glassnet.engine.shape_ops import (  # noqa: E402  (the rest of the primitives, by their names here too)
    concatenate,
    getitem,
    max,
    mean,
    min,
    move,  # noqa: F401  (not among the primitives users call by name: Tensor.to calls it)
    reshape,
    stack,
    sum,
    transpose,
)
