"""The HTML walkthrough: one self-contained page (KaTeX bundled, nothing fetched), every formula of
every activation, loss, regularizer and optimizer typeset by KaTeX in headless Chromium. Needs
Debian's chromium and chromium-driver like the report test: run `bash .ci/install-browser`; the
browser test fails, never skips, without them."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet import nn, optim
from glassnet.cli import main
from glassnet.explain import RENDERERS, Step, Walkthrough, explain
from glassnet.explain.html import render_html
from glassnet.nn.activations import ACTIVATIONS
from glassnet.regularizers import L1, L2
from test_explain import LOSSES, OPTIMIZERS, _net_for, _target, _var
from test_report_browser import check_full_page_screenshot, chromium, severe_errors

# XML namespace names inside katex.min.js: identifiers that createElementNS compares, never fetched
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1998/Math/MathML")


def xor_walkthrough() -> Walkthrough:
    """The classic 2-2-1 sigmoid network on x = (1, 0), y = 1, with MSE, SGD and an L2 penalty."""
    net = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Sigmoid(), nn.Linear(2, 1, dtype=np.float64),
                        nn.Sigmoid())
    net.load_state_dict({"0.weight": np.array([[0.15, 0.2], [0.25, 0.3]]), "0.bias": np.array([0.35, 0.35]),
                         "2.weight": np.array([[0.4, 0.45]]), "2.bias": np.array([0.6])})
    return explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.5), L2(0.01))


def every_formula() -> list[Step]:
    """Steps of walkthroughs that together carry every activation, loss, optimizer and penalty."""
    rng = np.random.default_rng(0)
    steps: list[Step] = []
    for i, activation in enumerate(sorted(ACTIVATIONS)):
        loss_name = sorted(LOSSES)[i % len(LOSSES)]
        opt_name = sorted(OPTIMIZERS)[i % len(OPTIMIZERS)]
        loss, n_out = LOSSES[loss_name]
        net = _net_for(ACTIVATIONS[activation], loss_name, i)
        X, y, var = rng.normal(size=(2, 3)), _target(loss_name, n_out, rng), _var(loss_name, n_out, rng)
        w = explain(net, X, y, loss(), OPTIMIZERS[opt_name](net.parameters()), [L1(0.01), L2(0.02)], **var)
        steps += w.steps
    return steps


def outside_links(page: str) -> list[str]:
    for name in NAMESPACES:
        page = page.replace(name, "")
    return re.findall(r"https?://\S{0,40}|//[\w.-]+\.\w+/|url\((?!data:)[^)]*\)", page)


def shown_formulas(steps: list[Step]) -> int:
    """Formulas the page typesets: every step's, but a per-parameter formula (update, total) once."""
    repeated = ("update", "total")
    per_parameter = {(s.kind, s.formula_latex) for s in steps if s.kind in repeated and s.formula_latex}
    return sum(bool(s.formula_latex) for s in steps if s.kind not in repeated) + len(per_parameter)


def test_page_is_self_contained_and_carries_every_formula() -> None:
    w = xor_walkthrough()
    page = w.to_html()
    assert page == w.render("html") == RENDERERS["html"](w)
    assert page.startswith("<!DOCTYPE html>") and page.count("<script") == 2
    assert outside_links(page) == [], "the page must open offline: no URL outside the page itself"
    markup = re.sub(r"(?s)<(script|style)>.*?</\1>", "", page)  # the page's own tags, KaTeX left out
    assert not re.search(r"<[^>]*\b(src|href)\s*=", markup) and markup.count("<div") > 10
    assert "@font-face" in page and page.count("data:font/woff2;base64,") == page.count("@font-face")
    assert len([s for s in w.steps if s.formula_latex]) >= 8
    text = re.sub(r"</?span[^>]*>", "", page)  # numbers in e-notation sit in nowrap spans
    for step in w.steps:
        assert escape(step.title) in page and escape(step.substituted) in text
        if step.formula_latex:
            assert f'<div class="math">{escape(step.formula_latex)}</div>' in page
    assert page.count('<div class="math">') == shown_formulas(w.steps)


def test_an_optimizer_formula_is_shown_once_then_only_the_numbers() -> None:
    w = xor_walkthrough()
    updates = w.find("update")
    assert len(updates) == 4 and len({s.formula_latex for s in updates}) == 1
    page = w.to_html()
    assert page.count(f'<div class="math">{escape(updates[0].formula_latex)}</div>') == 1
    same = re.findall(r'<div class="label same-formula">([^<]*)</div>', page)
    first = f"formula as in “{escape(updates[0].title)}” above"
    assert same.count(first) == 3  # W¹'s update typesets it; b¹, W², b² refer to it
    sections = page.split('<section class="step" data-kind="update">')[1:]
    assert ['class="math"' in s for s in sections] == [True, False, False, False]
    for step, section in zip(updates, sections, strict=True):
        assert escape(step.substituted) in section


