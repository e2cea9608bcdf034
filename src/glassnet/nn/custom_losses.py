"""User-defined losses, checked against finite differences when they are registered.

A custom loss is elementwise, ``ℓ(x, y)`` per prediction ``x`` and target ``y`` of the same
shape, and the class reduces it like the built-ins (``reduction='mean' | 'sum' | 'none'``). Give
it as NumPy ``forward(x, y) -> ℓ`` and ``derivative(x, y) -> ∂ℓ/∂x`` (one engine node), or as a
``forward`` composed from glassnet ops on Tensors with no derivative (backward derives it).

Registration checks ``∂ℓ/∂x`` in float64 at 203 points ``x`` (see
``glassnet.nn.custom.sample_points``) with seeded targets ``y`` uniform in [0, 1], and raises
``GradcheckError`` giving ``x``, ``y``, the derivative given and the finite difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from glassnet.engine.loss_ops import reduce
from glassnet.engine.op import apply, as_tensor
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.nn._loss_checks import as_input, as_target
from glassnet.nn.custom import (
    NumpyFn,
    _check_name,
    _class_name,
    _default_formula,
    check_elementwise,
    elementwise_op,
    sample_points,
)
from glassnet.nn.losses import LOSSES, Loss
from glassnet.nn.module import Module
from glassnet.registry import Formula

__all__ = ["loss", "unregister"]

def loss(name: str, forward: Callable[..., Any], derivative: NumpyFn | None = None, *,
         formula: Formula | None = None, check: bool = True,
         points: tuple[ArrayLike, ArrayLike] | None = None) -> type[Module]:
    """Define an elementwise loss ℓ(x, y), check ∂ℓ/∂x, and register it in ``LOSSES``.

    Args:
        name: its key in ``LOSSES``, e.g. ``'log_cosh'``; a built-in name is refused, an earlier
            custom one is replaced.
        forward: ``ℓ(x, y)`` per element on ndarrays, or on Tensors (composed from glassnet ops)
            when ``derivative`` is None.
        derivative: ``∂ℓ/∂x (x, y)`` on ndarrays.
        formula: its math for docs and explain; a placeholder naming the functions by default.
        check: run the finite-difference check (in float64) before registering.
        points: ``(x, y)`` arrays of equal shape to check at, instead of the default points.

    Returns:
        A new loss Module class taking ``reduction='mean'`` and called ``loss(input, target)``.

    Raises:
        GradcheckError: the derivative disagrees with finite differences (x, y and both numbers).

    >>> import numpy as np, glassnet as gn
    >>> LogCosh = loss("log_cosh", lambda x, y: np.log(np.cosh(x - y)), lambda x, y: np.tanh(x - y))
    >>> round(LogCosh(reduction="sum")(gn.tensor([1.0, -1.0]), [0.0, 0.0]).item(), 4)
    0.8676
    >>> unregister("log_cosh")
    """
    _check_name(name, LOSSES)

    op = None if derivative is None else elementwise_op(name, forward, derivative)

    def per_element(x: Tensor, y: Tensor) -> Tensor:
        return as_tensor(forward(x, y)) if op is None else apply(op, x, y)

    if check:
        x, y = _points(points)
        check_elementwise(f"custom loss {name!r}", lambda t: per_element(t, Tensor(y)), x,
                          lambda i: f" with target {float(y.flat[i])!r}")
    call = ("ℓ", "ŷ, y", r"\ell", r"\hat y, y")
    cls = _loss_class(name, per_element, formula or _default_formula(name, derivative, call))
    LOSSES.register(name, cls, task="regression")  # targets of the output's shape: values
    return cls


def _points(points: tuple[ArrayLike, ArrayLike] | None) -> tuple[np.ndarray, np.ndarray]:
    if points is not None:
        return np.asarray(points[0], dtype=np.float64), np.asarray(points[1], dtype=np.float64)
    x = sample_points()
    return x, np.random.default_rng(1).uniform(0.0, 1.0, x.shape)  # targets in [0, 1]: also labels


def _loss_class(name: str, per_element: Callable[[Tensor, Tensor], Tensor], formula: Formula) -> type[Module]:
    title = _class_name(name)

    def forward(self: Loss, input: ArrayLike, target: ArrayLike) -> Tensor:
        x = as_input(title, input)
        return reduce(per_element(x, as_target(title, target, x)), self.reduction)

    doc = f"User-defined loss {name!r}.\n\n    {formula.text}\n    {formula.derivative_text}\n"
    namespace = {"forward": forward, "formula": formula, "__doc__": doc, "__module__": __name__}
    cls: type[Module] = type(title, (Loss,), namespace)
    cls.__annotations__ = {"formula": ClassVar[Formula]}
    return cls


def unregister(name: str) -> None:
    """Remove a custom loss from ``LOSSES`` (built-ins stay).

    >>> unregister("mse")
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: 'mse' is a built-in loss and cannot be unregistered
    """
    LOSSES.unregister(name)
