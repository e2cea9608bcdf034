"""Undoing NumPy broadcasting: the one place where gradients are reduced back to an input's shape.

If ``a`` of shape (3, 1) is added to ``b`` of shape (4,), NumPy broadcasts both to (3, 4). Every
element of ``a`` was used 4 times and every element of ``b`` 3 times, so by the chain rule their
gradients are the upstream gradient summed over the axes along which they were repeated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.engine.backend import namespace

__all__ = ["unbroadcast"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    Args:
        grad: gradient with the broadcast (output) shape.
        shape: the shape of the input the gradient belongs to.
        dtype: the input's dtype; the result is cast to it.

    Returns:
        An array of exactly ``shape``.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    if isinstance(grad, np.generic):
        grad = np.asarray(grad)
    xp = namespace(grad)
    if grad.shape != shape:
        extra = grad.ndim - len(shape)
        if extra > 0:  # leading axes that broadcasting prepended
            grad = xp.sum(grad, axis=tuple(range(extra)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if stretched:  # axes of length 1 that broadcasting repeated
            grad = xp.sum(grad, axis=stretched, keepdims=True)
    if dtype is not None and grad.dtype != dtype:
        grad = xp.astype(grad, dtype)
    return grad
