"""The playground's Session: its training is the plain loop, reset rewinds, every op, clear errors, frames."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.errors import GlassnetError
from glassnet.explain.numbers import format_number
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.losses import LOSSES
from glassnet.optim import OPTIMIZERS
from glassnet.playground import Session
from glassnet.playground.config import DEFAULTS, choices
from glassnet.playground.datasets import DATASETS, FEATURES, feature_matrix, make_data
from glassnet.playground.frames import GRID, build_frame, feature_maps
from glassnet.regularizers import L1, L2

CONFIGS = [
    {},
    {"optimizer": "adam", "lr": 0.01, "regularization": "l2", "reg_rate": 0.001, "schedule": "step",
     "dropout": 0.2, "features": ["x1", "x2", "x1sq", "sinx2"], "batch_size": 7},
    {"dataset": "blobs3", "layers": [5], "activations": ["relu"], "loss": "nll", "optimizer": "rmsprop",
     "momentum": 0.5, "regularization": "l1", "reg_rate": 0.01},
    {"dataset": "plane", "noise": 20, "loss": "huber", "layers": [3, 3, 2], "activations": ["gelu", "elu"]},
    {"dataset": "xor", "loss": "mse", "layers": [6], "features": ["x1x2"], "lr": 0.1},
    {"dataset": "spiral", "loss": "bce", "layers": [], "schedule": "cosine", "optimizer": "adamw"},
]


def five_line_loop(s: Session, epochs: int) -> tuple[list[tuple[float, float]], dict[str, np.ndarray]]:
    """The same training written out with glassnet's public API, from the session's initial weights."""
    c = s.config
    streams = np.random.SeedSequence(c["seed"]).spawn(2 * len(c["layers"]) + 1)
    rngs = [np.random.default_rng(q) for q in streams]
    layers: list[Any] = []
    sizes = [len(c["features"]), *c["layers"]]
    for h, (n_in, n_out) in enumerate(zip(sizes[:-1], c["layers"], strict=True)):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[c["activations"][h]]()]
        if c["dropout"] > 0:
            layers.append(nn.Dropout(c["dropout"], generator=rngs[2 * h + 1]))
    n_out = c["n_classes"] if c["loss"] in ("cross_entropy", "nll") else 1
    layers.append(nn.Linear(sizes[-1], n_out))
    layers += {"bce": [nn.Sigmoid()], "nll": [nn.LogSoftmax()]}.get(c["loss"], [])
    model = nn.Sequential(*layers)
    model.load_state_dict(s.initial)
    loss_fn = LOSSES[c["loss"]]()
    options = {"lr": c["lr"]} | ({"momentum": c["momentum"]} if c["momentum"] else {})
    optimizer = OPTIMIZERS[c["optimizer"]](model.parameters(), **options)
    schedule = {"none": None, "step": lambda: optim.lr_scheduler.StepLR(optimizer, 100, 0.5),
                "cosine": lambda: optim.lr_scheduler.CosineAnnealingLR(optimizer, 500)}[c["schedule"]]
    schedule = schedule() if schedule else None
    penalty = {"none": None, "l1": L1, "l2": L2}[c["regularization"]]
    rng, losses = np.random.default_rng(c["seed"]), []
    X, y = s.X_train, s.y_train
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), c["batch_size"]):
            batch = order[start:start + c["batch_size"]]
            loss = loss_fn(model(gn.Tensor(X[batch])), gn.Tensor(y[batch]))
            loss = loss + penalty(c["reg_rate"])(model) if penalty else loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if schedule:
            schedule.step()
        model.eval()
        with gn.no_grad():
            losses.append(tuple(loss_fn(model(gn.Tensor(A)), gn.Tensor(b)).item()
                                for A, b in ((s.X_train, s.y_train), (s.X_test, s.y_test))))
        model.train()
    return losses, {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(c) or "default")
def test_training_equals_an_independent_five_line_loop(config: dict[str, Any]) -> None:
    s = Session(config, seed=3)
    for _ in range(4):
        s.step()
    losses, weights = five_line_loop(s, 4)
    np.testing.assert_allclose([h[1:] for h in s.history], losses, rtol=1e-6)
    for name, w in s.model.state_dict().items():
        np.testing.assert_allclose(w.numpy(), weights[name], rtol=1e-5, atol=1e-7)
    assert s.epoch == 4 and s.steps == 4 * s.n_batches


def test_the_loss_falls_on_the_default_circle() -> None:
    s = Session()
    first = s.losses[0]
    for _ in range(60):
        s.step()
    assert s.losses[0] < 0.5 * first


def test_reset_rewinds_to_the_same_initial_weights_and_run() -> None:
    s = Session({"dropout": 0.1}, seed=5)
    initial = {k: v.copy() for k, v in s.initial.items()}
    for _ in range(3):
        s.step()
    run = list(s.history)
    s.command({"op": "reset"})
    assert s.epoch == 0 and s.history == []
    for name, w in s.model.state_dict().items():
        np.testing.assert_array_equal(w.numpy(), initial[name])
    for _ in range(3):
        s.step()
    assert s.history == run
    other = Session({"dropout": 0.1}, seed=5)
    assert all(np.array_equal(other.initial[k], initial[k]) for k in initial)


def test_reseed_and_regenerate_draw_new_seeds() -> None:
    s = Session()
    before, points = dict(s.initial), s.data.points.copy()
    s.command({"op": "reseed"})
    assert s.config["seed"] != 0
    assert not np.array_equal(s.initial["0.weight"], before["0.weight"])
    s.command({"op": "regenerate"})
    assert s.config["data_seed"] != 0 and not np.array_equal(s.data.points, points)


def test_play_pause_step_flags() -> None:
    s = Session()
    s.command({"op": "play"})
    assert s.playing
    s.command({"op": "pause"})
    assert not s.playing
    s.command({"op": "step"})
    assert s.epoch == 1 and len(s.history) == 1


def test_configure_rebuilds_and_keeps_display_changes_cheap() -> None:
    s = Session()
    s.step()
    s.command({"op": "configure", "changes": {"show_test": True}})
    assert s.epoch == 1 and s.config["show_test"]
    s.command({"op": "configure", "changes": {"layers": [3, 3, 3], "activations": ["relu"]}})
    assert s.epoch == 0 and s.config["activations"] == ["relu", "relu", "relu"]
    assert [m.out_features for _, m in s.linears()] == [3, 3, 3, 2]
    s.command({"op": "configure", "changes": {"activations": ["tanh", "relu", "tanh"],
                                              "features": ["x1", "x2", "x1"]}})
    assert s.config["activations"] == ["tanh", "relu", "tanh"] and s.config["features"] == ["x1", "x2"]
    s.command({"op": "configure", "changes": {"problem": "regression"}})
    assert s.config["dataset"] == "plane" and s.config["loss"] == "mse"
    s.command({"op": "configure", "changes": {"dataset": "blobs3"}})
    assert s.config["problem"] == "classification" and s.config["n_classes"] == 3
    assert s.linears()[-1][1].out_features == 3


def test_the_learning_rate_changes_live_unless_a_schedule_runs() -> None:
    s = Session({"optimizer": "adam"})
    s.step()
    state = s.optimizer.state_dict()["state"]
    s.command({"op": "configure", "changes": {"lr": 0.001}})
    assert s.epoch == 1 and s.rates == [(1, 0.001)] and s.start_lr == 0.03
    assert [g["lr"] for g in s.optimizer.param_groups] == [0.001]
    assert s.optimizer.state_dict()["state"].keys() == state.keys()  # Adam's moments kept
    s.step()
    assert s.lrs == [0.03, 0.001]
    s.command({"op": "reset"})
    assert s.rates == [] and s.start_lr == 0.001 and s.optimizer.param_groups[0]["lr"] == 0.001
    scheduled = Session({"schedule": "step"})
    scheduled.step()
    scheduled.command({"op": "configure", "changes": {"lr": 0.1}})
    assert scheduled.epoch == 0 and scheduled.rates == []  # a schedule owns the rate: a reset


def test_set_weight_and_bias_edit_the_live_parameters() -> None:
    s = Session()
    s.command({"op": "set_weight", "layer": 2, "row": 1, "col": 3, "value": 1.25})
    s.command({"op": "set_bias", "layer": 1, "row": 0, "value": -0.5})
    state = s.model.state_dict()
    assert state["2.weight"].numpy()[1, 3] == np.float32(1.25)
    assert state["0.bias"].numpy()[0] == np.float32(-0.5)
    frame = build_frame(s)
    assert frame["weights"][1][1][3] == 1.25 and frame["biases"][0][0] == -0.5
    assert s.edits == [(0, "2.weight", [1, 3], 1.25), (0, "0.bias", [0], -0.5)]


def test_points_added_by_clicking_make_custom_data() -> None:
    s = Session()
    n = len(s.data.labels)
    s.command({"op": "add_point", "x1": 1.0, "x2": -2.0, "label": 1})
    assert s.config["dataset"] == "custom" and len(s.data.labels) == n + 1
    assert [1.0, -2.0] in s.data.points.tolist()
    s.command({"op": "clear_points"})
    assert len(s.data.labels) == 0 and len(s.X_train) == 0
    with pytest.raises(GlassnetError, match="no training points"):
        s.command({"op": "step"})
    for k in range(4):
        s.command({"op": "add_point", "x1": float(k), "x2": 1.0, "label": k % 2})
    s.command({"op": "step"})
    assert s.epoch == 1


def test_upload_replaces_the_data() -> None:
    s = Session()
    rows = "\n".join(f"{x},{-x},{'abc'[i % 3]}" for i, x in enumerate(np.linspace(-4, 4, 30)))
    s.upload("a,b,kind\n" + rows + "\n")
    assert s.config["dataset"] == "custom" and s.config["n_classes"] == 3 and s.classes == ["a", "b", "c"]
    assert s.config["loss"] == "cross_entropy" and len(s.data.labels) == 30
    s.step()


@pytest.mark.parametrize(("text", "message"), [
    ("x1,x2,y\n1,2,0\n3,oops,1\n", "line 3, column 'x2' has the non-numeric value 'oops'"),
    ("a,b,c,y\n1,2,3,0\n4,5,6,1\n", "found 3 feature columns; expected two"),
    ("x1,x2,y\n1,2,0\n3,4,0\n", "one class only"),
    ("", "the file is empty"),
    ("x1,x2,y\n1,2\n", "line 2 has 2 fields, expected 3"),
])
def test_bad_uploads_give_one_clear_line(text: str, message: str) -> None:
    s = Session()
    with pytest.raises(GlassnetError, match=message) as e:
        s.upload(text)
    assert "\n" not in str(e.value)
    assert s.config["dataset"] == "circle"  # unchanged


@pytest.mark.parametrize(("changes", "message"), [
    ({"noise": 80}, "'noise' must be from 0 to 50"),
    ({"layers": [4, 9]}, "1 to 8 neurons"),
    ({"layers": [1] * 7}, "at most 6 hidden layer"),
    ({"activations": ["swish"]}, "'activations' must be one of"),
    ({"loss": "huber"}, "does not fit classification"),
    ({"optimizer": "adam", "momentum": 0.9}, "'momentum' is an option of sgd, rmsprop"),
    ({"features": []}, "at least one input feature"),
    ({"features": ["x3"]}, "'features' must be one of"),
    ({"lr": 0}, "'lr' must be above 0"),
    ({"batch_size": 2.5}, "'batch_size' must be a whole number"),
    ({"speed": 1}, "unknown key 'speed'"),
    ({"dataset": "moons"}, "'dataset' must be one of"),
])
def test_bad_configs_give_one_clear_line_naming_the_key(changes: dict[str, Any], message: str) -> None:
    s = Session()
    with pytest.raises(GlassnetError, match=message) as e:
        s.command({"op": "configure", "changes": changes})
    assert "\n" not in str(e.value)
    assert s.config == DEFAULTS


@pytest.mark.parametrize(("op", "message"), [
    ({"op": "fly"}, "unknown op 'fly'"),
    ({"op": "set_weight", "layer": 4, "row": 0, "col": 0, "value": 1}, "'layer' must be a whole"),
    ({"op": "set_weight", "layer": 1, "row": 0, "col": 2, "value": 1}, "'col' must be a whole"),
    ({"op": "set_bias", "layer": 1, "row": 0, "value": "x"}, "'value' must be a number"),
    ({"op": "add_point", "x1": 0, "x2": 0, "label": 2}, "'label' must be a whole number from 0 to 1"),
    ({"op": "explain", "target": {"kind": "neuron", "layer": 1, "index": 9}}, "'index' must be"),
    ({"op": "explain", "target": "x"}, "'target' must be"),
])
def test_bad_ops_give_one_clear_line(op: dict[str, Any], message: str) -> None:
    with pytest.raises(GlassnetError, match=message):
        Session().command(op)


def test_explain_a_neuron_shows_the_walkthrough_numbers_of_that_neuron() -> None:
    s = Session({"optimizer": "adam"})
    for _ in range(2):
        s.step()
    reply = s.command({"op": "explain", "target": {"kind": "neuron", "layer": 1, "index": 2}, "sample": 4})
    ex = reply["explain"]
    x = s.X_train[4]
    W, b = s.model.state_dict()["0.weight"].numpy(), s.model.state_dict()["0.bias"].numpy()
    z = float(W[2] @ x + b[2])
    text = "\n".join(line for section in ex["sections"] for line in section["text"])
    assert ex["sample"]["index"] == 4 and ex["sample"]["x"] == x.tolist()
    assert f"= {format_number(z)}" in text and f"a¹₃ = {format_number(np.tanh(z))}" in text
    assert any("update b¹" in section["title"] for section in ex["sections"])
    assert all(section["latex"] for section in ex["sections"])
    assert "z¹₁ =" not in text  # the other neurons' lines are left out


def test_explain_a_link_shows_its_gradient_and_update() -> None:
    s = Session({"optimizer": "sgd", "momentum": 0.9})
    s.step()
    target = {"kind": "link", "layer": 2, "row": 1, "col": 3}
    reply = s.command({"op": "explain", "target": target, "sample": 0})
    text = [line for section in reply["explain"]["sections"] for line in section["text"]]
    assert any(line.startswith("∂L/∂W²₂,₄ =") for line in text)
    assert any(line.startswith("W²₂,₄: ") and "momentum_buffer" in line for line in text), text


def test_a_dead_relu_layer_shows_in_the_diagnostics() -> None:
    s = Session({"layers": [4], "activations": ["relu"]})
    for row in range(4):
        s.command({"op": "set_bias", "layer": 1, "row": row, "value": -100.0})
    s.step()
    found = [d for d in s.diagnostics() if d["kind"] == "dead_relu"]
    assert found and found[0]["layer"] == 1 and found[0]["neuron"] is None
    assert found[0]["message"] and found[0]["fix"]
    assert [d["neuron"] for d in found[1:]] == [0, 1, 2, 3]  # and on each neuron
    assert found[1]["message"].startswith("neuron 1 of layer 1 (ReLU) outputs 0 for every probe sample")


def test_one_dead_neuron_is_marked_on_its_own() -> None:
    # one of 4 neurons dead: below the layer's threshold (half), yet the neuron itself is marked
    s = Session({"layers": [4, 3], "activations": ["relu", "tanh"]})
    s.command({"op": "set_bias", "layer": 2, "row": 1, "value": 100.0})  # tanh(z + 100): saturated at 1
    s.command({"op": "set_bias", "layer": 1, "row": 2, "value": -100.0})
    s.step()
    marked = {(d["layer"], d["neuron"], d["kind"]) for d in s.diagnostics()}
    assert (1, 2, "dead_relu") in marked and (2, 1, "saturated") in marked
    assert not any(d["neuron"] is None and d["kind"] in ("dead_relu", "saturated") for d in s.diagnostics())


def test_data_sets_are_seeded_and_labelled() -> None:
    for name, data_set in DATASETS.items():
        if data_set.make is None:
            continue
        config = DEFAULTS | {"dataset": name, "n_classes": 3}
        a, b = make_data(config), make_data(config)
        assert np.array_equal(a.points, b.points) and np.array_equal(a.labels, b.labels)
        assert a.points.shape == (500, 2) and a.train.sum() == 250
        if data_set.problem == "classification":
            assert set(np.unique(a.labels)) == set(range(data_set.n_classes or 3))
        else:
            assert -1 <= a.labels.min() < a.labels.max() <= 1
    circle = make_data(DEFAULTS)
    r = np.hypot(*circle.points.T)
    assert np.all((r <= 2.5) == (circle.labels == 1))  # no noise: the classes do not overlap
    assert make_data(DEFAULTS | {"train_share": 30}).train.sum() == 150


def test_features_are_the_listed_expressions() -> None:
    points = np.array([[1.0, 2.0], [-0.5, 3.0]])
    X = feature_matrix(points, list(FEATURES))
    np.testing.assert_allclose(X[1], [-0.5, 3.0, 0.25, 9.0, -1.5, np.sin(-0.5), np.sin(3.0)], rtol=1e-6)
    assert [f["name"] for f in choices()["features"]] == list(FEATURES)


def decode(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.uint8)


def test_frames_hold_every_heatmap_and_stay_small() -> None:
    s = Session()
    frame = build_frame(s, points=True)
    assert len(decode(frame["output"]["values"])) == GRID * GRID
    assert [len(layer) for layer in frame["neurons"]] == [4, 2] and len(frame["features"]) == 2
    assert all(len(decode(h)) == (GRID // 2) ** 2 for layer in frame["neurons"] for h in layer)
    train = np.frombuffer(base64.b64decode(frame["points"]["train"]["x"]), dtype="<f4")
    np.testing.assert_array_equal(train, s.data.points[s.data.train, 0].astype(np.float32))
    for _ in range(260):
        s.step()
    frame = build_frame(s)
    assert len(frame["history"]) == 250 and frame["history"][-1][0] == 260
    assert len(json.dumps(frame, separators=(",", ":"))) <= 20_000


def test_every_feature_has_its_heatmap_even_when_left_out() -> None:
    s = Session({"features": ["x1", "sinx2"]})
    maps, frame = feature_maps(), build_frame(s)
    assert list(maps) == list(FEATURES) and all(len(decode(m)) == (GRID // 2) ** 2 for m in maps.values())
    assert [maps[name] for name in s.config["features"]] == frame["features"]  # the same numbers


def test_the_output_heatmap_is_the_models_probability() -> None:
    s = Session()
    for _ in range(5):
        s.step()
    frame = build_frame(s)
    P = decode(frame["output"]["values"]).reshape(GRID, GRID) / 255
    top_left = np.array([[-6 + 0.12, 6 - 0.12]])  # the centre of cell (0, 0)
    out = s.model(gn.Tensor(feature_matrix(top_left, s.config["features"])))
    expected = float(np.exp(out.numpy()[0, 1]) / np.exp(out.numpy()[0]).sum())
    assert P[0, 0] == pytest.approx(expected, abs=1 / 255)
