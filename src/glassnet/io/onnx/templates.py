"""Templates: a layer's ONNX nodes as a small expression tree over its input ``X``, written once
and used both ways: ``emit`` instantiates one with a layer's numbers, ``glassnet.io.onnx.load``
matches it against a graph's nodes.

A template is made of ``Node`` s (an operator applied to templates: ``op("Mul", X, op("Sigmoid",
X))`` is SiLU), fixed numbers (``Const``), the layer's constructor arguments (``Param``) and its
weights (``Weight``, initializers named by their state_dict keys). A ``Variant`` is one template
with where it applies; a ``Form`` is every variant of one registered class (``forms.FORMS``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from glassnet.io.onnx.graph import MIN_OPSET, Graph
from glassnet.nn.module import Module

__all__ = ["Const", "Exporter", "Form", "Node", "Param", "Variant", "Weight", "X", "emit", "op", "size"]


class _Input:
    def __repr__(self) -> str:
        return "X"


X = _Input()
"""The layer's input in a template."""


@dataclass(frozen=True)
class Const:
    """A fixed number: a scalar tensor in the graph's dtype (or an attribute's value)."""

    value: float


@dataclass(frozen=True)
class Param:
    """A constructor argument of the layer: a scalar tensor, or an attribute of type ``kind``."""

    name: str
    kind: type = float


@dataclass(frozen=True)
class Weight:
    """A parameter or buffer of the layer, an initializer named by its state_dict key; ``transposed``
    (read only) matches an initializer holding its transpose."""

    key: str
    transposed: bool = False


@dataclass(frozen=True, eq=False)
class Node:
    """One operator applied to templates; the same Node object used twice is one node."""

    op_type: str
    inputs: tuple[Any, ...]
    attributes: Mapping[str, Any]


def op(op_type: str, *inputs: Any, **attributes: Any) -> Node:
    return Node(op_type, inputs, attributes)


def size(template: Any) -> int:
    """The number of distinct nodes of a template."""
    seen: dict[int, Node] = {}

    def walk(t: Any) -> None:
        if isinstance(t, Node) and id(t) not in seen:
            seen[id(t)] = t
            for i in t.inputs:
                walk(i)

    walk(template)
    return len(seen)


@dataclass(frozen=True)
class Variant:
    """One template of a layer, with the constructor arguments it stands for (``fixed``), where it
    runs (``dtypes``, ``min_opset``, ``input_rank``: the input's number of axes after the batch axis,
    None for any) and whether export writes it or only loading reads it."""

    root: Any
    fixed: Mapping[str, Any] = field(default_factory=dict)
    dtypes: tuple[str, ...] = ("float32", "float64")
    min_opset: int = MIN_OPSET
    input_rank: int | None = None
    exported: bool = True

    def fits(self, module: Module, dtype: str, opset: int, rank: int) -> bool:
        """Whether export may write this variant for ``module``."""
        return (self.exported and dtype in self.dtypes and opset >= self.min_opset
                and self.input_rank in (None, rank)
                and all(getattr(module, k) == v for k, v in self.fixed.items()))


Exporter = Callable[[Graph, str, Any, str, tuple[int, ...]], str]
"""(graph, input name, layer, state_dict prefix, the input's shape without the batch axis) → output name."""


@dataclass(frozen=True)
class Form:
    """How one registered class is written and read: its variants (the first that fits is
    exported; all are read), or an ``export`` function; ``build`` makes the layer from what a
    variant bound (default: the class called with the fixed and bound arguments)."""

    variants: tuple[Variant, ...] = ()
    export: Exporter | None = None
    build: Callable[[dict[str, Any]], Module] | None = None


def emit(graph: Graph, root: Any, x: str, module: Module, prefix: str) -> str:
    """The nodes of a template for one layer, added to ``graph``; returns the output's name."""
    made: dict[int, str] = {}

    def walk(t: Any) -> str:
        if t is X:
            return x
        if isinstance(t, Const):
            return graph.constant(t.value)
        if isinstance(t, Param):
            return graph.constant(float(getattr(module, t.name)))
        if isinstance(t, Weight):
            return graph.initializer(prefix + t.key, getattr(module, t.key).array)
        if id(t) not in made:
            inputs = [walk(i) for i in t.inputs]
            attributes = {k: _attribute(v, module) for k, v in t.attributes.items()}
            made[id(t)] = graph.op(t.op_type, *inputs, **attributes)
        return made[id(t)]

    return walk(root)


def _attribute(value: Any, module: Module) -> Any:
    if isinstance(value, Param):
        return value.kind(getattr(module, value.name))
    return value.value if isinstance(value, Const) else value
