"""Reductions and shape operations, each forward with its local derivative beside it.

As in ``ops.py``: ``backward`` maps ``g = ∂L/∂out`` to ``∂L/∂input``; a reduction copies the
gradient back over the axes it reduced, a shape operation puts it back in the input's shape.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.engine.backend import check_one_library, device, is_numpy, kind, namespace
from glassnet.engine.devices import device as Device
from glassnet.engine.libraries import device_of, scatter_add
from glassnet.engine.libraries import move as move_array
from glassnet.engine.op import Op, apply, as_tensor, raw
from glassnet.engine.tensor import ArrayLike, Tensor

__all__ = [
    "concatenate", "getitem", "max", "mean", "min", "move", "reshape", "stack", "sum", "transpose",
]  # fmt: skip

Axis = int | tuple[int, ...] | None


# ----------------------------------------------------------------------------- reductions
def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """The reduced axes as non-negative numbers, in increasing order."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in ((axis,) if isinstance(axis, int) else axis)))


def _expand(g: Any, shape: tuple[int, ...], axis: Axis, keepdims: bool) -> Any:
    """Put back the reduced axes of ``g`` and broadcast it to ``shape`` (a read-only view)."""
    xp = namespace(g)
    if axis is not None and not keepdims:
        for a in _axes(axis, len(shape)):
            g = xp.expand_dims(g, axis=a)
    return xp.broadcast_to(g, shape)


class Sum(Op):
    @staticmethod
    def forward(x: Any, axis: Axis, keepdims: bool) -> tuple[Any, Any]:
        return namespace(x).sum(x, axis=axis, keepdims=keepdims), (x.shape, axis, keepdims)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        # every summed element has derivative 1: the gradient is copied back over the reduced axes
        return (_expand(g, *saved),)


class Mean(Op):
    @staticmethod
    def forward(x: Any, axis: Axis, keepdims: bool) -> tuple[Any, Any]:
        out = namespace(x).mean(x, axis=axis, keepdims=keepdims)
        n = x.size // builtins.max(out.size, 1) if x.size else 1
        return out, (x.shape, axis, keepdims, n)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        shape, axis, keepdims, n = saved  # d mean/dxᵢ = 1/n over each reduced group of n elements
        return (_expand(g / n, shape, axis, keepdims),)


def _extreme(x: Any, axis: Axis, keepdims: bool, largest: bool) -> tuple[Any, Any]:
    """max or min over axes, and each element's share of the gradient: ties split it evenly."""
    xp = namespace(x)
    best = (xp.max if largest else xp.min)(x, axis=axis, keepdims=True)
    is_best = xp.astype(x == best, x.dtype if kind(x) == "f" else xp.float64)
    share = is_best / xp.sum(is_best, axis=axis, keepdims=True)
    out = best if keepdims else xp.squeeze(best, axis=_axes(axis, x.ndim))
    return out, (x.shape, axis, keepdims, share)


class Max(Op):
    @staticmethod
    def forward(x: Any, axis: Axis, keepdims: bool) -> tuple[Any, Any]:
        return _extreme(x, axis, keepdims, largest=True)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        shape, axis, keepdims, share = saved  # the gradient goes to the maximal elements
        return (_expand(g, shape, axis, keepdims) * share,)


class Min(Op):
    @staticmethod
    def forward(x: Any, axis: Axis, keepdims: bool) -> tuple[Any, Any]:
        return _extreme(x, axis, keepdims, largest=False)

    backward = Max.backward  # the gradient goes to the minimal elements


def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return apply(Sum, as_tensor(x), axis=axis, keepdims=keepdims)


def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return apply(Mean, as_tensor(x), axis=axis, keepdims=keepdims)


