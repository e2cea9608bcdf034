"""Normalization layers: LayerNorm (over each sample's features) and BatchNorm1d (over the batch).

Both are x̂ = (x − x̄)/√(s² + ε) (``engine.norm_ops.Normalize``, its backward fused), x̄ and s² a
mean and a variance, followed by the learned scale and shift h = W ⊙ x̂ + b (the layer's weight and
bias). BatchNorm1d also keeps running estimates of x̄ and s²
as buffers, updated by the op itself in training mode (so a replayed step of ``fit`` updates them
too) and used in place of the batch's in eval mode.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from glassnet.engine import ops
from glassnet.engine.devices import as_device
from glassnet.engine.norm_ops import Normalize, Standardize
from glassnet.engine.op import apply
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, ShapeError, check_number
from glassnet.nn.module import Module, Parameter
from glassnet.registry import Formula

__all__ = ["BatchNorm1d", "LayerNorm", "batch_norm", "layer_norm"]

# The formula both layers share; only where the mean and variance are taken differs.
_FORWARD = "h = W ⊙ x̂ + b,  x̂ = (x − x̄)/√(s² + ε)"
_FORWARD_LATEX = r"h = W \odot \hat x + b,\quad \hat x = \frac{x - \bar x}{\sqrt{s^2 + \epsilon}}"
_BACKWARD = "(e − mean(e) − x̂·mean(e ⊙ x̂))/√(s² + ε),  e = ∂L/∂x̂ = W ⊙ ∂L/∂h"
_BACKWARD_LATEX = (r"\frac{\partial L}{\partial x} = "
                   r"\frac{e - \overline{e} - \hat x\,\overline{e \odot \hat x}}"
                   r"{\sqrt{s^2 + \epsilon}},\quad e = \frac{\partial L}{\partial \hat x} = W \odot "
                   r"\frac{\partial L}{\partial h}")


def layer_norm(input: ArrayLike, normalized_shape: tuple[int, ...], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """h = W ⊙ (x − x̄)/√(s² + ε) + b, x̄ and s² over the last ``len(normalized_shape)`` axes."""
    x = ops.as_tensor(input)
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != tuple(normalized_shape) or x.ndim < k:
        raise ShapeError(f"LayerNorm({tuple(normalized_shape)}) got input of shape {x.shape}; its last "
                         f"{k} axes must be {tuple(normalized_shape)}: check normalized_shape")
    y = apply(Normalize, x, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)
    y = y if weight is None else ops.mul(y, weight)
    return y if bias is None else ops.add(y, bias)


class LayerNorm(Module):
    """Layer normalization (Ba et al. 2016): each sample's features to mean 0 and variance 1,
    then a learned scale W and shift b per feature (``weight`` and ``bias``).

    Args:
        normalized_shape: the trailing shape normalized over, e.g. ``64`` or ``(4, 16)``.
        eps: ε, added to the variance.
        elementwise_affine: learn W (ones at first) and, with ``bias``, b (zeros at first).
        bias: learn b.
        dtype: parameter dtype (float32 by default).

    Shapes: input (*, *normalized_shape) → output of the same shape.

    >>> import numpy as np, glassnet as gn
    >>> gn.nn.LayerNorm(3)(gn.tensor([[1.0, 2.0, 3.0]])).numpy().round(4)
    array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
    """

    formula: ClassVar[Formula] = Formula(
        "LayerNorm", f"{_FORWARD},  x̄, s² the mean and variance of each sample's features", _FORWARD_LATEX,
        f"∂L/∂x = {_BACKWARD}", _BACKWARD_LATEX,
    )

    def __init__(self, normalized_shape: int | tuple[int, ...] | list[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *, dtype: Any = np.float32,
                 device: Any = None) -> None:
        super().__init__()
        as_device(device)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else (
            tuple(normalized_shape) if isinstance(normalized_shape, tuple | list) else ())
        if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
            raise GlassnetError(f"LayerNorm needs normalized_shape of positive ints, e.g. 64 or (4, 16), "
                                f"got {normalized_shape!r}")
        eps = check_number("LayerNorm", "eps", eps, 0.0, example=1e-5)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(np.ones(shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype=dtype)) if elementwise_affine and bias else None
        if device is not None:  # made on the host (initial values from glassnet's generator), then moved
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


def batch_norm(input: ArrayLike, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5, *,
               num_batches_tracked: Tensor | None = None) -> Tensor:
    """h = W ⊙ (x − x̄)/√(s² + ε) + b per channel (axis 1) of x (N, C) or (N, C, L).

    In training (or without running statistics) x̄ and s² are the batch's, and the running ones,
    if given, move towards them in place: r ← (1 − m)·r + m·batch, the variance unbiased
    (×n/(n − 1)), m = momentum, or 1/t for the t-th batch when momentum is None (a cumulative
    average; ``num_batches_tracked`` counts t). Otherwise x̄ and s² are the running ones.
    """
    x = ops.as_tensor(input)
    axes = (0,) if x.ndim == 2 else (0, 2)
    if training or running_mean is None or running_var is None:
        track = None
        if training and running_mean is not None and running_var is not None:
            track = _Running(running_mean, running_var, num_batches_tracked, momentum)
        y = apply(Normalize, x, axes=axes, eps=eps, track=track)
    else:
        y = apply(Standardize, x, _per_channel(running_mean, x), _per_channel(running_var, x), eps=eps)
    y = y if weight is None else ops.mul(y, _per_channel(weight, x))
    return y if bias is None else ops.add(y, _per_channel(bias, x))


def _per_channel(t: Tensor, x: Tensor) -> Tensor:
    """A (C,) tensor shaped to broadcast along x's axis 1: (C,) for (N, C), (C, 1) for (N, C, L)."""
    return t if x.ndim == 2 else ops.reshape(t, (t.shape[0], 1))


