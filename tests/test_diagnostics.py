"""Training diagnostics: each fires on a network built to trigger it and stays quiet on a healthy one."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import make_moons

X, Y = make_moons(200, noise=0.2, seed=0)


def _mlp(activation: type[nn.Module] = nn.ReLU, hidden: int = 32, dropout: float = 0.0) -> nn.Sequential:
    rng = np.random.default_rng(0)
    layers: list[nn.Module] = [nn.Linear(2, hidden, generator=rng), activation()]
    if dropout:
        layers.append(nn.Dropout(dropout, generator=rng))
    return nn.Sequential(*layers, nn.Linear(hidden, 2, generator=rng))


def _fit(model: nn.Module, optimizer: optim.Optimizer | None = None, X: np.ndarray = X,
         **kwargs: object) -> train.History:
    opt = optimizer or optim.Adam(model.parameters(), lr=0.01)
    options = {"epochs": 3, "batch_size": 32, "verbose": 0, "seed": 0} | kwargs
    return train.fit(model, nn.CrossEntropyLoss(), opt, X, Y, **options)  # type: ignore[arg-type]


def _named(history: train.History, name: str) -> list[train.DiagnosticWarning]:
    return [w for w in history.warnings if w.name == name]


@pytest.mark.parametrize("activation", [nn.ReLU, nn.Tanh, nn.Sigmoid])
def test_a_healthy_network_gets_no_warning(activation: type[nn.Module]) -> None:
    X_big, Y_big = make_moons(1000, noise=0.2, seed=0)
    model = _mlp(activation)
    opt = optim.Adam(model.parameters(), lr=0.01)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, X_big, Y_big, epochs=20, batch_size=32,
                        seed=0, verbose=0)
    assert history.warnings == []
    assert history["accuracy" if "accuracy" in history else "loss"][-1] < 0.35  # it did learn
    for key in ("diag/grad_ratio", "diag/update_ratio/0", "diag/update_ratio/2", "diag/loss_ratio"):
        assert key in history
    unit_key = "diag/dead_relu/1" if activation is nn.ReLU else "diag/saturated/1"
    assert 0.0 <= history[unit_key][-1] <= 0.5


def test_dead_relu_fires_on_a_huge_negative_bias() -> None:
    model = _mlp(nn.ReLU)
    model[0].bias.array[:] = -100.0  # z = Wx + b < 0 for every moons sample: every unit dead
    history = _fit(model)
    assert history["diag/dead_relu/1"] == [1.0, 1.0, 1.0]
    (warning,) = _named(history, "dead_relu")  # once, when it crossed; not again every epoch
    assert (warning.epoch, warning.layer, warning.value, warning.threshold) == (0, "1", 1.0, 0.5)
    assert warning.reason.startswith("100% of layer 1's ReLU units output 0 for every probe sample")
    assert "LeakyReLU" in warning.fix and "He initialization" in warning.fix
    assert "relu" in warning.formula


@pytest.mark.parametrize("activation", [nn.Sigmoid, nn.Tanh])
def test_saturation_fires_on_large_weights(activation: type[nn.Module]) -> None:
    model = _mlp(activation, hidden=16)
    model[0].weight.array *= 100.0  # |z| ≫ 5 for almost every sample: σ near 0 or 1, tanh near ±1
    history = _fit(model, epochs=1)
    (warning,) = _named(history, "saturated")
    assert warning.layer == "1" and warning.value > 0.5 == warning.threshold
    assert activation.__name__ in warning.reason and "saturated" in warning.reason
    assert history["diag/saturated/1"][0] == warning.value


def test_a_deep_sigmoid_stack_has_vanishing_gradients() -> None:
    rng = np.random.default_rng(0)
    layers: list[nn.Module] = [nn.Linear(2, 8, generator=rng), nn.Sigmoid()]
    for _ in range(8):  # each σ'(z) ≤ 1/4 shrinks δ on its way back
        layers += [nn.Linear(8, 8, generator=rng), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(8, 2, generator=rng))
    history = _fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=1)
    (warning,) = _named(history, "vanishing_gradient")
    assert warning.value == history["diag/grad_ratio"][0] < 1e-3 == warning.threshold
    # first over last equals the product of the consecutive ratios
    chain = np.prod([history[f"diag/grad_ratio/{2 * i}"][0] for i in range(9)])
    assert chain == pytest.approx(warning.value, rel=1e-9)


def test_exploding_gradient_ratio_on_unscaled_inputs() -> None:
    model = nn.Sequential(nn.Linear(2, 16, generator=0), nn.Linear(16, 2, generator=1))
    model[0].weight.array *= 1e-4  # ∂L/∂W¹ = δ¹xᵀ grows with x ~ 1e4, ∂L/∂W² = δ²a¹ᵀ does not
    history = _fit(model, optim.SGD(model.parameters(), lr=1e-9), X=X * 1e4, epochs=1)
    (warning,) = _named(history, "exploding_gradient")
    assert warning.value > 1e3 == warning.threshold
    assert _named(history, "small_update")  # lr 1e-9 barely moves the weights


def test_too_large_a_learning_rate_gives_large_updates() -> None:
    model = _mlp(nn.Tanh)
    history = _fit(model, optim.SGD(model.parameters(), lr=20.0), epochs=1)  # the first epoch: no chaos yet
    large = _named(history, "large_update")
    assert large and all(w.value > 0.1 == w.threshold and w.epoch == 0 for w in large)
    assert history[f"diag/update_ratio/{large[0].layer}"][0] == large[0].value


def test_a_loss_that_jumps_gives_a_loss_spike() -> None:
    """After the first epoch the output layer's weights grow 50-fold: every wrong logit with them."""
    model = _mlp(nn.Tanh)

    def blow_up(run: train.Run, logs: dict[str, float]) -> None:
        if run.epoch == 0:
            model[2].weight.array *= 50.0

    history = _fit(model, optim.SGD(model.parameters(), lr=1e-3), epochs=2,
                   callbacks=[train.LambdaCallback(on_epoch_end=blow_up)])
    (spike,) = _named(history, "loss_spike")
    losses = history["loss"]
    assert spike.epoch == 1 and spike.value == pytest.approx(losses[1] / losses[0])
    assert spike.value > 2.0 == spike.threshold


