"""Renderers of a walkthrough's steps: plain text for a terminal, Markdown, and HTML.

Each renderer maps a sequence of Steps to a string; ``RENDERERS`` names them. The HTML one, with
``Step.formula_latex`` typeset by bundled KaTeX, lives in ``explain/html.py``.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from glassnet.explain.html import render_html
from glassnet.explain.numbers import WIDTH, format_number
from glassnet.explain.step import Page, Step

__all__ = ["RENDERERS", "to_markdown", "to_text"]

_SECTIONS = {"input": "Input", "linear": "Forward pass", "loss": "Loss", "delta": "Backward pass",
             "regularizer": "Regularization", "total": "Gradient with the penalties",
             "update": "Update"}  # fmt: skip
_SECTION_OF = {"activation": "linear", "norm": "linear", "embedding": "linear", "pass": "linear",
               "grad": "delta"}


def _section(step: Step) -> str:
    return _SECTIONS[_SECTION_OF.get(step.kind, step.kind)]


def _wrapped(line: str, width: int = WIDTH) -> list[str]:
    """A line longer than ``width`` broken at spaces, its continuation indented under its text."""
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def _preamble(page: Page) -> list[str]:
    """The header rows and the notation, as text lines."""
    lines = [f"{label:>9}: {text}" for label, text in page.header]
    if page.notation:
        lines += ["", "notation:"]
        for symbol, _latex, meaning in page.notation:
            pad = 10 + sum(1 for ch in symbol if unicodedata.combining(ch))  # m̂: its mark takes no column
            lines += textwrap.wrap(f"  {symbol:<{pad}} {meaning}", WIDTH, subsequent_indent=" " * 13)
    return lines


def _markdown_preamble(page: Page) -> list[str]:
    """The header rows as a list and the notation as a table, in Markdown."""
    lines = [f"- **{label}**: `{text}`" for label, text in page.header] + ([""] if page.header else [])
    if page.notation:
        lines += ["| symbol | meaning |", "|---|---|"]
        lines += [f"| ${latex}$ | {meaning.replace('|', '&#124;')} |" for _, latex, meaning in page.notation]
        lines.append("")
    return lines


def to_text(steps: Sequence[Step], preamble: Sequence[str] = ()) -> str:
    """The steps for a terminal: a heading per section, then title, formula and numbers per step.

    A formula is shown once for steps in a row that share it; no line is wider than ``WIDTH``.

    >>> s = Step("loss", None, "loss", "ℓ = (ŷ − y)²", "", "L = (0.5 − 1)² = 0.25", np.array(0.25))
    >>> print(to_text([s]))
    == Loss ==
    loss
      formula: ℓ = (ŷ − y)²
      L = (0.5 − 1)² = 0.25
    """
    lines: list[str] = [*preamble]
    section, formula = "", ""
    for step in steps:
        if _section(step) != section:
            section = _section(step)
            lines += ([""] if lines else []) + [f"== {section} =="]
        lines.append(step.title)
        if step.formula_text and step.formula_text != formula:
            lines.append(f"  formula: {step.formula_text}")
        formula = step.formula_text
        lines += [f"  {line}" for line in step.substituted.splitlines()]
    return "\n".join(part for line in lines for part in _wrapped(line))


def _table(value: np.ndarray, max_items: int | None) -> list[str]:
    """A 2-D value as a Markdown table (rows are samples or neurons), the first max_items of each."""
    rows = value.reshape(value.shape[0], -1) if value.ndim else value.reshape(1, 1)
    shown = rows[:max_items, :max_items] if max_items is not None else rows
    header = [f"{j}" for j in range(shown.shape[1])] + (["…"] if shown.shape[1] < rows.shape[1] else [])
    lines = ["| " + " | ".join(["", *header]) + " |", "|" + "---|" * (len(header) + 1)]
    for i, row in enumerate(shown):
        cells = [format_number(v) for v in row] + (["…"] if shown.shape[1] < rows.shape[1] else [])
        lines.append("| " + " | ".join([f"**{i}**", *cells]) + " |")
    if shown.shape[0] < rows.shape[0]:
        lines.append("| … |" + " |" * len(header))
    return lines


def to_markdown(steps: Sequence[Step], max_items: int | None = 6) -> str:
    """The steps as Markdown: sections as headings, formulas as LaTeX, numbers in code and tables.

    >>> s = Step("loss", None, "loss", "ℓ = (x − y)²", r"\\ell = (x - y)^2", "L = 0.25", np.array(0.25))
    >>> print(to_markdown([s]))
    ## Loss
    <BLANKLINE>
    ### loss
    <BLANKLINE>
    $\\ell = (x - y)^2$
    <BLANKLINE>
    ```text
    L = 0.25
    ```
    <BLANKLINE>
    """
    lines: list[str] = []
    section = ""
    for step in steps:
        if _section(step) != section:
            section = _section(step)
            lines += [f"## {section}", ""]
        lines += [f"### {step.title}", ""]
        if step.formula_latex:
            lines += [f"${step.formula_latex}$", ""]
        lines += ["```text", step.substituted, "```", ""]
        if step.value.ndim == 2 and step.value.size > 1:
            lines += [*_table(step.value, max_items), ""]
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Page], str]] = {
    "text": lambda page: to_text(page.steps, _preamble(page)),
    "md": lambda page: "\n".join(_markdown_preamble(page)) + to_markdown(page.steps, page.max_items),
    "html": render_html,
}
"""Output format name → renderer(page); the CLI's ``--format`` chooses from it."""
