"""The one exception hierarchy of glassnet: everything raised for a user's mistake is a GlassnetError.

With it, the two checks of a number argument every component shares (``check_number``,
``check_whole``), so that each refusal reads the same: who got which value, what was expected.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["GlassnetError", "GradcheckError", "ShapeError", "check_number", "check_whole"]


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose.

    Messages say what happened, what was expected and how to fix it.
    """


class ShapeError(GlassnetError, ValueError):
    """An array has a shape the operation cannot use."""


class GradcheckError(GlassnetError, AssertionError):
    """Backward disagrees with finite differences; the message names input, index and both values."""


def check_number(owner: str, name: str, value: Any, low: float = -math.inf, high: float = math.inf, *,
                 open_low: bool = False, open_high: bool = True, example: Any = 1.0,
                 finite: bool = True) -> float:
    """A finite number in [low, high] (an open end excluded), or an error naming the argument and the range.

    A bool, a string, None or a list is not a number here, and nan is never in range, nor ±inf
    unless ``finite=False`` (then the range is checked as given, its ends included).

    >>> check_number("HuberLoss", "delta", -1.0, 0.0, open_low=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: HuberLoss got delta=-1.0; expected a finite number in (0, inf), ...
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    above = number > low if open_low and not (math.isinf(low) and not finite) else number >= low
    below = number < high if open_high and not (math.isinf(high) and not finite) else number <= high
    ok = ok and above and below and (math.isfinite(number) or not finite)
    if not ok:
        bounds = f" in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        bounds = "" if math.isinf(low) and math.isinf(high) else bounds
        raise GlassnetError(f"{owner} got {name}={value!r}; expected a {'finite ' if finite else ''}number"
                            f"{bounds}, e.g. {name}={example!r}")
    return number


def check_whole(owner: str, name: str, value: Any, low: int | None = 0, example: Any = 1) -> int:
    """A whole number >= low (any whole number with low=None; a bool or 2.0 is not one), or an error
    naming the argument.

    >>> check_whole("Linear", "in_features", -1, example=64)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: Linear got in_features=-1; expected a whole number >= 0, e.g. ...
    """
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not whole or (low is not None and value < low):
        expected = "a whole number" if low is None else f"a whole number >= {low}"
        raise GlassnetError(f"{owner} got {name}={value!r}; expected {expected}, e.g. {name}={example!r}")
    return int(value)
