"""A glassnet network written as an ONNX file: its layers' forms, its weights, its architecture.

The layers run in order (a Sequential, nested Sequentials flattened, or a single layer), each
written in its ``FORMS`` entry; the initializers are named by their ``state_dict`` keys and the
batch axis is dynamic (``N``). The file's metadata holds glassnet's version, the architecture
(``module_to_config``'s JSON, as in model files) and each layer's formula. Before the network,
an optional ``Scaling`` (a run's standardization, computed in float64 as glassnet does); after
it, an optional ``Classifier`` head giving ``label`` and ``probabilities`` as outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.engine import no_grad
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.io.architecture import module_to_config
from glassnet.io.onnx.forms import FORMS
from glassnet.io.onnx.graph import MAX_OPSET, MIN_OPSET, Graph
from glassnet.io.onnx.templates import Form, emit
from glassnet.nn.containers import ModuleDict, ModuleList
from glassnet.nn.embedding import Embedding
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module, UninitializedParameter
from glassnet.nn.normalization import BatchNorm1d, LayerNorm

__all__ = ["DEFAULT_OPSET", "Classifier", "Scaling", "export_network", "exportable"]

DEFAULT_OPSET = 17  # read by onnxruntime since 1.11 (2022); IR version 8


@dataclass(frozen=True)
class Scaling:
    """z = (x − shift) / scale before the network, in float64, then cast to the network's dtype."""

    shift: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True)
class Classifier:
    """The outputs ``label`` and ``probabilities`` from the network's outputs z.

    Args:
        classes: the labels, one per output (two for a single logistic output).
        proba: how z becomes probabilities: ``"softmax"``, ``"sigmoid"``, ``"exp"`` or ``"identity"``
            (the ``proba`` fact of the loss); one column p becomes (1 − p, p).
        labels: ``"argmax"`` (of z), ``"positive"`` (z > 0, one logit) or ``"proba_argmax"``
            (the most probable class).
        multilabel: one independent 0/1 label per output (z > 0).
    """

    classes: Any
    proba: str
    labels: str = "argmax"
    multilabel: bool = False


def exportable() -> list[str]:
    """The names of the layers and activations that have an ONNX form."""
    return sorted(cls.__name__ for cls in FORMS)


def _layers(model: Module) -> list[tuple[str, Module]]:
    """The layers in the order they run, with their state_dict prefixes ('0.', '1.0.', or '')."""
    if isinstance(model, ModuleList | ModuleDict):
        raise GlassnetError(f"cannot export a {type(model).__name__}: it holds layers but does not say in "
                            "which order they run; put them in a Sequential")
    if not isinstance(model, Sequential):
        return [("", model)]
    found = []
    for name, child in model.named_children():
        found += [(f"{name}.{prefix}", layer) for prefix, layer in _layers(child)]
    return found


def _form(layer: Module, prefix: str) -> Form:
    where = f"layer '{prefix.rstrip('.')}'" if prefix else "the model"
    if any(isinstance(p, UninitializedParameter) for p in layer.parameters()):
        raise GlassnetError(f"cannot export {where}: a lazy layer has no weights yet; call the model on one "
                            "batch first")
    form = FORMS.get(type(layer))
    if form is None:
        raise GlassnetError(f"cannot export {where}: {type(layer).__name__} has no ONNX form; glassnet "
                            f"exports {', '.join(exportable())} (and Sequentials of them)")
    return form


def _dtype(model: Module, example: np.ndarray | None) -> np.dtype[Any]:
    """The network's floating dtype: its parameters' (all alike), else the example's, else float32."""
    dtypes = {t.dtype for t in [*model.parameters(), *model.buffers()] if t.dtype.kind == "f"}
    if len(dtypes) > 1:
        raise GlassnetError(f"cannot export a model that mixes dtypes {sorted(map(str, dtypes))}; convert it "
                            "with model.to(np.float32) or model.to(np.float64)")
    dtype = np.dtype(np.float32)
    if dtypes:
        dtype = np.dtype(dtypes.pop())
    elif example is not None and example.dtype.kind == "f":
        dtype = np.dtype(example.dtype)
    if dtype not in (np.float32, np.float64):
        raise GlassnetError(f"cannot export a {dtype} model; glassnet exports float32 and float64 networks: "
                            "convert it with model.to(np.float32)")
    return dtype


