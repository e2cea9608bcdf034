"""The forward pass and the loss of one walkthrough, recorded from the engine's own tensors.

Every z and a is the Tensor the real layer returned, with ``retain_grad()`` so the backward pass
can later read ∂L/∂z and ∂L/∂a from ``.grad``: no number here is computed a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.explain.numbers import format_array, format_number, sup
from glassnet.explain.step import LINEAR_FORMULA, Step
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from glassnet.nn.module import Module
from glassnet.registry import Formula

__all__ = ["Layer", "Recorder", "formula_of"]



def _is_activation(module: Module) -> bool:
    """A registered activation (its class in ACTIVATIONS), the identity aside."""
    return not isinstance(module, Identity) and ACTIVATIONS.name_of(module) is not None


class _HasFormula(Protocol):
    formula: ClassVar[Formula]


def formula_of(component: object) -> Formula:
    """The ``formula`` a component's class carries (activations, losses, regularizers, optimizers)."""
    return cast(_HasFormula, component).formula


@dataclass
class Layer:
    """One Linear layer l and the activation after it: a_in → z = W·a_in + b → a = f(z)."""

    index: int
    linear: Linear
    weight_name: str
    bias_name: str | None
    a_in: Tensor
    z: Tensor
    activation: Module | None = None
    a: Tensor | None = None


class Recorder:
    """Formats arrays for one walkthrough (digits, max_items) and collects its Steps."""

    def __init__(self, digits: int, max_items: int | None) -> None:
        self.digits, self.max_items = digits, max_items
        self.steps: list[Step] = []

    def fmt(self, a: np.ndarray) -> str:
        """An array as the walkthrough shows it; a batch of one sample shows as that sample."""
        a = np.asarray(a)
        return format_array(a[0] if a.ndim == 2 and a.shape[0] == 1 else a, self.digits, self.max_items)

    def mat(self, a: np.ndarray) -> str:
        """A parameter-shaped array (a weight matrix stays a matrix)."""
        return format_array(np.asarray(a), self.digits, self.max_items)

    def num(self, x: float) -> str:
        return format_number(x, self.digits)

    def add(self, *args: object, **kwargs: object) -> Step:
        step = Step(*args, **kwargs)  # type: ignore[arg-type]
        self.steps.append(step)
        return step


def _check_module(module: Module, layers: list[Layer]) -> None:
    if isinstance(module, Dropout) and module.training:
        raise GlassnetError("explain needs the model in eval mode: dropout in training mode is random; "
                            "call model.eval() first")
    if _is_activation(module) and (not layers or layers[-1].activation is not None):
        raise GlassnetError(f"explain handles one activation after each Linear layer; "
                            f"{type(module).__name__} follows no Linear layer")
    if not (isinstance(module, Linear | Identity | Flatten | Dropout) or _is_activation(module)):
        raise GlassnetError(f"explain handles Linear layers, activations, Identity, Flatten and Dropout; "
                            f"got {type(module).__name__}")


def forward(model: Module, x: Tensor, rec: Recorder) -> tuple[list[Layer], Tensor]:
    """Run the model's layers one by one, keeping every z and a, and record each as a Step."""
    if not isinstance(model, Sequential):
        raise GlassnetError(f"explain takes an nn.Sequential of Linear layers and activations, "
                            f"got {type(model).__name__}")
    names = {id(p): name for name, p in model.named_parameters()}
    rec.add("input", None, "input a⁰ = x", "", "", f"a⁰ = {rec.fmt(x.array)}", x.array)
    layers: list[Layer] = []
    a = x
    for module in model.children():
        _check_module(module, layers)
        if isinstance(module, Linear):
            a = _linear(module, a, len(layers) + 1, names, rec, layers)
        elif _is_activation(module):
            a = _activation(module, layers[-1], rec)
        else:
            a = module(a)
            a.retain_grad()
    if not layers:
        raise GlassnetError("explain needs a model with at least one Linear layer")
    return layers, a


