"""Normalization layers and embeddings in a walkthrough: their forward step, their backward lines and
the gradients of their parameters, every value the engine's.

A LayerNorm or BatchNorm1d after Linear layer l maps its input (zˡ, or aˡ after the activation)
to hˡ = Wₕˡ ⊙ x̂ + bₕˡ with x̂ = (input − x̄)/√(s² + ε): Wₕˡ and bₕˡ are its weight and bias (the
subscript h tells them from the Linear layer's Wˡ and bˡ). x̂ is the module itself run with
Wₕ = 1 and bₕ = 0 (the engine's); x̄ and s² are shown as the layer uses them (each sample's for
LayerNorm, the batch's in training or the running estimates in eval mode for BatchNorm1d). An
Embedding, first in the model, maps the indices x to a⁰ = W⁰[x], rows of its table W⁰.
"""

from __future__ import annotations

import copy

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.explain.numbers import chain, sub, sup
from glassnet.explain.record import NORMS, Recorder, Stage, formula_of, signed
from glassnet.nn.embedding import Embedding
from glassnet.nn.module import Module
from glassnet.nn.normalization import BatchNorm1d, LayerNorm

__all__ = ["NORMS", "embedding_grads", "embedding_step", "normalization_grads", "normalization_lines",
           "normalization_step", "symbol"]

def symbol(module: Module, attr: str, l: int | None) -> str:
    """A parameter's symbol: Wₕˡ and bₕˡ of a normalization after layer l, W⁰ of an embedding."""
    if isinstance(module, Embedding):
        return "W⁰"
    return f"{'W' if attr == 'weight' else 'b'}ₕ{sup(l or 0)}"


