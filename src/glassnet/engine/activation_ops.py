"""Activation functions as primitives: each forward with its local derivative right beside it.

Like ``ops.py``, every op's backward maps ``g = ∂L/∂out`` to ``∂L/∂x``; the engine does the
rest. Each is one node rather than a composition of ``exp``, ``div``, ``where``... because the
composition overflows: e.g. ``1 / (1 + exp(-x))`` computes ``exp(1e4) = inf`` for x = -1e4.
Here nothing is ever exponentiated that is not ≤ 0 (or clipped), so outputs and gradients stay
finite, with no overflow or invalid-value warning, for |x| up to 1e30 in float32 and 1e300 in
float64 (tested; only underflow to 0, the right answer, is allowed).

Derivatives at kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = a, elu'(0) = α,
hardtanh' = 0 at both bounds, softplus' switches to 1 only strictly above the threshold.
Outputs keep the input's dtype: float32 stays float32, float64 stays float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet.engine import kernels
from glassnet.engine.backend import NUMPY, has_namespace, namespace
from glassnet.engine.op import Op, apply, as_tensor
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, ShapeError

__all__ = [
    "GELU", "GELUTanh", "Hardtanh", "LeakyReLU", "LogSoftmax", "Mish", "ReLU", "ScaledELU", "SiLU",
    "Sigmoid", "Softmax", "Softplus", "Softsign", "Tanh", "elu", "erf", "gelu", "hardtanh", "leaky_relu",
    "log_softmax", "mish", "relu", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign",
    "stable_sigmoid", "tanh",
]  # fmt: skip

# SELU's constants, Klambauer et al. 2017, "Self-Normalizing Neural Networks", eq. 14
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_APPROXIMATIONS = ("none", "tanh")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)  # GELU's tanh approximation, Hendrycks & Gimpel 2016
_SQRT_1_2 = math.sqrt(0.5)
# erf's series coefficients cₙ = 1/(1·3···(2n+1)), n = 0..30: float64 precision where |x| < 2
ERF_SERIES = np.cumprod([1.0] + [1.0 / (2 * n + 1) for n in range(1, 31)]).tolist()
ERF_FRACTION_DEPTH = 40  # levels of erfc's continued fraction: float64 precision where |x| ≥ 2

Needs = tuple[bool, ...]


# ----------------------------------------------------------------------------- helpers
def stable_sigmoid(z: Any) -> Any:
    """σ(z) = 1/(1 + e⁻ᶻ) = eᶻ/(1 + eᶻ): whichever form exponentiates -|z| ≤ 0."""
    xp = namespace(z)
    e = xp.exp(-xp.abs(z))  # in (0, 1]: cannot overflow
    return xp.where(z >= 0, 1.0, e) / (1.0 + e)


def _log1p_exp(z: Any) -> Any:
    """softplus(z) = ln(1 + eᶻ) = max(z, 0) + ln(1 + e^-|z|), without overflow for large z."""
    return namespace(z).logaddexp(0.0, z)


def erf(x: ArrayLike) -> Any:
    """The error function erf(x) = 2/√π ∫₀ˣ e^(-t²) dt, elementwise, in float64 (|error| < 1e-15).

    NumPy has no erf. Where |x| < 2, the power series (Abramowitz & Stegun 7.1.6)::

        erf(x) = 2/√π · x · e^(-x²) · Σₙ (2x²)ⁿ / (1·3·5···(2n+1))   (all terms positive)

    and where |x| ≥ 2, the continued fraction (A&S 7.1.14, DLMF 7.9.2)::

        erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))

    >>> float(erf(np.array(1.0)))  # math.erf(1.0) = 0.8427007929497149
    0.8427007929497149
    """
    x = np.asarray(x, dtype=np.float64) if not has_namespace(x) else x
    xp = namespace(x)
    a = xp.abs(xp.astype(x, xp.float64))
    s = xp.minimum(a, 2.0)  # the series' argument (used where |x| < 2)
    y = 2.0 * s * s
    series = xp.full_like(s, ERF_SERIES[-1])
    for c in ERF_SERIES[-2::-1]:  # Horner's rule: series = series·y + cₙ
        series = series * y + c
    near = (2.0 / math.sqrt(math.pi)) * s * xp.exp(-s * s) * series
    t = xp.clip(a, min=2.0, max=6.0)  # the fraction's argument; erfc(6) < 2.2e-17: erf rounds to 1
    fraction = t
    for k in range(ERF_FRACTION_DEPTH, 0, -1):  # evaluated from the bottom up
        fraction = (k / 2.0) / fraction + t
    far = 1.0 - xp.exp(-t * t) / (math.sqrt(math.pi) * fraction)
    return xp.copysign(xp.where(a < 2.0, near, far), xp.astype(x, xp.float64))


# ----------------------------------------------------------------------------- s-shaped
class Sigmoid(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        y = stable_sigmoid(x)
        return y, y

    @staticmethod
    def backward(g: Any, y: Any, needs: Needs) -> tuple[Any]:
        return (g * (1.0 - y) * y,)  # σ'(x) = σ(x)(1 - σ(x)), from the output y = σ(x)


class Tanh(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        y = namespace(x).tanh(x)
        return y, y

    @staticmethod
    def backward(g: Any, y: Any, needs: Needs) -> tuple[Any]:
        return (g * (1.0 - y * y),)  # tanh'(x) = 1 - tanh²(x), from the output y = tanh(x)


class Softsign(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        d = 1.0 + namespace(x).abs(x)
        return x / d, d  # f(x) = x/(1 + |x|)

    @staticmethod
    def backward(g: Any, d: Any, needs: Needs) -> tuple[Any]:
        return (g / d / d,)  # f'(x) = 1/(1 + |x|)², divided twice: d² overflows for |x| > 1e154


class Hardtanh(Op):
    @staticmethod
    def forward(x: Any, min_val: float, max_val: float) -> tuple[Any, Any]:
        xp = namespace(x)
        inside = (x > min_val) & (x < max_val)  # open interval: 0 at the bounds, as PyTorch
        if xp is not NUMPY:  # the standard multiplies no booleans; NumPy takes them as 0 and 1
            inside = xp.astype(inside, x.dtype)
        return xp.astype(xp.clip(x, min=min_val, max=max_val), x.dtype, copy=False), inside

    @staticmethod
    def backward(g: Any, inside: Any, needs: Needs) -> tuple[Any]:
        return (g * inside,)  # f'(x) = 1 strictly inside [min_val, max_val], 0 elsewhere


# ----------------------------------------------------------------------------- rectifiers
class ReLU(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        return kernels.relu(x), x  # f(x) = max(x, 0)

    @staticmethod
    def backward(g: Any, x: Any, needs: Needs) -> tuple[Any]:
        return (kernels.relu_grad(g, x),)  # f'(x) = 1 for x > 0, 0 for x ≤ 0 (0 at the kink)


class LeakyReLU(Op):
    @staticmethod
    def forward(x: Any, negative_slope: float) -> tuple[Any, Any]:
        return kernels.leaky_relu(x, negative_slope), (x, negative_slope)  # f(x) = x for x > 0, a·x else

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        x, a = saved  # f'(x) = 1 for x > 0, a for x ≤ 0 (a at 0, as PyTorch)
        return (kernels.leaky_relu_grad(g, x, a),)


class ScaledELU(Op):
    """λ·ELU(x, α): ELU with λ = 1, SELU with the constants of its paper."""

    name = "elu"

    @staticmethod
    def forward(x: Any, alpha: float, scale: float) -> tuple[Any, Any]:
        xp = namespace(x)
        negative = x <= 0
        x_neg = xp.minimum(x, 0.0)  # the exponential branch only ever sees x ≤ 0
        out = scale * xp.where(negative, alpha * xp.expm1(x_neg), x)  # λx for x > 0, λα(eˣ - 1) else
        return xp.astype(out, x.dtype, copy=False), (negative, x_neg, alpha, scale)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        negative, x_neg, alpha, scale = saved  # f'(x) = λ, or λαeˣ for x ≤ 0 (also at 0, as PyTorch)
        xp = namespace(g)
        return (g * (scale * xp.where(negative, alpha * xp.exp(x_neg), 1.0)),)


class Softplus(Op):
    @staticmethod
    def forward(x: Any, beta: float, threshold: float) -> tuple[Any, Any]:
        xp = namespace(x)
        z = beta * x
        linear = z > threshold  # where ln(1 + e^z)/β ≈ x: reverts to the identity, as PyTorch
        out = xp.where(linear, x, _log1p_exp(z) / beta)  # f(x) = ln(1 + e^(βx))/β
        return xp.astype(out, x.dtype, copy=False), (linear, z)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        linear, z = saved  # f'(x) = σ(βx), and 1 above the threshold
        return (g * namespace(g).where(linear, 1.0, stable_sigmoid(z)),)


# ----------------------------------------------------------------------------- smooth gates
class SiLU(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        s = stable_sigmoid(x)
        return x * s, (x, s)  # f(x) = x·σ(x)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        x, s = saved  # f'(x) = σ(x)(1 + x(1 - σ(x)))
        return (g * s * (1.0 + x * (1.0 - s)),)


class Mish(Op):
    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        t = namespace(x).tanh(_log1p_exp(x))
        return x * t, (x, t)  # f(x) = x·tanh(softplus(x))

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        x, t = saved  # f'(x) = tanh(softplus(x)) + x·σ(x)·(1 - tanh²(softplus(x)))
        return (g * (t + x * stable_sigmoid(x) * (1.0 - t * t)),)


class GELU(Op):
    """GELU (Hendrycks & Gimpel 2016, §2): x·Φ(x) with Φ the normal CDF, from erf."""

    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        xp = namespace(x)
        cdf = xp.astype(0.5 * (1.0 + erf(x * _SQRT_1_2)), x.dtype)  # Φ(x)
        return x * cdf, (x, cdf)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        x, cdf = saved  # f'(x) = Φ(x) + x·φ(x) with φ(x) = e^(-x²/2)/√(2π)
        x_c = namespace(x).clip(x, min=-40.0, max=40.0)  # φ(±40) = 0 in float64; keeps x² finite
        return (g * (cdf + x * namespace(x).exp(-0.5 * x_c * x_c) / math.sqrt(2 * math.pi)),)


class GELUTanh(Op):
    """GELU's tanh approximation (Hendrycks & Gimpel 2016, §2)."""

    name = "gelu"

    @staticmethod
    def forward(x: Any) -> tuple[Any, Any]:
        xp = namespace(x)
        x_c = xp.clip(x, min=-1e6, max=1e6)  # the tanh saturates long before; keeps x³ finite
        t = xp.tanh(_SQRT_2_OVER_PI * (x_c + 0.044715 * x_c**3))  # tanh(u), u = √(2/π)(x + 0.044715x³)
        return 0.5 * x * (1.0 + t), (x_c, t)  # f(x) = ½x(1 + tanh u)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        x_c, t = saved  # f'(x) = ½(1 + tanh u) + ½x(1 - tanh² u)·√(2/π)(1 + 3·0.044715x²)
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x_c * x_c)
        return (g * (0.5 * (1.0 + t) + 0.5 * x_c * (1.0 - t * t) * du),)


