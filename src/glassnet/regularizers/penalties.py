"""Weight penalties added to the loss: L1, L2 and elastic net, each a differentiable scalar.

A regularizer is a loss term R, ``L_total = L + R``, built from engine operations so that
``loss.backward()`` adds ∂R/∂W to every weight's gradient; any optimizer then follows it. L1, L2
and elastic net are one graph node over all the weights (``engine.penalty_ops``), with the
numbers of their ``penalty`` composed from ops, tensor by tensor (bit for bit for L1 and L2).

L2 here is not weight decay. For plain SGD the two coincide: a step on L + λ₂·ΣW² is
``W ← W − η·(∂L/∂W + 2·λ₂·W)``, exactly PyTorch's coupled ``SGD(weight_decay=2·λ₂)``. With Adam
they differ: the penalty's gradient 2·λ₂·W is divided by √v̂ like any other gradient, whereas
decoupled weight decay (AdamW; Loshchilov & Hutter 2019, Algorithm 2 line 12) shrinks
``W ← W − η·λ·W`` outside the adaptive step (λ = weight_decay). See docs/regularization.md.

Which parameters count as weights: for a Module, those whose dotted name does not end in
``bias``; for a bare iterable of tensors, those with at least 2 dimensions (1-D tensors are
taken to be biases, the convention of nanoGPT's ``configure_optimizers``). Biases are left out
unless ``include_bias=True``: penalising them does not reduce a layer's capacity, it only moves
its operating point (Goodfellow et al. 2016, Deep Learning, sec. 7.1).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from glassnet.engine import ops
from glassnet.engine.penalty_ops import weight_penalty
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.nn.module import Module
from glassnet.registry import Formula, Registry

__all__ = ["L1", "L2", "REGULARIZERS", "ElasticNet", "Params", "Regularizer", "penalised", "weights_of"]

Params = Module | Tensor | Iterable[Tensor]


def weights_of(params: Params, include_bias: bool = False) -> list[Tensor]:
    """The tensors to penalise or constrain: a Module's non-bias parameters, or 2-D+ tensors."""
    if isinstance(params, Module):
        return penalised(params.named_parameters(), include_bias)
    tensors = [params] if isinstance(params, Tensor) else list(params)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise GlassnetError(
                f"expected a Module or an iterable of Parameters, got an item of type "
                f"{type(t).__name__}; pass the model itself or model.parameters()"
            )
    return [t for t in tensors if include_bias or t.ndim >= 2]


def penalised(named: Iterable[tuple[str, Tensor]], include_bias: bool) -> list[Tensor]:
    """The penalised ones of a module's (name, parameter) pairs: all, or those not named ...bias."""
    return [p for name, p in named if include_bias or not name.endswith("bias")]


def _strength(name: str, value: float) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and value >= 0):
        raise GlassnetError(
            f"regularization strength {name} must be a finite number >= 0, got {name}={value!r}; "
            "a negative strength would reward large weights"
        )
    return float(value)


class Regularizer(ABC):
    """A penalty R(W) summed over the weights of a model; call it to get a scalar Tensor.

    Args:
        include_bias: penalise biases too (see the module docstring for what counts as a bias).
    """

    formula: ClassVar[Formula]

    def __init__(self, *, include_bias: bool = False) -> None:
        self.include_bias = include_bias

    @abstractmethod
    def penalty(self, w: Tensor) -> Tensor:
        """R(w) for one tensor, a scalar Tensor in the graph."""

    def __call__(self, params: Params) -> Tensor:
        """Σ over the selected weights W of R(W): a scalar Tensor whose backward gives dR/dW.

        Args:
            params: a Module, one Tensor, or an iterable of Tensors (e.g. ``model.parameters()``).

        Returns:
            A 0-d Tensor in the weights' dtype; a constant 0 (float32) when there is no weight.
        """
        weights = weights_of(params, self.include_bias)
        strengths = self._strengths()
        if strengths is not None and weights:  # l1·Σ|w| + l2·Σw²: one fused node for all weights
            return weight_penalty(weights, *strengths)
        terms = [self.penalty(w) for w in weights]
        total = terms[0] if terms else Tensor(np.float32(0.0))
        for term in terms[1:]:
            total = total + term
        return total

    def _strengths(self) -> tuple[float, float] | None:
        """(l1, l2) when ``penalty`` is l1·Σ|w| + l2·Σw², which ``__call__`` then fuses; else None.

        A subclass that redefines ``penalty`` inherits None and its own penalty is used.
        """
        return None

    def __repr__(self) -> str:
        strengths = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "include_bias")
        bias = ", include_bias=True" if self.include_bias else ""
        return f"{type(self).__name__}({strengths}{bias})"


