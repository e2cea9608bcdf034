"""Pictures of the computational graph: every tensor a result was computed from, with its op,
shape, values and gradient, as Graphviz DOT text or as an SVG drawn here (no Graphviz needed).

The graph is the one ``backward()`` walks: each result of an op keeps its op (``_op``) and its
inputs (``_parents``), so everything below a tensor is reachable from it. :func:`draw_graph`
draws one box per tensor and an arrow from each input to each result. Boxes stand in layers:
a result one layer to the right of its deepest input (the longest path from the leaves), a leaf
just left of its first user, so a weight sits beside the layer that uses it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from glassnet.engine.autograd import FREED
from glassnet.engine.backend import describe
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError

__all__ = ["Drawing", "draw_graph", "esc"]

MAX_SHOWN = 6  # arrays with at most this many elements are printed whole, larger ones summarised
CHAR_WIDTH, LINE_HEIGHT, PAD, GAP_X, GAP_Y = 7.3, 16, 8, 56, 14  # 12 px monospace text, in px
FILL = {"parameter": "#dbeafe", "constant": "#f1f5f9", "op": "#ffffff", "root": "#fef3c7"}
LEGEND = {"parameter": "requires grad (a parameter)", "constant": "constant (an input)",
          "op": "result of an op", "root": "drawn from"}
BOLD = ' font-weight="bold"'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Drawing(str):
    """The text of a drawing (SVG or DOT); a notebook shows an SVG one as the picture itself."""

    kind: str  # "svg" or "dot"

    def __new__(cls, text: str, kind: str) -> Drawing:
        made = super().__new__(cls, text)
        made.kind = kind
        return made

    def _repr_svg_(self) -> str | None:
        return str(self) if self.kind == "svg" else None


class _Node(NamedTuple):
    lines: tuple[str, ...]  # the first one is the title: a name, the op's class, or "tensor"
    kind: str  # "parameter", "constant", "op" or "root": its fill colour
    parents: tuple[int, ...]  # positions of its inputs, each once


def draw_graph(tensor: Tensor, format: str = "svg", params: Mapping[str, Tensor] | None = None) -> Drawing:
    """Draw the computational graph below ``tensor``: one box per tensor, arrows from inputs to results.

    Each box shows the tensor's name (from ``params``) or the op class that made it (``Linear``,
    ``Sigmoid``, ``SquaredError``), its shape and dtype, its values (up to 6 elements in full,
    larger arrays as mean, min and max) and its gradient when ``.grad_array`` is set. After
    ``backward()`` the graph is gone unless it was called with ``retain_graph=True``; to see the
    gradients of intermediate results, call ``retain_grad()`` on them before ``backward()``.

    Args:
        tensor: the result to start from, e.g. a loss.
        format: ``"svg"`` (a picture drawn by glassnet) or ``"dot"`` (text for Graphviz's ``dot``).
        params: names for tensors, e.g. ``dict(model.named_parameters())``; the inputs may be
            named too (``{"x": x, "y": y}``).

    Returns:
        The SVG or DOT text (a ``str``; Jupyter shows an SVG one as a picture).

    >>> import glassnet as gn
    >>> w = gn.tensor([2.0], requires_grad=True)
    >>> y = (w * 3.0).sum()
    >>> y.backward(retain_graph=True)
    >>> dot = draw_graph(y, format="dot", params={"w": w})
    >>> print(dot.splitlines()[3])
      t0 [label="w\\l(1,) float32\\ldata [2]\\lgrad [3]\\l", fillcolor="#dbeafe"];
    """
    if format not in ("svg", "dot"):
        raise GlassnetError(f"draw_graph draws format 'svg' or 'dot', got {format!r}; pick one of the two")
    if not isinstance(tensor, Tensor):
        raise GlassnetError(f"draw_graph takes a Tensor (e.g. a loss), got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    tensors, parents = _collect(tensor)
    nodes = [_node(t, p, names.get(id(t)), t is tensor) for t, p in zip(tensors, parents, strict=True)]
    return Drawing(_dot(nodes) if format == "dot" else _svg(nodes), format)


def _collect(root: Tensor) -> tuple[list[Tensor], list[tuple[int, ...]]]:
    """Every tensor below ``root``, each after its inputs, and each one's inputs by position."""
    order: list[Tensor] = []
    position: dict[int, int] = {}
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:  # iterative depth-first search: deep graphs need no recursion
        t, expanded = stack.pop()
        if expanded:
            if id(t) not in position:
                position[id(t)] = len(order)
                order.append(t)
            continue
        if id(t) in position:
            continue
        if t._op is not None and t._saved is FREED:
            raise GlassnetError("draw_graph: backward() has freed the graph below this tensor; draw it "
                                "before backward(), or call backward(retain_graph=True) to keep it")
        stack.append((t, True))
        stack.extend((p, False) for p in reversed(t._parents) if id(p) not in position)
    parents = [tuple(dict.fromkeys(position[id(p)] for p in t._parents)) for t in order]
    return order, parents


def _node(t: Tensor, parents: tuple[int, ...], name: str | None, is_root: bool) -> _Node:
    op = t._op.__name__ if t._op is not None else None
    title = f"{name}: {op}" if name and op else name or op or "tensor"
    lines = [title, f"{tuple(t.shape)} {t.dtype}", "data " + _values(t.array)]
    if t.grad_array is not None:
        lines.append("grad " + _values(t.grad_array))
    kind = "root" if is_root else "op" if op else "parameter" if t.requires_grad else "constant"
    return _Node(tuple(lines), kind, parents)


def _values(array: Any) -> str:
    """An array in one short line: whole when small, else its mean, min and max."""
    try:
        a = np.asarray(array)
    except Exception:  # an array NumPy cannot read (on a GPU): named, not copied to the host
        return f"({describe(array)})"
    if a.size <= MAX_SHOWN:
        shown = np.array2string(a, separator=", ", formatter={"float_kind": lambda v: f"{v:.4g}"})
        return re.sub(r"\s+", " ", shown).replace("[ ", "[")
    with np.errstate(all="ignore"):
        a = a.astype(np.float64)
        return f"mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}"


def _dot(nodes: list[_Node]) -> str:
    """Graphviz DOT: ``dot -Tsvg graph.dot > graph.svg``."""
    out = ["digraph glassnet {", "  rankdir=LR;",
           '  node [shape=box, style=filled, fontname="monospace", fontsize=10];']
    for i, node in enumerate(nodes):
        label = "".join(_dot_text(line) + "\\l" for line in node.lines)  # \l: a left-aligned line
        out.append(f'  t{i} [label="{label}", fillcolor="{FILL[node.kind]}"];')
    out += [f"  t{p} -> t{i};" for i, node in enumerate(nodes) for p in node.parents]
    return "\n".join([*out, "}", ""])


def _dot_text(text: str) -> str:
    """Text safe inside a DOT double-quoted string."""
    return _NOT_XML.sub("", text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def esc(value: object) -> str:
    """``value`` as text safe inside HTML and XML: markup escaped, characters XML forbids dropped
    (the one escape of every SVG and page glassnet draws: the report and explain use it too).

    >>> esc('<script>alert("hi")</script>')
    '&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;'
    """
    return html.escape(_NOT_XML.sub("", str(value)))


def _layers(nodes: list[_Node]) -> list[list[int]]:
    """Each layer's nodes, top to bottom: results by longest path from the leaves, a leaf just
    before its first user; the order in a layer follows the users' order, from the root back."""
    layer = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):  # inputs come before results: one pass gives longest paths
        layer[i] = 1 + max((layer[p] for p in node.parents), default=-1)
        for p in node.parents:
            users[p].append(i)
    for i, node in enumerate(nodes):
        if not node.parents and users[i]:
            layer[i] = min(layer[u] for u in users[i]) - 1
    columns: list[list[int]] = [[] for _ in range(max(layer) + 1)]
    for i in range(len(nodes)):
        columns[layer[i]].append(i)
    place = [0.0] * len(nodes)  # a node's height in its layer, the layer's middle at 0
    near = [[*users[i], *node.parents] for i, node in enumerate(nodes)]
    for sweep in range(4):  # barycentre sweeps, right to left first: a node moves toward its neighbours
        for column in reversed(columns) if sweep % 2 == 0 else columns:
            wish = {i: sum(place[n] for n in near[i]) / len(near[i]) if near[i] else 0.0 for i in column}
            column.sort(key=lambda i: (wish[i], i))
            for y, i in enumerate(column):
                place[i] = y - (len(column) - 1) / 2
    return columns


def _svg(nodes: list[_Node]) -> str:
    """The drawing as a standalone SVG document: boxes in layers left to right, curved arrows."""
    size = [(max(len(line) for line in n.lines) * CHAR_WIDTH + 2 * PAD, len(n.lines) * LINE_HEIGHT + PAD)
            for n in nodes]
    columns = _layers(nodes)
    heights = [sum(size[i][1] for i in c) + GAP_Y * (len(c) - 1) for c in columns]
    total_height = max(heights) + 2 * GAP_Y
    box: list[tuple[float, float, float, float]] = [(0.0, 0.0, 0.0, 0.0)] * len(nodes)
    x = float(GAP_Y)
    for column, height in zip(columns, heights, strict=True):
        y, width = (total_height - height) / 2, max(size[i][0] for i in column)
        for i in column:
            box[i] = (x + width - size[i][0], y, *size[i])  # right-aligned: short arrows out
            y += size[i][1] + GAP_Y
        x += width + GAP_X
    edges = [_edge(box[p], box[i]) for i, node in enumerate(nodes) for p in node.parents]
    boxes = [_box(node, *box[i]) for i, node in enumerate(nodes)]
    legend, legend_width = _legend(total_height)
    width, total_height = max(x - GAP_X + GAP_Y, legend_width), total_height + LINE_HEIGHT + GAP_Y
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{total_height:.0f}" '
            f'viewBox="0 0 {width:.0f} {total_height:.0f}" font-family="DejaVu Sans Mono, Menlo, '
            'Consolas, monospace" font-size="12">\n<title>glassnet computational graph</title>\n'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#52606d"/></marker></defs>\n'
            + "".join(edges) + "".join(boxes) + legend + "</svg>\n")


