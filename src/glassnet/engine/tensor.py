"""The Tensor: an array that remembers how it was made, so gradients can flow back through it.

Backpropagation is reverse-mode automatic differentiation. Every primitive operation is an
``Op`` (``op.py``): a ``forward`` on arrays and, beside it, its local derivative ``backward``.
``apply`` runs an op and, when grad mode is on and an input requires grad, keeps the op, its
inputs (``_parents``) and what its ``backward`` needs (``_saved``) on the result: a graph node.
``backward()`` hands the recorded graph to ``autograd.py``, which applies the chain rule. Under
``no_grad()`` no node is made: an operation costs its forward and one Tensor.
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.engine import autograd
from glassnet.engine.backend import check_one_library, device, has_namespace, is_numpy, kind, namespace
from glassnet.engine.devices import as_device
from glassnet.engine.dtypes import numeric_dtype
from glassnet.engine.libraries import is_on, move, to_host
from glassnet.engine.tensor_methods import TensorMethods, bind
from glassnet.errors import GlassnetError

if TYPE_CHECKING:
    from glassnet.engine.op import Op

__all__ = [
    "Tensor", "enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled", "tensor",
]

ArrayLike = Any
_QUIET_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))  # a repr names the others


class _GradModeState(threading.local):
    """Whether operations record the graph. Toggled only by the no_grad/enable_grad contexts.

    Per thread, as in PyTorch: a ``no_grad`` block in one thread (a prediction) leaves the graph on
    in another that trains (estimators fitted by joblib or Dask threads).
    """

    enabled = True


_GradMode = _GradModeState()


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward (the default)."""
    return _GradMode.enabled


class _GradModeContext(ContextDecorator):
    """Sets grad mode on entry and restores the mode it found on exit, exception or not.

    A class rather than a generator context: entering and leaving cost about half as much,
    which counts in a latency-bound prediction. As a decorator, each call gets its own context.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.previous: list[bool] = []  # a stack: the same object may be entered again inside

    def _recreate_cm(self) -> _GradModeContext:
        return type(self)(self.enabled)  # a decorated function may call itself

    def __enter__(self) -> None:
        self.previous.append(_GradMode.enabled)
        _GradMode.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.previous.pop()


def no_grad() -> Any:
    """Context in which operations record no graph: for inference and parameter updates.

    >>> import glassnet as gn
    >>> w = gn.tensor([1.0, 2.0], requires_grad=True)
    >>> with gn.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _GradModeContext(False)


def enable_grad() -> Any:
    """Context that turns graph recording back on inside a ``no_grad`` block."""
    return _GradModeContext(True)


def inference_mode(mode: bool = True) -> Any:
    """PyTorch's ``inference_mode()``: here the same as ``no_grad()`` (``mode=False``: grad on)."""
    return _GradModeContext(not mode)


class set_grad_enabled(_GradModeContext):  # noqa: N801  (PyTorch's name)
    """Turn graph recording on or off: at once when called, and back as it was at the end of a
    ``with set_grad_enabled(...):`` block."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self.previous.append(_GradMode.enabled)
        _GradMode.enabled = mode

    def __enter__(self) -> None:
        pass  # already set by the call


def _as_array(data: ArrayLike, dtype: Any = None) -> np.ndarray:
    """Convert to an ndarray: float32 for Python numbers, ndarrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.array
    if has_namespace(data) and not isinstance(data, np.ndarray):
        return data if dtype is None else namespace(data).astype(data, dtype)  # kept as is
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, np.ndarray | np.generic):
        return np.asarray(data)
    array = np.asarray(data)
    if array.dtype == np.float64:  # Python floats: glassnet's default dtype is float32
        return array.astype(np.float32)
    return array


def _seed(grad: ArrayLike, data: Any) -> Any:
    """backward()'s gradient as an array of ``data``'s library, dtype and device."""
    grad = grad.array if isinstance(grad, Tensor) else grad
    check_one_library("backward()", [data, grad])  # a gradient of another library is not converted
    if is_numpy(data) or has_namespace(grad):
        return _as_array(grad, data.dtype)
    return namespace(data).asarray(grad, dtype=data.dtype, device=device(data))  # a list, a number


