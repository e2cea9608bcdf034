"""Gradient clipping, as ``torch.nn.utils``: rescale or clamp ``.grad`` in place before a step."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad_array for p in params if p.grad_array is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``.

    The gradients are seen as one long vector g = (g₁, ..., gₖ):
    ‖g‖ₚ = (Σᵢ ‖gᵢ‖ₚᵖ)^(1/p)  (for p = inf: maxᵢ ‖gᵢ‖∞), and each gᵢ ← gᵢ · min(1, c / (‖g‖ₚ + 10⁻⁶))
    with c = ``max_norm``; the direction of g is kept, only its length shrinks.

    Args:
        parameters: a Tensor or an iterable of Tensors; those without a gradient are skipped.
        max_norm: c, the largest allowed norm.
        norm_type: p, the order of the norm (``float("inf")`` for the largest absolute value).
        error_if_nonfinite: raise if the norm is nan or infinite instead of scaling by it.

    Returns:
        ‖g‖ₚ, the norm before clipping (0.0 when no parameter has a gradient).

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.zeros(2))
    >>> w.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0)             # ‖(3, 4)‖ = 5
    5.0
    >>> w.grad_array.round(6)                          # (3, 4) / 5
    array([0.6, 0.8])
    """
    grads = _grads(parameters)
    if not grads:
        return 0.0
    p = float(norm_type)
    norms = np.array([np.linalg.norm(g.ravel(), ord=p) for g in grads])  # (n_tensors,)
    total = float(np.linalg.norm(norms, ord=p))
    if error_if_nonfinite and not math.isfinite(total):
        raise GlassnetError(
            f"clip_grad_norm_: the total {p}-norm of the gradients is {total}, so they cannot be "
            "clipped; look for a nan/inf in the loss or lower the learning rate (or pass "
            "error_if_nonfinite=False to scale by it anyway)"
        )
    coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    with np.errstate(invalid="ignore"):  # inf·0 = nan, as in PyTorch, without a warning
        for g in grads:
            np.multiply(g, coef, out=g)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place.

    Args:
        parameters: a Tensor or an iterable of Tensors; those without a gradient are skipped.
        clip_value: the largest allowed absolute value (>= 0).

    >>> import numpy as np, glassnet as gn
    >>> w = gn.nn.Parameter(np.zeros(3))
    >>> w.grad = np.array([-5.0, 0.5, 2.0])
    >>> clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ], dtype=float64)
    """
    if not clip_value >= 0:
        raise GlassnetError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}; "
                            "gradients are clamped into [-clip_value, clip_value]")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
