"""Components as data: each carries its Formula, and each family of them is one Registry.

Docs, the report and the explain walkthrough render from these records, so the words shown to a
reader cannot drift from the code that computes the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from glassnet.errors import GlassnetError

__all__ = ["Formula", "lookup"]

T = TypeVar("T")


@dataclass(frozen=True)
class Formula:
    """A component's math, in plain text and in LaTeX.

    Args:
        name: the component's name, e.g. ``"Sigmoid"``.
        text: the forward formula in plain text, e.g. ``"σ(z) = 1 / (1 + exp(-z))"``.
        latex: the same in LaTeX.
        derivative_text: its derivative (or update rule) in plain text; empty if none.
        derivative_latex: the same in LaTeX.

    >>> f = Formula("Identity", "f(z) = z", "f(z) = z", "f'(z) = 1", "f'(z) = 1")
    >>> f.text
    'f(z) = z'
    """

    name: str
    text: str
    latex: str
    derivative_text: str = ""
    derivative_latex: str = ""


def lookup(table: Mapping[str, T], name: str, family: str) -> T:
    """``table[name]`` (case and surrounding spaces ignored), or an error listing the valid names.

    >>> lookup({"relu": 1, "tanh": 2}, " ReLU", "activation")
    1
    >>> lookup({"adam": 1, "sgd": 2}, "adamm", "optimizer")
    Traceback (most recent call last):
    glassnet.errors.GlassnetError: unknown optimizer 'adamm'; choose one of adam, sgd
    """
    key = str(name).strip().lower()
    if key not in table:
        raise GlassnetError(f"unknown {family} {name!r}; choose one of {', '.join(sorted(table))}")
    return table[key]
