"""Explain: one real training step derived with its numbers, from the engine's own computation.

``explain(model, x, y, loss, optimizer)`` records the forward pass (zˡ = aˡ⁻¹·(Wˡ)ᵀ + bˡ,
aˡ = f(zˡ), samples as rows), the loss, the backward pass (δ, ∂L/∂W, ∂L/∂b), the penalties and the
optimizer's update, each with its numbers multiplied out, as a ``Walkthrough`` of ``Step`` records
that renders as text (``str``), Markdown or HTML. Formulas and their templates are read from each
component's ``formula``, symbols from ``glassnet.notation``; see docs/explain.md.
"""

from glassnet.explain.numbers import format_array, format_number
from glassnet.explain.render import RENDERERS
from glassnet.explain.step import LINEAR_FORMULA, Step
from glassnet.explain.walkthrough import Walkthrough, explain

__all__ = ["LINEAR_FORMULA", "RENDERERS", "Step", "Walkthrough", "explain", "format_array", "format_number"]
