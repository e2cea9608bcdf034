"""Adam and its relatives (AdamW, Adamax, NAdam, RAdam), assembled from ``rules.py``.

All keep m, the moving average of g (``exp_avg``), and v, that of g² (``exp_avg_sq``), and
step along m̂ / (√v̂ + ε), where the hats undo the bias towards the initial zeros. Each
optimizer's rule is one function of numbers (:func:`adam`, :func:`nadam`, ...) that runs on whole
arrays and, for Adam and AdamW, in a compiled loop too (``kernels.py``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, ClassVar, NamedTuple

from glassnet.optim import kernels, rules
from glassnet.optim.optimizer import (
    _COUPLED_DECAY,
    Optimizer,
    ParamGroup,
    Params,
    Rule,
    _check_at_least,
    _check_betas,
    _update_formula,
)
from glassnet.registry import Formula

__all__ = ["Adam", "AdamNumbers", "AdamW", "Adamax", "NAdam", "RAdam", "adam", "amsgrad"]

# The steps the formulas share, each (plain text, LaTeX).
_WD = ("g ← g + λ·θ, or u ← u + λ·θ at the end (decoupled_weight_decay)",
       r"g \leftarrow g + \lambda\theta \text{, or } u \leftarrow u + \lambda\theta \text{ at the end "
       r"(decoupled\_weight\_decay)}")
_FIRST = ("m ← β₁·m + (1 − β₁)·g", r"m \leftarrow \beta_1 m + (1-\beta_1) g")
_SECOND = ("v ← β₂·v + (1 − β₂)·g²", r"v \leftarrow \beta_2 v + (1-\beta_2) g^2")
_M_HAT = ("m̂ = m/(1 − β₁ᵗ)", r"\hat m = \frac{m}{1-\beta_1^t}")
_V_HAT = ("v̂ = v/(1 − β₂ᵗ)", r"\hat v = \frac{v}{1-\beta_2^t}")
_AMSGRAD = ("amsgrad: v_max ← max(v_max, v), and v̂ = v_max/(1 − β₂ᵗ)",
            r"\text{amsgrad: } v_{\max} \leftarrow \max(v_{\max}, v),\ \hat v = \frac{v_{\max}}{1-\beta_2^t}")
_ADAM_U = ("u = m̂/(√v̂ + ε)", r"u = \frac{\hat m}{\sqrt{\hat v} + \epsilon}")
_MOMENTS = {"exp_avg": 0.0, "exp_avg_sq": 0.0}


class AdamNumbers(NamedTuple):
    """The numbers of one step t of the Adam family, computed once per step (1 − β included)."""

    beta1: float
    one_minus_beta1: float
    beta2: float
    one_minus_beta2: float
    bias_correction1: float  # 1 − β₁ᵗ
    bias_correction2: float  # 1 − β₂ᵗ
    eps: float
    weight_decay: float  # λ folded into g; 0 under decoupled weight decay
    decoupled_weight_decay: float  # λ added to u (AdamW); else 0
    grad_weight: float = 0.0  # NAdam's (1 − μₜ)/(1 − Πₜ)
    momentum_weight: float = 0.0  # NAdam's μₜ₊₁/(1 − Πₜ·μₜ₊₁)
    rectification: float = 0.0  # RAdam's rₜ·√(1 − β₂ᵗ); 0 while ρₜ ≤ 5


@kernels.elementwise
def _moments(c: AdamNumbers, g: Any, m: Any, v: Any) -> tuple[Any, Any]:
    """The new moments β₁m + (1 − β₁)g and β₂v + (1 − β₂)g²."""
    return rules.first_moment(m, g, c.beta1, c.one_minus_beta1), rules.second_moment(
        v, g, c.beta2, c.one_minus_beta2)


@kernels.compiled  # its loop is worth it: bench/kernels.py
def adam(xp: Any, c: AdamNumbers, g: Any, theta: Any, m: Any, v: Any) -> tuple[Any, Any, Any]:
    """Adam's direction u and new moments (m, v): whole arrays, or one element of each.

    xp is θ's array module (NumPy inside a compiled loop) and c the step's numbers; g, θ, m and v
    have θ's shape, and moments given as arrays are updated in place and returned.

    >>> import numpy as np
    >>> c = AdamNumbers(0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 0.0, 0.0, 0.0)   # t = 1
    >>> u, m, v = adam(np, c, np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), np.zeros(2))
    >>> u.round(12)                        # m̂/√v̂ = g/|g| at t = 1
    array([ 1., -1.])
    """
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    m, v = _moments(c, g, m, v)
    u = rules.adaptive_direction(xp, m, v, c.eps, c.bias_correction1, c.bias_correction2)  # m̂/(√v̂ + ε)
    return rules.decoupled_weight_decay(u, theta, c.decoupled_weight_decay), m, v


def amsgrad(xp: Any, c: AdamNumbers, g: Any, theta: Any, m: Any, v: Any,
            v_max: Any) -> tuple[Any, Any, Any, Any]:
    """Adam with AMSGrad: v̂ from the largest v so far (Reddi et al. 2018, Alg. 2)."""
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    m, v = _moments(c, g, m, v)
    v_max = rules.running_max(xp, v_max, v)
    u = rules.adaptive_direction(xp, m, v_max, c.eps, c.bias_correction1, c.bias_correction2)
    return rules.decoupled_weight_decay(u, theta, c.decoupled_weight_decay), m, v, v_max


class _AdamFamily(Optimizer):
    """The family's checks, numbers and rule (Adam's, AMSGrad's); the relatives change the rule."""

    def _validate(self, group: ParamGroup) -> None:
        for name in ("lr", "eps", "weight_decay"):
            _check_at_least(self, group, name, 0.0)
        _check_betas(self, group)

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        if group["amsgrad"]:
            return amsgrad, {**_MOMENTS, "max_exp_avg_sq": 0.0}
        return adam, _MOMENTS

    def _count(self, group: ParamGroup, state: dict[str, Any]) -> Hashable:
        return rules.count_step(state)

    def _numbers(self, group: ParamGroup, t: Any) -> AdamNumbers:
        (beta1, beta2), decay = group["betas"], group["weight_decay"]
        decoupled = bool(group.get("decoupled_weight_decay", False))
        return AdamNumbers(beta1, 1.0 - beta1, beta2, 1.0 - beta2, rules.bias_correction(beta1, t),
                           rules.bias_correction(beta2, t), group["eps"], 0.0 if decoupled else decay,
                           decay if decoupled else 0.0)


