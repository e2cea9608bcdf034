"""The report's three kinds of chart, as inline SVG strings: lines, a heatmap, a region map.

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

__all__ = ["Series", "heatmap", "line_chart", "region_map"]

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


def line_chart(name: str, title: str, series: Sequence[Series], *, xlabel: str = "epoch",
               ylabel: str = "", log_y: bool | None = None, integer_x: bool = True) -> str:
    """Several series against a shared x axis (epochs by default).

    Args:
        name: the ``data-plot`` attribute. title, xlabel, ylabel: texts shown (escaped here).
        log_y: True for a log y axis where all values are positive, None to choose it when the
            values span more than 1.5 decades, False for linear.
        integer_x: x ticks on whole numbers (epochs).

    >>> svg = line_chart("loss", "Loss", [Series("train", [1, 2, 3], [0.9, 0.5, 0.4], "#4e79a7")])
    >>> svg.startswith('<svg class="plot" data-plot="loss"'), svg.count("<circle")
    (True, 3)
    """
    items = [LegendItem(s.label, s.color, "dash" if s.dashed else "line") for s in series]
    legend_svg, legend_h = ("", 0.0)
    if len(series) > 1:
        legend_svg, legend_h = legend(items, _LEFT, _TITLE, WIDTH - _LEFT - _RIGHT)
    top = _TITLE + legend_h + 8
    points = _finite(series, log=False)
    log = _wants_log([p[1] for p in points], log_y)
    points = _finite(series, log)
    if not points:
        return svg_document(name, title, WIDTH, 120, text(WIDTH / 2, 70, "no finite values to plot",
                                                            color=MUTED))
    xt = nice_ticks(min(p[0] for p in points), max(p[0] for p in points), 6, integer=integer_x)
    ys = [p[1] for p in points]
    yt = log_ticks(min(ys), max(ys)) if log else nice_ticks(min(ys), max(ys), 5)
    height = HEIGHT + legend_h
    x = Scale(xt[0], xt[-1], _LEFT, WIDTH - _RIGHT)
    y = Scale(yt[0], yt[-1], height - _BOTTOM, top, log=log)
    ylabel = f"{ylabel} (log scale)" if log else ylabel
    body = axes(x, y, xt, yt, xlabel, ylabel) + "".join(_line(s, x, y, log) for s in series)
    return svg_document(name, title, WIDTH, height, legend_svg + body)


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
               fills: Sequence[str], points: np.ndarray, point_colors: Sequence[str],
               items: Sequence[LegendItem], *, xlabel: str, ylabel: str, outline: str = "#ffffff") -> str:
    """Filled regions of a 2-D input space (a decision boundary) with data points on top.

    Args:
        extent: (x_lo, x_hi, y_lo, y_hi) covered by the grid.
        classes: (ny, nx) indices into ``fills``; row 0 is the bottom of the plot (y_lo).
        points: (n, 2) positions; ``point_colors`` one colour each.
        items: the legend entries. outline: the colour around each point.
    """
    legend_svg, legend_h = legend(items, _LEFT, _TITLE, WIDTH - _LEFT - _RIGHT)
    top, side = _TITLE + legend_h + 8, 440
    xt, yt = nice_ticks(extent[0], extent[1], 6), nice_ticks(extent[2], extent[3], 6)
    left = _LEFT + (WIDTH - _LEFT - _RIGHT - side) / 2  # a square plot area, centred
    x = Scale(extent[0], extent[1], left, left + side)
    y = Scale(extent[2], extent[3], top + side, top)
    xt = [t for t in xt if extent[0] <= t <= extent[1]]
    yt = [t for t in yt if extent[2] <= t <= extent[3]]
    dots = "".join(f'<circle cx="{x(float(px)):.1f}" cy="{y(float(py)):.1f}" r="3" fill="{c}" '
                   f'stroke="{outline}" stroke-width="0.8"/>'
                   for (px, py), c in zip(points, point_colors, strict=True))
    body = (_cells(classes, fills, x, y, extent) + axes(x, y, xt, yt, xlabel, ylabel)
            + f'<g class="points">{dots}</g>')
    return svg_document(name, title, WIDTH, top + side + _BOTTOM, legend_svg + body)

