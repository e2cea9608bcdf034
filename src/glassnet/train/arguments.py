"""fit's numeric arguments, checked before anything runs: each error names the argument, range and fix."""

from __future__ import annotations

import numbers
from typing import Any

from glassnet.errors import GlassnetError

__all__ = ["check_fit_arguments"]


def _whole(name: str, value: Any, low: int, example: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise GlassnetError(f"fit got {name}={value!r}; expected a whole number >= {low}, "
                            f"e.g. {name}={example}")


def check_fit_arguments(epochs: Any, batch_size: Any, validation_split: Any, verbose: Any) -> None:
    """Raise a GlassnetError for an epochs, batch_size, validation_split or verbose that fit cannot use.

    >>> check_fit_arguments(5, 0, 0.0, 0)
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: fit got batch_size=0; expected a whole number >= 1, e.g. batch_size=32
    """
    _whole("epochs", epochs, 1, 10)
    if batch_size is not None:
        _whole("batch_size", batch_size, 1, 32)
    split = validation_split
    fraction = isinstance(split, numbers.Real) and not isinstance(split, bool) and float(split) < 1
    if not fraction or not (float(split) == 0 or float(split) > 0):
        raise GlassnetError(f"fit got validation_split={split!r}; expected 0 (none) or a fraction in (0, 1), "
                            "e.g. validation_split=0.2")
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise GlassnetError(f"fit got verbose={verbose!r}; expected 0 (silent), 1 (progress bar) or 2 (one "
                            "line per epoch)")
