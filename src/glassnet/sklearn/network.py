"""Names to objects for the estimators: the network, its loss, optimizer and penalties.

The network is scikit-learn's: a Linear layer + activation (+ Dropout) per hidden layer, then a
Linear output layer that gives logits (classifiers) or values (regressors); the output
activation (softmax or logistic) is applied when probabilities are asked for, not in the network.
Weights are scikit-learn's by default: Glorot uniform, biases too, the same numbers drawn from the
same RandomState in the same order, so one ``random_state`` gives both libraries one start.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.nn import init
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dropout, Linear, Sequential
from glassnet.nn.losses import LOSSES, Loss
from glassnet.nn.module import Module
from glassnet.optim import OPTIMIZERS
from glassnet.optim.optimizer import Optimizer
from glassnet.registry import Formula, lookup
from glassnet.regularizers.penalties import REGULARIZERS, Regularizer

__all__ = ["INITIALIZERS", "REGRESSION_LOSSES", "ScaledLoss", "build_network", "build_optimizer",
           "build_penalties", "lookup", "regression_loss"]


# the initializers that draw from a generator (nn.init.INITIALIZERS' random ones), by name
INITIALIZERS: dict[str, Callable[..., Any]] = {name: init.INITIALIZERS[name]
                                               for name in init.INITIALIZERS.select(random=True)}
# scikit-learn's loss names for regression -> glassnet's LOSSES names
REGRESSION_LOSSES = {"squared_error": "mse", "absolute_error": "l1", "huber": "huber"}
_SKLEARN_ACTIVATIONS = {"logistic": "sigmoid"}  # scikit-learn's names that glassnet spells differently


def _activation_names(activation: str | Sequence[str], n_hidden: int) -> list[str]:
    """One activation name per hidden layer: a single name is repeated."""
    if not isinstance(activation, str) and not (isinstance(activation, list | tuple) and all(
            isinstance(name, str) for name in activation)):
        raise GlassnetError(f"activation must be a name such as 'relu', or a list of names, one per hidden "
                            f"layer; got {activation!r}")
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    if len(names) != n_hidden:
        raise GlassnetError(f"activation has {len(names)} names for {n_hidden} hidden layers; give "
                            "one name, or a list with one per hidden layer")
    return [_SKLEARN_ACTIVATIONS.get(n.strip().lower(), n.strip().lower()) for n in names]


def _factor_logistic(names: list[str], activation: str | Sequence[str], i: int) -> bool:
    """Whether layer i's bound uses f = 2: scikit-learn's rule, by the hidden activation.

    scikit-learn takes f = 2 for every layer, the output layer included, when ``activation`` is
    'logistic'. With one activation per hidden layer, layer i takes the activation that follows
    it, and the output layer the last hidden layer's.
    """
    if names:
        return names[min(i, len(names) - 1)] == "sigmoid"
    single = activation if isinstance(activation, str) else "relu"
    return _SKLEARN_ACTIVATIONS.get(single.strip().lower(), single.strip().lower()) == "sigmoid"


def _glorot_(layer: Linear, initializer: str, logistic: bool, rs: np.random.RandomState,
             generator: Callable[[], np.random.Generator]) -> None:
    """W and b ~ U(−β, β), β = √(f / (n_in + n_out)), f = 2 for logistic else 6: scikit-learn's.

    With the default 'xavier_uniform' the numbers are scikit-learn's own: W of shape (n_in, n_out)
    then b, drawn from its RandomState (``random_state``) in its order, stored as Wᵀ. Any other
    initializer fills W from a glassnet generator and b ~ U(−β, β).
    """
    f = 2.0 if logistic else 6.0
    bound = math.sqrt(f / (layer.in_features + layer.out_features))
    fill = lookup(INITIALIZERS, initializer, "initializer")
    if fill is init.xavier_uniform_:  # xavier_uniform with gain √(f/6) has this very bound
        layer.weight.array[...] = rs.uniform(-bound, bound, (layer.in_features, layer.out_features)).T
        if layer.bias is not None:
            layer.bias.array[...] = rs.uniform(-bound, bound, layer.out_features)
        return
    fill(layer.weight, generator=generator())
    if layer.bias is not None:
        init.uniform_(layer.bias, -bound, bound, generator=generator())


def build_network(n_features: int, hidden: Sequence[int], activation: str | Sequence[str], dropout: float,
                  n_out: int, initializer: str, dtype: Any, rs: np.random.RandomState) -> Sequential:
    """The network n_features → hidden... → n_out (logits or values), weights drawn from ``rs``.

    A generator for other initializers and for dropout masks is seeded from ``rs`` when first needed.

    >>> net = build_network(4, [8], "relu", 0.0, 3, "xavier_uniform", np.float64, np.random.RandomState(0))
    >>> [type(m).__name__ for m in net]
    ['Linear', 'ReLU', 'Linear']
    """
    if any(int(h) < 1 for h in hidden):
        raise GlassnetError(f"hidden_layer_sizes must be positive integers, got {tuple(hidden)}")
    if not 0.0 <= dropout < 1.0:
        raise GlassnetError(f"dropout must be in [0, 1), got {dropout}")
    names = _activation_names(activation, len(hidden))
    sizes = [n_features, *(int(h) for h in hidden), n_out]
    drawn: list[np.random.Generator] = []

    def generator() -> np.random.Generator:
        if not drawn:
            drawn.append(np.random.default_rng(rs.randint(np.iinfo(np.int32).max)))
        return drawn[0]

    layers: list[Module] = []
    for i, (n_in, n_next) in enumerate(itertools.pairwise(sizes)):
        linear = Linear(n_in, n_next, dtype=dtype, generator=0)  # z = x Wᵀ + b; filled just below
        _glorot_(linear, initializer, _factor_logistic(names, activation, i), rs, generator)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS.lookup(names[i])())  # a = g(z)
            if dropout > 0:
                layers.append(Dropout(dropout, generator=generator()))
    return Sequential(*layers)


class ScaledLoss(Loss):
    """factor·ℓ for the registered loss ℓ named ``base``: scikit-learn's multiples of glassnet's losses.

    scikit-learn's 'squared_error' is ½·(ŷ − y)² (its ``squared_loss``: half the MSE), and a
    multi-label classifier's loss the sum over the labels of each label's mean binary
    cross-entropy (its ``binary_log_loss``), n_labels times the mean over all entries.

    >>> ScaledLoss("mse", 0.5)(Tensor([1.0, 3.0]), [0.0, 1.0]).item()   # ½·(1 + 4) / 2
    1.25
    """

    formula = Formula("ScaledLoss", "ℓ = factor·ℓ_base", r"\ell = \mathrm{factor}\,\ell_{\mathrm{base}}",
                      "∂ℓ/∂ŷ = factor·∂ℓ_base/∂ŷ",
                      r"\frac{\partial \ell}{\partial \hat y} = \mathrm{factor}\,"
                      r"\frac{\partial \ell_{\mathrm{base}}}{\partial \hat y}")

    def __init__(self, base: str, factor: float, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.base, self.factor = base, float(factor)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        function = LOSSES.fact(self.base, "function")  # the registered functional form
        return self.factor * function(input, target, reduction=self.reduction)


def regression_loss(name: str) -> Module:
    """The loss module for scikit-learn's regression loss name; 'squared_error' is its ½·MSE."""
    base = lookup(REGRESSION_LOSSES, name, "loss")
    return ScaledLoss(base, 0.5) if base == "mse" else LOSSES[base]()


