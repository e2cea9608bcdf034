"""An ONNX file read into a glassnet network: the graph's nodes matched against ``FORMS``.

Reading starts at the output and walks back to the input: at each step the largest template of
any layer or activation that matches the nodes producing the current value is taken, its layer
built from the constants and weights it bound, and the walk goes on from the value the template's
``X`` matched. Identity and Dropout nodes (inference: the identity) are stepped over. What glassnet
reads is a chain of layers (an MLP): Gemm or MatMul (+ Add), the activations, Softmax, Flatten,
LayerNormalization, BatchNormalization and Gather (Embedding); the files ``torch.onnx.export`` and
skl2onnx write for such networks among them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.io.onnx.forms import FORMS
from glassnet.io.onnx.graph import Model, read_model
from glassnet.io.onnx.graph import Node as GraphNode
from glassnet.io.onnx.templates import Const, Form, Node, Param, Variant, Weight, X, size
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module

__all__ = ["load"]

_COMMUTATIVE = {"Add", "Mul"}
_PASS = {"Identity", "Dropout"}  # the identity at inference
_FLOAT_TYPES = {1: "float32", 11: "float64"}
# attribute values ONNX assumes when a node leaves them out (onnx.proto's operator docs)
_DEFAULTS: dict[tuple[str, str], Any] = {
    ("Gemm", "alpha"): 1.0, ("Gemm", "beta"): 1.0, ("Gemm", "transA"): 0, ("Gemm", "transB"): 0,
    ("LeakyRelu", "alpha"): 0.01, ("Elu", "alpha"): 1.0, ("Selu", "alpha"): 1.67326319217681884765625,
    ("Selu", "gamma"): 1.05070102214813232421875, ("Softmax", "axis"): -1, ("LogSoftmax", "axis"): -1,
    ("Gelu", "approximate"): "none", ("Flatten", "axis"): 1, ("Transpose", "perm"): [1, 0],
    ("LayerNormalization", "axis"): -1, ("LayerNormalization", "epsilon"): 1e-5,
    ("LayerNormalization", "stash_type"): 1, ("BatchNormalization", "epsilon"): 1e-5,
    ("BatchNormalization", "momentum"): 0.9, ("BatchNormalization", "training_mode"): 0,
    ("Gather", "axis"): 0,
}  # fmt: skip


def _candidates() -> list[tuple[type[Module], Form, Variant]]:
    """Every variant of every form, the largest first (the most specific match wins)."""
    found = [(cls, form, v) for cls, form in FORMS.items() for v in form.variants]
    return sorted(found, key=lambda c: -size(c[2].root))


def _op_types(template: Any, found: set[str]) -> set[str]:
    if isinstance(template, Node):
        found.add(template.op_type)
        for i in template.inputs:
            _op_types(i, found)
    return found


def readable() -> set[str]:
    """The ONNX operators some form is made of."""
    found = {*_PASS, "Cast", "Reshape"}
    for _, _, variant in _candidates():
        _op_types(variant.root, found)
    return found


def _number(value: Any) -> float:
    """A float32 constant or attribute as the shortest decimal that rounds to it (0.01, not 0.0099999998)."""
    if isinstance(value, np.floating) and value.dtype == np.float32:
        return float(str(value))
    return float(value)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float | int | np.number) and isinstance(b, float | int | np.number):
        return bool(abs(float(a) - float(b)) <= 1e-6 * max(abs(float(a)), abs(float(b))) + 1e-12)
    return bool(a == b)


class _Matcher:
    """Templates matched against the nodes of one graph."""

    def __init__(self, model: Model) -> None:
        self.constants = model.constants
        self.producer = {out: node for node in model.nodes for out in node.outputs}
        self.consumers: dict[str, list[GraphNode]] = {}
        for node in model.nodes:
            for name in node.inputs:
                self.consumers.setdefault(name, []).append(node)

    def scalar(self, value: str) -> Any:
        array = self.constants.get(value)
        if array is None or array.size != 1 or array.dtype.kind not in "fiu":
            return None
        return _number(array.reshape(-1)[0])

    def match(self, variant: Variant, value: str) -> tuple[dict[str, Any], list[GraphNode]] | None:
        """What ``variant`` binds when its output is ``value`` (and its inner values are used by
        its own nodes only), or None."""
        state = self._walk(variant.root, value, ({}, {}, []))
        if state is None:
            return None
        bound, _, nodes = state
        inside = {id(n) for n in nodes}
        for node in nodes:
            used_by = self.consumers.get(node.outputs[0], [])
            if node.outputs[0] != value and any(id(c) not in inside for c in used_by):
                return None
        return bound, nodes

    def _bind(self, state: Any, key: str, value: Any) -> Any:
        bound = state[0]
        if key in bound:
            same = bound[key] is value if isinstance(value, np.ndarray) else _close(bound[key], value)
            return state if same else None
        bound[key] = value
        return state

    def _walk(self, t: Any, value: str, state: Any) -> Any:
        if t is X:
            return self._bind(state, "X", value)
        if isinstance(t, Const | Param):
            number = self.scalar(value)
            if number is None:
                return None
            if isinstance(t, Const):
                return state if _close(number, t.value) else None
            return self._bind(state, t.name, t.kind(number))
        if isinstance(t, Weight):
            array = self.constants.get(value)
            if array is None or array.dtype.kind != "f":
                return None
            return self._bind(state, t.key, array.T if t.transposed else array)
        seen = state[1].get(id(t))
        if seen is not None:
            return state if seen == value else None
        node = self.producer.get(value)
        if node is None or node.op_type != t.op_type or node.domain not in ("", "ai.onnx"):
            return None
        inputs = list(node.inputs)
        while inputs and inputs[-1] == "":  # optional inputs left out at the end
            inputs.pop()
        if len(inputs) != len(t.inputs) or node.outputs[0] != value:
            return None
        swap = t.op_type in _COMMUTATIVE and len(t.inputs) == 2
        orders = [t.inputs, t.inputs[::-1]] if swap else [t.inputs]
        for order in orders:
            tried: Any = (dict(state[0]), {**state[1], id(t): value}, [*state[2], node])
            tried = self._attributes(t, node, tried)
            for sub, name in zip(order, inputs, strict=True):
                if tried is None:
                    break
                tried = self._walk(sub, name, tried)
            if tried is not None:
                return tried
        return None

    def _attributes(self, t: Node, node: GraphNode, state: Any) -> Any:
        """The node's attributes checked against the template's (a Param binds; others must equal
        the template's value or ONNX's default)."""
        for key in {*t.attributes, *node.attributes}:
            given = node.attributes.get(key, _DEFAULTS.get((node.op_type, key)))
            wanted = t.attributes.get(key, _DEFAULTS.get((node.op_type, key)))
            if isinstance(wanted, Param):
                if not isinstance(given, int | float):
                    return None
                state = self._bind(state, wanted.name, wanted.kind(_number(np.float32(given)) if isinstance(
                    given, float) else given))
            elif not _close(given, wanted.value if isinstance(wanted, Const) else wanted):
                return None
            if state is None:
                return None
        return state


def _ancestors(model: Model, output: str) -> list[GraphNode]:
    """The nodes ``output`` depends on, in the file's order."""
    producer = {out: node for node in model.nodes for out in node.outputs}
    needed, stack = set(), [output]
    while stack:
        node = producer.get(stack.pop())
        if node is not None and id(node) not in needed:
            needed.add(id(node))
            stack.extend(node.inputs)
    return [n for n in model.nodes if id(n) in needed]


