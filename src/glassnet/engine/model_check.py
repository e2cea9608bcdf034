"""Gradient checks of a whole model: backward against finite differences, per parameter tensor.

``check_gradients`` copies the model to float64 (the original is untouched), computes the loss's
gradient with ``backward()`` and by central differences, and reports for each parameter tensor
the relative error (tensor-wide, so elements with tiny gradients cannot inflate it)::

    numeric_i = (L(θ + eps·eᵢ) − L(θ − eps·eᵢ)) / (2·eps)
    error     = max_i |analytic_i − numeric_i| / max(max_i |analytic_i|, max_i |numeric_i|, tiny)

In float64 with eps = 1e-6 a correct gradient gives errors around 1e-9 or below; a wrong
derivative gives errors near 1. A ReLU-like kink crossed by a perturbation can give an isolated
larger error on a correct model: rerun with another ``seed`` or a smaller ``eps`` to tell.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError

__all__ = ["GradientReport", "ParameterCheck", "check_gradients"]

_TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class ParameterCheck:
    """One parameter tensor's comparison.

    Attributes:
        name: dotted name, e.g. ``'0.weight'``.
        shape: the tensor's shape.
        checked: how many elements were compared (all, or a seeded sample).
        max_abs_error: max |analytic − numeric| over the checked elements.
        relative_error: ``max_abs_error / max(|analytic|, |numeric|, tiny)`` (max over elements).
    """

    name: str
    shape: tuple[int, ...]
    checked: int
    max_abs_error: float
    relative_error: float


@dataclass(frozen=True)
class GradientReport:
    """The relative error of the gradient of each parameter tensor; ``ok`` when all are small.

    >>> report = GradientReport((ParameterCheck("w", (2,), 2, 1e-12, 1e-11),), 0.5, 1e-6)
    >>> report.ok, report.failed
    (True, [])
    """

    parameters: tuple[ParameterCheck, ...]
    loss: float
    tolerance: float

    @property
    def failed(self) -> list[str]:
        """Names of the parameter tensors whose relative error exceeds the tolerance."""
        return [p.name for p in self.parameters if not p.relative_error <= self.tolerance]

    @property
    def ok(self) -> bool:
        """True when every parameter tensor's relative error is within the tolerance."""
        return not self.failed

    @property
    def max_relative_error(self) -> float:
        return max((p.relative_error for p in self.parameters), default=0.0)

    def __str__(self) -> str:
        rows = [("parameter", "shape", "checked", "max |a - n|", "relative error", "")]
        for p in self.parameters:
            size = int(np.prod(p.shape))
            rows.append((p.name, str(p.shape), f"{p.checked}/{size}", f"{p.max_abs_error:.2e}",
                         f"{p.relative_error:.2e}", "ok" if p.relative_error <= self.tolerance else "WRONG"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                 for row in rows]
        verdict = "ok" if self.ok else f"gradients disagree for {', '.join(self.failed)}"
        return "\n".join([*lines, f"loss {self.loss:.6g}; max relative error "
                          f"{self.max_relative_error:.2e} (tolerance {self.tolerance:.0e}): {verdict}"])


def check_gradients(model: Any, X: Any, y: Any, loss: Any, *, eps: float = 1e-6,
                    sample: int = 100, tolerance: float = 1e-6, seed: int = 0) -> GradientReport:
    """Compare ``backward()`` with central finite differences for every parameter of ``model``.

    The model is deep-copied, converted to float64 and put in eval mode (dropout off, so the
    loss is deterministic); ``X`` and float targets become float64, integer targets stay.

    Args:
        model: the network (a ``glassnet.nn.Module``); left unchanged.
        X: inputs, (n_samples, n_features); keep the batch small (each check is two forward passes).
        y: targets as ``loss`` expects them.
        loss: a loss module reducing to a scalar, e.g. ``nn.MSELoss()``.
        eps: finite-difference step.
        sample: tensors with at most this many elements are checked entirely; larger ones at
            ``sample`` elements drawn without replacement by ``np.random.default_rng(seed)``.
        tolerance: the largest relative error still ``ok``.
        seed: seed of the element sample.

    Returns:
        A GradientReport: one ParameterCheck per tensor, ``.ok``, ``.failed`` and a table as ``str``.

    >>> import numpy as np, glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(3, 4, generator=0), gn.nn.Tanh(), gn.nn.Linear(4, 1, generator=1))
    >>> X, y = np.random.default_rng(0).standard_normal((5, 3)), np.ones((5, 1))
    >>> report = check_gradients(net, X, y, gn.nn.MSELoss())
    >>> report.ok, [p.name for p in report.parameters]
    (True, ['0.weight', '0.bias', '2.weight', '2.bias'])
    """
    if sample < 1 or eps <= 0:
        raise GlassnetError(f"check_gradients needs sample >= 1 and eps > 0, got sample={sample}, eps={eps}")
    twin = copy.deepcopy(model).to(np.float64).eval()
    twin.zero_grad()  # the gradient of this loss alone, not one the model kept from training
    params = list(twin.named_parameters())
    if not params:
        raise GlassnetError(f"{type(model).__name__} has no parameters to check")
    x, target = _float64(X), _float64(y)

    def objective() -> Tensor:
        value = loss(twin(Tensor(x)), target)
        if not isinstance(value, Tensor) or value.numel() != 1:
            raise GlassnetError(f"check_gradients needs a loss that returns one number, got shape "
                                f"{getattr(value, 'shape', None)}; use reduction='mean' or 'sum'")
        return value

    value = objective()
    value.backward()
    rng = np.random.default_rng(seed)
    checks = []
    for name, p in params:
        analytic = p.grad_array if p.grad_array is not None else np.zeros_like(p.array)
        chosen = np.arange(p.numel()) if p.numel() <= sample else rng.choice(p.numel(), sample, replace=False)
        indices = [np.unravel_index(i, p.shape) for i in np.sort(chosen)]
        a = np.array([analytic[i] for i in indices])
        with no_grad():
            n = np.array([_central_difference(objective, p.array, i, eps) for i in indices])
        abs_error = float(np.max(np.abs(a - n)))
        scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))), _TINY)
        checks.append(ParameterCheck(name, p.shape, len(indices), abs_error, abs_error / scale))
    return GradientReport(tuple(checks), float(value.item()), tolerance)


def _float64(values: Any) -> np.ndarray:
    array = np.asarray(values.array if isinstance(values, Tensor) else values)
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def _central_difference(objective: Any, data: np.ndarray, index: tuple[Any, ...], eps: float) -> float:
    """(L(θ + eps·eᵢ) − L(θ − eps·eᵢ)) / 2eps, changing the parameter in place and restoring it."""
    original = data[index]
    data[index] = original + eps
    plus = objective().item()
    data[index] = original - eps
    minus = objective().item()
    data[index] = original
    return (plus - minus) / (2 * eps)
