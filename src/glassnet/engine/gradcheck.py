"""Checking backward against finite differences: the test every derivative in glassnet passes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.engine.backend import NUMPY, device, kind, namespace
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, GradcheckError

__all__ = ["gradcheck"]


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Compare the gradients from ``backward()`` with central finite differences, in float64.

    Each floating input that requires grad is copied to float64 (in its own array library). A
    non-scalar output is reduced to the scalar ``s = Σ fn(x) ⊙ r`` with a fixed random ``r``, so
    every output element is checked. For each input element i::

        numeric_i = (s(x + eps·eᵢ) - s(x - eps·eᵢ)) / (2·eps)
        ok_i      = |analytic_i - numeric_i| <= atol + rtol·|numeric_i|

    Args:
        fn: maps the inputs to one Tensor.
        inputs: Tensors (those with ``requires_grad`` are checked) and other arguments.
        eps: finite-difference step.
        atol, rtol: absolute and relative tolerance.
        seed: seed of the random projection ``r``.

    Returns:
        True when every element agrees.

    Raises:
        GradcheckError: naming the input, the index and both values of the first disagreement.

    >>> import glassnet as gn
    >>> x = gn.tensor([0.5, -1.0, 2.0], requires_grad=True)
    >>> gn.gradcheck(lambda t: (t * t * t).sum(), [x])
    True
    """
    args = [_float64_copy(x) for x in inputs]
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise GlassnetError("gradcheck needs at least one input tensor with requires_grad=True")
    out = fn(*args)
    xp = namespace(out.array)
    r = np.random.default_rng(seed).standard_normal(out.shape) if out.numel() > 1 else np.ones(out.shape)
    if xp is not NUMPY:
        r = xp.asarray(r, device=device(out.array))  # moved beside the output

    def scalar() -> float:
        return float(xp.sum(fn(*args).array * r))

    (out * Tensor(r)).sum().backward()
    for i in checked:
        x = args[i]
        analytic = x.grad_array if x.grad_array is not None else xp.zeros_like(x.array)
        for index in np.ndindex(*x.shape):
            numeric = _central_difference(scalar, x.array, index, eps)
            if not abs(float(analytic[index]) - numeric) <= atol + rtol * abs(numeric):
                raise GradcheckError(
                    f"gradcheck failed for input {i} at index {index}: backward gave "
                    f"{float(analytic[index])!r}, finite differences gave {numeric!r} "
                    f"(atol={atol}, rtol={rtol}); the derivative rule of an operation in fn is wrong"
                )
    return True


def _float64_copy(x: Any) -> Any:
    if isinstance(x, Tensor) and kind(x.array) == "f":
        xp = namespace(x.array)
        return Tensor(xp.astype(x.array, xp.float64, copy=True), requires_grad=x.requires_grad)
    return x


def _central_difference(f: Callable[[], float], data: Any, index: tuple[int, ...], eps: float) -> float:
    original = float(data[index])
    data[index] = original + eps
    plus = f()
    data[index] = original - eps
    minus = f()
    data[index] = original
    return (plus - minus) / (2 * eps)
