"""Regularization terms and the optimizer's update, each computed by the real component on a copy.

The user's model and optimizer are never touched: a penalty's gradient comes from ``backward()``
on a deep copy of the model, and the update from a twin optimizer (same class, same options, state
loaded with ``load_state_dict``) over a copy of the model: its direction u from
``Optimizer.directions()`` (the optimizer's own rule on copies of its state), then a real
``step()`` for θ_new. η·u is shown computed forwards, in float64, from that u.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.explain.norms import symbol
from glassnet.explain.numbers import chain, sub, sup
from glassnet.explain.record import Layer, Recorder, Stage, formula_of, settings_of, signed
from glassnet.nn.module import Module
from glassnet.optim import rules
from glassnet.optim.optimizer import Optimizer
from glassnet.regularizers.penalties import Regularizer, weights_of

__all__ = ["optimizer_steps", "regularizer_steps", "symbols"]

_SYMBOLS = {"momentum_buffer": "B", "exp_avg": "m", "exp_avg_sq": "v", "step": "t", "square_avg": "v",
            "max_exp_avg_sq": "v_max", "grad_avg": "ḡ", "sum": "S", "exp_inf": "v∞"}  # fmt: skip


def symbols(layers: Sequence[Layer], before: Sequence[Stage] = ()) -> dict[str, str]:
    """Parameter name → its symbol in the derivation, e.g. ``{"0.weight": "W¹", "0.bias": "b¹"}``.

    A normalization's Wₕˡ and bₕˡ, an Embedding's table W⁰.
    """
    names = {layer.weight_name: f"W{sup(layer.index)}" for layer in layers}
    names |= {layer.bias_name: f"b{sup(layer.index)}" for layer in layers if layer.bias_name}
    after = [(s, layer.index) for layer in layers for s in layer.stages]
    for stage, l in [(stage, None) for stage in before] + after:
        names |= {name: symbol(stage.module, attr, l) for attr, name in stage.names.items()}
    return names


def _grads_of(model: Module) -> dict[str, np.ndarray]:
    return {name: p.grad_array for name, p in model.named_parameters() if p.grad_array is not None}


def _penalty_lines(i: int, r: Regularizer, term: Tensor, weights: dict[str, np.ndarray],
                   grads: dict[str, np.ndarray], names: dict[str, str], rec: Recorder) -> list[str]:
    """R = Σ of the formula's summand over every penalised weight, and ∂R/∂θ entry by entry."""
    f, settings = formula_of(r), settings_of(r)
    lines = [f"R{sub(i)} = {r!r} over {', '.join(names[k] for k in weights)}"]
    if f.plug:
        flat = np.concatenate([w.reshape(-1) for w in weights.values()]) if weights else np.zeros(0)
        k = len(flat) if rec.max_items is None else min(len(flat), 2 * rec.max_items)
        terms = [f.plug.format(**{n: signed(rec.num(v)) for n, v in settings.items()}, t=signed(rec.num(x)))
                 for x in flat[:k]]
        more = f" + … ({len(flat)} terms)" if k < len(flat) else ""
        lines += chain(f"R{sub(i)}", " + ".join(terms) + more,
                       rec.num(term.item()), indent="")
    else:
        lines.append(f"R{sub(i)} = {rec.num(term.item())}")
    for name, g in grads.items():
        plugged = [rec.elements(f.derivative_plug, False, **settings, t=weights[name])] \
            if f.derivative_plug and name in weights else []
        lines += chain(f"∂R{sub(i)}/∂{names[name]}", *plugged, rec.mat(g, samples=False), indent="")
    return lines


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
        weights = {name: p.array for name, p in twin.named_parameters()
                   if any(p is w for w in weights_of(twin, r.include_bias))}
        f = formula_of(r)
        rec.add("regularizer", None, f"penalty R{sub(i)}: {f.name}", f"{f.text};  {f.derivative_text}",
                rf"{f.latex},\quad {f.derivative_latex}",
                "\n".join(_penalty_lines(i, r, term, weights, grads, names, rec)), term.array, grads)
        found.append(grads)
    return found


