"""glassnet.io: models round-trip bit for bit through one safetensors file, containers nested any
way; any module's weights round-trip alone; what cannot be saved or was tampered with raises
GlassnetError naming the module, tensor or field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import io, nn
from glassnet.errors import GlassnetError
from glassnet.io.safetensors import load_tensors, save_tensors
from glassnet.io.state import check_format, save_state
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
        assert sa[name].dtype == sb[name].dtype, name
        assert sa[name].numpy().tobytes() == sb[name].numpy().tobytes(), name
    a.eval(), b.eval()
    out_a, out_b = a(gn.tensor(x)).array, b(gn.tensor(x)).array
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


def _softmax_with_dim(dim: Any) -> nn.Softmax:
    """A Softmax whose dim was changed after construction (the constructor refuses 1.5)."""
    softmax = nn.Softmax()
    softmax.dim = dim
    return softmax


@pytest.mark.parametrize(("model", "match"), [
    (nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh(), Scale())), "module '1.1': Scale is not"),
    (nn.Sequential(MyLinear(2, 2)), "module '0': MyLinear"),
    (ReLU(), "the model: ReLU is not"),
    (nn.Sequential(_softmax_with_dim(1.5)), "dim=1.5 should be a int"),
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
    "format": (lambda t, m, a: m.update(format="glassnet-other"), "not a glassnet-model file"),
    "format as a state": (lambda t, m, a: m.update(format="glassnet-state"), "stored state is not valid"),
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


# ----------------------------------------------------------------------------- containers in model files
def nested() -> nn.Module:
    """ModuleDict in a ModuleList in a Sequential (and the other ways round), odd keys included."""
    return nn.Sequential(
        nn.Linear(3, 4, generator=0),
        nn.ModuleList([nn.ModuleDict({"act": nn.LeakyReLU(0.3), "proj": nn.Linear(4, 4, dtype=np.float64,
                                                                                    generator=1)}),
                       nn.Sequential(nn.Dropout(0.25), nn.ModuleList())]),
        nn.ModuleDict({"0": nn.Sequential(nn.Linear(4, 2, bias=False, generator=2)), "z y": nn.GELU("tanh")}),
    )


def assert_same_parts(a: nn.Module, b: nn.Module) -> None:
    """Same classes at the same places, same arguments, same weights bit for bit."""
    assert [(n, type(m)) for n, m in a.named_modules()] == [(n, type(m)) for n, m in b.named_modules()]
    assert io.module_to_config(a) == io.module_to_config(b)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    assert all(sa[k].dtype == sb[k].dtype and sa[k].numpy().tobytes() == sb[k].numpy().tobytes() for k in sa)


def test_containers_nested_any_way_round_trip(tmp_path: Path) -> None:
    model = nested()
    loaded = round_trip(model, tmp_path, classes=["a", "b"])
    assert_same_parts(model, loaded.model)
    assert list(loaded.model.state_dict()) == ["0.weight", "0.bias", "1.0.proj.weight", "1.0.proj.bias",
                                               "2.0.0.weight"]
    assert list(loaded.model[2]) == ["0", "z y"] and loaded.model[1][0]["act"].negative_slope == 0.3
    assert not loaded.model.training and loaded.classes == ["a", "b"]
    for top in (nn.ModuleList([nn.Linear(2, 2, generator=0)]), nn.ModuleDict({"a": nn.Tanh()}),
                nn.ModuleList()):
        assert_same_parts(top, round_trip(top, tmp_path).model)


def test_a_model_with_containers_predicts_the_same_after_loading(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 3, generator=0),
                          nn.Sequential(nn.Tanh(), nn.Linear(3, 2, generator=1)))
    assert_same_model(model, round_trip(model, tmp_path).model, np.ones((4, 2), np.float32))


def test_ten_thousand_layers_round_trip(tmp_path: Path) -> None:
    model = nn.Sequential(*[nn.Identity() for _ in range(10_000)], nn.Linear(2, 1, generator=0))
    loaded = round_trip(model, tmp_path).model
    assert len(loaded) == 10_001 and list(loaded.state_dict()) == ["10000.weight", "10000.bias"]


def wrapped(depth: int) -> nn.Module:
    model: nn.Module = nn.Linear(1, 1, generator=0)
    for _ in range(depth):
        model = nn.ModuleList([model])
    return model


def test_nesting_is_bounded_on_saving_and_loading(tmp_path: Path) -> None:
    assert_same_parts(wrapped(io.MAX_DEPTH), round_trip(wrapped(io.MAX_DEPTH), tmp_path).model)
    with pytest.raises(GlassnetError, match=f"it sits {io.MAX_DEPTH + 1} containers deep; model files nest"):
        io.save(wrapped(io.MAX_DEPTH + 1), tmp_path / "deep")
    config: dict[str, Any] = {"type": "Identity", "args": {}}
    for _ in range(io.MAX_DEPTH + 1):
        config = {"type": "ModuleList", "modules": [config]}
    with pytest.raises(GlassnetError, match="containers deep"):
        io.module_from_config(config)
    n = 5000  # far past Python's recursion limit
    deep = '{"type":"Sequential","modules":[' * n + json.dumps(config) + "]}" * n
    path = tamper(tmp_path / "model.safetensors", lambda t, m, a: m.update(architecture=deep))
    with pytest.raises(GlassnetError, match="architecture is not valid"):
        io.load(path)


def test_the_number_of_modules_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    io.save(nn.Sequential(nn.Identity(), nn.Identity()), tmp_path / "m")
    monkeypatch.setattr(io.architecture, "MAX_MODULES", 2)
    with pytest.raises(GlassnetError, match="more than 2 modules, the most a model file holds"):
        io.save(nn.Sequential(nn.Identity(), nn.Identity()), tmp_path / "n")
    with pytest.raises(GlassnetError, match="more than 2 modules"):
        io.load(tmp_path / "m")
    flood = {"type": "ModuleList", "modules": [{"type": "Identity", "args": {}}] * 10**6}
    with pytest.raises(GlassnetError, match="more than 2 modules"):  # refused before building any
        io.module_from_config(flood)


def test_version_two_only_when_a_version_one_reader_could_not_read_it(tmp_path: Path) -> None:
    io.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "plain")
    io.save(nested(), tmp_path / "nested")
    assert load_tensors(tmp_path / "plain")[1]["format_version"] == "1"
    metadata = load_tensors(tmp_path / "nested")[1]
    assert metadata["format_version"] == "2" and io.FORMAT_VERSION == 3
    with pytest.raises(GlassnetError, match=r"newer glassnet.*version 2; this glassnet reads up to 1"):
        check_format(metadata, io.FORMAT_NAME, 1, "nested")  # what a version-1 glassnet says


def test_a_file_written_before_containers_still_loads(tmp_path: Path) -> None:
    # the bytes of a version-1 file, as written before ModuleList and ModuleDict existed
    weight, bias = np.arange(6, dtype=np.float32).reshape(3, 2), np.ones(3, np.float32)
    architecture = ('{"type":"Sequential","modules":[{"type":"Linear","args":{"in_features":2,'
                    '"out_features":3,"bias":true,"dtype":"float32"}},{"type":"ReLU","args":{}}]}')
    save_tensors(tmp_path / "old", {"0.weight": weight, "0.bias": bias}, {
        "format": "glassnet-model", "format_version": "1", "glassnet_version": "0.1.0",
        "architecture": architecture, "preprocessing": "null", "classes": '{"tuple":[0,1]}',
        "hyperparameters": "null", "history": "null", "extra": "null"})
    loaded = io.load(tmp_path / "old")
    assert np.array_equal(loaded.model[0].weight.array, weight) and isinstance(loaded.model[1], nn.ReLU)
    assert loaded.classes == (0, 1) and loaded.glassnet_version == "0.1.0"


def set_entry(architecture: dict[str, Any], entry: Any) -> None:
    architecture["modules"][2]["modules"][1] = entry  # the ModuleDict's second [key, module]


TANH = {"type": "Tanh", "args": {}}
NESTED_TAMPERING: dict[str, tuple[Any, str]] = {
    "duplicate key": (lambda t, m, a: set_entry(a, ["0", TANH]), "distinct string keys"),
    "dotted key": (lambda t, m, a: set_entry(a, ["a.b", TANH]), "contain '.'"),
    "attribute key": (lambda t, m, a: set_entry(a, ["training", TANH]), "'training' is already an attribute"),
    "not a pair": (lambda t, m, a: set_entry(a, TANH), r"list of \[key, module\] pairs"),
    "key not a str": (lambda t, m, a: set_entry(a, [7, TANH]), "distinct string keys"),
    "modules a dict": (lambda t, m, a: a["modules"][2].update(modules={"z": {}}), "a 'modules' list"),
    "args on a list": (lambda t, m, a: a["modules"][1].update(args={}), "ModuleList needs exactly 'type'"),
    "unknown inside": (lambda t, m, a: set_entry(a, ["z y", {"type": "eval", "args": {}}]),
                       "module '2.z y': unknown module type 'eval'"),
    "weight renamed": (lambda t, m, a: t.update({"1.0.x.weight": t.pop("1.0.proj.weight")}),
                       "missing \\['1.0.proj.weight'\\]"),
}


@pytest.mark.parametrize("case", NESTED_TAMPERING)
def test_a_tampered_nested_file_raises_a_clear_error(tmp_path: Path, case: str) -> None:
    io.save(nested(), tmp_path / "m")
    edit, match = NESTED_TAMPERING[case]
    with pytest.raises(GlassnetError, match=match) as caught:
        io.load(tamper(tmp_path / "m", edit))
    assert str(tmp_path / "m") in str(caught.value)


LEAF = st.builds(lambda kind, args: {"type": kind, "args": args},
                 st.sampled_from(["Linear", "Tanh", "Dropout", "LeakyReLU", "GELU", "os.system"]),
                 st.sampled_from([{}, {"p": 0.5}, {"negative_slope": 1}, {"approximate": "tanh"},
                                  {"in_features": 2, "out_features": 1, "bias": True, "dtype": "float32"},
                                  {"in_features": 2, "out_features": -1, "bias": 1, "dtype": "float32"}]))
KEYS = st.sampled_from(["a", "b", "a.b", "", "keys", "training", "0"])
ARCHITECTURES = st.recursive(LEAF | st.none() | st.integers(), lambda inner: st.one_of(
    st.builds(lambda kind, items: {"type": kind, "modules": items},
              st.sampled_from(["Sequential", "ModuleList", "ModuleDict"]),
              st.lists(inner | st.tuples(KEYS, inner).map(list), max_size=3)),
    st.builds(lambda items: {"type": "ModuleDict", "modules": items},
              st.lists(st.tuples(KEYS, inner).map(list), max_size=3) | st.dictionaries(KEYS, inner)),
), max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(config=ARCHITECTURES)
def test_any_architecture_builds_exactly_or_raises_glassnet_error(config: Any) -> None:
    try:
        model = io.module_from_config(config)
    except GlassnetError:
        return
    assert io.module_to_config(model) == config


# ----------------------------------------------------------------------------- weights of any module
class Custom(nn.Module):
    """A user's own module: files cannot hold its architecture, but they can hold its weights."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(np.full(3, float(seed), np.float64))
        self.blocks = nn.ModuleList([nn.Linear(3, 3, generator=seed + i) for i in range(2)])
        self.heads = nn.ModuleDict({"out": nn.Linear(3, 1, bias=False, dtype=np.float64, generator=seed)})

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        for block in self.blocks:
            x = block(x) * self.scale
        return self.heads["out"](x)