class _Running:
    """Moves the running mean and variance towards each training batch's statistics, in place.

    The ``track`` of the Normalize op. Two of them holding the same tensors are equal, so two
    recorded steps of a layer compare equal and ``fit`` replays them, updating the statistics.
    """

    def __init__(self, mean: Tensor, var: Tensor, count: Tensor | None, momentum: float | None) -> None:
        if momentum is None and count is None:
            raise GlassnetError("batch_norm with momentum=None (a cumulative average) needs "
                                "num_batches_tracked to count the batches")
        self.mean, self.var, self.count, self.momentum = mean, var, count, momentum

    def __call__(self, mu: Any, var: Any, n: int) -> None:
        if self.count is not None:
            self.count.array[...] += 1  # t
        m = self.momentum if self.momentum is not None else 1.0 / float(self.count.array)  # type: ignore[union-attr]
        unbiased = var * (n / (n - 1)) if n > 1 else var  # the running estimate divides by n − 1
        mean, running_var = self.mean.array, self.var.array  # in place, on the layer's device
        mean[...] = m * mu + (1.0 - m) * mean
        running_var[...] = m * unbiased + (1.0 - m) * running_var

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, _Running) and self.mean is other.mean and self.var is other.var
                and self.count is other.count and self.momentum == other.momentum)

    def __hash__(self) -> int:
        return hash((id(self.mean), id(self.var), id(self.count), self.momentum))


class BatchNorm1d(Module):
    """Batch normalization (Ioffe & Szegedy 2015): each feature (channel) to mean 0 and variance 1
    over the batch, then a learned scale W and shift b per feature (``weight`` and ``bias``).

    In training mode x̄ and s² are the batch's (s² biased), and the buffers ``running_mean`` and
    ``running_var`` move towards them: r ← (1 − momentum)·r + momentum·batch, with the unbiased
    variance (× n/(n − 1)), as PyTorch; ``num_batches_tracked`` counts the batches. In eval mode
    the running estimates normalize instead.

    Args:
        num_features: C, the number of features (channels).
        eps: ε, added to the variance.
        momentum: the weight of each new batch in the running estimates; None for a cumulative
            average (1/t for the t-th batch).
        affine: learn W (ones at first) and b (zeros at first).
        track_running_stats: keep running estimates; without them every mode uses the batch's.
        dtype: parameter and running-estimate dtype (float32 by default).

    Shapes: input (N, C) or (N, C, L) → output of the same shape.

    >>> import numpy as np, glassnet as gn
    >>> bn = gn.nn.BatchNorm1d(2)
    >>> bn(gn.tensor([[1.0, 10.0], [3.0, 30.0]])).numpy().round(3)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> bn.running_mean, int(bn.num_batches_tracked.item())
    (tensor([0.2, 2. ]), 1)
    """

    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    formula: ClassVar[Formula] = Formula(
        "BatchNorm1d", f"{_FORWARD},  x̄, s² each feature's mean and variance over the batch (training)",
        _FORWARD_LATEX, f"∂L/∂x = {_BACKWARD},  means over the batch", _BACKWARD_LATEX,
    )

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, dtype: Any = np.float32,
                 device: Any = None) -> None:
        super().__init__()
        as_device(device)
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise GlassnetError(f"BatchNorm1d needs num_features > 0 (the number of features), got "
                                f"{num_features!r}")
        eps = check_number("BatchNorm1d", "eps", eps, 0.0, open_low=True, example=1e-5)  # as torch: eps > 0
        if momentum is not None:  # None: a cumulative average
            momentum = check_number("BatchNorm1d", "momentum", momentum, 0.0, 1.0, open_high=False,
                                    example=0.1)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)) if tracked else None)
        self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)) if tracked else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)) if tracked else None)
        if device is not None:  # made on the host (initial values from glassnet's generator), then moved
            self.to(device)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches counted."""
        for buffer, value in zip(self.buffers(recurse=False), (0, 1, 0), strict=False):
            buffer.array[...] = value  # running_mean, running_var, num_batches_tracked

    def forward(self, input: Tensor) -> Tensor:
        x = ops.as_tensor(input)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ShapeError(f"BatchNorm1d({self.num_features}) got input of shape {x.shape}; expected "
                             f"(N, {self.num_features}) or (N, {self.num_features}, L): check the previous "
                             "layer's out_features")
        if self.training and x.numel() // x.shape[1] == 1:
            raise GlassnetError(f"BatchNorm1d in training mode needs more than one value per feature, got "
                                f"input of shape {x.shape}; use batches of 2 or more samples, or call "
                                ".eval() to use the running estimates")
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                          self.momentum, self.eps, num_batches_tracked=self.num_batches_tracked)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")
