"""Checks a walkthrough's printed arithmetic: every expression it writes out with numbers, evaluated from
those printed numbers, gives the printed result at the printed precision.

A step's lines are joined into equations (``lhs = t₁ = t₂ = …``, continued on lines that start with
``=`` or inside open brackets); each pair of neighbouring terms where the first is an expression of
numbers (``0.5·(-0.008369)``, ``(0.5577 + 0.603) / 2``, ``[1·0.15 + 0·0.2 + 0.35, …]``) and the second
its value is evaluated with NumPy and compared (a batch's first sample against the result's first
row). Terms with symbols (``∂L/∂W¹``, ``mean(ℓ)``) are names,
not arithmetic, and are skipped; so are truncated arrays (``…``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

_NAMESPACE = {"array": np.array, "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs,
              "tanh": np.tanh, "sign": np.sign, "max": np.maximum, "min": np.minimum, "float": float,
              "__builtins__": {}}
_OPERATORS = re.compile(r"\*|/|sqrt|exp|log|abs|tanh|sign|max|min|float| \+ | - ")


@dataclass
class Checked:
    """One comparison: the expression as printed, its value from the printed numbers, the printed result."""

    expression: str
    computed: np.ndarray
    printed: np.ndarray


def _depth_split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` where no bracket or parenthesis is open."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text[i] in "([":
            depth += 1
        elif text[i] in ")]":
            depth -= 1
        if depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    return [*parts, text[start:]]


def equations(substituted: str) -> list[str]:
    """The step's lines joined into whole equations."""
    found: list[str] = []
    for line in substituted.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        open_brackets = found and found[-1].count("[") + found[-1].count("(") > \
            found[-1].count("]") + found[-1].count(")")
        if found and (stripped.startswith("= ") or open_brackets or stripped.startswith("− [")):
            found[-1] += " " + stripped
        else:
            found.append(stripped)
    return [e for e in found if " = " in e]


def _python(term: str) -> str:
    """A printed term as Python: · → *, − → -, x² → x**2, √x → sqrt(x), log x → log(x), |x| → abs(x)."""
    t = term.replace("·", "*").replace("−", "-").replace("²", "**2")
    t = re.sub(r"√\(", "sqrt(", t)
    t = re.sub(r"√([-\d.e]+)", r"sqrt(\1)", t)
    t = re.sub(r"log ([-\d.e()]+)", r"log(\1)", t)
    t = re.sub(r"\|([^|]+)\|", r"abs(\1)", t)
    t = re.sub(r"𝟙\[([^\]]+)\]", r"float(\1)", t).replace("≤", "<=")
    out, depth = [], 0
    for c in t:  # each outermost [...] becomes array([...]), so lists subtract and divide
        if c == "[":
            out.append("array([" if depth == 0 else "[")
            depth += 1
        elif c == "]":
            depth -= 1
            out.append("])" if depth == 0 else "]")
        else:
            out.append(c)
    return "".join(out)


def _value(term: str) -> np.ndarray | None:
    if "…" in term or not term.strip():
        return None
    try:
        value = eval(_python(term), _NAMESPACE)  # printed numbers and operators only
        return np.asarray(value, dtype=np.float64)
    except Exception:  # a symbol (ŷ, ∂L/∂W¹), not arithmetic
        return None


def check(substituted: str, digits: int) -> list[Checked]:
    """Every expression of printed numbers in a step, evaluated; raises AssertionError where it disagrees.

    The tolerance is one unit in the last printed digit of the largest number involved.
    """
    checked = []
    for equation in equations(substituted):
        terms = _depth_split(equation, " = ")
        for left, right in itertools.pairwise(terms):
            if not _OPERATORS.search(_python(left)):
                continue
            first = left.endswith(" (sample 1)")  # a batch's first sample, written out
            computed, printed = _value(left.removesuffix(" (sample 1)")), _value(right)
            if first and printed is not None:
                printed = printed[0]
            if computed is None or printed is None or _OPERATORS.search(_python(right)):
                continue
            numbers = [abs(float(x)) for x in re.findall(r"\d+\.?\d*(?:e[-+]?\d+)?", left + " " + right)]
            scale = max([*numbers, 1e-300])
            tol = 10.0 ** (1 - digits) * scale
            assert computed.size == printed.size, (equation, computed, printed)
            bad = ~np.isclose(computed.reshape(printed.shape), printed, rtol=0, atol=tol)
            assert not bad.any(), f"{left} = {computed.tolist()} but printed {right} (tolerance {tol:g})"
            checked.append(Checked(left, computed, printed))
    return checked
