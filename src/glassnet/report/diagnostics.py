"""The report's Diagnostics section: the warnings of a run as a table, and a chart per diagnostic.

``fit`` logs ``diag/<family>/<layer>`` (and whole-model ``diag/<family>``) values each epoch and
saves each threshold crossing as a warning (see ``glassnet.train.diagnostics``). Here each family
present in the history becomes one line chart, ``data-plot="diag_<family>"`` with one line per
layer, and the warnings become a table. Every string from the file is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from glassnet.report.charts import Series, line_chart
from glassnet.report.layers import WHOLE_MODEL_COLOR, layer_color, layer_numbers, parameter_label
from glassnet.report.plots import Figure, best_epoch_mark
from glassnet.report.record import RunRecord
from glassnet.report.svg import esc, fmt

__all__ = ["diagnostic_figures", "warning_table"]

# family: (title, y label, log scale (None: when the values span decades), caption)
_FAMILIES: dict[str, tuple[str, str, bool | None, str]] = {
    "dead_relu": ("Dead ReLU units per layer", "fraction dead", False,
                  "Fraction of each ReLU's units that output 0 for every probe sample."),
    "saturated": ("Saturated sigmoid/tanh units per layer", "fraction saturated", False,
                  "Fraction of each Sigmoid's or Tanh's units saturated (σ outside (0.01, 0.99), "
                  "|tanh| > 0.99) for more than half of the probe samples."),
    "grad_ratio": ("Gradient-norm ratios", "ratio", None,
                   "‖∂L/∂Wˡ‖ / ‖∂L/∂Wˡ⁺¹‖ between consecutive weight matrices, and first over last for "
                   "the whole model (dashed; with two layers it is layer 1's line): far below 1 means "
                   "vanishing gradients, far above exploding."),
    "update_ratio": ("Update/weight ratio per layer", "‖ΔW‖ / ‖W‖", None,
                     "Size of the epoch's last optimizer step relative to the weights; about 1e-3 "
                     "is healthy."),
    "loss_ratio": ("Loss over the best earlier loss", "ratio", False,
                   "The epoch's loss over the lowest loss of the epochs before: a jump is a loss spike."),
}
_FRACTIONS = {"dead_relu", "saturated"}
_COLUMNS = ("epoch", "layer", "what", "value", "threshold", "why, and the fix")


def diagnostic_families(history: Mapping[str, Sequence[float]]) -> dict[str, list[str]]:
    """The ``diag/...`` keys of a history grouped by family, in the order they first appear.

    >>> diagnostic_families({"loss": [1.0], "diag/dead_relu/1": [0.0], "diag/grad_ratio": [1.0],
    ...                      "diag/grad_ratio/0": [2.0]})
    {'dead_relu': ['diag/dead_relu/1'], 'grad_ratio': ['diag/grad_ratio', 'diag/grad_ratio/0']}
    """
    families: dict[str, list[str]] = {}
    for key in history:
        parts = key.split("/", 2)
        if parts[0] == "diag" and len(parts) > 1 and parts[1]:
            families.setdefault(parts[1], []).append(key)
    return families


def _layer_line(family: str, layer: str, run: RunRecord, numbers: dict[str, int]) -> tuple[int, str]:
    """(layer number, legend label) of one layer's line, numbered as explain numbers layers."""
    number = numbers.get(layer)
    if number is None:
        return 10**6, f"layer {layer}"  # a name the model does not have: after the known layers
    if family == "grad_ratio":  # ‖∂L/∂Wˡ‖ / ‖∂L/∂Wˡ⁺¹‖, stored under layer l's name
        return number, f"layer {number} / layer {number + 1}"
    if family == "update_ratio":
        return number, parameter_label(f"{layer}.weight", numbers)
    modules = dict(run.model.named_modules())
    kind = type(modules[layer]).__name__ if layer in modules else ""
    return number, f"layer {number} {kind} ({layer})" if kind else f"layer {number} ({layer})"