def test_a_custom_module_saves_and_loads_its_weights(tmp_path: Path) -> None:
    model, fresh = Custom(seed=1), Custom(seed=7)
    with pytest.raises(GlassnetError, match=r"the model: Custom is not a layer model files can hold.*"
                                            r"glassnet\.io\.save_state_dict\(model, path\)"):
        io.save(model, tmp_path / "full")
    io.save_state_dict(model, tmp_path / "weights.safetensors")
    weights = io.load_state_dict(tmp_path / "weights.safetensors")
    assert sorted(weights) == sorted(model.state_dict())
    fresh.load_state_dict(weights)
    assert_same_weights(model, fresh)
    x = gn.tensor(np.ones((2, 3)))
    assert np.array_equal(fresh(x).array, model(x).array)
    tensors, metadata = load_tensors(tmp_path / "weights.safetensors")
    assert metadata["format"] == "glassnet-weights" and metadata["format_version"] == "1"
    assert tensors.keys() == weights.keys()  # nothing but the weights


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    assert all(sa[k].dtype == sb[k].dtype and sa[k].numpy().tobytes() == sb[k].numpy().tobytes() for k in sa)


def test_a_state_dict_saves_as_it_is_and_a_model_file_gives_its_weights(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.ReLU(), nn.Linear(3, 1, generator=1))
    state = {"w": gn.tensor(np.eye(2)), "b": np.zeros(2, np.int64)}
    io.save_state_dict(state, tmp_path / "state")
    back = io.load_state_dict(tmp_path / "state")
    assert np.array_equal(back["w"], np.eye(2)) and back["b"].dtype == np.int64
    io.save(model, tmp_path / "model", preprocessing={"mean": np.zeros(2)})
    weights = io.load_state_dict(tmp_path / "model")  # the weights of a full model file, not its extras
    assert sorted(weights) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    twin = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    twin.load_state_dict(weights)
    assert_same_weights(model, twin)


