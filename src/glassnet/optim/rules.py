"""Small update rules, one idea each; the named optimizers are assembled from them.

Each rule takes the gradient (or the direction built so far) and, where it keeps a running
buffer, the parameter's ``state`` dict, which it updates in place under a PyTorch state name.
No rule touches the parameter: the optimizer's base class alone takes the step θ ← θ − lr·u.

Symbols: g gradient, θ parameter, t step count (1 for the first step), m first moment,
v second moment, β decay rates, λ weight decay, ε a small constant for division.

Adam's first step, assembled by hand (Kingma & Ba 2015, Algorithm 1):

>>> import numpy as np
>>> state, g = {}, np.array([0.5, -2.0])
>>> t = count_step(state)
>>> m = first_moment(state, g, 0.9)        # 0.1·g
>>> v = second_moment(state, g, 0.999)     # 0.001·g²
>>> u = adaptive_direction(m, v, 0.0, bias_correction(0.9, t), bias_correction(0.999, t))
>>> u.round(12)                            # m̂/√v̂ = g/|g| at t = 1
array([ 1., -1.])
>>> sorted(state)
['exp_avg', 'exp_avg_sq', 'step']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "accumulate_squares", "adaptive_direction", "bias_correction", "count_step",
    "coupled_weight_decay", "decoupled_weight_decay", "first_moment", "infinity_norm",
    "momentum", "nadam_momentum", "radam_rectification", "running_max", "second_moment",
]  # fmt: skip

State = dict[str, Any]


def count_step(state: State) -> int:
    """t ← t + 1: the number of updates this parameter has had, this one included."""
    state["step"] = state.get("step", 0) + 1
    return int(state["step"])


def coupled_weight_decay(g: np.ndarray, theta: np.ndarray, weight_decay: float) -> np.ndarray:
    """g ← g + λθ: weight decay folded into the gradient (PyTorch's ``weight_decay``).

    For plain SGD this is the gradient of an L2 penalty (λ/2)‖θ‖²; for adaptive methods it is
    not, since the decay is rescaled with the gradient (Loshchilov & Hutter 2019, Sec. 2).
    Returns g itself when λ = 0, else a new array.
    """
    return g + weight_decay * theta if weight_decay != 0 else g


def decoupled_weight_decay(u: np.ndarray, theta: np.ndarray, weight_decay: float) -> np.ndarray:
    """u ← u + λθ after the adaptive rules, so the step is θ ← θ − lr·u − lr·λθ.

    Decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2, line 12): the decay shrinks
    θ by the factor (1 − lr·λ) and is not divided by √v as coupled weight decay is.
    """
    return u + weight_decay * theta if weight_decay != 0 else u


def momentum(state: State, g: np.ndarray, mu: float, dampening: float, nesterov: bool) -> np.ndarray:
    """Heavy-ball momentum b ← μb + (1 − dampening)·g (b ← g on the first step); u = b.

    With ``nesterov``: u = g + μb (Sutskever et al. 2013, as in PyTorch's SGD).
    The buffer is stored as ``state["momentum_buffer"]``.
    """
    b = state.get("momentum_buffer")
    if b is None:
        b = state["momentum_buffer"] = np.array(g, copy=True)
    else:
        b *= mu
        b += (1.0 - dampening) * g
    return g + mu * b if nesterov else b


def first_moment(state: State, g: np.ndarray, beta: float, key: str = "exp_avg") -> np.ndarray:
    """m ← β·m + (1 − β)·g: exponential moving average of the gradient (Kingma & Ba 2015, Alg. 1)."""
    m = state.get(key)
    if m is None:
        m = state[key] = np.zeros_like(g)
    m *= beta
    m += (1.0 - beta) * g
    return m


def second_moment(state: State, g: np.ndarray, beta: float, key: str = "exp_avg_sq") -> np.ndarray:
    """v ← β·v + (1 − β)·g²: exponential moving average of the squared gradient."""
    v = state.get(key)
    if v is None:
        v = state[key] = np.zeros_like(g)
    v *= beta
    v += (1.0 - beta) * np.square(g)
    return v


def running_max(state: State, v: np.ndarray, key: str = "max_exp_avg_sq") -> np.ndarray:
    """v_max ← max(v_max, v): AMSGrad's non-decreasing second moment (Reddi et al. 2018, Alg. 2)."""
    v_max = state.get(key)
    if v_max is None:
        v_max = state[key] = np.zeros_like(v)
    np.maximum(v_max, v, out=v_max)
    return v_max


def infinity_norm(state: State, g: np.ndarray, beta: float, eps: float) -> np.ndarray:
    """u∞ ← max(β·u∞, |g| + ε): Adamax's decaying infinity norm (Kingma & Ba 2015, Alg. 2)."""
    u_inf = state.get("exp_inf")
    if u_inf is None:
        u_inf = state["exp_inf"] = np.zeros_like(g)
    u_inf *= beta
    np.maximum(u_inf, np.abs(g) + eps, out=u_inf)
    return u_inf


def accumulate_squares(state: State, g: np.ndarray, initial: float) -> np.ndarray:
    """s ← s + g², starting from s₀ = ``initial``: Adagrad's sum (Duchi et al. 2011)."""
    s = state.get("sum")
    if s is None:
        s = state["sum"] = np.full_like(g, initial)
    s += np.square(g)
    return s


def bias_correction(beta: float, t: int) -> float:
    """1 − βᵗ: dividing a moving average that started at 0 by this makes it unbiased."""
    return 1.0 - beta**t


def adaptive_direction(m: np.ndarray, v: np.ndarray, eps: float, m_scale: float = 1.0,
                       v_scale: float = 1.0) -> np.ndarray:
    """u = (m / m_scale) / (√(v / v_scale) + ε): each coordinate divided by its RMS gradient.

    With m_scale = 1 − β₁ᵗ and v_scale = 1 − β₂ᵗ this is Adam's m̂ / (√v̂ + ε).
    """
    denom = np.sqrt(v)  # (same shape as θ)
    if v_scale != 1.0:
        denom /= math.sqrt(v_scale)
    denom += eps
    u = m / denom
    if m_scale != 1.0:
        u /= m_scale
    return u


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