def build_optimizer(est: Any, params: list[Any]) -> Optimizer:
    """The optimizer for ``est.solver``: scikit-learn's 'adam' and 'sgd' with its arguments, or any
    glassnet optimizer by name with ``lr = learning_rate_init`` and its own other defaults.

    'sgd' keeps the learning rate inside the velocity (``lr_in_momentum``), scikit-learn's rule
    v ← μv − lr·g, θ ← θ + v, which differs from PyTorch's once 'invscaling' or 'adaptive' change lr.
    """
    solver = str(est.solver).strip().lower()
    make: Callable[..., Optimizer] = lookup(OPTIMIZERS, solver, "solver")  # named as scikit-learn's
    lr = float(est.learning_rate_init)
    if lr <= 0:
        raise GlassnetError(f"learning_rate_init must be > 0, got {lr}")
    if solver == "adam":
        return make(params, lr=lr, betas=(est.beta_1, est.beta_2), eps=est.epsilon)
    if solver == "sgd":
        return make(params, lr=lr, momentum=est.momentum, lr_in_momentum=True,
                    nesterov=bool(est.nesterovs_momentum and est.momentum > 0))
    return make(params, lr=lr)


def build_penalties(alpha: float, l1: float) -> list[Regularizer]:
    """L2 and L1 penalties as scikit-learn's alpha: ½·alpha·Σ‖W‖² (weights only), and l1·Σ|W|.

    fit divides them by each batch's sample count (``penalty_per_sample``), so each batch's
    objective is scikit-learn's: data loss + ½·alpha·Σ‖W‖² / n (n the batch's Σ wᵢ when weighted).
    glassnet's ``L2(l2)`` is l2·Σw², so l2 = ½·alpha.

    >>> [r.l2 for r in build_penalties(1e-4, 0.0)]  # ½·1e-4
    [5e-05]
    """
    if alpha < 0 or l1 < 0:
        raise GlassnetError(f"alpha and l1 must be >= 0, got alpha={alpha}, l1={l1}")
    chosen = []
    for name, strength in (("l2", 0.5 * alpha), ("l1", l1)):
        if strength > 0:
            make: Callable[..., Regularizer] = REGULARIZERS[name]  # L2(l2), L1(l1)
            chosen.append(make(strength))
    return chosen
