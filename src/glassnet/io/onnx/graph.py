"""ONNX graphs as glassnet builds and reads them: tensors, attributes, nodes and the model around them.

``Graph`` collects nodes and initializers while a model is exported and serializes them as one
``ModelProto``; ``read_model`` parses a file back into plain Python: nodes, initializers (as
ndarrays), inputs, outputs and metadata. Both go through ``proto``'s wire format, with NumPy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.io.atomic import write_atomic
from glassnet.io.onnx.proto import DATA_TYPES, decode, encode

__all__ = ["IR_VERSIONS", "MAX_OPSET", "MIN_OPSET", "Graph", "Model", "Node", "array_of", "ir_version",
           "read_model", "tensor_proto"]

# the lowest IR version each opset needs (onnx's VERSION_TABLE): older runtimes load the file
IR_VERSIONS = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11}
MIN_OPSET, MAX_OPSET = 17, 23
_DTYPE_OF = {code: np.dtype(name) for name, code in DATA_TYPES.items() if name not in ("bfloat16", "object")}
_ATTRIBUTE_TYPES = {"f": 1, "i": 2, "s": 3, "t": 4, "floats": 6, "ints": 7, "strings": 8}
_MAX_FILE = 2**31  # protobuf's own limit on one message; larger models keep data outside, unsupported here


def ir_version(opset: int) -> int:
    """The lowest IR version a file of this opset needs.

    >>> ir_version(17), ir_version(20)
    (8, 9)
    """
    return IR_VERSIONS[opset]


def tensor_proto(name: str, array: np.ndarray) -> dict[str, Any]:
    """A TensorProto's fields for an ndarray: numbers as little-endian raw bytes, strings as a list."""
    array = np.asarray(array)
    if array.dtype.kind in "UO":
        return {"dims": list(array.shape), "data_type": DATA_TYPES["object"], "name": name,
                "string_data": [str(s).encode("utf-8") for s in array.reshape(-1)]}
    code = DATA_TYPES.get(array.dtype.name)
    if code is None:
        raise GlassnetError(f"cannot write tensor '{name}' of dtype {array.dtype} to ONNX")
    raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return {"dims": list(array.shape), "data_type": code, "name": name, "raw_data": raw}


def array_of(tensor: dict[str, Any], what: str) -> np.ndarray:
    """The ndarray a TensorProto holds (raw bytes or typed data fields; bfloat16 widened to float32)."""
    dims, code = [int(d) for d in tensor.get("dims", [])], tensor.get("data_type", 0)
    if any(d < 0 for d in dims) or len(dims) > 64 or tensor.get("data_location", 0) == 1:
        raise GlassnetError(f"{what}: tensor '{tensor.get('name', '')}' is stored outside the file or has a "
                            "negative size or over 64 axes; glassnet reads tensors stored in the file")
    if code == DATA_TYPES["bfloat16"]:
        bits = _numbers(tensor, np.dtype("<u2"), "int32_data", dims, what)
        return (bits.astype(np.uint32) << 16).view(np.float32)
    if code == DATA_TYPES["object"]:
        strings = [s.decode("utf-8", "replace") for s in tensor.get("string_data", [])]
        if len(strings) != int(np.prod(dims, dtype=np.int64)):
            raise GlassnetError(f"{what}: string tensor '{tensor.get('name', '')}' of shape {dims} holds "
                                f"{len(strings)} strings; the file is damaged")
        return np.array(strings, dtype=str).reshape(dims)
    if code not in _DTYPE_OF:
        raise GlassnetError(f"{what}: tensor '{tensor.get('name', '')}' has ONNX data type {code}, which "
                            "glassnet does not read")
    dtype = _DTYPE_OF[code]
    typed = {"float32": "float_data", "float64": "double_data", "int64": "int64_data"}.get(dtype.name,
                                                                                          "int32_data")
    return _numbers(tensor, dtype.newbyteorder("<"), typed, dims, what).astype(dtype, copy=False)


def _numbers(tensor: dict[str, Any], dtype: np.dtype[Any], typed: str, dims: list[int],
             what: str) -> np.ndarray:
    n = int(np.prod(dims, dtype=np.int64))
    if "raw_data" in tensor:
        raw = tensor["raw_data"]
        if len(raw) != n * dtype.itemsize:
            raise GlassnetError(f"{what}: tensor '{tensor.get('name', '')}' of shape {dims} holds {len(raw)} "
                                f"bytes, not {n * dtype.itemsize}; the file is damaged")
        return np.frombuffer(raw, dtype=dtype).reshape(dims).copy()
    values = tensor.get(typed, [])
    if len(values) != n:
        raise GlassnetError(f"{what}: tensor '{tensor.get('name', '')}' of shape {dims} holds {len(values)} "
                            "values; the file is damaged")
    if dtype.itemsize == 2 and typed == "int32_data":  # float16/bfloat16 bits, one per int32
        return np.array(values, dtype=np.int64).astype(np.uint16).view(dtype).reshape(dims)
    return np.array(values).astype(dtype).reshape(dims)