# ----------------------------------------------------------------------------- along an axis
def _shifted(x: Any, axis: int) -> Any:
    """x − its maximum along ``axis``, ≤ 0 so e^z cannot overflow (compiled for the rows of a 2-D array)."""
    if axis in (-1, x.ndim - 1) and x.ndim == 2:
        return kernels.shift_rows(x)
    return x - namespace(x).max(x, axis=axis, keepdims=True)


def _sum(x: Any, axis: int) -> Any:
    """The sum along ``axis``, kept (compiled for the rows of a 2-D array)."""
    if axis in (-1, x.ndim - 1) and x.ndim == 2:
        return kernels.row_sum(x)
    return namespace(x).sum(x, axis=axis, keepdims=True)


class Softmax(Op):
    @staticmethod
    def forward(x: Any, axis: int) -> tuple[Any, Any]:
        e = namespace(x).exp(_shifted(x, axis))  # max subtracted: exp cannot overflow
        y = e / _sum(e, axis)  # softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ
        return y, (y, axis)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        y, axis = saved  # ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ - yⱼ)  ⇒  ∂L/∂x = y ⊙ (g - Σⱼ gⱼyⱼ)
        return (y * (g - _sum(g * y, axis)),)


class LogSoftmax(Op):
    """log softmax(x) = x − max − ln Σ e^(x − max): the one form of it; the cross-entropies use it."""

    @staticmethod
    def forward(x: Any, axis: int) -> tuple[Any, Any]:
        out = kernels.log_softmax_rows(x) if axis in (-1, x.ndim - 1) else None  # compiled, for rows
        if out is None:
            xp = namespace(x)
            z = _shifted(x, axis)  # ≤ 0: e^z cannot overflow
            out = z - xp.log(_sum(xp.exp(z), axis))  # log Σ eᶻ ≥ 0: no log(0)
        return out, (out, axis)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any]:
        out, axis = saved  # ∂outᵢ/∂xⱼ = δᵢⱼ - softmax(x)ⱼ  ⇒  ∂L/∂x = g - softmax(x) Σⱼ gⱼ
        return (g - namespace(g).exp(out) * _sum(g, axis),)


