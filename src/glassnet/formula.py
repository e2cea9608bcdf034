"""Formulas as data: every activation, loss, regularizer and optimizer carries one.

Docs, the report and the explain walkthrough render from these records, so the words shown to a
reader cannot drift from the code that computes the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Formula"]


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
