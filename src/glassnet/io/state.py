"""State trees in safe files: checkpoints and optimizer states, arrays as tensors, the rest as JSON.

A tree is made of dicts (str or int keys), lists, tuples, ndarrays, Python or NumPy numbers,
bools, None and strings. ``save_state`` stores its arrays as safetensors tensors and everything
else as tagged JSON in the file's metadata; ``load_state`` gives it back exactly. Nothing in a
file is code: loading parses JSON and copies bytes.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.io.safetensors import (  # the format's own rules
    _NAME_OF,
    PathLike,
    _unique_keys,
    load_tensors,
    save_tensors,
)

__all__ = ["check_format", "load_state", "pack_tree", "save_state", "unpack_tree"]

_TREE_FORMAT, _TREE_VERSION = "glassnet-state", 1


def save_state(path: PathLike, tree: Any, metadata: Mapping[str, str] | None = None) -> None:
    """Save a nested state tree (e.g. a checkpoint): arrays as tensors, the rest as JSON metadata.

    A tree is made of dicts (str or int keys), lists, tuples, ndarrays, Tensors, Python or NumPy
    numbers, bools, None and strings; ``load_state`` gives it back exactly (NumPy scalars as Python numbers).

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.safetensors")
    >>> save_state(path, {"epoch": 3, "state": {0: {"m": np.zeros(2)}}, "betas": (0.9, 0.999)})
    >>> load_state(path)
    {'epoch': 3, 'state': {0: {'m': array([0., 0.])}}, 'betas': (0.9, 0.999)}
    """
    text, tensors = pack_tree(tree)
    own = {"format": _TREE_FORMAT, "format_version": str(_TREE_VERSION), "tree": text}
    clash = sorted(set(metadata or {}) & set(own))
    if clash:
        raise GlassnetError(f"cannot save {path}: metadata keys {clash} are reserved; rename them")
    save_tensors(path, tensors, {**(metadata or {}), **own}, checksum=True)


def load_state(path: PathLike) -> Any:
    """Load a tree written by ``save_state`` (checks format, version and every tensor reference)."""
    return tree_of(*load_tensors(path), path)


def is_state(metadata: Mapping[str, str]) -> bool:
    """Whether a file's metadata says it holds a state tree (of ``save_state``)."""
    return metadata.get("format") == _TREE_FORMAT


def tree_of(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str], path: PathLike) -> Any:
    """The tree in a state file already read: ``load_state``'s checks and result."""
    check_format(metadata, _TREE_FORMAT, _TREE_VERSION, str(path))
    tree, used = unpack_tree(metadata.get("tree", ""), tensors, str(path))
    if set(tensors) - used:
        raise GlassnetError(f"cannot load {path}: tensors {sorted(set(tensors) - used)[:5]} belong to "
                            "no part of the state; the file was altered")
    return tree


def check_format(metadata: Mapping[str, str], name: str, version: int, source: str) -> None:
    """Raise unless metadata says ``format == name`` with a ``format_version`` this code can read."""
    found, raw = metadata.get("format"), metadata.get("format_version", "")
    if found != name:
        raise GlassnetError(f"cannot load {source}: it is not a {name} file (format {found!r})")
    if not re.fullmatch(r"[1-9][0-9]{0,8}", raw):
        raise GlassnetError(f"cannot load {source}: format_version {raw!r} is not a version number")
    if int(raw) > version:
        raise GlassnetError(f"cannot load {source}: it was written by a newer glassnet ({name} format "
                            f"version {raw}; this glassnet reads up to {version}); upgrade glassnet")


def pack_tree(tree: Any, prefix: str = "") -> tuple[str, dict[str, np.ndarray]]:
    """Split a state tree into JSON text and the arrays it refers to (named ``prefix`` + path).

    In the JSON, dicts become ``{"dict": [[key, value], ...]}``, tuples ``{"tuple": [...]}``,
    arrays ``{"array": name}``, Tensors ``{"tensor": name}`` (their values; they load as Tensors
    that do not require grad), and non-finite floats ``{"float": "<16 hex digits of the bits>"}``;
    lists, strings, finite floats, ints, bools and None are themselves.

    >>> import numpy as np
    >>> pack_tree({"w": np.ones(1), 1: (float("inf"), None)})
    ('{"dict":[["w",{"array":"w"}],[1,{"tuple":[{"float":"7ff0000000000000"},null]}]]}', {'w': array([1.])})
    """
    tensors: dict[str, np.ndarray] = {}
    try:
        return json.dumps(_pack(tree, [], prefix, tensors), separators=(",", ":")), tensors
    except (RecursionError, ValueError) as e:
        raise GlassnetError(f"cannot store the state: it is too deep, refers to itself, or holds an "
                            f"integer too large for JSON ({e})") from e