def _example(layers: list[tuple[str, Module]], dtype: np.dtype[Any], given: Any) -> np.ndarray:
    """One batch the network runs on: ``example_input``, or a row of zeros the first layer takes."""
    if given is not None:
        array = given.array if isinstance(given, Tensor) else np.asarray(given)
        if array.ndim < 1 or array.shape[0] < 1:
            raise GlassnetError(f"example_input has shape {array.shape}; pass one batch, e.g. X[:1]")
        if array.dtype.kind == "f" and array.dtype != dtype:
            raise GlassnetError(f"example_input is {array.dtype} but the model computes in {dtype}; pass "
                                f"X.astype(np.{dtype}) or convert the model with model.to(np.{array.dtype})")
        return array
    first = layers[0][1] if layers else None
    if isinstance(first, Linear):
        return np.zeros((1, first.in_features), dtype=dtype)
    if isinstance(first, LayerNorm):
        return np.zeros((1, *first.normalized_shape), dtype=dtype)
    if isinstance(first, BatchNorm1d):
        return np.zeros((1, first.num_features), dtype=dtype)
    kind = "an Embedding (whose input is indices)" if isinstance(first, Embedding) else (
        f"a {type(first).__name__}" if first is not None else "no layer")
    raise GlassnetError(f"cannot tell the input shape of a model that starts with {kind}; pass "
                        "example_input=X[:1], one batch of the inputs")


def _metadata(model: Module, layers: list[tuple[str, Module]]) -> dict[str, str]:
    formulas = []
    for prefix, layer in layers:
        formula = getattr(type(layer), "formula", None)
        if formula is not None:
            formulas.append({"layer": prefix.rstrip(".") or "model", "type": type(layer).__name__,
                             "formula": formula.text})
    return {"glassnet_version": _version(), "architecture": json.dumps(module_to_config(model)),
            "formulas": json.dumps(formulas, ensure_ascii=False)}


def _version() -> str:
    try:
        return version("glassnet")
    except PackageNotFoundError:  # a source tree that is not installed
        return "unknown"


def export_network(model: Module, path: str | Path, *, example_input: Any = None, opset: int | None = None,
                   scaling: Scaling | None = None, head: Classifier | None = None) -> None:
    """Write ``model`` (in eval mode: Dropout left out, BatchNorm1d's running statistics) to ``path``.

    Args:
        model: a glassnet layer, or a Sequential of them (see ``exportable()``).
        path: the ONNX file to write (atomically).
        example_input: one batch of inputs, needed when the first layer does not fix the input's
            shape (an activation, Flatten, Embedding); it fixes the shape of every axis but the first.
        opset: the ONNX operator set, 17 (default) to 23: 18 writes Mish as one node, 20 GELU.
        scaling: the standardization before the network; the input is then float64.
        head: a classifier's ``label`` and ``probabilities`` outputs instead of ``output``.
    """
    opset = DEFAULT_OPSET if opset is None else opset
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise GlassnetError(f"opset={opset!r} is not one glassnet writes; choose {MIN_OPSET} to {MAX_OPSET}")
    if not isinstance(model, Module):
        raise GlassnetError(f"export() takes a glassnet Module or a fitted glassnet estimator, got "
                            f"{type(model).__name__}")
    layers = _layers(model)
    forms = [_form(layer, prefix) for prefix, layer in layers]
    given = None if example_input is None else (
        example_input.array if isinstance(example_input, Tensor) else np.asarray(example_input))
    dtype = _dtype(model, given)
    x = _example(layers, dtype, given)
    graph = Graph(dtype, opset)
    metadata = _metadata(model, layers)
    name = "input" if scaling is None else _scaled(graph, "input", scaling)
    in_shape = x.shape[1:]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            for (prefix, layer), form in zip(layers, forms, strict=True):
                name, x = _layer(graph, form, name, layer, prefix, x), layer(Tensor(x)).array
    finally:
        for m, training in modes:
            m.training = training
    outputs = _outputs(graph, name, x, head)
    inputs = [("input", np.float64 if scaling is not None else _input_dtype(given, dtype), ["N", *in_shape])]
    graph.save(path, inputs, outputs, metadata, _version())