def total_steps(data: dict[str, np.ndarray], penalties: Sequence[dict[str, np.ndarray]],
                total: dict[str, np.ndarray], names: dict[str, str], rec: Recorder) -> None:
    """Record ∂L_total/∂θ = ∂L/∂θ + Σ ∂R/∂θ for every parameter: the gradient the optimizer receives."""
    for name, g in total.items():
        parts = {"d": data[name]} | {f"r{i}": p[name] for i, p in enumerate(penalties) if name in p}
        symbol = names[name]
        text = " + ".join([f"∂L/∂{symbol}", *(f"∂R{sub(i + 1)}/∂{symbol}" for i, p in enumerate(penalties)
                                                if name in p)])
        template = " + ".join("{" + k + "}" for k in parts)
        plugged = [rec.elements(template, False, **parts)] if len(parts) > 1 else []
        rec.add("total", None, f"∂L_total/∂{symbol} ({name})", "∂L_total/∂θ = ∂L/∂θ + Σ ∂R/∂θ",
                r"\frac{\partial L_{\mathrm{total}}}{\partial \theta} = \frac{\partial L}{\partial \theta} + "
                r"\sum \frac{\partial R}{\partial \theta}",
                "\n".join(chain(f"∂L_total/∂{symbol} = {text}", *plugged, rec.mat(g, samples=False),
                                 indent="")),
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


_OPTIONS = {"lr": "η", "momentum": "μ", "dampening": "τ", "weight_decay": "λ", "betas": "(β₁, β₂)",
            "eps": "ε", "alpha": "β₂", "momentum_decay": "ψ"}  # fmt: skip


def settings_line(name: str, group: dict[str, Any]) -> str:
    """An optimizer's settings with their symbols, e.g. ``SGD: η = 0.5, μ = 0, τ = 0, λ = 0``."""
    parts = [f"{_OPTIONS[k]} = {v}" if k in _OPTIONS else f"{k} = {v}"
             for k, v in group.items() if k not in ("params", "param_names")]
    return f"{name}: " + ", ".join(parts)


def _state_lines(state: dict[str, Any], before: dict[str, Any], group: dict[str, Any], g: np.ndarray,
                 rec: Recorder) -> tuple[list[str], dict[str, Any]]:
    """The optimizer's buffers after the step, the moments' updates multiplied out (first elements)."""
    lines, shown = [], {}
    first = "step" not in before or not before  # the buffers start here
    for key, value in state.items():
        symbol = _SYMBOLS.get(key, key)
        shown[key] = np.asarray(value)
        if not isinstance(value, np.ndarray):
            lines.append(f"{symbol} ({key}) = {value}")
            continue
        previous = before.get(key, np.zeros_like(value))
        terms = []
        if key == "exp_avg" and "betas" in group:
            b1 = group["betas"][0]
            plug = f"{b1}·{{m}} + {rec.num(1 - b1)}·{{g}}"
            terms = ["β₁·m + (1 − β₁)·g", rec.elements(plug, False, m=previous, g=g)]
        elif key == "exp_avg_sq" and "betas" in group:
            b2 = group["betas"][1]
            plug = f"{b2}·{{v}} + {rec.num(1 - b2)}·{{g}}²"
            terms = ["β₂·v + (1 − β₂)·g²", rec.elements(plug, False, v=previous, g=g)]
        elif key == "momentum_buffer" and first:
            terms = ["g (the first step)"]
        elif key == "momentum_buffer":
            mu, tau = group.get("momentum", 0), group.get("dampening", 0)
            plug = f"{mu}·{{b}} + {rec.num(1 - tau)}·{{g}}"
            terms = ["μ·B + (1 − τ)·g", rec.elements(plug, False, b=previous, g=g)]
        lines += chain(f"{symbol} ({key})", *terms, rec.mat(value, samples=False), indent="")
    if {"exp_avg", "exp_avg_sq", "step"} <= state.keys() and "betas" in group:
        (beta1, beta2), t = group["betas"], int(state["step"])
        c1, c2 = rules.bias_correction(beta1, t), rules.bias_correction(beta2, t)
        m_hat, v_hat = state["exp_avg"] / c1, state["exp_avg_sq"] / c2  # m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
        m_plug = rec.elements(f"{{m}} / {rec.num(c1)}", False, m=state["exp_avg"])
        v_plug = rec.elements(f"{{v}} / {rec.num(c2)}", False, v=state["exp_avg_sq"])
        lines += [*chain("m̂ = m / (1 − β₁ᵗ)", m_plug, rec.mat(m_hat, samples=False), indent=""),
                  *chain("v̂ = v / (1 − β₂ᵗ)", v_plug, rec.mat(v_hat, samples=False), indent="")]
        shown |= {"m_hat": m_hat, "v_hat": v_hat}
    return lines, shown


def _direction(optimizer: str, group: dict[str, Any], shown: dict[str, Any], g: np.ndarray, theta: np.ndarray,
               rec: Recorder) -> list[str]:
    """u written out for SGD and Adam (u = g [+ λθ], B, g + μ·B; m̂ / (√v̂ + ε)); [] for the other rules."""
    decay = group.get("weight_decay", 0)
    if optimizer == "SGD":
        if "momentum_buffer" in shown:
            if group.get("nesterov"):
                plug = f"{{g}} + {group['momentum']}·{{b}}"
                return ["g + μ·B", rec.elements(plug, False, g=g, b=shown["momentum_buffer"])]
            return ["B"]
        if decay:
            return ["g + λ·θ", rec.elements(f"{{g}} + {decay}·{{t}}", False, g=g, t=theta)]
        return ["g"]
    if optimizer == "Adam" and not decay and not group.get("amsgrad") and "m_hat" in shown:
        return ["m̂ / (√v̂ + ε)", rec.elements(f"{{m}} / (√{{v}} + {group['eps']})", False, m=shown["m_hat"],
                                             v=shown["v_hat"])]
    return []


def _digits(theta: np.ndarray, step: np.ndarray, digits: int) -> int:
    """Enough significant digits that θ and θ − η·u differ where the step is not lost to rounding."""
    size, change = float(np.max(np.abs(theta), initial=0.0)), float(np.max(np.abs(step), initial=0.0))
    if change == 0 or size == 0:
        return digits
    return int(min(17, digits + max(0, np.ceil(np.log10(size / change)))))


def _update_lines(name: str, symbol: str, theta: np.ndarray, theta_new: np.ndarray, u: np.ndarray,
                  lr: float, rec: Recorder) -> tuple[list[str], np.ndarray]:
    """η·u and θ_new = θ − η·u, at enough digits to show the change; the float32 rounding noted."""
    step = lr * np.asarray(u, dtype=np.float64)  # η·u, in float64 from the rule's u
    d = _digits(theta, step, rec.digits)
    difference = Recorder(d, rec.max_items).elements("{t} − {s}", False, t=theta, s=step)  # θ at d digits
    lines = [*chain("η·u", rec.elements(f"{lr}·{{u}}", False, u=u), rec.mat(step, samples=False), indent=""),
             *chain(f"θ_new = {symbol} − η·u", difference,
                    rec.mat(theta_new, d, samples=False), indent="")]
    if theta_new.dtype != np.float64:
        exact = theta.astype(np.float64) - step
        if not np.array_equal(exact, theta_new.astype(np.float64)):
            lines.append(f"  ({theta_new.dtype}: θ_new is θ − η·u rounded to {theta_new.dtype}, "
                         f"off by up to {rec.num(float(np.max(np.abs(exact - theta_new))))})")
    return lines, step


def optimizer_steps(model: Module, optimizer: Optimizer, total: dict[str, np.ndarray],
                    names: dict[str, str], rec: Recorder) -> None:
    """Record θ_new = θ − η·u for every parameter: g, the optimizer's buffers, u by its own rule, η·u."""
    twin, twin_opt = _twin(model, optimizer)
    params = dict(twin.named_parameters())
    before = {name: p.array.copy() for name, p in params.items()}
    for name, p in params.items():
        p.grad_array = None if name not in total else total[name].copy()
    state_before = {p: {k: _copy(v) for k, v in twin_opt.state.get(p, {}).items()} for p in params.values()}
    directions = twin_opt.directions()  # u of each parameter, by the optimizer's own rule
    twin_opt.step()
    f = formula_of(optimizer)
    options = {id(p): g for g in twin_opt.param_groups for p in g["params"]}
    for name, p in params.items():
        if p not in twin_opt.state and p not in directions:
            continue
        group, g = options[id(p)], total[name]
        lines, shown = _state_lines(twin_opt.state.get(p, {}), state_before[p], group, g, rec)
        u = directions[p]
        plugged = _direction(type(optimizer).__name__, group, shown, g, before[name], rec)
        more, step = _update_lines(name, names[name], before[name], p.array, u, group["lr"], rec)
        lines = [settings_line(f.name, group),
                 *chain(f"g = ∂L_total/∂{names[name]}", rec.mat(g, samples=False), indent=""),
                 *lines, *chain("u", *plugged, rec.mat(u, samples=False), indent=""), *more]
        rec.add("update", None, f"update {names[name]} ({name}) with {f.name}",
                f"{f.text};  {f.derivative_text}", rf"{f.latex},\quad {f.derivative_latex}",
                "\n".join(lines), p.array.copy(), shown | {"g": g, "u": u, "lr_u": step})


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)
