"""The report's kinds of chart, as inline SVG strings: lines, a heatmap, a scatter, a region map.

Each returns one ``<svg class="plot" data-plot=name>`` element with a title, labelled axes with
ticks and a legend where there is more than one thing to tell apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glassnet.report.svg import (
    CHAR_WIDTH,
    INK,
    MUTED,
    LegendItem,
    Scale,
    axes,
    esc,
    legend,
    log_ticks,
    mix,
    nice_ticks,
    svg_document,
    text,
    truncate,
)

__all__ = ["Points", "Series", "heatmap", "line_chart", "region_map", "scatter_chart"]

WIDTH, HEIGHT = 640, 340
_LEFT, _RIGHT, _BOTTOM, _TITLE = 70, 20, 48, 34
_MARKERS_UP_TO = 40  # epochs; beyond that markers would hide the line


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a label, x and y values (a nan breaks the line), its look."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    color: str
    dashed: bool = False


def _finite(series: Sequence[Series], log: bool) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for s in series for x, y in zip(s.x, s.y, strict=True)
            if math.isfinite(y) and (y > 0 or not log)]


def _wants_log(values: Sequence[float], log_y: bool | None) -> bool:
    """Log scale when asked (and possible), or by default when the values span over 1.5 decades."""
    positive = bool(values) and min(values) > 0
    if log_y is None:
        return positive and max(values) / min(values) > 30
    return log_y and positive


def _segments(s: Series, x: Scale, y: Scale, log: bool) -> list[list[tuple[float, float]]]:
    """The pixel coordinates of each unbroken run of finite values."""
    runs: list[list[tuple[float, float]]] = [[]]
    for xv, yv in zip(s.x, s.y, strict=True):
        if math.isfinite(yv) and (yv > 0 or not log):
            runs[-1].append((x(float(xv)), y(float(yv))))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _line(s: Series, x: Scale, y: Scale, log: bool) -> str:
    dash = ' stroke-dasharray="6 4"' if s.dashed else ""
    parts = [f"<title>{esc(s.label)}</title>"]
    for run in _segments(s, x, y, log):
        d = "M" + " L".join(f"{px:.1f} {py:.1f}" for px, py in run)
        parts.append(f'<path d="{d}" fill="none" stroke="{s.color}" stroke-width="2" '
                     f'stroke-linejoin="round"{dash}/>')
        if len(s.x) <= _MARKERS_UP_TO or len(run) == 1:
            r = 2.6 if len(run) > 1 else 4.0  # a lone point must still catch the eye
            parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r}" fill="{s.color}"/>' for px, py in run]
    return '<g class="series">' + "".join(parts) + "</g>"


def _y_ticks(ys: Sequence[float], log: bool, y_range: tuple[float, float] | None) -> list[float]:
    """Round y ticks that fit the quantity: its fixed range (fractions: 0 to 1) widened to any value
    outside it, else the data's own range, from 0 when no value is negative."""
    lo, hi = min(ys), max(ys)
    if log:
        return log_ticks(lo, hi)
    if y_range is not None:
        return nice_ticks(min(lo, y_range[0]), max(hi, y_range[1]), 6)
    if lo >= 0 and hi == lo:  # a constant that cannot be negative: from 0, the line below the frame
        return nice_ticks(0.0, hi * 1.25 or 1.0, 5)
    ticks = nice_ticks(lo, hi, 5)
    return nice_ticks(0.0, hi, 5) if lo >= 0 > ticks[0] else ticks


def _mark(mark: tuple[float, str], x: Scale, y: Scale) -> str:
    """A labelled vertical line at an x value (the restored best epoch)."""
    px, top = x(mark[0]), y.end
    right = px > (x.start + x.end) / 2  # the label ends at the line when it is on the right half
    return (f'<g class="best-epoch"><line x1="{px:.1f}" x2="{px:.1f}" y1="{top:.1f}" y2="{y.start:.1f}" '
            f'stroke="{INK}" stroke-width="1.2" stroke-dasharray="2 3"/>'
            + text(px + 4 if right else px - 4, top - 5, mark[1], size=11,
                   anchor="end" if right else "start")  # above the frame, clear of the lines
            + "</g>")


