"""Each registered layer's and activation's ONNX form: ``FORMS``, keyed by the registered class.

A form is written once and read both ways: most are templates (``templates.py``), expression
trees over the layer's input ``X`` that export instantiates with the layer's numbers and loading
matches against a graph's nodes, rebuilding the layer from what they bound. A layer may have
several *variants*: one per dtype or opset where onnxruntime lacks a kernel (float64 expands
Elu, Erf, Softplus... into operators it runs in float64) or where an attribute, always a float32,
would round a float64 argument (LeakyReLU's slope), and read-only ones for the forms other
exporters write (``torch.onnx.export``'s Softplus). Layers whose nodes depend on the input's
shape (Flatten, LayerNorm, ...) have an ``export`` function instead.

An activation or layer without an entry here cannot be exported: the error names it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.engine.activation_ops import ERF_FRACTION_DEPTH, ERF_SERIES, SELU_ALPHA, SELU_SCALE
from glassnet.errors import GlassnetError
from glassnet.io.onnx.graph import Graph
from glassnet.io.onnx.templates import Const, Form, Node, Param, Variant, Weight, X, emit, op
from glassnet.nn.activations import (
    ELU,
    GELU,
    SELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
)  # fmt: skip
from glassnet.nn.embedding import Embedding
from glassnet.nn.layers import Dropout, Flatten, Identity, Linear, Unflatten
from glassnet.nn.module import Module
from glassnet.nn.normalization import BatchNorm1d, LayerNorm

__all__ = ["FORMS"]


# ----------------------------------------------------------------------------- the activations
F32, F64 = ("float32",), ("float64",)


def _erf(u: Any) -> Node:
    """erf(u) from operators onnxruntime runs in float64, computed as ``engine.activation_ops.erf``:
    the power series (Abramowitz & Stegun 7.1.6) where |u| < 2, erfc's continued fraction (7.1.14)
    where |u| ≥ 2."""
    a = op("Abs", u)
    s = op("Min", a, Const(2.0))
    y = op("Mul", op("Mul", Const(2.0), s), s)  # 2s²
    series: Any = Const(ERF_SERIES[-1])
    for c in ERF_SERIES[-2::-1]:  # Horner's rule
        series = op("Add", op("Mul", series, y), Const(c))
    gauss = op("Exp", op("Neg", op("Mul", s, s)))  # e^(-s²)
    near = op("Mul", op("Mul", op("Mul", Const(2.0 / math.sqrt(math.pi)), s), gauss), series)
    t = op("Clip", a, Const(2.0), Const(6.0))
    fraction: Any = t
    for k in range(ERF_FRACTION_DEPTH, 0, -1):
        fraction = op("Add", op("Div", Const(k / 2.0), fraction), t)
    tail = op("Exp", op("Neg", op("Mul", t, t)))  # e^(-t²)
    far = op("Sub", Const(1.0), op("Div", tail, op("Mul", Const(math.sqrt(math.pi)), fraction)))
    return op("Mul", op("Sign", u), op("Where", op("Less", a, Const(2.0)), near, far))


def _softplus64(z: Any) -> Node:
    """ln(1 + eᶻ) = max(z, 0) + ln(1 + e^-|z|): no overflow, and float64 kernels throughout."""
    return op("Add", op("Relu", z), op("Log", op("Add", Const(1.0), op("Exp", op("Neg", op("Abs", z))))))


def _where_positive(negative: Any) -> Node:
    return op("Where", op("Greater", X, Const(0.0)), X, negative)


def _elu(alpha: Any) -> Node:
    return _where_positive(op("Mul", op("Sub", op("Exp", X), Const(1.0)), alpha))


def _softplus(core: Callable[[Any], Any], beta_is_one: bool) -> Variant:
    if beta_is_one:
        root = op("Where", op("Greater", X, Param("threshold")), X, core(X))
        return Variant(root, {"beta": 1.0}, F32 if core is _native_softplus else F64)
    z = op("Mul", X, Param("beta"))
    root = op("Where", op("Greater", z, Param("threshold")), X, op("Div", core(z), Param("beta")))
    return Variant(root, {}, F32 if core is _native_softplus else F64)


def _native_softplus(z: Any) -> Node:
    return op("Softplus", z)


def _gelu_erf(erf: Callable[[Any], Any], dtypes: tuple[str, ...]) -> Variant:
    cdf = op("Add", erf(op("Div", X, Const(math.sqrt(2.0)))), Const(1.0))  # 2Φ(x)
    root = op("Mul", op("Mul", X, cdf), Const(0.5))
    return Variant(root, {"approximate": "none"}, dtypes)


_CUBE = op("Mul", X, op("Mul", X, X))  # x³, as torch.onnx.export writes it
_TANH_GELU = op("Mul", Const(0.5), op("Mul", X, op("Add", Const(1.0), op("Tanh", op(
    "Mul", Const(math.sqrt(2.0 / math.pi)), op("Add", X, op("Mul", Const(0.044715), _CUBE)))))))
"""½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the tanh approximation of GELU."""


def _variants(*variants: Variant) -> Form:
    return Form(variants)


_ACTIVATIONS: dict[type[Module], Form] = {
    Sigmoid: _variants(Variant(op("Sigmoid", X))),
    Tanh: _variants(Variant(op("Tanh", X))),
    ReLU: _variants(Variant(op("Relu", X))),
    LeakyReLU: _variants(Variant(op("LeakyRelu", X, alpha=Param("negative_slope")), dtypes=F32),
                         Variant(_where_positive(op("Mul", X, Param("negative_slope"))), dtypes=F64)),
    ELU: _variants(Variant(op("Elu", X, alpha=Param("alpha")), dtypes=F32),
                   Variant(_elu(Param("alpha")), dtypes=F64)),
    SELU: _variants(Variant(op("Selu", X, alpha=Const(SELU_ALPHA), gamma=Const(SELU_SCALE)), dtypes=F32),
                    Variant(op("Mul", _elu(Const(SELU_ALPHA)), Const(SELU_SCALE)), dtypes=F64)),
    GELU: _variants(Variant(op("Gelu", X), {"approximate": "none"}, F32, min_opset=20),
                    _gelu_erf(lambda u: op("Erf", u), F32),
                    _gelu_erf(_erf, F64),
                    Variant(op("Gelu", X, approximate="tanh"), {"approximate": "tanh"}, F32, min_opset=20),
                    Variant(_TANH_GELU, {"approximate": "tanh"})),
    SiLU: _variants(Variant(op("Mul", X, op("Sigmoid", X)))),  # onnxruntime has no Swish kernel
    Mish: _variants(Variant(op("Mish", X), dtypes=F32, min_opset=18),
                    Variant(op("Mul", X, op("Tanh", op("Softplus", X))), dtypes=F32),
                    Variant(op("Mul", X, op("Tanh", _softplus64(X))), dtypes=F64)),
    Softplus: _variants(_softplus(_native_softplus, True), _softplus(_native_softplus, False),
                        _softplus(_softplus64, True), _softplus(_softplus64, False),
                        # what torch.onnx.export writes: no threshold (the two differ by < 2.1e-9 above it)
                        Variant(op("Softplus", X), {"beta": 1.0}, exported=False),
                        Variant(op("Div", op("Softplus", op("Mul", X, Param("beta"))), Param("beta")),
                                exported=False)),
    Softsign: _variants(Variant(op("Softsign", X), dtypes=F32),
                        Variant(op("Div", X, op("Add", Const(1.0), op("Abs", X))), dtypes=F64)),
    Hardtanh: _variants(Variant(op("Clip", X, Param("min_val"), Param("max_val")))),
    Softmax: _variants(Variant(op("Softmax", X, axis=Param("dim", int)))),
    LogSoftmax: _variants(Variant(op("LogSoftmax", X, axis=Param("dim", int)))),
}


# ----------------------------------------------------------------------------- the layers
def _build_linear(bound: dict[str, Any]) -> Module:
    """A Linear layer holding the weights a Gemm or MatMul (+ Add) node bound, bit for bit."""
    W, b = bound["weight"], bound.get("bias")
    if W.ndim != 2 or W.dtype.kind != "f" or (b is not None and b.size != W.shape[0]):
        raise GlassnetError(f"a Gemm or MatMul with weights of shape {W.shape} ({W.dtype}) and bias of "
                            f"shape {None if b is None else b.shape} is not a Linear layer")
    layer = Linear(W.shape[1], W.shape[0], bias=b is not None, dtype=W.dtype, generator=0)
    state = {"weight": W} if b is None else {"weight": W, "bias": b.reshape(-1).astype(W.dtype)}
    layer.load_state_dict(state)
    return layer


def _linear_variants() -> tuple[Variant, ...]:
    W, Wt, b = Weight("weight"), Weight("weight", transposed=True), Weight("bias")
    return (Variant(op("Gemm", X, W, b, transB=1), {}, input_rank=1),
            Variant(op("Gemm", X, W, transB=1), {}, input_rank=1),
            Variant(op("Add", op("MatMul", X, op("Transpose", W)), b)),
            Variant(op("MatMul", X, op("Transpose", W))),
            Variant(op("Gemm", X, Wt, b), exported=False), Variant(op("Gemm", X, Wt), exported=False),
            Variant(op("Add", op("MatMul", X, Wt), b), exported=False),
            Variant(op("MatMul", X, Wt), exported=False))


def _export_linear(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    """Gemm for a batch of rows, MatMul and Add for inputs of other ranks (Gemm takes matrices only)."""
    ok = [v for v in _linear_variants() if v.exported and v.input_rank in (None, len(shape))
          and (len(v.root.inputs) == 3 or v.root.op_type == "Add") == (layer.bias is not None)]
    return emit(graph, ok[0].root, x, layer, prefix)


def _pass(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    return x  # Identity, and Dropout, the identity in eval mode


def _export_flatten(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    full = (-1, *shape)  # -1: the batch axis, whose size the file leaves open
    start, end = layer.start_dim % len(full), layer.end_dim % len(full)
    if start == 1 and end == len(full) - 1:
        return graph.op("Flatten", x, axis=1)
    target = [0] * start + [-1] + list(full[end + 1:])  # 0: this axis as it is
    return graph.op("Reshape", x, graph.constant(np.array(target, dtype=np.int64)))


def _export_unflatten(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    full = (-1, *shape)
    dim = layer.dim % len(full)
    if dim == 0:
        raise GlassnetError(f"cannot export layer '{prefix.rstrip('.')}': Unflatten(dim=0) splits the batch "
                            "axis, whose size an exported model leaves open")
    target = [0] * dim + list(layer.unflattened_size) + list(full[dim + 1:])
    return graph.op("Reshape", x, graph.constant(np.array(target, dtype=np.int64)))


def _affine(graph: Graph, layer: Any, prefix: str, shape: tuple[int, ...]) -> tuple[str, str | None]:
    """The scale and shift of a normalization layer: its weight and bias, or 1 and 0 without them."""
    scale = (graph.initializer(prefix + "weight", layer.weight.array) if layer.weight is not None
             else graph.constant(np.ones(shape, dtype=graph.dtype)))
    shift = graph.initializer(prefix + "bias", layer.bias.array) if layer.bias is not None else None
    return scale, shift


def _mean(graph: Graph, x: str, axes: list[int]) -> str:
    """The mean over ``axes``, kept (ReduceMean takes its axes as an input from opset 18)."""
    if graph.opset >= 18:
        return graph.op("ReduceMean", x, graph.constant(np.array(axes, dtype=np.int64)), keepdims=1)
    return graph.op("ReduceMean", x, axes=axes, keepdims=1)


def _export_layer_norm(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    """LayerNormalization in float32; in float64 the formula x̂ = (x − x̄)/√(s² + ε) itself
    (``engine.norm_ops.Normalize``), then W ⊙ x̂ + b, so that ε stays a float64 (an attribute is a float32)."""
    k = len(layer.normalized_shape)
    scale, shift = _affine(graph, layer, prefix, tuple(layer.normalized_shape))
    if graph.dtype == np.float32:
        inputs = (x, scale) if shift is None else (x, scale, shift)
        return graph.op("LayerNormalization", *inputs, axis=-k, epsilon=float(layer.eps))
    axes = list(range(-k, 0))
    d = graph.op("Sub", x, _mean(graph, x, axes))
    var = _mean(graph, graph.op("Mul", d, d), axes)
    y = graph.op("Mul", graph.op("Div", d, graph.op("Sqrt", graph.op("Add", var, graph.constant(layer.eps)))),
                 scale)
    return y if shift is None else graph.op("Add", y, shift)


def _export_batch_norm(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    if layer.running_mean is None:
        raise GlassnetError(f"cannot export layer '{prefix.rstrip('.')}': BatchNorm1d(track_running_stats="
                            "False) normalizes with each batch's own statistics, also in eval mode; an "
                            "exported model needs running statistics (build it with "
                            "track_running_stats=True)")
    n = (layer.num_features,)
    scale, shift = _affine(graph, layer, prefix, n)
    shift = shift if shift is not None else graph.constant(np.zeros(n, dtype=graph.dtype))
    mean = graph.initializer(prefix + "running_mean", layer.running_mean.array)
    var = graph.initializer(prefix + "running_var", layer.running_var.array)
    return graph.op("BatchNormalization", x, scale, shift, mean, var, epsilon=float(layer.eps))


def _export_embedding(graph: Graph, x: str, layer: Any, prefix: str, shape: tuple[int, ...]) -> str:
    return graph.op("Gather", graph.initializer(prefix + "weight", layer.weight.array), x, axis=0)


def _floats(bound: dict[str, Any], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The bound weights ``keys`` as flat arrays of one float dtype (a read layer's state)."""
    dtype = bound[keys[0]].dtype
    if dtype.kind != "f" or any(bound[k].dtype != dtype for k in keys):
        raise GlassnetError(f"its tensors {list(keys)} are not all of one float dtype")
    return {k: bound[k] for k in keys}


