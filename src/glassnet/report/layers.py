"""Layer numbers and colours shared by every table and chart of the report.

Layers are numbered as ``glassnet explain`` numbers them: layer l is the l-th Linear layer
(Wˡ, bˡ, zˡ), and an activation belongs to the Linear layer before it (aˡ = f(zˡ)). Modules
before the first Linear layer (a Flatten) are layer 0, the input. Each layer keeps one colour
in every chart, so a reader can follow it from the norms to the diagnostics.
"""

from __future__ import annotations

from glassnet.explain.numbers import sup
from glassnet.nn.layers import Linear
from glassnet.nn.module import Module
from glassnet.report.svg import INK, PALETTE

__all__ = ["WHOLE_MODEL_COLOR", "layer_color", "layer_numbers", "parameter_label", "parameter_symbol"]

WHOLE_MODEL_COLOR = INK  # no layer's colour: the whole-model line never hides behind a layer's


def layer_numbers(model: Module) -> dict[str, int]:
    """The explain layer number of each leaf module, by its dotted name.

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 4, generator=0), gn.nn.ReLU(), gn.nn.Linear(4, 1, generator=0))
    >>> layer_numbers(net)
    {'0': 1, '1': 1, '2': 2}
    """
    numbers, count = {}, 0
    for name, module in model.named_modules():
        if list(module.children()):
            continue
        count += isinstance(module, Linear)
        numbers[name or "0"] = count
    return numbers


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
