"""The report's tables: the model's layers, the run's settings, its facts and its test scores."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from glassnet.io.architecture import module_to_config
from glassnet.nn.layers import Flatten, Linear
from glassnet.nn.module import Module
from glassnet.registry import Formula
from glassnet.report.layers import layer_numbers, parameter_symbol
from glassnet.report.record import RunRecord
from glassnet.report.svg import esc

__all__ = ["facts_list", "hyperparameter_table", "layer_rows", "metric_cards", "model_table", "score_text",
           "value_text"]


def value_text(value: Any) -> str:
    """A setting or score as short plain text (not yet escaped).

    >>> value_text(0.001), value_text([16, 16]), value_text(None), value_text(True), value_text(0.9375)
    ('0.001', '16, 16', '—', 'yes', '0.9375')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, np.ndarray):
        return value_text(value.tolist())
    if isinstance(value, Mapping):
        return json.dumps({str(k): v for k, v in value.items()}, default=str)
    return str(value)


def score_text(value: Any) -> str:
    """A final score with four decimals (significant digits when large or not a number).

    >>> score_text(1.0), score_text(0.93751), score_text(123456.0), score_text("n/a")
    ('1.0000', '0.9375', '1.235e+05', 'n/a')
    """
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
        return f"{number:.4f}" if abs(number) < 1e4 else f"{number:.4g}"
    return value_text(value)


def layer_rows(model: Module) -> list[tuple[str, str, str, int, str]]:
    """One row per layer: (name, type, output shape, parameter count, details).

    The shape follows the features through the Linear layers (``n`` is the batch); details are
    a Linear's formula (samples are rows of a, W has one row per neuron) and parameter shapes,
    or an activation's formula and arguments.

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 4, generator=0), gn.nn.ReLU())
    >>> [row[:4] for row in layer_rows(net)]
    [('0', 'Linear', '(n, 4)', 12), ('1', 'ReLU', '(n, 4)', 0)]
    """
    rows, features, numbers = [], _input_features(model), layer_numbers(model)
    for name, leaf in model.named_modules():
        if list(leaf.children()):
            continue
        if isinstance(leaf, Linear):
            features = leaf.out_features
        elif isinstance(leaf, Flatten):
            features = None
        shape = "—" if features is None else f"(n, {features})"
        rows.append((name or "0", type(leaf).__name__, shape, leaf.num_parameters(),
                     _details(leaf, name, numbers)))
    return rows


def _input_features(model: Module) -> int | None:
    first = next((m for m in model.modules() if isinstance(m, Linear | Flatten)), None)
    return first.in_features if isinstance(first, Linear) else None


def _details(leaf: Module, name: str, numbers: dict[str, int]) -> str:
    if isinstance(leaf, Linear):
        full = [f"{name}.{n}" if name else n for n, _ in leaf.named_parameters()]
        shapes = [f"{parameter_symbol(f, numbers)} = {f} {tuple(p.shape)}"
                  for f, (_, p) in zip(full, leaf.named_parameters(), strict=True)]
        return ("z = a·Wᵀ + b; " if leaf.bias is not None else "z = a·Wᵀ; ") + ", ".join(shapes)
    args = ", ".join(f"{k}={v}" for k, v in module_to_config(leaf).get("args", {}).items())
    formula = getattr(type(leaf), "formula", None)
    math_text = formula.text if isinstance(formula, Formula) else ""
    return "; ".join(part for part in (math_text, args) if part)


def model_table(model: Module) -> str:
    """The layers as an HTML table, with the input row, a chain line and the total count."""
    rows, numbers = layer_rows(model), layer_numbers(model)
    n_in = _input_features(model)
    shape = "—" if n_in is None else f"(n, {n_in})"
    body = [f'<tr class="input"><td></td><td>input</td><td class="num">{shape}</td><td></td><td></td></tr>']
    for name, kind, shape, count, details in rows:
        number = numbers.get(name, 0) or "input"
        body.append(f'<tr><td>{number} <span class="details">({esc(name)})</span></td>'
                    f"<td><strong>{esc(kind)}</strong></td>"
                    f'<td class="num">{esc(shape)}</td><td class="num">{count:,}</td>'
                    f'<td class="details">{esc(details)}</td></tr>')
    total = model.num_parameters()
    return (f'<p class="chain">{esc(_chain(rows, n_in))}</p>'
            '<table class="layers"><thead><tr><th>layer</th><th>module</th><th class="num">output shape</th>'
            '<th class="num">parameters</th><th>details</th></tr></thead><tbody>' + "".join(body)
            + f'</tbody><tfoot><tr><td></td><td>total</td><td></td><td class="num" id="total-parameters">'
              f"{total:,}</td><td>learnable scalars</td></tr></tfoot></table>")


def _chain(rows: Sequence[tuple[str, str, str, int, str]], n_in: int | None) -> str:
    """The architecture in one line, e.g. ``2 → Linear → 16 → Tanh → 16 → Linear → 3``."""
    parts = ["input" if n_in is None else str(n_in)]
    for _, kind, shape, _, _ in rows:
        parts.append(kind)
        size = shape.removeprefix("(n, ").removesuffix(")")
        if kind in ("Linear", "Flatten") and size != "—":
            parts.append(size)
    return " → ".join(parts)


def hyperparameter_table(hyperparameters: Mapping[str, Any]) -> str:
    """The run's settings as a two-column HTML table (or a note when none were saved)."""
    if not hyperparameters:
        return '<p class="note">No hyperparameters were saved with this model.</p>'
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(value_text(v))}</td></tr>"
                   for k, v in hyperparameters.items())
    return f'<table class="settings"><tbody>{rows}</tbody></table>'


def metric_cards(scores: Mapping[str, Any]) -> str:
    """Each final test metric as a card: the value large, the name small."""
    cards = [f'<div class="card"><div class="value" data-metric="{esc(k)}">{esc(score_text(v))}</div>'
             f'<div class="label">test {esc(k)}</div></div>' for k, v in scores.items()]
    return '<div class="cards">' + "".join(cards) + "</div>"


def facts_list(run: RunRecord) -> str:
    """Key facts of the run as a definition list: dataset, task, epochs, final losses, time."""
    h = run.history
    facts: list[tuple[str, str]] = [("dataset", run.dataset), ("task", run.task),
                                    ("epochs trained", str(len(run.epochs)))]
    if run.stop_reason:
        facts.append(("stopped", run.stop_reason))
    for key, label in (("data_loss", "final training loss"), ("val_loss", "final validation loss")):
        finite = [v for v in h.get(key, []) if math.isfinite(v)]
        if finite:
            facts.append((label, value_text(finite[-1])))
    if math.isfinite(run.total_time):
        facts.append(("training time", f"{run.total_time:.2f} s"))
    facts.append(("parameters", f"{run.model.num_parameters():,}"))
    if run.classes is not None:
        facts.append(("classes", value_text(run.classes)))
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    return f'<dl class="facts">{items}</dl>'
