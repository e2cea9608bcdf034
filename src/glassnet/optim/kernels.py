"""Compiled loops for the optimizers' rules, compiled from the rules themselves.

An optimizer's update is a function of numbers (``adam.adam``, ``sgd.sgd_momentum``) composed of
the small rules of ``rules.py``: given whole arrays (the gradient g, the parameter θ, the buffers
m, v, ...) it computes the direction u and the new buffers by broadcasting, and given one element
of each it computes that element's. With numba installed (``pip install 'glassnet[fast]'``),
:func:`run` applies such a rule and the base class's step θ ← θ − lr·u (``optimizer.descend``) to
NumPy arrays in one compiled loop over the elements: numba compiles the rules' own source, so there
is no second copy of the math to keep equal. The loop makes one pass over θ, g and the buffers
where the NumPy form makes about fifteen, each streaming whole arrays through memory.

Every function that may run per element is marked :func:`elementwise` (numba may then compile it
where a loop calls it; it stays the same Python function). A rule gets a loop of its own, with
:func:`compiled`, only where the loop's gain on a whole training step reaches 5 % in one of the
cases of ``bench/kernels.py``, which measures it: Adam's (and AdamW's) and SGD's with
momentum. numba caches the compiled loops on disk; a loop is keyed on the optim package's source
files, so editing a rule compiles it anew.

The rules' numbers (β, 1 − β, 1 − βᵗ, ...) and lr are computed once per step in Python, in float64,
and a loop takes them in θ's dtype: this is what NumPy does with a Python float beside a float32
array. That is also why the rules take 1 − β as an argument instead of writing it: a float literal
in compiled code is float64 and would make a float32 loop compute in float64, at half the speed of
its divisions and square roots. In the loop ``xp`` is NumPy itself, applied to single numbers. The
loop's results are those of the NumPy form to within a few units in the last place
(``tests/test_kernels.py``). Loops are compiled with ``error_model='numpy'`` (a division by zero
gives inf or nan, as NumPy does, instead of a check that keeps LLVM from vectorising) and run on
the calling thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np

__all__ = ["ENABLED", "compiled", "elementwise", "run"]

ENABLED = True  # tests and bench/kernels.py turn the loops off to run the NumPy form

try:  # pragma: no branch
    import numba
    from numba.extending import register_jitable
    from numba.np.unsafe.ndarray import to_fixed_tuple
except ImportError:  # the NumPy form serves
    numba = None  # type: ignore[assignment]

F = TypeVar("F", bound=Callable[..., Any])
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_LOOPS: dict[Callable[..., Any], Any] = {}  # a compiled rule → its loop, once built
_LAST: list[Any] = [None, None, None, None]  # the last numbers, lr and dtype, and their array


def elementwise(function: F) -> F:
    """Let compiled loops call ``function`` on single numbers; it stays the same Python function.

    >>> def double(x):
    ...     return x + x
    >>> elementwise(double) is double
    True
    """
    if numba is not None:
        register_jitable(function)
    return function


def compiled(rule: F) -> F:
    """:func:`elementwise`, and :func:`run` applies the rule in a compiled loop of its own."""
    if numba is not None:
        _LOOPS[elementwise(rule)] = None
    return rule


def run(rule: Callable[..., Any], descend: Callable[..., Any], lr: float, numbers: NamedTuple, theta: Any,
        g: Any, buffers: Sequence[Any]) -> bool:
    """One step of ``rule`` on a parameter in a compiled loop, if it has one and the arrays suit it.

    Per element i: ``u, *b[i] = rule(np, numbers, g[i], θ[i], *b[i])``, then
    ``θ[i] = descend(θ[i], lr, u)``; θ and the buffers b are updated in place.

    Returns:
        False, having changed nothing, when the NumPy form must serve: numba absent, the loops
        off, a rule without a loop, or arrays that are not writeable C-contiguous NumPy float32
        or float64 arrays of θ's dtype and shape (the loop checks shapes and layouts).
    """
    if not ENABLED or rule not in _LOOPS or type(theta) is not np.ndarray or theta.dtype not in _DTYPES:
        return False
    dtype, flags = theta.dtype, theta.flags
    if not (flags.c_contiguous and flags.writeable):
        return False
    for a in (g, *buffers):
        if type(a) is not np.ndarray or not (a.dtype is dtype or a.dtype == dtype):
            return False
    loop = _LOOPS[rule]
    if loop is None:
        loop = _LOOPS[rule] = _loop(rule, descend, type(numbers), len(buffers))
    return bool(loop(theta, g, *buffers, _in_dtype(lr, numbers, dtype)))


def _in_dtype(lr: float, numbers: NamedTuple, dtype: np.dtype[Any]) -> np.ndarray:
    """lr and the rule's numbers as one array in θ's dtype; the parameters of one step share it."""
    last = _LAST
    if numbers is last[0] and lr == last[1] and dtype is last[2]:  # the same numbers object
        return last[3]
    array = np.array((lr, *numbers), dtype=dtype)
    _LAST[:] = numbers, lr, dtype, array  # holding numbers keeps its identity unique
    return array


def _loop(rule: Callable[..., Any], descend: Callable[..., Any], numbers: type, n_buffers: int) -> Any:
    """Compile the loop of ``rule`` over one or two buffers (the arities of the compiled rules)."""
    n, stamp = len(numbers._fields), _sources_stamp()  # type: ignore[attr-defined]
    jit = numba.njit(cache=True, error_model="numpy")

    def one(theta_: Any, g_: Any, a_: Any, s: Any) -> bool:
        _ = stamp  # in the closure, so in numba's cache key (see _sources_stamp)
        if not (_alike(theta_, g_) and _alike(theta_, a_)):
            return False
        theta, g, a = theta_.ravel(), g_.ravel(), a_.ravel()  # views of C-contiguous arrays
        lr, c = s[0], numbers(*to_fixed_tuple(s[1:], n))  # type: ignore[call-arg]  # an intrinsic
        for i in range(theta.size):
            u, a[i] = rule(np, c, g[i], theta[i], a[i])
            theta[i] = descend(theta[i], lr, u)
        return True

    def two(theta_: Any, g_: Any, a_: Any, b_: Any, s: Any) -> bool:
        _ = stamp
        if not (_alike(theta_, g_) and _alike(theta_, a_) and _alike(theta_, b_)):
            return False
        theta, g, a, b = theta_.ravel(), g_.ravel(), a_.ravel(), b_.ravel()
        lr, c = s[0], numbers(*to_fixed_tuple(s[1:], n))  # type: ignore[call-arg]
        for i in range(theta.size):
            u, a[i], b[i] = rule(np, c, g[i], theta[i], a[i], b[i])
            theta[i] = descend(theta[i], lr, u)
        return True

    return jit({1: one, 2: two}[n_buffers])


@elementwise
def _alike(theta: Any, x: Any) -> bool:
    """Whether x has θ's shape and is C-contiguous, as θ is: then their ravels match element by element."""
    return theta.shape == x.shape and x.flags.c_contiguous


def _sources_stamp() -> int:
    """A number that changes when any source file of glassnet.optim changes.

    numba's cache notices edits to the file that defines a compiled function (this one) only; a
    loop also compiles the rules of the files beside it. With this stamp in the loop's closure,
    which numba's cache key includes, an edited rule is compiled anew rather than loaded stale.
    """
    files = sorted(Path(__file__).parent.glob("*.py"))
    stats = [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    return int.from_bytes(hashlib.sha256(repr(stats).encode()).digest()[:7], "big")
