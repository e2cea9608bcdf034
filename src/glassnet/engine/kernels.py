"""Compiled kernels for ReLU and a layer's bias, with NumPy's results bit for bit (and a faster
row maximum for softmax).

Optional, used when numba is installed (``pip install 'glassnet[fast]'``). NumPy's
``np.maximum(x, 0)`` and ``g * (x > 0)`` run at about one element per nanosecond on these
machines (the first propagates NaN with care, the second casts a boolean array to floats in a
pass of its own); a compiled loop does each in one pass, 2-4 times faster. Both kernels only
compare and select, so their results equal NumPy's exactly, NaN, infinities and signed zeros
included. Adding a bias row to every row of z, and its gradient, the sum of G's rows, cost
NumPy a fixed overhead per row; compiled, they do the same additions in the same order, 1.5-3.5
times faster (``tests/test_fast_paths.py`` checks every kernel against NumPy bit for bit).
Small or non-contiguous arrays, and mixed dtypes, keep the NumPy expressions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ENABLED", "MIN_SIZE", "add_rows", "column_sum", "relu", "relu_grad", "row_max"]

MIN_SIZE = 256  # below this NumPy's call is as fast as the kernel's
ENABLED = True  # tests turn the kernels off to compare with the NumPy expressions

try:  # pragma: no branch
    import numba
except ImportError:  # the NumPy expressions serve
    numba = None  # type: ignore[assignment]


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _usable(x: np.ndarray, g: np.ndarray | None = None) -> bool:
    """Whether the kernels can take x (and g, of x's shape and dtype): contiguous floats, not tiny."""
    if not (ENABLED and numba is not None and x.size >= MIN_SIZE and x.dtype in _DTYPES
            and x.flags.c_contiguous):
        return False
    return g is None or (g.dtype == x.dtype and g.shape == x.shape and g.flags.c_contiguous)


if numba is not None:
    @numba.njit(cache=True)
    def _relu(x: Any, out: Any) -> None:
        for i in range(x.size):
            v = x[i]
            out[i] = v if not v <= 0 else 0.0  # max(v, 0): NaN stays NaN and −0 gives +0, as np.maximum

    @numba.njit(cache=True)
    def _relu_grad(g: Any, x: Any, out: Any) -> None:
        for i in range(x.size):
            out[i] = g[i] * (1.0 if x[i] > 0 else 0.0)  # g · [x > 0], as g * (x > 0)

    @numba.njit(cache=True)
    def _add_rows(z: Any, b: Any) -> None:
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                z[i, j] += b[j]  # z ← z + b, b added to every row

    @numba.njit(cache=True)
    def _column_sum(a: Any) -> Any:
        out = a[0].copy()  # NumPy's order: the first row, then each next row added in turn
        for i in range(1, a.shape[0]):
            for j in range(a.shape[1]):
                out[j] += a[i, j]
        return out


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) elementwise, a new array (``np.maximum(x, 0)``)."""
    if not _usable(x):
        return np.maximum(x, 0)
    out = np.empty_like(x)
    _relu(x.reshape(-1), out.reshape(-1))
    return out


def relu_grad(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g · [x > 0] elementwise, a new array (``g * (x > 0)``): ReLU's backward rule."""
    if not _usable(x, g):
        return g * (x > 0)
    out = np.empty_like(g)
    _relu_grad(g.reshape(-1), x.reshape(-1), out.reshape(-1))
    return out


def add_rows(z: np.ndarray, b: np.ndarray) -> None:
    """z += b in place for z (N, M) and b (M,): a layer's bias added to every sample's output."""
    if (_usable(z) and z.ndim == 2 and b.shape == z.shape[1:] and b.dtype == z.dtype
            and b.flags.c_contiguous):
        _add_rows(z, b)
    else:
        z += b


def column_sum(a: np.ndarray) -> np.ndarray:
    """a.sum(axis=0) for a (N, M), N ≥ 1: the bias gradient Σₙ Gₙ, summed in NumPy's order."""
    if _usable(a) and a.ndim == 2 and a.shape[0] >= 1 and a.shape[1] >= 2:  # one column: NumPy sums pairwise
        return _column_sum(a)
    return a.sum(axis=0)


def row_max(x: np.ndarray) -> np.ndarray:
    """max over the last axis of a 2-D array, keeping it: (N, C) → (N, 1).

    NumPy reduces short rows one by one, with a fixed cost per row: for C = 10 that is 4 times
    slower than reducing the transposed copy across rows. The maximum is exact whatever the order,
    so both give the same numbers (NaN included).
    """
    if x.ndim == 2 and x.shape[1] <= 32:
        return np.ascontiguousarray(x.T).max(axis=0)[:, None]
    return np.max(x, axis=-1, keepdims=True)
