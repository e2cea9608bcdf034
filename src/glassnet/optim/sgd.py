"""SGD, RMSprop and Adagrad: momentum and per-coordinate step sizes, assembled from ``rules.py``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.optim import kernels, rules
from glassnet.optim.optimizer import Optimizer, ParamGroup, Params, _check_at_least
from glassnet.registry import Formula

__all__ = ["SGD", "Adagrad", "RMSprop"]


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    g ← ∇f(θ) + λθ;  b ← μb + (1 − dampening)·g  (b ← g at the first step);
    u = g + μb if nesterov else b (u = g without momentum);  θ ← θ − lr·u.

    Args:
        params: parameters, or parameter groups (dicts).
        lr: learning rate (step size).
        momentum: μ, the factor of the momentum buffer (0: none).
        dampening: how much of the gradient is kept out of the buffer.
        weight_decay: λ, folded into the gradient.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: ascend instead of descend.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0, -2.0]))
    >>> w.grad = np.array([0.5, 0.5])
    >>> gn.optim.SGD([w], lr=0.1).step()   # w - 0.1·g
    >>> w.data
    array([ 0.95, -2.05])
    """

    formula: ClassVar[Formula] = Formula(
        "SGD",
        "g = ∇f(θ) + λθ;  b ← μ·b + (1 − dampening)·g  (b₁ = g);  u = g + μ·b (nesterov) or b",
        r"g = \nabla f(\theta) + \lambda\theta,\quad b \leftarrow \mu b + (1-\tau) g\ (b_1 = g),"
        r"\quad u = g + \mu b \text{ (Nesterov) or } b",
        "θ ← θ − lr·u",
        r"\theta \leftarrow \theta - \eta\, u",
    )

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _validate(self, group: ParamGroup) -> None:
        for name in ("lr", "momentum", "weight_decay"):
            _check_at_least(self, group, name, 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise GlassnetError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                f"{group['momentum']}, dampening={group['dampening']}; e.g. momentum=0.9, dampening=0"
            )

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        g = rules.coupled_weight_decay(g, p, group["weight_decay"])
        if group["momentum"] == 0:
            return g
        return rules.momentum(state, g, group["momentum"], group["dampening"], group["nesterov"])

    def _fused(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
               group: ParamGroup) -> bool:
        return kernels.sgd_momentum(theta, g, state, group)


class RMSprop(Optimizer):
    """RMSprop: divide each coordinate of the gradient by a running RMS of its past values.

    v ← αv + (1 − α)g²;  centered: ḡ ← αḡ + (1 − α)g and v is replaced by v − ḡ²;
    u = g / (√v + ε);  with momentum: b ← μb + u and u = b;  θ ← θ − lr·u  (Hinton 2012,
    Graves 2013 eq. 38-45 for the centered form).

    Args:
        params, lr, weight_decay, maximize: as in SGD.
        alpha: α, decay rate of the squared-gradient average.
        eps: ε, added to the denominator.
        momentum: μ, momentum of the normalized direction (0: none).
        centered: normalize by the estimated variance instead of the second moment.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([2.0])
    >>> gn.optim.RMSprop([w], lr=0.01, alpha=0.0, eps=0.0).step()   # u = g/|g| = 1
    >>> w.data
    array([0.99])
    """

    formula: ClassVar[Formula] = Formula(
        "RMSprop",
        "g = ∇f(θ) + λθ;  v ← α·v + (1 − α)·g²;  ḡ ← α·ḡ + (1 − α)·g (centered);  "
        "u = g / (√(v − ḡ²) + ε);  b ← μ·b + u, u = b (momentum)",
        r"v \leftarrow \alpha v + (1-\alpha) g^2,\quad \bar g \leftarrow \alpha \bar g + (1-\alpha) g,"
        r"\quad u = \frac{g}{\sqrt{v - \bar g^2} + \epsilon},\quad b \leftarrow \mu b + u",
        "θ ← θ − lr·u",
        r"\theta \leftarrow \theta - \eta\, u",
    )

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _validate(self, group: ParamGroup) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            _check_at_least(self, group, name, 0.0)

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        rules.count_step(state)
        g = rules.coupled_weight_decay(g, p, group["weight_decay"])
        alpha = group["alpha"]
        v = rules.second_moment(state, g, alpha, key="square_avg")
        if group["centered"]:
            g_avg = rules.first_moment(state, g, alpha, key="grad_avg")
            v = v - np.square(g_avg)  # variance estimate: E[g²] − E[g]²
        u = rules.adaptive_direction(g, v, group["eps"])
        if group["momentum"] > 0:
            return rules.momentum(state, u, group["momentum"], 0.0, nesterov=False)
        return u


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step shrinks with the sum of its squared gradients.

    s ← s + g²;  u = g / ((1 + (t − 1)·lr_decay)·(√s + ε));  θ ← θ − lr·u  (Duchi et al. 2011).

    Args:
        params, lr, weight_decay, maximize: as in SGD.
        lr_decay: the learning rate at step t is lr / (1 + (t − 1)·lr_decay).
        initial_accumulator_value: s₀, the starting value of the sum.
        eps: ε, added to the denominator.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([3.0])
    >>> gn.optim.Adagrad([w], lr=0.1, eps=0.0).step()   # u = 3/√9 = 1
    >>> w.data
    array([0.9])
    """

    formula: ClassVar[Formula] = Formula(
        "Adagrad",
        "g = ∇f(θ) + λθ;  s ← s + g² (s₀ = initial_accumulator_value);  "
        "u = g / ((1 + (t − 1)·lr_decay)·(√s + ε))",
        r"s \leftarrow s + g^2,\quad u = \frac{g}{(1 + (t-1)\,\mathrm{lr\_decay})(\sqrt{s} + \epsilon)}",
        "θ ← θ − lr·u",
        r"\theta \leftarrow \theta - \eta\, u",
    )

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _validate(self, group: ParamGroup) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_at_least(self, group, name, 0.0)

    def _direction(self, g: np.ndarray, p: np.ndarray, state: dict[str, Any],
                   group: ParamGroup) -> np.ndarray:
        t = rules.count_step(state)
        g = rules.coupled_weight_decay(g, p, group["weight_decay"])
        s = rules.accumulate_squares(state, g, group["initial_accumulator_value"])
        u = rules.adaptive_direction(g, s, group["eps"])
        return u / (1.0 + (t - 1) * group["lr_decay"]) if group["lr_decay"] != 0 else u
