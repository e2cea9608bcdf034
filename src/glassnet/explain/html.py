"""The walkthrough as one self-contained HTML page, its formulas typeset by KaTeX offline.

The page opens with the Page's header rows (network, sample, loss, optimizer), the notation table
and, beside the steps, a diagram of the network (``explain/diagram.py``); it reflows to the window
(a sticky side column from 1100 px, the diagram above the steps below that). KaTeX's script and
stylesheet (fonts inlined as ``data:`` URIs) are bundled in ``assets/`` and inlined into the page,
so it opens from a file with no network; ``tools/bundle_katex.py`` rebuilds them. Formulas are
typeset at load time with ``throwOnError: false``, so a bad one shows in red instead of stopping
the rest; every text is escaped with ``engine.draw.esc`` (as the report and SVGs are).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib.resources import files

import numpy as np

from glassnet.engine.draw import esc as escape
from glassnet.explain.diagram import network_svg
from glassnet.explain.numbers import format_array, format_number
from glassnet.explain.step import Page, Step

__all__ = ["render_html"]

_E_NOTATION = re.compile(r"-?\d+(?:\.\d+)?e[-+]\d+")
_PER_PARAMETER = ("update", "total")  # kinds that repeat one formula for every parameter

# Inline mode with \displaystyle: KaTeX may then wrap a long formula after a relation, a binary
# operator, or the separators the steps use (\quad, ";\ "), where display mode never wraps.
_TYPESET = r"""document.querySelectorAll(".math").forEach(function (el) {
  var tex = el.textContent, inline = el.classList.contains("inline");
  if (!inline) tex = "\\displaystyle " + tex.replace(/\\quad(?![a-zA-Z])|;\\ /g, "$&\\allowbreak ");
  try { katex.render(tex, el, {throwOnError: false}); }
  catch (e) { el.classList.add("katex-error"); el.title = String(e); }
});"""

_STYLE = """*, *::before, *::after { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; max-width: 96rem; margin: 0 auto;
       padding: 1rem clamp(0.6rem, 2.5vw, 2rem); color: #1b1f24; background: #fff; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #d0d7de; margin: 1.6rem 0 0.6rem; }
.facts { display: flex; flex-wrap: wrap; gap: 0 2.5rem; } .facts > section { flex: 1 1 22rem; min-width: 0; }
dl.header { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.15rem 1rem; margin: 0; }
dl.header dt { color: #57606a; } dl.header dd { margin: 0; font-family: ui-monospace, monospace;
       font-size: 0.9rem; overflow-wrap: anywhere; }
summary h2 { display: inline; } summary { cursor: pointer; }
table.notation { border-collapse: collapse; } table.notation td, table.notation th { padding: 0.1rem 0.6rem;
       border-bottom: 1px solid #d0d7de; text-align: left; vertical-align: baseline; }
.layout { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0 2rem; }
.diagram svg { display: block; width: 100%; max-width: 34rem; height: auto; }
@media (min-width: 1100px) {
  .layout { grid-template-columns: minmax(0, 1fr) minmax(18rem, 30rem); }
  .diagram { grid-column: 2; grid-row: 1; position: sticky; top: 0; align-self: start;
             max-height: 100vh; overflow-y: auto; }
  .diagram svg { max-height: calc(100vh - 9rem); }  /* the whole column in view, the drawing scaled */
  .steps { grid-column: 1; grid-row: 1; }
}
.step { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.2rem 1rem 0.8rem; margin: 1rem 0; }
.step h3 { font-size: 1.05rem; margin: 0.6rem 0 0.2rem; overflow-wrap: anywhere; }
div.math { overflow-x: auto; overflow-y: hidden; padding: 0.4rem 0; }
pre { background: #f6f8fa; padding: 0.6rem 0.8rem; border-radius: 4px; margin: 0.4rem 0;
      white-space: pre-wrap; overflow-wrap: anywhere; }
.num { white-space: nowrap; } .scroll { overflow-x: auto; max-width: 100%; }
table.value { border-collapse: collapse; font: 0.9rem ui-monospace, monospace; margin: 0.4rem 0; }
table.value td, table.value th { border: 1px solid #d0d7de; padding: 0.15rem 0.5rem; text-align: right; }
table.value th { background: #f6f8fa; }
.label { color: #57606a; font-size: 0.9rem; overflow-wrap: anywhere; }"""


@functools.cache
def _asset(name: str) -> str:
    return files("glassnet.explain").joinpath("assets", name).read_text(encoding="utf-8")


def _table(value: np.ndarray, max_items: int | None) -> str:
    """A 2-D value as an HTML table (rows are samples or neurons), the first max_items of each."""
    rows = value.reshape(value.shape[0], -1)  # (n_rows, n_columns)
    shown = rows if max_items is None else rows[:max_items, :max_items]
    more = ["<td>…</td>"] if shown.shape[1] < rows.shape[1] else []
    header = "".join(f"<th>{j}</th>" for j in range(shown.shape[1])) + ("<th>…</th>" if more else "")
    body = ["<tr><th></th>" + header + "</tr>"]
    for i, row in enumerate(shown):
        cells = "".join(f"<td>{escape(format_number(v))}</td>" for v in row)
        body.append(f"<tr><th>{i}</th>{cells}{''.join(more)}</tr>")
    if shown.shape[0] < rows.shape[0]:
        body.append("<tr><th>…</th></tr>")
    shape = escape(str(value.shape))
    return f'<div class="scroll"><table class="value" data-shape="{shape}">{"".join(body)}</table></div>'


def _numbers(text: str) -> str:
    """Escaped text whose numbers in e-notation never break at their sign (``-4.5e-05`` stays whole).

    >>> _numbers("m = [-4.526e-05, 1] < 2")
    'm = [<span class="num">-4.526e-05</span>, 1] &lt; 2'
    """
    return _E_NOTATION.sub(r'<span class="num">\g<0></span>', escape(text))


def _step(step: Step, max_items: int | None, shown_in: str | None = None) -> str:
    """One step; ``shown_in``: the title of an earlier step that typeset the same formula, left out here."""
    parts = [f'<section class="step" data-kind="{escape(step.kind)}">', f"<h3>{escape(step.title)}</h3>"]
    if step.formula_latex and shown_in is not None:
        parts.append(f'<div class="label same-formula">formula as in “{escape(shown_in)}” above</div>')
    elif step.formula_latex:
        parts.append(f'<div class="math">{escape(step.formula_latex)}</div>')
    parts.append(f'<pre class="substituted">{_numbers(step.substituted)}</pre>')
    value = np.asarray(step.value)
    if value.ndim == 2 and value.size > 1:
        parts += ['<div class="label">value</div>', _table(value, max_items)]
    else:
        text = format_array(value, max_items=max_items)
        parts.append(f'<div class="label">value: <code class="value">{escape(text)}</code></div>')
    return "\n".join([*parts, "</section>"])


def _steps(steps: Sequence[Step], max_items: int | None) -> list[str]:
    """The steps under a heading per section; a per-parameter formula is typeset once."""
    from glassnet.explain.render import _section  # render.py imports this module to register "html"

    body: list[str] = []
    first: dict[tuple[str, str], str] = {}  # (kind, formula) -> title of the step that typeset it
    section = ""
    for step in steps:
        if _section(step) != section:
            section = _section(step)
            body.append(f"<h2>{escape(section)}</h2>")
        key = (step.kind, step.formula_latex)
        body.append(_step(step, max_items, first.get(key) if step.kind in _PER_PARAMETER else None))
        first.setdefault(key, step.title)
    return body


def _facts(header: Sequence[tuple[str, str]], notation: Sequence[tuple[str, str, str]]) -> list[str]:
    """The header rows as a definition list and the notation as a table, symbols typeset by KaTeX."""
    parts = ['<div class="facts">']
    if header:
        rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" for label, text in header)
        parts.append(f'<section><h2>What is derived</h2><dl class="header">{rows}</dl></section>')
    if notation:
        rows = "".join(f'<tr><td><span class="math inline">{escape(latex)}</span></td>'
                       f"<td>{escape(symbol)}</td><td>{escape(meaning)}</td></tr>"
                       for symbol, latex, meaning in notation)
        title = f"Notation: the {len(notation)} symbols below"
        parts.append(f"<section><details><summary><h2>{title}</h2></summary>"
                     '<table class="notation"><tr><th>symbol</th><th>in the numbers</th><th>meaning</th></tr>'
                     f"{rows}</table></details></section>")
    return [*parts, "</div>"]


def render_html(page: Page) -> str:
    """The page: header rows, notation, then the steps (title, typeset formula, numbers, value) beside
    the network diagram.

    >>> s = Step("loss", None, "loss <1>", "ℓ = (x − y)²", r"\\ell = (x - y)^2", "L = 0.25", np.array(0.25))
    >>> from types import SimpleNamespace
    >>> page = SimpleNamespace(steps=[s], max_items=6, digits=4, header=[("loss", "MSELoss()")],
    ...                        notation=[("ℓ", r"\\ell", "loss of one element")], network=[])
    >>> html = render_html(page)
    >>> "<h3>loss &lt;1&gt;</h3>" in html, '<div class="math">\\\\ell = (x - y)^2</div>' in html
    (True, True)
    >>> "<dt>loss</dt><dd>MSELoss()</dd>" in html, "<td>loss of one element</td>" in html
    (True, True)
    """
    diagram = network_svg(page.network, digits=page.digits)
    aside = [f'<aside class="diagram"><h2>The network</h2>{diagram}<p class="label">Blue links are positive '
             "weights, orange negative, the width is |w|; hover a link or a neuron for its value.</p></aside>"
             ] if diagram else []
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>glassnet explain: one training step</title>",
        f"<style>\n{_asset('katex.min.css')}\n</style>", f"<style>\n{_STYLE}\n</style>", "</head>", "<body>",
        "<header>", "<h1>One training step, derived with its numbers</h1>",
        '<p class="label">Each step: the formula, the formula with the numbers plugged in, the result. '
        "The numbers are the engine's own.</p>", *_facts(page.header, page.notation), "</header>",
        '<div class="layout">', *aside, '<main class="steps">', *_steps(page.steps, page.max_items),
        "</main>", "</div>", f"<script>\n{_asset('katex.min.js')}\n</script>",
        f"<script>\n{_TYPESET}\n</script>", "</body>", "</html>", "",
    ])
