"""Loss primitives: the fused ones with their derivatives beside them, the rest composed from ops.

Fused (one graph node, a hand-written rule) where composing would overflow, lose precision or
build a large graph: softmax cross-entropy from logits, binary cross-entropy from logits and
binary cross-entropy from probabilities (PyTorch's clamped form). The class-weighted means of
``cross_entropy`` and ``nll_loss`` follow PyTorch exactly. Inputs are assumed valid here:
``glassnet.nn.losses`` checks shapes, class indices and value ranges where the user passes them.
"""

from __future__ import annotations

import numpy as np

from glassnet.engine import kernels, ops
from glassnet.engine.tensor import ArrayLike, Tensor, _make
from glassnet.errors import GlassnetError

__all__ = [
    "bce_with_logits_backward", "bce_with_logits_forward", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "cross_entropy_indices_backward",
    "cross_entropy_indices_forward", "nll_loss", "reduce", "softmax_cross_entropy", "squared_error",
    "squared_error_backward", "squared_error_forward",
]  # fmt: skip

REDUCTIONS = ("mean", "sum", "none")


def reduce(loss: Tensor, reduction: str = "mean", divisor: float | None = None) -> Tensor:
    """Reduce per-element losses: 'none' keeps them, 'sum' adds them, 'mean' divides the sum.

    ``divisor`` replaces the element count of 'mean' (the summed class weights of a weighted
    cross-entropy). A divisor of 0 gives nan, as PyTorch does when every target is ignored.

    >>> import glassnet as gn
    >>> reduce(gn.tensor([1.0, 2.0, 6.0]), "mean").item()
    3.0
    """
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        if divisor is None:
            return loss.mean()
        if divisor == 0:  # every target ignored: nan with a zero gradient, as PyTorch
            return loss.sum() * 0.0 + np.nan
        return ops.div(loss.sum(), np.asarray(divisor, dtype=loss.dtype))
    raise GlassnetError(f"unknown reduction {reduction!r}; expected one of {', '.join(REDUCTIONS)}")


def _reduced(loss: np.ndarray, reduction: str) -> np.ndarray:
    """What :func:`reduce` computes, on an array: the mean, the sum, or the losses as they are."""
    if reduction == "mean":
        return np.asarray(loss.mean())
    return np.asarray(loss.sum()) if reduction == "sum" else loss


def _spread(g: np.ndarray, size: int, reduction: str) -> np.ndarray:
    """reduce()'s rule: dL/dℓᵢ = g/n for the mean of n losses, g for the sum or no reduction."""
    return g / (size if size else 1) if reduction == "mean" else g


def squared_error(x: Tensor, y: Tensor, reduction: str = "mean") -> Tensor:
    """ℓ = (x − y)², elementwise, reduced: mse_loss's node.

    Fused for speed: one node instead of three (sub, mul and the reduction), with the operations
    of the composed ``reduce((x − y)·(x − y))`` in the same order, so the numbers are
    bit-identical (``tests/test_fast_paths.py``).

    >>> import glassnet as gn
    >>> x = gn.tensor([1.0, 3.0], requires_grad=True)
    >>> loss = squared_error(x, gn.tensor([0.0, 1.0]))   # (1 + 4) / 2
    >>> loss.backward(); loss.item(), x.grad              # 2(x − y) / 2
    (2.5, array([1., 2.], dtype=float32))
    """
    loss, d = squared_error_forward(x.data, y.data, reduction)

    def rule(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        gx = squared_error_backward(g, d, reduction)
        return gx, (-gx if y.requires_grad else None)  # dℓ/dy = −dℓ/dx

    return _make(loss, (x, y), rule, "squared_error")


def squared_error_forward(x: np.ndarray, y: np.ndarray, reduction: str) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ reduced, d = x − y): the node's forward."""
    d = x - y
    return _reduced(d * d, reduction), d


def squared_error_backward(g: np.ndarray, d: np.ndarray, reduction: str) -> np.ndarray:
    """dL/dx from g = dL/dℓ and d = x − y: dℓ/dx = 2d, as the product rule gives it, d + d."""
    half = _spread(g, d.size, reduction) * d
    return half + half


def _like(x: ArrayLike, z: Tensor) -> Tensor:
    """A Tensor as is (it may need grad); anything else as a constant with z's dtype."""
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=z.dtype))


