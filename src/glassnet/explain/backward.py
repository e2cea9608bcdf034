"""The backward pass of one walkthrough, read from ``.grad`` after the engine's ``backward()``.

δˡ = ∂L/∂zˡ is ``zˡ.grad`` and ∂L/∂aˡ is ``aˡ.grad`` (both kept by ``retain_grad``); f′(zˡ) comes
from the activation's own backward rule run on zˡ. The parameter gradients are the engine's. Each
line multiplies out the numbers that give the engine's result (the first sample's, where a batch
has several), with the templates the components carry (``Formula.derivative_plug``).
"""

from __future__ import annotations

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.explain.forward import is_plain_cross_entropy, plain
from glassnet.explain.norms import embedding_grads, normalization_grads, normalization_lines
from glassnet.explain.numbers import chain, sub, sup
from glassnet.explain.record import (
    NORMS,
    Layer,
    Recorder,
    Stage,
    formula_of,
    is_activation,
    settings_of,
    signed,
    symbol_of,
)
from glassnet.explain.step import LINEAR_FORMULA
from glassnet.nn.activations import LogSoftmax, Softmax
from glassnet.nn.embedding import Embedding
from glassnet.nn.module import Module

__all__ = ["backward_steps", "derivative", "jacobian"]


def derivative(activation: Module, z: np.ndarray) -> np.ndarray:
    """f′(z) elementwise, from the engine: the gradient of Σ f(z) with respect to z.

    >>> import glassnet as gn
    >>> derivative(gn.nn.Sigmoid(), np.array([0.0]))
    array([0.25])
    """
    zt = Tensor(np.array(z, copy=True), requires_grad=True)
    activation(zt).backward(np.ones_like(zt.array))
    assert zt.grad_array is not None
    return zt.grad_array


def jacobian(activation: Module, z: np.ndarray) -> np.ndarray:
    """J = ∂a/∂z of one sample's vector z (a softmax's), row i the gradient of aᵢ: by the engine.

    >>> import glassnet as gn
    >>> jacobian(gn.nn.Softmax(dim=-1), np.zeros(2))   # pᵢ(𝟙[i = j] − pⱼ) at p = (½, ½)
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    rows = []
    for i in range(len(z)):
        zt = Tensor(np.array(z, copy=True), requires_grad=True)
        activation(zt)[i].backward()
        assert zt.grad_array is not None
        rows.append(zt.grad_array)
    return np.stack(rows)  # (n_out, n_in)


def _grad(t: Tensor | None) -> np.ndarray:
    assert t is not None and t.grad_array is not None, "backward() has not reached this tensor"
    return t.grad_array


def _divided(text: str, N: float | None, rec: Recorder) -> str:
    return text if N is None else f"{text} / {rec.num(N)}"


def _output_gradient(layer: Layer, loss: Module, y: Tensor, N: float | None, rec: Recorder,
                     plugged: tuple[str, str] | None, p: np.ndarray | None) -> list[str]:
    """∂L/∂ŷ with the numbers plugged in, ending in the engine's value (ŷ is aᴸ, or zᴸ without stages)."""
    out = layer.a if layer.a is not None else layer.z
    name = f"∂L/∂{symbol_of(layer, out)}"
    value = rec.mat(_grad(out))
    if plugged is not None:  # GaussianNLLLoss: its own plugged form
        return chain(name, plugged[0], value, indent="")
    if p is not None and is_plain_cross_entropy(loss, y):
        onehot = np.eye(p.shape[1], dtype=p.dtype)[y.array]  # (n_samples, n_classes)
        head = f"δ{sup(layer.index)} = {name}" if out is layer.z else name
        return chain(head, _divided("(p − onehot(y))", N, rec),
                     _divided(f"({rec.fmt(p)} − {rec.fmt(onehot)})", N, rec), value, indent="")
    f = formula_of(loss)
    terms = []
    if f.derivative_plug and plain(loss):
        filled = rec.elements(f.derivative_plug, yhat=out.array, y=y.array, **settings_of(loss))
        terms.append(_divided(f"({filled})", N, rec))
    return chain(name, *terms, value, indent="")


def _into(layer: Layer, t: Tensor) -> str:
    """How the walkthrough names ∂L/∂t: δˡ for zˡ, else ∂L/∂ of t's symbol."""
    return f"δ{sup(layer.index)}" if t is layer.z else f"∂L/∂{symbol_of(layer, t)}"


