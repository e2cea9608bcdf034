"""The network as an inline SVG: neurons in columns, every weight a link coloured by its sign.

Column 0 holds the input features, column l the neurons of Linear layer l. A link from input
neuron j to neuron i of layer l stands for Wˡ[i, j]: blue when positive, orange when negative (a
pair that colour-blind readers tell apart), its width proportional to |w| over the largest |w| of
the whole network. Hovering a link or a neuron shows its weight or bias (an SVG ``<title>``). A
layer of more than ``max_neurons`` neurons shows its first ``max_neurons`` and a "… n more" marker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glassnet.engine.draw import esc as escape
from glassnet.explain.numbers import format_number, sub, sup
from glassnet.explain.step import NetworkLayer

__all__ = ["NEGATIVE", "POSITIVE", "network_svg"]

POSITIVE, NEGATIVE, ZERO = "#0072b2", "#d55e00", "#8c959f"  # blue, orange (Okabe-Ito), grey
_GAP_X, _GAP_Y, _R = 120, 30, 9  # column spacing, row spacing, neuron radius (SVG units)
_TOP, _MARGIN, _WIDTH_MIN, _WIDTH_MAX = 52, 56, 0.6, 5.0
_LEGEND_WIDTH = 260


def _colour(w: float) -> tuple[str, str]:
    """(class, colour) of a weight by its sign."""
    return ("pos", POSITIVE) if w > 0 else ("neg", NEGATIVE) if w < 0 else ("zero", ZERO)


def _ys(n_shown: int, n_tallest: int) -> list[float]:
    """Vertical centres of n_shown neurons, the column centred on the tallest one."""
    top = _TOP + (n_tallest - n_shown) * _GAP_Y / 2
    return [top + k * _GAP_Y for k in range(n_shown)]


def _neuron(x: float, y: float, label: str, tip: str) -> str:
    return (f'<g class="neuron"><title>{escape(tip)}</title>'
            f'<circle cx="{x:g}" cy="{y:g}" r="{_R}" fill="#fff" stroke="#57606a" stroke-width="1.2"/>'
            f'<text x="{x:g}" y="{y + 3.5:g}" text-anchor="middle" font-size="9">{escape(label)}</text></g>')


def _links(layer: NetworkLayer, x0: float, x1: float, ys_in: list[float], ys_out: list[float],
           largest: float, digits: int) -> list[str]:
    """One line per shown weight Wˡ[i, j], from input neuron j to neuron i."""
    out = []
    for i, y1 in enumerate(ys_out):
        for j, y0 in enumerate(ys_in):
            w = float(layer.weight[i, j])
            kind, colour = _colour(w)
            width = _WIDTH_MIN + (_WIDTH_MAX - _WIDTH_MIN) * abs(w) / largest if largest > 0 else 1.0
            tip = f"W{sup(layer.index)}{sub(i + 1, j + 1)} = {format_number(w, digits)}"  # numbered from 1
            out.append(f'<line class="link {kind}" x1="{x0 + _R:g}" y1="{y0:g}" x2="{x1 - _R:g}" y2="{y1:g}" '
                       f'stroke="{colour}" stroke-width="{width:.3g}" stroke-opacity="0.8">'
                       f"<title>{escape(tip)}</title></line>")
    return out


def _column(x: float, ys: list[float], n: int, heading: Sequence[str], labels: list[str],
            tips: list[str]) -> list[str]:
    """The neurons of one column, its heading above and a "… n more" marker below when cut."""
    out = [f'<text class="heading" x="{x:g}" y="{14 + 15 * k}" text-anchor="middle" font-size="13">'
           f"{escape(line)}</text>" for k, line in enumerate(heading)]
    out += [_neuron(x, y, label, tip) for y, label, tip in zip(ys, labels, tips, strict=True)]
    if n > len(ys):
        out.append(f'<text class="more" x="{x:g}" y="{ys[-1] + _GAP_Y:g}" text-anchor="middle" '
                   f'font-size="12">… {n - len(ys)} more</text>')
    return out


def _legend(y: float) -> str:
    items = [(POSITIVE, "w > 0"), (NEGATIVE, "w < 0")]
    parts = [f'<line x1="{8 + 80 * k}" y1="{y - 4:g}" x2="{30 + 80 * k}" y2="{y - 4:g}" stroke="{c}" '
             f'stroke-width="3"/><text x="{34 + 80 * k}" y="{y:g}" font-size="12">{escape(t)}</text>'
             for k, (c, t) in enumerate(items)]
    parts.append(f'<text x="168" y="{y:g}" font-size="12">width ∝ |w|</text>')
    return f'<g class="legend">{"".join(parts)}</g>'


def network_svg(network: Sequence[NetworkLayer], max_neurons: int = 12, digits: int = 4) -> str:
    """The Linear layers as an inline SVG drawing that scales to its container (viewBox, width 100%).

    Args:
        network: the layers in order; layer l's weight is (out_features, in_features).
        max_neurons: neurons drawn per column; a larger layer shows a "… n more" marker.
        digits: significant digits of the weights and biases in the tooltips.

    Returns:
        an ``<svg>`` element as a string (valid XML), or ``""`` for an empty network.

    >>> layer = NetworkLayer(1, np.array([[0.5, -0.25]]), np.array([0.1]), "Sigmoid")
    >>> svg = network_svg([layer])
    >>> svg.count('class="link pos"'), svg.count('class="link neg"'), "W¹₁,₂ = -0.25" in svg
    (1, 1, True)
    """
    if not network:
        return ""
    sizes = [network[0].weight.shape[1], *(layer.weight.shape[0] for layer in network)]
    shown = [min(n, max_neurons) for n in sizes]
    bottom = _TOP + (max(shown) - 1 + (max(sizes) > max_neurons)) * _GAP_Y  # last neuron or marker
    width = max(2 * _MARGIN + (len(sizes) - 1) * _GAP_X, _LEGEND_WIDTH)
    xs = [(width - (len(sizes) - 1) * _GAP_X) / 2 + c * _GAP_X for c in range(len(sizes))]  # centred
    ys = [_ys(n, max(shown)) for n in shown]
    largest = max(float(np.abs(layer.weight).max(initial=0.0)) for layer in network)
    body = [link for c, layer in enumerate(network)
            for link in _links(layer, xs[c], xs[c + 1], ys[c], ys[c + 1], largest, digits)]
    inputs = [f"x{sub(j + 1)}" for j in range(shown[0])]
    body += _column(xs[0], ys[0], sizes[0], ["input", f"x ({sizes[0]})"], inputs,
                    [f"input x{sub(j + 1)}" for j in range(shown[0])])
    for c, layer in enumerate(network, start=1):
        a, b = f"a{sup(layer.index)}", f"b{sup(layer.index)}"
        bias = [f" = {format_number(float(layer.bias[i]), digits)}" if layer.bias is not None else ": none"
                for i in range(shown[c])]
        body += _column(xs[c], ys[c], sizes[c], [f"l = {layer.index}", layer.activation or "linear"],
                        [str(i + 1) for i in range(shown[c])],
                        [f"neuron {a}{sub(i + 1)}, bias {b}{sub(i + 1)}{bias[i]}" for i in range(shown[c])])
    summary = escape("network " + " → ".join(str(n) for n in sizes))
    return (f'<svg class="network" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {bottom + 40}" '
            f'width="100%" role="img" aria-label="{summary}" font-family="system-ui, sans-serif">'
            f"<title>{summary}</title>{''.join(body)}{_legend(bottom + 32)}</svg>")
