"""Every formula glassnet carries speaks one notation: each symbol it uses is in ``NOTATION``, once,
and its plain text and its LaTeX name the same symbols.

The components are found, not listed: every class with a ``formula`` in any glassnet module, and
every built-in entry of every ``Registry`` those modules define. Their LaTeX is typeset by KaTeX in
headless Chromium, which needs Debian's chromium and chromium-driver like the report test."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet
import glassnet.sklearn  # before glassnet.io.estimator, which it imports
from glassnet.explain import Step, Walkthrough
from glassnet.explain.html import render_html
from glassnet.nn import custom
from glassnet.notation import NOTATION, Symbol, latex_symbols, text_symbols
from glassnet.registry import Formula, Registry
from test_report_browser import check_full_page_screenshot, chromium, severe_errors

MODULES = [importlib.import_module(m.name) for m in pkgutil.walk_packages(glassnet.__path__, "glassnet.")
           if not m.name.endswith("__main__")]
REGISTRIES: list[Registry[Any]] = [v for m in MODULES for v in vars(m).values() if isinstance(v, Registry)]
COMPONENTS: dict[str, type[Any]] = {
    f"{v.__module__}.{v.__qualname__}": v for m in MODULES for v in vars(m).values()
    if isinstance(v, type) and isinstance(getattr(v, "formula", None), Formula)
}
DEFINED = {s.text for s in NOTATION}


def problems(formula: Formula, table: tuple[Symbol, ...] = NOTATION) -> list[str]:
    """What breaks the notation in one formula: undefined symbols, text and LaTeX that disagree."""
    defined, found = {s.text for s in table}, []
    for part, text, latex in (("formula", formula.text, formula.latex),
                              ("derivative", formula.derivative_text, formula.derivative_latex)):
        in_text, in_latex = text_symbols(text), latex_symbols(latex)
        if in_text - defined:
            found.append(f"{formula.name} {part}: {sorted(in_text - defined)} not in NOTATION")
        if in_text != in_latex:
            found.append(f"{formula.name} {part}: only the text has {sorted(in_text - in_latex)}, "
                         f"only the LaTeX has {sorted(in_latex - in_text)}")
    return found


def defined_twice(table: tuple[Symbol, ...]) -> list[str]:
    """Spellings (plain or LaTeX) that more than one entry claims."""
    texts, latexes = [s.text for s in table], [s.latex for s in table]
    return sorted({t for t in texts if texts.count(t) > 1} | {t for t in latexes if latexes.count(t) > 1})


def test_components_are_found_in_every_family() -> None:
    families = {r.family for r in REGISTRIES}
    assert {"activation", "layer", "loss", "optimizer", "schedule", "regularizer"} <= families
    for registry in REGISTRIES:
        for entry in registry.entries():
            if entry.built_in and isinstance(getattr(entry.value, "formula", None), Formula):
                assert entry.value in COMPONENTS.values(), f"{registry.family} {entry.name}"
    assert len(COMPONENTS) >= 50 and "glassnet.sklearn.network.ScaledLoss" in COMPONENTS


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_formula_uses_only_the_notation_and_text_matches_latex(name: str) -> None:
    assert problems(COMPONENTS[name].formula) == []


def test_a_user_activation_without_a_formula_gets_one_in_the_notation() -> None:
    assert problems(custom._default_formula("my_swish", None)) == []
    assert problems(custom._default_formula("my_swish", lambda z: z)) == []


def test_no_symbol_is_defined_twice_and_each_spelling_finds_its_entry() -> None:
    assert defined_twice(NOTATION) == []
    for symbol in NOTATION:
        assert text_symbols(symbol.text) == {symbol.text}, symbol
        assert latex_symbols(symbol.latex) == {symbol.text}, symbol
        assert symbol.meaning and symbol.section


def test_sections_come_in_reading_order() -> None:
    sections = list(dict.fromkeys(s.section for s in NOTATION))
    assert sections == ["Input", "Forward pass", "Loss", "Backward pass", "Update",
                        "Optimizer state and hyperparameters", "Per-component parameters"]


def test_the_checker_catches_a_bad_formula() -> None:
    undefined = Formula("Bad", "g = ∇f(θ) + λ·θ", r"g = \nabla f(\theta) + \lambda\theta")
    assert problems(undefined) == ["Bad formula: ['∇'] not in NOTATION", "Bad formula: only the text has "
                                   "['∇'], only the LaTeX has ['\\\\nabla']"]
    only_latex = Formula("Bad", "B ← μ·B + (1 − dampening)·g", r"B \leftarrow \mu B + (1 - \tau) g")
    assert problems(only_latex) == ["Bad formula: only the text has [], only the LaTeX has ['τ']"]
    stray_letter = Formula("Bad", "f(z) = z if z > 0, else a·z", r"f(z) = \alpha z")
    assert any("only the text has ['a']" in p for p in problems(stray_letter))
    other_epsilon = Formula("Bad", "", "", "u = g/(√v + ε)", r"u = \frac{g}{\sqrt{v} + \varepsilon}")
    assert problems(other_epsilon) == [
        "Bad derivative: only the text has ['ε'], only the LaTeX has ['\\\\varepsilon']"]
    assert problems(Formula("Bad", "ℓ = (ŷ − o)²", r"\ell = (\hat y - o)^2")) == [
        "Bad formula: ['o'] not in NOTATION"]


def test_the_checker_catches_a_symbol_defined_twice() -> None:
    twice = (*NOTATION, Symbol("b", r"\mathbf{b}", "SGD's momentum buffer", "Update"))
    assert defined_twice(twice) == ["b"]
    assert problems(Formula("Fine", "g", "g"), twice) == []


def test_words_are_not_symbols_and_letters_are() -> None:
    assert text_symbols("f(z) = ln(1 + exp(β·z)) / β  (f(z) = z where β·z > threshold)") == {"f", "z", "β"}
    assert text_symbols("R = λ₁·Σ|W|  (λ₁ = l1)") == {"R", "λ₁", "Σ", "W"}
    assert text_symbols("w_c·ỹ_c") == {"w", "c", "ỹ"}
    assert latex_symbols(r"\begin{cases} z & z > 0 \\ 0 & \text{otherwise} \end{cases}") == {"z"}
    assert latex_symbols(r"xy + \eta_{\min} + \eta_t") == {"x", "y", "η_min", "η", "t"}


def formula_page(path: Path) -> int:
    """Write each component's LaTeX (formula, derivative) and the notation's on one explain HTML page;
    returns how many formulas it holds."""
    formulas = [cls.formula for cls in COMPONENTS.values()]
    steps = [Step("loss", None, f"{f.name}: {part}", text, latex, "", np.array(0.0)) for f in formulas
             for part, text, latex in (("formula", f.text, f.latex),
                                       ("derivative", f.derivative_text, f.derivative_latex))
             if latex]
    symbols = r",\quad ".join(s.latex for s in NOTATION)
    steps.append(Step("loss", None, "NOTATION", "", symbols, "", np.array(0.0)))
    path.write_text(render_html(Walkthrough(steps, 0.0, 0.0)), encoding="utf-8")
    return len(steps)


def test_every_formula_typesets_in_katex_in_headless_chromium(tmp_path: Path) -> None:
    n = formula_page(tmp_path / "formulas.html")
    driver = chromium(tmp_path / "profile")
    try:
        driver.get((tmp_path / "formulas.html").as_uri())
        counts = driver.execute_script("""return {
            math: document.querySelectorAll(".math").length,
            typeset: document.querySelectorAll(".math > .katex").length,
            errors: document.querySelectorAll(".katex-error").length};""")
        assert counts == {"math": n, "typeset": n, "errors": 0}, counts
        assert severe_errors(driver) == []
        check_full_page_screenshot(driver, tmp_path / "formulas.png")
    finally:
        driver.quit()