def _local(layer: Layer, stage: Stage, rec: Recorder) -> tuple[list[str], str, str]:
    """Through an activation: f′ and ∂L/∂(input) = ∂L/∂a ⊙ f′ multiplied out; for softmax its Jacobian."""
    l, f = layer.index, formula_of(stage.module)
    z, a = symbol_of(layer, stage.input), symbol_of(layer, stage.output)
    into, d_in, d_out = _into(layer, stage.input), _grad(stage.input), _grad(stage.output)
    if isinstance(stage.module, Softmax | LogSoftmax):
        J = jacobian(stage.module, stage.input.array[0])
        lines = [*chain(f"J = ∂{a}/∂{z}", rec.mat(J, samples=False), indent=""),
                 *chain(f"{into} = ∂L/∂{a}·J", rec.mat(d_in), indent="")]
        return lines, f"{into} = ∂L/∂{a}·J", rf"\delta^{{{l}}} = \frac{{\partial L}}{{\partial a^{{{l}}}}} J"
    fp = derivative(stage.module, stage.input.array)
    plugged = [rec.elements(f.derivative_plug, z=stage.input.array, a=stage.output.array,
                            **settings_of(stage.module))] if f.derivative_plug else []
    lines = [*chain(f"f′({z})", *plugged, rec.mat(fp), indent=""),
             *chain(f"{into} = ∂L/∂{a} ⊙ f′({z})", rec.elements("{g}·{d}", g=d_out, d=fp), rec.mat(d_in),
                    indent="")]
    return lines, f"{into} = ∂L/∂{a} ⊙ f′({z})", \
        rf"\delta^{{{l}}} = \frac{{\partial L}}{{\partial a^{{{l}}}}} \odot f'(z^{{{l}}})"


def _through(layer: Layer, rec: Recorder) -> tuple[list[str], list[str], list[str]]:
    """From ∂L/∂aˡ back through the layer's stages to δˡ = ∂L/∂zˡ: lines, formula texts and LaTeX."""
    lines: list[str] = []
    texts: list[str] = []
    latexes: list[str] = []
    for stage in reversed(layer.stages):
        if is_activation(stage.module):
            more, text, latex = _local(layer, stage, rec)
            lines += more
            texts += [text, formula_of(stage.module).derivative_text]
            latexes += [latex, formula_of(stage.module).derivative_latex]
        elif isinstance(stage.module, NORMS):
            f = formula_of(stage.module)
            lines += normalization_lines(stage, layer.index, _into(layer, stage.input), rec)
            texts.append(f.derivative_text)
            latexes.append(f.derivative_latex)
    return lines, texts, latexes


def _record_delta(layer: Layer, head: list[str], rec: Recorder, title: str, text: str, latex: str) -> None:
    lines, texts, latexes = _through(layer, rec)
    text = ";  ".join([text, *texts])
    latex = r",\quad ".join([latex, *latexes])
    rec.add("delta", layer.index, title, text, latex, "\n".join([*head, *lines]), _grad(layer.z))


def _delta_last(layer: Layer, loss: Module, y: Tensor, N: float | None, note: str, rec: Recorder,
                plugged: tuple[str, str] | None, p: np.ndarray | None) -> None:
    l, f = layer.index, formula_of(loss)
    head = _output_gradient(layer, loss, y, N, rec, plugged, p)
    note = plugged[1].strip() if plugged else note
    if note:
        head.append(note)
    title = f"output δ{sup(l)} = ∂L/∂z{sup(l)}"
    _record_delta(layer, head, rec, title, f.derivative_text, f.derivative_latex)


def _backpropagated(layer: Layer, above: Layer, rec: Recorder) -> list[str]:
    """∂L/∂aˡ = δˡ⁺¹·Wˡ⁺¹, each entry of the first sample multiplied out: Σᵢ δᵢ·Wᵢⱼ."""
    k = above.index
    W, d, dA = above.linear.weight.array, _grad(above.z)[0], _grad(above.a_in)
    n_in = W.shape[1]
    cols = range(n_in if rec.max_items is None else min(n_in, rec.max_items))
    rows = range(len(d) if rec.max_items is None else min(len(d), rec.max_items))
    terms = [" + ".join(f"{signed(rec.num(d[i]))}·{signed(rec.num(W[i, j]))}" for i in rows)
             + (" + …" if len(rows) < len(d) else "") for j in cols]
    entries = "[" + ", ".join(terms) + (", …" if len(cols) < n_in else "") + "]"
    entries += " (sample 1)" if dA.shape[0] > 1 else ""
    return chain(f"{_into(layer, above.a_in)} = δ{sup(k)}·W{sup(k)}", entries, rec.mat(dA), indent="")


