"""Loss primitives: the fused ones with their derivatives beside them, and the reduction.

Fused (one graph node, a hand-written backward) where composing would overflow, lose precision
or build a large graph: softmax cross-entropy from logits (against class indices, and against
class probabilities), negative log-likelihood, binary cross-entropy from logits and from
probabilities (PyTorch's clamped form), and the squared error with its reduction. Each computes
from its inputs alone (class indices are an input, not a constant), and the class-index losses
check the indices' range in ``forward``, so a recorded step (``tape.py``) checks every batch as
the graph does. Shapes and argument values are checked where the user passes them, in
``glassnet.nn.losses``. The class-weighted means follow PyTorch exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.engine import kernels, ops
from glassnet.engine.activation_ops import LogSoftmax, stable_sigmoid
from glassnet.engine.backend import NUMPY, device, has_namespace, is_numpy, kind, namespace
from glassnet.engine.op import Op, apply
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError

__all__ = [
    "REDUCTIONS", "binary_cross_entropy", "binary_cross_entropy_with_logits", "check_class_indices",
    "cross_entropy", "nll_loss", "reduce", "softmax_cross_entropy", "squared_error",
]  # fmt: skip

REDUCTIONS = ("mean", "sum", "none")
Needs = tuple[bool, ...]


def reduce(loss: Tensor, reduction: str = "mean", divisor: int | None = None) -> Tensor:
    """Reduce per-element losses: 'none' keeps them, 'sum' adds them, 'mean' divides the sum.

    ``divisor`` replaces the element count of 'mean' (a count that follows from the shapes, such
    as the number of positions of a class-probability target).

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
        return ops.div(loss.sum(), _constant(divisor, loss.array))
    raise GlassnetError(f"unknown reduction {reduction!r}; expected one of {', '.join(REDUCTIONS)}")


def _constant(value: float, like: Any) -> Tensor:
    """A 0-d Tensor of ``like``'s dtype and device."""
    return Tensor(namespace(like).asarray(value, dtype=like.dtype, device=device(like)))


def _reduced(loss: Any, reduction: str) -> Any:
    """What :func:`reduce` computes, on an array: the mean, the sum, or the losses as they are."""
    xp = namespace(loss)
    if reduction == "mean":
        return xp.mean(loss)
    return xp.sum(loss) if reduction == "sum" else loss


def _spread(g: Any, size: int, reduction: str) -> Any:
    """reduce()'s backward: ∂L/∂ℓᵢ = g/n for the mean of n losses, g for the sum or no reduction."""
    return g / (size if size else 1) if reduction == "mean" else g


def _like(x: ArrayLike, z: Tensor) -> Tensor:
    """A Tensor as is (it may need grad); anything else as a constant with z's dtype."""
    if isinstance(x, Tensor):
        return x
    return Tensor(namespace(z.array).asarray(x, dtype=z.dtype, device=device(z.array)))


# ----------------------------------------------------------------------------- squared error
class SquaredError(Op):
    """ℓ = (x − y)², elementwise, reduced: one node instead of three (sub, mul, the reduction),
    fused for speed; the operations of ``reduce((x − y)·(x − y))`` in the same order."""

    @staticmethod
    def forward(x: Any, y: Any, reduction: str) -> tuple[Any, Any]:
        d = x - y
        return _reduced(d * d, reduction), (d, reduction)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any, Any]:
        d, reduction = saved  # dℓ/dx = 2d, as the product rule gives it, d + d;  dℓ/dy = −dℓ/dx
        half = _spread(g, d.size, reduction) * d
        gx = half + half
        return gx, (-gx if needs[1] else None)


def squared_error(x: Tensor, y: Tensor, reduction: str = "mean") -> Tensor:
    """ℓ = (x − y)², elementwise, reduced: mse_loss's node.

    >>> import glassnet as gn
    >>> x = gn.tensor([1.0, 3.0], requires_grad=True)
    >>> loss = squared_error(x, gn.tensor([0.0, 1.0]))   # (1 + 4) / 2
    >>> loss.backward(); loss.item(), x.grad              # 2(x − y) / 2
    (2.5, tensor([1., 2.]))
    """
    return apply(SquaredError, x, y, reduction=reduction)