# ----------------------------------------------------------------------------- functions
def sigmoid(x: ArrayLike) -> Tensor:
    return apply(Sigmoid, as_tensor(x))


def tanh(x: ArrayLike) -> Tensor:
    return apply(Tanh, as_tensor(x))


def softsign(x: ArrayLike) -> Tensor:
    return apply(Softsign, as_tensor(x))


def hardtanh(x: ArrayLike, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    if min_val > max_val:
        raise GlassnetError(f"hardtanh needs min_val <= max_val, got min_val={min_val}, max_val={max_val}")
    return apply(Hardtanh, as_tensor(x), min_val=min_val, max_val=max_val)


def relu(x: ArrayLike) -> Tensor:
    return apply(ReLU, as_tensor(x))


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Tensor:
    return apply(LeakyReLU, as_tensor(x), negative_slope=negative_slope)


def elu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """ELU (Clevert et al. 2015): x for x > 0, α(eˣ - 1) for x ≤ 0."""
    return apply(ScaledELU, as_tensor(x), alpha=alpha, scale=1.0)


def selu(x: ArrayLike) -> Tensor:
    """SELU (Klambauer et al. 2017, eq. 2): λ·elu(x, α) with the fixed λ, α of eq. 14."""
    return apply(ScaledELU, as_tensor(x), alpha=SELU_ALPHA, scale=SELU_SCALE)


def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    if beta == 0:
        raise GlassnetError("softplus needs beta != 0 (it divides by beta); the default is beta=1.0")
    return apply(Softplus, as_tensor(x), beta=beta, threshold=threshold)


def silu(x: ArrayLike) -> Tensor:
    return apply(SiLU, as_tensor(x))


def mish(x: ArrayLike) -> Tensor:
    return apply(Mish, as_tensor(x))


def gelu(x: ArrayLike, approximate: str = "none") -> Tensor:
    """GELU (Hendrycks & Gimpel 2016, §2): x·Φ(x), or its tanh approximation from the same section."""
    if approximate not in GELU_APPROXIMATIONS:
        raise GlassnetError(
            f"gelu(approximate={approximate!r}) is not known; use one of {GELU_APPROXIMATIONS}"
        )
    return apply(GELUTanh if approximate == "tanh" else GELU, as_tensor(x))


def _check_axis(x: Tensor, axis: int, op: str) -> None:
    if not -x.ndim <= axis < x.ndim:
        raise ShapeError(
            f"{op}(axis={axis}) got an input of shape {x.shape}; axis must be in "
            f"[{-x.ndim}, {x.ndim - 1}]; pick an existing axis (-1 is the last)"
        )


def softmax(x: ArrayLike, axis: int = -1) -> Tensor:
    x = as_tensor(x)
    _check_axis(x, axis, "softmax")
    return apply(Softmax, x, axis=axis)


def log_softmax(x: ArrayLike, axis: int = -1) -> Tensor:
    x = as_tensor(x)
    _check_axis(x, axis, "log_softmax")
    return apply(LogSoftmax, x, axis=axis)
