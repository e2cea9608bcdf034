"""Losses as functions, ``loss(input, target)`` with PyTorch's names, arguments and defaults.

The cross-entropies are fused primitives in ``glassnet.engine.loss_ops``; the rest are composed
from engine ops, so their gradients come from the ops' own rules. Each function checks its
arguments first (``_loss_checks``) and reduces with 'mean' (default), 'sum' or 'none'.
"""

from __future__ import annotations

import math

import numpy as np  # noqa: F401  (the examples use it)

from glassnet.engine import loss_ops, ops
from glassnet.engine.backend import device, namespace
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, ShapeError
from glassnet.nn._loss_checks import (
    InUnitInterval,
    NonNegative,
    as_input,
    as_target,
    beside,
    check_broadcasts,
    check_class_or_probability_target,
    check_class_target,
    check_reduction,
    class_axis_size,
)

Value = ArrayLike  # a Tensor, an ndarray or a nested list


def _elementwise(name: str, input: Value, target: Value, reduction: str) -> tuple[Tensor, Tensor]:
    check_reduction(name, reduction)
    x = as_input(name, input)
    return x, as_target(name, target, x)


def mse_loss(input: Value, target: Value, *, reduction: str = "mean") -> Tensor:
    """Mean squared error: ℓ = (x − y)², dℓ/dx = 2(x − y).

    Args:
        input: predictions x, any shape.
        target: y, same shape as x.
        reduction: 'mean' | 'sum' | 'none' (then the result has x's shape).

    Returns:
        A scalar Tensor, or per-element losses for 'none'.

    >>> mse_loss(Tensor([1.0, 3.0]), [0.0, 1.0]).item()   # (1 + 4) / 2
    2.5
    """
    x, y = _elementwise("mse_loss", input, target, reduction)
    return loss_ops.squared_error(x, y, reduction)  # reduce((x − y)·(x − y)) as one node