def test_warnings_are_printed_by_the_progress_bar_and_kept_by_history() -> None:
    model = _mlp(nn.ReLU)
    model[0].bias.array[:] = -100.0
    out = io.StringIO()
    history = _fit(model, epochs=2, callbacks=[train.ProgressBar(2, file=out)])
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("epoch 1/2") and "diag" not in lines[0]
    # dead units; then no gradient reaches layer 0's or (a = 0 for every sample) layer 2's weights
    first = [(w.name, w.layer) for w in history.warnings if w.epoch == 0]
    assert first == [("dead_relu", "1"), ("small_update", "0"), ("small_update", "2")]
    assert len(history.warnings) == 3  # each once, when its threshold was crossed
    assert lines[1:4] == [f"warning: {w}" for w in history.warnings]
    assert lines[1].startswith("warning: 100% of layer 1's ReLU units output 0")
    assert lines[4].startswith("epoch 2/2") and len(lines) == 5
    restored = train.History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored.warnings == history.warnings and restored.history.keys() == history.history.keys()


def test_diagnostics_false_removes_them() -> None:
    model = _mlp(nn.ReLU)
    model[0].bias.array[:] = -100.0
    out = io.StringIO()
    history = _fit(model, diagnostics=False, callbacks=[train.ProgressBar(2, file=out)])
    assert history.warnings == [] and not any(k.startswith("diag/") for k in history.history)
    assert "warning" not in out.getvalue()


def test_diagnostics_do_not_change_the_training_numbers() -> None:
    runs = []
    for diagnostics in (True, False):
        model = _mlp(nn.ReLU, dropout=0.3)
        history = _fit(model, epochs=4, diagnostics=diagnostics, validation_split=0.2)
        runs.append((model.state_dict(), history))
    (with_diag, h_on), (without, h_off) = runs
    for name in with_diag:
        assert np.array_equal(with_diag[name], without[name]), name
    assert h_on["loss"] == h_off["loss"] and h_on["val_loss"] == h_off["val_loss"]
    assert any(k.startswith("diag/") for k in h_on.history)


def test_resume_keeps_warnings_and_the_best_loss(tmp_path: object) -> None:
    path = f"{tmp_path}/ckpt.safetensors"
    model = _mlp(nn.Tanh)
    full = _fit(model, optim.SGD(model.parameters(), lr=20.0), epochs=5)
    model = _mlp(nn.Tanh)
    opt = optim.SGD(model.parameters(), lr=20.0)
    _fit(model, opt, epochs=2, callbacks=[train.ModelCheckpoint(path)])
    model = _mlp(nn.Tanh)
    resumed = _fit(model, optim.SGD(model.parameters(), lr=20.0), epochs=5, resume_from=path,
                   callbacks=[train.ModelCheckpoint(path)])
    assert resumed.warnings == full.warnings and resumed["loss"] == full["loss"]


def test_probe_is_at_most_probe_size_training_samples_chosen_by_seed() -> None:
    a, b = train.Diagnostics(probe_size=16, seed=3), train.Diagnostics(probe_size=16, seed=3)
    a.use_data(X)
    b.use_data(X)
    assert a.probe is not None and b.probe is not None and a.probe.shape == (16, 2)
    assert np.array_equal(a.probe, b.probe)
    assert all(any(np.array_equal(row, x) for x in X) for row in a.probe)
    small = train.Diagnostics()
    small.use_data(X[:10])
    assert small.probe is not None and len(small.probe) == 10


def test_a_user_given_diagnostics_replaces_the_default() -> None:
    model = _mlp(nn.ReLU)
    model[0].bias.array[:] = -100.0
    strict = train.Diagnostics(dead_relu=1.0)  # 100% dead is not *more* than 100%
    history = _fit(model, callbacks=[strict])
    assert _named(history, "dead_relu") == [] and history["diag/dead_relu/1"][0] == 1.0
    assert gn.fit is train.fit