# ----------------------------------------------------------------------------- class indices
def check_class_indices(name: str, y: Any, n_classes: int, ignore_index: int) -> bool:
    """Every index in [0, n_classes) or equal to ignore_index, or an error naming the first bad one.

    Returns whether no index equals ignore_index.
    """
    xp = namespace(y)
    if y.size == 0:
        return True
    lo, hi = int(xp.min(y)), int(xp.max(y))
    if lo >= 0 and hi < n_classes:  # the common case, fast
        return not lo <= ignore_index <= hi or not bool(xp.any(y == ignore_index))
    bad = y[(y != ignore_index) & ((y < 0) | (y >= n_classes))]
    if bad.size:
        raise GlassnetError(
            f"{name} got class index {int(bad[0])} but the input has {n_classes} classes; targets must "
            f"be in [0, {n_classes - 1}] or equal ignore_index={ignore_index}: check that labels are "
            "0-based and that the last layer has one output per class"
        )
    return not bool(xp.any(y == ignore_index))


def _class_weights(weight: ArrayLike) -> Any:
    """Per-class weights: an array of another library as it is, anything else as float64 NumPy (a
    host constant that the op puts beside the scores)."""
    w = ops.raw(weight)
    return w if has_namespace(w) and not is_numpy(w) else np.asarray(w, dtype=np.float64)


def _class_axis(ndim: int) -> int:
    """PyTorch's layout: classes on axis 0 of an unbatched (C,) input, else axis 1 of (N, C, d1, ...)."""
    return 0 if ndim == 1 else 1


def _onehot(y: Any, n_classes: int, axis: int, dtype: Any) -> Any:
    """[c = yₙ] with the classes on ``axis``: (N, d1, ...) indices → (N, C, d1, ...)."""
    xp = namespace(y)
    classes = xp.reshape(xp.arange(n_classes, device=device(y)), (n_classes,) + (1,) * (y.ndim - axis))
    return xp.astype(xp.expand_dims(y, axis=axis) == classes, dtype)


def _weights_of(y: Any, keep: Any, weight: Any, dtype: Any) -> Any:
    """w_y·[kept] for each position: the weight of its class, 0 where its target is ignored."""
    xp = namespace(y)
    if weight is None:
        return xp.astype(keep, dtype)
    w = xp.asarray(weight, dtype=dtype, device=device(y))
    return xp.reshape(xp.take(w, xp.reshape(y, (-1,)), axis=0), y.shape) * xp.astype(keep, dtype)


def _mean_divisor(w_y: Any, reduction: str) -> Any:
    """'mean' divides by Σ w_y over kept positions (PyTorch's weighted mean); else nothing."""
    return namespace(w_y).sum(w_y) if reduction == "mean" else None


def _scale(g: Any, divisor: Any, reduction: str) -> Any:
    """∂L/∂ℓ of each position, with room for the class axis: g/Σw (mean), g (sum), gₙ ('none')."""
    if reduction == "mean":
        return g / divisor
    return g if reduction == "sum" else namespace(g).expand_dims(g, axis=1 if g.ndim else 0)