def _attribute(name: str, value: Any) -> dict[str, Any]:
    """An AttributeProto's fields for a Python value (int, float, str, list of ints or floats, ndarray)."""
    if isinstance(value, np.ndarray):
        return {"name": name, "type": _ATTRIBUTE_TYPES["t"], "t": tensor_proto("", value)}
    if isinstance(value, bool | int | np.integer):
        return {"name": name, "type": _ATTRIBUTE_TYPES["i"], "i": int(value)}
    if isinstance(value, float | np.floating):
        return {"name": name, "type": _ATTRIBUTE_TYPES["f"], "f": float(value)}
    if isinstance(value, str):
        return {"name": name, "type": _ATTRIBUTE_TYPES["s"], "s": value.encode("utf-8")}
    if all(isinstance(v, int) for v in value):
        return {"name": name, "type": _ATTRIBUTE_TYPES["ints"], "ints": [int(v) for v in value]}
    return {"name": name, "type": _ATTRIBUTE_TYPES["floats"], "floats": [float(v) for v in value]}


def _value_of(attribute: dict[str, Any], what: str) -> Any:
    """A read AttributeProto's value as Python (an ndarray for a tensor)."""
    kind = {code: key for key, code in _ATTRIBUTE_TYPES.items()}.get(attribute.get("type", 0))
    if kind is None:
        raise GlassnetError(f"{what}: attribute '{attribute.get('name', '')}' is of a kind glassnet does not "
                            "read (a graph or sparse tensor)")
    default: Any = [] if kind.endswith("s") and kind != "s" else {"f": 0.0, "i": 0, "s": b""}.get(kind)
    value = attribute.get(kind, default)
    if kind == "t":
        return array_of(value or {}, what)
    return value.decode("utf-8", "replace") if kind == "s" else value


@dataclass
class Node:
    """One node: its operator, the names of its inputs and outputs, its attributes as Python values."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    attributes: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    domain: str = ""
    doc_string: str = ""

    def proto(self) -> dict[str, Any]:
        return {"input": self.inputs, "output": self.outputs, "name": self.name or None,
                "op_type": self.op_type, "domain": self.domain or None, "doc_string": self.doc_string or None,
                "attribute": [_attribute(k, v) for k, v in self.attributes.items()]}


class Graph:
    """A graph under construction: nodes in order, initializers by name, scalar constants shared.

    Args:
        dtype: the floating dtype of the exported network (its constants are made in it).
        opset: the ONNX operator set the nodes follow.
    """

    def __init__(self, dtype: np.dtype[Any], opset: int) -> None:
        self.dtype, self.opset = np.dtype(dtype), opset
        self.nodes: list[Node] = []
        self.initializers: dict[str, np.ndarray] = {}
        self.scope, self.doc = "", ""  # the layer being exported: names and documents its nodes
        self._constants: dict[tuple[str, bytes, tuple[int, ...]], str] = {}
        self._ids = itertools.count()

    def initializer(self, name: str, array: np.ndarray) -> str:
        """Add a named tensor (a weight, under its state_dict name); returns its name."""
        if name in self.initializers:
            raise GlassnetError(f"two tensors of the exported model are both named '{name}'")
        self.initializers[name] = np.asarray(array)
        return name

    def constant(self, value: Any, dtype: Any = None) -> str:
        """A constant tensor, shared between nodes: a number in the graph's dtype, an array in its own."""
        if dtype is None and not isinstance(value, np.ndarray):
            dtype = self.dtype
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.tobytes(), array.shape) if array.dtype.kind not in "UO" else (
            "str", "\0".join(map(str, array.reshape(-1))).encode(), array.shape)
        if key not in self._constants:
            self._constants[key] = self.initializer(f"{self.scope or 'const'}/c{next(self._ids)}", array)
        return self._constants[key]

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        """Add a node of one output; returns the output's name."""
        output = f"{self.scope or 'graph'}/{op_type}_{next(self._ids)}"
        name = output
        self.nodes.append(Node(op_type, list(inputs), [output], {k: v for k, v in attributes.items()
                                                                if v is not None}, name, "", self.doc))
        self.doc = ""  # documents a layer's first node only
        return output

    def rename(self, old: str, new: str) -> None:
        """Give the value ``old`` (a node's output) the name ``new`` everywhere."""
        for node in self.nodes:
            node.inputs = [new if n == old else n for n in node.inputs]
            node.outputs = [new if n == old else n for n in node.outputs]

    def save(self, path: str | Path, inputs: Sequence[tuple[str, Any, Sequence[int | str]]],
             outputs: Sequence[tuple[str, Any, Sequence[int | str]]], metadata: dict[str, str],
             producer_version: str) -> None:
        """Write the model: ``inputs`` and ``outputs`` as (name, dtype, shape with str for dynamic axes)."""
        graph = {"node": [n.proto() for n in self.nodes], "name": "glassnet",
                 "initializer": [tensor_proto(k, v) for k, v in self.initializers.items()],
                 "input": [_value_info(*i) for i in inputs], "output": [_value_info(*o) for o in outputs]}
        model = {"ir_version": ir_version(self.opset), "producer_name": "glassnet",
                 "producer_version": producer_version, "graph": graph,
                 "opset_import": [{"domain": "", "version": self.opset}],
                 "metadata_props": [{"key": k, "value": v} for k, v in metadata.items()]}
        write_atomic(Path(path), [encode("ModelProto", model)])


