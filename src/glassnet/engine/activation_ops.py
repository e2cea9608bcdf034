"""Activation functions as primitives: each forward with its local derivative right beside it.

Like ``ops.py``, every rule maps ``g = dL/d(out)`` to ``dL/d(x)``; the engine does the rest.
Each is one node rather than a composition of ``exp``, ``div``, ``where``... because the
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

import numpy as np

from glassnet.engine import kernels
from glassnet.engine.ops import as_tensor
from glassnet.engine.tensor import ArrayLike, Tensor, _make
from glassnet.errors import GlassnetError, ShapeError

__all__ = [
    "elu", "erf", "gelu", "hardtanh", "leaky_relu", "log_softmax", "mish", "relu", "selu",
    "sigmoid", "sigmoid_backward", "silu", "softmax", "softplus", "softsign", "stable_sigmoid", "tanh",
    "tanh_backward",
]  # fmt: skip

# SELU's constants, Klambauer et al. 2017, "Self-Normalizing Neural Networks", eq. 14
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_APPROXIMATIONS = ("none", "tanh")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)  # GELU's tanh approximation, Hendrycks & Gimpel 2016
_SQRT_1_2 = math.sqrt(0.5)
# erf's series coefficients cₙ = 1/(1·3···(2n+1)), n = 0..30: float64 precision where |x| < 2
_ERF_COEFFICIENTS = np.cumprod([1.0] + [1.0 / (2 * n + 1) for n in range(1, 31)]).tolist()
_ERF_FRACTION_DEPTH = 40  # levels of erfc's continued fraction: float64 precision where |x| ≥ 2


# ----------------------------------------------------------------------------- helpers
def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e⁻ᶻ) = eᶻ/(1 + eᶻ): whichever form exponentiates -|z| ≤ 0."""
    e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _log1p_exp(z: np.ndarray) -> np.ndarray:
    """softplus(z) = ln(1 + eᶻ) = max(z, 0) + ln(1 + e^-|z|), without overflow for large z."""
    return np.logaddexp(0.0, z)


def erf(x: ArrayLike) -> np.ndarray:
    """The error function erf(x) = 2/√π ∫₀ˣ e^(-t²) dt, elementwise, in float64 (|error| < 1e-15).

    NumPy has no erf. Where |x| < 2, the power series (Abramowitz & Stegun 7.1.6)::

        erf(x) = 2/√π · x · e^(-x²) · Σₙ (2x²)ⁿ / (1·3·5···(2n+1))   (all terms positive)

    and where |x| ≥ 2, the continued fraction (A&S 7.1.14, DLMF 7.9.2)::

        erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))

    >>> float(erf(np.array(1.0)))  # math.erf(1.0) = 0.8427007929497149
    0.8427007929497149
    """
    a = np.abs(np.asarray(x, dtype=np.float64))
    out = np.empty_like(a)
    near = a < 2.0
    s = a[near]
    y = 2.0 * s * s
    series = np.full_like(s, _ERF_COEFFICIENTS[-1])
    for c in _ERF_COEFFICIENTS[-2::-1]:  # Horner's rule, in place: series = series·y + cₙ
        series *= y
        series += c
    out[near] = (2.0 / math.sqrt(math.pi)) * s * np.exp(-s * s) * series
    t = np.minimum(a[~near], 6.0)  # erfc(6) < 2.2e-17: erf rounds to 1 from there on
    fraction = t.copy()
    for k in range(_ERF_FRACTION_DEPTH, 0, -1):  # evaluated from the bottom up, in place
        np.divide(k / 2.0, fraction, out=fraction)
        fraction += t
    out[~near] = 1.0 - np.exp(-t * t) / (math.sqrt(math.pi) * fraction)
    return np.copysign(out, x)