def line_chart(name: str, title: str, series: Sequence[Series], *, xlabel: str = "epoch",
               ylabel: str = "", log_y: bool | None = None, integer_x: bool = True,
               y_range: tuple[float, float] | None = None, mark: tuple[float, str] | None = None) -> str:
    """Several series against a shared x axis (epochs by default), drawn in order (the last on top).

    Args:
        name: the ``data-plot`` attribute. title, xlabel, ylabel: texts shown (escaped here).
        log_y: True for a log y axis where all values are positive, None to choose it when the
            values span more than 1.5 decades, False for linear.
        integer_x: x ticks on whole numbers (epochs).
        y_range: the quantity's own range (``(0, 1)`` for a fraction), shown whole; linear axis.
        mark: (x, label) of a vertical line to mark, such as the restored best epoch.

    >>> svg = line_chart("loss", "Loss", [Series("train", [1, 2, 3], [0.9, 0.5, 0.4], "#4e79a7")])
    >>> svg.startswith('<svg class="plot" data-plot="loss"'), svg.count("<circle")
    (True, 3)
    """
    items = [LegendItem(s.label, s.color, "dash" if s.dashed else "line") for s in series]
    legend_svg, legend_h = ("", 0.0)
    if len(series) > 1:
        legend_svg, legend_h = legend(items, _LEFT, _TITLE, WIDTH - _LEFT - _RIGHT)
    top = _TITLE + legend_h + 8 + (16 if mark else 0)
    points = _finite(series, log=False)
    log = y_range is None and _wants_log([p[1] for p in points], log_y)
    points = _finite(series, log)
    if not points:
        return svg_document(name, title, WIDTH, 120, text(WIDTH / 2, 70, "no finite values to plot",
                                                            color=MUTED))
    xs = [p[0] for p in points] + ([mark[0]] if mark else [])
    xt = nice_ticks(min(xs), max(xs), 6, integer=integer_x)
    yt = _y_ticks([p[1] for p in points], log, y_range)
    height = HEIGHT + legend_h + (16 if mark else 0)
    x = Scale(xt[0], xt[-1], _LEFT, WIDTH - _RIGHT)
    y = Scale(yt[0], yt[-1], height - _BOTTOM, top, log=log)
    ylabel = f"{ylabel} (log scale)" if log else ylabel
    body = (axes(x, y, xt, yt, xlabel, ylabel) + (_mark(mark, x, y) if mark else "")
            + "".join(_line(s, x, y, log) for s in series))
    return svg_document(name, title, WIDTH, height, legend_svg + body)


@dataclass(frozen=True)
class Points:
    """One group of a scatter plot: (n, 2) positions, one colour each, and the look of the marks."""

    xy: np.ndarray
    colors: Sequence[str]
    hollow: bool = False
    outline: str = "#ffffff"


def _dots(group: Points, x: Scale, y: Scale) -> str:
    """Filled dots with an outline, or rings (hollow: white inside, the colour as a thick edge)."""
    if group.hollow:
        look = [f'fill="#ffffff" fill-opacity="0.7" stroke="{c}" stroke-width="1.8"' for c in group.colors]
    else:
        look = [f'fill="{c}" stroke="{group.outline}" stroke-width="0.8"' for c in group.colors]
    kind = "test-points" if group.hollow else "points"
    return f'<g class="{kind}">' + "".join(
        f'<circle cx="{x(float(px)):.1f}" cy="{y(float(py)):.1f}" r="{3.4 if group.hollow else 3}" {a}/>'
        for (px, py), a in zip(group.xy, look, strict=True)) + "</g>"


