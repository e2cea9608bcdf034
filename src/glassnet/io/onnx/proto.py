"""The protobuf wire format of ONNX files, written and read with NumPy only (no ``onnx`` package).

An ONNX file is one serialized ``ModelProto`` (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
Protobuf's wire format is a sequence of fields, each a *tag* (the field number and a wire type,
as a varint ``number << 3 | type``) then its value: wire type 0 a varint (base-128, low groups
first, negative int64s as 10-byte two's complement), 1 eight little-endian bytes, 2 a varint
length then that many bytes (strings, bytes, nested messages, packed numbers), 5 four bytes.

Messages are plain dicts here: ``SCHEMAS`` gives, for each message of onnx.proto that glassnet
writes or reads, every field's number, kind and whether it repeats. Unknown fields are skipped
on reading, as protobuf readers do, so files of newer ONNX versions still load.

>>> data = encode("OperatorSetIdProto", {"version": 17})
>>> data, decode("OperatorSetIdProto", data)
(b'\\x10\\x11', {'version': 17})
"""

from __future__ import annotations

import struct
from typing import Any, cast

from glassnet.errors import GlassnetError

__all__ = ["DATA_TYPES", "MAX_DEPTH", "SCHEMAS", "decode", "encode"]

# onnx.proto's TensorProto.DataType values glassnet uses, by NumPy dtype name
DATA_TYPES = {"float32": 1, "uint8": 2, "int8": 3, "int32": 6, "int64": 7, "object": 8, "bool": 9,
              "float16": 10, "float64": 11, "bfloat16": 16}  # fmt: skip
MAX_DEPTH = 32  # nested messages in a file: graphs inside attributes inside graphs...

# kind: "int" (varint int64/int32/enum), "float" (fixed32), "double" (fixed64), "string", "bytes",
# or a message name; then "*" repeats, "+" repeats and is written packed ([packed = true])
SCHEMAS: dict[str, dict[str, tuple[int, str]]] = {
    "ModelProto": {"ir_version": (1, "int"), "producer_name": (2, "string"),
                   "producer_version": (3, "string"), "domain": (4, "string"), "model_version": (5, "int"),
                   "doc_string": (6, "string"), "graph": (7, "GraphProto"),
                   "opset_import": (8, "OperatorSetIdProto*"),
                   "metadata_props": (14, "StringStringEntryProto*")},
    "OperatorSetIdProto": {"domain": (1, "string"), "version": (2, "int")},
    "StringStringEntryProto": {"key": (1, "string"), "value": (2, "string")},
    "GraphProto": {"node": (1, "NodeProto*"), "name": (2, "string"), "initializer": (5, "TensorProto*"),
                   "doc_string": (10, "string"), "input": (11, "ValueInfoProto*"),
                   "output": (12, "ValueInfoProto*"), "value_info": (13, "ValueInfoProto*")},
    "NodeProto": {"input": (1, "string*"), "output": (2, "string*"), "name": (3, "string"),
                  "op_type": (4, "string"), "attribute": (5, "AttributeProto*"), "doc_string": (6, "string"),
                  "domain": (7, "string")},
    "AttributeProto": {"name": (1, "string"), "f": (2, "float"), "i": (3, "int"), "s": (4, "bytes"),
                       "t": (5, "TensorProto"), "g": (6, "GraphProto"), "floats": (7, "float*"),
                       "ints": (8, "int*"), "strings": (9, "bytes*"), "tensors": (10, "TensorProto*"),
                       "graphs": (11, "GraphProto*"), "doc_string": (13, "string"), "type": (20, "int"),
                       "ref_attr_name": (21, "string")},
    "TensorProto": {"dims": (1, "int*"), "data_type": (2, "int"), "float_data": (4, "float+"),
                    "int32_data": (5, "int+"), "string_data": (6, "bytes*"), "int64_data": (7, "int+"),
                    "name": (8, "string"), "raw_data": (9, "bytes"), "double_data": (10, "double+"),
                    "uint64_data": (11, "int+"), "doc_string": (12, "string"), "data_location": (14, "int")},
    "ValueInfoProto": {"name": (1, "string"), "type": (2, "TypeProto"), "doc_string": (3, "string")},
    "TypeProto": {"tensor_type": (1, "TypeProto.Tensor"), "denotation": (6, "string")},
    "TypeProto.Tensor": {"elem_type": (1, "int"), "shape": (2, "TensorShapeProto")},
    "TensorShapeProto": {"dim": (1, "TensorShapeProto.Dimension*")},
    "TensorShapeProto.Dimension": {"dim_value": (1, "int"), "dim_param": (2, "string"),
                                   "denotation": (3, "string")},
}
_SCALAR_WIRE = {"int": 0, "double": 1, "float": 5}
_BY_NUMBER = {message: {number: (name, kind) for name, (number, kind) in fields.items()}
              for message, fields in SCHEMAS.items()}


# ----------------------------------------------------------------------------- writing
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # a negative int64 as its two's complement: 10 bytes
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _scalar(kind: str, value: Any) -> bytes:
    if kind == "int":
        return _varint(int(value))
    return struct.pack("<f" if kind == "float" else "<d", float(value))