def _value_info(name: str, dtype: Any, shape: Sequence[int | str]) -> dict[str, Any]:
    dims = [{"dim_param": d} if isinstance(d, str) else {"dim_value": int(d)} for d in shape]
    code = DATA_TYPES["object"] if np.dtype(dtype).kind in "UO" else DATA_TYPES[np.dtype(dtype).name]
    return {"name": name, "type": {"tensor_type": {"elem_type": code, "shape": {"dim": dims}}}}


@dataclass
class Model:
    """A read ONNX file: its nodes in order, its initializers and Constant nodes' values, the names
    of its real inputs (not initializers) and outputs with their element types, and its metadata."""

    nodes: list[Node]
    constants: dict[str, np.ndarray]
    inputs: list[tuple[str, int]]
    outputs: list[tuple[str, int]]
    metadata: dict[str, str]
    opset: int


def read_model(path: str | Path) -> Model:
    """Parse an ONNX file (checked field by field; a damaged file raises GlassnetError naming it)."""
    what = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_FILE + 1)
    except OSError as e:
        raise GlassnetError(f"cannot load {what}: {e.strerror or e}; check the path") from e
    if len(data) > _MAX_FILE:
        raise GlassnetError(f"cannot load {what}: it is over 2 GiB, the most one ONNX file holds")
    model = decode("ModelProto", data, what)
    graph = model.get("graph")
    if not isinstance(graph, dict) or "node" not in graph:
        raise GlassnetError(f"cannot load {what}: it holds no ONNX graph (is it an ONNX file?)")
    opset = max([s.get("version", 0) for s in model.get("opset_import", []) if s.get("domain", "") in
                 ("", "ai.onnx")] or [0])
    constants = {t.get("name", ""): array_of(t, what) for t in graph.get("initializer", [])}
    nodes = []
    for n in graph["node"]:
        attributes = {a.get("name", ""): a for a in n.get("attribute", [])}
        node = Node(n.get("op_type", ""), n.get("input", []), n.get("output", []),
                    {}, n.get("name", ""), n.get("domain", ""))
        held = [k for k in ("value", "value_float", "value_int") if k in attributes]
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and held and node.outputs:
            value = _value_of(attributes[held[0]], what)
            kind = {"value_float": np.float32, "value_int": np.int64}.get(held[0])
            constants[node.outputs[0]] = value if kind is None else np.asarray(value, dtype=kind)
            continue
        if node.op_type == "Identity" and node.inputs[:1] and node.inputs[0] in constants and node.outputs:
            constants[node.outputs[0]] = constants[node.inputs[0]]  # torch shares equal initializers so
            continue
        node.attributes = {k: _value_of(a, f"{what}: node '{node.name}' ({node.op_type})")
                           for k, a in attributes.items()}
        nodes.append(node)
    inputs = [(_name_type(v)) for v in graph.get("input", []) if v.get("name", "") not in constants]
    outputs = [_name_type(v) for v in graph.get("output", [])]
    metadata = {e.get("key", ""): e.get("value", "") for e in model.get("metadata_props", [])}
    return Model(nodes, constants, inputs, outputs, metadata, opset)


def _name_type(info: dict[str, Any]) -> tuple[str, int]:
    """A ValueInfoProto's name and tensor element type (0 when not a tensor)."""
    return info.get("name", ""), info.get("type", {}).get("tensor_type", {}).get("elem_type", 0)
