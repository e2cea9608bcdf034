"""Safe tensor files: the safetensors format in NumPy (state trees stored in it: ``files_tree``).

A safetensors file (https://huggingface.co/docs/safetensors) is three parts::

    [ N: u64, little-endian ][ N bytes: UTF-8 JSON header, space-padded ][ tensor bytes ]

The header maps each tensor name to ``{"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}``
(byte offsets into the data part, C order, little-endian) and the optional key ``"__metadata__"``
to a dict of strings. Loading only parses JSON and copies bytes into ndarrays: nothing is
imported, evaluated or unpickled, so a file can never run code. A BF16 tensor (PyTorch's
bfloat16) loads as float32, exactly: NumPy has no bfloat16.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "weights.safetensors")
>>> save_tensors(path, {"w": np.eye(2, dtype=np.float32)}, {"note": "identity"})
>>> tensors, metadata = load_tensors(path)
>>> tensors["w"], metadata
(array([[1., 0.],
       [0., 1.]], dtype=float32), {'note': 'identity'})
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import os
import struct
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.io.atomic import write_atomic

__all__ = ["CHECKSUM_KEY", "DTYPES", "MAX_HEADER_SIZE", "PathLike", "checksum_of", "load_tensors",
           "save_tensors"]

PathLike = str | os.PathLike[str]
MAX_HEADER_SIZE = 100_000_000  # the reference implementation refuses larger headers
CHECKSUM_KEY = "glassnet_checksum"  # in the metadata of glassnet's own files: see checksum_of
# safetensors dtype → NumPy dtype code, in the reference's order of increasing alignment
_CODES = {"BOOL": "b1", "U8": "u1", "I8": "i1", "I16": "i2", "U16": "u2", "F16": "f2", "I32": "i4",
          "U32": "u4", "F32": "f4", "F64": "f8", "I64": "i8", "U64": "u8"}  # fmt: skip
DTYPES: dict[str, np.dtype[Any]] = {name: np.dtype("<" + code) for name, code in _CODES.items()}
_NAME_OF = {code: name for name, code in _CODES.items()}  # "f4" → "F32"
_RANK = {name: rank for rank, name in enumerate(_CODES)}
_WIDENED = {"BF16": np.dtype("<u2")}  # read as its bits, widened exactly to float32: NumPy has no bfloat16
_NO_NUMPY = ("F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64")


# ----------------------------------------------------------------------------- writing
def save_tensors(path: PathLike, tensors: Mapping[str, np.ndarray],
                 metadata: Mapping[str, str] | None = None, *, checksum: bool = False) -> None:
    """Write named arrays (and string metadata) to a safetensors file, atomically.

    Tensors are laid out as the reference implementation does (largest alignment first, then by
    name; header padded with spaces to a multiple of 8), so every tensor starts aligned.

    Args:
        path: the file to write; it is replaced only once the new file is complete on disk.
        tensors: name → ndarray of a dtype in ``DTYPES`` (bool, u/int 8-64, float 16/32/64).
        metadata: str → str, stored under ``"__metadata__"``.
        checksum: also store ``CHECKSUM_KEY``, a SHA-256 of the tensors and the metadata, which
            ``load_tensors`` verifies (glassnet's own files carry one; other readers ignore it).
    """
    path = Path(path)
    header, arrays = _prepare(path, tensors, metadata)  # first: it checks every tensor and string
    if checksum:
        if CHECKSUM_KEY in (metadata or {}):
            raise GlassnetError(f"cannot save {path}: the metadata key '{CHECKSUM_KEY}' is reserved")
        metadata = {**(metadata or {}), CHECKSUM_KEY: checksum_of(tensors, metadata or {})}
        header, arrays = _prepare(path, tensors, metadata)
    write_atomic(path, itertools.chain([header], map(_tensor_bytes, arrays)))  # one tensor at a time


def _prepare(path: Path, tensors: Mapping[str, np.ndarray],
             metadata: Mapping[str, str] | None) -> tuple[bytes, list[np.ndarray]]:
    """The 8-byte length and padded JSON header, and the arrays in file order."""
    entries = []
    for name, array in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise GlassnetError(f"cannot save {path}: tensor name {name!r} must be a str other than "
                                "'__metadata__'")
        code = f"{array.dtype.kind}{array.dtype.itemsize}" if isinstance(array, np.ndarray) else "?"
        if code not in _NAME_OF:
            kind = f"dtype {array.dtype}" if isinstance(array, np.ndarray) else type(array).__name__
            raise GlassnetError(f"cannot save {path}: tensor '{name}' is a {kind}; expected an ndarray "
                                f"of bool, (u)int8-64 or float16/32/64 (convert with np.asarray(x, dtype))")
        entries.append((name, _NAME_OF[code], array))
    entries.sort(key=lambda e: (-_RANK[e[1]], e[0]))
    header: dict[str, Any] = {}
    if metadata is not None:
        bad = [k for k, v in metadata.items() if not (isinstance(k, str) and isinstance(v, str))]
        if bad:
            raise GlassnetError(f"cannot save {path}: metadata must map str to str; {bad[0]!r} does not")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, dtype, array in entries:
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    try:
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        raise GlassnetError(f"cannot save {path}: a name or metadata string is not valid Unicode") from e
    text += b" " * (-len(text) % 8)  # pad to 8 bytes so the data part starts aligned
    if len(text) > MAX_HEADER_SIZE:
        raise GlassnetError(f"cannot save {path}: the header would be {len(text)} bytes, over the "
                            f"{MAX_HEADER_SIZE} that readers accept; store less metadata")
    return struct.pack("<Q", len(text)) + text, [e[2] for e in entries]


def _tensor_bytes(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def checksum_of(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> str:
    """``"sha256:<hex>"`` over every tensor (name, dtype, shape, little-endian bytes) by name, then
    every metadata entry but ``CHECKSUM_KEY`` by key; each field is preceded by its length in bytes
    (8, little-endian), so no two different files hash the same text."""
    digest = hashlib.sha256()

    def field(data: bytes | memoryview) -> None:
        digest.update(struct.pack("<Q", memoryview(data).nbytes))
        digest.update(data)

    for name in sorted(tensors):
        array = tensors[name]
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        field(name.encode("utf-8"))
        field(_NAME_OF.get(f"{array.dtype.kind}{array.dtype.itemsize}", "?").encode())
        field(",".join(map(str, array.shape)).encode())
        field(little.reshape(-1).view(np.uint8).data)  # a view: the tensor is not copied
    for key in sorted(k for k in metadata if k != CHECKSUM_KEY):
        field(key.encode("utf-8"))
        field(metadata[key].encode("utf-8"))
    return "sha256:" + digest.hexdigest()


# ----------------------------------------------------------------------------- reading
Destinations = Callable[[dict[str, str], dict[str, tuple[np.dtype[Any], tuple[int, ...]]]],
                       Mapping[str, np.ndarray]]
"""``into`` of ``load_tensors``: (metadata, name → (dtype, shape)) → arrays to read tensors into."""


def load_tensors(path: PathLike,
                 into: Destinations | None = None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file: (name → ndarray, metadata), validating every byte of the layout.

    The layout is checked against the file's size before anything is allocated, and each tensor is
    read straight into an array, so loading takes about the file's size in memory, not twice.

    Args:
        into: called with the metadata and each tensor's dtype and shape once the header is checked,
            before any tensor is read; it returns arrays (e.g. a freshly built model's parameters)
            that tensors of the same name, dtype and shape are read into, in place. The others get
            arrays of their own. A file that turns out damaged leaves those arrays part-written.

    Raises:
        GlassnetError: naming the file and what is wrong, for a missing, truncated or corrupt file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            n = _header_length(path, f.read(8), size)
            header = _parse_header(path, f.read(n))
            metadata = _metadata(path, header.pop("__metadata__", None))
            given = None if into is None else (lambda specs: into(metadata, specs))
            tensors = _tensors(path, header, f, size - 8 - n, given)
    except OSError as e:
        raise GlassnetError(f"cannot load {path}: {e.strerror or e}; check the path") from e
    _verify(path, tensors, metadata)
    metadata.pop(CHECKSUM_KEY, None)
    return tensors, metadata


def _fits(array: np.ndarray | None, dtype: np.dtype[Any], shape: tuple[int, ...]) -> bool:
    """Whether a tensor of this dtype and shape can be read straight into ``array``."""
    return (isinstance(array, np.ndarray) and array.dtype == dtype and array.shape == shape
            and array.flags.c_contiguous and array.flags.writeable)


def _verify(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Check the stored checksum, if any: files saved before checksums existed, and other writers' files,
    have none and load as before."""
    stored = metadata.get(CHECKSUM_KEY)
    if stored is None:
        near = [k for k in metadata if len(k) == len(CHECKSUM_KEY)
                and sum(a != b for a, b in zip(k, CHECKSUM_KEY, strict=True)) == 1]
        if near:  # one flipped character in the key itself would otherwise pass for an old file
            raise _corrupt(path, f"the metadata key {near[0]!r} looks like a damaged '{CHECKSUM_KEY}'")
        return
    if stored != checksum_of(tensors, metadata):
        raise _corrupt(path, f"its tensors or metadata do not match the checksum stored in '{CHECKSUM_KEY}', "
                             "so bytes changed after it was saved")


def _corrupt(path: Path, what: str) -> GlassnetError:
    return GlassnetError(f"cannot load {path}: {what}; the file is damaged or not a safetensors "
                         "file (re-save it)")


def _header_length(path: Path, first: bytes, size: int) -> int:
    if len(first) < 8:
        raise _corrupt(path, f"the file is {size} bytes, shorter than the 8-byte header length")
    n: int = struct.unpack("<Q", first)[0]
    if n > MAX_HEADER_SIZE:
        raise _corrupt(path, f"the header length {n} is absurd (limit {MAX_HEADER_SIZE} bytes)")
    if n > size - 8:
        raise _corrupt(path, f"the header length {n} is larger than the rest of the file ({size - 8} bytes)")
    return n


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(dict(pairs)) != len(pairs):
        raise ValueError("a JSON object has a duplicate key")
    return dict(pairs)


def _parse_header(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _corrupt(path, f"the header is not valid UTF-8 JSON ({e})") from e
    if not isinstance(header, dict):
        raise _corrupt(path, f"the header is a JSON {type(header).__name__}, not an object")
    return header


def _metadata(path: Path, metadata: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise _corrupt(path, f"'__metadata__' is a {type(metadata).__name__}, not an object")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise _corrupt(path, f"metadata '{key}' is a {type(value).__name__}, not a string")
    return metadata


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _entry(path: Path, name: str, info: Any) -> tuple[int, int, str, str, list[int]]:
    """(begin, end, name, dtype, shape) of one header entry, checked against itself."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _corrupt(path, f"tensor '{name}' needs exactly dtype, shape and data_offsets, got {info!r:.80}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or (dtype not in DTYPES and dtype not in _WIDENED):
        why = "has no NumPy equivalent" if dtype in _NO_NUMPY else "is unknown"
        raise _corrupt(path, f"tensor '{name}' has dtype {dtype!r}, which {why}; known: {sorted(DTYPES)}")
    if not isinstance(shape, list) or len(shape) > 64 or not all(map(_is_count, shape)):
        raise _corrupt(path, f"tensor '{name}' has shape {shape!r:.80}; expected a list of sizes >= 0")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
            and offsets[0] <= offsets[1]):
        raise _corrupt(path, f"tensor '{name}' has data_offsets {offsets!r:.80}; expected [begin, end]")
    n_bytes = math.prod(shape) * _stored(dtype).itemsize
    if n_bytes != offsets[1] - offsets[0]:
        raise _corrupt(path, f"tensor '{name}' of shape {shape} and dtype {dtype} needs {n_bytes} "
                             f"bytes but its data_offsets {offsets} span {offsets[1] - offsets[0]}")
    return offsets[0], offsets[1], name, dtype, shape


def _stored(dtype: str) -> np.dtype[Any]:
    """The NumPy dtype of a tensor's bytes in the file (bfloat16: its 16 bits)."""
    return DTYPES.get(dtype) or _WIDENED[dtype]


def _widened(array: np.ndarray) -> np.ndarray:
    """bfloat16 bits as float32: a bfloat16 is the top half of a float32, so the value is exact."""
    return (array.astype(np.uint32) << 16).view(np.float32)


def _tensors(path: Path, header: dict[str, Any], f: io.BufferedReader, n_data: int,
             into: Callable[[dict[str, tuple[np.dtype[Any], tuple[int, ...]]]], Mapping[str, np.ndarray]]
             | None) -> dict[str, np.ndarray]:
    """The arrays of a parsed header, read from ``f`` one by one: offsets must tile the ``n_data``
    bytes after the header exactly, in some order (checked before any array is made); a tensor
    whose name, dtype and shape match one of ``into``'s arrays is read into it."""
    entries, end = sorted(_entry(path, n, i) for n, i in header.items()), 0
    for begin, stop, name, _, _ in entries:
        if begin != end:
            raise _corrupt(path, f"tensor '{name}' starts at byte {begin} but the previous one ends at "
                                 f"{end}: data_offsets overlap or leave a gap")
        if stop > n_data:
            raise _corrupt(path, f"tensor '{name}' ends at byte {stop}, past the end of the data "
                                 f"({n_data} bytes): the file is truncated")
        end = stop
    if end != n_data:
        raise _corrupt(path, f"the tensors end at byte {end} of {n_data}: trailing garbage")
    specs = {name: (_stored(dtype), tuple(shape)) for _, _, name, dtype, shape in entries}
    given = into(specs) if into else {}
    tensors = {}
    for begin, stop, name, dtype, shape in entries:
        array = given.get(name)
        if array is None or not _fits(array, *specs[name]):
            try:
                array = np.empty(shape, dtype=_stored(dtype))
            except ValueError as e:  # e.g. a zero-size shape with an astronomically large axis
                raise _corrupt(path, f"tensor '{name}' has shape {shape}, which NumPy cannot make "
                                     f"({e})") from e
        if f.readinto(array.reshape(-1).view(np.uint8).data) != stop - begin:  # the file shrank meanwhile
            raise _corrupt(path, f"tensor '{name}' ends past the end of the file: the file is truncated")
        if dtype == "BOOL" and np.any(array.view(np.uint8) > 1):
            raise _corrupt(path, f"BOOL tensor '{name}' holds bytes other than 0 and 1")
        array = array.astype(array.dtype.newbyteorder("="), copy=False)  # big-endian hosts: a copy
        tensors[name] = _widened(array) if dtype in _WIDENED else array
    return tensors
