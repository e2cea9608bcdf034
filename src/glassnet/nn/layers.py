"""Layers: Linear and LazyLinear, Sequential (feedforward), Identity, Dropout, Flatten, Unflatten;
and ``LAYERS``, the registry of every layer a model file can hold (the normalization and
embedding layers of ``normalization.py`` and ``embedding.py`` too)."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Self

import numpy as np

from glassnet.engine import ops, random_ops
from glassnet.engine.devices import as_device
from glassnet.engine.libraries import host_dtype
from glassnet.engine.op import apply
from glassnet.engine.random_ops import dropout_mask
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, ShapeError, check_number, check_whole
from glassnet.nn import init
from glassnet.nn.containers import ModuleDict, ModuleList, _ModuleSequence
from glassnet.nn.embedding import Embedding
from glassnet.nn.module import Module, Parameter, UninitializedParameter, as_generator
from glassnet.nn.normalization import BatchNorm1d, LayerNorm
from glassnet.registry import Formula, Registry

__all__ = ["LAYERS", "Dropout", "Flatten", "Identity", "LazyLinear", "Linear", "Sequential", "Unflatten",
           "dropout", "dropout_mask"]

LAYERS: Registry[type[Module]] = Registry("layer", facts=("arguments", "config", "n_parameters"))
"""Every layer and container a model file can hold (the activations are ``ACTIVATIONS``), with
``arguments``: the constructor arguments a file stores and the type of each (by default, every
argument of the constructor, typed by its default; ``tuple`` for a tuple of ints, ``str`` for a
``dtype``); ``config``: a function giving a layer's arguments where they are not simply its
attributes of the same names; ``n_parameters``: a function of the arguments giving the number of
learnable scalars, so a file is checked before anything is allocated."""


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

    formula: ClassVar[Formula] = Formula(
        "Linear", "zˡ = aˡ⁻¹·(Wˡ)ᵀ + bˡ", r"z^l = a^{l-1} (W^l)^\top + b^l",
        "∂L/∂Wˡ = (δˡ)ᵀ·aˡ⁻¹,  ∂L/∂bˡ = Σ over samples of δˡ,  ∂L/∂aˡ⁻¹ = δˡ·Wˡ",
        r"\frac{\partial L}{\partial W^l} = (\delta^l)^\top a^{l-1},\ "
        r"\frac{\partial L}{\partial b^l} = \sum_{\text{samples}} \delta^l,\ "
        r"\frac{\partial L}{\partial a^{l-1}} = \delta^l W^l",
    )  # fmt: skip

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = np.float32, generator: int | np.random.Generator | None = None,
                 device: Any = None) -> None:
        super().__init__()
        as_device(device)
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
                what = "inputs" if name == "in_features" else "outputs"
                raise GlassnetError(f"Linear got {name}={size!r}; expected a whole number >= 0 (the number "
                                    f"of {what}), e.g. {name}=64")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        _initialize(self.weight, self.bias, as_generator(generator))
        if device is not None:  # made on the host (initial values from glassnet's generator), then moved
            self.to(device)

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


def _initialize(weight: Parameter, bias: Parameter | None, rng: np.random.Generator) -> None:
    """PyTorch's initial Linear weights: W ~ kaiming_uniform_(a=√5) = U(-1/√in, 1/√in), b the same."""
    init.kaiming_uniform_(weight, a=math.sqrt(5), generator=rng)
    if bias is not None:
        in_features = weight.shape[1]
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        init.uniform_(bias, -bound, bound, generator=rng)


