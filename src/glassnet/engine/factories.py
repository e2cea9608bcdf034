"""Making tensors by PyTorch's names: ``zeros``, ``randn``, ``arange``, ``linspace``, ``cat``, ...

Each takes PyTorch's arguments (sizes as ``zeros(2, 3)`` or ``zeros((2, 3))``, and the keywords
``dtype``, ``device``, ``requires_grad``, ``generator``) and gives float32 by default, as PyTorch
does. Random values come from ``generator`` or else from the default generator that
``gn.manual_seed`` seeds (``generator.py``); the numbers differ from PyTorch's.
"""

from __future__ import annotations

import builtins
import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.engine import ops
from glassnet.engine.devices import as_device
from glassnet.engine.dtypes import as_dtype, numeric_dtype
from glassnet.engine.generator import as_generator
from glassnet.engine.libraries import move
from glassnet.engine.tensor import ArrayLike, Tensor, tensor
from glassnet.errors import GlassnetError

__all__ = [
    "arange", "as_tensor", "cat", "concat", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "is_tensor", "linspace", "normal", "numel", "ones", "ones_like", "rand", "rand_like", "randint",
    "randn", "randn_like", "randperm", "stack", "tensor", "zeros", "zeros_like",
]  # fmt: skip

_DEFAULT = np.dtype(np.float32)


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    """``(2, 3)`` from ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros([2, 3])``; whole numbers >= 0 only
    (2.5 is refused, not truncated), and at most what an array can hold."""
    dims = size[0] if len(size) == 1 and isinstance(size[0], Sequence | np.ndarray) else size
    if isinstance(dims, str) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, builtins.bool) and builtins.int(n) >= 0
            for n in dims):
        raise GlassnetError(f"got size {tuple(size)!r}; expected whole numbers >= 0, e.g. zeros(2, 3)")
    shape = tuple(builtins.int(n) for n in dims)
    if math.prod(shape) > sys.maxsize // 16:
        raise GlassnetError(f"got size {shape}: {math.prod(shape):,} elements, more than an array can hold")
    return shape


def _made(array: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """A new Tensor over ``array`` cast to ``dtype`` (float32 when None), on ``device``: made on the
    host (random numbers too, from glassnet's generators), then copied there."""
    where = as_device(device)
    wanted = _DEFAULT if dtype is None else numeric_dtype(dtype, "a tensor factory")
    made = Tensor(array if array.dtype == wanted else array.astype(wanted), requires_grad=requires_grad)
    made.array = move(made.array, where)
    return made


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (float32 unless ``dtype``)."""
    shape, wanted = _size(size), _DEFAULT if dtype is None else numeric_dtype(dtype, "zeros()")
    return _made(np.zeros(shape, wanted), dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size."""
    shape, wanted = _size(size), _DEFAULT if dtype is None else numeric_dtype(dtype, "ones()")
    return _made(np.ones(shape, wanted), dtype, device, requires_grad)


empty = zeros  # PyTorch leaves the values undefined; zeros are one allowed choice


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (bool, int64, float32) unless given."""
    if dtype is None and isinstance(fill_value, builtins.bool | builtins.int):
        dtype = np.bool_ if isinstance(fill_value, builtins.bool) else np.int64
    return _made(np.full(_size((size,)), fill_value), dtype, device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n × m identity matrix (m = n by default)."""
    return _made(np.eye(n, m), dtype, device, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to, not including, ``end`` by ``step``; int64 when all three are
    integers, else float32. ``arange(5)`` is 0 … 4."""
    if end is None:
        start, end = 0, start
    integral = builtins.all(isinstance(v, builtins.int) for v in (start, end, step))
    if dtype is None and integral:
        dtype = np.int64
    return _made(np.arange(start, end, step, dtype=np.int64 if integral else np.float64), dtype, device,
                 requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    return _made(np.linspace(start, end, steps), dtype, device, requires_grad)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform random values in [0, 1)."""
    return _made(as_generator(generator).random(_size(size)), dtype, device, requires_grad)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal random values, N(0, 1)."""
    return _made(as_generator(generator).standard_normal(_size(size)), dtype, device, requires_grad)


def randint(*args: Any, size: Any = None, generator: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; int64."""
    bounds = args if size is not None else args[:-1]
    size = size if size is not None else args[-1]
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    drawn = as_generator(generator).integers(low, high, _size((size,)))
    return _made(drawn, np.int64 if dtype is None else dtype, device, requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0 … n−1; int64."""
    return _made(as_generator(generator).permutation(n), np.int64 if dtype is None else dtype, device, False)


def normal(mean: ArrayLike = 0.0, std: ArrayLike = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal random values: ``normal(mean, std, size)`` with numbers, or elementwise means and
    standard deviations given as tensors (the shape is theirs, broadcast)."""
    m, s = np.asarray(mean), np.asarray(std)
    shape = _size((size,)) if size is not None else np.broadcast_shapes(m.shape, s.shape)
    like = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), None)
    return _made(as_generator(generator).normal(m, s, shape), dtype or like, device, requires_grad)


def _like(t: Tensor, dtype: Any) -> Any:
    return t.dtype if dtype is None else dtype


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return zeros(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return ones(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


empty_like = zeros_like


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=_like(input, dtype), device=device,
                requires_grad=requires_grad)


def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return rand(input.shape, generator=generator, dtype=_like(input, dtype), device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return randn(input.shape, generator=generator, dtype=_like(input, dtype), device=device,
                 requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}; use gn.tensor(...)")
    return Tensor(array)


def as_tensor(data: ArrayLike, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a Tensor, sharing memory where it can (a Tensor of the same dtype and device is
    returned as is); on ``device`` when given (a copy there)."""
    where = None if device is None else as_device(device)
    if isinstance(data, Tensor) and (dtype is None or as_dtype(dtype) == data.dtype):
        return data if where is None else data.to(where)
    made = Tensor(data, dtype=None if dtype is None else as_dtype(dtype))
    return made if where is None else made.to(where)


def cat(tensors: Sequence[ArrayLike], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dimension; each gets back its own slice of the gradient."""
    return ops.concatenate(tensors, dim if axis is None else axis)


concat = cat  # PyTorch's other name


def stack(tensors: Sequence[ArrayLike], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along a new dimension."""
    return ops.stack(tensors, dim if axis is None else axis)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()

