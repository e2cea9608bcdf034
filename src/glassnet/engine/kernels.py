"""Compiled kernels for ReLU, a layer's bias and softmax cross-entropy, with NumPy's results bit
for bit (and a faster row maximum for softmax).

Optional, used when numba is installed (``pip install 'glassnet[fast]'``). NumPy's
``np.maximum(x, 0)`` and ``g * (x > 0)`` run at about one element per nanosecond on these
machines (the first propagates NaN with care, the second casts a boolean array to floats in a
pass of its own); a compiled loop does each in one pass, 2-4 times faster. Both kernels only
compare and select, so their results equal NumPy's exactly, NaN, infinities and signed zeros
included. Adding a bias row to every row of z, and its gradient, the sum of G's rows, cost
NumPy a fixed overhead per row; compiled, they do the same additions in the same order, 1.5-3.5
times faster. Softmax cross-entropy over a few classes spends its time in NumPy's per-row costs:
subtracting each row's maximum, summing each row of exponentials, and picking each sample's
log-probability; compiled, they take the same operations, the sums in NumPy's pairwise order
(the one ``np.add.reduce`` uses on a contiguous axis), while ``np.exp`` and ``np.log`` stay
NumPy's own (``tests/test_fast_paths.py`` checks every kernel against NumPy bit for bit; a sum
that meets a NaN gives NaN either way, though its payload bits may differ, as they do between
NumPy's own vector and scalar loops).
Small or non-contiguous arrays, and mixed dtypes, keep the NumPy expressions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "ELEMENTWISE_MIN_SIZE", "ENABLED", "MIN_SIZE", "add_doubled_product", "add_rows", "column_sum",
    "log_softmax_picked", "relu", "relu_grad", "row_max", "softmax_minus_onehot", "softmax_rows",
    "vector_sum",
]

MIN_SIZE = 256  # below this NumPy's call is as fast as the kernel's
# ReLU, its gradient and the bias row pay the kernel call's own cost (checking its arguments' types)
# against one NumPy call: below this many elements NumPy's call serves (in a prediction of
# 784-256-128-10 at batch 1, the kernels for the 256-wide layer cost 8 µs more than NumPy's calls)
ELEMENTWISE_MIN_SIZE = 4096
ENABLED = True  # tests turn the kernels off to compare with the NumPy expressions

try:  # pragma: no branch
    import numba
except ImportError:  # the NumPy expressions serve
    numba = None  # type: ignore[assignment]


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _usable(x: np.ndarray, g: np.ndarray | None = None, min_size: int = MIN_SIZE) -> bool:
    """Whether the kernels can take x (and g, of x's shape and dtype): contiguous floats, not tiny."""
    if not (ENABLED and numba is not None and x.size >= min_size and x.dtype in _DTYPES
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
    def _column_sum(a: Any, zero: Any) -> Any:
        out = np.empty_like(a[0])  # NumPy's order: 0, plus the first row, then each next row in turn
        for j in range(a.shape[1]):
            out[j] = zero + a[0, j]  # +0 + (−0) = +0, as NumPy's sum of −0s
        for i in range(1, a.shape[0]):
            for j in range(a.shape[1]):
                out[j] += a[i, j]
        return out

    @numba.njit(cache=True, error_model="numpy")
    def _add_doubled_product(into: Any, w: Any, t: Any) -> None:
        for i in range(into.size):
            half = t * w[i]
            into[i] = into[i] + (half + half)  # into + (t·w + t·w)

    @numba.njit(cache=True, error_model="numpy", inline="always")  # inlined: one call per row costs
    def _block_sum(a: Any, start: int, n: int) -> Any:
        """Σ a[start:start + n] for 1 ≤ n ≤ 128, as NumPy's pairwise sum does a block."""
        if n < 8:  # NumPy starts from −0.0, and −0.0 + a₀ = a₀ exactly
            res = a[start]
            for i in range(start + 1, start + n):
                res += a[i]
            return res
        r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]  # eight running sums
        r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
        i = start + 8
        end = start + n - n % 8
        while i < end:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))  # combined as a tree
        while i < start + n:  # then the rest one by one
            res += a[i]
            i += 1
        return res

    @numba.njit(cache=True, error_model="numpy")
    def _pairwise(a: Any, start: int, n: int) -> Any:
        """Σ a[start:start + n] (n ≥ 1) in NumPy's pairwise order, bit for bit.

        NumPy sums blocks of at most 128 with ``_block_sum`` and longer runs as the sum of two
        halves (the first a multiple of 8 long), recursively; the recursion runs here on an
        explicit stack (numba cannot cache a recursive function).
        """
        if n <= 128:
            return _block_sum(a, start, n)
        starts, sizes = np.empty(64, np.int64), np.empty(64, np.int64)
        lefts, done_left = np.empty(64, a.dtype), np.zeros(64, np.bool_)
        top, starts[0], sizes[0], done_left[0] = 0, start, n, False
        result = a[start]
        while True:
            if sizes[top] > 128:  # split: the left half first
                half = sizes[top] // 2
                half -= half % 8
                top += 1
                starts[top], sizes[top], done_left[top] = starts[top - 1], half, False
                continue
            result = _block_sum(a, starts[top], sizes[top])
            top -= 1
            while top >= 0 and done_left[top]:  # a right half: add it to its left half
                result = lefts[top] + result
                top -= 1
            if top < 0:
                return result
            half = sizes[top] // 2  # a left half: keep it, and go on with the right one
            half -= half % 8
            lefts[top], done_left[top] = result, True
            top += 1
            starts[top], sizes[top], done_left[top] = starts[top - 1] + half, sizes[top - 1] - half, False

    @numba.njit(cache=True, error_model="numpy")
    def _subtract_row_max(z: Any, out: Any) -> None:
        for i in range(z.shape[0]):
            m = z[i, 0]  # the row's maximum, NaN if any element is NaN
            for j in range(1, z.shape[1]):
                v = z[i, j]
                if m != m:
                    break
                if v > m or v != v:
                    m = v
            for j in range(z.shape[1]):
                out[i, j] = z[i, j] - m  # z − max over the row

    @numba.njit(cache=True, error_model="numpy")
    def _row_sum(flat: Any, n: int, out: Any, zero: Any) -> None:
        for i in range(out.shape[0]):  # row i of a C-contiguous (N, n) array, 1 ≤ n ≤ 128: one block
            out[i, 0] = zero + _block_sum(flat, i * n, n)  # NumPy adds the row's sum to its +0 start

    @numba.njit(cache=True, error_model="numpy")
    def _divide_by_row_sums(flat: Any, n: int, zero: Any) -> None:
        for i in range(flat.size // n):  # row i of a C-contiguous (N, n) array, 1 ≤ n ≤ 128
            total = zero + _block_sum(flat, i * n, n)  # NumPy's sum of the row, from its +0 start
            for j in range(i * n, i * n + n):
                flat[j] = flat[j] / total  # e / Σe

    @numba.njit(cache=True, error_model="numpy")
    def _pick_log_softmax(shifted: Any, log_sums: Any, y: Any, log_p: Any, picked: Any) -> None:
        for i in range(shifted.shape[0]):
            for j in range(shifted.shape[1]):
                log_p[i, j] = shifted[i, j] - log_sums[i, 0]  # log softmax(z)
            picked[i] = -log_p[i, y[i]]  # −log softmax(z)_y

    @numba.njit(cache=True, error_model="numpy")
    def _softmax_minus_onehot(gz: Any, y: Any, one: Any, scale: Any) -> None:
        for i in range(gz.shape[0]):
            gz[i, y[i]] -= one  # softmax − onehot(y), in gz's dtype as NumPy computes it
            for j in range(gz.shape[1]):
                gz[i, j] *= scale


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) elementwise, a new array (``np.maximum(x, 0)``)."""
    if not _usable(x, None, ELEMENTWISE_MIN_SIZE):
        return np.maximum(x, 0)
    out = np.empty_like(x)
    _relu(x.reshape(-1), out.reshape(-1))
    return out


def relu_grad(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g · [x > 0] elementwise, a new array (``g * (x > 0)``): ReLU's backward rule."""
    if not _usable(x, g, ELEMENTWISE_MIN_SIZE):
        return g * (x > 0)
    out = np.empty_like(g)
    _relu_grad(g.reshape(-1), x.reshape(-1), out.reshape(-1))
    return out