class ClassCrossEntropy(Op):
    """ℓ = −Σ_c q_c·log softmax(z)_c per position, for class indices y and
    q_c = w_c·((1 − ε)·[c = y] + ε/C), q = 0 where y = ignore_index; reduced.

    Fused for stability and speed: ∂ℓ/∂z = softmax(z)·Σ_c q_c − q, which is softmax(z) −
    onehot(y) without weights or smoothing; log softmax is :class:`LogSoftmax`'s.
    """

    name = "cross_entropy"

    @staticmethod
    def forward(z: Any, y: Any, weight: Any, ignore_index: int, label_smoothing: float, reduction: str,
                name: str) -> tuple[Any, Any]:
        xp = namespace(z)
        axis = _class_axis(z.ndim)
        C = z.shape[axis]
        log_p, _ = LogSoftmax.forward(z, axis)  # (N, C, d1, ...)
        plain = weight is None and not label_smoothing and z.ndim == 2  # ℓₙ = −log softmax(zₙ)_yₙ
        picked = kernels.pick_rows(log_p, y, ignore_index) if plain else None  # compiled, or None
        if picked is None:
            plain = check_class_indices(name, y, C, ignore_index) and plain
        if plain:
            if picked is None:  # log softmax(z)_y
                picked = (log_p[np.arange(len(y)), y] if xp is NUMPY
                          else xp.take_along_axis(log_p, xp.expand_dims(y, axis=1), axis=1)[:, 0])
            loss = -picked  # (N,)
            divisor = None
            if reduction == "mean":
                divisor = (z.dtype.type(y.shape[0]) if xp is NUMPY
                           else xp.asarray(y.shape[0], dtype=z.dtype, device=device(z)))
            if reduction != "none":
                loss = xp.sum(loss) if divisor is None else xp.sum(loss) / divisor
            return loss, (log_p, y, None, divisor, reduction)
        keep = y != ignore_index
        yk = xp.where(keep, y, 0)
        q = _onehot(yk, C, axis, z.dtype)
        if label_smoothing:
            q = q * (1.0 - label_smoothing) + label_smoothing / C
        if weight is not None:
            q = q * xp.reshape(xp.asarray(weight, dtype=z.dtype, device=device(z)),
                               (C,) + (1,) * (z.ndim - axis - 1))
        q = q * xp.expand_dims(xp.astype(keep, z.dtype), axis=axis)
        loss = -xp.sum(q * log_p, axis=axis)  # (N, d1, ...)
        divisor = _mean_divisor(_weights_of(yk, keep, weight, z.dtype), reduction)
        if divisor is not None:
            loss = xp.sum(loss) / divisor if float(divisor) else xp.sum(loss) * 0.0 + xp.nan
        elif reduction == "sum":
            loss = xp.sum(loss)
        return loss, (log_p, y, q, divisor, reduction)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any, None]:
        log_p, y, q, divisor, reduction = saved
        xp = namespace(g)
        axis = _class_axis(log_p.ndim)
        if divisor is not None and not float(divisor):  # every target ignored: a zero gradient, as PyTorch
            return xp.zeros_like(log_p), None
        scale = _scale(g, divisor, reduction)
        gz = xp.exp(log_p)  # softmax(z)
        if q is None:  # ∂ℓ/∂z = softmax(z) − onehot(y)
            if xp is NUMPY:
                kernels.subtract_picked(gz, y)  # gz[n, yₙ] −= 1
            else:
                gz = gz - _onehot(y, gz.shape[1], 1, gz.dtype)
        else:  # ∂ℓ/∂z = softmax(z)·Σ_c q_c − q
            gz = gz * xp.sum(q, axis=axis, keepdims=True) - q
        if xp is NUMPY:
            gz *= scale
            return gz, None
        return gz * scale, None


class NLL(Op):
    """ℓ = −w_y·log_p[y] per position for log-probabilities and class indices y, 0 where y is
    ignored; 'mean' divides by Σ w_y over kept positions, as PyTorch."""

    name = "nll_loss"

    @staticmethod
    def forward(log_p: Any, y: Any, weight: Any, ignore_index: int, reduction: str,
                name: str) -> tuple[Any, Any]:
        xp = namespace(log_p)
        axis = _class_axis(log_p.ndim)
        check_class_indices(name, y, log_p.shape[axis], ignore_index)
        keep = y != ignore_index
        yk = xp.where(keep, y, 0)
        w_y = _weights_of(yk, keep, weight, log_p.dtype)  # (N, d1, ...)
        picked = xp.squeeze(xp.take_along_axis(log_p, xp.expand_dims(yk, axis=axis), axis=axis), axis=axis)
        loss = xp.where(keep, picked * -w_y, 0.0)  # where, not a product: an ignored −inf gives no nan
        divisor = _mean_divisor(w_y, reduction)
        if divisor is not None:
            loss = xp.sum(loss) / divisor if float(divisor) else xp.sum(loss) * 0.0 + xp.nan
        elif reduction == "sum":
            loss = xp.sum(loss)
        return loss, (log_p.shape, yk, w_y, divisor, reduction)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any, None]:
        shape, yk, w_y, divisor, reduction = saved
        xp = namespace(g)
        axis = _class_axis(len(shape))
        if divisor is not None and not float(divisor):
            return xp.zeros(shape, dtype=g.dtype, device=device(g)), None
        picked = -w_y * (g / divisor if reduction == "mean" else g)  # ∂L/∂log_p[y] (N, d1, ...)
        if xp is NUMPY:  # into the picked places of a zero array
            grad = np.zeros(shape, dtype=g.dtype)
            np.put_along_axis(grad, np.expand_dims(yk, axis), np.expand_dims(picked, axis), axis)
            return grad, None
        return _onehot(yk, shape[axis], axis, g.dtype) * xp.expand_dims(picked, axis=axis), None


