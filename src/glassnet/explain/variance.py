"""The variance GaussianNLLLoss takes besides (prediction, target), and how a walkthrough shows it.

explain calls ``loss(ŷ, y)``, or ``loss(ŷ, y, var)`` for GaussianNLLLoss, whose formula reads
ℓ = ½(log s² + (ŷ − y)²/s²) with s² = max(var, ε), so ∂ℓ/∂ŷ = (ŷ − y)/s², divided by N (the number of
elements of ŷ) for ``reduction='mean'``. ℓ per element is the loss itself run with
``reduction='none'``; L and δ at the output are the engine's, as for every other loss. v is shown
as the clamp the loss applies (tests/test_explain.py checks it against the engine's δ).
"""

from __future__ import annotations

import inspect

import numpy as np

from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError
from glassnet.explain.divisor import divisor
from glassnet.explain.record import Recorder
from glassnet.nn.losses import GaussianNLLLoss
from glassnet.nn.module import Module

__all__ = ["Var", "check_arguments", "delta_text", "loss_arguments", "loss_lines"]

Var = Tensor | float
"""var as the loss takes it: an array as a Tensor, or one number."""


def check_arguments(loss: Module, var: ArrayLike | float | None) -> None:
    """Refuse a loss explain cannot call: GaussianNLLLoss without var, var for another loss, a loss of 3+."""
    name = type(loss).__name__
    if isinstance(loss, GaussianNLLLoss):
        if var is None:
            raise GlassnetError("explain calls loss(output, target, var), but GaussianNLLLoss also needs "
                                "var; pass the predicted variance as explain(..., var=...), e.g. "
                                "var=np.ones_like(y)")
        return
    if var is not None:
        raise GlassnetError(f"explain got var=, but {name} takes no variance (only GaussianNLLLoss does); "
                            "leave var out")
    required = [p for p in inspect.signature(loss.forward).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) > 2:
        extra = ", ".join(p.name for p in required[2:])
        raise GlassnetError(f"explain calls loss(output, target), but {name} also needs {extra}; "
                            f"explain a loss of two arguments, e.g. MSELoss or CrossEntropyLoss")


def loss_arguments(var: ArrayLike | float | None, one_sample: bool, dtype: np.dtype) -> tuple[Var, ...]:
    """What explain passes after (output, target): () or (var,), var in the model's dtype.

    One number stays a float; an array of one sample gets the batch axis, as x and y do.

    >>> loss_arguments([1.0, 2.0], True, np.dtype(np.float64))[0].shape
    (1, 2)
    """
    if var is None:
        return ()
    V = var.array if isinstance(var, Tensor) else var
    if np.ndim(V) == 0:
        return (float(np.asarray(V)),)
    V = np.asarray(V, dtype=dtype)
    return (Tensor(V[None, ...] if one_sample else V),)


def _clamped(loss: GaussianNLLLoss, out: Tensor, var: Var) -> tuple[np.ndarray, np.ndarray]:
    """var as given and s² = max(var, ε), the loss's clamp, shaped to broadcast against ŷ."""
    V = var.array if isinstance(var, Tensor) else np.asarray(var)
    if 0 < V.ndim == out.ndim - 1:  # one variance per row: (n,) → (n, 1), as the loss reads it
        V = V[..., None]
    return V, np.maximum(V, loss.eps)


def loss_lines(loss: GaussianNLLLoss, out: Tensor, y: Tensor, var: Var,
               rec: Recorder) -> tuple[list[str], dict[str, np.ndarray]]:
    """s² = max(var, ε) and ℓ per element with the numbers plugged in; the arrays shown, by name."""
    V, v = _clamped(loss, out, var)
    per = type(loss)(full=loss.full, eps=loss.eps, reduction="none")(out.detach(), y, var)  # ℓ, the engine's
    full = " + ½·log 2π" if loss.full else ""
    lines = [f"s² = max(var, ε) = max({rec.fmt(V)}, {rec.num(loss.eps)}) = {rec.fmt(v)}",
             f"ℓ = ½(log s² + (ŷ − y)²/s²){full}",
             f"  = ½(log {rec.fmt(v)} + ({rec.fmt(out.array)} − {rec.fmt(y.array)})²/{rec.fmt(v)}){full}",
             f"  = {rec.fmt(per.array)}"]
    return lines, {"var": V, "v": v, "loss_elements": per.array}


def delta_text(loss: GaussianNLLLoss, out: Tensor, y: Tensor, var: Var, rec: Recorder) -> tuple[str, str]:
    """∂L/∂ŷ = (ŷ − y)/s², ÷ N for 'mean', with the numbers plugged in, and a note on N.

    Its value is not computed here: the walkthrough shows the engine's ``.grad`` after it.
    """
    _, v = _clamped(loss, out, var)
    plugged = f"({rec.fmt(out.array)} − {rec.fmt(y.array)})/{rec.fmt(v)}"
    found = divisor(loss, out, y, rec)  # N = the elements of ŷ for 'mean', None for 'sum'
    if found is None:
        return f"(ŷ − y)/s² = {plugged}", ""
    return f"(ŷ − y)/s² / N = {plugged} / {int(found[0])}", f"  (reduction='mean': {found[1]})"