def _scaled(graph: Graph, x: str, scaling: Scaling) -> str:
    """z = (x − shift)/scale in float64, as glassnet's scalers compute it, then in the network's dtype."""
    graph.scope = "scaling"
    shift = graph.initializer("scaling.shift", scaling.shift.astype(np.float64))
    scale = graph.initializer("scaling.scale", scaling.scale.astype(np.float64))
    z = graph.op("Div", graph.op("Sub", x, shift), scale)
    return graph.op("Cast", z, to=1 if graph.dtype == np.float32 else 11)


def _input_dtype(given: np.ndarray | None, dtype: np.dtype[Any]) -> Any:
    """The input's element type: the example's integers (indices), else the network's dtype."""
    return given.dtype if given is not None and given.dtype.kind in "iu" else dtype


def _layer(graph: Graph, form: Form, x: str, layer: Module, prefix: str, example: np.ndarray) -> str:
    """One layer's nodes, named and documented by the layer."""
    graph.scope = prefix.rstrip(".") or type(layer).__name__
    formula = getattr(type(layer), "formula", None)
    graph.doc = f"{type(layer).__name__}: {formula.text}" if formula is not None else type(layer).__name__
    shape = example.shape[1:]
    if form.export is not None:
        return form.export(graph, x, layer, prefix, shape)
    dtype = graph.dtype.name
    for variant in form.variants:
        if variant.fits(layer, dtype, graph.opset, len(shape)):
            return emit(graph, variant.root, x, layer, prefix)
    raise GlassnetError(f"cannot export layer '{prefix.rstrip('.')}': {layer!r} has no ONNX form in {dtype} "
                        f"at opset {graph.opset}")


def _outputs(graph: Graph, z: str, example: np.ndarray,
             head: Classifier | None) -> list[tuple[str, Any, list[int | str]]]:
    """Name the network's output ``output``, or add the classifier's ``label`` and ``probabilities``."""
    if z == "input":
        z = graph.op("Identity", z)  # a network without nodes of its own: its output is its input
    n_out = list(example.shape[1:])
    if head is None:
        graph.rename(z, "output")
        return [("output", graph.dtype, ["N", *n_out])]
    graph.scope, classes = "head", np.asarray(head.classes)
    P = {"softmax": lambda: graph.op("Softmax", z, axis=1), "sigmoid": lambda: graph.op("Sigmoid", z),
         "exp": lambda: graph.op("Exp", z), "identity": lambda: graph.op("Identity", z)}[head.proba]()
    if head.multilabel:
        label = graph.op("Cast", graph.op("Greater", z, graph.constant(0.0)), to=7)
        graph.rename(label, "label")
        graph.rename(P, "probabilities")
        return [("label", np.int64, ["N", *n_out]), ("probabilities", graph.dtype, ["N", *n_out])]
    if n_out == [1]:
        P = graph.op("Concat", graph.op("Sub", graph.constant(1.0), P), P, axis=1)  # (1 − p, p)
    if head.labels == "positive":
        index = graph.op("Cast", graph.op("Greater", z, graph.constant(0.0)), to=7)  # (N, 1)
        index = graph.op("Reshape", index, graph.constant(np.array([-1], dtype=np.int64)))
    else:
        index = graph.op("ArgMax", z if head.labels == "argmax" else P, axis=1, keepdims=0)
    table = classes.astype(np.int64) if classes.dtype.kind in "iub" else (
        classes.astype(np.float64) if classes.dtype.kind == "f" else classes.astype(str))
    label = graph.op("Gather", graph.constant(table, dtype=table.dtype), index, axis=0)
    graph.rename(label, "label")
    graph.rename(P, "probabilities")
    return [("label", table.dtype, ["N"]), ("probabilities", graph.dtype, ["N", len(classes)])]