class SoftmaxCrossEntropy(Op):
    """ℓ = −Σ_c q_c·log softmax(z)_c along ``axis``, for logits z and target weights q of z's shape
    (q need not sum to one: class weights and label smoothing live in it)."""

    @staticmethod
    def forward(z: Any, q: Any, axis: int) -> tuple[Any, Any]:
        log_p, _ = LogSoftmax.forward(z, axis)
        return -namespace(z).sum(q * log_p, axis=axis), (log_p, q, axis)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any, Any]:
        log_p, q, axis = saved
        xp = namespace(g)
        g = xp.expand_dims(g, axis=axis)
        # fused for stability: ∂ℓ/∂z = softmax(z)·Σ_c q_c − q   (= softmax(z) − onehot(y) when q is)
        gz = g * (xp.exp(log_p) * xp.sum(q, axis=axis, keepdims=True) - q)
        return gz, (-g * log_p if needs[1] else None)  # ∂ℓ/∂q = −log softmax(z)


def softmax_cross_entropy(z: Tensor, q: ArrayLike, axis: int = -1) -> Tensor:
    """ℓ = −Σ_c q_c · log softmax(z)_c along ``axis``: logits z against target weights q.

    >>> import glassnet as gn
    >>> z = gn.tensor([[0.0, 0.0]], requires_grad=True)
    >>> loss = softmax_cross_entropy(z, [[1.0, 0.0]], axis=1)   # −log ½
    >>> round(loss.item(), 4)
    0.6931
    >>> loss.backward(); z.grad                                  # softmax(z) − onehot(y)
    tensor([[-0.5,  0.5]])
    """
    return apply(SoftmaxCrossEntropy, z, _like(q, z), axis=axis)


