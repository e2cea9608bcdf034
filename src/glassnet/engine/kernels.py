"""Compiled helpers inside the engine's rules: ReLU and LeakyReLU and their gradients, sums and
maxima of rows, log softmax of rows and the picking of each row's class.

Optional, used when numba is installed (``pip install 'glassnet[fast]'``) and the arrays are
NumPy's; every other case takes the array expression written beside each helper, which is the
rule's definition. A helper computes the same formula in one pass where NumPy makes two or
three (ReLU, LeakyReLU), or reduces short rows without NumPy's cost per row (softmax's and log-softmax's
maximum and sum over 10 classes); it is tested against its expression (exactly where the
operation is exact, else to a few units in the last place: ``tests/test_fast_paths.py``).
``python bench/kernels.py --helpers relu`` (or ``rows``) measures what each buys on a whole
training step (``bench/KERNELS.md``); a helper that does not buy 5 % of a step in some case is
not kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.engine.backend import constant, namespace

__all__ = ["ENABLED", "MIN_SIZE", "leaky_relu", "leaky_relu_grad", "log_softmax_rows", "pick_rows", "relu",
           "relu_grad", "row_sum", "shift_rows", "subtract_picked"]

MIN_SIZE = 4096  # below this many elements NumPy's one call costs less than a kernel call
ENABLED = True  # tests turn the helpers off to compare with the array expressions

try:  # pragma: no branch
    import numba
except ImportError:  # the array expressions serve
    numba = None  # type: ignore[assignment]

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))


def _usable(x: Any, g: Any = None) -> bool:
    """Whether a kernel can take x (and g of x's shape and dtype): large contiguous NumPy floats."""
    if not (ENABLED and numba is not None and type(x) is np.ndarray and x.size >= MIN_SIZE
            and x.dtype in _DTYPES and x.flags.c_contiguous):
        return False
    return g is None or (type(g) is np.ndarray and g.dtype == x.dtype and g.shape == x.shape
                         and g.flags.c_contiguous)


if numba is not None:
    @numba.njit(cache=True)
    def _relu(x: Any, out: Any) -> None:
        for i in range(x.size):
            v = x[i]
            out[i] = v if not v <= 0 else 0.0  # max(v, 0): NaN stays NaN, as np.maximum

    @numba.njit(cache=True)
    def _relu_grad(g: Any, x: Any, out: Any) -> None:
        for i in range(x.size):
            out[i] = g[i] if x[i] > 0 else 0.0  # g where x > 0, else 0

    @numba.njit(cache=True)
    def _leaky_relu(x: Any, a: Any, out: Any) -> None:
        for i in range(x.size):
            v = x[i]
            out[i] = v if v > 0 else a * v  # x for x > 0, a·x else (a in x's dtype)

    @numba.njit(cache=True)
    def _leaky_relu_grad(g: Any, x: Any, a: Any, out: Any) -> None:
        for i in range(x.size):
            out[i] = g[i] if x[i] > 0 else a * g[i]  # g where x > 0, else a·g


if numba is not None:
    @numba.njit(cache=True, error_model="numpy")
    def _row_max(x: Any, i: int) -> Any:
        m = x[i, 0]
        for j in range(1, x.shape[1]):
            v = x[i, j]
            if m == m and not v <= m:  # a larger value, or the first NaN (which then stays)
                m = v
        return m

    @numba.njit(cache=True, error_model="numpy")
    def _shift_rows(x: Any, out: Any) -> None:
        for i in range(x.shape[0]):
            m = _row_max(x, i)
            for j in range(x.shape[1]):
                out[i, j] = x[i, j] - m  # x − the row's maximum

    @numba.njit(cache=True, error_model="numpy")
    def _row_sum(x: Any, out: Any) -> None:
        for i in range(x.shape[0]):
            total = 0.0  # in float64
            for j in range(x.shape[1]):
                total += x[i, j]
            out[i, 0] = total

    @numba.njit(cache=True, error_model="numpy")
    def _log_softmax_rows(x: Any, out: Any) -> None:
        for i in range(x.shape[0]):
            m = _row_max(x, i)
            total = 0.0  # in float64
            for j in range(x.shape[1]):
                total += np.exp(x[i, j] - m)
            log_total = np.log(total)
            for j in range(x.shape[1]):
                out[i, j] = (x[i, j] - m) - log_total  # (x − max) − log Σ e^(x − max)


if numba is not None:
    @numba.njit(cache=True)
    def _pick_rows(a: Any, y: Any, skip: int, out: Any) -> bool:
        n_classes = a.shape[1]
        for i in range(a.shape[0]):
            c = y[i]
            if c < 0 or c >= n_classes or c == skip:
                return False
            out[i] = a[i, c]
        return True

    @numba.njit(cache=True)
    def _subtract_picked(a: Any, y: Any) -> None:
        for i in range(a.shape[0]):
            a[i, y[i]] -= 1.0


def _rows(x: Any) -> bool:
    """Whether the row helpers take x: a 2-D C-contiguous NumPy float array with rows."""
    return (ENABLED and numba is not None and type(x) is np.ndarray and x.ndim == 2 and x.shape[0] > 0
            and x.shape[1] > 0 and x.dtype in _DTYPES and x.flags.c_contiguous)


def shift_rows(x: Any) -> Any:
    """x minus the maximum of its row, for a 2-D array: softmax's shift (x − max ≤ 0).

    NumPy reduces short rows one at a time with a cost per row (for C = 10 most of the time),
    then subtracts in a second call; compiled, one pass. The maximum is exact, NaN included,
    whatever the order, so the result is NumPy's bit for bit.
    """
    if not _rows(x):
        return x - namespace(x).max(x, axis=-1, keepdims=True)
    out = np.empty_like(x)
    _shift_rows(x, out)
    return out


def row_sum(x: Any) -> Any:
    """The sum of each row of a 2-D array, kept as a column: (N, C) → (N, 1).

    Compiled, one pass per row, accumulated in float64 and rounded once: within a few units in
    the last place of NumPy's pairwise sum in the array's dtype.
    """
    if not _rows(x):
        return namespace(x).sum(x, axis=-1, keepdims=True)
    out = np.empty((x.shape[0], 1), dtype=x.dtype)
    _row_sum(x, out)
    return out


def relu(x: Any) -> Any:
    """max(x, 0) elementwise, a new array."""
    if not _usable(x):
        return namespace(x).maximum(x, 0.0)
    out = np.empty_like(x)
    _relu(x.reshape(-1), out.reshape(-1))
    return out


def relu_grad(g: Any, x: Any) -> Any:
    """g where x > 0, else 0, a new array: ReLU's backward rule (0 at the kink, as PyTorch)."""
    if not _usable(x, g):
        return namespace(g).where(x > 0, g, 0.0)
    out = np.empty_like(g)
    _relu_grad(g.reshape(-1), x.reshape(-1), out.reshape(-1))
    return out


def leaky_relu(x: Any, a: float) -> Any:
    """x for x > 0, a·x for x ≤ 0, elementwise, a new array (a·x in x's dtype)."""
    if not _usable(x):
        return namespace(x).where(x > 0, x, x * constant(a, x))
    out = np.empty_like(x)
    _leaky_relu(x.reshape(-1), x.dtype.type(a), out.reshape(-1))
    return out


def leaky_relu_grad(g: Any, x: Any, a: float) -> Any:
    """g where x > 0, else a·g, a new array: LeakyReLU's backward rule (a at the kink, as PyTorch)."""
    if not _usable(x, g):
        return namespace(g).where(x > 0, g, g * constant(a, g))
    out = np.empty_like(g)
    _leaky_relu_grad(g.reshape(-1), x.reshape(-1), g.dtype.type(a), out.reshape(-1))
    return out


def log_softmax_rows(x: Any) -> Any:
    """log softmax of each row of a 2-D array, (x − max) − log Σ e^(x − max), a new array; None
    where the helper cannot take x (then ``LogSoftmax``'s array expression serves).

    Compiled, one pass per row instead of NumPy's five calls; the sum is accumulated in float64
    and the result is within a few units in the last place of the array expression.
    """
    if not _rows(x):
        return None
    out = np.empty_like(x)
    _log_softmax_rows(x, out)
    return out


def _classes(a: Any, y: Any) -> bool:
    """Whether the class helpers take a (N, C) and y: a NumPy integer vector of N labels."""
    return (_rows(a) and type(y) is np.ndarray and y.dtype in _INDEX_DTYPES and y.shape == a.shape[:1]
            and y.flags.c_contiguous)


def pick_rows(a: Any, y: Any, skip: int) -> Any:
    """a[n, yₙ] for every row n, as ``a[np.arange(N), y]``; None unless every yₙ is a class of a
    (0 ≤ yₙ < C) other than ``skip``, or where the helper cannot take the arrays (then the
    caller's array expression serves, with its checks)."""
    if not _classes(a, y):
        return None
    out = np.empty(a.shape[0], dtype=a.dtype)
    return out if _pick_rows(a, y, skip, out) else None


def subtract_picked(a: Any, y: Any) -> None:
    """a[n, yₙ] −= 1 in place for every row n, for labels ``pick_rows`` accepted."""
    if _classes(a, y):
        _subtract_picked(a, y)
    else:
        a[np.arange(len(y)), y] -= 1.0