def _build_layer_norm(bound: dict[str, Any]) -> Module:
    """LayerNorm over the weight's shape (the node's axis must count that many trailing axes)."""
    state = _floats(bound, ("weight", "bias") if "bias" in bound else ("weight",))
    shape = tuple(state["weight"].shape)
    if bound["axis"] != -len(shape):
        raise GlassnetError(f"a LayerNormalization over axis {bound['axis']} with a scale of shape {shape} "
                            "is not a LayerNorm over the trailing axes; glassnet reads negative axes")
    layer = LayerNorm(shape, eps=bound["eps"], bias="bias" in state, dtype=state["weight"].dtype)
    layer.load_state_dict(state)
    return layer


def _build_batch_norm(bound: dict[str, Any]) -> Module:
    """BatchNorm1d in eval mode from a BatchNormalization's scale, shift and running statistics."""
    state = _floats(bound, ("weight", "bias", "running_mean", "running_var"))
    if len({v.shape for v in state.values()}) != 1 or state["weight"].ndim != 1:
        raise GlassnetError("its scale, shift, mean and variance are not vectors of one length")
    layer = BatchNorm1d(state["weight"].size, eps=bound["eps"], dtype=state["weight"].dtype)
    layer.load_state_dict({**state, "num_batches_tracked": np.array(0, dtype=np.int64)})
    return layer