def scatter_chart(name: str, title: str, groups: Sequence[Points], items: Sequence[LegendItem], *,
                  xlabel: str, ylabel: str) -> str:
    """Points on a square plot with equal axes and the y = x line (predicted against true values).

    >>> svg = scatter_chart("fit", "Fit", [Points(np.array([[0.0, 0.1], [1.0, 0.9]]), ["#4e79a7"] * 2)],
    ...                     [], xlabel="true", ylabel="predicted")
    >>> svg.count("<circle"), 'class="diagonal"' in svg
    (2, True)
    """
    legend_svg, legend_h = legend([*items, LegendItem("y = x (a perfect prediction)", INK, "dash")],
                                  _LEFT, _TITLE, WIDTH - _LEFT - _RIGHT)
    values = np.concatenate([g.xy.reshape(-1) for g in groups]) if groups else np.zeros(1)
    values = values[np.isfinite(values)] if np.isfinite(values).any() else np.zeros(1)
    ticks = nice_ticks(float(values.min()), float(values.max()), 6)
    top, side = _TITLE + legend_h + 8, 440
    left = _LEFT + (WIDTH - _LEFT - _RIGHT - side) / 2
    x, y = Scale(ticks[0], ticks[-1], left, left + side), Scale(ticks[0], ticks[-1], top + side, top)
    lo, hi = ticks[0], ticks[-1]
    diagonal = (f'<line class="diagonal" x1="{x(lo):.1f}" y1="{y(lo):.1f}" x2="{x(hi):.1f}" y2="{y(hi):.1f}" '
                f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="5 3"/>')
    body = axes(x, y, ticks, ticks, xlabel, ylabel) + "".join(_dots(g, x, y) for g in groups) + diagonal
    return svg_document(name, title, WIDTH, top + side + _BOTTOM, legend_svg + body)


def heatmap(name: str, title: str, matrix: np.ndarray, row_labels: Sequence[str],
            col_labels: Sequence[str], *, xlabel: str, ylabel: str, color: str = "#2f5f8a") -> str:
    """A matrix of counts as shaded cells, each with its count written in it.

    The shade of a cell is its count over the largest count (white for 0). Row and column
    labels are escaped and cut to 14 characters (the full label is the cell's tooltip).

    >>> svg = heatmap("cm", "Confusion", np.array([[5, 1], [0, 4]]), ["a", "b"], ["a", "b"],
    ...               xlabel="predicted", ylabel="true")
    >>> svg.count('class="cell"'), ">5</text>" in svg
    (4, True)
    """
    matrix = np.asarray(matrix)
    n, m = matrix.shape
    cell = float(min(72, max(24, 420 // max(n, m, 1))))
    rows = [truncate(str(r), 14) for r in row_labels]
    cols = [truncate(str(c), 14) for c in col_labels]
    left = 44 + max((len(r) for r in rows), default=1) * CHAR_WIDTH + 8
    slanted = max((len(c) for c in cols), default=1) * CHAR_WIDTH > cell - 4
    below = (max((len(c) for c in cols), default=1) * CHAR_WIDTH * 0.7 + 12) if slanted else 20
    top, peak = _TITLE + 12, max(float(matrix.max()) if matrix.size else 0.0, 1.0)
    width = max(left + m * cell + 24, 300)
    height = top + n * cell + below + 36
    parts = []
    for i in range(n):
        for j in range(m):
            count, share = matrix[i, j], float(matrix[i, j]) / peak
            x, y = left + j * cell, top + i * cell
            tip = f"true {row_labels[i]}, predicted {col_labels[j]}: {count}"
            parts.append(f'<g class="cell"><title>{esc(tip)}</title><rect x="{x:.1f}" y="{y:.1f}" '
                         f'width="{cell:.1f}" height="{cell:.1f}" fill="{mix("#ffffff", color, share)}" '
                         f'stroke="#ffffff"/>'
                         + text(x + cell / 2, y + cell / 2 + 4, f"{count}", size=12 if cell > 30 else 10,
                                color="#ffffff" if share > 0.55 else "#1f2933") + "</g>")
    for i, label in enumerate(rows):
        parts.append(text(left - 6, top + (i + 0.5) * cell + 4, label, size=11, anchor="end", color=MUTED))
    for j, label in enumerate(cols):
        cx, cy = left + (j + 0.5) * cell, top + n * cell + 14
        parts.append(text(cx, cy, label, size=11, color=MUTED, anchor="end" if slanted else "middle",
                          rotate=-35 if slanted else 0))
    parts.append(text(left + m * cell / 2, height - 10, xlabel))
    parts.append(text(16, top + n * cell / 2, ylabel, rotate=-90))
    return svg_document(name, title, width, height, "".join(parts))


def _cells(classes: np.ndarray, fills: Sequence[str], x: Scale, y: Scale, extent: Sequence[float]) -> str:
    """The grid of predicted classes as rectangles, one per run of equal cells in a row."""
    ny, nx = classes.shape
    dx, dy = (extent[1] - extent[0]) / nx, (extent[3] - extent[2]) / ny
    parts = []
    for i in range(ny):
        row, j = classes[i], 0
        while j < nx:
            k = j
            while k + 1 < nx and row[k + 1] == row[j]:
                k += 1
            x0, x1 = x(extent[0] + j * dx), x(extent[0] + (k + 1) * dx)
            y0, y1 = y(extent[2] + (i + 1) * dy), y(extent[2] + i * dy)
            parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
                         f'height="{y1 - y0 + 0.3:.1f}" fill="{fills[int(row[j])]}"/>')  # overlap: no seams
            j = k + 1
    return '<g class="regions" shape-rendering="crispEdges">' + "".join(parts) + "</g>"


def region_map(name: str, title: str, extent: Sequence[float], classes: np.ndarray,
               fills: Sequence[str], groups: Sequence[Points], items: Sequence[LegendItem], *,
               xlabel: str, ylabel: str) -> str:
    """Filled regions of a 2-D input space (a decision boundary) with groups of points on top.

    Args:
        extent: (x_lo, x_hi, y_lo, y_hi) covered by the grid.
        classes: (ny, nx) indices into ``fills``; row 0 is the bottom of the plot (y_lo).
        groups: the points, drawn in order (training points, then hollow test points).
        items: the legend entries.
    """
    legend_svg, legend_h = legend(items, _LEFT, _TITLE, WIDTH - _LEFT - _RIGHT)
    top, side = _TITLE + legend_h + 8, 440
    xt, yt = nice_ticks(extent[0], extent[1], 6), nice_ticks(extent[2], extent[3], 6)
    left = _LEFT + (WIDTH - _LEFT - _RIGHT - side) / 2  # a square plot area, centred
    x = Scale(extent[0], extent[1], left, left + side)
    y = Scale(extent[2], extent[3], top + side, top)
    xt = [t for t in xt if extent[0] <= t <= extent[1]]
    yt = [t for t in yt if extent[2] <= t <= extent[3]]
    body = (_cells(classes, fills, x, y, extent) + axes(x, y, xt, yt, xlabel, ylabel)
            + "".join(_dots(g, x, y) for g in groups))
    return svg_document(name, title, WIDTH, top + side + _BOTTOM, legend_svg + body)
