"""Explain one neuron or one weight: glassnet.explain's walkthrough of the current model on one sample,
cut down to the steps and lines that concern it, in the walkthrough's own notation and numbers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.explain.numbers import format_number, sub, sup
from glassnet.explain.step import Step
from glassnet.explain.walkthrough import Walkthrough, explain
from glassnet.playground.session import Session

__all__ = ["explain_target"]


def _int(value: Any, what: str, n: int, first: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not first <= value < n + first:
        raise GlassnetError(f"explain: {what} must be a whole number from {first} to {n + first - 1}, "
                            f"got {value!r}")
    return value


def _lines(text: str, prefixes: tuple[str, ...]) -> list[str]:
    """The lines that start with one of the prefixes, with their continuation lines; all if none does."""
    kept, keeping = [], False
    for line in text.splitlines():
        if line.startswith(prefixes):
            keeping = True
        elif not line.startswith(" "):
            keeping = False
        if keeping:
            kept.append(line)
    return kept or text.splitlines()


def _section(step: Step, text: list[str], extra: list[str] | None = None) -> dict[str, Any]:
    return {"title": step.title, "latex": [step.formula_latex] if step.formula_latex else [],
            "text": [*text, *(extra or [])]}


def _one(walk: Walkthrough, kind: str, layer: int) -> Step | None:
    found = walk.find(kind, layer)
    return found[0] if found else None


def _update(walk: Walkthrough, name: str) -> Step | None:
    """The update step of the parameter with this dotted name (its title names it)."""
    return next((s for s in walk.find("update") if f"({name})" in s.title), None)


def _element_line(step: Step, label: str, index: tuple[int, ...], digits: int) -> list[str]:
    """Each of the step's arrays at one parameter element (g, u, the optimizer's buffers), on one line."""
    values = [f"{key} = {format_number(float(a[index]), digits)}" for key, a in step.grads.items()
              if a.ndim == len(index)]
    return [f"{label}: " + ", ".join(values)] if values else []


def _neuron(walk: Walkthrough, session: Session, l: int, j: int) -> list[dict[str, Any]]:
    n_layers, digits = len(session.linears()), walk.digits
    name = f"{sup(l)}{sub(j + 1)}"
    sections = []
    linear = _one(walk, "linear", l)
    if linear is not None:
        sections.append(_section(linear, _lines(linear.substituted, (f"z{name} =",))))
    for step in walk.find("activation", l):
        sections.append(_section(step, step.substituted.splitlines(),
                                 [f"a{name} = {format_number(float(step.value[0, j]), digits)}"]))
    if l == n_layers:
        sections += [_section(s, s.substituted.splitlines()) for s in walk.find("loss")]
    delta = _one(walk, "delta", l)
    if delta is not None:
        sections.append(_section(delta, delta.substituted.splitlines(),
                                 [f"δ{name} = {format_number(float(delta.value[0, j]), digits)}"]))
    grad = _one(walk, "grad", l)
    if grad is not None:
        rows = (f"∂L/∂W{sup(l)}{sub(j + 1)},", f"∂L/∂b{sup(l)}")
        sections.append(_section(grad, _lines(grad.substituted, rows)))
    bias = session.linears()[l - 1][0] + ".bias"
    update = _update(walk, bias)
    if update is not None:
        sections.append(_section(update, update.substituted.splitlines(),
                                 _element_line(update, f"b{name}", (j,), digits)))
    return sections


def _link(walk: Walkthrough, session: Session, l: int, i: int, j: int) -> list[dict[str, Any]]:
    digits, sections = walk.digits, []
    linear = _one(walk, "linear", l)
    if linear is not None:
        sections.append(_section(linear, _lines(linear.substituted, (f"z{sup(l)}{sub(i + 1)} =",))))
    delta = _one(walk, "delta", l)
    if delta is not None:
        sections.append(_section(delta, delta.substituted.splitlines()))
    grad = _one(walk, "grad", l)
    if grad is not None:
        sections.append(_section(grad, _lines(grad.substituted, (f"∂L/∂W{sup(l)}{sub(i + 1, j + 1)} =",))))
    weight = session.linears()[l - 1][0] + ".weight"
    update = _update(walk, weight)
    if update is not None:
        sections.append(_section(update, update.substituted.splitlines(),
                                 _element_line(update, f"W{sup(l)}{sub(i + 1, j + 1)}", (i, j), digits)))
    return sections


def explain_target(session: Session, target: Any, sample: Any) -> dict[str, Any]:
    """The walkthrough of one training step on training sample ``sample``, for a neuron or a link.

    Args:
        target: ``{"kind": "neuron", "layer": l, "index": j}`` or ``{"kind": "link", "layer": l,
            "row": i, "col": j}``; l counts the Linear layers from 1, i and j from 0.
        sample: the index of a training point.
    """
    if not isinstance(target, Mapping) or target.get("kind") not in ("neuron", "link"):
        raise GlassnetError("explain: 'target' must be {\"kind\": \"neuron\" or \"link\", ...}, "
                            f"got {target!r}")
    k = _int(sample, "'sample' (a training point)", len(session.X_train))
    linears = session.linears()
    l = _int(target.get("layer"), "'layer'", len(linears), first=1)
    W = linears[l - 1][1].weight
    if target["kind"] == "neuron":
        j = _int(target.get("index"), "'index'", W.shape[0])
    else:
        i, j = _int(target.get("row"), "'row'", W.shape[0]), _int(target.get("col"), "'col'", W.shape[1])
    model = session.model
    model.eval()  # dropout off: the walkthrough derives the network as it predicts
    try:
        walk = explain(model, session.X_train[k], session.y_train[k], session.loss, session.optimizer,
                       session.penalty, max_items=None)
    finally:
        model.train()
    if target["kind"] == "neuron":
        title, sections = f"neuron {j + 1} of layer {l}", _neuron(walk, session, l, j)
    else:
        title = f"weight W{sup(l)}{sub(i + 1, j + 1)}: input {j + 1} → neuron {i + 1} of layer {l}"
        sections = _link(walk, session, l, i, j)
    return {"title": title, "loss": walk.loss if math.isfinite(walk.loss) else None,
            "sample": {"index": k, "x": session.X_train[k].astype(float).tolist(),
                       "y": np.asarray(session.y_train[k]).tolist()},
            "sections": sections}