def _legend(y: float) -> tuple[str, float]:
    """What the fill colours mean, in one line at height ``y``; and the width it needs."""
    x, items = float(GAP_Y), []
    for kind, meaning in LEGEND.items():
        items.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="12" height="12" rx="2" fill="{FILL[kind]}" '
                     f'stroke="#52606d"/><text x="{x + 17:.1f}" y="{y + 10:.1f}" fill="#52606d">'
                     f"{meaning}</text>")
        x += 17 + len(meaning) * CHAR_WIDTH + 20
    return f'<g class="legend">{"".join(items)}</g>\n', x


def _edge(start: tuple[float, ...], end: tuple[float, ...]) -> str:
    """A curve from the right side of one box to the left side of another."""
    x0, y0 = start[0] + start[2], start[1] + start[3] / 2
    x1, y1 = end[0], end[1] + end[3] / 2
    bend = max((x1 - x0) / 2, 20)
    return (f'<path class="edge" d="M{x0:.1f},{y0:.1f} C{x0 + bend:.1f},{y0:.1f} {x1 - bend:.1f},{y1:.1f} '
            f'{x1:.1f},{y1:.1f}" fill="none" stroke="#9aa5b1" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>\n')


def _box(node: _Node, x: float, y: float, width: float, height: float) -> str:
    """One tensor: a rounded box, its title in bold, then its shape, values and gradient."""
    stroke = "#b7791f" if node.kind == "root" else "#52606d"
    lines = "".join(
        f'<tspan x="{x + PAD:.1f}" y="{y + PAD / 2 + LINE_HEIGHT * (k + 0.75):.1f}"'
        f'{BOLD if k == 0 else ""}>{esc(line)}</tspan>' for k, line in enumerate(node.lines))
    return (f'<g class="node"><title>{esc(node.lines[0])}</title><rect x="{x:.1f}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{height:.1f}" rx="4" fill="{FILL[node.kind]}" stroke="{stroke}"/>'
            f'<text fill="#1f2933" xml:space="preserve">{lines}</text></g>\n')
