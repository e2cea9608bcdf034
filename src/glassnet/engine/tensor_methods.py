"""The Tensor's methods by PyTorch's names and arguments, each one call into the engine's ops.

``tensor.py`` holds what a Tensor is (its array, its gradient, backward, in-place updates);
this base class gives it the methods PyTorch code calls: ``view``, ``unsqueeze``, ``argmax``,
``max(dim)``, ``std``, ``to``, ``float()``, ... Nothing here has a derivative of its own: every
differentiable method is an op or a composition of ops (``ops.py``, ``shape_ops.py``,
``activation_ops.py``). PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims`` are both
accepted; ``x.max(dim)`` gives ``(values, indices)`` as in PyTorch, ``x.max(axis=...)`` the
values as in NumPy.
"""

from __future__ import annotations

import builtins
import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from glassnet.engine.backend import is_numpy, kind, namespace
from glassnet.engine.devices import as_device
from glassnet.engine.dtypes import as_dtype, type_name
from glassnet.engine.generator import as_generator
from glassnet.engine.libraries import device_of, is_on, to_host
from glassnet.errors import GlassnetError

if TYPE_CHECKING:
    from glassnet.engine import activation_ops as _activation_ops
    from glassnet.engine import ops as _ops
    from glassnet.engine import placement as _placement
    from glassnet.engine.op import Op
    from glassnet.engine.tensor import ArrayLike, Tensor

__all__ = ["GradFn", "TensorMethods", "ValuesIndices"]

Dim = int | tuple[int, ...] | list[int] | None


class ValuesIndices(NamedTuple):
    """What ``max(dim)`` and ``min(dim)`` return: the values and where they are along ``dim``."""

    values: Tensor
    indices: Tensor