def test_header_rows_notation_and_the_network_diagram_open_the_page() -> None:
    w = xor_walkthrough()
    w.notation = [("W¹", "W^1", "weights of layer 1 <out, in>"), ("δ", r"\delta", "∂L/∂z & more")]
    page = w.to_html()
    assert len(w.header) >= 5
    for label, text in w.header:
        assert f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" in page
    row = '<td><span class="math inline">W^1</span></td><td>W¹</td><td>weights of layer 1 &lt;out, in&gt;'
    assert row in page and '<span class="math inline">\\delta</span>' in page and "∂L/∂z &amp; more" in page
    header, notation = page.index('<dl class="header">'), page.index('<table class="notation">')
    diagram, steps = page.index('<aside class="diagram">'), page.index('<main class="steps">')
    assert header < notation < diagram < steps < page.index('<section class="step"')
    assert page.count('class="link ') == sum(layer.weight.size for layer in w.network) == 6
    w.network, w.notation, w.header = [], [], []
    bare = re.sub(r"(?s)<(script|style)>.*?</\1>", "", w.to_html())
    assert '<aside class="diagram">' not in bare and "<svg" not in bare and "<dl" not in bare


def test_text_is_escaped_never_markup() -> None:
    step = Step("loss", None, "<script>alert(1)</script>", "", r"a < b \& c", "L = <b>0</b> & 1",
                np.array([[1.0, 2.0]]))
    page = render_html(Walkthrough([step], 0.0, 0.0))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<div class="math">a &lt; b \\&amp; c</div>' in page and "L = &lt;b&gt;0&lt;/b&gt; &amp; 1" in page


def test_cli_writes_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and 'class="math"' in page and outside_links(page) == []


def _typeset(driver: Any, page: Path) -> dict[str, int]:
    """Open page and count its formulas: math divs, typeset (.katex) ones, KaTeX errors, fetches."""
    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    return driver.execute_script("""return {
        math: document.querySelectorAll(".math").length,
        typeset: document.querySelectorAll(".math > .katex").length,
        katex: document.querySelectorAll(".katex").length,
        errors: document.querySelectorAll(".katex-error").length,
        fetched: performance.getEntriesByType("resource").filter(e => !e.name.startsWith("data:")).length,
        red: [...document.querySelectorAll(".katex-error")].map(e => getComputedStyle(e).color)};
    """)


def test_walkthrough_renders_in_headless_chromium_with_its_math_typeset(tmp_path: Path) -> None:
    steps = xor_walkthrough().steps + every_formula()
    page = tmp_path / "walkthrough.html"
    w = xor_walkthrough()
    w.steps = steps
    n_formulas = shown_formulas(steps) + len(w.notation)  # each symbol of the notation table is typeset
    page.write_text(render_html(w), encoding="utf-8")
    broken = tmp_path / "broken.html"  # the error check below can fail
    broken.write_text(render_html(Walkthrough([Step("loss", None, "broken", "", r"\frac{1}{", "L = 1",
                                                    np.array(1.0)), *steps[:3]], 1.0, 1.0)))
    driver = chromium(tmp_path / "profile")
    try:
        counts = _typeset(driver, page)
        severe = severe_errors(driver)
        assert severe == [], f"the walkthrough logged console errors: {severe}"
        assert counts == {"math": n_formulas, "typeset": n_formulas, "katex": n_formulas, "errors": 0,
                          "fetched": 0, "red": []}, counts
        fonts = driver.execute_script("return document.fonts.ready.then(f => "
                                      "[...f].filter(x => x.status == 'loaded').map(x => x.family))")
        assert {"KaTeX_Main", "KaTeX_Math"} <= set(fonts), fonts  # the inlined fonts, not fallbacks

        check_full_page_screenshot(driver, tmp_path / "walkthrough.png")

        counts = _typeset(driver, broken)  # shown in red, and the formulas after it still typeset
        assert counts["errors"] == 1 and counts["red"] == ["rgb(204, 0, 0)"], counts
        good = sum(bool(s.formula_latex) for s in steps[:3])
        assert counts["typeset"] == counts["math"] - 1 == good, counts
    finally:
        driver.quit()