def test_weights_files_refuse_what_is_not_theirs(tmp_path: Path) -> None:
    with pytest.raises(GlassnetError, match="needs a glassnet Module or a state_dict, got list"):
        io.save_state_dict([np.ones(2)], tmp_path / "w")  # type: ignore[arg-type]
    with pytest.raises(GlassnetError, match="tensor 'a' is a list; expected an ndarray"):
        io.save_state_dict({"a": [1.0]}, tmp_path / "w")
    save_state(tmp_path / "state", [np.ones(1)])
    with pytest.raises(GlassnetError, match="as a state_dict: it holds a list"):
        io.load_state_dict(tmp_path / "state")
    save_state(tmp_path / "state", {"a": np.ones(1)})  # a state_dict saved with gn.save: it is one
    assert io.load_state_dict(tmp_path / "state")["a"].tolist() == [1.0]
    io.save_state_dict(nn.Linear(2, 2), tmp_path / "w")
    tamper_metadata(tmp_path / "w", format_version="2")
    with pytest.raises(GlassnetError, match="newer glassnet"):
        io.load_state_dict(tmp_path / "w")
    (tmp_path / "w").write_bytes(b"\x80\x04\x95")  # the start of a pickle: never unpickled
    with pytest.raises(GlassnetError):
        io.load_state_dict(tmp_path / "w")
    with pytest.raises(GlassnetError, match=r"missing keys \['bias'\]"):
        nn.Linear(2, 2).load_state_dict({"weight": np.ones((2, 2))})


def tamper_metadata(path: Path, **entries: str) -> None:
    tensors, metadata = load_tensors(path)
    save_tensors(path, tensors, {**metadata, **entries})


def test_saving_refuses_a_module_inside_a_non_container_or_a_custom_one_in_a_list(tmp_path: Path) -> None:
    layer = nn.Linear(2, 2)
    layer.extra = nn.ReLU()  # its arguments would not bring it back
    with pytest.raises(GlassnetError, match=r"module '0': a Linear holding the module 'extra'.*save_state"):
        io.save(nn.Sequential(layer), tmp_path / "m")
    with pytest.raises(GlassnetError, match=r"module 'a\.1': Scale is not a layer"):
        io.save(nn.ModuleDict({"a": nn.ModuleList([nn.Tanh(), Scale()])}), tmp_path / "m")
    assert not (tmp_path / "m").exists()