class GradFn:
    """``t.grad_fn``: the operation that made ``t`` (None for a leaf), named as PyTorch names it."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    @property
    def op(self) -> type[Op]:
        op = self._tensor._op
        assert op is not None
        return op

    def name(self) -> str:
        return f"{self.op.__name__}Backward0"

    @property
    def next_functions(self) -> tuple[tuple[GradFn | None, int], ...]:
        return tuple((p.grad_fn, 0) for p in self._tensor._parents)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


def _axis(dim: Any, axis: Any) -> Any:
    """The axes of a reduction, given as PyTorch's ``dim`` or NumPy's ``axis``."""
    if dim is not None and axis is not None:
        raise GlassnetError("give dim (PyTorch's name) or axis (NumPy's), not both")
    chosen = dim if dim is not None else axis
    return tuple(chosen) if isinstance(chosen, list) else chosen


def _sizes(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``view(2, 3)``, ``view((2, 3))`` and ``view([2, 3])`` alike."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


class TensorMethods:
    """PyTorch's Tensor methods for glassnet's Tensor (a base class: see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:  # what Tensor (tensor.py) provides
        array: Any
        requires_grad: bool
        _op: type[Op] | None
        _parents: tuple[Tensor, ...]

        @property
        def shape(self) -> tuple[int, ...]: ...
        @property
        def dtype(self) -> Any: ...
        @property
        def ndim(self) -> int: ...
        def item(self) -> Any: ...
        def _check_in_place(self, name: str, method: bool) -> bool: ...
        def _write(self, value: Any, name: str) -> Tensor: ...

    # ----------------------------------------------------------------- size and kind
    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple), or its length along ``dim``. (NumPy's element count is ``numel()``.)"""
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        """The number of dimensions."""
        return self.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    nelement = numel

    def is_floating_point(self) -> bool:
        return kind(self.array) == "f"

    @property
    def device(self) -> Any:
        """Where the values live: ``device(type='cpu')`` for NumPy arrays, ``cuda:0`` for CuPy's."""
        return device_of(self.array)

    @property
    def is_cuda(self) -> bool:
        return device_of(self.array).type == "cuda"

    @property
    def grad_fn(self) -> GradFn | None:
        """The operation that made this tensor, or None for a leaf."""
        return None if self._op is None else GradFn(self)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- Python and NumPy
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if not is_numpy(self.array):  # never implicitly: a copy from a GPU is asked for by name
            raise GlassnetError(f"a tensor on {self.device} does not convert to a NumPy array implicitly; "
                                "call .numpy() or .cpu() for an explicit copy")
        array = self.array
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def _one(self, what: str) -> Any:
        if self.numel() != 1:
            raise GlassnetError(f"only a tensor with one element converts to a Python {what}; this one has "
                                f"shape {self.shape} (reduce it first, e.g. with .sum())")
        return self.item()

    def __float__(self) -> builtins.float:
        return builtins.float(self._one("float"))

    def __int__(self) -> builtins.int:
        return builtins.int(self._one("int"))

    def __bool__(self) -> builtins.bool:
        if self.numel() != 1:
            raise GlassnetError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                                "use .any() or .all()")
        return builtins.bool(self.item())

    def __index__(self) -> builtins.int:
        if kind(self.array) not in "iub" or self.numel() != 1:
            raise TypeError(f"only a one-element integer tensor can be an index, got dtype {self.dtype} "
                            f"and shape {self.shape}")
        return builtins.int(self.item())

    def __format__(self, spec: str) -> str:
        if self.numel() == 1:
            return format(self.item(), spec)
        if spec:
            raise GlassnetError(f"format '{spec}' needs a tensor with one element, got shape {self.shape}")
        return str(self)

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers."""
        return to_host(self.array).tolist()

    # ----------------------------------------------------------------- dtype and device
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` and the keywords
        ``device=``, ``dtype=``, ``copy=``: a copy on the device, a cast (gradients flow back through
        both), or self when nothing changes (see ``gn.device``)."""
        dtype, where = _placement.placement(args, kwargs, "to")
        moved = self if where is None or is_on(self.array, where) else _ops.move(self, where)
        if dtype is None or dtype == moved.dtype:
            return _ops.copy(moved) if kwargs.get("copy") and moved is self else moved  # type: ignore[return-value]
        return moved._cast(dtype)

    def _cast(self, dtype: Any) -> Tensor:
        if isinstance(dtype, np.dtype) and not is_numpy(self.array):  # the array library's own dtype
            dtype = getattr(namespace(self.array), dtype.name)
        if dtype == self.dtype:
            return self  # type: ignore[return-value]
        xp = namespace(self.array)
        if xp.isdtype(dtype, "real floating") if not isinstance(dtype, np.dtype) else dtype.kind == "f":
            return _ops.copy(self, dtype)
        return Tensor(xp.astype(self.array, dtype))  # integers and booleans have no gradient

    def type(self, dtype: Any = None) -> Any:
        """Without an argument the type's name ('glassnet.FloatTensor'); with one, a cast to it."""
        return type_name(self.dtype) if dtype is None else self._cast(as_dtype(dtype))

    def float(self) -> Tensor:
        return self._cast(np.dtype(np.float32))

    def double(self) -> Tensor:
        return self._cast(np.dtype(np.float64))

    def half(self) -> Tensor:
        return self._cast(np.dtype(np.float16))

    def long(self) -> Tensor:
        return self._cast(np.dtype(np.int64))

    def int(self) -> Tensor:
        return self._cast(np.dtype(np.int32))

    def bool(self) -> Tensor:
        return self._cast(np.dtype(np.bool_))

    def cpu(self) -> Tensor:
        """This tensor on the CPU (a NumPy array): itself there, else a copy."""
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Tensor:
        """This tensor on a CUDA GPU (CuPy); without one, a GlassnetError says so."""
        return self.to(as_device("cuda" if device is None else device))

    def clone(self) -> Tensor:
        """A copy with its own memory that gradients flow back through."""
        return _ops.copy(self)

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf; returns self."""
        if self._op is not None and not requires_grad:
            raise GlassnetError("requires_grad_(False) can only change a leaf tensor; use .detach() for a "
                                "result of operations")
        if requires_grad and kind(self.array) != "f":
            raise GlassnetError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = requires_grad  # type: ignore[misc]  # a slot of Tensor
        return self  # type: ignore[return-value]

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, _sizes(shape))

    def view(self, *shape: Any) -> Tensor:
        """The same values in another shape (-1: inferred); as ``reshape``."""
        return _ops.reshape(self, _sizes(shape))

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    reshape_as = view_as

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        """A new axis of length 1 at ``dim``."""
        d = dim if dim >= 0 else dim + self.ndim + 1
        return self.view((*self.shape[:d], 1, *self.shape[d:]))

    def squeeze(self, dim: Dim = None) -> Tensor:
        """Axes of length 1 removed (only ``dim``, if given and of length 1)."""
        dims = range(self.ndim) if dim is None else ((dim,) if isinstance(dim, builtins.int) else dim)
        drop = {d % self.ndim for d in dims if self.shape[d] == 1} if self.ndim else set()
        return self.view(tuple(n for d, n in enumerate(self.shape) if d not in drop))

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
        """Axes ``start_dim`` to ``end_dim`` merged into one."""
        if self.ndim == 0:
            return self.view(1)
        a, b = start_dim % self.ndim, end_dim % self.ndim
        return self.view((*self.shape[:a], math.prod(self.shape[a:b + 1]), *self.shape[b + 1:]))

    def permute(self, *dims: Any) -> Tensor:
        return _ops.transpose(self, _sizes(dims))

    def transpose(self, *axes: Any) -> Tensor:
        """``transpose(dim0, dim1)`` swaps two axes (PyTorch); ``transpose((1, 0, 2))`` permutes them
        (NumPy); ``transpose()`` reverses them."""
        if len(axes) == 2 and all(isinstance(a, builtins.int) for a in axes):
            swapped = list(range(self.ndim))
            i, j = axes[0] % self.ndim, axes[1] % self.ndim
            swapped[i], swapped[j] = swapped[j], swapped[i]
            return _ops.transpose(self, swapped)
        order = _sizes(axes)
        return _ops.transpose(self, order or None)

    def swapaxes(self, axis0: builtins.int, axis1: builtins.int) -> Tensor:
        """Axes ``axis0`` and ``axis1`` swapped (``transpose(dim0, dim1)``)."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def expand(self, *sizes: Any) -> Tensor:
        """The values broadcast to ``sizes`` (-1 keeps a length); the gradient sums back over the copies."""
        shape = _sizes(sizes)
        lead = len(shape) - self.ndim
        full = tuple(n if n != -1 else self.shape[i - lead] for i, n in enumerate(shape))
        return self + _ops.as_tensor(np.zeros(full, dtype=self.dtype))

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *sizes: Any) -> Tensor:
        """The tensor tiled ``sizes`` times along each axis (NumPy's ``tile``); gradients add up."""
        reps = _sizes(sizes)
        x = self.view((1,) * (len(reps) - self.ndim) + self.shape) if len(reps) > self.ndim else self
        index = np.ix_(*[np.tile(np.arange(n), r) for n, r in zip(x.shape, reps, strict=True)])
        return x[index]  # type: ignore[index]

    def t(self) -> Tensor:
        """The transpose of a 2-D tensor (0-D and 1-D: itself)."""
        if self.ndim > 2:
            raise GlassnetError(f"t() expects a tensor with at most 2 dimensions, got shape {self.shape}; "
                                "use transpose(dim0, dim1) or permute")
        return _ops.transpose(self) if self.ndim == 2 else self  # type: ignore[return-value]

    # ----------------------------------------------------------------- arithmetic and functions
    def add(self, other: ArrayLike, *, alpha: builtins.float = 1.0) -> Tensor:
        return _ops.add(self, other if alpha == 1.0 else _ops.mul(other, alpha))

    def sub(self, other: ArrayLike, *, alpha: builtins.float = 1.0) -> Tensor:
        return _ops.sub(self, other if alpha == 1.0 else _ops.mul(other, alpha))

    def mul(self, other: ArrayLike) -> Tensor:
        return _ops.mul(self, other)

    def div(self, other: ArrayLike) -> Tensor:
        return _ops.div(self, other)

    def neg(self) -> Tensor:
        return _ops.neg(self)

    def pow(self, exponent: ArrayLike) -> Tensor:
        return _ops.pow(self, exponent)

    def square(self) -> Tensor:
        return _ops.pow(self, 2)

    def matmul(self, other: ArrayLike) -> Tensor:
        return _ops.matmul(self, other)

    def bmm(self, other: Tensor) -> Tensor:
        """Batched matrix products of two 3-D tensors (b, n, m) @ (b, m, p)."""
        if self.ndim != 3 or getattr(other, "ndim", 0) != 3:
            raise GlassnetError(f"bmm multiplies two 3-D tensors, got shapes {self.shape} and "
                                f"{getattr(other, 'shape', None)}; use matmul (or @) for other shapes")
        return _ops.matmul(self, other)

    def mm(self, other: Tensor) -> Tensor:
        """The product of two matrices (2-D only, as PyTorch's mm)."""
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise GlassnetError(f"mm multiplies two 2-D tensors, got shapes {self.shape} and "
                                f"{getattr(other, 'shape', None)}; use matmul (or @) for other shapes")
        return _ops.matmul(self, other)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def sin(self) -> Tensor:
        return _ops.sin(self)

    def cos(self) -> Tensor:
        return _ops.cos(self)

    def sinh(self) -> Tensor:
        """sinh x = (eˣ − e⁻ˣ)/2."""
        return (_ops.exp(self) - _ops.exp(-self)) * 0.5  # type: ignore[operator]

    def cosh(self) -> Tensor:
        """cosh x = (eˣ + e⁻ˣ)/2."""
        return (_ops.exp(self) + _ops.exp(-self)) * 0.5  # type: ignore[operator]

    def tanh(self) -> Tensor:
        return _activation_ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _activation_ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _activation_ops.relu(self)

    def softmax(self, dim: builtins.int = -1) -> Tensor:
        return _activation_ops.softmax(self, dim)

    def log_softmax(self, dim: builtins.int = -1) -> Tensor:
        return _activation_ops.log_softmax(self, dim)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return _ops.clip(self, min, max)

    clamp = clip

    def maximum(self, other: ArrayLike) -> Tensor:
        return _ops.maximum(self, other)

    def minimum(self, other: ArrayLike) -> Tensor:
        return _ops.minimum(self, other)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: Dim = None, keepdim: builtins.bool = False, dtype: Any = None, *, axis: Dim = None,
            keepdims: builtins.bool = False, out: None = None) -> Tensor:
        x = self if dtype is None else self._cast(as_dtype(dtype))
        return _ops.sum(x, _axis(dim, axis), keepdim or keepdims)

    def mean(self, dim: Dim = None, keepdim: builtins.bool = False, dtype: Any = None, *, axis: Dim = None,
             keepdims: builtins.bool = False, out: None = None) -> Tensor:
        x = self if dtype is None else self._cast(as_dtype(dtype))
        if kind(x.array) != "f":
            x = x._cast(np.dtype(np.float32))  # booleans and integers: a float32 mean (NumPy's habit)
        return _ops.mean(x, _axis(dim, axis), keepdim or keepdims)

    def var(self, dim: Any = None, unbiased: builtins.bool | None = None, keepdim: builtins.bool = False, *,
            correction: builtins.float | None = None, axis: Dim = None, keepdims: builtins.bool = False,
            ddof: builtins.float | None = None) -> Tensor:
        """Variance Σ(x − x̄)²/(N − correction); correction 1 (Bessel's) unless told, as PyTorch."""
        if isinstance(dim, builtins.bool):  # var(False): PyTorch's older form, unbiased first
            dim, unbiased = None, dim
        axes = _axis(dim, axis)
        c = next((v for v in (correction, ddof) if v is not None), 1 if unbiased in (None, True) else 0)
        d = self - self.mean(axes, keepdim=True)
        n = self.numel() // builtins.max(math.prod(_reduced_shape(self.shape, axes)), 1)
        return _ops.sum(d * d, axes, keepdim or keepdims) / builtins.max(n - c, 0)

    def std(self, dim: Any = None, unbiased: builtins.bool | None = None, keepdim: builtins.bool = False, *,
            correction: builtins.float | None = None, axis: Dim = None, keepdims: builtins.bool = False,
            ddof: builtins.float | None = None) -> Tensor:
        """Standard deviation √var; correction 1 unless told, as PyTorch."""
        return _ops.sqrt(self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims,
                                  ddof=ddof))

    def norm(self, p: Any = "fro", dim: Dim = None, keepdim: builtins.bool = False) -> Tensor:
        """The p-norm (2 and 'fro': √Σx², 1: Σ|x|, inf: max |x|) over ``dim`` (all elements by default)."""
        axes = _axis(dim, None)
        if p in ("fro", 2):
            return _ops.sqrt(_ops.sum(self * self, axes, keepdim))  # type: ignore[operator]
        if p == 1:
            return _ops.sum(_ops.abs(self), axes, keepdim)
        if p in (math.inf, "inf"):
            return _ops.max(_ops.abs(self), axes, keepdim)
        return _ops.pow(_ops.sum(_ops.pow(_ops.abs(self), p), axes, keepdim), 1 / p)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Dim = None,
            keepdims: builtins.bool = False) -> Any:
        """``max()``: the largest value; ``max(dim)``: ``(values, indices)`` along dim (PyTorch);
        ``max(other_tensor)``: the elementwise maximum; ``max(axis=...)``: the values (NumPy)."""
        return self._extreme(dim, keepdim, axis, keepdims, largest=True)

    def min(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Dim = None,
            keepdims: builtins.bool = False) -> Any:
        """As :meth:`max`, for the smallest values."""
        return self._extreme(dim, keepdim, axis, keepdims, largest=False)

    def _extreme(self, dim: Any, keepdim: builtins.bool, axis: Dim, keepdims: builtins.bool,
                 largest: builtins.bool) -> Any:
        if isinstance(dim, TensorMethods | np.ndarray):
            return (_ops.maximum if largest else _ops.minimum)(self, dim)
        reduce = _ops.max if largest else _ops.min
        if dim is None:
            return reduce(self, _axis(None, axis), keepdims)
        values = reduce(self, dim, keepdim)
        indices = self.argmax(dim, keepdim) if largest else self.argmin(dim, keepdim)
        return ValuesIndices(values, indices)

    def argmax(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
               axis: builtins.int | None = None, keepdims: builtins.bool = False) -> Tensor:
        """Where the largest value is (along ``dim``, or in the flattened tensor); int64, no gradient."""
        found = np.argmax(np.asarray(self), axis=_axis(dim, axis), keepdims=keepdim or keepdims)
        return Tensor(np.asarray(found, dtype=np.int64))

    def argmin(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
               axis: builtins.int | None = None, keepdims: builtins.bool = False) -> Tensor:
        """Where the smallest value is; int64, no gradient."""
        found = np.argmin(np.asarray(self), axis=_axis(dim, axis), keepdims=keepdim or keepdims)
        return Tensor(np.asarray(found, dtype=np.int64))

    def all(self, dim: Dim = None, keepdim: builtins.bool = False, *, axis: Dim = None,
            keepdims: builtins.bool = False) -> Tensor:
        found = np.all(np.asarray(self), axis=_axis(dim, axis), keepdims=keepdim or keepdims)
        return Tensor(np.asarray(found))

    def any(self, dim: Dim = None, keepdim: builtins.bool = False, *, axis: Dim = None,
            keepdims: builtins.bool = False) -> Tensor:
        found = np.any(np.asarray(self), axis=_axis(dim, axis), keepdims=keepdim or keepdims)
        return Tensor(np.asarray(found))

    # ----------------------------------------------------------------- comparisons by name
    def eq(self, other: ArrayLike) -> Tensor:
        return _ops.compare(self, other, "equal")

    def ne(self, other: ArrayLike) -> Tensor:
        return _ops.compare(self, other, "not_equal")

    def lt(self, other: ArrayLike) -> Tensor:
        return _ops.compare(self, other, "less")

    def le(self, other: ArrayLike) -> Tensor:
        return _ops.compare(self, other, "less_equal")

    def gt(self, other: ArrayLike) -> Tensor:
        return _ops.compare(self, other, "greater")

    def ge(self, other: ArrayLike) -> Tensor:
        return _ops.compare(self, other, "greater_equal")

    # the operators are the same methods: elementwise, giving boolean Tensors, as in PyTorch
    __eq__ = eq  # type: ignore[assignment]
    __ne__ = ne  # type: ignore[assignment]
    __lt__ = lt
    __le__ = le
    __gt__ = gt
    __ge__ = ge
    __hash__ = object.__hash__  # still hashable: sets and dicts of tensors go by identity

    def equal(self, other: ArrayLike) -> builtins.bool:
        """True when both have the same shape and the same values."""
        b = np.asarray(other)
        return self.shape == b.shape and builtins.bool(np.array_equal(np.asarray(self), b))

    # ----------------------------------------------------------------- random values in place
    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0, *,
                generator: Any = None) -> Tensor:
        """Values drawn from N(mean, std²), in place (the default generator unless one is given)."""
        self._check_in_place("normal_", method=True)
        return self._write(as_generator(generator).normal(mean, std, size=self.shape), "normal_")

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0, *, generator: Any = None) -> Tensor:
        """Values drawn from U(a, b), in place."""
        self._check_in_place("uniform_", method=True)
        return self._write(as_generator(generator).uniform(a, b, size=self.shape), "uniform_")


def _reduced_shape(shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    """The lengths of the axes a reduction over ``axes`` keeps."""
    if axes is None:
        return ()
    chosen = {a % len(shape) for a in ((axes,) if isinstance(axes, int) else axes)}
    return tuple(n for d, n in enumerate(shape) if d not in chosen)


def bind() -> None:
    """Import what the methods call. tensor.py calls this once Tensor exists: the ops build on
    Tensor, and Tensor on this class, so they cannot be imported when this module is."""
    global Tensor, _activation_ops, _ops, _placement
    from glassnet.engine import activation_ops as _activation_ops
    from glassnet.engine import ops as _ops
    from glassnet.engine import placement as _placement
    from glassnet.engine.tensor import Tensor