class L1(Regularizer):
    """Lasso penalty R = λ₁·Σ|W| (λ₁ = ``l1``); its gradient λ₁·sign(W) pushes weights to exactly 0.

    The subgradient at a weight of 0 is taken as 0 (as PyTorch's abs).

    >>> import glassnet as gn, numpy as np
    >>> w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    >>> loss = L1(0.1)([w])   # 0.1·(1 + 2)
    >>> loss.backward()
    >>> round(loss.item(), 12), w.grad.tolist()
    (0.3, [[0.1, -0.1]])
    """

    formula = Formula(
        "L1", "R = λ₁·Σ|W|  (λ₁ = l1; Σ over every element of every weight W)",
        r"R = \lambda_1 \sum |W|",
        "∂R/∂W = λ₁·sign(W)", r"\frac{\partial R}{\partial W} = \lambda_1 \operatorname{sign}(W)",
        plug="{l1}·|{t}|",
        derivative_plug="{l1}·sign({t})",
    )  # fmt: skip

    def __init__(self, l1: float = 0.01, *, include_bias: bool = False) -> None:
        super().__init__(include_bias=include_bias)
        self.l1 = _strength("l1", l1)

    def penalty(self, w: Tensor) -> Tensor:
        return self.l1 * ops.sum(ops.abs(w))

    def _strengths(self) -> tuple[float, float] | None:
        return (self.l1, 0.0) if type(self).penalty is L1.penalty else None


class L2(Regularizer):
    """Ridge penalty R = λ₂·ΣW² (λ₂ = ``l2``; a loss term, not weight decay); gradient 2·λ₂·W.

    With plain SGD, L2(l2) equals PyTorch's ``SGD(weight_decay=2·l2)``; with Adam it is neither
    AdamW's decoupled decay nor worth the same (see the module docstring).

    >>> import glassnet as gn, numpy as np
    >>> w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    >>> loss = L2(0.1)([w])   # 0.1·(1 + 4)
    >>> loss.backward()
    >>> round(loss.item(), 12), w.grad.tolist()
    (0.5, [[0.2, -0.4]])
    """

    formula = Formula(
        "L2", "R = λ₂·ΣW²  (λ₂ = l2; Σ over every element of every weight W)",
        r"R = \lambda_2 \sum W^2",
        "∂R/∂W = 2·λ₂·W", r"\frac{\partial R}{\partial W} = 2 \lambda_2 W",
        plug="{l2}·{t}²",
        derivative_plug="2·{l2}·{t}",
    )  # fmt: skip

    def __init__(self, l2: float = 0.01, *, include_bias: bool = False) -> None:
        super().__init__(include_bias=include_bias)
        self.l2 = _strength("l2", l2)

    def penalty(self, w: Tensor) -> Tensor:
        return self.l2 * ops.sum(ops.mul(w, w))

    def _strengths(self) -> tuple[float, float] | None:
        return (0.0, self.l2) if type(self).penalty is L2.penalty else None


class ElasticNet(Regularizer):
    """Elastic net (Zou & Hastie 2005): R = λ₁·Σ|W| + λ₂·ΣW²; gradient λ₁·sign(W) + 2·λ₂·W.

    >>> import glassnet as gn, numpy as np
    >>> w = gn.nn.Parameter(np.array([[1.0, -2.0]]))
    >>> round(ElasticNet(0.1, 0.1)([w]).item(), 12)   # 0.1·3 + 0.1·5
    0.8
    """

    formula = Formula(
        "ElasticNet", "R = λ₁·Σ|W| + λ₂·ΣW²  (λ₁ = l1, λ₂ = l2; Σ over every element of every weight W)",
        r"R = \lambda_1 \sum |W| + \lambda_2 \sum W^2",
        "∂R/∂W = λ₁·sign(W) + 2·λ₂·W",
        r"\frac{\partial R}{\partial W} = \lambda_1 \operatorname{sign}(W) + 2 \lambda_2 W",
        plug="{l1}·|{t}| + {l2}·{t}²",
        derivative_plug="{l1}·sign({t}) + 2·{l2}·{t}",
    )  # fmt: skip

    def __init__(self, l1: float = 0.01, l2: float = 0.01, *, include_bias: bool = False) -> None:
        super().__init__(include_bias=include_bias)
        self.l1, self.l2 = _strength("l1", l1), _strength("l2", l2)

    def penalty(self, w: Tensor) -> Tensor:
        return self.l1 * ops.sum(ops.abs(w)) + self.l2 * ops.sum(ops.mul(w, w))

    def _strengths(self) -> tuple[float, float] | None:
        return (self.l1, self.l2) if type(self).penalty is ElasticNet.penalty else None


REGULARIZERS: Registry[type[Regularizer]] = Registry("regularizer")
"""Every weight penalty by name."""
REGULARIZERS.register("l1", L1)
REGULARIZERS.register("l2", L2)
REGULARIZERS.register("elastic_net", ElasticNet)
REGULARIZERS.seal()