def _delta_hidden(layer: Layer, above: Layer, rec: Recorder) -> None:
    l, k = layer.index, above.index
    into = _into(layer, above.a_in)
    text = f"{into} = δ{sup(k)}·W{sup(k)}"
    latex = (rf"\delta^{{{l}}}" if above.a_in is layer.z else rf"\frac{{\partial L}}{{\partial a^{{{l}}}}}") \
        + rf" = \delta^{{{k}}} W^{{{k}}}"
    _record_delta(layer, _backpropagated(layer, above, rec), rec, f"layer {l}: δ{sup(l)} = ∂L/∂z{sup(l)}",
                  text, latex)


def _parameter_grads(layer: Layer, grads: dict[str, np.ndarray], rec: Recorder) -> None:
    """∂L/∂Wˡ = (δˡ)ᵀ·aˡ⁻¹ and ∂L/∂bˡ = Σ over samples of δˡ, entries multiplied out."""
    l, delta, a = layer.index, _grad(layer.z), layer.a_in.array  # (n, out), (n, in)
    dW = grads[layer.weight_name]
    n = delta.shape[0] if rec.max_items is None else min(delta.shape[0], rec.max_items)
    more = " + …" if n < delta.shape[0] else ""
    small = dW.size <= 12 or rec.max_items is None
    rows = range(dW.shape[0] if small else 1)
    cols = range(dW.shape[1] if small else min(dW.shape[1], rec.max_items or dW.shape[1]))
    lines = []
    for i in rows:
        for j in cols:
            terms = " + ".join(f"{signed(rec.num(delta[s, i]))}·{signed(rec.num(a[s, j]))}" for s in range(n))
            lines.append(f"∂L/∂W{sup(l)}{sub(i + 1, j + 1)} = {terms}{more} = {rec.num(dW[i, j])}")
    if not small:
        lines.append(f"… (row 1 shown; the other {dW.shape[0] - 1} rows alike)")
    lines += chain(f"∂L/∂W{sup(l)}", rec.mat(dW, samples=False), indent="")
    shown = {layer.weight_name: dW}
    if layer.bias_name is not None:
        db = shown[layer.bias_name] = grads[layer.bias_name]
        rows_of_delta = " + ".join(rec.fmt(delta[s]) for s in range(n)) + more
        lines += chain(f"∂L/∂b{sup(l)} = Σ δ{sup(l)}", rows_of_delta, rec.fmt(db), indent="") \
            if delta.shape[0] > 1 else chain(f"∂L/∂b{sup(l)} = δ{sup(l)}", rec.fmt(db), indent="")
    rec.add("grad", l, f"layer {l}: ∂L/∂W{sup(l)} and ∂L/∂b{sup(l)}", LINEAR_FORMULA.derivative_text,
            LINEAR_FORMULA.derivative_latex, "\n".join(lines), dW, shown)


def backward_steps(layers: list[Layer], before: list[Stage], loss: Module, y: Tensor, N: float | None,
                   note: str, grads: dict[str, np.ndarray], rec: Recorder,
                   plugged: tuple[str, str] | None = None, p: np.ndarray | None = None) -> None:
    """Record δ for every layer from the output down, then ∂L/∂W and ∂L/∂b of each layer.

    Args:
        y: the target as the loss took it.
        N: the divisor of the loss's mean (None: 'sum').
        note: shown after ∂L/∂ŷ, which N it is (``divisor_note``); "" for none.
        grads: ∂(data loss)/∂θ by parameter name, from the engine.
        plugged: the loss's ∂L/∂ŷ with the numbers plugged in (GaussianNLLLoss), or None.
        p: the softmax probabilities of a plain cross-entropy (the loss step's), or None.
        before: the stages before the first Linear layer (an Embedding's gradient is recorded last).
    """
    _delta_last(layers[-1], loss, y, N, note, rec, plugged, p)
    for layer, above in zip(reversed(layers[:-1]), reversed(layers[1:]), strict=True):
        _delta_hidden(layer, above, rec)
    for layer in reversed(layers):
        _parameter_grads(layer, grads, rec)
        for stage in layer.stages:
            if isinstance(stage.module, NORMS):
                normalization_grads(stage, layer.index, grads, rec)
    for stage in before:
        if isinstance(stage.module, Embedding):
            embedding_grads(stage, grads, rec)