def _node_name(node: GraphNode) -> str:
    return f"node '{node.name}' ({node.op_type})" if node.name else f"a {node.op_type} node"


def _chosen(model: Model, what: str) -> tuple[str, str]:
    """The graph's input, and the output read: the first of a floating type (not a label)."""
    if len(model.inputs) != 1:
        raise GlassnetError(f"cannot load {what}: it has {len(model.inputs)} inputs "
                            f"{[n for n, _ in model.inputs]}; glassnet reads networks of one input")
    floats = [name for name, kind in model.outputs if kind in _FLOAT_TYPES]
    if not floats:
        raise GlassnetError(f"cannot load {what}: none of its outputs {[n for n, _ in model.outputs]} is a "
                            "float32 or float64 tensor")
    return model.inputs[0][0], floats[0]


def load(path: str | Path) -> Sequential:
    """Build a glassnet network (a Sequential, in eval mode) from an ONNX file of an MLP.

    Weights come into Linear layers bit for bit, from Gemm (any transB) or MatMul (+ Add) nodes;
    activations from their ONNX operators or the expansions glassnet and ``torch.onnx.export``
    write. The output read is the first of a floating type, so a classifier's ``probabilities``
    (a skl2onnx file's or glassnet's, with ``label`` before it) is read, not its labels.

    Raises:
        GlassnetError: for a file that is not ONNX or is damaged, a graph of more than one input, or
            one with nodes outside that subset, naming the first such node.

    >>> import os, tempfile, glassnet as gn, glassnet.onnx
    >>> net = gn.nn.Sequential(gn.nn.Linear(3, 4, generator=0), gn.nn.SiLU(), gn.nn.Linear(4, 2))
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> gn.onnx.export(net, path)
    >>> gn.onnx.load(path)
    Sequential(
      (0): Linear(in_features=3, out_features=4, bias=True)  # weight(4, 3), bias(4,): 16 params
      (1): SiLU()
      (2): Linear(in_features=4, out_features=2, bias=True)  # weight(2, 4), bias(2,): 10 params
    )  # 26 params in total
    """
    what = str(path)
    model = read_model(path)
    source, value = _chosen(model, what)
    output = value
    known = readable()
    for node in _ancestors(model, value):
        if node.op_type not in known or node.domain not in ("", "ai.onnx"):
            raise GlassnetError(f"cannot load {what}: {_node_name(node)} is not an operator glassnet reads; "
                                f"it reads chains of {', '.join(sorted(known))}")
    matcher, candidates = _Matcher(model), _candidates()
    layers: list[tuple[Module, str]] = []
    widths: list[int] = []
    walked: set[str] = set()
    while value != source:
        found = matcher.producer.get(value)
        if value in walked:
            raise GlassnetError(f"cannot load {what}: the value '{value}' depends on itself (a cycle)")
        walked.add(value)
        if found is None:
            raise GlassnetError(f"cannot load {what}: the value '{value}' is neither computed from the input "
                                "nor the input itself")
        node = found
        if not node.inputs:
            raise GlassnetError(f"cannot load {what}: {_node_name(node)} has no inputs; glassnet reads "
                                "chains of layers from the graph's input")
        ends = node.outputs[0] == output and _rows(node, matcher, widths)  # skl2onnx's regressors end so
        if node.op_type in _PASS or _casts_the_input(node, source) or ends:
            value = node.inputs[0]
            continue
        layers.append(_layer(matcher, candidates, value, node, what))
        value = layers[-1][1]
    network = Sequential(*[layer for layer, _ in reversed(layers)])
    linears = [m for m in network if isinstance(m, Linear)]
    if widths and (not linears or any(linears[-1].out_features != k for k in widths)):
        raise GlassnetError(f"cannot load {what}: a Reshape to {widths[0]} columns does not fit the "
                            "network's outputs")
    return network.eval()


