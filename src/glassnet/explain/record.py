"""What a walkthrough records as it runs the model: the layers with their tensors, and the Recorder.

A ``Layer`` is one Linear layer l with the modules after it up to the next Linear layer (its
activation, a normalization, a reshape), each a ``Stage`` holding the engine's input and output
tensors; every tensor keeps its ``.grad`` (``retain_grad``) for the backward pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, cast

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.explain.numbers import format_array, format_number, matrix_lines, sup
from glassnet.explain.step import Step
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Identity, Linear
from glassnet.nn.module import Module
from glassnet.nn.normalization import BatchNorm1d, LayerNorm
from glassnet.registry import Formula

__all__ = ["NORMS", "Layer", "Recorder", "Stage", "count", "formula_of", "is_activation", "settings_of",
           "signed", "symbol_of"]


NORMS = (LayerNorm, BatchNorm1d)
"""The normalization layers a walkthrough derives."""


def is_activation(module: Module) -> bool:
    """A registered activation (its class in ACTIVATIONS), the identity aside."""
    return not isinstance(module, Identity) and ACTIVATIONS.name_of(module) is not None


class _HasFormula(Protocol):
    formula: ClassVar[Formula]


def formula_of(component: object) -> Formula:
    """The ``formula`` a component's class carries (activations, losses, regularizers, optimizers)."""
    return cast(_HasFormula, component).formula


@dataclass
class Stage:
    """A module after a Linear layer (activation, normalization, reshape) with its tensors.

    Attributes:
        module: the module.
        input: the tensor it took; output: the tensor it returned (both keep ``.grad``).
        names: its parameters' names in the model, by attribute (``{"weight": "1.weight"}``).
        shown: arrays its step computed for the backward pass (a normalization's x̂).
    """

    module: Module
    input: Tensor
    output: Tensor
    names: dict[str, str] = field(default_factory=dict)
    shown: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Layer:
    """One Linear layer l and the stages after it: a_in → zˡ = a_in·Wᵀ + b → stages → aˡ."""

    index: int
    linear: Linear
    weight_name: str
    bias_name: str | None
    a_in: Tensor
    z: Tensor
    stages: list[Stage] = field(default_factory=list)

    @property
    def activation(self) -> Module | None:
        """The activation among the stages, if any."""
        return next((s.module for s in self.stages if is_activation(s.module)), None)

    @property
    def a(self) -> Tensor | None:
        """The layer's output aˡ: the last stage's output (None without stages)."""
        return self.stages[-1].output if self.stages else None


class Recorder:
    """Formats arrays for one walkthrough (digits, max_items) and collects its Steps."""

    def __init__(self, digits: int, max_items: int | None) -> None:
        self.digits, self.max_items = digits, max_items
        self.steps: list[Step] = []

    def fmt(self, a: np.ndarray, digits: int | None = None) -> str:
        """An array on one line; a batch of one sample shows as that sample."""
        a = np.asarray(a)
        one = a[0] if a.ndim == 2 and a.shape[0] == 1 else a
        return format_array(one, digits or self.digits, self.max_items)

    def mat(self, a: np.ndarray, digits: int | None = None, samples: bool = True) -> str:
        """An array as the text shows it: a matrix one row per line, columns aligned.

        A batch of one sample (``samples``) shows as that sample; a parameter stays a matrix.
        """
        a = np.asarray(a)
        if a.ndim > 2:  # (n_samples, positions, features): one row per sample
            a = a.reshape(a.shape[0], -1)
        if samples and a.ndim == 2 and a.shape[0] == 1:
            a = a[0]
        if a.ndim == 2:
            return "\n".join(matrix_lines(a, digits or self.digits, self.max_items))
        return format_array(a, digits or self.digits, self.max_items)

    def num(self, x: float, digits: int | None = None) -> str:
        return format_number(x, digits or self.digits)

    def elements(self, template: str, samples: bool = True, /, **arrays: np.ndarray | float) -> str:
        """``template`` filled with each element's numbers, e.g. ``[0.62·(1 − 0.62), …]``.

        With ``samples``, the first sample's elements (a row of a batch); else every element of
        a parameter-shaped array, a matrix one row per line (the first max_items of each axis).
        """
        shaped = [np.asarray(v) for v in arrays.values() if np.ndim(v)]
        shape = np.broadcast_shapes(*(v.shape for v in shaped)) if shaped else ()
        full = {k: np.broadcast_to(np.asarray(v), shape) for k, v in arrays.items()}
        first = samples and len(shape) == 2 and shape[0] > 1  # a batch: its first sample
        if samples and len(shape) == 2:
            full, shape = {k: v[:1] for k, v in full.items()}, (1, shape[1])
        grid = {k: v.reshape(-1, shape[-1]) if len(shape) else v.reshape(1, 1) for k, v in full.items()}
        n_rows, n_cols = next(iter(grid.values())).shape
        rows = range(n_rows if self.max_items is None else min(n_rows, self.max_items))
        cols = range(n_cols if self.max_items is None else min(n_cols, self.max_items))
        cells = [[_DOUBLED.sub(r"(\1)", template.format(**{k: signed(self.num(float(v[i, j])))
                                                            for k, v in grid.items()}))
                  for j in cols] for i in rows]
        if len(shape) == 0 or n_rows == n_cols == 1:
            return cells[0][0]
        more = ", …" if len(cols) < n_cols else ""
        lines = ["[" + ", ".join(row) + more + "]" for row in cells] + (["…"] if len(rows) < n_rows else [])
        if len(shape) == 1 or (n_rows == 1 and samples):
            return lines[0] + (" (sample 1)" if first else "")
        return "[" + ",\n ".join(lines) + "]"

    def add(self, *args: object, **kwargs: object) -> Step:
        step = Step(*args, **kwargs)  # type: ignore[arg-type]
        self.steps.append(step)
        return step


def count(n: int, noun: str) -> str:
    """``n noun``, plural when n ≠ 1."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def settings_of(component: object) -> dict[str, float]:
    """A component's numeric settings by attribute name, for its formula's templates (``{l2}``)."""
    return {k: v for k, v in vars(component).items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


_DOUBLED = re.compile(r"\(\((-[^()]+)\)\)")  # f((-0.2)): a template's parentheses around a signed number


def signed(text: str) -> str:
    """A number inside a formula: negative ones in parentheses, so −(−0.5) reads right."""
    return f"({text})" if text.startswith("-") else text


def symbol_of(layer: Layer, t: Tensor) -> str:
    """The symbol of a tensor of layer l: zˡ (the Linear layer's output), hˡ (a normalization's), aˡ."""
    if t is layer.z:
        return f"z{sup(layer.index)}"
    for stage in layer.stages:
        if stage.output is t:
            if is_activation(stage.module):
                return f"a{sup(layer.index)}"
            if isinstance(stage.module, NORMS):
                return f"h{sup(layer.index)}"
            return symbol_of(layer, stage.input)  # a reshape keeps its input's name
    return f"a{sup(layer.index)}"