def _statistics(module: Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """x̄ and s² as the layer normalizes with them, shaped to broadcast against x, and what they are."""
    rows = x.reshape(x.shape[0], -1)  # (n_samples, n_features)
    if isinstance(module, LayerNorm):
        return rows.mean(axis=1)[:, None], rows.var(axis=1)[:, None], "over each sample's features"
    assert isinstance(module, BatchNorm1d)
    if module.training or module.running_mean is None or module.running_var is None:
        return rows.mean(axis=0), rows.var(axis=0), "over the batch, per feature"
    return module.running_mean.array, module.running_var.array, "the running estimates (eval mode)"


def _affine(module: Module, n: int) -> tuple[np.ndarray, np.ndarray]:
    """γ and β of a normalization, 1 and 0 where it learns none."""
    params = dict(module.named_parameters())
    gamma = params["weight"].array if "weight" in params else np.ones(n)
    return gamma, params["bias"].array if "bias" in params else np.zeros(n)


def _normalized(module: Module, x: Tensor) -> np.ndarray:
    """x̂: the module itself with γ = 1 and β = 0, on a copy (its running estimates left alone)."""
    twin = copy.deepcopy(module)
    for name, p in twin.named_parameters():
        p.array[...] = 1.0 if name == "weight" else 0.0
    with no_grad():
        return twin(x).array


def normalization_step(stage: Stage, l: int, arg: str, rec: Recorder) -> None:
    """Record hˡ = Wₕˡ ⊙ (arg − x̄)/√(s² + ε) + bₕˡ with x̄, s², x̂ and h multiplied out (arg: zˡ or aˡ)."""
    module, x, h, f = stage.module, stage.input.array, stage.output.array, formula_of(stage.module)
    mu, var, over = _statistics(module, x)
    eps = vars(module)["eps"]
    xhat = stage.shown["xhat"] = _normalized(module, stage.input.detach())
    gamma, beta = _affine(module, x.shape[-1])
    standardized = rec.elements(f"({{x}} − {{m}})/√({{v}} + {eps})", x=x, m=mu, v=var)
    scaled = rec.elements("{g}·{x} + {b}", g=gamma, x=xhat, b=beta)
    lines = [*chain("x̄", rec.mat(mu.reshape(-1)), indent=""),
             *chain("s²", rec.mat(var.reshape(-1)), indent=""),
             f"(x̄ and s² {over}; ε = {eps})",
             *chain(f"x̂ = ({arg} − x̄)/√(s² + ε)", standardized, rec.mat(xhat), indent=""),
             *chain(f"h{sup(l)} = Wₕ{sup(l)} ⊙ x̂ + bₕ{sup(l)}", scaled, rec.mat(h), indent="")]
    rec.add("norm", l, f"layer {l}: h{sup(l)} = {f.name}({arg})", f.text, f.latex, "\n".join(lines), h)


def normalization_lines(stage: Stage, l: int, into: str, rec: Recorder) -> list[str]:
    """∂L/∂(input) from ∂L/∂hˡ through the normalization: e = Wₕ ⊙ ∂L/∂h, then the layer's rule."""
    module = stage.module
    g_out, g_in = stage.output.grad_array, stage.input.grad_array
    assert g_out is not None and g_in is not None
    gamma, _ = _affine(module, g_out.shape[-1])
    _, var, _ = _statistics(module, stage.input.array)
    lines = [*chain(f"e = Wₕ{sup(l)} ⊙ ∂L/∂h{sup(l)}", rec.elements("{g}·{d}", g=gamma, d=g_out),
                    rec.mat(gamma * g_out), indent="")]
    if isinstance(module, BatchNorm1d) and not module.training and module.running_var is not None:
        eps = module.eps  # x̄ and s² are constants in eval mode: ∂L/∂x = e/√(s² + ε)
        return lines + chain(f"{into} = e/√(s² + ε)", rec.elements(f"{{g}}/√({{v}} + {eps})", g=gamma * g_out,
                                                                    v=var), rec.mat(g_in), indent="")
    return lines + chain(f"{into} = (e − mean(e) − x̂·mean(e ⊙ x̂))/√(s² + ε)", rec.mat(g_in), indent="")


def normalization_grads(stage: Stage, l: int, grads: dict[str, np.ndarray], rec: Recorder) -> None:
    """∂L/∂Wₕ = Σ over samples of ∂L/∂h ⊙ x̂ and ∂L/∂bₕ = Σ over samples of ∂L/∂h, entry by entry."""
    if not stage.names:
        return
    g_out, xhat = stage.output.grad_array, stage.shown["xhat"]
    assert g_out is not None
    n = g_out.shape[0] if rec.max_items is None else min(g_out.shape[0], rec.max_items)
    cols = range(g_out.shape[1] if rec.max_items is None else min(g_out.shape[1], rec.max_items))
    lines, shown = [], {}
    for attr, name in stage.names.items():
        shown[name] = g = grads[name]
        s = symbol(stage.module, attr, l)
        for j in cols:
            terms = [signed(rec.num(g_out[k, j])) for k in range(n)]
            if attr == "weight":
                terms = [f"{t}·{signed(rec.num(xhat[k, j]))}" for k, t in enumerate(terms)]
            lines.append(f"∂L/∂{s}{sub(j + 1)} = {' + '.join(terms)} = {rec.num(g[j])}")
        lines += chain(f"∂L/∂{s}", rec.mat(g, samples=False), indent="")
    f = formula_of(stage.module)
    rec.add("grad", l, f"layer {l}: ∂L/∂Wₕ{sup(l)} and ∂L/∂bₕ{sup(l)} ({f.name})",
            "∂L/∂Wₕ = Σ over samples of ∂L/∂h ⊙ x̂,  ∂L/∂bₕ = Σ over samples of ∂L/∂h",
            r"\frac{\partial L}{\partial W_h} = \sum \frac{\partial L}{\partial h} \odot \hat x,\quad "
            r"\frac{\partial L}{\partial b_h} = \sum \frac{\partial L}{\partial h}", "\n".join(lines),
            next(iter(shown.values())), shown)


def embedding_step(stage: Stage, rec: Recorder) -> None:
    """Record a⁰ = W⁰[x]: the rows of the table the indices pick."""
    module, idx, a = stage.module, stage.input.array, stage.output.array
    assert isinstance(module, Embedding)
    picked = ", ".join(f"W⁰[{int(i)}]" for i in idx.reshape(-1)[: rec.max_items])
    f = formula_of(module)
    lines = [*chain("W⁰", rec.mat(module.weight.array, samples=False), indent=""),
             *chain("a⁰ = W⁰[x]", f"[{picked}]", rec.mat(a), indent="")]
    size = f"{module.num_embeddings} rows of {module.embedding_dim}"
    rec.add("embedding", None, f"embedding: a⁰ = W⁰[x]  ({size})", f.text, f.latex, "\n".join(lines), a)


def embedding_grads(stage: Stage, grads: dict[str, np.ndarray], rec: Recorder) -> None:
    """∂L/∂W⁰[j] = Σ of ∂L/∂a⁰ over the positions whose index is j; rows no index picked stay 0."""
    if not stage.names:
        return
    idx, g_out = stage.input.array.reshape(-1), stage.output.grad_array
    assert g_out is not None
    rows = g_out.reshape(len(idx), -1)
    name = stage.names["weight"]
    lines = []
    for j in sorted(set(idx.tolist()))[: rec.max_items]:
        parts = [rec.fmt(rows[k]) for k in np.flatnonzero(idx == j)]
        terms = [" + ".join(parts)] if len(parts) > 1 else []
        lines += chain(f"∂L/∂W⁰[{j}]", *terms, rec.fmt(grads[name][j]), indent="")
    lines += chain("∂L/∂W⁰", rec.mat(grads[name], samples=False), indent="")
    f = formula_of(stage.module)
    rec.add("grad", None, "embedding: ∂L/∂W⁰", f.derivative_text, f.derivative_latex, "\n".join(lines),
            grads[name], {name: grads[name]})
