"""A tiny SVG toolkit for the report: scales, round tick values, axes, legends and escaping.

The charts in ``glassnet.report.charts`` are drawn with these pieces. Every string that reaches
the page passes through ``esc``, since dataset names and class labels come from users.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from glassnet.engine.draw import esc

__all__ = [
    "CHAR_WIDTH", "INK", "MUTED", "PALETTE", "LegendItem", "Scale", "axes", "esc", "fmt", "legend",
    "log_ticks", "mix", "nice_ticks", "ramp", "svg_document", "text", "truncate",
]  # fmt: skip

# Tableau 10: distinct, colour-blind-aware hues that print well
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")  # fmt: skip
INK, GRID, MUTED = "#1f2933", "#e4e7eb", "#616e7c"
CHAR_WIDTH = 6.6  # mean width of a 12 px sans-serif character: lays out text without a browser


def truncate(label: str, limit: int = 16) -> str:
    """``label`` cut to ``limit`` characters, marked with an ellipsis when cut.

    >>> truncate("a very long class label", 10)
    'a very lo…'
    """
    return label if len(label) <= limit else label[: limit - 1] + "…"


def fmt(value: float) -> str:
    """A tick or table number, short: 4 significant digits, no trailing zeros.

    >>> fmt(0.30000000000000004), fmt(2.0), fmt(12500.0), fmt(1e-05)
    ('0.3', '2', '1.25e+04', '1e-05')
    """
    return f"{value:.4g}"


def mix(color: str, other: str, t: float) -> str:
    """The colour ``t`` of the way from ``color`` to ``other`` (both ``#rrggbb``).

    >>> mix("#000000", "#ffffff", 0.5)
    '#808080'
    """
    a = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(u + t * (v - u)):02x}" for u, v in zip(a, b, strict=True))


_VIRIDIS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def ramp(t: float) -> str:
    """The colour at ``t`` in [0, 1] of a perceptually even scale (viridis: dark blue to yellow).

    >>> ramp(0.0), ramp(1.0)
    ('#440154', '#fde725')
    """
    position = min(max(t, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(position), len(_VIRIDIS) - 2)
    return mix(_VIRIDIS[i], _VIRIDIS[i + 1], position - i)


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """About ``count`` round values covering [lo, hi], in steps of 1, 2, 2.5 or 5 × 10^k.

    >>> nice_ticks(0.13, 0.92)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(1, 3, integer=True), nice_ticks(5, 5)
    ([1.0, 2.0, 3.0], [4.5, 4.75, 5.0, 5.25, 5.5])
    """
    if not hi - lo > max(1e-9 * max(abs(lo), abs(hi)), 1e-300):  # one value, to float precision: widen
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = float(max(1, math.ceil(step)))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    digits = max(0, 3 - math.floor(math.log10(step)))  # drops float noise such as 0.6000000000000001
    return [round(i * step, digits) + 0.0 for i in range(first, last + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten covering [lo, hi] (0 < lo), with 2 and 5 between them over few decades.

    >>> log_ticks(0.03, 4.0)
    [0.01, 0.1, 1.0, 10.0]
    >>> log_ticks(2.0, 7.0)
    [1.0, 2.0, 5.0, 10.0]
    """
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    b = max(b, a + 1)
    stride = max(1, math.ceil((b - a) / 6))  # at most about 7 labelled decades
    decades = [float(f"1e{k}") for k in range(a, a + stride * math.ceil((b - a) / stride) + 1, stride)]
    if b - a > 2:
        return decades
    between = [float(f"{m}e{k}") for k in range(a, b) for m in (2, 5)]
    return sorted(decades + between)


@dataclass(frozen=True)
class Scale:
    """Maps data values in [lo, hi] onto pixels [start, end], linearly or linearly in log10.

    >>> Scale(0.0, 10.0, 100.0, 200.0)(2.5), Scale(1.0, 100.0, 0.0, 10.0, log=True)(10.0)
    (125.0, 5.0)
    """

    lo: float
    hi: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        f = math.log10 if self.log else float
        span = (f(self.hi) - f(self.lo)) or 1.0
        return self.start + (f(value) - f(self.lo)) / span * (self.end - self.start)


def text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "middle",
         color: str = INK, weight: str = "normal", rotate: float = 0.0) -> str:
    """An SVG ``<text>`` element; ``content`` is escaped here."""
    turn = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate else ""
    bold = f' font-weight="{weight}"' if weight != "normal" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}"'
            f"{bold}{turn}>{esc(content)}</text>")


def axes(x: Scale, y: Scale, xticks: Sequence[float], yticks: Sequence[float], xlabel: str,
         ylabel: str) -> str:
    """Grid lines, tick labels, the frame and both axis labels of a plot area."""
    left, right, bottom, top = x.start, x.end, y.start, y.end
    parts = []
    for t in yticks:
        py = y(t)
        parts.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{py:.1f}" y2="{py:.1f}" stroke="{GRID}"/>')
        parts.append(text(left - 6, py + 4, fmt(t), size=11, anchor="end", color=MUTED))
    for t in xticks:
        px = x(t)
        parts.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>')
        parts.append(text(px, bottom + 16, fmt(t), size=11, color=MUTED))
    parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" '
                 f'fill="none" stroke="#9aa5b1"/>')
    parts.append(text((left + right) / 2, bottom + 36, xlabel))
    parts.append(text(left - 54, (top + bottom) / 2, ylabel, rotate=-90))
    return "".join(parts)


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: its label, colour and mark: ``"line"``, ``"dash"``, ``"box"``, ``"dot"`` or
    ``"ring"`` (a hollow dot)."""

    label: str
    color: str
    mark: str = "line"


def _mark(item: LegendItem, x: float, y: float) -> str:
    if item.mark in ("line", "dash"):
        dash = ' stroke-dasharray="5 3"' if item.mark == "dash" else ""
        return (f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{item.color}" '
                f'stroke-width="2.5"{dash}/>')
    if item.mark == "ring":
        return (f'<circle cx="{x + 9:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{item.color}" '
                'stroke-width="1.8"/>')
    if item.mark == "dot":
        return f'<circle cx="{x + 9:.1f}" cy="{y:.1f}" r="4" fill="{item.color}" stroke="#ffffff"/>'
    return (f'<rect x="{x + 3:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="{item.color}" '
            f'stroke="#9aa5b1" stroke-width="0.5"/>')


def legend(items: Sequence[LegendItem], left: float, top: float, width: float) -> tuple[str, float]:
    """Legend entries laid out left to right, wrapping at ``width``; returns (svg, height)."""
    parts, x, y = [], left, top + 8
    for item in items:
        label = truncate(item.label, 40)
        size = 18 + 6 + len(label) * CHAR_WIDTH + 16
        if x > left and x + size > left + width:
            x, y = left, y + 18
        parts.append(_mark(item, x, y) + text(x + 24, y + 4, label, anchor="start"))
        x += size
    return '<g class="legend">' + "".join(parts) + "</g>", (y - top + 12 if items else 0.0)


def svg_document(name: str, title: str, width: float, height: float, body: str) -> str:
    """A complete inline ``<svg class="plot" data-plot=name>`` with a visible and an accessible title."""
    return (f'<svg class="plot" data-plot="{esc(name)}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{esc(title)}" '
            f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">'
            f"<title>{esc(title)}</title>"
            + text(width / 2, 20, title, size=14, weight="600") + body + "</svg>")
