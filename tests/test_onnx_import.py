"""Models that come in and go out: ONNX files of torch.onnx.export and skl2onnx loaded by
glassnet.onnx.load (within 1e-6 of their source library), the estimators' export (labels and
probabilities on digits), the command `glassnet export`, and PyTorch state_dicts in safetensors
files (float32, float64, float16, bfloat16) loaded with load_state_dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import safetensors.torch
import torch
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

import glassnet as gn
from glassnet import nn
from glassnet.cli import main
from glassnet.cli.build import probabilities
from glassnet.cli.scoring import load_model
from glassnet.errors import GlassnetError, ShapeError
from glassnet.sklearn import MLPClassifier, MLPRegressor

TORCH_ACTIVATIONS = [
    torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid(), torch.nn.GELU(), torch.nn.GELU(approximate="tanh"),
    torch.nn.SiLU(), torch.nn.Mish(), torch.nn.LeakyReLU(0.1), torch.nn.ELU(0.5), torch.nn.SELU(),
    torch.nn.Softplus(beta=2.0), torch.nn.Softsign(), torch.nn.Hardtanh(-2.0, 2.0), torch.nn.ReLU6(),
]


def run(path: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {session.get_inputs()[0].name: x}), strict=True))


def torch_export(model: torch.nn.Module, x: torch.Tensor, path: Path, opset: int = 17) -> None:
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})


@pytest.mark.parametrize("activation", TORCH_ACTIVATIONS, ids=repr)
def test_torch_exported_mlps_load_and_predict_within_1e_6(tmp_path: Path,
                                                          activation: torch.nn.Module) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), activation, torch.nn.Linear(16, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 4), torch.nn.Softmax(dim=1)).float().eval()
    x = torch.randn(50, 6, dtype=torch.float32) * 3
    path = tmp_path / "torch.onnx"
    torch_export(model, x[:2], path)
    net = gn.onnx.load(path)
    assert [type(m).__name__ for m in net][-1] == "Softmax"
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(net(x.numpy()).array, expected, rtol=1e-6, atol=1e-6)
    for name, value in model.state_dict().items():  # the weights, bit for bit, under torch's own keys
        assert np.array_equal(net.state_dict()[name].array, value.numpy())


def test_torch_layer_norm_and_batch_norm(tmp_path: Path) -> None:
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.LayerNorm(8), torch.nn.ReLU(),
                                torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 3))
    model[1].weight.data.uniform_(0.5, 1.5)
    model.train()
    for _ in range(3):
        model(torch.randn(32, 6) * 2 + 1)  # running statistics away from 0 and 1
    model.eval()
    x = torch.randn(20, 6)
    path = tmp_path / "torch.onnx"
    torch_export(model, x[:2], path)
    net = gn.onnx.load(path)
    assert [type(m).__name__ for m in net] == ["Linear", "LayerNorm", "ReLU", "BatchNorm1d", "Linear"]
    with torch.no_grad():
        np.testing.assert_allclose(net(x.numpy()).array, model(x).numpy(), rtol=1e-6, atol=1e-6)


def test_torch_log_softmax_rows_of_float64_and_no_bias(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8, bias=False), torch.nn.ELU(),
                                torch.nn.Dropout(0.3), torch.nn.Linear(8, 3),
                                torch.nn.LogSoftmax(dim=-1)).double()
    model.eval()
    x = torch.randn(20, 3, 4, dtype=torch.float64)
    path = tmp_path / "torch.onnx"
    torch_export(model, x[:2], path)
    net = gn.onnx.load(path)
    with torch.no_grad():
        np.testing.assert_allclose(net(x.numpy()).array, model(x).numpy(), rtol=1e-12, atol=1e-12)


def test_skl2onnx_mlps_load_and_predict_within_1e_6(tmp_path: Path) -> None:
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    clf = SkMLPClassifier(hidden_layer_sizes=(24, 12), activation="tanh", max_iter=60, random_state=0)
    clf.fit(X, y)
    onx = convert_sklearn(clf, initial_types=[("input", FloatTensorType([None, 64]))], target_opset=17,
                          options={id(clf): {"zipmap": False}})
    path = tmp_path / "clf.onnx"
    path.write_bytes(onx.SerializeToString())
    net = gn.onnx.load(path)  # its float 'probabilities', not its integer 'label'
    P = net(X.astype(np.float32)).array
    np.testing.assert_allclose(P, clf.predict_proba(X), rtol=1e-6, atol=1e-6)
    assert (clf.classes_[P.argmax(axis=1)] == clf.predict(X)).all()
    target = X @ np.linspace(-1, 1, 64) + 0.5 * np.sin(3 * X[:, 10])
    reg = SkMLPRegressor(hidden_layer_sizes=(16,), activation="logistic", max_iter=80, random_state=0)
    reg.fit(X, target)
    onx = convert_sklearn(reg, initial_types=[("input", FloatTensorType([None, 64]))], target_opset=17)
    path.write_bytes(onx.SerializeToString())
    net = gn.onnx.load(path)
    predicted = net(X.astype(np.float32)).array.reshape(-1)
    np.testing.assert_allclose(predicted, reg.predict(X), rtol=1e-6, atol=1e-6)


def test_an_unsupported_node_is_named(tmp_path: Path) -> None:
    w = onnx.numpy_helper.from_array(np.ones((3, 2), dtype=np.float32), "w")
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
         onnx.helper.make_node("Cos", ["h"], ["c"], name="wave"),
         onnx.helper.make_node("Relu", ["c"], ["y"], name="rect")], "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 2])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [None, 3])], [w])
    path = tmp_path / "cos.onnx"
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(GlassnetError, match=r"node 'wave' \(Cos\) is not an operator glassnet reads"):
        gn.onnx.load(path)
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("LeakyRelu", ["x"], ["l"], name="slope"),
         onnx.helper.make_node("Gemm", ["l", "w"], ["y"], name="odd", transA=1)], "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 2])], [w])
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(GlassnetError, match=r"node 'odd' \(Gemm\) does not form a layer"):
        gn.onnx.load(path)
    graph = onnx.helper.make_graph(  # a cycle, which the onnx checker refuses: loading must not hang
        [onnx.helper.make_node("Identity", ["b"], ["a"]), onnx.helper.make_node("Identity", ["a"], ["b"])],
        "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 2])],
        [onnx.helper.make_tensor_value_info("b", onnx.TensorProto.FLOAT, [None, 2])])
    path.write_bytes(onnx.helper.make_model(graph).SerializeToString())
    with pytest.raises(GlassnetError, match="depends on itself"):
        gn.onnx.load(path)
    with pytest.raises(GlassnetError, match=r"missing\.onnx"):
        gn.onnx.load(tmp_path / "missing.onnx")


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def test_the_classifiers_export_gives_predict_and_predict_proba(tmp_path: Path, digits: Any) -> None:
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="gelu", max_iter=15, random_state=0).fit(X, y)
    path = tmp_path / "clf.onnx"
    gn.onnx.export(clf, path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    out = run(path, X)
    assert list(out) == ["label", "probabilities"]
    assert np.array_equal(out["label"], clf.predict(X))
    np.testing.assert_allclose(out["probabilities"], clf.predict_proba(X), rtol=1e-6, atol=1e-6)
    names = np.array(["even", "odd"])[y % 2]  # binary, string labels: one logistic output
    binary = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0).fit(X, names)
    gn.onnx.export(binary, path)
    out = run(path, X)
    assert (out["label"].astype(str) == binary.predict(X)).all()
    np.testing.assert_allclose(out["probabilities"], binary.predict_proba(X), rtol=1e-6, atol=1e-6)
    labels = np.stack([y % 2, (y > 4)], axis=1).astype(np.int64)  # multi-label
    multi = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0).fit(X, labels)
    gn.onnx.export(multi, path)
    out = run(path, X)
    assert np.array_equal(out["label"], multi.predict(X))
    np.testing.assert_allclose(out["probabilities"], multi.predict_proba(X), rtol=1e-6, atol=1e-6)


def test_the_regressors_export_and_loading_it_back(tmp_path: Path, digits: Any) -> None:
    X, y = digits
    reg = MLPRegressor(hidden_layer_sizes=(16,), activation="tanh", max_iter=20, random_state=0,
                       dtype="float64").fit(X, y / 9.0)
    path = tmp_path / "reg.onnx"
    gn.onnx.export(reg, path)
    X64 = X.astype(np.float64)
    np.testing.assert_allclose(run(path, X64)["output"].reshape(-1), reg.predict(X64), rtol=1e-12, atol=1e-12)
    assert np.array_equal(gn.onnx.load(path)(X64).array, reg.model_(X64).array)
    with pytest.raises(GlassnetError, match="not fitted yet"):
        gn.onnx.export(MLPRegressor(), path)


def test_glassnet_export_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--data", "moons", "--layers", "8", "--activation", "elu", "--epochs", "3",
                 "--out", str(run_dir), "--no-report", "-q"]) == 0
    out = tmp_path / "moons.onnx"
    assert main(["export", str(run_dir), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    info = load_model(str(run_dir / "model.safetensors"))
    X = np.random.default_rng(0).normal(size=(40, 2))  # raw features: the file standardizes them
    P = probabilities(info.loss, gn.predict(info.model, info.inputs(X, "X")))
    got = run(out, X)
    np.testing.assert_allclose(got["probabilities"], P, rtol=1e-6, atol=1e-6)
    assert got["label"].tolist() == [info.classes[k] for k in P.argmax(axis=1)]  # type: ignore[index]
    gn.save(info.model, tmp_path / "plain.safetensors")  # a model file without a run's fields
    assert main(["export", str(tmp_path / "plain.safetensors"), "-o", str(out), "--opset", "18"]) == 0
    np.testing.assert_allclose(run(out, X.astype(np.float32))["output"], gn.predict(info.model, X),
                               rtol=2e-6, atol=2e-6)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    gn.sklearn.save(clf, tmp_path / "clf.safetensors")
    assert main(["export", str(tmp_path / "clf.safetensors"), "-o", str(out)]) == 0
    assert np.array_equal(run(out, X.astype(np.float32))["label"], clf.predict(X.astype(np.float32)))
    nll = tmp_path / "nll"  # log-probabilities out of the network: its probabilities are their exp
    assert main(["train", "--data", "iris", "--layers", "6", "--loss", "nll", "--epochs", "2",
                 "--out", str(nll), "--no-report", "-q"]) == 0
    assert main(["export", str(nll), "-o", str(out)]) == 0
    info = load_model(str(nll / "model.safetensors"))
    X = np.random.default_rng(1).normal(5.0, 1.5, size=(30, 4))
    P = probabilities(info.loss, gn.predict(info.model, info.inputs(X, "X")))
    got = run(out, X)
    np.testing.assert_allclose(got["probabilities"], P, rtol=1e-6, atol=1e-6)
    assert got["label"].tolist() == [info.classes[k] for k in P.argmax(axis=1)]  # type: ignore[index]
    capsys.readouterr()
    assert main(["export", str(tmp_path / "nowhere"), "-o", str(out)]) == 2
    assert "glassnet: error: no model file" in capsys.readouterr().err
    assert main(["export", str(run_dir), "-o", str(out), "--opset", "9"]) == 2
    assert "opset=9 is not one glassnet writes" in capsys.readouterr().err
    assert main(["export", str(run_dir)]) == 2
    assert "-o/--output" in capsys.readouterr().err


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_pytorch_state_dicts_in_safetensors_load(tmp_path: Path, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).to(dtype)
    path = tmp_path / "weights.safetensors"
    safetensors.torch.save_file(model.state_dict(), str(path))
    state = gn.io.load_state_dict(path)
    wide = np.float64 if dtype == torch.float64 else np.float32  # float16 and bfloat16 upcast
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(wide)
    net.load_state_dict(state)
    for name, value in model.state_dict().items():  # exactly: every float16/bfloat16 is a float32
        assert np.array_equal(net.state_dict()[name].array, value.to(torch.float64).numpy().astype(wide))
    x = torch.randn(5, 4, dtype=torch.float64)
    with torch.no_grad():
        expected = model.to(torch.float64)(x).numpy()
    np.testing.assert_allclose(net(x.numpy().astype(wide)).array, expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ShapeError, match=r"'2\.weight' has shape \(2, 8\) in the state but \(2, 9\)"):
        nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(9, 2)).load_state_dict(state)