def _field(number: int, kind: str, value: Any) -> bytes:
    """One field's tag and value."""
    if kind in _SCALAR_WIRE:
        return _varint(number << 3 | _SCALAR_WIRE[kind]) + _scalar(kind, value)
    if kind == "string":
        value = value.encode("utf-8")
    elif kind != "bytes":
        value = encode(kind, value)
    return _varint(number << 3 | 2) + _varint(len(value)) + bytes(value)


def encode(message: str, fields: dict[str, Any]) -> bytes:
    """The wire bytes of ``message`` (a name in ``SCHEMAS``) holding ``fields``; a field that is None
    or an empty repeated field is left out (a 0 is written: ONNX tells set fields from unset ones)."""
    schema, parts = SCHEMAS[message], []
    for name, value in fields.items():
        number, kind = schema[name]
        if value is None or (kind[-1] in "*+" and len(value) == 0):
            continue
        base = kind.rstrip("*+")
        if kind.endswith("+"):  # packed: one length-delimited run of the values
            run = b"".join(_scalar(base, v) for v in value)
            parts.append(_varint(number << 3 | 2) + _varint(len(run)) + run)
        elif kind.endswith("*"):
            parts.extend(_field(number, base, v) for v in value)
        else:
            parts.append(_field(number, base, value))
    return b"".join(parts)


# ----------------------------------------------------------------------------- reading
class _Reader:
    """A cursor over one message's bytes; every read is bounds-checked."""

    def __init__(self, data: memoryview, what: str) -> None:
        self.data, self.at, self.what = data, 0, what

    def fail(self, why: str) -> GlassnetError:
        return GlassnetError(f"{self.what} is not a valid ONNX file: {why} (at byte {self.at})")

    def varint(self) -> int:
        n, shift = 0, 0
        while True:
            if self.at >= len(self.data) or shift > 63:
                raise self.fail("a number runs past the end of its message")
            byte = self.data[self.at]
            self.at += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return n - (1 << 64) if n >= 1 << 63 else n

    def take(self, n: int) -> memoryview:
        if n < 0 or self.at + n > len(self.data):
            raise self.fail(f"a field of {n} bytes runs past the end of its message")
        self.at += n
        return self.data[self.at - n:self.at]


def _number(kind: str, raw: memoryview) -> Any:
    """Packed numbers of ``kind`` from a length-delimited run."""
    if kind == "int":
        reader, values = _Reader(raw, "a packed field"), []
        while reader.at < len(raw):
            values.append(reader.varint())
        return values
    size, code = (4, "f") if kind == "float" else (8, "d")
    if len(raw) % size:
        raise GlassnetError(f"a packed {kind} field of {len(raw)} bytes is not a multiple of {size}")
    return list(struct.unpack(f"<{len(raw) // size}{code}", raw))


def decode(message: str, data: bytes | memoryview, what: str = "the file", depth: int = 0) -> dict[str, Any]:
    """The fields of one ``message`` read from its wire bytes (unknown fields skipped).

    Raises:
        GlassnetError: naming ``what`` for bytes that are not that message.
    """
    if depth > MAX_DEPTH:
        raise GlassnetError(f"{what} is not a valid ONNX file: messages nest more than {MAX_DEPTH} deep")
    reader, fields = _Reader(memoryview(data), what), cast(dict[str, Any], {})
    known = _BY_NUMBER[message]
    while reader.at < len(reader.data):
        tag = reader.varint()
        number, wire = tag >> 3, tag & 7
        name, kind = known.get(number, ("", ""))
        base = kind.rstrip("*+")
        if wire == 0:
            value: Any = reader.varint()
        elif wire == 1:
            value = reader.take(8)
        elif wire == 5:
            value = reader.take(4)
        elif wire == 2:
            value = reader.take(reader.varint())
        else:
            raise reader.fail(f"wire type {wire} (groups are not part of ONNX)")
        if not name:
            continue
        repeated = kind[-1] in "*+"
        if wire == 2 and base in _SCALAR_WIRE and not repeated:
            raise reader.fail(f"the number '{name}' is stored as a run of bytes")
        value = _value(base, wire, value, what, depth, reader)
        if repeated:
            fields.setdefault(name, []).extend(value if isinstance(value, list) else [value])
        else:
            fields[name] = value
    return fields


def _value(kind: str, wire: int, raw: Any, what: str, depth: int, reader: _Reader) -> Any:
    """One field's value of ``kind`` from its wire form (a list for a packed run)."""
    if kind in _SCALAR_WIRE:
        expected = _SCALAR_WIRE[kind]
        if wire == 2:
            return _number(kind, raw)
        if wire != expected:
            raise reader.fail(f"a {kind} field has wire type {wire}")
        return raw if kind == "int" else struct.unpack("<f" if kind == "float" else "<d", raw)[0]
    if wire != 2:
        raise reader.fail(f"a {kind} field has wire type {wire}")
    if kind == "string":
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise reader.fail("a string is not UTF-8") from None
    if kind == "bytes":
        return bytes(raw)
    return decode(kind, raw, what, depth + 1)