def _casts_the_input(node: GraphNode, source: str) -> bool:
    """A Cast of the input to float32 or float64: the network computes in its weights' dtype anyway."""
    to = node.attributes.get("to")
    return node.op_type == "Cast" and node.inputs[:1] == [source] and to in _FLOAT_TYPES


def _rows(node: GraphNode, matcher: _Matcher, widths: list[int]) -> bool:
    """A Reshape of the output to rows of k columns (skl2onnx's regressors end in one); k is kept in
    ``widths``, checked against the network once it is read."""
    reshape = node.op_type == "Reshape" and len(node.inputs) == 2
    shape = matcher.constants.get(node.inputs[1]) if reshape else None
    if shape is None or shape.shape != (2,) or shape[0] not in (-1, 0) or shape[1] < 1:
        return False
    widths.append(int(shape[1]))
    return True


def _layer(matcher: _Matcher, candidates: list[tuple[type[Module], Form, Variant]], value: str,
           node: GraphNode, what: str) -> tuple[Module, str]:
    """The layer whose nodes end in ``value``, and the value its input comes from."""
    for cls, form, variant in candidates:
        found = matcher.match(variant, value)
        if found is None:
            continue
        bound = dict(found[0])
        x = bound.pop("X")
        try:
            layer = form.build(bound) if form.build is not None else cls(**variant.fixed, **bound)
        except (GlassnetError, TypeError, ValueError) as e:
            raise GlassnetError(f"cannot load {what}: {_node_name(node)} reads as {cls.__name__}, but: "
                                f"{e}") from e
        return layer, x
    raise GlassnetError(f"cannot load {what}: {_node_name(node)} does not form a layer glassnet knows with "
                        "the nodes before it (its attributes or inputs differ from every form in "
                        "glassnet.io.onnx.forms.FORMS)")
