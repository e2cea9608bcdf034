"""glassnet.io.safetensors: the safetensors layout byte for byte, exact state trees, atomic writes, and
corrupt files that always raise GlassnetError (never another exception, never running code)."""

from __future__ import annotations

import functools
import json
import math
import os
import pickle
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.errors import GlassnetError
from glassnet.io import safetensors as files
from glassnet.io import state as files_tree
from glassnet.io.safetensors import load_tensors, save_tensors
from glassnet.io.state import load_state, save_state

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SHAPES = [(), (0,), (3,), (2, 0, 3), (2, 3), (1, 2, 3, 2)]


def header_and_data(path: Path) -> tuple[dict[str, Any], bytes]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def write_raw(path: Path, header: dict[str, Any] | bytes, data: bytes = b"") -> Path:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


# ----------------------------------------------------------------------------- the layout
def test_bytes_equal_the_reference_implementations_test_vectors(tmp_path: Path) -> None:
    # Expected bytes copied from the tests of huggingface/safetensors (safetensors/src/tensor.rs).
    path = tmp_path / "t.safetensors"
    save_tensors(path, {})
    assert path.read_bytes() == bytes([8, 0, 0, 0, 0, 0, 0, 0]) + b"{}" + b" " * 6
    save_tensors(path, {}, {"framework": "pt"})
    assert path.read_bytes() == bytes([40, 0, 0, 0, 0, 0, 0, 0]) + b'{"__metadata__":{"framework":"pt"}}     '
    save_tensors(path, {"attn0": np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)})
    header = b'{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' + b" " * 7
    data = struct.pack("<6f", 0, 1, 2, 3, 4, 5)
    assert path.read_bytes() == bytes([72, 0, 0, 0, 0, 0, 0, 0]) + header + data


