"""The forward pass and the loss of one walkthrough, recorded from the engine's own tensors.

Every z and a is the Tensor the real layer returned, with ``retain_grad()`` so the backward pass
can later read ∂L/∂z and ∂L/∂a from ``.grad``: no number here is computed a second time.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError
from glassnet.explain.numbers import chain, format_array, format_number, matrix_lines, sub, sup
from glassnet.explain.step import LINEAR_FORMULA, Step
from glassnet.nn.activations import ACTIVATIONS, softmax
from glassnet.nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from glassnet.nn.losses import CrossEntropyLoss
from glassnet.nn.module import Module
from glassnet.registry import Formula

__all__ = ["Layer", "Recorder", "formula_of", "forward", "header", "is_plain_cross_entropy", "loss_step",
           "per_element", "signed"]



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

    def fmt(self, a: np.ndarray, digits: int | None = None) -> str:
        """An array on one line; a batch of one sample shows as that sample."""
        a = np.asarray(a)
        one = a[0] if a.ndim == 2 and a.shape[0] == 1 else a
        return format_array(one, digits or self.digits, self.max_items)

    def mat(self, a: np.ndarray, digits: int | None = None, samples: bool = True) -> str:
        """An array as the text shows it: a matrix one row per line, columns aligned.

        A batch of one sample (``samples``) shows as that sample; a parameter stays a matrix.
        """
        a = np.asarray(a)
        if samples and a.ndim == 2 and a.shape[0] == 1:
            a = a[0]
        if a.ndim == 2:
            return "\n".join(matrix_lines(a, digits or self.digits, self.max_items))
        return format_array(a, digits or self.digits, self.max_items)

    def num(self, x: float, digits: int | None = None) -> str:
        return format_number(x, digits or self.digits)

    def elements(self, template: str, samples: bool = True, **arrays: np.ndarray | float) -> str:
        """``template`` filled with each element's numbers, e.g. ``[0.62·(1 − 0.62), …]``.

        With ``samples``, the first sample's elements (a row of a batch); else every element of
        a parameter-shaped array, a matrix one row per line (the first max_items of each axis).
        """
        shaped = [np.asarray(v) for v in arrays.values() if np.ndim(v)]
        shape = np.broadcast_shapes(*(v.shape for v in shaped)) if shaped else ()
        full = {k: np.broadcast_to(np.asarray(v), shape) for k, v in arrays.items()}
        if samples and len(shape) == 2:
            full, shape = {k: v[:1] for k, v in full.items()}, (1, shape[1])
        grid = {k: v.reshape(-1, shape[-1]) if len(shape) else v.reshape(1, 1) for k, v in full.items()}
        n_rows, n_cols = next(iter(grid.values())).shape
        rows = range(n_rows if self.max_items is None else min(n_rows, self.max_items))
        cols = range(n_cols if self.max_items is None else min(n_cols, self.max_items))
        cells = [[template.format(**{k: signed(self.num(float(v[i, j]))) for k, v in grid.items()})
                  for j in cols] for i in rows]
        if len(shape) == 0 or n_rows == n_cols == 1:
            return cells[0][0]
        more = ", …" if len(cols) < n_cols else ""
        lines = ["[" + ", ".join(row) + more + "]" for row in cells] + (["…"] if len(rows) < n_rows else [])
        if len(shape) == 1 or (n_rows == 1 and samples):
            return lines[0]
        return "[" + ",\n ".join(lines) + "]"

    def add(self, *args: object, **kwargs: object) -> Step:
        step = Step(*args, **kwargs)  # type: ignore[arg-type]
        self.steps.append(step)
        return step


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def signed(text: str) -> str:
    """A number inside a formula: negative ones in parentheses, so −(−0.5) reads right."""
    return f"({text})" if text.startswith("-") else text


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


def _neuron_lines(rec: Recorder, l: int, a: np.ndarray, W: np.ndarray, b: np.ndarray | None,
                  z: np.ndarray) -> list[str]:
    """zˡᵢ = Σⱼ aⱼ·Wᵢⱼ + bᵢ multiplied out for each neuron i of the first sample (the first max_items)."""
    n_out, n_in = W.shape
    rows = range(n_out if rec.max_items is None else min(n_out, rec.max_items))
    cols = range(n_in if rec.max_items is None else min(n_in, rec.max_items))
    lines = []
    for i in rows:
        terms = [f"{signed(rec.num(a[j]))}·{signed(rec.num(W[i, j]))}" for j in cols]
        if len(cols) < n_in:
            terms.append(f"… ({n_in} terms)")
        if b is not None:
            terms.append(signed(rec.num(b[i])))
        lines.append(f"z{sup(l)}{sub(i + 1)} = {' + '.join(terms)} = {rec.num(z[i])}")
    if len(rows) < n_out:
        lines.append(f"… ({n_out} neurons)")
    return lines


def _linear(linear: Linear, a: Tensor, l: int, names: dict[int, str], rec: Recorder,
            layers: list[Layer]) -> Tensor:
    z = linear(a)  # (n_samples, out_features)
    z.retain_grad()
    bias = linear.bias
    layers.append(Layer(l, linear, names[id(linear.weight)], None if bias is None else names[id(bias)], a, z))
    W, b = linear.weight.array, None if bias is None else bias.array
    lines = [*chain(f"W{sup(l)}", rec.mat(W, samples=False), indent="")]
    if b is not None:
        lines.append(f"b{sup(l)} = {rec.fmt(b)}")
    if a.shape[0] > 1:
        lines.append("sample 1 (the others alike):")
    lines += _neuron_lines(rec, l, a.array[0], W, b, z.array[0])
    lines += chain(f"z{sup(l)}", rec.mat(z.array), indent="")
    title = f"layer {l}: z{sup(l)} = a{sup(l - 1)}·(W{sup(l)})ᵀ{f' + b{sup(l)}' if b is not None else ''}"
    sizes = f"{_count(linear.in_features, 'input')} → {_count(linear.out_features, 'neuron')}"
    rec.add("linear", l, f"{title}  ({sizes})",
            LINEAR_FORMULA.text, LINEAR_FORMULA.latex, "\n".join(lines), z.array)
    return z


def _activation(module: Module, layer: Layer, rec: Recorder) -> Tensor:
    a = module(layer.z)
    a.retain_grad()
    layer.activation, layer.a = module, a
    f, l = formula_of(module), layer.index
    terms = [f"{f.name}({rec.fmt(layer.z.array)})"]
    if f.plug:
        terms.append(rec.elements(f.plug, z=layer.z.array, a=a.array))
    rec.add("activation", l, f"layer {l}: a{sup(l)} = {f.name}(z{sup(l)})", f.text, f.latex,
            "\n".join(chain(f"a{sup(l)}", *terms, rec.mat(a.array), indent="")), a.array)
    return a


def per_element(loss: Module, out: Tensor, y: Tensor, *args: object) -> np.ndarray:
    """ℓ for each element (or sample), the engine's: the loss itself run with ``reduction='none'``."""
    twin = copy.copy(loss)
    twin.reduction = "none"
    with no_grad():
        return twin(out.detach(), y, *args).array


