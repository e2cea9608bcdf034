"""Where a loss's arguments enter: checks whose errors say what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.engine.backend import check_one_library, device, has_namespace, kind, namespace
from glassnet.engine.loss_ops import REDUCTIONS
from glassnet.engine.op import raw
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, ShapeError


def check_reduction(name: str, reduction: str, valid: tuple[str, ...] = REDUCTIONS) -> str:
    """The reduction name, or an error listing the valid ones."""
    if reduction not in valid:
        raise GlassnetError(
            f"{name} got reduction={reduction!r}; expected one of {', '.join(map(repr, valid))}"
        )
    return reduction


def beside(name: str, values: ArrayLike, like: Any, dtype: Any = None) -> Tensor:
    """``values`` (an array, nested lists, a number) as a Tensor of ``like``'s array library and
    device, in ``dtype`` if given; an array of another library raises, it is never converted."""
    if type(like) is np.ndarray:  # anything np.asarray takes, as on NumPy's path
        return Tensor(np.asarray(values, dtype=dtype))
    check_one_library(name, [like, values])
    if has_namespace(values):
        return Tensor(values if dtype is None else namespace(values).astype(values, dtype))
    return Tensor(namespace(like).asarray(values, dtype=dtype, device=device(like)))


def as_input(name: str, input: ArrayLike) -> Tensor:
    """The prediction as a floating-point Tensor (a Tensor passes through with its graph)."""
    if isinstance(input, Tensor):
        x = input
    else:  # an array of any library is kept; lists become NumPy
        x = Tensor(input) if has_namespace(input) else Tensor(np.asarray(input))
    if (x.dtype.kind if type(x.array) is np.ndarray else kind(x.array)) != "f":  # NumPy's without a call
        raise GlassnetError(
            f"{name} got input of dtype {x.dtype}; expected floating-point predictions: pass "
            "the model's output, or convert with .astype(np.float32)"
        )
    return x


def as_target(name: str, target: ArrayLike, x: Tensor, what: str = "target") -> Tensor:
    """A float target with the input's shape: a Tensor as is (it may need grad), else x's dtype."""
    if isinstance(target, Tensor):
        t = target
    elif type(x.array) is np.ndarray:  # NumPy's path, without a call
        t = Tensor(np.asarray(target, dtype=x.dtype))
    else:
        t = beside(name, target, x.array, x.dtype)
    if t.shape != x.shape:
        raise ShapeError(
            f"{name} got input of shape {x.shape} and {what} of shape {t.shape}; they must be "
            f"equal (glassnet does not broadcast them silently): reshape the {what} to {x.shape}"
        )
    return t


@dataclass(frozen=True)
class InUnitInterval:
    """A check (``ops.check``): every value in [0, 1] (nan fails too), or an error giving the range."""

    name: str
    what: str
    hint: str

    def __call__(self, values: Any) -> None:
        xp = namespace(values)
        if values.size and not bool(xp.all((values >= 0) & (values <= 1))):
            raise GlassnetError(
                f"{self.name} got {self.what} values outside [0, 1] (min {float(xp.min(values)):.4g}, "
                f"max {float(xp.max(values)):.4g}); expected probabilities: {self.hint}"
            )


@dataclass(frozen=True)
class NonNegative:
    """A check (``ops.check``): no value below 0, or an error saying what to do."""

    name: str
    what: str
    hint: str

    def __call__(self, values: Any) -> None:
        if bool(namespace(values).any(values < 0)):
            raise GlassnetError(f"{self.name} got negative {self.what}; {self.hint}")


def check_broadcasts(name: str, what: str, value: ArrayLike | None, shape: tuple[int, ...]) -> None:
    """``value`` must broadcast to ``shape`` without growing it."""
    if value is None:
        return
    value_shape = np.shape(raw(value))
    try:
        fits = np.broadcast_shapes(value_shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{name} got {what} of shape {value_shape} for input of shape {shape}; expected a "
            f"shape that broadcasts to {shape}, e.g. {shape[-1:]} (one per column) or {shape}"
        )


def class_axis_size(name: str, x: Tensor, weight: ArrayLike | None) -> int:
    """The number of classes C of an input (C,) or (N, C, d1, ...), with ``weight`` checked to be (C,)."""
    if x.ndim == 0:
        raise ShapeError(
            f"{name} got a scalar input; expected scores of shape (C,) or (N, C, d1, ...) with "
            "the classes on axis 1"
        )
    C = x.shape[0 if x.ndim == 1 else 1]
    if weight is not None and np.shape(raw(weight)) != (C,):
        raise ShapeError(
            f"{name} got weight of shape {np.shape(raw(weight))} for {C} classes; expected one "
            f"weight per class, shape ({C},)"
        )
    return C


def check_class_target(name: str, x: Tensor, target: ArrayLike) -> Tensor:
    """Integer class indices of shape x.shape without axis 1, as a Tensor (a Tensor as is).

    Their range ([0, C) or ignore_index) is checked by the loss's op, on every batch.
    """
    if isinstance(target, Tensor):
        y = target
    elif type(x.array) is np.ndarray:  # NumPy's path, without a call
        y = Tensor(np.asarray(target))
    else:
        y = beside(name, target, x.array)
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    y_kind = y.dtype.kind if type(y.array) is np.ndarray else kind(y.array)
    if y_kind == "f":
        raise ShapeError(
            f"{name} got a floating-point target of shape {y.shape} for input of shape {x.shape}; "
            f"expected integer class indices of shape {expected} or class probabilities of shape "
            f"{x.shape}: convert labels with .astype(np.int64), or reshape the probabilities"
        )
    if y_kind not in "iu":
        raise GlassnetError(
            f"{name} got a target of dtype {y.dtype}; expected integer class indices "
            "(convert with .astype(np.int64))"
        )
    if y.shape != expected:
        raise ShapeError(
            f"{name} got input of shape {x.shape} and class-index target of shape {y.shape}; "
            f"expected target of shape {expected} (the input's shape without the class axis)"
        )
    return y


def check_class_or_probability_target(name: str, z: Tensor, target: ArrayLike, ignore_index: int) -> Tensor:
    """Probabilities if the target is floating with z's shape (PyTorch's rule), else class indices."""
    if isinstance(target, Tensor):
        t = target
    elif type(z.array) is np.ndarray:  # NumPy's path, without a call
        t = Tensor(np.asarray(target))
    else:
        t = beside(name, target, z.array)
    if (t.dtype.kind if type(t.array) is np.ndarray else kind(t.array)) != "f" or t.shape != z.shape:
        return check_class_target(name, z, t)
    if ignore_index != -100:
        raise GlassnetError(
            f"{name} got ignore_index={ignore_index} with class-probability targets; it applies "
            "only to integer class indices: leave it at -100 (an all-zero row adds nothing to the sum)"
        )
    return as_target(name, target, z)  # an array takes z's dtype
