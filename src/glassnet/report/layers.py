"""Layer numbers and colours shared by every table and chart of the report.

Layers are numbered as ``glassnet explain`` numbers them (``layer_numbers``): layer l is the
l-th Linear layer (Wˡ, bˡ, zˡ), and an activation belongs to the Linear layer before it
(aˡ = f(zˡ)). Modules before the first Linear layer (a Flatten) are layer 0, the input. Each
layer keeps one colour in every chart, so a reader can follow it from the norms to the diagnostics.
"""

from __future__ import annotations

from glassnet.explain.numbers import sup
from glassnet.report.svg import INK, PALETTE
from glassnet.train.diagnostics import layer_numbers  # the diagnostics' warnings number layers alike

__all__ = ["WHOLE_MODEL_COLOR", "layer_color", "layer_numbers", "parameter_label", "parameter_symbol"]

WHOLE_MODEL_COLOR = INK  # no layer's colour: the whole-model line never hides behind a layer's


def layer_color(number: int) -> str:
    """The colour of layer ``number`` (1-based) in every chart of the report.

    >>> layer_color(1) == PALETTE[0], layer_color(11) == layer_color(1)
    (True, True)
    """
    return PALETTE[(max(number, 1) - 1) % len(PALETTE)]


def parameter_symbol(name: str, numbers: dict[str, int]) -> str:
    """The math symbol of a parameter (``W¹`` for ``0.weight``), or '' for another kind.

    >>> parameter_symbol("2.bias", {"0": 1, "2": 2}), parameter_symbol("3.gamma", {"3": 2})
    ('b²', '')
    """
    module, _, kind = name.rpartition(".")
    letter = {"weight": "W", "bias": "b"}.get(kind, "")
    number = numbers.get(module or "0")
    return f"{letter}{sup(number)}" if letter and number else ""


def parameter_label(name: str, numbers: dict[str, int]) -> str:
    """A parameter as the report names it: its layer and symbol, then its PyTorch name.

    >>> parameter_label("0.weight", {"0": 1}), parameter_label("extra", {})
    ('layer 1 W¹ (0.weight)', 'extra')
    """
    number = numbers.get(name.rpartition(".")[0] or "0")
    if number is None:
        return name
    symbol = parameter_symbol(name, numbers)
    return f"layer {number} {symbol} ({name})" if symbol else f"layer {number} ({name})"
