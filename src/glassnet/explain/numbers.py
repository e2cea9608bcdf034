"""Compact, consistent number formatting for the walkthrough: 4 significant digits, large arrays in part."""

from __future__ import annotations

import numpy as np

__all__ = ["format_array", "format_number", "sup"]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


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
