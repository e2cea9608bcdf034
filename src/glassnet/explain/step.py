"""One step of a walkthrough: a formula, the formula with the engine's numbers plugged in, the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from glassnet.nn.layers import Linear
from glassnet.registry import Formula

__all__ = ["LINEAR_FORMULA", "NetworkLayer", "Page", "Step"]

LINEAR_FORMULA: Formula = Linear.formula
"""The per-layer formula, ``nn.Linear``'s own: one neuron per row of W."""


@dataclass
class Step:
    """One line of the derivation, as data that every renderer and test reads.

    Args:
        kind: ``"input"``, ``"linear"``, ``"activation"``, ``"pass"``, ``"loss"``,
            ``"regularizer"``, ``"delta"``, ``"grad"``, ``"update"`` or ``"total"``.
        layer: the Linear layer l = 1, 2, ... the step belongs to (None for the loss, input...).
        title: a heading such as ``"layer 1: z¹ = W¹·a⁰ + b¹"``.
        formula_text: the formula in plain text, from the component's ``formula``.
        formula_latex: the same in LaTeX (for typeset renderers).
        substituted: the formula with the numbers plugged in and its result, as text.
        value: the result, at full precision (the engine's own array).
        grads: named arrays this step shows besides ``value`` (e.g. ``{"0.weight": ∂L/∂W}``).

    >>> s = Step("loss", None, "loss", "ℓ = (x − y)²", r"\\ell", "L = 0.25", np.array(0.25))
    >>> float(s.value)
    0.25
    """

    kind: str
    layer: int | None
    title: str
    formula_text: str
    formula_latex: str
    substituted: str
    value: np.ndarray
    grads: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class NetworkLayer:
    """One Linear layer l as the network diagram draws it: neurons, weights as links, the activation.

    Args:
        index: l = 1, 2, ... (the l-th Linear layer, as the walkthrough numbers it).
        weight: Wˡ, (out_features, in_features): one row per neuron, as the layer holds it.
        bias: bˡ, (out_features,), or None.
        activation: the name of the activation after the layer (e.g. ``"Sigmoid"``), or None.
    """

    index: int
    weight: np.ndarray
    bias: np.ndarray | None
    activation: str | None


class Page(Protocol):
    """What a renderer reads: the steps and the facts shown before them (a ``Walkthrough``).

    Attributes:
        steps: the derivation in order.
        max_items: rows/columns of each array shown (None: all).
        digits: significant digits of the printed numbers.
        header: (label, text) pairs shown before the first formula: network, sample, target, loss,
            optimizer with all its settings.
        notation: (symbol, LaTeX, meaning) of every symbol the steps use, in reading order.
        network: the Linear layers, for the network diagram.
    """

    @property
    def steps(self) -> Sequence[Step]: ...
    @property
    def max_items(self) -> int | None: ...
    @property
    def digits(self) -> int: ...
    @property
    def header(self) -> Sequence[tuple[str, str]]: ...
    @property
    def notation(self) -> Sequence[tuple[str, str, str]]: ...
    @property
    def network(self) -> Sequence[NetworkLayer]: ...