class Adam(_AdamFamily):
    """Adam: momentum on g divided by the root of a moving average of g² (Kingma & Ba 2015, Alg. 1).

    m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ)
    (AMSGrad: v_max ← max(v_max, v) in its place);  u = m̂/(√v̂ + ε);  θ ← θ − η·u.

    Args:
        params: parameters, or parameter groups (dicts).
        lr: learning rate.
        betas: (β₁, β₂), decay rates of the two moving averages, each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: λ; folded into the gradient unless ``decoupled_weight_decay``.
        amsgrad: divide by the largest v so far (Reddi et al. 2018).
        maximize: ascend instead of descend.
        decoupled_weight_decay: decay θ directly as AdamW does.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0, 1.0]))
    >>> w.grad = np.array([0.3, -5.0])
    >>> gn.optim.Adam([w], lr=0.1).step()   # first step: u = g/|g| (up to ε)
    >>> w.array.round(6)
    array([0.9, 1.1])
    """

    formula: ClassVar[Formula] = _update_formula("Adam", _WD, _FIRST, _SECOND, _M_HAT, _V_HAT, _AMSGRAD,
                                                 _ADAM_U)

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))


class AdamW(_AdamFamily):
    """AdamW: Adam with decoupled weight decay, θ shrinks by (1 − lr·λ) each step.

    u = m̂ / (√v̂ + ε) + λ·θ;  θ ← θ − η·u  (Loshchilov & Hutter 2019, Algorithm 2).
    Arguments as in :class:`Adam`, with ``weight_decay`` defaulting to 1e-2.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([2.0]))
    >>> w.grad = np.array([0.0])
    >>> gn.optim.AdamW([w], lr=0.1, weight_decay=0.5).step()   # θ·(1 − 0.1·0.5)
    >>> w.array
    array([1.9])
    """

    formula: ClassVar[Formula] = _update_formula(
        "AdamW", _FIRST, _SECOND, _M_HAT, _V_HAT, _AMSGRAD,
        ("u = m̂/(√v̂ + ε) + λ·θ", r"u = \frac{\hat m}{\sqrt{\hat v} + \epsilon} + \lambda\theta"))

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True))