def cross_entropy(z: Tensor, target: Tensor, weight: ArrayLike | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean",
                  name: str = "cross_entropy") -> Tensor:
    """Cross-entropy of logits z (C,) or (N, C, d1, ...) against class indices or probabilities.

    Class indices y (an integer Tensor, z's shape without the class axis) give, per position,
    ℓ = −Σ_c q_c log softmax(z)_c with q_c = w_c·((1 − ε)·[c = y] + ε/C) and q = 0 where
    y = ignore_index; 'mean' divides by Σ w_y over kept positions (PyTorch's weighted mean).
    Probabilities t (shape of z) give q = w·((1 − ε)·t + ε/C); 'mean' divides by the number of
    positions. ε is ``label_smoothing``.

    >>> import glassnet as gn, numpy as np
    >>> z = gn.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> round(cross_entropy(z, gn.tensor(np.array([0, 0]))).item(), 4)   # (0.1269 + 2.1269) / 2
    1.1269
    """
    w = None if weight is None else _class_weights(weight)
    if kind(target.array) != "f":
        return apply(ClassCrossEntropy, z, target, weight=w, ignore_index=ignore_index,
                     label_smoothing=label_smoothing, reduction=reduction, name=name)
    axis = _class_axis(z.ndim)
    C = z.shape[axis]
    t = target
    q = t * (1.0 - label_smoothing) + label_smoothing / C if label_smoothing else t
    if w is not None:
        q = q * _like(namespace(w).reshape(w, (C,) + (1,) * (z.ndim - axis - 1)), z)
    return reduce(softmax_cross_entropy(z, q, axis), reduction, divisor=z.numel() // C)


def nll_loss(log_p: Tensor, target: Tensor, weight: ArrayLike | None = None, ignore_index: int = -100,
             reduction: str = "mean", name: str = "nll_loss") -> Tensor:
    """Negative log-likelihood ℓ = −w_y · log_p[y] of log-probabilities (C,) or (N, C, d1, ...).

    >>> import glassnet as gn, numpy as np
    >>> nll_loss(gn.tensor([[-1.0, -2.0], [-3.0, -4.0]]), gn.tensor(np.array([1, 0]))).item()
    2.5
    """
    w = None if weight is None else _class_weights(weight)
    return apply(NLL, log_p, target, weight=w, ignore_index=ignore_index, reduction=reduction, name=name)


# ----------------------------------------------------------------------------- binary
def _log_sigmoid(z: Any) -> Any:
    """log σ(z) = min(z, 0) − log(1 + e^(−|z|)): no overflow for any z."""
    xp = namespace(z)
    return xp.minimum(z, 0.0) - xp.log1p(xp.exp(-xp.abs(z)))


class BCEWithLogits(Op):
    """ℓ = (1 − y)·z − l·log σ(z) with l = 1 + (p − 1)·y (p = pos_weight), elementwise, reduced."""

    name = "bce_with_logits"

    @staticmethod
    def forward(z: Any, y: Any, pos_weight: Any, reduction: str) -> tuple[Any, Any]:
        xp = namespace(z)
        log_sig = _log_sigmoid(z)
        l = 1.0 if pos_weight is None else (pos_weight - 1) * y + 1  # weight of the positive term
        loss = xp.astype((1 - y) * z - log_sig * l, z.dtype, copy=False)
        return _reduced(loss, reduction), (z, y, log_sig, pos_weight, reduction)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any, Any]:
        z, y, log_sig, pos_weight, reduction = saved
        g = _spread(g, z.size, reduction)
        l = 1.0 if pos_weight is None else (pos_weight - 1) * y + 1
        # fused for stability: ∂ℓ/∂z = (1 − y) − l·σ(−z)   (= σ(z) − y without pos_weight)
        gz = g * ((1 - y) - l * stable_sigmoid(-z))
        if not needs[1]:
            return gz, None
        gy = -z if pos_weight is None else -z - (pos_weight - 1) * log_sig
        return gz, g * gy  # ∂ℓ/∂y = −z − (p − 1)·log σ(z)


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
    pw = None if pos_weight is None else _like(ops.raw(pos_weight), z).array
    if weight is None and reduction in REDUCTIONS:  # the reduction inside the node: faster, same numbers
        return apply(BCEWithLogits, z, y, pos_weight=pw, reduction=reduction)
    return reduce(apply(BCEWithLogits, z, y, pos_weight=pw, reduction="none") * _like(weight, z), reduction)


_LOG_FLOOR = -100.0  # PyTorch clamps log(x) and log(1 − x) at −100 so that x = 0 or 1 stays finite
_EPS = float(np.float32(1e-12))  # PyTorch's floor for x(1 − x) in the gradient, a float32 constant


class BCE(Op):
    """ℓ = −[y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)], elementwise."""

    @staticmethod
    def forward(x: Any, y: Any) -> tuple[Any, Any]:
        xp = namespace(x)
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), _LOG_FLOOR)
            log_1mx = xp.maximum(xp.log1p(-x), _LOG_FLOOR)
        return xp.astype((y - 1) * log_1mx - y * log_x, x.dtype, copy=False), (x, y)

    @staticmethod
    def backward(g: Any, saved: Any, needs: Needs) -> tuple[Any, Any]:
        x, y = saved
        xp = namespace(g)
        # fused for stability: ∂ℓ/∂x = (x − y) / max(x(1 − x), 1e-12), finite at x = 0 and x = 1
        gx = g * (x - y) / xp.maximum((1 - x) * x, _EPS)
        if not needs[1]:
            return gx, None
        with np.errstate(divide="ignore"):
            return gx, g * -xp.log(x / (1 - x))  # ∂ℓ/∂y = −logit(x), unclamped as PyTorch


def binary_cross_entropy(x: Tensor, target: ArrayLike, weight: ArrayLike | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities x ∈ [0, 1]: ℓ = −w·[y·log x + (1 − y)·log(1 − x)].

    Each log is clamped at −100, as in PyTorch, so x = 0 or 1 gives a finite loss.

    >>> import glassnet as gn
    >>> round(binary_cross_entropy(gn.tensor([0.5]), [1.0]).item(), 4)   # log 2
    0.6931
    """
    loss = apply(BCE, x, _like(target, x))
    return reduce(loss if weight is None else loss * _like(weight, x), reduction)
