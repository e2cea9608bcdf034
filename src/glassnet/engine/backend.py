"""The array-library seam: every rule takes its array module from its inputs, here and only here.

NumPy arrays get NumPy, the default and the fast path: its array API functions, a few of them
(the reductions, ``matrix_transpose``) called straight through NumPy's ufuncs rather than
through their Python wrappers, which cost more than the arithmetic on a small layer; and the
compiled helpers of ``kernels.py`` apply. Any other array (array-api-strict, CuPy, PyTorch, ...) gets
its namespace from ``array-api-compat`` (``pip install 'glassnet[array-api]'``), and the rules
use only functions of the array API standard on it, so a GPU array library is a local change:
nothing in a rule names NumPy for arithmetic. Constants a rule makes (a zero, a one-hot, an
index range) are made on the input's device (``device``, ``constant``), never converted through
NumPy; a dtype is asked about with ``kind``, which answers for every library. Nothing is ever
converted from one library to another: ``check_one_library`` names the two when arrays meet.

>>> import numpy as np
>>> namespace(np.ones(2)).sum(np.ones((2, 3)), axis=1)
array([3., 3.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.errors import GlassnetError

__all__ = ["NUMPY", "check_one_library", "constant", "describe", "device", "has_namespace", "is_numpy",
           "kind", "namespace"]

Axis = int | tuple[int, ...] | None
_add: Any = np.add  # the ufuncs whose reduce the reductions call
_maximum: Any = np.maximum
_minimum: Any = np.minimum
_and: Any = np.logical_and
_or: Any = np.logical_or


class _NumPy:
    """NumPy's namespace, with the reductions as the ufunc calls NumPy's own wrappers make.

    ``sum``, ``max``, ``min``, ``all``, ``any`` are those calls (the same results); ``mean`` is
    the sum divided by the count in the array's dtype. Every other name is NumPy's own.
    """

    def __getattr__(self, name: str) -> Any:
        value = getattr(np, name)
        setattr(self, name, value)  # found once, then a plain attribute
        return value

    @staticmethod
    def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return _add.reduce(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return _maximum.reduce(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return _minimum.reduce(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return _and.reduce(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return _or.reduce(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        if x.dtype.kind != "f" or x.dtype.itemsize < 4:  # NumPy sums these in another dtype
            return np.mean(x, axis=axis, keepdims=keepdims)
        total = _add.reduce(x, axis=axis, keepdims=keepdims)
        return total / (x.size // max(total.size, 1) if x.size else 1)

    @staticmethod
    def matrix_transpose(x: Any) -> Any:
        return x.mT


NUMPY = _NumPy()


def is_numpy(x: Any) -> bool:
    """True for a NumPy array or scalar: the arrays the compiled helpers take."""
    return type(x) is np.ndarray or isinstance(x, np.ndarray | np.generic)


def has_namespace(x: Any) -> bool:
    """Whether ``x`` is an array of an array API library, kept as it is: one with the standard's
    ``__array_namespace__`` (NumPy's too), or CuPy's (before CuPy 14 it lacks the method;
    array-api-compat knows it)."""
    return hasattr(x, "__array_namespace__") or type(x).__module__.startswith("cupy")


def namespace(x: Any) -> Any:
    """The array module for ``x``: :data:`NUMPY` for NumPy arrays, else the array API namespace."""
    if type(x) is np.ndarray or isinstance(x, np.ndarray | np.generic):
        return NUMPY
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - the extra is installed with [dev]
        raise GlassnetError(
            f"glassnet got an array of type {type(x).__name__}; arrays other than NumPy's need the "
            "array-api-compat package: pip install 'glassnet[array-api]'"
        ) from None
    return array_api_compat.array_namespace(x)


def device(x: Any) -> Any:
    """The device ``x`` lives on, for making constants beside it (``'cpu'`` for NumPy)."""
    if type(x) is np.ndarray or isinstance(x, np.ndarray | np.generic):
        return "cpu"
    import array_api_compat

    return array_api_compat.device(x)


_KINDS = (("f", "real floating"), ("i", "signed integer"), ("u", "unsigned integer"), ("b", "bool"),
          ("c", "complex floating"))


def kind(x: Any) -> str:
    """NumPy's one-letter dtype kind of ``x`` ('f', 'i', 'u', 'b', 'c'), for any array library."""
    if isinstance(x.dtype, np.dtype):
        return x.dtype.kind
    xp = namespace(x)
    return next((letter for letter, name in _KINDS if xp.isdtype(x.dtype, name)), "O")


def constant(value: float, like: Any) -> Any:
    """``value`` in ``like``'s dtype, beside it: a NumPy scalar, or a 0-d array on like's device."""
    if isinstance(like, np.ndarray | np.generic):
        return like.dtype.type(value)
    return namespace(like).asarray(value, dtype=like.dtype, device=device(like))


def _library(x: Any) -> str:
    """The name of the package ``x``'s type comes from: 'numpy', 'array_api_strict', 'cupy', ..."""
    return type(x).__module__.partition(".")[0]


def describe(x: Any) -> str:
    """Which library and device an array belongs to, for error messages."""
    if isinstance(x, np.ndarray | np.generic):
        return "a NumPy array"
    return f"an array of {_library(x)} on {device(x)}"


def check_one_library(what: str, values: Any) -> None:
    """Raise a GlassnetError naming both when the arrays among ``values`` (tuples and lists are looked
    into once) come from two array libraries or lie on two devices: glassnet never converts them.

    >>> check_one_library("add", [np.ones(2), (np.zeros(1), 3)])   # one library: nothing to say
    """
    arrays = [a for v in values for a in (v if isinstance(v, tuple | list) else (v,))
              if isinstance(a, np.ndarray) or has_namespace(a)]
    for a in arrays[1:]:
        if _library(a) != _library(arrays[0]):
            raise GlassnetError(
                f"{what} got arrays of two array libraries, {describe(arrays[0])} and {describe(a)}; "
                "glassnet never converts between them: make every array with one library (move NumPy "
                "data explicitly, e.g. xp.asarray(data, device=...))"
            )
        if device(a) != device(arrays[0]):
            raise GlassnetError(
                f"{what} got arrays on two devices, {describe(arrays[0])} and {describe(a)}; glassnet "
                "never moves them: put every array of an operation on one device"
            )
