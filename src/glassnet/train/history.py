"""History: what fit() recorded, one value per epoch for each quantity."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DiagnosticWarning", "History"]

HTML_ROWS = 12  # a longer History shows its first and last epochs in a notebook, with "…" between


@dataclass(frozen=True)
class DiagnosticWarning:
    """One threshold crossed by a training diagnostic (see ``glassnet.train.Diagnostics``).

    Args:
        name: which diagnostic, e.g. ``"dead_relu"``.
        epoch: the epoch it was measured after, from 0.
        layer: the module's dotted name in the model (e.g. ``"1"``), or ``""`` for the whole model.
        value: what was measured.
        threshold: the limit it crossed.
        formula: how ``value`` is computed, in plain text.
        reason: what happened, in plain language.
        fix: what to try.

    >>> w = DiagnosticWarning("loss_spike", 3, "", 2.5, 2.0, "r = L / min L", "the loss jumped",
    ...                       "lower the learning rate")
    >>> str(w)
    'the loss jumped: lower the learning rate'
    """

    name: str
    epoch: int
    layer: str
    value: float
    threshold: float
    formula: str
    reason: str
    fix: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers and strings, for ``History.to_dict``."""
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiagnosticWarning:
        """The inverse of ``to_dict``."""
        return cls(str(data["name"]), int(data["epoch"]), str(data["layer"]), float(data["value"]),
                   float(data["threshold"]), str(data["formula"]), str(data["reason"]), str(data["fix"]))


@dataclass
class History:
    """Per-epoch records of a training run, as Keras's ``History``.

    ``history[key]`` is a list with one value per epoch. Keys: ``loss`` (what was minimised:
    data loss plus penalties), ``data_loss``, one ``penalty_<name>`` per regularizer, each
    metric, ``val_loss`` and ``val_<metric>`` with validation data, ``lr``, ``time`` (seconds),
    and per parameter ``weight_norm/<name>`` (‖W‖ after the epoch) and ``grad_norm/<name>``
    (‖∂L/∂W‖ of the epoch's last batch). With diagnostics on, ``diag/<name>/<layer>`` values too,
    and ``warnings`` lists each DiagnosticWarning raised, in order.

    How the steps ran: ``steps/replayed`` counts each epoch's steps that replayed a recorded step,
    ``steps/graph`` those that built the graph (recording one, or because a replay could not serve);
    ``graph_reasons`` says why a batch shape was left to the graph (``glassnet.train.steps``).

    >>> h = History()
    >>> h.append(0, {"loss": 0.5, "val_loss": 0.7})
    >>> h.append(1, {"loss": 0.3, "val_loss": 0.6})
    >>> h["val_loss"], h.best("val_loss")
    ([0.7, 0.6], (1, 0.6))
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    stop_reason: str = ""
    warnings: list[DiagnosticWarning] = field(default_factory=list)
    graph_reasons: list[str] = field(default_factory=list)

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's values (a key missing from earlier epochs is padded with nan)."""
        for key in [k for k in logs if k not in self.history]:  # in the logs' order, as a notebook shows them
            self.history[key] = [math.nan] * len(self.epoch)
        for key, values in self.history.items():
            values.append(float(logs.get(key, math.nan)))
        self.epoch.append(epoch)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def best(self, key: str, mode: str = "min") -> tuple[int, float]:
        """(epoch, value) where ``key`` was lowest (mode 'min') or highest ('max')."""
        values = self.history[key]
        pick = min if mode == "min" else max
        i = pick(range(len(values)), key=lambda j: values[j])
        return self.epoch[i], values[i]

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and strings: JSON, CSV and model files store this."""
        return {"history": {k: list(v) for k, v in self.history.items()}, "epoch": list(self.epoch),
                "stop_reason": self.stop_reason, "warnings": [w.to_dict() for w in self.warnings],
                "graph_reasons": list(self.graph_reasons)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of ``to_dict`` (dicts written before warnings existed load with none)."""
        return cls({k: [float(x) for x in v] for k, v in data["history"].items()},
                   [int(e) for e in data["epoch"]], str(data.get("stop_reason", "")),
                   [DiagnosticWarning.from_dict(w) for w in data.get("warnings", [])],
                   [str(r) for r in data.get("graph_reasons", [])])

    def _repr_html_(self) -> str:
        """Jupyter shows a History as a table: a row per epoch (numbered from 1, as the progress
        lines), a column per quantity (per-parameter norms and diagnostics, the keys with a "/",
        left out); why training stopped below."""
        keys = [k for k in self.history if "/" not in k]
        shown = list(range(len(self.epoch)))
        if len(shown) > HTML_ROWS:
            shown = [*shown[: HTML_ROWS // 2], -1, *shown[-HTML_ROWS // 2:]]
        rows = [f'<tr><td colspan="{len(keys) + 1}">…</td></tr>' if i < 0 else
                f"<tr><td>{self.epoch[i] + 1}</td>{''.join(_cell(self.history[k][i]) for k in keys)}</tr>"
                for i in shown]
        head = "".join(f"<th>{html.escape(k)}</th>" for k in ["epoch", *keys])
        notes = [f"{len(self.epoch)} epochs", *([self.stop_reason] if self.stop_reason else []),
                 *([f"{len(self.warnings)} diagnostic warnings"] if self.warnings else [])]
        caption = f'<caption style="caption-side:bottom">{html.escape("; ".join(notes))}</caption>'
        return (f'<table class="glassnet-history"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody>{caption}</table>')


def _cell(value: float) -> str:
    """A table cell: the number to 4 significant digits, a dash for a missing (nan) value."""
    return "<td>–</td>" if math.isnan(value) else f"<td>{value:.4g}</td>"
