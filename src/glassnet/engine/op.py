"""Operations: an Op is a forward on arrays with its local derivative beside it; apply runs one.

``apply`` is the one place where a graph node is made: it runs the op's ``forward`` and, in grad
mode when an input requires grad, keeps on the result the op, its inputs (``_parents``) and what
its ``backward`` needs (``_saved``). While a step is recorded (``tape.py``), it also tells the
tape each op it runs. ``as_tensor`` and ``raw`` turn the arguments users pass into op inputs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from glassnet.engine.autograd import _Recorder
from glassnet.engine.backend import check_one_library, device, is_numpy, kind, namespace
from glassnet.engine.tensor import ArrayLike, Tensor, _GradMode

__all__ = ["Op", "apply", "as_tensor", "raw"]

Grads = Sequence[Any]  # one gradient (an array, or None) per input of an op


def raw(x: ArrayLike) -> Any:
    """The array inside a Tensor, or the value itself."""
    return x.array if isinstance(x, Tensor) else x


def as_tensor(x: ArrayLike, like: Tensor | None = None) -> Tensor:
    """A Tensor for ``x``; a Python number takes the floating dtype (and device) of ``like``."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, int | float) and like is not None and kind(like.array) == "f":
        if is_numpy(like.array):
            return Tensor(np.asarray(x, dtype=like.dtype))
        return Tensor(namespace(like.array).asarray(x, dtype=like.dtype, device=device(like.array)))
    return Tensor(x)


class Op:
    """A primitive operation: its forward computation and its local derivative, side by side.

    A subclass writes two static methods:

    - ``forward(*arrays, **static) -> (out, saved)``: the output array from the input arrays and
      any non-array arguments (an axis, a slope), and ``saved``, whatever ``backward`` needs;
    - ``backward(g, saved, needs) -> grads``: from ``g = ∂L/∂out`` (out's shape), one ``∂L/∂input``
      per array input, in the broadcast shape (the engine sums broadcasting away), or None where
      ``needs[i]`` is False (an input that requires no gradient). It never changes ``g``.

    An op keeps no state of its own: the same arrays and arguments give the same result, so a
    recorded step (``tape.py``) can run it again on new arrays. Call one with :func:`apply`.
    An op whose output has no gradient (a comparison, ``detach``) sets ``differentiable = False``.

    >>> import numpy as np
    >>> class Cube(Op):
    ...     @staticmethod
    ...     def forward(x):
    ...         return x**3, x                  # keep x for the derivative
    ...     @staticmethod
    ...     def backward(g, x, needs):
    ...         return (g * 3 * x**2,)          # d(x³)/dx = 3x²
    >>> from glassnet import tensor
    >>> x = tensor([2.0], requires_grad=True)
    >>> y = apply(Cube, x)
    >>> y.backward(); y.item(), x.grad
    (8.0, tensor([12.]))
    """

    name: ClassVar[str] = ""  # shown in reprs and error messages; the class name in snake case
    differentiable: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", cls.__name__).lower()

    @staticmethod
    def forward(*arrays: Any, **static: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    @staticmethod
    def backward(g: Any, saved: Any, needs: tuple[bool, ...]) -> Grads:
        raise NotImplementedError


def apply(op: type[Op], *inputs: Tensor, **static: Any) -> Tensor:
    """Run ``op`` on the inputs: the one place where a graph node is made.

    The result holds ``op.forward``'s output. In grad mode, when an input requires grad, it is
    also a node: it keeps the op, its inputs and the op's ``saved`` for ``backward()``. Arrays of
    two libraries or devices raise a GlassnetError naming both; that is looked for only once
    ``forward`` has failed on them, so the NumPy path pays nothing for it.
    """
    try:
        out, saved = op.forward(*[t.array for t in inputs], **static)
    except Exception:  # arrays of two libraries or devices get an error that says so, not the library's
        check_one_library(op.name, [t.array for t in inputs])
        raise
    result = Tensor.__new__(Tensor)
    result.array = out if type(out) is np.ndarray or not isinstance(out, np.generic) else np.asarray(out)
    result.grad_array = None  # (ufuncs give NumPy scalars for 0-d results: made arrays above)
    result._retains_grad = False
    if _GradMode.enabled and op.differentiable and any(t.requires_grad for t in inputs):
        result.requires_grad, result._op, result._parents, result._saved = True, op, inputs, saved
    else:
        result.requires_grad, result._op, result._parents, result._saved = False, None, (), None
    if _Recorder.active is not None:
        _Recorder.active.record(op, inputs, static, result)
    return result
