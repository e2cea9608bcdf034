"""Small update rules, one idea each; the named optimizers are assembled from them.

Two kinds of rule:

- Rules of numbers (momentum, the moments, weight decay, the adaptive direction, ...): functions
  of the gradient g, the parameter θ, a running buffer (b, m, v, ...) and the step's numbers
  (β, 1 − β, λ, ε). Given whole arrays they compute by broadcasting, with the array module ``xp``
  of θ where they need a function (NumPy, or the array API namespace of any other array
  library); given one element of each they run inside a compiled loop (``kernels.py``), where
  ``xp`` is NumPy applied to single numbers. So they contain no float literals: 1 − β comes in as
  a number, computed once per step. A rule that keeps a buffer returns its new value, computed
  with augmented assignments (``m *= β; m += (1 − β)·g``): on an array, which the optimizer owns,
  that updates the buffer in place; on one number it is the same arithmetic.
- Rules of the step count t (bias correction, NAdam's and RAdam's schedules): plain floats.

No rule changes g or θ: the optimizer's base class alone takes the step θ ← θ − lr·u, and it
keeps the buffers in the parameter's ``state`` under PyTorch's names.

Symbols: g gradient, θ parameter, t step count (1 for the first step), m first moment,
v second moment, β decay rates, λ weight decay, ε a small constant for division.

Adam's first step, assembled by hand (Kingma & Ba 2015, Algorithm 1):

>>> import numpy as np
>>> g = np.array([0.5, -2.0])
>>> m = first_moment(np.zeros(2), g, 0.9, 0.1)        # 0.1·g
>>> v = second_moment(np.zeros(2), g, 0.999, 0.001)   # 0.001·g²
>>> u = adaptive_direction(np, m, v, 0.0, bias_correction(0.9, 1), bias_correction(0.999, 1))
>>> u.round(12)                                      # m̂/√v̂ = g/|g| at t = 1
array([ 1., -1.])
"""

from __future__ import annotations

import math
from typing import Any

from glassnet.optim.kernels import elementwise

__all__ = [
    "accumulate_squares", "adaptive_direction", "bias_correction", "count_step",
    "coupled_weight_decay", "decoupled_weight_decay", "first_moment", "infinity_norm",
    "momentum", "nadam_momentum", "nesterov", "radam_rectification", "running_max", "second_moment",
]  # fmt: skip

State = dict[str, Any]


# --------------------------------------------------------------------- rules of numbers
@elementwise
def coupled_weight_decay(g: Any, theta: Any, weight_decay: Any) -> Any:
    """g + λθ: weight decay folded into the gradient (PyTorch's ``weight_decay``); g when λ = 0.

    For plain SGD this is the gradient of an L2 penalty (λ/2)‖θ‖²; for adaptive methods it is
    not, since the decay is rescaled with the gradient (Loshchilov & Hutter 2019, Sec. 2).
    """
    return g + weight_decay * theta if weight_decay != 0 else g


@elementwise
def decoupled_weight_decay(u: Any, theta: Any, weight_decay: Any) -> Any:
    """u + λθ after the adaptive rules, so the step is θ ← θ − lr·u − lr·λθ; u when λ = 0.

    Decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2, line 12): the decay shrinks
    θ by the factor (1 − lr·λ) and is not divided by √v as coupled weight decay is.
    """
    return u + weight_decay * theta if weight_decay != 0 else u


@elementwise
def momentum(b: Any, g: Any, mu: Any, one_minus_dampening: Any) -> Any:
    """Heavy-ball momentum: b ← μb + (1 − dampening)·g (Polyak 1964; PyTorch's SGD).

    PyTorch starts the buffer at b₁ = g: that is this rule with μ = 0 and 1 − dampening = 1.
    """
    b *= mu
    b += one_minus_dampening * g
    return b


@elementwise
def nesterov(g: Any, b: Any, mu: Any) -> Any:
    """g + μb: Nesterov's look-ahead direction from the momentum buffer (Sutskever et al. 2013)."""
    return g + mu * b


@elementwise
def first_moment(m: Any, g: Any, beta: Any, one_minus_beta: Any) -> Any:
    """m ← β·m + (1 − β)·g: exponential moving average of the gradient (Kingma & Ba 2015, Alg. 1)."""
    m *= beta
    m += one_minus_beta * g
    return m


@elementwise
def second_moment(v: Any, g: Any, beta: Any, one_minus_beta: Any) -> Any:
    """v ← β·v + (1 − β)·g²: exponential moving average of the squared gradient (ibid.)."""
    v *= beta
    v += one_minus_beta * (g * g)
    return v


@elementwise
def running_max(xp: Any, v_max: Any, v: Any) -> Any:
    """max(v_max, v): AMSGrad's non-decreasing second moment (Reddi et al. 2018, Alg. 2)."""
    return xp.maximum(v_max, v)


@elementwise
def infinity_norm(xp: Any, u_inf: Any, g: Any, beta: Any, eps: Any) -> Any:
    """max(β·u∞, |g| + ε): Adamax's decaying infinity norm (Kingma & Ba 2015, Alg. 2)."""
    return xp.maximum(beta * u_inf, xp.abs(g) + eps)


@elementwise
def accumulate_squares(s: Any, g: Any) -> Any:
    """s ← s + g²: Adagrad's running sum of squared gradients (Duchi et al. 2011)."""
    s += g * g
    return s


@elementwise
def adaptive_direction(xp: Any, m: Any, v: Any, eps: Any, m_scale: Any, v_scale: Any) -> Any:
    """u = m̂ / (√v̂ + ε), m̂ = m / m_scale, v̂ = v / v_scale: each coordinate over its RMS gradient.

    With the bias corrections m_scale = 1 − β₁ᵗ and v_scale = 1 − β₂ᵗ this is Adam's direction
    (Kingma & Ba 2015, Alg. 1); RMSprop's has scales of 1. Written so that on arrays it makes two
    new arrays and divides by a scale of 1 not at all: fewer large temporaries alive at once keep
    the allocator from handing memory back to the system, and faulting it in, at every step.
    """
    denom = xp.sqrt(v / v_scale if v_scale != 1 else v)  # √v̂
    denom += eps
    u = m / denom
    if m_scale != 1:
        u /= m_scale  # m̂ / (√v̂ + ε)
    return u


# --------------------------------------------------------------------- rules of the step count
def count_step(state: State) -> int:
    """t ← t + 1: the number of updates this parameter has had, this one included."""
    state["step"] = state.get("step", 0) + 1
    return int(state["step"])


def bias_correction(beta: float, t: int) -> float:
    """1 − βᵗ: dividing a moving average that started at 0 by this makes it unbiased."""
    return 1.0 - beta**t


def nadam_momentum(beta1: float, momentum_decay: float, t: int) -> float:
    """μₜ = β₁·(1 − ½·0.96^(t·ψ)): NAdam's momentum schedule (Dozat 2016; ψ = momentum_decay)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))


def radam_rectification(beta2: float, t: int) -> float | None:
    """RAdam's variance rectification rₜ, or None while the approximated SMA ρₜ ≤ 5.

    ρ∞ = 2/(1 − β₂) − 1,  ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ),
    rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))  (Liu et al. 2020, Algorithm 2).
    """
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)
    if rho_t <= 5.0:
        return None
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
