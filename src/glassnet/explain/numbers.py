"""Compact, consistent number formatting for the walkthrough: 4 significant digits, large arrays in part."""

from __future__ import annotations

import numpy as np

__all__ = ["WIDTH", "chain", "format_array", "format_number", "matrix_lines", "sub", "sup"]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

WIDTH = 100
"""The text walkthrough's line width: no line is longer."""


def sub(*indices: int) -> str:
    """Indices as subscript digits, comma-separated when several: the neuron i of zᵢ, the entry i, j of Wᵢⱼ.

    >>> "W" + sub(1, 2), "z" + sub(12)
    ('W₁,₂', 'z₁₂')
    """
    return ",".join(str(i).translate(_SUBSCRIPTS) for i in indices)


def sup(n: int) -> str:
    """n as superscript digits, the layer index of zˡ, aˡ, Wˡ.

    >>> "z" + sup(12)
    'z¹²'
    """
    return str(n).translate(_SUPERSCRIPTS)


def format_number(x: float, digits: int = 4) -> str:
    """One number with ``digits`` significant digits; -0 shows as 0.

    >>> format_number(0.7575931652488075), format_number(-0.0), format_number(1e-9)
    ('0.7576', '0', '1e-09')
    """
    text = f"{float(x):.{digits}g}"
    return "0" if text == "-0" else text


def _row(values: np.ndarray, digits: int, max_items: int | None) -> str:
    shown = values if max_items is None else values[:max_items]
    parts = [format_number(v, digits) for v in shown]
    if len(shown) < len(values):
        parts.append("…")
    return "[" + ", ".join(parts) + "]"


def format_array(a: np.ndarray, digits: int = 4, max_items: int | None = 6) -> str:
    """A vector ``[1, 2, …]`` or matrix ``[[1, 2], [3, 4]]``, the first ``max_items`` rows/columns.

    A truncated array ends with its shape, e.g. ``(shape (10,))``; ``max_items=None`` shows all.

    >>> format_array(np.array([[0.15, 0.2], [0.25, 0.3]]))
    '[[0.15, 0.2], [0.25, 0.3]]'
    >>> format_array(np.arange(10.0), max_items=3)
    '[0, 1, 2, …] (shape (10,))'
    """
    a = np.asarray(a)
    if a.ndim == 0:
        return format_number(float(a), digits)
    if a.ndim == 1:
        text = _row(a, digits, max_items)
    else:
        rows = a.reshape(a.shape[0], -1)
        shown = rows if max_items is None else rows[:max_items]
        inner = [_row(r, digits, max_items) for r in shown]
        if len(shown) < len(rows):
            inner.append("…")
        text = "[" + ", ".join(inner) + "]"
    truncated = max_items is not None and any(n > max_items for n in a.shape)
    return f"{text} (shape {a.shape})" if truncated else text


def matrix_lines(a: np.ndarray, digits: int = 4, max_items: int | None = 6) -> list[str]:
    """A matrix one row per line, columns aligned, the first ``max_items`` rows and columns.

    >>> print("\\n".join(matrix_lines(np.array([[0.15, -0.2], [0.25, 0.3]]))))
    [[0.15, -0.2],
     [0.25,  0.3]]
    """
    rows = np.asarray(a).reshape(a.shape[0], -1)
    shown = rows if max_items is None else rows[:max_items, :max_items]
    cells = [[format_number(v, digits) for v in row] for row in shown]
    width = [max(len(row[j]) for row in cells) for j in range(shown.shape[1])]
    more = ", …" if shown.shape[1] < rows.shape[1] else ""
    lines = [" [" + ", ".join(c.rjust(w) for c, w in zip(row, width, strict=True)) + more + "]"
             for row in cells]
    if len(shown) < len(rows):
        lines.append(" …")
    lines[0] = "[" + lines[0][1:]
    lines[-1] += "]"
    lines[:-1] = [line + "," for line in lines[:-1]]
    if max_items is not None and any(n > max_items for n in a.shape):
        lines[-1] += f" (shape {a.shape})"
    return lines


def chain(lhs: str, *terms: str, width: int = WIDTH, indent: str = "  ") -> list[str]:
    """``lhs = t₁ = t₂ = …`` on one line if it fits ``width``, else one term per line under the first.

    A term of several lines (a matrix) is placed with its lines aligned under its first.

    >>> chain("z", "1·0.5 + 2", "2.5")
    ['  z = 1·0.5 + 2 = 2.5']
    >>> chain("W", "[[1, 2],\\n [3, 4]]")
    ['  W = [[1, 2],', '       [3, 4]]']
    """
    one = f"{indent}{lhs} = " + " = ".join(terms)
    if "\n" not in one and len(one) <= width:
        return [one]
    lines: list[str] = []
    for k, term in enumerate(terms):
        head = f"{indent}{lhs} = " if k == 0 else f"{indent}{' ' * len(lhs)} = "
        parts = term.split("\n")
        lines.append(head + parts[0])
        lines += [" " * len(head) + part for part in parts[1:]]
    return lines
