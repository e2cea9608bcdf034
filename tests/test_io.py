"""glassnet.io: models round-trip bit for bit through one safetensors file; what cannot be saved
or was tampered with raises GlassnetError naming the module, tensor or field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import io, nn
from glassnet.errors import GlassnetError
from glassnet.io.safetensors import load_tensors, save_tensors
from glassnet.nn.activations import ACTIVATIONS

# non-default constructor arguments, so a lost argument shows up as a different output
ARGUMENTS: dict[str, dict[str, Any]] = {
    "LeakyReLU": {"negative_slope": 0.37}, "ELU": {"alpha": 0.6}, "GELU": {"approximate": "tanh"},
    "Softplus": {"beta": 2.5, "threshold": 3.0}, "Hardtanh": {"min_val": -0.3, "max_val": 0.2},
    "Softmax": {"dim": 0}, "LogSoftmax": {"dim": 0},
}


def assert_same_model(a: nn.Module, b: nn.Module, x: np.ndarray) -> None:
    """Same architecture, same weights bit for bit, same outputs bit for bit (in eval mode)."""
    assert io.module_to_config(a) == io.module_to_config(b)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].dtype == sb[name].dtype and sa[name].tobytes() == sb[name].tobytes(), name
    a.eval(), b.eval()
    out_a, out_b = a(gn.tensor(x)).data, b(gn.tensor(x)).data
    assert out_a.dtype == out_b.dtype and out_a.tobytes() == out_b.tobytes()


def round_trip(model: nn.Module, tmp_path: Path, **fields: Any) -> io.LoadedModel:
    io.save(model, tmp_path / "model.safetensors", **fields)
    return io.load(tmp_path / "model.safetensors")


@pytest.mark.parametrize("name", sorted({cls.__name__ for cls in ACTIVATIONS.values()}))
def test_every_activation_round_trips_with_its_arguments(tmp_path: Path, name: str) -> None:
    activation = io.MODULES[name](**ARGUMENTS.get(name, {}))
    model = nn.Sequential(nn.Linear(3, 4, generator=0), activation, nn.Linear(4, 2, generator=1))
    loaded = round_trip(model, tmp_path).model
    assert vars(loaded[1]) == vars(activation) | {"training": False}
    assert_same_model(model, loaded, np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))


def test_nested_sequential_dropout_flatten_float64_and_no_bias_round_trip(tmp_path: Path) -> None:
    model = nn.Sequential(
        nn.Flatten(),
        nn.Sequential(nn.Linear(6, 5, bias=False, dtype=np.float64, generator=2), nn.Tanh(), nn.Dropout(0.3)),
        nn.Sequential(nn.Sequential(nn.Linear(5, 3, dtype=np.float64, generator=3)), nn.Identity()),
        nn.Linear(3, 2, bias=False, dtype=np.float64, generator=4),
    )
    loaded = round_trip(model, tmp_path).model
    names = ["1.0.weight", "2.0.0.weight", "2.0.0.bias", "3.weight"]
    assert [n for n, _ in loaded.named_parameters()] == names
    assert loaded[1][2].p == 0.3 and loaded[1][0].bias is None and not loaded.training
    assert_same_model(model, loaded, np.random.default_rng(1).standard_normal((4, 2, 3)))


def test_a_trained_model_predicts_the_same_after_loading(tmp_path: Path) -> None:
    X, y = gn.data.make_xor(64, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, generator=0), nn.GELU(), nn.Linear(8, 2, generator=1))
    opt = gn.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(20):
        loss = nn.CrossEntropyLoss()(model(gn.tensor(X)), gn.tensor(y))
        opt.zero_grad(); loss.backward(); opt.step()  # noqa: E702
    assert_same_model(model, round_trip(model, tmp_path).model, X)


def test_the_other_fields_come_back_equal(tmp_path: Path) -> None:
    preprocessing = {"mean": np.array([0.5, -1.0]), "scale": np.array([2.0, 3.0], np.float32), "n_seen": 10}
    history = {"loss": [0.9, 0.5, float("nan")], "epoch": [1, 2, 3], "best": {"epoch": 2, "loss": 0.5}}
    hyperparameters = {"lr": 0.01, "betas": (0.9, 0.999), "hidden": [8, 8], "activation": "relu"}
    classes, extra = np.array([3, 7, 9]), {"author": "me", 1: None}
    model = nn.Sequential(nn.Linear(2, 3, generator=0))
    loaded = round_trip(model, tmp_path, preprocessing=preprocessing, classes=classes,
                        hyperparameters=hyperparameters, history=history, extra=extra)
    assert loaded.preprocessing.keys() == preprocessing.keys() and loaded.preprocessing["n_seen"] == 10
    assert loaded.preprocessing["scale"].dtype == np.float32
    assert all(np.array_equal(loaded.preprocessing[k], preprocessing[k]) for k in ("mean", "scale"))
    assert loaded.hyperparameters == hyperparameters and loaded.extra == extra
    assert np.array_equal(loaded.classes, classes) and loaded.classes.dtype == classes.dtype
    assert loaded.history["loss"][:2] == [0.9, 0.5] and np.isnan(loaded.history["loss"][2])
    assert loaded.history["best"] == history["best"] and loaded.glassnet_version
    assert round_trip(model, tmp_path).history is None


def test_the_file_is_plain_safetensors_with_readable_names(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.ReLU(), nn.Linear(3, 1, generator=1))
    io.save(model, tmp_path / "m", preprocessing={"mean": np.zeros(2)})
    tensors, metadata = load_tensors(tmp_path / "m")
    assert sorted(tensors) == ["0.bias", "0.weight", "2.bias", "2.weight", "preprocessing/mean"]
    assert metadata["format"] == "glassnet-model" and metadata["format_version"] == "1"
    assert json.loads(metadata["architecture"])["modules"][1] == {"type": "ReLU", "args": {}}


class Scale(nn.Module):
    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return x * 2.0


class MyLinear(nn.Linear):
    pass


class ReLU(nn.Module):  # the name of a known layer, but not that class
    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return x


@pytest.mark.parametrize(("model", "match"), [
    (nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh(), Scale())), "module '1.1': Scale is not"),
    (nn.Sequential(MyLinear(2, 2)), "module '0': MyLinear"),
    (ReLU(), "the model: ReLU is not"),
    (nn.Sequential(nn.Softmax(dim=1.5)), "dim=1.5 should be a int"),  # type: ignore[arg-type]
])
def test_a_module_that_cannot_be_saved_raises_naming_it(tmp_path: Path, model: nn.Module, match: str) -> None:
    with pytest.raises(GlassnetError, match=match):
        io.save(model, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_a_layer_with_an_extra_parameter_cannot_be_saved(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].scale = nn.Parameter(np.ones(2, np.float32))
    with pytest.raises(GlassnetError, match=r"unexpected \['0.scale'\]"):
        io.save(model, tmp_path / "m")


def tamper(path: Path, edit: Any) -> Path:
    """Rewrite a saved model file after ``edit(tensors, metadata, architecture)`` changed it."""
    tensors, metadata = load_tensors(path)
    architecture = json.loads(metadata["architecture"])
    original = metadata["architecture"]
    edit(tensors, metadata, architecture)
    if metadata.get("architecture") == original:  # the edit changed the parsed architecture, if anything
        metadata["architecture"] = json.dumps(architecture)
    save_tensors(path, tensors, metadata)
    return path


def set_linear(architecture: dict[str, Any], **args: Any) -> None:
    architecture["modules"][0]["args"].update(args)


TAMPERING: dict[str, tuple[Any, str]] = {
    "unknown type": (lambda t, m, a: a["modules"].append({"type": "os.system", "args": {}}),
                     "module '2': unknown module type 'os.system'"),
    "unknown argument": (lambda t, m, a: set_linear(a, device="cuda"), "takes the arguments"),
    "argument type": (lambda t, m, a: set_linear(a, bias="yes"), "bias='yes' should be a bool"),
    "dtype": (lambda t, m, a: set_linear(a, dtype="object"), "dtype in"),
    "bad Dropout": (lambda t, m, a: a["modules"].append({"type": "Dropout", "args": {"p": 2.0}}), "p=2.0"),
    "shape": (lambda t, m, a: set_linear(a, out_features=2), r"'0.weight' is float32\[3, 2\].*\[2, 2\]"),
    "weight dtype": (lambda t, m, a: t.update({"0.weight": t["0.weight"].astype(np.float64)}), "float64"),
    "missing weight": (lambda t, m, a: t.pop("1.bias"), "missing \\['1.bias'\\]"),
    "extra weight": (lambda t, m, a: t.update({"2.weight": np.ones(1)}), "unexpected \\['2.weight'\\]"),
    "huge layer": (lambda t, m, a: set_linear(a, in_features=10**9, out_features=10**9), "more parameters"),
    "not json": (lambda t, m, a: m.update(architecture="{"), "architecture is not valid"),
    "format": (lambda t, m, a: m.update(format="glassnet-state"), "not a glassnet-model file"),
    "newer version": (lambda t, m, a: m.update(format_version="7"), "newer glassnet.*version 7"),
    "no history": (lambda t, m, a: m.pop("history"), "no 'history' entry"),
    "dangling array": (lambda t, m, a: t.pop("preprocessing/mean"), "dangling"),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_a_tampered_file_raises_a_clear_error(tmp_path: Path, case: str) -> None:
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 1, generator=1))
    io.save(model, tmp_path / "m", preprocessing={"mean": np.zeros(2)})
    edit, match = TAMPERING[case]
    with pytest.raises(GlassnetError, match=match) as caught:
        io.load(tamper(tmp_path / "m", edit))
    assert str(tmp_path / "m") in str(caught.value)


def test_an_untampered_rewrite_still_loads(tmp_path: Path) -> None:
    # the tampering helper itself changes nothing, so the cases above fail for their stated reason
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Linear(3, 1, generator=1))
    io.save(model, tmp_path / "m", preprocessing={"mean": np.zeros(2)})
    loaded = io.load(tamper(tmp_path / "m", lambda t, m, a: None))
    assert_same_model(model, loaded.model, np.ones((1, 2), np.float32))


def test_config_round_trip_is_json_and_builds_the_same_layers() -> None:
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Hardtanh(-2.0, 2.0), nn.Dropout(0.1), nn.Softmax(0))
    config = io.module_to_config(model)
    assert json.loads(json.dumps(config)) == config
    assert io.module_to_config(io.module_from_config(config)) == config
    with pytest.raises(GlassnetError, match=r"unknown module type 'builtins\.eval'"):
        io.module_from_config({"type": "builtins.eval", "args": {}})
