"""Adam and its relatives (AdamW, Adamax, NAdam, RAdam), assembled from ``rules.py``.

All keep m, the moving average of g (``exp_avg``), and v, that of g² (``exp_avg_sq``), and
step along m̂ / (√v̂ + ε), where the hats undo the bias towards the initial zeros.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from glassnet.optim import kernels, rules
from glassnet.optim.optimizer import Optimizer, ParamGroup, Params, _check_at_least, _check_betas
from glassnet.registry import Formula

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]

_STEP = ("θ ← θ − lr·u", r"\theta \leftarrow \theta - \eta\, u")
_WD = "g = ∇f(θ) + λθ (coupled) or u ← u + λθ (decoupled)"


def _check(opt: Optimizer, group: ParamGroup, *names: str) -> None:
    for name in ("lr", "eps", "weight_decay", *names):
        _check_at_least(opt, group, name, 0.0)
    _check_betas(opt, group)


def _adam(g: np.ndarray, p: np.ndarray, state: dict[str, Any], group: ParamGroup) -> np.ndarray:
    """Adam's direction u = m̂ / (√v̂ + ε), with AMSGrad and either kind of weight decay."""
    t = rules.count_step(state)
    (beta1, beta2), decoupled = group["betas"], group["decoupled_weight_decay"]
    if not decoupled:
        g = rules.coupled_weight_decay(g, p, group["weight_decay"])
    m = rules.first_moment(state, g, beta1)
    v = rules.second_moment(state, g, beta2)
    if group["amsgrad"]:
        v = rules.running_max(state, v)
    u = rules.adaptive_direction(m, v, group["eps"], rules.bias_correction(beta1, t),
                                 rules.bias_correction(beta2, t))
    return rules.decoupled_weight_decay(u, p, group["weight_decay"]) if decoupled else u


class _AdamFamily(Optimizer):
    """Adam and AdamW: the same rules (``_adam``) and fused kernel; they differ in defaults only."""

    def _validate(self, group: ParamGroup) -> None:
        _check(self, group)

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        return _adam(g, p, state, group)

    def _fused(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
               group: ParamGroup) -> bool:
        return kernels.adam(theta, g, state, group)


class Adam(_AdamFamily):
    """Adam: momentum on g divided by the root of a moving average of g² (Kingma & Ba 2015, Alg. 1).

    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  (AMSGrad: v ← max(v_max, v));
    u = (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε);  θ ← θ − lr·u.

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
    >>> w.data.round(6)
    array([0.9, 1.1])
    """

    formula: ClassVar[Formula] = Formula(
        "Adam",
        f"{_WD};  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  v ← max(v_max, v) (amsgrad);  "
        "u = (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)",
        r"m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,"
        r"\quad u = \frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}",
        *_STEP,
    )

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))