def add_rows(z: np.ndarray, b: np.ndarray) -> None:
    """z += b in place for z (N, M) and b (M,): a layer's bias added to every sample's output."""
    if (_usable(z, None, ELEMENTWISE_MIN_SIZE) and z.ndim == 2 and b.shape == z.shape[1:]
            and b.dtype == z.dtype and b.flags.c_contiguous):
        _add_rows(z, b)
    else:
        z += b


def column_sum(a: np.ndarray) -> np.ndarray:
    """a.sum(axis=0) for a (N, M), N ≥ 1: the bias gradient Σₙ Gₙ, summed in NumPy's order."""
    if _usable(a) and a.ndim == 2 and a.shape[0] >= 1 and a.shape[1] >= 2:  # one column: NumPy sums pairwise
        return _column_sum(a, a.dtype.type(0))
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


def log_softmax_picked(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(log softmax(z), −log softmax(z)[n, yₙ]) for logits z (N, C) and int64 labels y (N,).

    The same operations as ``loss_ops.cross_entropy_indices_forward``'s NumPy lines, with NumPy's
    ``np.exp`` and ``np.log``; None where the kernels cannot take z and y. The row maximum may
    differ from NumPy's in the sign of a zero (a tie of −0 and +0), which changes no output: z − m
    is then ±0 only where z is a zero, e^±0 = 1, and log softmax = ±0 − log Σ with log Σ ≥ log 2.
    """
    n, c = z.shape if z.ndim == 2 else (0, 0)
    if not (_usable(z) and c <= 128 and y.dtype == np.int64 and y.shape == (n,) and y.flags.c_contiguous):
        return None
    shifted = np.empty_like(z)
    _subtract_row_max(z, shifted)  # z − max over the row: exp cannot overflow
    sums = np.empty((n, 1), dtype=z.dtype)
    _row_sum(np.exp(shifted).reshape(-1), c, sums, z.dtype.type(0))  # Σ_c e^(z_c − max), NumPy's order
    log_p, picked = np.empty_like(z), np.empty(n, dtype=z.dtype)
    _pick_log_softmax(shifted, np.log(sums), y, log_p, picked)
    return log_p, picked


def softmax_rows(z: np.ndarray) -> np.ndarray | None:
    """softmax over each row of z (N, C), a new array: ``e / e.sum(axis=1, keepdims=True)`` with
    ``e = np.exp(z − max over the row)``, as ``activation_ops.softmax``'s NumPy lines compute it.

    Three calls instead of NumPy's seven, whose per-call cost is most of a prediction's softmax:
    the row maximum subtracted in one pass, NumPy's ``np.exp`` in place, then each row divided
    by its sum in NumPy's order. The maximum may differ from NumPy's in the sign of a zero (a tie
    of −0 and +0), which changes no output: z − m is then ±0 only where z is a zero, and e^±0 = 1.
    None where the kernels cannot take z (not 2-D C-contiguous floats, no rows, over 128 columns).
    """
    n, c = z.shape if z.ndim == 2 else (0, 0)
    if not (ENABLED and numba is not None and n and 1 <= c <= 128 and z.dtype in _DTYPES
            and z.flags.c_contiguous):
        return None
    e = np.empty_like(z)
    _subtract_row_max(z, e)  # z − max over the row: exp cannot overflow
    np.exp(e, out=e)
    _divide_by_row_sums(e.reshape(-1), c, z.dtype.type(0))
    return e


def vector_sum(a: np.ndarray) -> np.ndarray:
    """Σ a for a 1-D array, as a 0-d array of a's dtype (``np.asarray(a.sum())``)."""
    if not (ENABLED and numba is not None and a.ndim == 1 and a.size >= 1 and a.dtype in _DTYPES
            and a.flags.c_contiguous):
        return np.asarray(a.sum())
    total = a.dtype.type(0) + a.dtype.type(_pairwise(a, 0, a.size))  # numba gives a Python float: exact
    return np.asarray(total)  # NumPy adds the sum to its +0 start: −0 becomes +0


def softmax_minus_onehot(gz: np.ndarray, y: np.ndarray, scale: np.ndarray) -> None:
    """In place on gz = softmax(z) (N, C): ``gz[rows, y] -= 1`` then ``gz *= scale`` (0-d, or (N, 1)
    from NumPy's path)."""
    n = gz.shape[0]
    if not (_usable(gz) and gz.ndim == 2 and y.dtype == np.int64 and y.shape == (n,)
            and y.flags.c_contiguous and scale.ndim == 0 and scale.dtype == gz.dtype):
        gz[np.arange(n), y] -= 1.0
        gz *= scale
        return
    _softmax_minus_onehot(gz, y, gz.dtype.type(1.0), scale[()])


def add_doubled_product(into: np.ndarray, w: np.ndarray, t: Any) -> bool:
    """into ← into + (t·w + t·w) in place (``into += half + half`` with ``half = t * w``), t a
    scalar of w's dtype: L2's gradient added to a weight's; False (nothing done) where the
    kernel cannot take the arrays."""
    if not (_usable(into, w) and np.asarray(t).dtype == w.dtype):
        return False
    _add_doubled_product(into.reshape(-1), w.reshape(-1), t)
    return True
