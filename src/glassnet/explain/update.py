"""Regularization terms and the optimizer's update, each computed by the real component on a copy.

The user's model and optimizer are never touched: a penalty's gradient comes from ``backward()``
on a deep copy of the model, and the update from a real ``step()`` of a twin optimizer (same
class, same options, state loaded with ``load_state_dict``) over a copy of the model.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.explain.forward import Layer, Recorder, formula_of
from glassnet.explain.numbers import sup
from glassnet.nn.module import Module
from glassnet.optim import rules
from glassnet.optim.optimizer import Optimizer
from glassnet.regularizers.penalties import Regularizer

__all__ = ["optimizer_steps", "regularizer_steps", "symbols"]

_SYMBOLS = {"momentum_buffer": "b", "exp_avg": "m", "exp_avg_sq": "v", "step": "t", "square_avg": "v",
            "max_exp_avg_sq": "v_max", "grad_avg": "ḡ", "sum": "s", "exp_inf": "u"}  # fmt: skip


def symbols(layers: Sequence[Layer]) -> dict[str, str]:
    """Parameter name → its symbol in the derivation, e.g. ``{"0.weight": "W¹", "0.bias": "b¹"}``."""
    names = {layer.weight_name: f"W{sup(layer.index)}" for layer in layers}
    return names | {layer.bias_name: f"b{sup(layer.index)}" for layer in layers if layer.bias_name}


def _grads_of(model: Module) -> dict[str, np.ndarray]:
    return {name: p.grad_array for name, p in model.named_parameters() if p.grad_array is not None}


def regularizer_steps(model: Module, regularizers: Sequence[Regularizer], terms: Sequence[Tensor],
                      names: dict[str, str], rec: Recorder) -> list[dict[str, np.ndarray]]:
    """Record each penalty R(W) and its gradient ∂R/∂W (``backward()`` of R alone on a copy)."""
    found = []
    for i, (r, term) in enumerate(zip(regularizers, terms, strict=True), start=1):
        twin = copy.deepcopy(model)
        twin.zero_grad()
        if term.requires_grad:
            r(twin).backward()
        grads = _grads_of(twin)
        f = formula_of(r)
        lines = [f"R{i} = {r!r} = {rec.num(term.item())}",
                 *(f"∂R{i}/∂{names[k]} = {rec.mat(g)}" for k, g in grads.items())]
        rec.add("regularizer", None, f"penalty R{i}: {f.name}", f"{f.text};  {f.derivative_text}",
                rf"{f.latex},\quad {f.derivative_latex}", "\n".join(lines), term.array, grads)
        found.append(grads)
    return found


def total_steps(data: dict[str, np.ndarray], penalties: Sequence[dict[str, np.ndarray]],
                total: dict[str, np.ndarray], names: dict[str, str], rec: Recorder) -> None:
    """Record ∂(L + ΣR)/∂θ for every parameter: the gradient the optimizer receives."""
    for name, g in total.items():
        parts = [rec.mat(data[name]), *(rec.mat(p[name]) for p in penalties if name in p)]
        rec.add("total", None, f"∂(L + ΣR)/∂{names[name]} ({name})", "∂(L + ΣR)/∂θ = ∂L/∂θ + Σ ∂R/∂θ",
                r"\frac{\partial (L + \sum R)}{\partial \theta}", f"{' + '.join(parts)}\n   = {rec.mat(g)}",
                g, {name: g})


def _twin(model: Module, optimizer: Optimizer) -> tuple[Module, Optimizer]:
    """A copy of the model and an optimizer of the same class, options and state over the copy."""
    twin = copy.deepcopy(model)
    twin.zero_grad()
    by_id = {id(p): name for name, p in model.named_parameters()}
    params = dict(twin.named_parameters())
    groups: list[dict[str, Any]] = []
    for group in optimizer.param_groups:
        missing = [p for p in group["params"] if id(p) not in by_id]
        if missing:
            raise GlassnetError(f"the optimizer holds {len(missing)} parameter(s) that are not in the "
                                "model; build it with model.parameters() of the model you explain")
        options = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
        groups.append(options | {"params": [params[by_id[id(p)]] for p in group["params"]]})
    twin_opt = type(optimizer)(groups)  # type: ignore[call-arg]  # subclasses take (params, **options)
    twin_opt.load_state_dict(optimizer.state_dict())
    return twin, twin_opt


def _state_lines(state: dict[str, Any], group: dict[str, Any],
                 rec: Recorder) -> tuple[list[str], dict[str, Any]]:
    lines, shown = [], {}
    for key, value in state.items():
        label = f"{_SYMBOLS[key]} ({key})" if key in _SYMBOLS else key
        lines.append(f"{label} = {rec.mat(value) if isinstance(value, np.ndarray) else value}")
        shown[key] = np.asarray(value)
    if {"exp_avg", "exp_avg_sq", "step"} <= state.keys() and "betas" in group:
        (beta1, beta2), t = group["betas"], int(state["step"])
        m_hat = state["exp_avg"] / rules.bias_correction(beta1, t)  # m̂ = m / (1 − β₁ᵗ)
        v_hat = state["exp_avg_sq"] / rules.bias_correction(beta2, t)  # v̂ = v / (1 − β₂ᵗ)
        lines += [f"m̂ = m / (1 − β₁ᵗ) = {rec.mat(m_hat)}", f"v̂ = v / (1 − β₂ᵗ) = {rec.mat(v_hat)}"]
        shown |= {"m_hat": m_hat, "v_hat": v_hat}
    return lines, shown


def optimizer_steps(model: Module, optimizer: Optimizer, total: dict[str, np.ndarray],
                    names: dict[str, str], rec: Recorder) -> None:
    """Record θ ← θ − lr·u for every parameter, with the optimizer's state after the real step."""
    twin, twin_opt = _twin(model, optimizer)
    params = dict(twin.named_parameters())
    before = {name: p.array.copy() for name, p in params.items()}
    for name, p in params.items():
        p.grad_array = None if name not in total else total[name].copy()
    twin_opt.step()
    f = formula_of(optimizer)
    options = {id(p): g for g in twin_opt.param_groups for p in g["params"]}
    for name, p in params.items():
        if p not in twin_opt.state:
            continue
        group = options[id(p)]
        lines, shown = _state_lines(twin_opt.state[p], group, rec)
        step = before[name] - p.array  # lr·u, as the real step took it
        lines = [f"g = {rec.mat(total[name])}", *lines,
                 f"lr·u = θ − θ_new = {rec.mat(step)}  (lr = {group['lr']})",
                 f"θ_new = {rec.mat(before[name])} − {rec.mat(step)}", f"   = {rec.mat(p.array)}"]
        rec.add("update", None, f"update {names[name]} ({name}) with {f.name}",
                f"{f.text};  {f.derivative_text}", rf"{f.latex},\quad {f.derivative_latex}",
                "\n".join(lines), p.array.copy(), shown | {"g": total[name], "lr_u": step})
