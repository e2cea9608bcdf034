"""The backward pass of one walkthrough, read from ``.grad`` after the engine's ``backward()``.

δˡ = ∂L/∂zˡ is ``zˡ.grad`` and ∂L/∂aˡ is ``aˡ.grad`` (both kept by ``retain_grad``); f′(zˡ) comes
from the activation's own backward rule run on zˡ. The parameter gradients are the engine's.
"""

from __future__ import annotations

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.explain.forward import Layer, Recorder, formula_of
from glassnet.explain.numbers import sup
from glassnet.explain.step import LINEAR_FORMULA
from glassnet.nn.activations import LogSoftmax, Softmax
from glassnet.nn.module import Module

__all__ = ["backward_steps", "derivative"]


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


def _grad(t: Tensor | None) -> np.ndarray:
    assert t is not None and t.grad_array is not None, "backward() has not reached this tensor"
    return t.grad_array


def _delta_last(layer: Layer, loss: Module, note: str, rec: Recorder,
                plugged: tuple[str, str] | None) -> None:
    l, dL = layer.index, formula_of(loss).derivative_text
    head, note = (f"{plugged[0]}\n   = ", plugged[1]) if plugged else ("", note)
    delta = _grad(layer.z)
    if layer.activation is None or layer.a is None:
        rec.add("delta", l, f"output δ{sup(l)} = ∂L/∂z{sup(l)}", dL, formula_of(loss).derivative_latex,
                f"δ{sup(l)} = {head}{rec.fmt(delta)}{note}", delta)
        return
    f = formula_of(layer.activation)
    lines = [f"∂L/∂a{sup(l)} = {head}{rec.fmt(_grad(layer.a))}{note}", *_local(layer, rec, delta)]
    rec.add("delta", l, f"output δ{sup(l)} = ∂L/∂a{sup(l)} ⊙ f′(z{sup(l)})",
            f"{dL};  {f.derivative_text}", f"{formula_of(loss).derivative_latex};\\ {f.derivative_latex}",
            "\n".join(lines), delta)


def _local(layer: Layer, rec: Recorder, delta: np.ndarray) -> list[str]:
    """The activation's local derivative at zˡ: f′(zˡ), or its Jacobian for softmax."""
    assert layer.activation is not None
    l = layer.index
    if isinstance(layer.activation, Softmax | LogSoftmax):
        return [f"δ{sup(l)} = J_f(z{sup(l)})ᵀ·∂L/∂a{sup(l)} = {rec.fmt(delta)}  (a Jacobian)"]
    return [f"f′(z{sup(l)}) = {rec.fmt(derivative(layer.activation, layer.z.array))}",
            f"δ{sup(l)} = ∂L/∂a{sup(l)} ⊙ f′(z{sup(l)}) = {rec.fmt(delta)}"]


def _delta_hidden(layer: Layer, above: Layer, rec: Recorder) -> None:
    l, k = layer.index, layer.index + 1
    delta = _grad(layer.z)
    lines = [f"(W{sup(k)})ᵀ·δ{sup(k)} = {rec.mat(above.linear.weight.array)}ᵀ·{rec.fmt(_grad(above.z))}",
             f"   = {rec.fmt(_grad(above.a_in))}"]
    text, latex = f"δ{sup(l)} = (W{sup(k)})ᵀ·δ{sup(k)}", rf"\delta^{l} = (W^{k})^\top \delta^{k}"
    if layer.activation is not None:
        f = formula_of(layer.activation)
        lines += _local(layer, rec, delta)
        text, latex = f"{text} ⊙ f′(z{sup(l)});  {f.derivative_text}", rf"{latex} \odot f'(z^{l})"
    else:
        lines.append(f"δ{sup(l)} = (W{sup(k)})ᵀ·δ{sup(k)} = {rec.fmt(delta)}")
    rec.add("delta", l, f"layer {l}: δ{sup(l)} = ∂L/∂z{sup(l)}", text, latex, "\n".join(lines), delta)


def _parameter_grads(layer: Layer, grads: dict[str, np.ndarray], rec: Recorder) -> None:
    l, delta, a = layer.index, _grad(layer.z), layer.a_in.array
    dW = grads[layer.weight_name]
    batch = "Σ over the samples of " if a.shape[0] > 1 else ""
    product = f"{rec.fmt(delta)}ᵀ·{rec.fmt(a)}" if batch else f"{rec.fmt(delta)} ⊗ {rec.fmt(a)}"
    lines = [f"∂L/∂W{sup(l)} = {batch}δ{sup(l)}·(a{sup(l - 1)})ᵀ = {product}",
             f"   = {rec.mat(dW)}"]
    shown = {layer.weight_name: dW}
    if layer.bias_name is not None:
        shown[layer.bias_name] = grads[layer.bias_name]
        lines.append(f"∂L/∂b{sup(l)} = {batch}δ{sup(l)} = {rec.mat(grads[layer.bias_name])}")
    rec.add("grad", l, f"layer {l}: ∂L/∂W{sup(l)} and ∂L/∂b{sup(l)}", LINEAR_FORMULA.derivative_text,
            LINEAR_FORMULA.derivative_latex, "\n".join(lines), dW, shown)


def backward_steps(layers: list[Layer], loss: Module, note: str, grads: dict[str, np.ndarray],
                   rec: Recorder, plugged: tuple[str, str] | None = None) -> None:
    """Record δ for every layer from the output down, then ∂L/∂W and ∂L/∂b of each layer.

    Args:
        note: shown after ∂L/∂ŷ, the 1/N it holds and which N (``divisor_note``); "" for none.
        grads: ∂(data loss)/∂θ by parameter name, from the engine.
        plugged: the loss's ∂L/∂ŷ with the numbers plugged in and its own note on N, shown before
            the engine's value (GaussianNLLLoss), in place of ``note``; None shows the value alone.
    """
    _delta_last(layers[-1], loss, note, rec, plugged)
    for layer, above in zip(reversed(layers[:-1]), reversed(layers[1:]), strict=True):
        _delta_hidden(layer, above, rec)
    for layer in reversed(layers):
        _parameter_grads(layer, grads, rec)