def _linear(linear: Linear, a: Tensor, l: int, names: dict[int, str], rec: Recorder,
            layers: list[Layer]) -> Tensor:
    z = linear(a)  # (n_samples, out_features)
    z.retain_grad()
    bias = linear.bias
    layers.append(Layer(l, linear, names[id(linear.weight)], None if bias is None else names[id(bias)], a, z))
    W, b_text = rec.mat(linear.weight.array), "" if bias is None else f" + {rec.mat(bias.array)}"
    product = f"{W}·{rec.fmt(a.array)}" if a.shape[0] == 1 else f"{rec.fmt(a.array)}·({W})ᵀ"
    rec.add("linear", l, f"layer {l}: z{sup(l)} = W{sup(l)}·a{sup(l - 1)} + b{sup(l)}", LINEAR_FORMULA.text,
            LINEAR_FORMULA.latex, f"z{sup(l)} = {product}{b_text}\n   = {rec.fmt(z.array)}", z.array)
    return z


def _activation(module: Module, layer: Layer, rec: Recorder) -> Tensor:
    a = module(layer.z)
    a.retain_grad()
    layer.activation, layer.a = module, a
    f, l = formula_of(module), layer.index
    rec.add("activation", l, f"layer {l}: a{sup(l)} = {f.name}(z{sup(l)})", f.text, f.latex,
            f"a{sup(l)} = {f.name}({rec.fmt(layer.z.array)})\n   = {rec.fmt(a.array)}", a.array)
    return a


def loss_step(loss: Module, out: Tensor, y: Tensor, value: Tensor, rec: Recorder,
              var: Tensor | float | None = None, lines: Sequence[str] = (),
              shown: dict[str, np.ndarray] | None = None) -> None:
    """Record the data loss L = loss(prediction, target[, var]) with its reduction.

    Args:
        var: the variance passed to GaussianNLLLoss, shown among the arguments.
        lines: the loss with the numbers plugged in per element, shown before L.
        shown: the arrays of those lines, by name (the Step's ``grads``).
    """
    f = formula_of(loss)
    reduction = cast(str, vars(loss).get("reduction", "mean"))
    args = f"ŷ = {rec.fmt(out.array)}, y = {rec.fmt(y.array)}"
    if var is not None:
        args += f", var = {rec.fmt(var.array if isinstance(var, Tensor) else np.asarray(var))}"
    total = f"L = {reduction}({f.name}({args}))"
    if lines:  # the per-element ℓ is shown above: L is its reduction
        total = f"L = {reduction}(ℓ) = {total[4:]}"
    rec.add("loss", None, f"loss: {f.name} (reduction={reduction!r})", f.text, f.latex,
            "\n".join([*lines, total, f"  = {rec.num(value.item())}"]), value.array, dict(shown or {}))


def _settings(component: object) -> str:
    """A component with its settings, e.g. ``SGD(lr=0.5, momentum=0, ...)``; an optimizer's first group."""
    groups = getattr(component, "param_groups", None)
    if groups:
        options = ", ".join(f"{k}={v!r}" for k, v in groups[0].items() if k != "params")
        return f"{type(component).__name__}({options})"
    return repr(component)


def header(model: Module, x: Tensor, y: Tensor, loss: Module, optimizer: object | None,
           penalties: Sequence[object], rec: Recorder) -> list[tuple[str, str]]:
    """What the walkthrough derives, before the first formula: network, sample, target, loss, optimizer."""
    linears = [m for m in model.children() if isinstance(m, Linear)]
    sizes = " → ".join([str(linears[0].in_features), *(str(m.out_features) for m in linears)])
    params = list(model.parameters())
    rows = [("network", f"{sizes} ({sum(p.numel() for p in params)} parameters, {params[0].dtype})"),
            ("sample", f"x = {rec.fmt(x.array)}" + (f"  ({x.shape[0]} samples)" if x.shape[0] > 1 else "")),
            ("target", f"y = {rec.fmt(y.array)}"),
            ("loss", _settings(loss))]
    rows += [("penalty", repr(r)) for r in penalties]
    if optimizer is not None:
        rows.append(("optimizer", _settings(optimizer)))
    return rows
