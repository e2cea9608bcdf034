"""Gradient checks for user code: check_gradients on models, and custom activations and losses."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.engine.model_check import check_gradients
from glassnet.errors import GlassnetError, GradcheckError
from glassnet.nn import custom, custom_losses
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.losses import LOSSES
from glassnet.train import fit

MESSAGE = re.compile(r"at input (\S+?)(?: with target (\S+))?: the derivative gave (\S+), "
                     r"finite differences give (\S+) \((\d+) of (\d+) sample points")


@pytest.fixture(autouse=True)
def _restore_tables() -> Iterator[None]:
    before = {id(registry): set(registry) for registry in (ACTIVATIONS, LOSSES)}
    yield
    for registry in (ACTIVATIONS, LOSSES):
        for name in set(registry) - before[id(registry)]:
            registry.unregister(name)


def _net(activation: nn.Module, n_out: int = 1) -> nn.Module:
    return nn.Sequential(nn.Linear(3, 5, generator=0), activation, nn.Linear(5, n_out, generator=1))


def _data(n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)).astype(np.float32), rng.standard_normal((n, 1)).astype(np.float32)


def _parse(error: pytest.ExceptionInfo[GradcheckError]) -> tuple[float, float | None, float, float, int]:
    m = MESSAGE.search(str(error.value))
    assert m, str(error.value)
    x, y, given, numeric, bad = m.group(1, 2, 3, 4, 5)
    return float(x), None if y is None else float(y), float(given), float(numeric), int(bad)


# ----------------------------------------------------------------------------- check_gradients
ACTIVATION_MODULES = [nn.Tanh(), nn.Sigmoid(), nn.SiLU(), nn.GELU(), nn.ELU(), nn.Softplus()]


@pytest.mark.parametrize("activation", ACTIVATION_MODULES)
@pytest.mark.parametrize("loss, n_out, target", [
    (nn.MSELoss(), 1, "values"), (nn.HuberLoss(delta=0.5), 1, "values"),
    (nn.CrossEntropyLoss(), 3, "classes"), (nn.BCEWithLogitsLoss(), 1, "labels"),
])  # fmt: skip
def test_healthy_models_report_tiny_errors(activation: nn.Module, loss: nn.Module, n_out: int,
                                           target: str) -> None:
    X, values = _data()
    y = {"values": values, "classes": np.array([0, 1, 2, 1, 0, 2]),
         "labels": (values > 0).astype(np.float32)}[target]
    report = check_gradients(_net(activation, n_out), X, y, loss)
    assert report.ok, str(report)
    assert report.max_relative_error < 1e-7
    assert [p.name for p in report.parameters] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_model_is_left_unchanged_and_big_tensors_are_sampled() -> None:
    model = nn.Sequential(nn.Linear(3, 40, generator=0), nn.Tanh(), nn.Linear(40, 1, generator=1))
    before = model.state_dict()
    X, y = _data()
    report = check_gradients(model, X, y, nn.MSELoss(), sample=25, seed=3)
    assert [p.checked for p in report.parameters] == [25, 25, 25, 1]  # 120, 40, 40 elements > 25; 1
    assert report.ok and report == check_gradients(model, X, y, nn.MSELoss(), sample=25, seed=3)
    after = model.state_dict()
    assert all(after[k].dtype == np.float32 and np.array_equal(after[k], before[k]) for k in before)
    assert "25/120" in str(report) and "tolerance" in str(report)


def test_a_wrong_derivative_is_flagged_on_the_parameters_below_it() -> None:
    # f(z) = z², with f'(z) given as 3z: wrong, so only gradients that pass through f are wrong
    Square = custom.activation("bad_square", lambda z: z * z, lambda z: 3 * z, check=False)
    X, y = _data()
    report = check_gradients(_net(Square()), X, y, nn.MSELoss())
    assert not report.ok
    assert report.failed == ["0.weight", "0.bias"]  # 2.weight and 2.bias do not depend on f'
    assert report.parameters[0].relative_error > 0.1 and report.parameters[2].relative_error < 1e-7
    assert "WRONG" in str(report) and "0.weight, 0.bias" in str(report)


def test_a_wrong_loss_derivative_is_flagged_everywhere() -> None:
    Bad = custom_losses.loss("bad_sq", lambda x, y: (x - y) ** 2, lambda x, y: x - y, check=False)
    X, y = _data()
    report = check_gradients(_net(nn.Tanh()), X, y, Bad())
    assert report.failed == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_check_gradients_rejects_a_loss_without_reduction() -> None:
    X, y = _data()
    with pytest.raises(GlassnetError, match="one number"):
        check_gradients(_net(nn.Tanh()), X, y, nn.MSELoss(reduction="none"))


# ----------------------------------------------------------------------------- custom activations
def test_registering_a_wrong_derivative_names_the_input_and_both_numbers() -> None:
    with pytest.raises(GradcheckError) as error:  # f(z) = z², f'(z) given as z: at 1.5, 1.5 vs 3
        custom.activation("half_square", lambda z: z * z, lambda z: z, points=[1.5])
    assert "custom activation 'half_square'" in str(error.value)
    x, _, given, numeric, bad = _parse(error)
    assert (x, given, bad) == (1.5, 1.5, 1) and numeric == pytest.approx(3.0, abs=1e-8)
    assert "half_square" not in ACTIVATIONS


def test_default_points_report_the_worst_point_with_the_right_numbers() -> None:
    with pytest.raises(GradcheckError) as error:  # sin with cos shifted by 0.01: wrong everywhere
        custom.activation("sine", np.sin, lambda z: np.cos(z) + 0.01)
    x, _, given, numeric, bad = _parse(error)
    assert bad == 203 and given == pytest.approx(np.cos(x) + 0.01) and numeric == pytest.approx(np.cos(x))


def test_a_correct_activation_registers_and_trains_in_fit() -> None:
    Swish = custom.activation("my_swish", lambda z: z / (1 + np.exp(-z)),
                              lambda z: (s := 1 / (1 + np.exp(-z))) * (1 + z * (1 - s)))
    assert ACTIVATIONS["my_swish"] is Swish and Swish.__name__ == "MySwish"
    assert issubclass(Swish, nn.Module) and "my_swish" in Swish.formula.text
    z = gn.tensor(np.linspace(-4, 4, 9), requires_grad=True)
    Swish()(z).sum().backward()
    reference = gn.tensor(np.linspace(-4, 4, 9), requires_grad=True)
    nn.SiLU()(reference).sum().backward()
    assert np.allclose(z.grad, reference.grad, atol=1e-12)
    X, y = gn.data.make_moons(200, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 16, generator=0), Swish(), nn.Linear(16, 2, generator=1))
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y,
                  epochs=20, batch_size=32, seed=0, verbose=0)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert model(gn.tensor(X)).dtype == np.float32  # the user's float64 NumPy result is cast back


def test_a_kink_accepts_either_one_sided_slope() -> None:
    Relu = custom.activation("my_relu", lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0)  # 0 at 0
    assert ACTIVATIONS["my_relu"] is Relu


def test_a_composed_activation_is_derived_by_backward() -> None:
    Swish = custom.activation("composed_swish", lambda t: t / (1 + (-t).exp()))
    z = gn.tensor(np.linspace(-3, 3, 7), requires_grad=True)
    reference = gn.tensor(np.linspace(-3, 3, 7), requires_grad=True)
    Swish()(z).sum().backward()
    nn.SiLU()(reference).sum().backward()
    assert np.allclose(z.grad, reference.grad, atol=1e-12)
    X, y = _data()
    assert check_gradients(_net(Swish()), X, y, nn.MSELoss()).ok


def test_a_composed_activation_that_leaves_the_graph_is_refused() -> None:
    with pytest.raises(GradcheckError) as error:  # np.sin on .array: backward sees no dependence
        custom.activation("raw_sine", lambda t: gn.tensor(np.sin(t.array)))
    x, _, given, numeric, _ = _parse(error)
    assert given == 0.0 and numeric == pytest.approx(np.cos(x))


def test_built_in_names_are_refused() -> None:
    with pytest.raises(GlassnetError, match="'relu' is a built-in activation"):
        custom.activation("relu", np.tanh, lambda z: 1 - np.tanh(z) ** 2)
    with pytest.raises(GlassnetError, match="'mse' is a built-in loss"):
        custom_losses.loss("mse", lambda x, y: (x - y) ** 2, lambda x, y: 2 * (x - y))
    with pytest.raises(GlassnetError, match="cannot be unregistered"):
        custom.unregister("tanh")
    with pytest.raises(GlassnetError, match="no custom activation named 'nothing'"):
        custom.unregister("nothing")
    assert ACTIVATIONS["relu"] is nn.ReLU and LOSSES["mse"] is nn.MSELoss


def test_unregister_removes_a_custom_activation() -> None:
    custom.activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    custom.unregister("cube")
    assert "cube" not in ACTIVATIONS


# ----------------------------------------------------------------------------- custom losses
def _log_cosh(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.log(np.cosh(x - y))


def test_a_correct_loss_registers_reduces_and_trains_in_fit() -> None:
    LogCosh = custom_losses.loss("log_cosh", _log_cosh, lambda x, y: np.tanh(x - y))
    assert LOSSES["log_cosh"] is LogCosh
    x, y = np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])
    per_element = _log_cosh(x, y)
    assert np.allclose(LogCosh(reduction="none")(gn.tensor(x), y).array, per_element)
    assert LogCosh(reduction="sum")(gn.tensor(x), y).item() == pytest.approx(per_element.sum())
    t = gn.tensor(x, requires_grad=True)
    LogCosh()(t, y).backward()  # mean: ∂/∂x = tanh(x − y) / n
    assert np.allclose(t.grad, np.tanh(x - y) / 4)
    with pytest.raises(GlassnetError, match="reduction"):
        LogCosh(reduction="max")
    X, _ = _data(64)
    target = (np.sin(2 * X[:, :1]) + 0.5 * X[:, 1:2]).astype(np.float32)  # learnable from X
    model = _net(nn.Tanh())
    history = fit(model, LogCosh(), optim.Adam(model.parameters(), lr=0.02), X, target,
                  epochs=30, batch_size=16, seed=0, verbose=0)
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert check_gradients(model, X[:6], target[:6], LogCosh()).ok


def test_registering_a_wrong_loss_derivative_names_input_target_and_numbers() -> None:
    with pytest.raises(GradcheckError) as error:  # ℓ = (x − y)², ∂ℓ/∂x given as (x − y): half
        custom_losses.loss("half_mse", lambda x, y: (x - y) ** 2, lambda x, y: x - y,
                           points=([2.0], [0.5]))
    assert "custom loss 'half_mse'" in str(error.value)
    x, y, given, numeric, _ = _parse(error)
    assert (x, y, given) == (2.0, 0.5, 1.5) and numeric == pytest.approx(3.0, abs=1e-8)
    assert "half_mse" not in LOSSES


def test_a_composed_loss_matches_the_built_in() -> None:
    Squared = custom_losses.loss("composed_mse", lambda x, y: (x - y) * (x - y))
    x, y = np.random.default_rng(2).standard_normal((4, 3)), np.zeros((4, 3))
    ours, theirs = gn.tensor(x, requires_grad=True), gn.tensor(x, requires_grad=True)
    Squared()(ours, y).backward()
    nn.MSELoss()(theirs, y).backward()
    assert np.allclose(ours.grad, theirs.grad, atol=1e-12)
    custom_losses.unregister("composed_mse")
    assert "composed_mse" not in LOSSES