def _build_embedding(bound: dict[str, Any]) -> Module:
    table = _floats(bound, ("weight",))["weight"]
    if table.ndim != 2:
        raise GlassnetError(f"a Gather from a table of shape {table.shape} is not an Embedding")
    return Embedding.from_pretrained(table, freeze=False)


def _normalization_variants() -> tuple[Variant, ...]:
    """LayerNormalization as export writes it in float32 and torch.onnx.export writes it (read only)."""
    W, b, eps, axis = Weight("weight"), Weight("bias"), Param("eps"), Param("axis", int)
    return (Variant(op("LayerNormalization", X, W, b, axis=axis, epsilon=eps), exported=False),
            Variant(op("LayerNormalization", X, W, axis=axis, epsilon=eps), exported=False))


_BATCH_NORM = op("BatchNormalization", X, Weight("weight"), Weight("bias"), Weight("running_mean"),
                 Weight("running_var"), epsilon=Param("eps"), momentum=Param("momentum"))
_LAYERS: dict[type[Module], Form] = {
    Linear: Form(_linear_variants(), _export_linear, _build_linear),
    Identity: Form(export=_pass),
    Dropout: Form(export=_pass),
    Flatten: Form((Variant(op("Flatten", X, axis=1), {"start_dim": 1, "end_dim": -1}),), _export_flatten),
    Unflatten: Form(export=_export_unflatten),
    LayerNorm: Form(_normalization_variants(), _export_layer_norm, _build_layer_norm),
    BatchNorm1d: Form((Variant(_BATCH_NORM, exported=False),), _export_batch_norm, _build_batch_norm),
    Embedding: Form((Variant(op("Gather", Weight("weight"), X), exported=False),), _export_embedding,
                    _build_embedding),
}

FORMS: dict[type[Module], Form] = {**_LAYERS, **_ACTIVATIONS}
"""The ONNX form of every registered layer and activation ONNX can express, by registered class."""
