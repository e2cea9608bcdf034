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
from glassnet.report.plots import Figure
from glassnet.report.record import RunRecord
from glassnet.report.svg import PALETTE, esc, fmt

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
                   "the whole model: far below 1 means vanishing gradients, far above exploding."),
    "update_ratio": ("Update/weight ratio per layer", "‖ΔW‖ / ‖W‖", None,
                     "Size of the epoch's last optimizer step relative to the weights; about 1e-3 "
                     "is healthy."),
    "loss_ratio": ("Loss over the best earlier loss", "ratio", False,
                   "The epoch's loss over the lowest loss of the epochs before: a jump is a loss spike."),
}
_COLUMNS = ("epoch", "layer", "what", "value", "threshold", "reason", "fix", "formula")


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


def _label(key: str) -> str:
    """A line's legend: the layer it measures, or the whole model."""
    layer = key.split("/", 2)[2] if key.count("/") >= 2 else ""
    return f"layer {layer}" if layer else "whole model"


def diagnostic_figures(run: RunRecord) -> list[Figure]:
    """One line chart per diagnostic family in the run's history, one line per layer."""
    figures = []
    for family, keys in diagnostic_families(run.history).items():
        title, ylabel, log, caption = _FAMILIES.get(family, (f"Diagnostic: {family}", family, None, ""))
        lines = [Series(_label(k), run.epochs, run.history[k], PALETTE[i % len(PALETTE)])
                 for i, k in enumerate(keys)]
        name = f"diag_{family}"
        figures.append(Figure(name, line_chart(name, title, lines, ylabel=ylabel, log_y=log), caption))
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


def _row(warning: Mapping[str, Any]) -> str:
    layer = str(warning.get("layer", "") or "whole model")
    cells = [_epoch(warning.get("epoch", "")), layer, str(warning.get("name", "")),
             _number(warning.get("value", "")), _number(warning.get("threshold", "")),
             str(warning.get("reason", "")), str(warning.get("fix", "")), str(warning.get("formula", ""))]
    classes = ("num", "", "", "num", "num", "", "", "details")
    tds = [f'<td class="{c}">{esc(v)}</td>' if c else f"<td>{esc(v)}</td>"
           for c, v in zip(classes, cells, strict=True)]
    return f'<tr class="warning" data-diagnostic="{esc(warning.get("name", ""))}">' + "".join(tds) + "</tr>"


def warning_table(warnings: Sequence[Mapping[str, Any]]) -> str:
    """The warnings as an HTML table (epoch, layer, what, value, threshold, reason, fix, formula).

    >>> html = warning_table([{"name": "dead_relu", "epoch": 2, "layer": "1", "value": 0.625,
    ...                        "threshold": 0.5, "formula": "dead = …", "reason": "<b>dead</b>",
    ...                        "fix": "lower the learning rate"}])
    >>> '<td class="num">3</td>' in html, "&lt;b&gt;dead&lt;/b&gt;" in html
    (True, True)
    """
    head = "".join(f"<th>{esc(c)}</th>" for c in _COLUMNS)
    rows = "".join(_row(w) for w in warnings)
    return f'<table class="warnings"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