# ----------------------------------------------------------------------------- cross-entropy
def softmax_cross_entropy(z: Tensor, q: ArrayLike, axis: int = -1) -> Tensor:
    """ℓ = −Σ_c q_c · log softmax(z)_c along ``axis``: logits z against target weights q.

    q has z's shape and need not sum to one: class weights and label smoothing live in it.
    For a one-hot q this is the usual cross-entropy −log softmax(z)_y.

    >>> import glassnet as gn
    >>> z = gn.tensor([[0.0, 0.0]], requires_grad=True)
    >>> loss = softmax_cross_entropy(z, [[1.0, 0.0]], axis=1)   # −log ½
    >>> round(loss.item(), 4)
    0.6931
    >>> loss.backward(); z.grad                                  # softmax(z) − onehot(y)
    array([[-0.5,  0.5]], dtype=float32)
    """
    q_t = _like(q, z)
    shifted = z.data - np.max(z.data, axis=axis, keepdims=True)  # max subtracted: exp cannot overflow
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))  # log softmax(z)
    loss = np.asarray(-np.sum(q_t.data * log_p, axis=axis))  # (N, d1, ...), or () for a (C,) input

    def rule(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        g = np.expand_dims(g, axis)
        # fused for stability: dℓ/dz = softmax(z)·Σ_c q_c − q   (= softmax(z) − onehot(y) when q is)
        gz = g * (np.exp(log_p) * q_t.data.sum(axis=axis, keepdims=True) - q_t.data)
        return gz, (-g * log_p if q_t.requires_grad else None)  # dℓ/dq = −log softmax(z)

    return _make(loss, (z, q_t), rule, "softmax_cross_entropy")


def _softmax_cross_entropy_indices(z: Tensor, y: np.ndarray, reduction: str) -> Tensor:
    """ℓₙ = −log softmax(zₙ)_yₙ for logits z (N, C) and class indices y (N,), reduced.

    The common case of :func:`softmax_cross_entropy` (one-hot q) and :func:`reduce` in one node,
    without building q: fused for speed, with the same operations in the same order, so the
    numbers are bit-identical.
    """
    loss, log_p = cross_entropy_indices_forward(z.data, y, reduction)

    def rule(g: np.ndarray) -> tuple[np.ndarray]:
        return (cross_entropy_indices_backward(g, log_p, y, reduction),)

    return _make(loss, (z,), rule, "softmax_cross_entropy")


def cross_entropy_indices_forward(z: np.ndarray, y: np.ndarray,
                                  reduction: str) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ reduced, log softmax(z)) for logits z (N, C) and class indices y (N,): the node's forward."""
    compiled = kernels.log_softmax_picked(z, y)  # the three lines below, compiled, or None
    if compiled is not None:
        log_p, loss = compiled
    else:
        shifted = z - kernels.row_max(z)  # max subtracted: exp cannot overflow
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C) log softmax(z)
        loss = -log_p[np.arange(len(y)), y]  # (N,) ℓₙ
    if reduction == "mean":  # (Σₙ ℓₙ) / N
        loss = np.asarray(kernels.vector_sum(loss) / np.asarray(len(y), dtype=loss.dtype))
    elif reduction == "sum":
        loss = kernels.vector_sum(loss)
    return loss, log_p


def cross_entropy_indices_backward(g: np.ndarray, log_p: np.ndarray, y: np.ndarray,
                                   reduction: str) -> np.ndarray:
    """dL/dz (N, C) from g = dL/dℓ and the forward's log softmax(z)."""
    # fused for stability: dℓ/dz = softmax(z) − onehot(y), times dL/dℓₙ (g/N for the mean)
    gz = np.exp(log_p)  # (N, C)
    if g.ndim == 0:  # dL/dℓ of a mean or a sum: one number for every sample
        scale = np.asarray(g / np.asarray(len(y), dtype=log_p.dtype) if reduction == "mean" else g)
    else:
        scale = g[:, None]  # 'none': each sample's own dL/dℓₙ
    kernels.softmax_minus_onehot(gz, y, scale)  # gz[rows, y] −= 1; gz *= scale
    return gz


def _class_axis(x: Tensor) -> int:
    """PyTorch's layout: classes on axis 0 of an unbatched (C,) input, else axis 1 of (N, C, d1, ...)."""
    return 0 if x.ndim == 1 else 1


