"""The forward pass and the loss of one walkthrough, recorded from the engine's own tensors.

Every z and a is the Tensor the real layer returned, with ``retain_grad()`` so the backward pass
can later read ∂L/∂z and ∂L/∂a from ``.grad``: no number here is computed a second time.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import cast

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError
from glassnet.explain.norms import NORMS, embedding_step, normalization_step
from glassnet.explain.numbers import chain, sub, sup
from glassnet.explain.record import (
    Layer,
    Recorder,
    Stage,
    count,
    formula_of,
    is_activation,
    settings_of,
    signed,
    symbol_of,
)
from glassnet.explain.step import LINEAR_FORMULA
from glassnet.nn.activations import softmax
from glassnet.nn.embedding import Embedding
from glassnet.nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from glassnet.nn.losses import CrossEntropyLoss
from glassnet.nn.module import Module
from glassnet.optim.optimizer import Optimizer

__all__ = ["forward", "header", "is_plain_cross_entropy", "loss_step", "per_element"]



def _check_module(module: Module, layers: list[Layer], first: bool) -> None:
    if isinstance(module, Dropout) and module.training:
        raise GlassnetError("explain needs the model in eval mode: dropout in training mode is random; "
                            "call model.eval() first")
    if is_activation(module) and (not layers or layers[-1].activation is not None):
        raise GlassnetError(f"explain handles one activation after each Linear layer; "
                            f"{type(module).__name__} follows no Linear layer")
    if isinstance(module, NORMS) and not layers:
        raise GlassnetError(f"explain handles {type(module).__name__} after a Linear layer; "
                            "move it after one")
    if isinstance(module, Embedding) and not first:
        raise GlassnetError("explain handles an Embedding as the model's first layer only")
    known = (Linear, Identity, Flatten, Dropout, Embedding, *NORMS)
    if not (isinstance(module, known) or is_activation(module)):
        raise GlassnetError(f"explain handles Linear, Embedding, LayerNorm and BatchNorm1d layers, "
                            f"activations, Identity, Flatten and Dropout; got {type(module).__name__}")


def forward(model: Module, x: Tensor, rec: Recorder) -> tuple[list[Layer], list[Stage], Tensor]:
    """Run the model's layers one by one, keeping every tensor, and record each as a Step.

    Returns:
        the Linear layers with their stages, the stages before the first Linear layer (an
        Embedding, a Flatten), and the output ŷ.
    """
    if not isinstance(model, Sequential):
        raise GlassnetError(f"explain takes an nn.Sequential of Linear layers and activations, "
                            f"got {type(model).__name__}")
    names = {id(p): name for name, p in model.named_parameters()}
    if isinstance(next(iter(model.children()), None), Embedding):
        rec.add("input", None, "input x (indices into W⁰)", "", "", f"x = {rec.fmt(x.array)}", x.array)
    else:
        rec.add("input", None, "input a⁰ = x", "", "", f"a⁰ = {rec.fmt(x.array)}", x.array)
    layers: list[Layer] = []
    before: list[Stage] = []
    a = x
    for k, module in enumerate(model.children()):
        _check_module(module, layers, k == 0)
        if isinstance(module, Linear):
            a = _linear(module, a, len(layers) + 1, names, rec, layers)
            continue
        stage = Stage(module, a, module(a), {attr: names[id(p)] for attr, p in module.named_parameters()})
        stage.output.retain_grad()
        (layers[-1].stages if layers else before).append(stage)
        if is_activation(module):
            _activation(stage, layers[-1], rec)
        elif isinstance(module, NORMS):
            normalization_step(stage, layers[-1].index, symbol_of(layers[-1], a), rec)
        elif isinstance(module, Embedding):
            embedding_step(stage, rec)
        a = stage.output
    if not layers:
        raise GlassnetError("explain needs a model with at least one Linear layer")
    return layers, before, a


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
    sizes = f"{count(linear.in_features, 'input')} → {count(linear.out_features, 'neuron')}"
    rec.add("linear", l, f"{title}  ({sizes})",
            LINEAR_FORMULA.text, LINEAR_FORMULA.latex, "\n".join(lines), z.array)
    return z


def _activation(stage: Stage, layer: Layer, rec: Recorder) -> None:
    f, l, z, a = formula_of(stage.module), layer.index, stage.input.array, stage.output.array
    arg = symbol_of(layer, stage.input)
    terms = [f"{f.name}({rec.fmt(z)})"]
    if f.plug:
        terms.append(rec.elements(f.plug, z=z, a=a, **settings_of(stage.module)))
    rec.add("activation", l, f"layer {l}: a{sup(l)} = {f.name}({arg})", f.text, f.latex,
            "\n".join(chain(f"a{sup(l)}", *terms, rec.mat(a), indent="")), a)


def per_element(loss: Module, out: Tensor, y: Tensor, *args: object) -> np.ndarray:
    """ℓ for each element (or sample), the engine's: the loss itself run with ``reduction='none'``."""
    twin = copy.copy(loss)
    twin.reduction = "none"
    with no_grad():
        return twin(out.detach(), y, *args).array


def plain(loss: Module) -> bool:
    """A loss whose formula's templates hold as written: it has them, and no class or element weights."""
    weights = [vars(loss).get(k) for k in ("weight", "pos_weight")]
    return bool(formula_of(loss).plug) and all(w is None for w in weights)


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
            settings = settings_of(loss)
            terms = [rec.elements(f.plug, yhat=out.array, y=y.array, **settings)] if plain(loss) else []
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


def _one_line(optimizer: Optimizer) -> str:
    """An optimizer with its first group's settings on one line, e.g. ``SGD(lr=0.5, momentum=0, ...)``."""
    options = ", ".join(f"{k}={v!r}" for k, v in optimizer.param_groups[0].items() if k != "params")
    return f"{type(optimizer).__name__}({options})"


def header(model: Module, x: Tensor, y: Tensor, loss: Module, optimizer: Optimizer | None,
           penalties: Sequence[object], rec: Recorder) -> list[tuple[str, str]]:
    """What the walkthrough derives, before the first formula: network, sample, target, loss, optimizer."""
    sizes: list[str] = []
    for m in model.children():
        if isinstance(m, Linear):
            sizes += [str(m.in_features)] if not sizes else []
            sizes.append(str(m.out_features))
        elif is_activation(m) and sizes:
            sizes[-1] += f" ({formula_of(m).name})"
    params = list(model.parameters())
    n_params = sum(p.numel() for p in params)
    rows = [("network", f"{' → '.join(sizes)}: {n_params} parameters, {params[0].dtype}"),
            ("sample", f"x = {rec.fmt(x.array)}" + (f"  ({x.shape[0]} samples)" if x.shape[0] > 1 else "")),
            ("target", f"y = {rec.fmt(y.array)}"),
            ("loss", repr(loss))]
    rows += [("penalty", repr(r)) for r in penalties]
    if optimizer is not None:
        rows.append(("optimizer", _one_line(optimizer)))
    return rows