def _lines(family: str, keys: Sequence[str], run: RunRecord) -> list[Series]:
    """One line per layer in layer order, each in its layer's colour; the whole model last, on top,
    dashed and in a colour no layer has."""
    numbers = layer_numbers(run.model)
    layers = []
    for key in keys:
        if key.count("/") >= 2:
            number, label = _layer_line(family, key.split("/", 2)[2], run, numbers)
            layers.append((number, label, key))
    lines = [Series(label, run.epochs, run.history[key], layer_color(number))
             for number, label, key in sorted(layers, key=lambda item: item[0])]
    return lines + [Series("whole model", run.epochs, run.history[k], WHOLE_MODEL_COLOR, dashed=True)
                    for k in keys if k.count("/") < 2]


def diagnostic_figures(run: RunRecord) -> list[Figure]:
    """One line chart per diagnostic family in the run's history, one line per layer."""
    figures = []
    for family, keys in diagnostic_families(run.history).items():
        title, ylabel, log, caption = _FAMILIES.get(family, (f"Diagnostic: {family}", family, None, ""))
        fraction = (0.0, 1.0) if family in _FRACTIONS else None
        name = f"diag_{family}"
        figures.append(Figure(name, line_chart(name, title, _lines(family, keys, run), ylabel=ylabel,
                                               log_y=log, y_range=fraction, mark=best_epoch_mark(run)),
                              caption))
    return figures


def _number(value: Any) -> str:
    """A warning's value or threshold, short; anything that is not a number as it is."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return fmt(number) if math.isfinite(number) else str(number)


def _epoch(value: Any) -> str:
    """The 1-based epoch the charts use (warnings store it from 0)."""
    try:
        return str(int(value) + 1)
    except (TypeError, ValueError):
        return str(value)


def _row(warning: Mapping[str, Any], numbers: Mapping[str, int]) -> str:
    layer = str(warning.get("layer", "") or "")
    layer = f"{numbers[layer]} ({layer})" if layer in numbers else layer or "whole model"
    cells = [_epoch(warning.get("epoch", "")), layer, str(warning.get("name", "")),
             _number(warning.get("value", "")), _number(warning.get("threshold", ""))]
    classes = ("num", "", "", "num", "num")
    tds = [f'<td class="{c}">{esc(v)}</td>' if c else f"<td>{esc(v)}</td>"
           for c, v in zip(classes, cells, strict=True)]
    why = (f'{esc(warning.get("reason", ""))}<div class="fix">Fix: {esc(warning.get("fix", ""))}</div>'
           f'<div class="details">{esc(warning.get("formula", ""))}</div>')  # one wide cell: reads on a phone
    return (f'<tr class="warning" data-diagnostic="{esc(warning.get("name", ""))}">' + "".join(tds)
            + f'<td class="why">{why}</td></tr>')


def warning_table(warnings: Sequence[Mapping[str, Any]], numbers: Mapping[str, int] | None = None) -> str:
    """The warnings as an HTML table: epoch, layer, what, value, threshold, then the reason, the fix
    and the formula in one cell.

    ``numbers`` maps the modules' names to the report's layer numbers (``layers.layer_numbers``);
    a warning's layer is shown as ``number (name)``.

    >>> html = warning_table([{"name": "dead_relu", "epoch": 2, "layer": "1", "value": 0.625,
    ...                        "threshold": 0.5, "formula": "dead = …", "reason": "<b>dead</b>",
    ...                        "fix": "lower the learning rate"}])
    >>> '<td class="num">3</td>' in html, "&lt;b&gt;dead&lt;/b&gt;" in html
    (True, True)
    """
    head = "".join(f"<th>{esc(c)}</th>" for c in _COLUMNS)
    rows = "".join(_row(w, numbers or {}) for w in warnings)
    return f'<table class="warnings"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