def l1_loss(input: Value, target: Value, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ℓ = |x − y|, dℓ/dx = sign(x − y) (0 where x = y).

    Args and Returns as :func:`mse_loss`.

    >>> l1_loss(Tensor([1.0, 3.0]), [0.0, 1.0]).item()   # (1 + 2) / 2
    1.5
    """
    x, y = _elementwise("l1_loss", input, target, reduction)
    return loss_ops.reduce(ops.abs(x - y), reduction)


def huber_loss(input: Value, target: Value, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: ℓ = ½d² where |d| < δ, else δ(|d| − ½δ), for d = x − y.

    Quadratic near the target, linear (gradient ±δ) far from it. Args and Returns as
    :func:`mse_loss`; ``delta`` δ > 0 is where the two pieces meet.

    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0]).item()   # (0.125 + 2.5) / 2
    1.3125
    """
    if not delta > 0:
        raise GlassnetError(f"huber_loss got delta={delta}; expected a positive number such as 1.0")
    x, y = _elementwise("huber_loss", input, target, reduction)
    d = x - y
    a = ops.abs(d)
    near = ops.compare(a, delta, "less")
    return loss_ops.reduce(ops.where(near, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)


def smooth_l1_loss(input: Value, target: Value, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ℓ = ½d²/β where |d| < β, else |d| − ½β, for d = x − y (β = 0: plain L1).

    Args and Returns as :func:`mse_loss`; ``beta`` β ≥ 0 is where the two pieces meet.

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0]).item()   # (0.125 + 2.5) / 2
    1.3125
    """
    if not beta >= 0:
        raise GlassnetError(f"smooth_l1_loss got beta={beta}; expected a number ≥ 0 such as 1.0")
    if beta == 0:  # the quadratic piece vanishes (and would divide by zero)
        return l1_loss(input, target, reduction=reduction)
    x, y = _elementwise("smooth_l1_loss", input, target, reduction)
    d = x - y
    a = ops.abs(d)
    near = ops.compare(a, beta, "less")
    return loss_ops.reduce(ops.where(near, 0.5 * d * d / beta, a - 0.5 * beta), reduction)


def binary_cross_entropy(input: Value, target: Value, weight: Value | None = None, *,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities: ℓ = −w[y·log x + (1 − y)·log(1 − x)].

    Each log is clamped at −100 (as PyTorch), so x = 0 or 1 gives a finite loss and gradient.

    Args:
        input: probabilities x ∈ [0, 1], any shape (e.g. the output of a sigmoid).
        target: y ∈ [0, 1], same shape.
        weight: per-element weights w that broadcast to x's shape.
        reduction: 'mean' | 'sum' | 'none'.

    >>> round(binary_cross_entropy(Tensor([0.5, 0.5]), [1.0, 0.0]).item(), 4)   # log 2
    0.6931
    """
    x, y = _elementwise("binary_cross_entropy", input, target, reduction)
    hint = "apply a sigmoid first, or use binary_cross_entropy_with_logits on raw scores"
    x = ops.check(x, InUnitInterval("binary_cross_entropy", "input", hint))
    y = ops.check(y, InUnitInterval("binary_cross_entropy", "target", "targets are 0/1 labels"))
    check_broadcasts("binary_cross_entropy", "weight", weight, x.shape)
    return loss_ops.binary_cross_entropy(x, y, weight, reduction)


def binary_cross_entropy_with_logits(input: Value, target: Value, weight: Value | None = None, *,
                                     reduction: str = "mean", pos_weight: Value | None = None) -> Tensor:
    """Binary cross-entropy of logits: ℓ = −w[p·y·log σ(z) + (1 − y)·log(1 − σ(z))].

    Computed stably as w[(1 − y)z − (1 + (p − 1)y)·log σ(z)]; dℓ/dz = σ(z) − y when p = 1.

    Args:
        input: logits z, any shape.
        target: y ∈ [0, 1], same shape.
        weight: per-element weights w that broadcast to z's shape.
        reduction: 'mean' | 'sum' | 'none'.
        pos_weight: p, the weight of positive examples, broadcast along the last axis (C,).

    >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), [1.0]).item(), 4)   # log 2
    0.6931
    """
    name = "binary_cross_entropy_with_logits"
    z, y = _elementwise(name, input, target, reduction)
    check_broadcasts(name, "weight", weight, z.shape)
    check_broadcasts(name, "pos_weight", pos_weight, z.shape)
    return loss_ops.binary_cross_entropy_with_logits(z, y, weight, pos_weight, reduction)


def cross_entropy(input: Value, target: Value, weight: Value | None = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits: ℓ = −Σ_c w_c q_c log softmax(z)_c, dℓ/dz = softmax(z) − onehot(y).

    q = (1 − ε)·onehot(y) + ε/C for class indices y, or (1 − ε)·t + ε/C for probabilities t;
    ε is ``label_smoothing``. With class indices, 'mean' divides by the summed weights w_y of
    the positions not equal to ``ignore_index`` (PyTorch's weighted mean).

    Args:
        input: logits z of shape (C,), (N, C) or (N, C, d1, ...): classes on axis 1.
        target: integer class indices of shape (), (N,) or (N, d1, ...), or float class
            probabilities of z's shape.
        weight: per-class weights w, shape (C,).
        ignore_index: a class index whose positions add nothing (class indices only).
        reduction: 'mean' | 'sum' | 'none' (then shape (N, d1, ...)).
        label_smoothing: ε ∈ [0, 1].

    >>> round(cross_entropy(Tensor([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1])).item(), 4)
    0.1269
    """
    name = "cross_entropy"
    check_reduction(name, reduction)
    z = as_input(name, input)
    class_axis_size(name, z, weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise GlassnetError(f"{name} got label_smoothing={label_smoothing}; expected a number in [0, 1]")
    y = check_class_or_probability_target(name, z, target, ignore_index)
    return loss_ops.cross_entropy(z, y, weight, ignore_index, label_smoothing, reduction, name)


def nll_loss(input: Value, target: Value, weight: Value | None = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ℓ = −w_y·x_y for log-probabilities x (e.g. from log_softmax).

    Args as :func:`cross_entropy` (class-index targets only); 'mean' divides by Σ w_y.

    >>> nll_loss(Tensor([[-1.0, -2.0], [-3.0, -4.0]]), np.array([1, 0])).item()   # (2 + 3) / 2
    2.5
    """
    check_reduction("nll_loss", reduction)
    x = as_input("nll_loss", input)
    class_axis_size("nll_loss", x, weight)
    y = check_class_target("nll_loss", x, target)
    return loss_ops.nll_loss(x, y, weight, ignore_index, reduction)


def kl_div(input: Value, target: Value, *, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(p ‖ q) with input x = log q: ℓ = p·(log p − x).

    With ``log_target`` the target is log p and ℓ = e^(log p)·(log p − x). dℓ/dx = −p.
    'batchmean' divides the sum by the batch size x.shape[0] (the true KL divergence);
    'mean' divides by the number of elements, as PyTorch.

    >>> kl_div(Tensor(np.log([0.5, 0.5])), [0.5, 0.5], reduction="sum").item()
    0.0
    """
    check_reduction("kl_div", reduction, (*loss_ops.REDUCTIONS, "batchmean"))
    x = as_input("kl_div", input)
    p = as_target("kl_div", target, x)
    if log_target:
        loss = ops.exp(p) * (p - x)
    else:  # p·log p, taken as 0 at p = 0 (xlogy); the inner where keeps log away from 0
        nonzero = ops.compare(p, 0.0, "not_equal")
        loss = ops.where(nonzero, p * ops.log(ops.where(nonzero, p, 1.0)), 0.0) - p * x
    if reduction == "batchmean":
        total = loss.sum()
        return total / x.shape[0] if x.ndim else total
    return loss_ops.reduce(loss, reduction)


def poisson_nll_loss(input: Value, target: Value, log_input: bool = True, full: bool = False, *,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of counts y with rate λ: ℓ = λ − y·log λ.

    ``log_input``: x = log λ and ℓ = e^x − y·x; otherwise x = λ and ℓ = x − y·log(x + eps).
    ``full`` adds Stirling's y·log y − y + ½·log(2πy) where y > 1.

    >>> poisson_nll_loss(Tensor([0.0]), [1.0]).item()   # e⁰ − 1·0
    1.0
    """
    x, y = _elementwise("poisson_nll_loss", input, target, reduction)
    loss = ops.exp(x) - y * x if log_input else x - y * ops.log(x + eps)
    if full:
        big = ops.compare(y, 1.0, "greater")
        y_big = ops.where(big, y, 2.0)  # keeps log away from y ≤ 1, where the term is dropped
        stirling = y_big * ops.log(y_big) - y_big + 0.5 * ops.log(2 * math.pi * y_big)
        loss = loss + ops.where(big, stirling, 0.0)
    return loss_ops.reduce(loss, reduction)


def gaussian_nll_loss(input: Value, target: Value, var: Value | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood: ℓ = ½(log v + (x − y)²/v), v = max(var, eps).

    ``var`` has x's shape, or x's shape with one axis of size 1 (or the last axis dropped),
    or is one float. ``full`` adds ½·log 2π. The clamp, as PyTorch's, passes the gradient
    unchanged: dℓ/dvar = ½(1/v − (x − y)²/v²).

    >>> gaussian_nll_loss(Tensor([1.0]), [1.0], 1.0).item()
    0.0
    """
    x, y = _elementwise("gaussian_nll_loss", input, target, reduction)
    v = _variance(x, var)
    v = ops.check(v, NonNegative("gaussian_nll_loss", "var", "variances must be ≥ 0 (try exp or softplus)"))
    v = v + ops.detach(ops.maximum(v, eps) - v)  # clamp at eps; the gradient flows as if unclamped
    loss = 0.5 * (ops.log(v) + (x - y) ** 2 / v)
    return loss_ops.reduce(loss + 0.5 * math.log(2 * math.pi) if full else loss, reduction)


def _variance(x: Tensor, var: Value | float) -> Tensor:
    """var as a Tensor that broadcasts to x: PyTorch's homoscedastic and heteroscedastic shapes."""
    if isinstance(var, int | float):
        return Tensor(namespace(x.array).full(x.shape, var, dtype=x.dtype, device=device(x.array)))
    v = var if isinstance(var, Tensor) else beside("gaussian_nll_loss", var, x.array, x.dtype)
    if v.shape == x.shape:
        return v
    if v.shape == x.shape[:-1]:  # one variance per row: (N, ...) → (N, ..., 1)
        return ops.reshape(v, (*v.shape, 1))
    if v.ndim == x.ndim and sum(b for a, b in zip(x.shape, v.shape, strict=True) if a != b) == 1:
        return v  # one axis of size 1, e.g. (N, 1) for x (N, D)
    raise ShapeError(
        f"gaussian_nll_loss got var of shape {v.shape} for input of shape {x.shape}; expected "
        f"{x.shape}, {x.shape[:-1]}, or {x.shape} with one axis of size 1"
    )
