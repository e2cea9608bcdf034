"""Layers: Linear (weights and biases), Sequential (feedforward), Identity, Dropout, Flatten."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Self

import numpy as np

from glassnet.engine import ops, random_ops
from glassnet.engine.op import apply
from glassnet.engine.random_ops import dropout_mask
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, ShapeError
from glassnet.nn import init
from glassnet.nn.containers import ModuleDict, ModuleList, _ModuleSequence
from glassnet.nn.module import Module, Parameter, as_generator
from glassnet.registry import Formula, Registry

__all__ = ["LAYERS", "Dropout", "Flatten", "Identity", "Linear", "Sequential", "dropout", "dropout_mask"]

LAYERS: Registry[type[Module]] = Registry("layer", facts=("arguments",))
"""Every layer and container a model file can hold (the activations are ``ACTIVATIONS``), with
``arguments``: the constructor arguments a file stores and the type of each (by default, every
argument of the constructor, typed by its default)."""


class Linear(Module):
    """A layer of neurons: z = x Wᵀ + b.

    Each of the ``out_features`` neurons computes a weighted sum of the ``in_features`` inputs
    plus its bias. Weights are initialised as PyTorch does: W, b ~ U(-1/√in, 1/√in)
    (``kaiming_uniform_`` with a = √5).

    Args:
        in_features: size of each input sample.
        out_features: number of neurons.
        bias: learn a bias b.
        dtype: parameter dtype (float32 by default, ``np.float64`` on request).
        generator: seed or ``np.random.Generator`` for the initial weights.

    Shapes: input (*, in_features) → output (*, out_features); weight (out_features,
    in_features); bias (out_features,).

    >>> import glassnet as gn
    >>> layer = gn.nn.Linear(3, 2, generator=0)
    >>> layer(gn.tensor([[1.0, 2.0, 3.0]])).shape
    (1, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = np.float32, generator: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        rng = as_generator(generator)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        self.bias: Parameter | None = None
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=rng)

    def forward(self, x: Tensor) -> Tensor:
        if type(x) is Tensor and x.array.ndim == 2 and x.array.shape[1] == self.in_features:  # rows
            b = self.bias
            return apply(ops.Linear, x, self.weight) if b is None else apply(ops.Linear, x, self.weight, b)
        x = ops.as_tensor(x)  # an ndarray is welcome too
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(
                f"Linear({self.in_features} -> {self.out_features}) got input of shape "
                f"{x.shape}; expected (..., {self.in_features}): check the previous layer's "
                "out_features or the number of columns of the data"
            )
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(_ModuleSequence):
    """Feedforward: the output of each module is the input of the next.

    Holds its modules by position, as a list does and as ``torch.nn.Sequential``: ``len``,
    iteration, ``net[i]``, ``net[i] = module``, ``del net[i]``, ``append`` (O(1)), ``extend``,
    ``insert``, ``pop`` and ``+`` / ``+=``. A slice ``net[1:]`` is a new Sequential of the same
    modules, numbered from 0 (PyTorch keeps the old numbers in a slice).

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 4, generator=0), gn.nn.Tanh(), gn.nn.Linear(4, 1))
    >>> net(gn.tensor([[0.0, 1.0]])).shape
    (1, 1)
    >>> len(net), net[-1].out_features, len(net[:2])
    (3, 1, 2)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def _like(self, modules: list[Module]) -> Self:
        return type(self)(*modules)

    def forward(self, x: Tensor) -> Tensor:
        for module in vars(self).values():  # the modules in order, without per-call generators
            if isinstance(module, Module):
                x = module(x)
        return x


class Identity(Module):
    """Returns its input unchanged."""

    formula: ClassVar[Formula] = Formula("Identity", "f(z) = z", "f(z) = z", "f'(z) = 1", "f'(z) = 1")

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Flatten all axes but the first: (n_samples, d1, d2, ...) → (n_samples, d1·d2·...)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.reshape(x, (x.shape[0], -1))


def dropout(x: Tensor, p: float = 0.5, training: bool = True,
            generator: int | np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1 - p).

    The expectation E[dropout(x)] = x, so nothing changes at evaluation time, where it is the
    identity. The gradient flows only through the kept elements, scaled the same way.
    """
    if not 0.0 <= p <= 1.0:
        raise GlassnetError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return ops.mul(x, 0.0)
    return random_ops.dropout(ops.as_tensor(x), p, as_generator(generator))


class Dropout(Module):
    """Inverted dropout (see :func:`dropout`), active in training mode only.

    Args:
        p: probability of zeroing an element.
        generator: seed or Generator for the masks; the same seed gives the same masks.
    """

    def __init__(self, p: float = 0.5, *, generator: int | np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise GlassnetError(f"Dropout(p) needs 0 <= p <= 1, got p={p}")
        self.p = p
        self._rng = as_generator(generator)

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, self._rng)

    def mask(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A training pass's multiplier (see :func:`dropout_mask`), drawn from this layer's generator."""
        return dropout_mask(shape, self.p, dtype, self._rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


LAYERS.register("linear", Linear,
                arguments={"in_features": int, "out_features": int, "bias": bool, "dtype": str})
LAYERS.register("dropout", Dropout, arguments={"p": float})
LAYERS.register("flatten", Flatten)
LAYERS.register("identity", Identity)
LAYERS.register("sequential", Sequential)
LAYERS.register("module_list", ModuleList)
LAYERS.register("module_dict", ModuleDict)
LAYERS.seal()
