"""SGD, RMSprop and Adagrad: momentum and per-coordinate step sizes, assembled from ``rules.py``.

Each optimizer's rule is one function of numbers (:func:`sgd_momentum`, :func:`rmsprop`, ...) that
runs on whole arrays and, for SGD with momentum, in a compiled loop too (``kernels.py``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar, NamedTuple

from glassnet.errors import GlassnetError
from glassnet.optim import kernels, rules
from glassnet.optim.optimizer import (
    _COUPLED_DECAY,
    Optimizer,
    ParamGroup,
    Params,
    Rule,
    _check_at_least,
    _update_formula,
)
from glassnet.registry import Formula

__all__ = ["SGD", "Adagrad", "RMSprop", "SGDNumbers", "sgd", "sgd_momentum"]


class SGDNumbers(NamedTuple):
    """The numbers of one SGD step; at the buffer's first step B ← g (PyTorch): μ_B = 0, 1 − τ = 1."""

    weight_decay: float  # λ
    momentum: float  # μ, for Nesterov's g + μ·B
    buffer_momentum: float  # μ_B: μ, or 0 at the first step
    one_minus_dampening: float  # 1 − τ (τ = dampening), or 1 at the first step
    nesterov: float  # 1.0 for Nesterov momentum, else 0.0


def sgd(xp: Any, c: SGDNumbers, g: Any, theta: Any) -> tuple[Any]:
    """Plain SGD's direction u = g + λθ (no buffers)."""
    return (rules.coupled_weight_decay(g, theta, c.weight_decay),)