def max(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Largest value; the gradient goes to the maximal elements (split evenly among ties)."""
    return apply(Max, as_tensor(x), axis=axis, keepdims=keepdims)


def min(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Smallest value; the gradient goes to the minimal elements (split evenly among ties)."""
    return apply(Min, as_tensor(x), axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- shape
class Reshape(Op):
    @staticmethod
    def forward(x: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
        return namespace(x).reshape(x, shape), x.shape

    @staticmethod
    def backward(g: Any, shape: tuple[int, ...], needs: tuple[bool, ...]) -> tuple[Any]:
        return (namespace(g).reshape(g, shape),)


class Transpose(Op):
    @staticmethod
    def forward(x: Any, perm: tuple[int, ...]) -> tuple[Any, Any]:
        out = namespace(x).permute_dims(x, perm)  # validates perm; negative axes count from the end
        return out, tuple(int(i) for i in np.argsort([i % x.ndim for i in perm]))

    @staticmethod
    def backward(g: Any, inverse: tuple[int, ...], needs: tuple[bool, ...]) -> tuple[Any]:
        return (namespace(g).permute_dims(g, inverse),)  # permuted back


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) never picks an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    basic = (int, slice, type(None), type(Ellipsis), np.integer)
    return builtins.all(isinstance(p, basic) and not isinstance(p, bool) for p in parts)


class Getitem(Op):
    @staticmethod
    def forward(x: Any, index: Any) -> tuple[Any, Any]:
        return x[index], (x.shape, index)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        shape, index = saved
        xp = namespace(g)
        if not _is_basic(index):  # an element gathered k times gets k gradients: each library's scatter-add
            return (scatter_add(shape, index, g),)
        grad = xp.zeros(shape, dtype=g.dtype, device=device(g))
        grad[index] = g
        return (grad,)


class Move(Op):
    """y = x on another device: an explicit copy through the device's array library (``libraries.py``);
    the gradient moves back to x's device."""

    @staticmethod
    def forward(x: Any, to: Device) -> tuple[Any, Any]:
        return move_array(x, to), device_of(x)

    @staticmethod
    def backward(g: Any, source: Device, needs: tuple[bool, ...]) -> tuple[Any]:
        return (move_array(g, source),)


class Concatenate(Op):
    @staticmethod
    def forward(*arrays: Any, axis: int) -> tuple[Any, Any]:
        ends = np.cumsum([a.shape[axis] for a in arrays]).tolist()
        return namespace(arrays[0]).concat(arrays, axis=axis), (ends, axis)

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> tuple[Any, ...]:
        ends, axis = saved  # each input gets back its own slice of the gradient
        lead = (slice(None),) * (axis % g.ndim)
        starts = [0, *ends[:-1]]
        return tuple(g[(*lead, slice(start, end), ...)] for start, end in zip(starts, ends, strict=True))


class Stack(Op):
    @staticmethod
    def forward(*arrays: Any, axis: int) -> tuple[Any, Any]:
        return namespace(arrays[0]).stack(arrays, axis=axis), axis

    @staticmethod
    def backward(g: Any, axis: int, needs: tuple[bool, ...]) -> tuple[Any, ...]:
        lead = (slice(None),) * (axis % g.ndim)  # each input gets back its own slice of the gradient
        return tuple(g[(*lead, i, ...)] for i in range(g.shape[axis]))


def reshape(x: ArrayLike, shape: Sequence[int]) -> Tensor:
    return apply(Reshape, as_tensor(x), shape=tuple(shape))


def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None); the gradient is permuted back."""
    x = as_tensor(x)
    perm = tuple(range(x.ndim))[::-1] if axes is None else tuple(axes)
    return apply(Transpose, x, perm=perm)


def getitem(x: ArrayLike, index: Any) -> Tensor:
    """x[index]: slicing, masks and integer-array gathering (repeated indices add up)."""
    x = as_tensor(x)
    index = tuple(raw(i) for i in index) if isinstance(index, tuple) else raw(index)
    if not is_numpy(x.array):  # index arrays of another library are not converted either
        check_one_library("getitem", [x.array, index])
    return apply(Getitem, x, index=index)


def move(x: ArrayLike, to: Device) -> Tensor:
    """x on device ``to`` (a copy), as ``x.to(device)``; gradients flow back to x's device."""
    return apply(Move, as_tensor(x), to=to)


def concatenate(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join along an existing axis; each input gets back its own slice of the gradient."""
    return apply(Concatenate, *[as_tensor(t) for t in tensors], axis=axis)


def stack(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join along a new axis; each input gets back its own slice of the gradient."""
    return apply(Stack, *[as_tensor(t) for t in tensors], axis=axis)
