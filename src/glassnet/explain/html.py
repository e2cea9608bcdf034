"""The walkthrough as one self-contained HTML page, its formulas typeset by KaTeX offline.

KaTeX's script and stylesheet (fonts inlined as ``data:`` URIs) are bundled in ``assets/`` and
inlined into the page, so it opens from a file with no network; ``tools/bundle_katex.py`` rebuilds
them. Each ``Step.formula_latex`` is typeset at load time, with ``throwOnError: false`` so a bad
formula shows in red instead of stopping the rest; every text is escaped with ``html.escape``.
"""

from __future__ import annotations

import functools
from html import escape
from importlib.resources import files

import numpy as np

from glassnet.explain.numbers import format_array, format_number
from glassnet.explain.step import Page, Step

__all__ = ["render_html"]

_TYPESET = """document.querySelectorAll(".math").forEach(function (el) {
  katex.render(el.textContent, el, {displayMode: true, throwOnError: false});
});"""

_STYLE = """body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1f24; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #d0d7de; margin-top: 2rem; }
.step { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.2rem 1rem 0.8rem; margin: 1rem 0; }
.step h3 { font-size: 1.05rem; margin: 0.6rem 0 0.2rem; }
.math { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
pre { background: #f6f8fa; padding: 0.6rem 0.8rem; border-radius: 4px; overflow-x: auto; margin: 0.4rem 0; }
table { border-collapse: collapse; font: 0.9rem ui-monospace, monospace; margin: 0.4rem 0; }
td, th { border: 1px solid #d0d7de; padding: 0.15rem 0.5rem; text-align: right; }
th { background: #f6f8fa; } .label { color: #57606a; font-size: 0.9rem; }"""


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
    return f'<table class="value" data-shape="{escape(str(value.shape))}">{"".join(body)}</table>'


def _step(step: Step, max_items: int | None) -> str:
    parts = [f'<section class="step" data-kind="{escape(step.kind)}">', f"<h3>{escape(step.title)}</h3>"]
    if step.formula_latex:
        parts.append(f'<div class="math">{escape(step.formula_latex)}</div>')
    parts.append(f'<pre class="substituted">{escape(step.substituted)}</pre>')
    value = np.asarray(step.value)
    if value.ndim == 2 and value.size > 1:
        parts += ['<div class="label">value</div>', _table(value, max_items)]
    else:
        text = format_array(value, max_items=max_items)
        parts.append(f'<div class="label">value: <code class="value">{escape(text)}</code></div>')
    return "\n".join([*parts, "</section>"])


def render_html(page: Page) -> str:
    """The steps as one HTML page: a heading per section, then title, typeset formula, numbers, value.

    >>> s = Step("loss", None, "loss <1>", "ℓ = (x − y)²", r"\\ell = (x - y)^2", "L = 0.25", np.array(0.25))
    >>> from types import SimpleNamespace
    >>> page = SimpleNamespace(steps=[s], max_items=6, digits=4, header=[], notation=[], network=[])
    >>> html = render_html(page)
    >>> "<h3>loss &lt;1&gt;</h3>" in html, '<div class="math">\\\\ell = (x - y)^2</div>' in html
    (True, True)
    """
    from glassnet.explain.render import _section  # render.py imports this module to register "html"

    body, section = [], ""
    for step in page.steps:
        if _section(step) != section:
            section = _section(step)
            body.append(f"<h2>{escape(section)}</h2>")
        body.append(_step(step, page.max_items))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>glassnet explain: one training step</title>",
        f"<style>\n{_asset('katex.min.css')}\n</style>", f"<style>\n{_STYLE}\n</style>", "</head>", "<body>",
        "<h1>One training step, derived with its numbers</h1>",
        '<p class="label">Each step: the formula, the formula with the numbers plugged in, the result. '
        "The numbers are the engine's own.</p>",
        *body, f"<script>\n{_asset('katex.min.js')}\n</script>", f"<script>\n{_TYPESET}\n</script>",
        "</body>", "</html>", "",
    ])