def _pack(node: Any, path: list[str], prefix: str, tensors: dict[str, np.ndarray]) -> Any:
    where = prefix + (".".join(path) or "root")  # also the tensor name of an array here
    if isinstance(node, Tensor):
        return {"tensor": _pack(np.asarray(node.array), path, prefix, tensors)["array"]}
    if isinstance(node, np.ndarray):
        if f"{node.dtype.kind}{node.dtype.itemsize}" not in _NAME_OF:
            raise GlassnetError(f"cannot store the array at '{where}' of dtype {node.dtype}; "
                                "store numbers or bools, or convert it with .tolist()")
        name, i = where, 1
        while name in tensors or name == "__metadata__":  # paths such as "a.b" and a→b collide
            name, i = f"{where}#{i}", i + 1
        tensors[name] = node
        return {"array": name}
    node = node.item() if isinstance(node, np.generic) else node  # NumPy scalars → Python numbers
    if node is None or isinstance(node, bool | str | int):
        return node
    if isinstance(node, float):
        return float(node) if math.isfinite(node) else {"float": struct.pack(">d", node).hex()}
    if isinstance(node, list | tuple):
        items = [_pack(v, [*path, str(i)], prefix, tensors) for i, v in enumerate(node)]
        return {"tuple": items} if isinstance(node, tuple) else items
    if isinstance(node, Mapping):
        return {"dict": [[_key(k, where), _pack(v, [*path, str(k)], prefix, tensors)]
                         for k, v in node.items()]}
    raise GlassnetError(f"cannot store a {type(node).__name__} at '{where}': state trees hold "
                        "dicts, lists, tuples, ndarrays, Tensors, numbers, bools, None and strings only")


def _key(key: Any, where: str) -> str | int:
    key = key.item() if isinstance(key, np.generic) else key
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise GlassnetError(f"cannot store the key {key!r} at '{where}': keys must be str or int")
    return str(key) if isinstance(key, str) else int(key)


def unpack_tree(text: str, tensors: Mapping[str, np.ndarray], source: str) -> tuple[Any, set[str]]:
    """The tree of ``pack_tree`` again, and the names of the tensors it used (``source`` for errors)."""
    try:
        encoded = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        used: set[str] = set()
        return _unpack(encoded, tensors, used, source), used
    except (ValueError, RecursionError) as e:
        raise GlassnetError(f"cannot load {source}: the stored state is not valid ({e})") from e


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _unpack(node: Any, tensors: Mapping[str, np.ndarray], used: set[str], source: str) -> Any:
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, list):
        return [_unpack(v, tensors, used, source) for v in node]
    tag, value = next(iter(node.items())) if isinstance(node, dict) and len(node) == 1 else ("", None)
    if tag == "tuple" and isinstance(value, list):
        return tuple(_unpack(v, tensors, used, source) for v in value)
    if tag == "dict" and isinstance(value, list) and all(_is_pair(p) for p in value):
        if len({k for k, _ in value}) != len(value):
            raise ValueError("a dict has a duplicate key")
        return {k: _unpack(v, tensors, used, source) for k, v in value}
    if tag == "float" and isinstance(value, str) and re.fullmatch("[0-9a-f]{16}", value):
        return struct.unpack(">d", bytes.fromhex(value))[0]
    if tag in ("array", "tensor") and isinstance(value, str) and value in tensors:
        used.add(value)
        return tensors[value] if tag == "array" else Tensor(tensors[value])
    raise ValueError(f"unknown or dangling entry {json.dumps(node)[:80]}")


def _is_pair(pair: Any) -> bool:
    return (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str | int)
            and not isinstance(pair[0], bool))