class Adamax(_AdamFamily):
    """Adamax: Adam with the infinity norm in place of the root mean square (Kingma & Ba 2015, Alg. 2).

    m ← β₁·m + (1 − β₁)·g;  v∞ ← max(β₂·v∞, |g| + ε);  u = m / ((1 − β₁ᵗ)·v∞);  θ ← θ − η·u.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([4.0])
    >>> gn.optim.Adamax([w], lr=0.5, eps=0.0).step()   # u = (0.1·4 / 0.1) / 4 = 1
    >>> w.array
    array([0.5])
    """

    formula: ClassVar[Formula] = _update_formula(
        "Adamax", _COUPLED_DECAY, _FIRST,
        ("v∞ ← max(β₂·v∞, |g| + ε)", r"v_\infty \leftarrow \max(\beta_2 v_\infty, |g| + \epsilon)"),
        ("u = m/((1 − β₁ᵗ)·v∞)", r"u = \frac{m}{(1-\beta_1^t)\, v_\infty}"))

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        return adamax, {"exp_avg": 0.0, "exp_inf": 0.0}


def adamax(xp: Any, c: AdamNumbers, g: Any, theta: Any, m: Any, u_inf: Any) -> tuple[Any, Any, Any]:
    """Adamax's direction u = m / ((1 − β₁ᵗ)·v∞) and its new m and v∞ (``u_inf``)."""
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    m = rules.first_moment(m, g, c.beta1, c.one_minus_beta1)
    u_inf = rules.infinity_norm(xp, u_inf, g, c.beta2, c.eps)
    return m / u_inf / c.bias_correction1, m, u_inf


class NAdam(_AdamFamily):
    """NAdam: Adam with Nesterov momentum and a warming-up momentum schedule (Dozat 2016).

    ωₜ = β₁·(1 − ½·0.96^(t·ψ));  Ωₜ = ω₁·ω₂·…·ωₜ;  m, v as in Adam;  v̂ = v / (1 − β₂ᵗ);
    u = ((1 − ωₜ)/(1 − Ωₜ)·g + ωₜ₊₁/(1 − Ωₜ·ωₜ₊₁)·m) / (√v̂ + ε);  θ ← θ − η·u.
    ``momentum_decay`` is ψ; the running product Ωₜ is ``state["mu_product"]``.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([1.0])
    >>> opt = gn.optim.NAdam([w])
    >>> opt.step()
    >>> opt.state[w]["step"], bool(w.array[0] < 1.0)
    (1, True)
    """

    formula: ClassVar[Formula] = _update_formula(
        "NAdam", _WD,
        ("ωₜ = β₁·(1 − ½·0.96^(t·ψ))  (ψ = momentum_decay)",
         r"\omega_t = \beta_1 \left(1 - \tfrac12\, 0.96^{t\psi}\right)\ (\psi = \mathrm{momentum\_decay})"),
        ("Ωₜ = ω₁·ω₂·…·ωₜ", r"\Omega_t = \omega_1 \omega_2 \cdots \omega_t"), _FIRST, _SECOND, _V_HAT,
        ("u = ((1 − ωₜ)/(1 − Ωₜ)·g + ωₜ₊₁/(1 − Ωₜ·ωₜ₊₁)·m)/(√v̂ + ε)",
         r"u = \frac{\frac{1-\omega_t}{1-\Omega_t} g + \frac{\omega_{t+1}}{1-\Omega_t \omega_{t+1}} m}"
         r"{\sqrt{\hat v} + \epsilon}"))

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, group: ParamGroup) -> None:
        super()._validate(group)
        _check_at_least(self, group, "momentum_decay", 0.0)

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        return nadam, _MOMENTS

    def _count(self, group: ParamGroup, state: dict[str, Any]) -> Hashable:
        t = rules.count_step(state)
        mu = rules.nadam_momentum(group["betas"][0], group["momentum_decay"], t)
        state["mu_product"] = mu_product = state.get("mu_product", 1.0) * mu  # Ωₜ = ω₁·…·ωₜ
        return t, mu_product

    def _numbers(self, group: ParamGroup, key: Any) -> AdamNumbers:
        (t, mu_product), beta1, psi = key, group["betas"][0], group["momentum_decay"]
        mu, mu_next = rules.nadam_momentum(beta1, psi, t), rules.nadam_momentum(beta1, psi, t + 1)
        return super()._numbers(group, t)._replace(grad_weight=(1.0 - mu) / (1.0 - mu_product),
                                                   momentum_weight=mu_next / (1.0 - mu_product * mu_next))