# ----------------------------------------------------------------------------- s-shaped
def sigmoid(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    y = stable_sigmoid(x.data)
    return _make(y, (x,), lambda g: (sigmoid_backward(g, y),), "sigmoid")


def sigmoid_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx = g·σ'(x) from the output y = σ(x): σ'(x) = σ(x)(1 - σ(x))."""
    return g * (1.0 - y) * y


def tanh(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    y = np.tanh(x.data)
    return _make(y, (x,), lambda g: (tanh_backward(g, y),), "tanh")


def tanh_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx = g·tanh'(x) from the output y = tanh(x): tanh'(x) = 1 - tanh²(x)."""
    return g * (1.0 - y * y)


def softsign(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    d = 1.0 + np.abs(x.data)
    # f(x) = x/(1 + |x|),  f'(x) = 1/(1 + |x|)²  (divided twice: d² overflows for |x| > 1e154)
    return _make(x.data / d, (x,), lambda g: (g / d / d,), "softsign")


def hardtanh(x: ArrayLike, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    x = as_tensor(x)
    if min_val > max_val:
        raise GlassnetError(f"hardtanh needs min_val <= max_val, got min_val={min_val}, max_val={max_val}")
    inside = (x.data > min_val) & (x.data < max_val)  # open interval: 0 at the bounds, as PyTorch
    # f(x) = clip(x, min_val, max_val),  f'(x) = 1 strictly inside, 0 elsewhere
    out = np.clip(x.data, min_val, max_val).astype(x.dtype, copy=False)
    return _make(out, (x,), lambda g: (g * inside,), "hardtanh")


# ----------------------------------------------------------------------------- rectifiers
def relu(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    # f(x) = max(x, 0),  f'(x) = 1 for x > 0, 0 for x ≤ 0 (0 at the kink, as PyTorch)
    return _make(kernels.relu(x.data), (x,), lambda g: (kernels.relu_grad(g, x.data),), "relu")


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Tensor:
    x = as_tensor(x)
    # f(x) = x for x > 0, a·x for x ≤ 0;  f'(x) = 1 for x > 0, a for x ≤ 0 (a at 0, as PyTorch)
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)
    return _make(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def _scaled_elu(x: ArrayLike, alpha: float, scale: float, op: str) -> Tensor:
    x = as_tensor(x)
    negative = x.data <= 0
    x_neg = np.minimum(x.data, 0)  # the exponential branch only ever sees x ≤ 0
    out = scale * np.where(negative, alpha * np.expm1(x_neg), x.data)
    # f(x) = λx for x > 0, λα(eˣ - 1) for x ≤ 0;  f'(x) = λ, or λαeˣ for x ≤ 0 (also at 0, as PyTorch)
    rule = lambda g: (g * (scale * np.where(negative, alpha * np.exp(x_neg), 1.0)),)  # noqa: E731
    return _make(out.astype(x.dtype, copy=False), (x,), rule, op)


def elu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """ELU (Clevert et al. 2015): x for x > 0, α(eˣ - 1) for x ≤ 0."""
    return _scaled_elu(x, alpha, 1.0, "elu")


def selu(x: ArrayLike) -> Tensor:
    """SELU (Klambauer et al. 2017, eq. 2): λ·elu(x, α) with the fixed λ, α of eq. 14."""
    return _scaled_elu(x, SELU_ALPHA, SELU_SCALE, "selu")


def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    x = as_tensor(x)
    if beta == 0:
        raise GlassnetError("softplus needs beta != 0 (it divides by beta); the default is beta=1.0")
    z = beta * x.data
    linear = z > threshold  # where ln(1 + e^z)/β ≈ x: reverts to the identity, as PyTorch
    # f(x) = ln(1 + e^(βx))/β,  f'(x) = σ(βx)  (x and 1 above the threshold)
    out = np.where(linear, x.data, _log1p_exp(z) / beta).astype(x.dtype, copy=False)
    rule = lambda g: (g * np.where(linear, 1.0, stable_sigmoid(z)),)  # noqa: E731
    return _make(out, (x,), rule, "softplus")


# ----------------------------------------------------------------------------- smooth gates
def silu(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    s = stable_sigmoid(x.data)
    # f(x) = x·σ(x),  f'(x) = σ(x)(1 + x(1 - σ(x)))
    return _make(x.data * s, (x,), lambda g: (g * s * (1.0 + x.data * (1.0 - s)),), "silu")


def mish(x: ArrayLike) -> Tensor:
    x = as_tensor(x)
    t = np.tanh(_log1p_exp(x.data))
    # f(x) = x·tanh(softplus(x)),  f'(x) = tanh(softplus(x)) + x·σ(x)·(1 - tanh²(softplus(x)))
    rule = lambda g: (g * (t + x.data * stable_sigmoid(x.data) * (1.0 - t * t)),)  # noqa: E731
    return _make(x.data * t, (x,), rule, "mish")


def gelu(x: ArrayLike, approximate: str = "none") -> Tensor:
    """GELU (Hendrycks & Gimpel 2016, §2): x·Φ(x), or its tanh approximation from the same section."""
    if approximate not in GELU_APPROXIMATIONS:
        raise GlassnetError(
            f"gelu(approximate={approximate!r}) is not known; use one of {GELU_APPROXIMATIONS}"
        )
    return _gelu_tanh(as_tensor(x)) if approximate == "tanh" else _gelu_exact(as_tensor(x))


def _gelu_exact(x: Tensor) -> Tensor:
    cdf = (0.5 * (1.0 + erf(x.data * _SQRT_1_2))).astype(x.dtype)  # Φ(x)
    # f(x) = x·Φ(x),  f'(x) = Φ(x) + x·φ(x) with φ(x) = e^(-x²/2)/√(2π)
    x_c = np.clip(x.data, -40, 40)  # φ(±40) = 0 in float64; clipping keeps x² from overflowing
    rule = lambda g: (g * (cdf + x.data * np.exp(-0.5 * x_c * x_c) / math.sqrt(2 * math.pi)),)  # noqa: E731
    return _make(x.data * cdf, (x,), rule, "gelu")


def _gelu_tanh(x: Tensor) -> Tensor:
    x_c = np.clip(x.data, -1e6, 1e6)  # the tanh saturates long before; keeps x³ finite
    t = np.tanh(_SQRT_2_OVER_PI * (x_c + 0.044715 * x_c**3))  # tanh(u), u = √(2/π)(x + 0.044715x³)
    # f(x) = ½x(1 + tanh u),  f'(x) = ½(1 + tanh u) + ½x(1 - tanh² u)·√(2/π)(1 + 3·0.044715x²)
    du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x_c * x_c)
    rule = lambda g: (g * (0.5 * (1.0 + t) + 0.5 * x_c * (1.0 - t * t) * du),)  # noqa: E731
    return _make(0.5 * x.data * (1.0 + t), (x,), rule, "gelu")


# ----------------------------------------------------------------------------- along an axis
def _check_axis(x: Tensor, axis: int, op: str) -> None:
    if not -x.ndim <= axis < x.ndim:
        raise ShapeError(
            f"{op}(axis={axis}) got an input of shape {x.shape}; axis must be in "
            f"[{-x.ndim}, {x.ndim - 1}]; pick an existing axis (-1 is the last)"
        )


def softmax(x: ArrayLike, axis: int = -1) -> Tensor:
    x = as_tensor(x)
    _check_axis(x, axis, "softmax")
    y = kernels.softmax_rows(x.data) if axis in (1, -1) else None  # the same numbers, fewer calls
    if y is None:
        top = kernels.row_max(x.data) if x.ndim == 2 and axis in (1, -1) and x.shape[0] else None
        if top is None:
            top = np.max(x.data, axis=axis, keepdims=True, initial=-np.inf)
        e = np.exp(x.data - top)
        y = e / e.sum(axis=axis, keepdims=True)
    # ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ - yⱼ)  ⇒  dL/dx = y ⊙ (g - Σⱼ gⱼyⱼ)
    rule = lambda g: (y * (g - (g * y).sum(axis=axis, keepdims=True)),)  # noqa: E731
    return _make(y, (x,), rule, "softmax")


def log_softmax(x: ArrayLike, axis: int = -1) -> Tensor:
    x = as_tensor(x)
    _check_axis(x, axis, "log_softmax")
    z = x.data - np.max(x.data, axis=axis, keepdims=True, initial=-np.inf)  # ≤ 0: e^z cannot overflow
    out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))  # log Σ eᶻ ≥ 0: no log(0)
    # ∂outᵢ/∂xⱼ = δᵢⱼ - softmax(x)ⱼ  ⇒  dL/dx = g - softmax(x) Σⱼ gⱼ
    rule = lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)  # noqa: E731
    return _make(out, (x,), rule, "log_softmax")