def is_plain_cross_entropy(loss: Module, y: Tensor) -> bool:
    """CrossEntropyLoss of class indices without label smoothing: p = softmax(ŷ), ℓ = −log p_y."""
    return (isinstance(loss, CrossEntropyLoss) and not np.issubdtype(y.array.dtype, np.floating)
            and loss.label_smoothing == 0)


def _softmax_lines(out: Tensor, y: Tensor, per: np.ndarray, rec: Recorder) -> tuple[list[str], np.ndarray]:
    """p = softmax(ŷ) with the first sample's sum written out, and ℓ = −log p_y per sample."""
    p = softmax(out.detach(), dim=-1).array  # (n_samples, n_classes), the engine's
    z = out.array[0]
    total = " + ".join(f"exp({rec.num(v)})" for v in z[: rec.max_items])
    total += " + …" if rec.max_items is not None and len(z) > rec.max_items else ""
    lines = [*chain("p = softmax(ŷ)", f"exp(ŷᵢ) / ({total})", rec.mat(p), indent=""),
             *chain("ℓ = −log p_y", rec.elements("−log {p}", p=p[np.arange(len(p)), y.array][None, :]),
                    rec.fmt(per), indent="")]
    return lines, p


def loss_step(loss: Module, out: Tensor, y: Tensor, value: Tensor, rec: Recorder, N: float | None,
              var: Tensor | float | None = None, lines: Sequence[str] = (),
              shown: dict[str, np.ndarray] | None = None) -> None:
    """Record the data loss: ℓ per element with the numbers plugged in, then L, its mean or sum.

    Args:
        N: the divisor of the mean (None: no division, ``reduction='sum'``).
        var: the variance passed to GaussianNLLLoss, shown among the arguments.
        lines: the loss with the numbers plugged in per element, shown before L (GaussianNLLLoss).
        shown: the arrays of those lines, by name (the Step's ``grads``).
    """
    f = formula_of(loss)
    reduction = cast(str, vars(loss).get("reduction", "mean"))
    shown = dict(shown or {})
    given = [*chain("ŷ", rec.mat(out.array), indent=""), *chain("y", rec.mat(y.array), indent="")]
    if var is not None:
        given += chain("var", rec.mat(var.array if isinstance(var, Tensor) else np.asarray(var)), indent="")
    if lines:
        lines = [*given, *lines]
    else:
        per = per_element(loss, out, y)
        shown["loss_elements"] = per
        lines = given
        if is_plain_cross_entropy(loss, y):
            more, shown["p"] = _softmax_lines(out, y, per, rec)
            lines += more
        else:
            terms = [rec.elements(f.plug, yhat=out.array, y=y.array)] if f.plug else []
            lines += chain("ℓ", *terms, rec.fmt(per), indent="")
    per = shown["loss_elements"]
    flat = per.reshape(-1)
    k = len(flat) if rec.max_items is None else min(len(flat), rec.max_items)
    total = " + ".join(signed(rec.num(v)) for v in flat[:k])
    total += f" + … ({len(flat)} terms)" if k < len(flat) else ""
    if N is None:
        result = chain("L = sum(ℓ)", total, rec.num(value.item()), indent="")
    else:
        result = chain(f"L = {reduction}(ℓ)", f"({total}) / {rec.num(N)}", rec.num(value.item()), indent="")
    rec.add("loss", None, f"loss: {f.name} (reduction={reduction!r})", f.text, f.latex,
            "\n".join([*lines, *result]), value.array, shown)


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
    sizes: list[str] = []
    for m in model.children():
        if isinstance(m, Linear):
            sizes += [str(m.in_features)] if not sizes else []
            sizes.append(str(m.out_features))
        elif _is_activation(m) and sizes:
            sizes[-1] += f" ({formula_of(m).name})"
    params = list(model.parameters())
    n_params = sum(p.numel() for p in params)
    rows = [("network", f"{' → '.join(sizes)}: {n_params} parameters, {params[0].dtype}"),
            ("sample", f"x = {rec.fmt(x.array)}" + (f"  ({x.shape[0]} samples)" if x.shape[0] > 1 else "")),
            ("target", f"y = {rec.fmt(y.array)}"),
            ("loss", _settings(loss))]
    rows += [("penalty", repr(r)) for r in penalties]
    if optimizer is not None:
        rows.append(("optimizer", _settings(optimizer)))
    return rows