def nadam(xp: Any, c: AdamNumbers, g: Any, theta: Any, m: Any, v: Any) -> tuple[Any, Any, Any]:
    """NAdam's direction u = (a·g + b·m) / (√v̂ + ε), a and b from the momentum schedule."""
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    m, v = _moments(c, g, m, v)
    nesterov_m = c.grad_weight * g + c.momentum_weight * m
    u = rules.adaptive_direction(xp, nesterov_m, v, c.eps, 1.0, c.bias_correction2)
    return rules.decoupled_weight_decay(u, theta, c.decoupled_weight_decay), m, v


class RAdam(_AdamFamily):
    """RAdam: Adam whose adaptive step is switched on only once the variance of v̂ is tractable.

    m, v as in Adam;  with rₜ from :func:`rules.radam_rectification` (Liu et al. 2020, Alg. 2):
    u = rₜ·m̂·√(1 − β₂ᵗ) / (√v + ε) when ρₜ > 5, else u = m̂ (SGD with momentum);  θ ← θ − η·u.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([2.0])
    >>> gn.optim.RAdam([w], lr=0.1).step()   # t = 1: ρ₁ ≤ 5, so u = m̂ = g
    >>> w.array
    array([0.8])
    """

    formula: ClassVar[Formula] = _update_formula(
        "RAdam", _WD, _FIRST, _SECOND, _M_HAT,
        ("ρ∞ = 2/(1 − β₂) − 1", r"\rho_\infty = \frac{2}{1-\beta_2} - 1"),
        ("ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)", r"\rho_t = \rho_\infty - \frac{2t\,\beta_2^t}{1-\beta_2^t}"),
        ("rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))",
         r"r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}"
         r"{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}"),
        ("u = rₜ·m̂·√(1 − β₂ᵗ)/(√v + ε) if ρₜ > 5, else u = m̂",
         r"u = \begin{cases} r_t \frac{\hat m \sqrt{1-\beta_2^t}}{\sqrt{v} + \epsilon} & \rho_t > 5 \\"
         r" \hat m & \text{otherwise} \end{cases}"))

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        return radam, _MOMENTS

    def _numbers(self, group: ParamGroup, t: Any) -> AdamNumbers:
        c = super()._numbers(group, t)
        r = rules.radam_rectification(c.beta2, t)
        return c._replace(rectification=0.0 if r is None else r * math.sqrt(c.bias_correction2))


def radam(xp: Any, c: AdamNumbers, g: Any, theta: Any, m: Any, v: Any) -> tuple[Any, Any, Any]:
    """RAdam's direction: u = rₜ·m̂·√(1 − β₂ᵗ)/(√v + ε), or m̂ while ρₜ ≤ 5."""
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    m, v = _moments(c, g, m, v)
    if c.rectification > 0:  # as PyTorch: ε is added to √v, before √(1 − β₂ᵗ) multiplies in
        u = rules.adaptive_direction(xp, m, v, c.eps, c.bias_correction1, 1.0) * c.rectification
    else:
        u = m / c.bias_correction1  # m̂
    return rules.decoupled_weight_decay(u, theta, c.decoupled_weight_decay), m, v