class Tensor(TensorMethods):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: anything ``np.asarray`` accepts. Python floats become float32 (glassnet's
            default); NumPy arrays keep their dtype, so float64 stays float64.
        requires_grad: record operations on this tensor so ``backward()`` fills ``.grad``.
        dtype: force a dtype, e.g. ``np.float64``.

    Attributes:
        array: the values, an ``np.ndarray`` (or an array of another array library, see
            ``glassnet.engine.backend``).
        grad_array: after ``backward()``, dL/d(this tensor) as an array of the same shape, or None.
        data, grad: the same two as Tensors sharing that memory, as in PyTorch (``p.data.add_(...)``,
            ``p.grad.zero_()``).

    >>> import glassnet as gn
    >>> x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()        # y = Σ x²
    >>> y.backward()             # dy/dx = 2x
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = (
        "__weakref__", "_op", "_parents", "_retains_grad", "_saved", "array", "grad_array", "requires_grad",
    )  # fmt: skip
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None) -> None:
        self.array: np.ndarray = _as_array(data, dtype)
        if requires_grad and kind(self.array) != "f":
            raise GlassnetError(
                f"only floating-point tensors can require gradients, got dtype {self.array.dtype}; "
                "pass floats or dtype=np.float32"
            )
        self.requires_grad = requires_grad
        self.grad_array: np.ndarray | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._op: type[Op] | None = None  # None for a leaf: a tensor the user made, not an operation
        self._saved: Any = None  # what the op's backward needs
        self._retains_grad = False

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> Any:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def data(self) -> Tensor:
        """The values as a Tensor outside the graph, sharing memory: changing it changes this tensor."""
        return _view(self.array)

    @data.setter
    def data(self, value: ArrayLike) -> None:
        array = value.array if isinstance(value, Tensor) else _as_array(value)
        if self.requires_grad and kind(array) != "f":
            raise GlassnetError(f"a tensor that requires grad cannot hold dtype {array.dtype}; "
                                "give it floats")
        self.array = array

    @property
    def grad(self) -> Tensor | None:
        """dL/d(this tensor) after ``backward()``, as a Tensor sharing memory with ``grad_array``; or None."""
        return None if self.grad_array is None else _view(self.grad_array)

    @grad.setter
    def grad(self, value: ArrayLike | None) -> None:
        if value is None:
            self.grad_array = None
            return
        if not isinstance(value, Tensor) and not has_namespace(value):
            raise GlassnetError(f"a tensor's .grad must be a Tensor (or an array) or None, got "
                                f"{type(value).__name__}; to clear it, set t.grad = None or call "
                                "t.grad.zero_()")
        array = value.array if isinstance(value, Tensor) else value
        if tuple(array.shape) != self.shape or kind(array) != "f":
            raise GlassnetError(f"a gradient must have the tensor's shape {self.shape} and a floating dtype, "
                                f"got shape {tuple(array.shape)} and dtype {array.dtype}")
        self.grad_array = array

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (parameters, inputs), False for results of operations."""
        return self._op is None

    @property
    def T(self) -> Tensor:
        """The transpose: axes reversed."""
        return _ops.transpose(self)

    def __len__(self) -> int:
        return len(self.array)

    def __repr__(self) -> str:
        if not is_numpy(self.array):  # the library's own repr, which names its dtype and device
            body, extra = repr(self.array), ""
        else:
            body = np.array2string(self.array, separator=", ", prefix="tensor(")
            extra = f", dtype={self.dtype}" if self.dtype not in _QUIET_DTYPES else ""  # as PyTorch prints
        grad = (f", op={self._op.name}" if self._op is not None
                else (", requires_grad=True" if self.requires_grad else ""))
        return f"tensor({body}{extra}{grad})"

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The values as an ndarray: shared on the CPU, copied from any other device (explicitly)."""
        return self.array if is_numpy(self.array) else to_host(self.array)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise GlassnetError(f"item() needs a tensor with one element, got shape {self.shape}")
        if is_numpy(self.array):
            return self.array.item()
        value = namespace(self.array).reshape(self.array, ())  # Python's float() takes 0-d arrays
        return {"b": bool, "i": int, "u": int}.get(kind(value), float)(value)

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut off from the graph: no gradient flows back through it."""
        return _ops.detach(self)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward()`` (leaves always keep it)."""
        self._retains_grad = True

    def astype(self, dtype: Any) -> Tensor:
        """A copy with another dtype, cut off from the graph."""
        return Tensor(namespace(self.array).astype(self.array, dtype), requires_grad=self.requires_grad)

    # ----------------------------------------------------------------- backward
    def backward(self, grad: ArrayLike | None = None, retain_graph: bool = False) -> None:
        """Backpropagate: add dL/dt into ``t.grad`` for every leaf ``t`` this tensor depends on.

        Args:
            grad: dL/d(self), same shape as self. May be omitted only for a one-element tensor,
                where it is 1 (the loss with respect to itself).
            retain_graph: keep the graph so backward can be called through it again. By default
                the graph is freed, so memory does not grow from one training step to the next.

        Gradients accumulate: calling ``backward()`` twice (on two graphs) without zeroing adds
        the two gradients, as in PyTorch. Zero them between steps with ``optimizer.zero_grad()``
        or ``model.zero_grad()``.
        """
        if not self.requires_grad:
            raise GlassnetError(
                "backward() called on a tensor that does not require grad; make its inputs with "
                "requires_grad=True (parameters do) and do not compute it under no_grad()"
            )
        if grad is None:
            if self.array.size != 1:
                raise GlassnetError(
                    f"backward() on a tensor of shape {self.shape} needs an explicit gradient "
                    "of the same shape; for a loss, reduce it to a scalar first (e.g. .mean())"
                )
            seed = None  # ∂L/∂L = 1
        else:
            seed = _seed(grad, self.array)
            if seed.shape != self.shape:
                raise GlassnetError(
                    f"backward() got a gradient of shape {seed.shape} for a tensor of shape "
                    f"{self.shape}; they must match"
                )
        autograd.backward(self, seed, retain_graph)

    # ----------------------------------------------------------------- operators
    def __add__(self, other: ArrayLike) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _ops.div(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        return _ops.pow(self, exponent)

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return _ops.pow(base, self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _ops.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    # in-place arithmetic: the same object changes (see _in_place)
    def __iadd__(self, other: ArrayLike) -> Tensor:
        return self._in_place(_ops.add, other, "+=")

    def __isub__(self, other: ArrayLike) -> Tensor:
        return self._in_place(_ops.sub, other, "-=")

    def __imul__(self, other: ArrayLike) -> Tensor:
        return self._in_place(_ops.mul, other, "*=")

    def __itruediv__(self, other: ArrayLike) -> Tensor:
        return self._in_place(_ops.div, other, "/=")

    def add_(self, other: ArrayLike, *, alpha: float = 1.0) -> Tensor:
        """self += alpha·other, in place; returns self."""
        return self._in_place(lambda x, o: x.add(o, alpha=alpha), other, "add_", method=True)

    def sub_(self, other: ArrayLike, *, alpha: float = 1.0) -> Tensor:
        """self −= alpha·other, in place; returns self."""
        return self._in_place(lambda x, o: x.sub(o, alpha=alpha), other, "sub_", method=True)

    def mul_(self, other: ArrayLike) -> Tensor:
        """self *= other, in place; returns self."""
        return self._in_place(_ops.mul, other, "mul_", method=True)

    def div_(self, other: ArrayLike) -> Tensor:
        """self /= other, in place; returns self."""
        return self._in_place(_ops.div, other, "div_", method=True)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """self clamped into [min, max], in place; returns self."""
        return self._in_place(lambda x, _: _ops.clip(x, min, max), None, "clamp_", method=True)

    def fill_(self, value: float) -> Tensor:
        """Every element set to ``value``, in place; returns self."""
        return self.copy_(value)

    def zero_(self) -> Tensor:
        """Every element set to 0, in place; returns self."""
        return self.copy_(0)

    def copy_(self, src: ArrayLike) -> Tensor:
        """The values of ``src`` (broadcast to self's shape, cast to its dtype) copied in; returns self."""
        self._check_in_place("copy_", method=True)
        value = _ops.raw(src)
        xp = namespace(self.array)
        try:
            value = xp.broadcast_to(xp.asarray(value), self.array.shape)
        except ValueError:
            raise GlassnetError(f"copy_ got shape {np.shape(value)}, which does not broadcast to this "
                                f"tensor's shape {self.shape}") from None
        return self._write(value, "copy_")

    def __setitem__(self, index: Any, value: ArrayLike) -> None:
        """``t[index] = value``: those elements changed in place, under the rules of ``_in_place``."""
        self._check_in_place("item assignment", method=True)
        index = tuple(_ops.raw(i) for i in index) if isinstance(index, tuple) else _ops.raw(index)
        value = _ops.raw(value)
        if kind(value if hasattr(value, "dtype") else np.asarray(value)) == "f" and kind(self.array) != "f":
            raise GlassnetError(f"item assignment gives floats, which a tensor of dtype {self.dtype} cannot "
                                "hold; convert it first")
        self.array[index] = value

    def _in_place(self, op: Any, other: ArrayLike, name: str, method: bool = False) -> Tensor:
        """Apply ``op(self, other)`` and write its values into self's own array, as PyTorch's in-place ops.

        The values are the out-of-place op's (its one rule), computed without a graph and cast to
        self's dtype and shape. A leaf that requires grad may change in place only under
        ``no_grad()`` (a parameter update), as in PyTorch. A result of an operation inside a
        recorded graph is not changed in place: ``x += y`` then rebinds ``x`` to the result of
        ``x + y`` (the same numbers and gradient), and the method forms raise.
        """
        if self._check_in_place(name, method):
            return op(self, other)  # x op= y rebinds x to the graph's x op y
        with no_grad():
            result = op(self, other)
        if result.array.shape != self.array.shape:
            raise GlassnetError(f"{name} on a tensor of shape {self.shape} gives shape {result.shape}; "
                                "the other operand must broadcast to this tensor's shape")
        return self._write(result.array, name)

    def _check_in_place(self, name: str, method: bool) -> bool:
        """PyTorch's rules for changing a tensor in place; True where ``x op= y`` must rebind x."""
        if not (_GradMode.enabled and self.requires_grad):
            return False
        if self._op is None:
            raise GlassnetError(
                f"{name} would change a leaf tensor that requires grad while the graph is recorded; "
                "update parameters under `with gn.no_grad():`, as in PyTorch"
            )
        if method:
            raise GlassnetError(
                f"{name} cannot change the result of an operation in place while the graph is recorded; "
                "write it out of place (for example x = x + y)"
            )
        return True

    def _write(self, value: Any, name: str) -> Tensor:
        """Put ``value`` (of self's shape) into self's own array, cast to its dtype."""
        if kind(value) == "f" and kind(self.array) != "f":
            raise GlassnetError(f"{name} gives floats, which a tensor of dtype {self.dtype} cannot hold; "
                                "convert it first (for example t = t.astype(np.float32))")
        if is_numpy(self.array) and self.array.flags.writeable:
            np.copyto(self.array, value, casting="unsafe")  # the same array: all who hold it see the change
        else:
            xp = namespace(self.array)
            self.array = xp.astype(xp.asarray(value), self.array.dtype, copy=True)
        return self

    # comparisons (==, <, ...) are TensorMethods' eq, lt, ...: elementwise, boolean Tensors
    __hash__ = object.__hash__  # still hashable: sets and dicts of tensors go by identity


def _view(array: Any) -> Tensor:
    """A leaf Tensor over ``array`` itself (no copy), outside the graph: ``.data`` and ``.grad``."""
    view = Tensor.__new__(Tensor)
    view.array, view.grad_array, view.requires_grad, view._retains_grad = array, None, False, False
    view._parents, view._op, view._saved = (), None, None
    return view


def tensor(data: ArrayLike, requires_grad: bool = False, dtype: Any = None, *, device: Any = None) -> Tensor:
    """A new Tensor holding a copy of ``data``, as PyTorch's ``torch.tensor``: float32 from Python
    numbers, int64 from Python integers; NumPy arrays keep their dtype. (``from_numpy`` shares.)

    >>> import glassnet as gn
    >>> gn.tensor([[1.0, 2.0]]).shape
    (1, 2)
    """
    where = None if device is None else as_device(device)
    dtype = None if dtype is None else numeric_dtype(dtype, "tensor()")
    try:
        made = Tensor(data, requires_grad=requires_grad, dtype=dtype)
    except (TypeError, ValueError) as e:  # NumPy's refusal: ragged lists, values that are not numbers
        reason = " ".join(str(e).split())
        raise GlassnetError(f"tensor() cannot make an array of this data: {reason}") from None
    if is_numpy(made.array) and made.array.dtype.kind not in "biufc":  # as torch.tensor: numbers only
        like = made.array.reshape(-1)[:3].tolist()
        raise GlassnetError(f"tensor() takes numbers, got {made.array.dtype} data like {like}; convert "
                            "them to numbers first (labels to indices with "
                            "np.unique(y, return_inverse=True))")
    if where is not None and not is_on(made.array, where):  # made on the host, then copied to the device
        made.array = move(made.array, where)
    elif is_numpy(made.array) and np.may_share_memory(made.array, raw_array(data)):
        made.array = made.array.copy()
    return made


def raw_array(data: ArrayLike) -> Any:
    """The array inside a Tensor, or ``data`` itself."""
    return data.array if isinstance(data, Tensor) else data


from glassnet.engine import ops as _ops  # noqa: E402  (ops builds on Tensor; methods call it late)

bind()