def _per_class(weight: ArrayLike | None, x: Tensor, axis: int) -> np.ndarray:
    """Class weights shaped (C, 1, ..., 1), so that they broadcast against x along ``axis``."""
    C = x.shape[axis]
    w = np.ones(C, dtype=x.dtype) if weight is None else np.asarray(ops.raw(weight), dtype=x.dtype)
    return w.reshape((C,) + (1,) * (x.ndim - axis - 1))


def _targets(y: ArrayLike, ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Class indices with ignored positions replaced by class 0, and the mask of kept positions."""
    y = np.asarray(ops.raw(y))
    keep = y != ignore_index  # (N, d1, ...)
    return np.where(keep, y, 0), keep


def cross_entropy(z: Tensor, target: ArrayLike, weight: ArrayLike | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits z (C,) or (N, C, d1, ...) against class indices or probabilities.

    Class indices y (shape of z without the class axis) give, per position,
    ℓ = −Σ_c q_c log softmax(z)_c with q_c = w_c·((1 − ε)·[c = y] + ε/C) and q = 0 where
    y = ignore_index; 'mean' divides by Σ w_y over kept positions (PyTorch's weighted mean).
    Probabilities t (shape of z) give q = w·((1 − ε)·t + ε/C); 'mean' divides by the number of
    positions. ε is ``label_smoothing``.

    >>> import glassnet as gn
    >>> z = gn.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> round(cross_entropy(z, [0, 0]).item(), 4)                # (0.1269 + 2.1269) / 2
    1.1269
    """
    target = np.asarray(ops.raw(target)) if not isinstance(target, Tensor) else target
    if (weight is None and not label_smoothing and z.ndim == 2 and isinstance(target, np.ndarray)
            and target.dtype.kind in "iu" and reduction in REDUCTIONS
            and not (target == ignore_index).any()):
        return _softmax_cross_entropy_indices(z, target, reduction)  # no weights, nothing ignored
    axis, C = _class_axis(z), z.shape[_class_axis(z)]
    w = _per_class(weight, z, axis)  # (C, 1, ..., 1)
    if np.asarray(ops.raw(target)).dtype.kind == "f":  # class probabilities, shaped like z
        t = _like(target, z)
        q = (t * (1.0 - label_smoothing) + label_smoothing / C if label_smoothing else t) * w
        return reduce(softmax_cross_entropy(z, q, axis), reduction, divisor=z.size // C)
    y, keep = _targets(target, ignore_index)  # (N, d1, ...)
    one_hot = np.expand_dims(y, axis) == np.arange(C).reshape(w.shape)  # (N, C, d1, ...)
    smoothed = one_hot * (1.0 - label_smoothing) + label_smoothing / C
    q = smoothed * w * np.expand_dims(keep, axis)
    w_y = w.reshape(-1)[y] * keep  # (N, d1, ...): the weight of each position's class, 0 if ignored
    return reduce(softmax_cross_entropy(z, q, axis), reduction, divisor=float(w_y.sum()))


def nll_loss(log_p: Tensor, target: ArrayLike, weight: ArrayLike | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ℓ = −w_y · log_p[y] of log-probabilities (C,) or (N, C, d1, ...).

    Composed: a gather (getitem), a product and a where. 'mean' divides by Σ w_y over the kept
    positions, as PyTorch does.

    >>> import glassnet as gn
    >>> nll_loss(gn.tensor([[-1.0, -2.0], [-3.0, -4.0]]), [1, 0]).item()   # (2 + 3) / 2
    2.5
    """
    axis = _class_axis(log_p)
    y, keep = _targets(target, ignore_index)  # (N, d1, ...)
    w_y = (_per_class(weight, log_p, axis).reshape(-1)[y] * keep).astype(log_p.dtype)
    grid = np.indices(y.shape, sparse=True)
    picked = ops.getitem(log_p, (*grid[:axis], y, *grid[axis:]))  # log_p[n, y_n, d1, ...]
    loss = ops.where(keep, picked * -w_y, 0.0)  # where, not a product: an ignored −inf gives no nan
    return reduce(loss, reduction, divisor=float(w_y.sum()))


# ----------------------------------------------------------------------------- binary
def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log σ(z) = min(z, 0) − log(1 + e^(−|z|)): no overflow for any z."""
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def _sigmoid_bce(z: Tensor, y: Tensor, pos_weight: np.ndarray | None, reduction: str) -> Tensor:
    """ℓ = (1 − y)·z − l·log σ(z) with l = 1 + (p − 1)·y (p = pos_weight), elementwise, reduced."""
    loss, log_sig = bce_with_logits_forward(z.data, y.data, pos_weight, reduction)

    def rule(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return bce_with_logits_backward(g, z.data, y.data, pos_weight, log_sig, reduction, y.requires_grad)

    return _make(loss, (z, y), rule, "bce_with_logits")


def bce_with_logits_forward(z: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None,
                            reduction: str) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ reduced, log σ(z)) for logits z and targets y of z's shape: the node's forward."""
    log_sig = _log_sigmoid(z)
    l = 1.0 if pos_weight is None else (pos_weight - 1) * y + 1  # weight of the positive term
    loss = np.asarray((1 - y) * z - log_sig * l, dtype=z.dtype)
    return _reduced(loss, reduction), log_sig


def bce_with_logits_backward(g: np.ndarray, z: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None,
                             log_sig: np.ndarray, reduction: str,
                             need_y: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """(dL/dz, dL/dy or None) from g = dL/dℓ and the forward's log σ(z)."""
    g = _spread(g, z.size, reduction)
    l = 1.0 if pos_weight is None else (pos_weight - 1) * y + 1
    # fused for stability: dℓ/dz = (1 − y) − l·σ(−z)   (= σ(z) − y without pos_weight)
    sig_neg = np.exp(_log_sigmoid(-z))  # σ(−z), no overflow
    gz = g * ((1 - y) - l * sig_neg)
    if not need_y:
        return gz, None
    gy = -z if pos_weight is None else -z - (pos_weight - 1) * log_sig
    return gz, g * gy  # dℓ/dy = −z − (p − 1)·log σ(z)


def binary_cross_entropy_with_logits(z: Tensor, target: ArrayLike, weight: ArrayLike | None = None,
                                     pos_weight: ArrayLike | None = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of logits: ℓ = −w·[p·y·log σ(z) + (1 − y)·log(1 − σ(z))].

    Computed in the stable form ℓ = w·[(1 − y)·z − (1 + (p − 1)·y)·log σ(z)], with
    log σ(z) = min(z, 0) − log(1 + e^(−|z|)), so ±10⁴ logits give finite values and gradients.

    >>> import glassnet as gn
    >>> round(binary_cross_entropy_with_logits(gn.tensor([0.0]), [1.0]).item(), 4)   # log 2
    0.6931
    """
    y = _like(target, z)
    pw = None if pos_weight is None else np.asarray(ops.raw(pos_weight), dtype=z.dtype)
    if weight is None and reduction in REDUCTIONS:  # the reduction inside the node: faster, same numbers
        return _sigmoid_bce(z, y, pw, reduction)
    return reduce(_sigmoid_bce(z, y, pw, "none") * _like(weight, z), reduction)


_LOG_FLOOR = -100.0  # PyTorch clamps log(x) and log(1 − x) at −100 so that x = 0 or 1 stays finite
_EPS = float(np.float32(1e-12))  # PyTorch's floor for x(1 − x) in the gradient, a float32 constant


def _bce(x: Tensor, y: Tensor) -> Tensor:
    """ℓ = −[y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)], elementwise."""
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x.data), _LOG_FLOOR)
        log_1mx = np.maximum(np.log1p(-x.data), _LOG_FLOOR)
    loss = (y.data - 1) * log_1mx - y.data * log_x

    def rule(g: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        # fused for stability: dℓ/dx = (x − y) / max(x(1 − x), 1e-12), finite at x = 0 and x = 1
        gx = g * (x.data - y.data) / np.maximum((1 - x.data) * x.data, _EPS)
        if not y.requires_grad:
            return gx, None
        with np.errstate(divide="ignore"):
            return gx, g * -np.log(x.data / (1 - x.data))  # dℓ/dy = −logit(x), unclamped as PyTorch

    return _make(np.asarray(loss, dtype=x.dtype), (x, y), rule, "bce")


def binary_cross_entropy(x: Tensor, target: ArrayLike, weight: ArrayLike | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities x ∈ [0, 1]: ℓ = −w·[y·log x + (1 − y)·log(1 − x)].

    Each log is clamped at −100, as in PyTorch, so x = 0 or 1 gives a finite loss.

    >>> import glassnet as gn
    >>> round(binary_cross_entropy(gn.tensor([0.5]), [1.0]).item(), 4)   # log 2
    0.6931
    """
    loss = _bce(x, _like(target, x))
    return reduce(loss if weight is None else loss * _like(weight, x), reduction)
