"""glassnet.onnx.export: every activation and layer, checked by onnx.checker and run by onnxruntime
(float32 within 2e-6, float64 within 1e-12); glassnet → ONNX → glassnet bit for bit; the wire format
against the onnx package's own parser; the IR version; errors that name what cannot be exported."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import GlassnetError
from glassnet.io import module_to_config
from glassnet.io.onnx import proto
from glassnet.io.onnx.forms import FORMS
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import LAYERS

# one or more instances of every registered activation, with arguments away from the defaults too
ACTIVATION_CASES: list[nn.Module] = [
    nn.Identity(), nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.LeakyReLU(), nn.LeakyReLU(0.2), nn.ELU(),
    nn.ELU(alpha=0.7), nn.SELU(), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.Mish(),
    nn.Softplus(), nn.Softplus(beta=2.0, threshold=5.0), nn.Softsign(), nn.Hardtanh(),
    nn.Hardtanh(-0.5, 2.0), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
]


def network(activation: nn.Module, dtype: Any = np.float32) -> nn.Sequential:
    """5 → 7 → activation → 3, weights large enough that the inputs reach every branch (and the
    softplus threshold)."""
    net = nn.Sequential(nn.Linear(5, 7, generator=1), activation, nn.Linear(7, 3, generator=2)).to(dtype)
    net[0].weight.array[...] *= 3.0
    return net


def inputs(dtype: Any, n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).uniform(-3.0, 3.0, (n, 5)).astype(dtype)


def run(path: Path, x: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(outputs, {session.get_inputs()[0].name: x})


def check(path: Path) -> onnx.ModelProto:
    """The file as the onnx package reads it, after its full check (with strict shape inference)."""
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    return model


def test_every_registered_activation_and_layer_has_a_form_and_a_case() -> None:
    assert {type(m) for m in ACTIVATION_CASES} == set(ACTIVATIONS.values())
    containers = {nn.Sequential, nn.ModuleList, nn.ModuleDict}
    assert set(LAYERS.values()) - containers <= set(FORMS)
    assert set(ACTIVATIONS.values()) <= set(FORMS)


@pytest.mark.parametrize("opset", [17, 18, 20])
@pytest.mark.parametrize("activation", ACTIVATION_CASES, ids=repr)
def test_float32_exports_pass_the_checker_and_run_in_onnxruntime(tmp_path: Path, activation: nn.Module,
                                                                 opset: int) -> None:
    net, x = network(activation), inputs(np.float32)
    path = tmp_path / "net.onnx"
    gn.onnx.export(net, path, opset=opset)
    model = check(path)
    assert model.opset_import[0].version == opset
    (got,) = run(path, x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, net(x).array, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("activation", ACTIVATION_CASES, ids=repr)
def test_float64_exports_run_in_onnxruntime_within_1e_12(tmp_path: Path, activation: nn.Module,
                                                         opset: int) -> None:
    net, x = network(activation, np.float64), inputs(np.float64)
    path = tmp_path / "net.onnx"
    gn.onnx.export(net, path, opset=opset)
    check(path)
    (got,) = run(path, x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, net(x).array, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATION_CASES, ids=repr)
def test_glassnet_onnx_glassnet_is_bit_identical(tmp_path: Path, activation: nn.Module, dtype: Any) -> None:
    net, x = network(activation, dtype), inputs(dtype)
    path = tmp_path / "net.onnx"
    gn.onnx.export(net, path, opset=20 if isinstance(activation, nn.GELU) else 17)
    back = gn.onnx.load(path)
    expected = [m for m in net if not isinstance(m, nn.Identity)]  # the identity leaves no node
    assert repr(list(back)) == repr(expected)
    mine, theirs = net.state_dict(), back.state_dict()
    assert [k for k in mine] == [k for k in theirs] or isinstance(activation, nn.Identity)
    for a, b in zip(mine.values(), theirs.values(), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a.array, b.array)
    assert np.array_equal(back(x).array, net(x).array)


def test_initializers_batch_axis_ir_version_and_metadata(tmp_path: Path) -> None:
    net = network(nn.Tanh())
    path = tmp_path / "net.onnx"
    for opset in range(17, 24):
        gn.onnx.export(net, path, opset=opset)
        model = onnx.load(str(path))
        assert model.ir_version == onnx.helper.find_min_ir_version_for(list(model.opset_import))
    assert model.producer_name == "glassnet"
    assert {t.name for t in model.graph.initializer} >= set(net.state_dict())
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and dims[1].dim_value == 5
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["architecture"]) == module_to_config(net)
    formulas = json.loads(meta["formulas"])
    assert [f["type"] for f in formulas] == ["Linear", "Tanh", "Linear"]
    assert formulas[1]["formula"] == nn.Tanh.formula.text
    for n in (1, 7, 300):  # the batch axis is free
        x = inputs(np.float32, n)
        np.testing.assert_allclose(run(path, x)[0], net(x).array, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_dropout_and_normalization_in_eval_mode(tmp_path: Path, dtype: Any) -> None:
    gn.manual_seed(0)
    net = nn.Sequential(nn.Unflatten(1, (2, 6)), nn.LayerNorm(6), nn.Flatten(), nn.Linear(12, 8),
                        nn.BatchNorm1d(8), nn.Dropout(0.5), nn.ReLU(),
                        nn.LayerNorm((8,), elementwise_affine=False),
                        nn.Linear(8, 4, bias=False), nn.BatchNorm1d(4, affine=False)).to(dtype)
    x = np.random.default_rng(1).normal(size=(32, 12)).astype(dtype)
    net.train()
    for _ in range(3):  # running statistics away from 0 and 1
        net(x)
    net[1].weight.array[...] = np.linspace(0.5, 2.0, 6)
    net.eval()
    path = tmp_path / "net.onnx"
    gn.onnx.export(net, path, example_input=x[:1])
    check(path)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(run(path, x)[0], net(x).array, rtol=tol, atol=tol)
    net.train()
    gn.onnx.export(net, path, example_input=x[:1])  # exported in eval mode, the mode left as it was
    assert net.training and net[5].training


def test_normalization_and_embeddings_come_back_bit_for_bit(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(6, 8, generator=0), nn.LayerNorm(8), nn.Tanh(), nn.BatchNorm1d(8),
                        nn.Linear(8, 3, generator=1), nn.LayerNorm(3, bias=False))
    x = np.random.default_rng(4).normal(size=(16, 6)).astype(np.float32)
    net(x)  # training mode: running statistics move
    net[1].weight.array[...] = np.linspace(0.5, 1.5, 8)
    net.eval()
    path = tmp_path / "net.onnx"
    gn.onnx.export(net, path)
    back = gn.onnx.load(path)
    assert repr(back) == repr(net)
    for name, value in net.state_dict().items():  # all but the count of batches, which a file does not keep
        assert np.array_equal(back.state_dict()[name].array, value.array) or name.endswith("tracked")
    assert np.array_equal(back(x).array, net(x).array)
    emb = nn.Sequential(nn.Embedding(10, 3, generator=0), nn.Flatten(), nn.Linear(6, 2, generator=1))
    ids = np.array([[1, 9], [0, 4]], dtype=np.int64)
    gn.onnx.export(emb, path, example_input=ids)
    back = gn.onnx.load(path)
    assert repr(back) == repr(emb) and np.array_equal(back(ids).array, emb(ids).array)


def test_rows_of_any_rank_and_embeddings(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(4, 3, generator=0), nn.Tanh(), nn.Flatten(1, 2))
    x = np.random.default_rng(2).normal(size=(5, 6, 4)).astype(np.float32)
    path = tmp_path / "net.onnx"
    gn.onnx.export(net, path, example_input=x[:2])
    check(path)
    np.testing.assert_allclose(run(path, x)[0], net(x).array, rtol=2e-6, atol=2e-6)
    emb = nn.Sequential(nn.Embedding(10, 3, generator=0), nn.Flatten(), nn.Linear(6, 2, generator=1))
    ids = np.array([[1, 9], [0, 4], [3, 3]], dtype=np.int64)
    gn.onnx.export(emb, path, example_input=ids[:1])
    check(path)
    np.testing.assert_allclose(run(path, ids)[0], emb(ids).array, rtol=2e-6, atol=2e-6)


def test_a_loaded_model_file_exports_its_network(tmp_path: Path) -> None:
    net = network(nn.ELU())
    gn.save(net, tmp_path / "model.safetensors", classes=["a", "b", "c"])
    gn.onnx.export(gn.load(tmp_path / "model.safetensors"), tmp_path / "net.onnx")
    x = inputs(np.float32)
    np.testing.assert_allclose(run(tmp_path / "net.onnx", x)[0], net(x).array, rtol=2e-6, atol=2e-6)


def test_what_cannot_be_exported_is_named(tmp_path: Path) -> None:
    path = tmp_path / "net.onnx"
    nn.custom.activation("cube_for_onnx", lambda x: x * x * x, lambda x: 3 * x * x)
    try:
        cube = ACTIVATIONS["cube_for_onnx"]()
        with pytest.raises(GlassnetError, match=r"cannot export layer '1': .* has no ONNX form"):
            gn.onnx.export(nn.Sequential(nn.Linear(2, 2), cube), path)
    finally:
        ACTIVATIONS.unregister("cube_for_onnx")
    with pytest.raises(GlassnetError, match=r"ModuleList.*does not say in which order"):
        gn.onnx.export(nn.ModuleList([nn.Linear(2, 2)]), path)
    with pytest.raises(GlassnetError, match="track_running_stats=False"):
        gn.onnx.export(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, track_running_stats=False)), path)
    with pytest.raises(GlassnetError, match="opset=12 is not one glassnet writes; choose 17 to 23"):
        gn.onnx.export(nn.Linear(2, 2), path, opset=12)
    with pytest.raises(GlassnetError, match="pass example_input"):
        gn.onnx.export(nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), path)
    with pytest.raises(GlassnetError, match="lazy layer has no weights yet"):
        gn.onnx.export(nn.Sequential(nn.LazyLinear(2)), path, example_input=np.ones((1, 3), np.float32))
    with pytest.raises(GlassnetError, match="cannot export a float16 model"):
        gn.onnx.export(nn.Linear(2, 2).to(np.float16), path)
    with pytest.raises(GlassnetError, match="got str"):
        gn.onnx.export("model", path)  # type: ignore[arg-type]
    with pytest.raises(GlassnetError, match="example_input is float64 but the model computes in float32"):
        gn.onnx.export(nn.Linear(2, 2), path, example_input=np.ones((1, 2)))
    assert not path.exists()  # nothing half-written


def test_the_wire_format_agrees_with_the_onnx_package() -> None:
    node = onnx.helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.25, name="n")
    tensor = onnx.numpy_helper.from_array(np.arange(6, dtype=np.float64).reshape(2, 3), "w")
    attr = onnx.helper.make_attribute("axes", [-1, 0, 2**40])
    for message, value in (("NodeProto", node), ("TensorProto", tensor), ("AttributeProto", attr)):
        fields = proto.decode(message, value.SerializeToString())
        again = proto.encode(message, fields)
        parsed = type(value)()
        parsed.ParseFromString(again)
        assert parsed == value
    assert proto.decode("AttributeProto", attr.SerializeToString())["ints"] == [-1, 0, 2**40]
    packed = onnx.TensorProto(dims=[3], data_type=1, float_data=[1.5, -2.0, 0.25])
    assert proto.decode("TensorProto", packed.SerializeToString())["float_data"] == [1.5, -2.0, 0.25]


def test_flipped_bytes_load_or_raise_glassnet_error(tmp_path: Path) -> None:
    path = tmp_path / "net.onnx"
    gn.onnx.export(network(nn.Softplus(beta=2.0)), path)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(3)
    for _ in range(300):
        damaged = bytearray(data)
        for i in rng.integers(0, len(data), size=3):
            damaged[i] ^= 1 << int(rng.integers(8))
        path.write_bytes(damaged)
        with contextlib.suppress(GlassnetError):  # anything else (an IndexError, a KeyError) fails the test
            gn.onnx.load(path)


@pytest.mark.parametrize("damage", [b"", b"\x0a\xff\xff\xff\xff\x0f", b"\x3a\x05abc",
                                    b"not an onnx file at all"])
def test_damaged_files_raise_one_clear_error(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(damage)
    with pytest.raises(GlassnetError, match=r"bad\.onnx"):
        gn.onnx.load(path)