@kernels.compiled  # its loop is worth it: bench/kernels.py
def sgd_momentum(xp: Any, c: SGDNumbers, g: Any, theta: Any, b: Any) -> tuple[Any, Any]:
    """SGD's direction with momentum, u = b or g + μb (Nesterov), and the new buffer b.

    xp is θ's array module (NumPy inside a compiled loop) and c the step's numbers; g, θ and b
    have θ's shape, and a buffer given as an array is updated in place and returned.

    >>> import numpy as np
    >>> c = SGDNumbers(0.0, 0.9, 0.9, 1.0, 0.0)
    >>> sgd_momentum(np, c, np.array([1.0]), np.zeros(1), np.array([2.0]))   # 0.9·2 + 1
    (array([2.8]), array([2.8]))
    """
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    b = rules.momentum(b, g, c.buffer_momentum, c.one_minus_dampening)
    return (rules.nesterov(g, b, c.momentum) if c.nesterov else b), b


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    g ← g + λ·θ;  B ← μ·B + (1 − τ)·g  (B ← g at the first step);
    u = g + μ·B if nesterov else B (u = g without momentum);  θ ← θ − η·u.

    With ``lr_in_momentum`` the learning rate sits inside the momentum, as in Sutskever et al.
    (2013, eq. 1-2) and scikit-learn's MLP: V ← μ·V − η·g, θ ← θ + V for the velocity V
    (Nesterov: θ ← θ + μ·V − η·g). That is the buffer above, B = −V/η, carried over to the new
    learning rate when it changes: B ← μ·(ηₜ₋₁/ηₜ)·B + (1 − τ)·g. For a constant lr the two are
    the same; under a schedule the default (PyTorch's) rescales the whole step at once, while here
    the velocity keeps the steps taken at the earlier learning rates.

    Args:
        params: parameters, or parameter groups (dicts).
        lr: η, the learning rate (step size).
        momentum: μ, the factor of the momentum buffer B (0: none).
        dampening: τ, how much of the gradient is kept out of the buffer.
        weight_decay: λ, folded into the gradient.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: ascend instead of descend.
        lr_in_momentum: the learning rate inside the velocity (see above; needs lr > 0).

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0, -2.0]))
    >>> w.grad = np.array([0.5, 0.5])
    >>> gn.optim.SGD([w], lr=0.1).step()   # w - 0.1·g
    >>> w.array
    array([ 0.95, -2.05])
    """

    formula: ClassVar[Formula] = _update_formula(
        "SGD", _COUPLED_DECAY,
        ("B ← μ·B + (1 − τ)·g  (B = g when t = 1)",
         r"B \leftarrow \mu B + (1 - \tau) g\ (B = g \text{ when } t = 1)"),
        ("u = g + μ·B (nesterov) or u = B", r"u = g + \mu B \text{ (nesterov) or } u = B"),
        ("lr_in_momentum: B ← μ·(ηₜ₋₁/ηₜ)·B + (1 − τ)·g",
         r"\text{lr\_in\_momentum: } B \leftarrow \mu \frac{\eta_{t-1}}{\eta_t} B + (1 - \tau) g"),
    )

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False, lr_in_momentum: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                                      lr_in_momentum=lr_in_momentum))

    def _validate(self, group: ParamGroup) -> None:
        for name in ("lr", "momentum", "dampening", "weight_decay"):
            _check_at_least(self, group, name, 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise GlassnetError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                f"{group['momentum']}, dampening={group['dampening']}; e.g. momentum=0.9, dampening=0"
            )

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        return (sgd, {}) if group["momentum"] == 0 else (sgd_momentum, {"momentum_buffer": 0.0})

    def _count(self, group: ParamGroup, state: dict[str, Any]) -> Hashable:
        first = "momentum_buffer" not in state  # the buffer's first step: b ← g
        if not group["lr_in_momentum"] or group["momentum"] == 0:
            return first, 1.0
        lr = group["lr"]
        if lr <= 0:
            raise GlassnetError(f"SGD(lr_in_momentum=True) needs lr > 0 at every step, got lr={lr}: "
                                "the velocity v = −lr·b cannot be carried over to lr = 0")
        previous = state.get("momentum_lr", lr)  # the lr the buffer was last scaled for
        state["momentum_lr"] = lr
        return first, previous / lr

    def _numbers(self, group: ParamGroup, key: Any) -> SGDNumbers:
        first, ratio = key  # ratio: lr_prev / lr with lr_in_momentum, else 1
        mu = group["momentum"]
        return SGDNumbers(group["weight_decay"], mu, 0.0 if first else mu * ratio,
                          1.0 if first else 1.0 - group["dampening"], 1.0 if group["nesterov"] else 0.0)


class RMSprop(Optimizer):
    """RMSprop: divide each coordinate of the gradient by a running RMS of its past values.

    v ← β₂·v + (1 − β₂)·g² (β₂ = alpha);  centered: ḡ ← β₂·ḡ + (1 − β₂)·g and v is replaced by v − ḡ²;
    u = g / (√v + ε);  with momentum: B ← μ·B + u and u = B;  θ ← θ − η·u  (Hinton 2012,
    Graves 2013 eq. 38-45 for the centered form).

    Args:
        params, lr, weight_decay, maximize: as in SGD.
        alpha: β₂, decay rate of the squared-gradient average.
        eps: ε, added to the denominator.
        momentum: μ, momentum of the normalized direction (0: none).
        centered: normalize by the estimated variance instead of the second moment.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([2.0])
    >>> gn.optim.RMSprop([w], lr=0.01, alpha=0.0, eps=0.0).step()   # u = g/|g| = 1
    >>> w.array
    array([0.99])
    """

    formula: ClassVar[Formula] = _update_formula(
        "RMSprop", _COUPLED_DECAY,
        ("v ← β₂·v + (1 − β₂)·g²  (β₂ = alpha)",
         r"v \leftarrow \beta_2 v + (1-\beta_2) g^2\ (\beta_2 = \mathrm{alpha})"),
        ("ḡ ← β₂·ḡ + (1 − β₂)·g (centered)",
         r"\bar g \leftarrow \beta_2 \bar g + (1-\beta_2) g \text{ (centered)}"),
        ("u = g/(√(v − ḡ²) + ε) (centered) or u = g/(√v + ε)",
         r"u = \frac{g}{\sqrt{v - \bar g^2} + \epsilon} \text{ (centered) or } "
         r"u = \frac{g}{\sqrt{v} + \epsilon}"),
        ("B ← μ·B + u, then u = B (momentum)",
         r"B \leftarrow \mu B + u,\ \text{then } u = B \text{ (momentum)}"),
    )

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _validate(self, group: ParamGroup) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            _check_at_least(self, group, name, 0.0)

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        buffers = {"square_avg": 0.0, "grad_avg": 0.0, "momentum_buffer": 0.0}
        if not group["centered"]:
            del buffers["grad_avg"]
        if group["momentum"] == 0:
            del buffers["momentum_buffer"]
        return rmsprop, buffers

    def _count(self, group: ParamGroup, state: dict[str, Any]) -> Hashable:
        rules.count_step(state)  # counted as PyTorch does; the numbers do not depend on it
        return None

    def _numbers(self, group: ParamGroup, key: Any) -> RMSpropNumbers:
        alpha = group["alpha"]
        return RMSpropNumbers(group["weight_decay"], alpha, 1.0 - alpha, group["eps"],
                              1.0 if group["centered"] else 0.0, group["momentum"])


class RMSpropNumbers(NamedTuple):
    """The numbers of one RMSprop step."""

    weight_decay: float
    alpha: float
    one_minus_alpha: float
    eps: float
    centered: float  # 1.0 or 0.0
    momentum: float


def rmsprop(xp: Any, c: RMSpropNumbers, g: Any, theta: Any, v: Any, *rest: Any) -> tuple[Any, ...]:
    """RMSprop's direction and buffers: v, then ḡ if centered, then b if momentum > 0."""
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    v = rules.second_moment(v, g, c.alpha, c.one_minus_alpha)
    buffers, left = [v], list(rest)
    if c.centered:
        g_avg = rules.first_moment(left.pop(0), g, c.alpha, c.one_minus_alpha)
        buffers.append(g_avg)
        v = v - g_avg * g_avg  # variance estimate: E[g²] − E[g]²
    u = rules.adaptive_direction(xp, g, v, c.eps, 1.0, 1.0)
    if c.momentum > 0:
        u = rules.momentum(left.pop(0), u, c.momentum, 1.0)  # B ← μ·B + u, from B = 0
        buffers.append(u)
    return (u, *buffers)


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step shrinks with the sum of its squared gradients.

    S ← S + g²;  u = g / ((1 + (t − 1)·lr_decay)·(√S + ε));  θ ← θ − η·u  (Duchi et al. 2011).

    Args:
        params, lr, weight_decay, maximize: as in SGD.
        lr_decay: the learning rate at step t is lr / (1 + (t − 1)·lr_decay).
        initial_accumulator_value: the starting value of the sum S.
        eps: ε, added to the denominator.

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.array([1.0]))
    >>> w.grad = np.array([3.0])
    >>> gn.optim.Adagrad([w], lr=0.1, eps=0.0).step()   # u = 3/√9 = 1
    >>> w.array
    array([0.9])
    """

    formula: ClassVar[Formula] = _update_formula(
        "Adagrad", _COUPLED_DECAY,
        ("S ← S + g²  (S starts at initial_accumulator_value)",
         r"S \leftarrow S + g^2\ (S \text{ starts at initial\_accumulator\_value})"),
        ("u = g/((1 + (t − 1)·lr_decay)·(√S + ε))",
         r"u = \frac{g}{(1 + (t-1)\,\mathrm{lr\_decay})(\sqrt{S} + \epsilon)}"),
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

    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        return adagrad, {"sum": group["initial_accumulator_value"]}

    def _count(self, group: ParamGroup, state: dict[str, Any]) -> Hashable:
        return rules.count_step(state)

    def _numbers(self, group: ParamGroup, t: Any) -> AdagradNumbers:
        return AdagradNumbers(group["weight_decay"], group["eps"], 1.0 + (t - 1) * group["lr_decay"])


class AdagradNumbers(NamedTuple):
    """The numbers of one Adagrad step t."""

    weight_decay: float
    eps: float
    lr_divisor: float  # 1 + (t − 1)·lr_decay


def adagrad(xp: Any, c: AdagradNumbers, g: Any, theta: Any, s: Any) -> tuple[Any, Any]:
    """Adagrad's direction u = g / ((1 + (t − 1)·lr_decay)·(√s + ε)) and the new sum s."""
    g = rules.coupled_weight_decay(g, theta, c.weight_decay)
    s = rules.accumulate_squares(s, g)
    return rules.adaptive_direction(xp, g, s, c.eps, c.lr_divisor, 1.0), s  # g/(√s + ε)/divisor