class LazyLinear(Module):
    """A Linear layer whose in_features is taken from its first input; it then becomes a Linear.

    Until that first call its weight and bias are ``UninitializedParameter`` s (no values). The
    first input's last axis gives in_features; the parameters are then drawn as Linear's, and the
    layer *is* a ``Linear`` from then on (its class, repr, ``state_dict`` and model files), as in
    PyTorch. An optimizer built before that call holds the same parameter objects and sees their
    values; but calling the model once on a batch first, as PyTorch's documentation advises, is
    clearer. ``load_state_dict`` also gives it its shape.

    Args:
        out_features: number of neurons.
        bias: learn a bias b.
        dtype: parameter dtype (float32 by default).
        generator: seed or Generator for the initial weights, drawn at the first call.

    >>> import numpy as np, glassnet as gn
    >>> layer = gn.nn.LazyLinear(2, generator=0)
    >>> layer
    LazyLinear(in_features=0, out_features=2, bias=True)
    >>> layer(np.ones((5, 3), dtype=np.float32)).shape, layer
    ((5, 2), Linear(in_features=3, out_features=2, bias=True)  # weight(2, 3), bias(2,): 8 params)
    """

    def __init__(self, out_features: int, bias: bool = True, *, dtype: Any = np.float32,
                 generator: int | np.random.Generator | None = None, device: Any = None) -> None:
        super().__init__()
        self._where = None if device is None else as_device(device)  # moved there once materialized
        self.in_features, self.out_features = 0, out_features
        self.weight: Parameter = UninitializedParameter(dtype=dtype)
        self.bias: Parameter | None = UninitializedParameter(dtype=dtype) if bias else None
        self._rng = as_generator(generator)

    def forward(self, x: Tensor) -> Tensor:
        x = ops.as_tensor(x)
        if x.ndim == 0:
            raise ShapeError("LazyLinear got a 0-d input; expected (..., in_features)")
        self._become_linear(x.shape[-1], initialize=True)
        return Linear.forward(self, x)  # type: ignore[arg-type]  # self is a Linear now

    def _become_linear(self, in_features: int, initialize: bool) -> None:
        """Give the parameters their shapes (and Linear's initial values) and turn into a Linear."""
        self.in_features = in_features
        if isinstance(self.weight, UninitializedParameter):
            self.weight.materialize((self.out_features, in_features))
        if isinstance(self.bias, UninitializedParameter):
            self.bias.materialize((self.out_features,))
        if initialize:
            _initialize(self.weight, self.bias, self._rng)
        if self._where is not None:
            self.to(self._where)
        del self._rng, self._where
        self.__class__ = Linear  # type: ignore[assignment]  # the same object, as PyTorch does

    def _state_loaded(self) -> None:
        if not isinstance(self.weight, UninitializedParameter):  # the state gave the weight its shape
            if isinstance(self.bias, UninitializedParameter):
                raise GlassnetError("load_state_dict gave a LazyLinear its weight but not its bias; "
                                    "include the bias, or build it with bias=False")
            self._become_linear(self.weight.shape[1], initialize=False)

    def extra_repr(self) -> str:
        return f"in_features=0, out_features={self.out_features}, bias={self.bias is not None}"


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

    formula: ClassVar[Formula] = Formula("Identity", "f(z) = z", "f(z) = z", "f′(z) = 1", "f'(z) = 1")

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Join the axes start_dim to end_dim into one: by default all axes but the first,
    (n_samples, d1, d2, ...) → (n_samples, d1·d2·...).

    >>> import numpy as np, glassnet as gn
    >>> gn.nn.Flatten()(np.zeros((2, 3, 4))).shape, gn.nn.Flatten(0, 1)(np.zeros((2, 3, 4))).shape
    ((2, 12), (6, 4))
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = check_whole("Flatten", "start_dim", start_dim, low=None)
        self.end_dim = check_whole("Flatten", "end_dim", end_dim, low=None, example=-1)

    def forward(self, x: Tensor) -> Tensor:
        x = ops.as_tensor(x)
        shape, n = x.shape, max(x.ndim, 1)
        start, end = self.start_dim % n, self.end_dim % n
        if not (-n <= self.start_dim < n and -n <= self.end_dim < n) or start > end:
            raise ShapeError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) got input of "
                             f"shape {shape}; both must be axes of it, start_dim before end_dim")
        joined = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return ops.reshape(x, (*shape[:start], joined, *shape[end + 1:]))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split the axis ``dim`` into ``unflattened_size`` (one entry may be -1: what is left).

    >>> import numpy as np, glassnet as gn
    >>> gn.nn.Unflatten(1, (2, 5))(np.zeros((3, 10))).shape
    (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int]) -> None:
        super().__init__()
        self.dim = check_whole("Unflatten", "dim", dim, low=None)
        if not isinstance(unflattened_size, tuple | list):
            raise GlassnetError(f"Unflatten got unflattened_size={unflattened_size!r}; expected a tuple of "
                                "positive ints (one may be -1), e.g. unflattened_size=(2, 5)")
        self.unflattened_size = tuple(unflattened_size)
        if not self.unflattened_size or sum(n == -1 for n in self.unflattened_size) > 1 or not all(
                isinstance(n, int) and (n > 0 or n == -1) for n in self.unflattened_size):
            raise GlassnetError(f"Unflatten needs unflattened_size of positive ints (one may be -1), got "
                                f"{unflattened_size!r}")

    def forward(self, x: Tensor) -> Tensor:
        x = ops.as_tensor(x)
        if not -x.ndim <= self.dim < x.ndim:
            raise ShapeError(f"Unflatten(dim={self.dim}) got input of shape {x.shape}, which has no axis "
                             f"{self.dim}")
        dim, sizes = self.dim % x.ndim, self.unflattened_size
        known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
        if (-1 in sizes and x.shape[dim] % known) or (-1 not in sizes and known != x.shape[dim]):
            raise ShapeError(f"Unflatten(dim={self.dim}, {sizes}) got input of shape {x.shape}: axis "
                             f"{self.dim} has {x.shape[dim]} elements, which do not split into {sizes}")
        return ops.reshape(x, (*x.shape[:dim], *sizes, *x.shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


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
        p: probability of zeroing an element (p_drop in the formula).
        generator: seed or Generator for the masks; the same seed gives the same masks.
    """

    formula: ClassVar[Formula] = Formula(
        "Dropout", "h = x ⊙ ξ/(1 − p_drop),  ξᵢ ~ Bernoulli(1 − p_drop)  (training; h = x in eval)",
        r"h = \frac{x \odot \xi}{1 - p_{\mathrm{drop}}},\quad "
        r"\xi_i \sim \mathrm{Bernoulli}(1 - p_{\mathrm{drop}})",
        "∂L/∂x = ∂L/∂h ⊙ ξ/(1 − p_drop)",
        r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial h} \odot "
        r"\frac{\xi}{1 - p_{\mathrm{drop}}}",
    )

    def __init__(self, p: float = 0.5, *, generator: int | np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= check_number("Dropout", "p", p, example=0.5) <= 1.0:
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


def _dtype_name(module: Module) -> str:
    """The dtype a layer's file records: that of its first floating parameter or buffer."""
    for t in [*module.parameters(), *module.buffers()]:
        if host_dtype(t.array).kind == "f":
            return str(host_dtype(t.array))
    return "float32"


LAYERS.register("linear", Linear,
                arguments={"in_features": int, "out_features": int, "bias": bool, "dtype": str},
                config=lambda m: {"in_features": m.in_features, "out_features": m.out_features,
                                  "bias": m.bias is not None, "dtype": _dtype_name(m)},
                n_parameters=lambda a: a["out_features"] * (a["in_features"] + a["bias"]))
LAYERS.register("dropout", Dropout, arguments={"p": float})
LAYERS.register("flatten", Flatten)
LAYERS.register("unflatten", Unflatten, arguments={"dim": int, "unflattened_size": tuple})
LAYERS.register("identity", Identity)
LAYERS.register("layer_norm", LayerNorm,
                arguments={"normalized_shape": tuple, "eps": float, "elementwise_affine": bool, "bias": bool,
                           "dtype": str},
                config=lambda m: {"normalized_shape": m.normalized_shape, "eps": m.eps,
                                  "elementwise_affine": m.elementwise_affine,
                                  "bias": m.bias is not None or not m.elementwise_affine,
                                  "dtype": _dtype_name(m)},
                n_parameters=lambda a: 2 * int(np.prod(a["normalized_shape"], dtype=np.int64)))
LAYERS.register("batch_norm1d", BatchNorm1d,
                arguments={"num_features": int, "eps": float, "momentum": float | None, "affine": bool,
                           "track_running_stats": bool, "dtype": str},
                config=lambda m: {"num_features": m.num_features, "eps": m.eps, "momentum": m.momentum,
                                  "affine": m.affine, "track_running_stats": m.track_running_stats,
                                  "dtype": _dtype_name(m)},
                n_parameters=lambda a: 4 * a["num_features"])
LAYERS.register("embedding", Embedding,
                arguments={"num_embeddings": int, "embedding_dim": int, "padding_idx": int | None,
                           "dtype": str},
                config=lambda m: {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim,
                                  "padding_idx": m.padding_idx, "dtype": _dtype_name(m)},
                n_parameters=lambda a: a["num_embeddings"] * a["embedding_dim"])
LAYERS.register("sequential", Sequential)
LAYERS.register("module_list", ModuleList)
LAYERS.register("module_dict", ModuleDict)
LAYERS.seal()