@pytest.mark.parametrize("name", sorted(files.DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_every_dtype_and_shape_round_trips(tmp_path: Path, name: str, shape: tuple[int, ...]) -> None:
    dtype = files.DTYPES[name].newbyteorder("=")
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2, size=shape) if name == "BOOL" else rng.standard_normal(shape) * 50
    array = np.asarray(values).astype(dtype)
    save_tensors(tmp_path / "t", {"x": array, "other": np.ones(3, np.uint8)})
    tensors, metadata = load_tensors(tmp_path / "t")
    assert tensors["x"].dtype == dtype and tensors["x"].shape == shape and metadata == {}
    assert tensors["x"].tobytes() == array.tobytes()
    assert tensors["x"].flags.writeable and tensors["x"].flags.owndata
    assert header_and_data(tmp_path / "t")[0]["x"]["dtype"] == name


def test_big_endian_and_strided_arrays_are_stored_little_endian_in_c_order(tmp_path: Path) -> None:
    big = np.arange(6, dtype=">f8").reshape(2, 3)
    save_tensors(tmp_path / "t", {"big": big, "strided": big.T})
    header, data = header_and_data(tmp_path / "t")
    begin, end = header["big"]["data_offsets"]
    assert data[begin:end] == np.arange(6, dtype="<f8").tobytes()
    tensors, _ = load_tensors(tmp_path / "t")
    assert np.array_equal(tensors["big"], big) and np.array_equal(tensors["strided"], big.T)
    assert tensors["big"].dtype == np.float64 and tensors["strided"].shape == (3, 2)


def test_every_tensor_starts_aligned_to_its_itemsize(tmp_path: Path) -> None:
    arrays = {f"t{i}": np.zeros(i + 1, dtype=files.DTYPES[name]) for i, name in enumerate(files.DTYPES)}
    save_tensors(tmp_path / "t", arrays, {"a": "b" * 13})
    raw = (tmp_path / "t").read_bytes()
    header, _ = header_and_data(tmp_path / "t")
    start = 8 + struct.unpack("<Q", raw[:8])[0]
    assert start % 8 == 0
    for name, info in header.items():
        if name != "__metadata__":
            assert (start + info["data_offsets"][0]) % files.DTYPES[info["dtype"]].itemsize == 0


def test_bytes_agree_with_torch_frombuffer(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = {"f32": rng.standard_normal((3, 4)).astype(np.float32), "f64": rng.standard_normal(5),
              "f16": rng.standard_normal(7).astype(np.float16), "i64": rng.integers(-9, 9, (2, 2)),
              "i32": rng.integers(-9, 9, 3).astype(np.int32), "u8": rng.integers(0, 255, 5).astype(np.uint8),
              "b": rng.integers(0, 2, 4).astype(bool)}
    torch_dtypes = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "I64": torch.int64,
                    "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}
    save_tensors(tmp_path / "t", arrays)
    header, data = header_and_data(tmp_path / "t")
    loaded, _ = load_tensors(tmp_path / "t")
    for name, info in header.items():
        begin, end = info["data_offsets"]
        expected = torch.frombuffer(bytearray(data[begin:end]), dtype=torch_dtypes[info["dtype"]])
        assert np.array_equal(expected.reshape(info["shape"]).numpy(), loaded[name]), name


def test_metadata_and_unicode_names_round_trip(tmp_path: Path) -> None:
    save_tensors(tmp_path / "t", {"gewicht-ä": np.ones(2)}, {"über": "naïve ✓", "": ""})
    tensors, metadata = load_tensors(tmp_path / "t")
    assert list(tensors) == ["gewicht-ä"] and metadata == {"über": "naïve ✓", "": ""}


@pytest.mark.parametrize(("tensors", "metadata", "match"), [
    ({"x": [1.0, 2.0]}, None, "is a list"),
    ({"x": np.array(["a"])}, None, "dtype <U1"),
    ({"x": np.zeros(2, complex)}, None, "complex128"),
    ({"__metadata__": np.zeros(1)}, None, "__metadata__"),
    ({1: np.zeros(1)}, None, "tensor name 1"),
    ({}, {"k": 1}, "str to str"),
])
def test_save_refuses_what_it_cannot_store(tmp_path: Path, tensors: Any, metadata: Any, match: str) -> None:
    with pytest.raises(GlassnetError, match=match):
        save_tensors(tmp_path / "t", tensors, metadata)
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- atomic writes
def test_a_failure_mid_write_leaves_the_old_file_intact(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.safetensors"
    save_tensors(path, {"old": np.arange(3.0)})
    before = path.read_bytes()
    calls = []

    def failing(array: np.ndarray) -> bytes:
        calls.append(array)
        if len(calls) == 2:  # the header and the first tensor are already in the temporary file
            raise OSError(28, "No space left on device")
        return array.tobytes()

    monkeypatch.setattr(files, "_tensor_bytes", failing)
    with pytest.raises(GlassnetError, match=r"No space left.*old file"):
        save_tensors(path, {"a": np.ones(100), "b": np.ones(100)})
    assert len(calls) == 2 and path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.safetensors"]  # no temporary file left


def test_a_crash_before_the_rename_leaves_the_old_file_intact(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.safetensors"
    save_state(path, {"epoch": 1})

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):  # not an OSError: passed on unchanged
        save_state(path, {"epoch": 2})
    monkeypatch.undo()
    assert load_state(path) == {"epoch": 1} and len(list(tmp_path.iterdir())) == 1


def test_saving_into_a_missing_directory_is_a_glassnet_error(tmp_path: Path) -> None:
    with pytest.raises(GlassnetError, match="no/such/dir"):
        save_tensors(tmp_path / "no" / "such" / "dir" / "t", {})


# ----------------------------------------------------------------------------- state trees
def same(a: Any, b: Any) -> bool:
    """Exactly equal: same types, same keys in the same order, float bits, array bytes and dtypes."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def arrays() -> st.SearchStrategy[np.ndarray]:
    from hypothesis.extra import numpy as hnp

    dtypes = st.sampled_from([d.newbyteorder("=") for d in files.DTYPES.values()])
    return hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))


LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | arrays())
TREES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                     | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), inner, max_size=3),
                     max_leaves=10)


@FAST
@given(tree=TREES)
def test_any_state_tree_round_trips_exactly(tmp_path: Path, tree: Any) -> None:
    save_state(tmp_path / "s", tree, {"note": "x"})
    assert same(load_state(tmp_path / "s"), tree)


def test_the_awkward_values_round_trip_bit_for_bit(tmp_path: Path) -> None:
    nan_with_payload = struct.unpack("<d", bytes.fromhex("0100000000f8ffff"))[0]  # negative, payload 1
    tree = {1: (float("inf"), -math.inf, -0.0, nan_with_payload, 5e-324, 1.0), "1": [2**200, -(2**70)],
            "__metadata__": np.ones(2), "": None,
            "nested": {"a.b": np.zeros(1), "a": {"b": np.ones(1), "b#1": np.ones(2)}}}  # colliding paths
    save_state(tmp_path / "s", tree)
    back = load_state(tmp_path / "s")
    assert same(back, tree) and list(back) == [1, "1", "__metadata__", "", "nested"]


def test_numpy_scalars_become_python_numbers(tmp_path: Path) -> None:
    tree = {"f": np.float32(0.1), "i": np.int64(7), "b": np.bool_(True), "s": np.str_("x"),
            np.int32(3): np.float64(2.5), "zero_d": np.array(1.5)}
    save_state(tmp_path / "s", tree)
    back = load_state(tmp_path / "s")
    expected = {"f": float(np.float32(0.1)), "i": 7, "b": True, "s": "x", 3: 2.5, "zero_d": np.array(1.5)}
    assert same(back, expected)


def test_a_checkpoint_resumes_training_exactly(tmp_path: Path) -> None:
    def build() -> tuple[gn.nn.Module, gn.optim.Adam, Any]:
        model = gn.nn.Sequential(gn.nn.Linear(2, 4, generator=0), gn.nn.Tanh(),
                                 gn.nn.Linear(4, 1, generator=1))
        opt = gn.optim.Adam(model.parameters(), lr=0.05, amsgrad=True)
        return model, opt, gn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    def train(model: gn.nn.Module, opt: gn.optim.Adam, sched: Any, rng: np.random.Generator) -> None:
        for _ in range(3):
            x = gn.tensor(rng.standard_normal((8, 2)).astype(np.float32))
            loss = gn.nn.MSELoss()(model(x), gn.tensor(np.ones((8, 1), np.float32)))
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()  # noqa: E702

    model, opt, sched = build()
    rng = np.random.default_rng(5)
    train(model, opt, sched, rng)
    save_state(tmp_path / "ckpt", {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                   "scheduler": sched.state_dict(), "rng": rng.bit_generator.state,
                                   "epoch": 3})
    train(model, opt, sched, rng)

    resumed, opt2, sched2 = build()
    ckpt = load_state(tmp_path / "ckpt")
    resumed.load_state_dict(ckpt["model"]); opt2.load_state_dict(ckpt["optimizer"])  # noqa: E702
    sched2.load_state_dict(ckpt["scheduler"])
    rng2 = np.random.default_rng()
    rng2.bit_generator.state = ckpt["rng"]
    train(resumed, opt2, sched2, rng2)
    assert ckpt["epoch"] == 3 and sched2.get_last_lr() == sched.get_last_lr()
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert a.numpy().tobytes() == b.numpy().tobytes(), name


@pytest.mark.parametrize(("tree", "match"), [
    (object(), "object"), ({1, 2}, "set"), ({1.5: 0}, "key 1.5"), ({True: 0}, "key True"),
    (np.array([object()]), "dtype object"), (1j, "complex"), ({"k": b"x"}, "bytes at 'k'"),
])
def test_pack_refuses_what_is_not_plain_state(tree: Any, match: str) -> None:
    with pytest.raises(GlassnetError, match=match):
        files_tree.pack_tree(tree)


def test_pack_refuses_a_tree_that_contains_itself() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(GlassnetError, match="refers to itself"):
        files_tree.pack_tree(loop)


@pytest.mark.parametrize(("metadata", "tensors", "match"), [
    ({"format": "glassnet-state", "format_version": "2", "tree": "1"}, {}, "newer glassnet.*version 2"),
    ({"format": "other", "format_version": "1", "tree": "1"}, {}, "not a glassnet-state file"),
    ({"format": "glassnet-state", "format_version": "x", "tree": "1"}, {}, "not a version"),
    ({"format": "glassnet-state", "format_version": "1", "tree": '{"array":"w"}'}, {}, "dangling"),
    ({"format": "glassnet-state", "format_version": "1", "tree": '{"set":[1]}'}, {}, "unknown"),
    ({"format": "glassnet-state", "format_version": "1", "tree": "NaN"}, {}, "NaN is not JSON"),
    ({"format": "glassnet-state", "format_version": "1", "tree": '{"dict":[[1,2],[1,3]]}'}, {}, "duplicate"),
    ({"format": "glassnet-state", "format_version": "1", "tree": '{"float":"7ff"}'}, {}, "unknown"),
    ({"format": "glassnet-state", "format_version": "1", "tree": "[" * 50000}, {}, "not valid"),
    ({"format": "glassnet-state", "format_version": "1", "tree": "1"}, {"w": np.ones(1)}, "belong to no"),
])
def test_load_state_checks_format_and_structure(tmp_path: Path, metadata: dict[str, str],
                                                tensors: dict[str, np.ndarray], match: str) -> None:
    save_tensors(tmp_path / "s", tensors, metadata)
    with pytest.raises(GlassnetError, match=match):
        load_state(tmp_path / "s")


def test_save_state_keeps_user_metadata_but_not_reserved_keys(tmp_path: Path) -> None:
    save_state(tmp_path / "s", [1], {"author": "me"})
    assert load_tensors(tmp_path / "s")[1]["author"] == "me"
    with pytest.raises(GlassnetError, match="reserved"):
        save_state(tmp_path / "s", [1], {"tree": "mine"})


# ----------------------------------------------------------------------------- corrupt files
F32 = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}
CORRUPT: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "shorter than the 8-byte"),
    "seven bytes": (b"\x08" * 7, "shorter than the 8-byte"),
    "header past the end": (struct.pack("<Q", 1000) + b"{}", "larger than the rest"),
    "absurd header": (struct.pack("<Q", 2**63) + b"{}", "absurd"),
    "not json": (struct.pack("<Q", 9) + b"{not json", "not valid UTF-8 JSON"),
    "not utf-8": (struct.pack("<Q", 7) + b'{"\xff":1}', "UTF-8"),
    "too deep": (struct.pack("<Q", 20000) + b"[" * 20000, "not valid"),
    "not an object": (struct.pack("<Q", 6) + b"[1, 2]", "not an object"),
    "duplicate name": (struct.pack("<Q", 13) + b'{"a":1,"a":2}', "duplicate"),
}
HEADERS: dict[str, tuple[dict[str, Any], bytes, str]] = {
    "unknown dtype": ({"x": {**F32, "dtype": "F99"}}, b"1234", "'F99', which is unknown"),
    "float8": ({"x": {**F32, "dtype": "F8_E4M3", "data_offsets": [0, 1]}}, b"1", "no NumPy equivalent"),
    "extra field": ({"x": {**F32, "code": "rm -rf"}}, b"1234", "exactly dtype, shape and data_offsets"),
    "not a dict": ({"x": [1]}, b"", "exactly dtype"),
    "negative size": ({"x": {**F32, "shape": [-1]}}, b"1234", "shape"),
    "float size": ({"x": {**F32, "shape": [1.0]}}, b"1234", "shape"),
    "65 axes": ({"x": {**F32, "shape": [1] * 65}}, b"1234", "shape"),
    "huge empty": ({"x": {**F32, "shape": [0, 2**70], "data_offsets": [0, 0]}}, b"", "NumPy cannot"),
    "shape vs bytes": ({"x": {**F32, "shape": [2]}}, b"1234", "needs 8 bytes.*span 4"),
    "past the end": ({"x": {**F32, "shape": [2], "data_offsets": [0, 8]}}, b"1234", "past the end"),
    "reversed": ({"x": {**F32, "data_offsets": [4, 0]}}, b"1234", "data_offsets"),
    "three offsets": ({"x": {**F32, "data_offsets": [0, 4, 8]}}, b"1234", "data_offsets"),
    "overlap": ({"a": {**F32, "shape": [2], "data_offsets": [0, 8]}, "b": {**F32, "shape": [2],
                "data_offsets": [4, 12]}}, b"1" * 12, "overlap or leave a gap"),
    "gap": ({"a": F32, "b": {**F32, "data_offsets": [8, 12]}}, b"1" * 12, "overlap or leave a gap"),
    "not from 0": ({"a": {**F32, "data_offsets": [4, 8]}}, b"1" * 8, "overlap or leave a gap"),
    "trailing garbage": ({"a": F32}, b"12345", "trailing garbage"),
    "metadata value": ({"__metadata__": {"k": 1}}, b"", "metadata 'k' is a int"),
    "metadata list": ({"__metadata__": ["k"]}, b"", "not an object"),
    "bool bytes": ({"b": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02", "0 and 1"),
}


@pytest.mark.parametrize("case", CORRUPT)
def test_a_corrupt_file_raises_naming_it(tmp_path: Path, case: str) -> None:
    content, match = CORRUPT[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(GlassnetError, match=match) as caught:
        load_tensors(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("case", HEADERS)
def test_a_wrong_header_raises_naming_the_file_and_tensor(tmp_path: Path, case: str) -> None:
    header, data, match = HEADERS[case]
    path = write_raw(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(GlassnetError, match=match) as caught:
        load_tensors(path)
    assert str(path) in str(caught.value)


def test_a_hand_written_valid_file_loads(tmp_path: Path) -> None:
    # the same kinds of headers as above, made right, so the cases above fail for their stated reason
    header = {"b": {**F32, "data_offsets": [4, 8]}, "a": F32,
              "e": {**F32, "shape": [0], "data_offsets": [8, 8]}, "__metadata__": None}
    tensors, _ = load_tensors(write_raw(tmp_path / "ok", header, struct.pack("<2f", 1, 2)))
    assert tensors["a"].tolist() == [1.0] and tensors["b"].tolist() == [2.0] and tensors["e"].shape == (0,)


@pytest.mark.parametrize("case", ["missing", "directory"])
def test_a_missing_file_raises_naming_it(tmp_path: Path, case: str) -> None:
    path = tmp_path / "nothing.safetensors"
    if case == "directory":
        path.mkdir()
    with pytest.raises(GlassnetError, match=r"nothing\.safetensors"):
        load_tensors(path)
    with pytest.raises(GlassnetError):
        load_state(path)


@functools.cache
def valid_file() -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "valid"
        save_state(path, {"w": np.arange(3, dtype=np.float32), "n": 2, "b": np.array([True])})
        return path.read_bytes()


def loads_or_raises_glassnet_error(path: Path, content: bytes) -> bool:
    """True if it loaded; False if it raised GlassnetError; any other exception fails the test."""
    path.write_bytes(content)
    try:
        load_tensors(path)
        load_state(path)
    except GlassnetError:
        return False
    return True


def test_every_truncation_raises(tmp_path: Path) -> None:
    content = valid_file()
    for length in range(len(content)):
        assert not loads_or_raises_glassnet_error(tmp_path / "cut", content[:length]), length


def test_flipped_header_bytes_raise_glassnet_error_or_load(tmp_path: Path) -> None:
    content = valid_file()
    n = 8 + struct.unpack("<Q", content[:8])[0]
    outcomes = []
    for i in range(n):
        for mask in (0x01, 0xFF):
            flipped = bytearray(content)
            flipped[i] ^= mask
            outcomes.append(loads_or_raises_glassnet_error(tmp_path / "flip", bytes(flipped)))
    assert outcomes.count(False) > len(outcomes) // 2  # most flips break it, and say so


@FAST
@given(content=st.binary(max_size=200))
def test_random_bytes_raise_glassnet_error(tmp_path: Path, content: bytes) -> None:
    loads_or_raises_glassnet_error(tmp_path / "random", content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.integers(0, 10**6), tail=st.binary(max_size=9))
def test_random_mutations_of_a_valid_file_raise_glassnet_error_or_load(
        tmp_path: Path, edits: list[tuple[int, int]], cut: int, tail: bytes) -> None:
    content = bytearray(valid_file())
    for position, value in edits:
        content[position % len(content)] = value
    if cut % 3 == 0:
        content = content[: cut % len(content)] + tail
    loads_or_raises_glassnet_error(tmp_path / "mutated", bytes(content))


SCALARS = st.none() | st.booleans() | st.integers(-(2**65), 2**65) | st.floats() | st.text(max_size=5)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
INFO = st.fixed_dictionaries({"dtype": st.sampled_from(["F32", "U8", "BOOL", "BF16", "X"]) | JSON,
                              "shape": st.lists(st.integers(-1, 3), max_size=3) | JSON,
                              "data_offsets": st.lists(st.integers(-1, 12), min_size=2, max_size=2) | JSON})


@FAST
@given(header=st.dictionaries(st.sampled_from(["a", "b", "__metadata__"]), INFO | JSON, max_size=3),
       data=st.binary(max_size=12))
def test_random_headers_raise_glassnet_error_or_load(tmp_path: Path, header: dict[str, Any],
                                                     data: bytes) -> None:
    text = json.dumps(header).encode()
    loads_or_raises_glassnet_error(tmp_path / "h", struct.pack("<Q", len(text)) + text + data)


class Payload:
    """A pickle that makes a directory when unpickled: the classic code-execution payload."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.mkdir, (str(self.marker),)


def test_loading_a_pickle_cannot_run_code(tmp_path: Path) -> None:
    from glassnet import io

    marker = tmp_path / "pwned"
    blob = pickle.dumps(Payload(marker))
    (tmp_path / "model.safetensors").write_bytes(blob)
    for load in (load_tensors, load_state, io.load):
        with pytest.raises(GlassnetError):
            load(tmp_path / "model.safetensors")
    assert not marker.exists()
    pickle.loads(blob)  # proves the payload is live: pickle would have run it
    assert marker.is_dir()