class AdamW(_AdamFamily):
    """AdamW: Adam with decoupled weight decay, θ shrinks by (1 − lr·λ) each step.

    u = m̂ / (√v̂ + ε) + λθ;  θ ← θ − lr·u  (Loshchilov & Hutter 2019, Algorithm 2).
    Arguments as in :class:`Adam`, with ``weight_decay`` defaulting to 1e-2.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([2.0]))
    >>> w.grad = np.array([0.0])
    >>> gn.optim.AdamW([w], lr=0.1, weight_decay=0.5).step()   # θ·(1 − 0.1·0.5)
    >>> w.data
    array([1.9])
    """

    formula: ClassVar[Formula] = Formula(
        "AdamW",
        "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
        "u = (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε) + λθ",
        r"u = \frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon} + \lambda\theta",
        *_STEP,
    )

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True))


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the root mean square (Kingma & Ba 2015, Alg. 2).

    m ← β₁m + (1 − β₁)g;  u∞ ← max(β₂·u∞, |g| + ε);  u = m / ((1 − β₁ᵗ)·u∞);  θ ← θ − lr·u.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([4.0])
    >>> gn.optim.Adamax([w], lr=0.5, eps=0.0).step()   # u = (0.1·4 / 0.1) / 4 = 1
    >>> w.data
    array([0.5])
    """

    formula: ClassVar[Formula] = Formula(
        "Adamax",
        "g = ∇f(θ) + λθ;  m ← β₁·m + (1 − β₁)·g;  u∞ ← max(β₂·u∞, |g| + ε);  u = m / ((1 − β₁ᵗ)·u∞)",
        r"m \leftarrow \beta_1 m + (1-\beta_1) g,\quad u_\infty \leftarrow \max(\beta_2 u_\infty,"
        r" |g| + \epsilon),\quad u = \frac{m}{(1-\beta_1^t)\, u_\infty}",
        *_STEP,
    )

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _validate(self, group: ParamGroup) -> None:
        _check(self, group)

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        t = rules.count_step(state)
        beta1, beta2 = group["betas"]
        g = rules.coupled_weight_decay(g, p, group["weight_decay"])
        m = rules.first_moment(state, g, beta1)
        u_inf = rules.infinity_norm(state, g, beta2, group["eps"])
        return m / u_inf / rules.bias_correction(beta1, t)


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum and a warming-up momentum schedule (Dozat 2016).

    μₜ = β₁(1 − ½·0.96^(tψ));  Πₜ = μ₁⋯μₜ;  m, v as in Adam;  v̂ = v / (1 − β₂ᵗ);
    u = ((1 − μₜ)/(1 − Πₜ)·g + μₜ₊₁/(1 − Πₜμₜ₊₁)·m) / (√v̂ + ε);  θ ← θ − lr·u.
    ``momentum_decay`` is ψ; the running product Πₜ is ``state["mu_product"]``.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([1.0])
    >>> opt = gn.optim.NAdam([w])
    >>> opt.step()
    >>> opt.state[w]["step"], bool(w.data[0] < 1.0)
    (1, True)
    """

    formula: ClassVar[Formula] = Formula(
        "NAdam",
        f"{_WD};  μₜ = β₁·(1 − 0.5·0.96^(t·ψ));  Πₜ = μ₁⋯μₜ;  m ← β₁·m + (1 − β₁)·g;  "
        "v ← β₂·v + (1 − β₂)·g²;  u = ((1 − μₜ)/(1 − Πₜ)·g + μₜ₊₁/(1 − Πₜ·μₜ₊₁)·m) / (√(v/(1 − β₂ᵗ)) + ε)",
        r"\mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi}),\quad u = \frac{\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i} g"
        r" + \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i} m}{\sqrt{v/(1-\beta_2^t)} + \epsilon}",
        *_STEP,
    )

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, group: ParamGroup) -> None:
        _check(self, group, "momentum_decay")

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        t = rules.count_step(state)
        (beta1, beta2), psi = group["betas"], group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        if not decoupled:
            g = rules.coupled_weight_decay(g, p, group["weight_decay"])
        mu, mu_next = rules.nadam_momentum(beta1, psi, t), rules.nadam_momentum(beta1, psi, t + 1)
        state["mu_product"] = mu_product = state.get("mu_product", 1.0) * mu
        m = rules.first_moment(state, g, beta1)
        v = rules.second_moment(state, g, beta2)
        nesterov_m = (1.0 - mu) / (1.0 - mu_product) * g + mu_next / (1.0 - mu_product * mu_next) * m
        u = rules.adaptive_direction(nesterov_m, v, group["eps"], 1.0, rules.bias_correction(beta2, t))
        return rules.decoupled_weight_decay(u, p, group["weight_decay"]) if decoupled else u


class RAdam(Optimizer):
    """RAdam: Adam whose adaptive step is switched on only once the variance of v̂ is tractable.

    m, v as in Adam;  with rₜ from :func:`rules.radam_rectification` (Liu et al. 2020, Alg. 2):
    u = rₜ·m̂·√(1 − β₂ᵗ) / (√v + ε) when ρₜ > 5, else u = m̂ (SGD with momentum);  θ ← θ − lr·u.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([2.0])
    >>> gn.optim.RAdam([w], lr=0.1).step()   # t = 1: ρ₁ ≤ 5, so u = m̂ = g
    >>> w.data
    array([0.8])
    """

    formula: ClassVar[Formula] = Formula(
        "RAdam",
        f"{_WD};  m, v as in Adam;  ρ∞ = 2/(1 − β₂) − 1;  ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ);  "
        "rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ));  u = rₜ·m̂·√(1 − β₂ᵗ)/(√v + ε) if ρₜ > 5 else m̂",
        r"u = \begin{cases} r_t \frac{\hat m \sqrt{1-\beta_2^t}}{\sqrt{v} + \epsilon} & \rho_t > 5 \\"
        r" \hat m & \text{otherwise} \end{cases}",
        *_STEP,
    )

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, group: ParamGroup) -> None:
        _check(self, group)

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        t = rules.count_step(state)
        (beta1, beta2), decoupled = group["betas"], group["decoupled_weight_decay"]
        if not decoupled:
            g = rules.coupled_weight_decay(g, p, group["weight_decay"])
        m = rules.first_moment(state, g, beta1)
        v = rules.second_moment(state, g, beta2)
        r, bc1 = rules.radam_rectification(beta2, t), rules.bias_correction(beta1, t)
        if r is None:
            u = m / bc1
        else:  # as PyTorch: ε is added to √v before the bias correction √(1 − β₂ᵗ) multiplies in
            u = rules.adaptive_direction(m, v, group["eps"], bc1)
            u *= r * math.sqrt(rules.bias_correction(beta2, t))
        return rules.decoupled_weight_decay(u, p, group["weight_decay"]) if decoupled else u
