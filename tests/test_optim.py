"""Every optimizer follows torch.optim's parameter trajectory on a small MLP, step for step."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim
from glassnet.optim import kernels
from oracle import assert_close, to_torch
from test_array_api import assert_same, strict

STEPS = 100
RTOL = 1e-10

X = np.random.default_rng(0).standard_normal((16, 4))  # (n_samples, n_features)
Y = np.random.default_rng(1).standard_normal((16, 3))  # (n_samples, n_outputs)


def _tanh(z: gn.Tensor) -> gn.Tensor:
    return 1.0 - 2.0 / (gn.exp(2.0 * z) + 1.0)  # tanh(z) = (e²ᶻ − 1)/(e²ᶻ + 1)


class _MLP(nn.Module):
    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 8, dtype=np.float64, generator=seed)
        self.out = nn.Linear(8, 3, dtype=np.float64, generator=seed + 1)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.out(_tanh(self.hidden(x)))


def _pair(seed: int = 0) -> tuple[_MLP, torch.nn.Sequential]:
    ours = _MLP(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(to_torch(p))
    return ours, theirs


def _loss_ours(model: _MLP) -> gn.Tensor:
    return ((model(gn.tensor(X)) - gn.tensor(Y)) ** 2).mean()  # MSE composed from ops


def _train(model: _MLP, opt: optim.Optimizer, steps: int) -> None:
    for _ in range(steps):
        opt.zero_grad()
        _loss_ours(model).backward()
        opt.step()


def _train_torch(model: torch.nn.Module, opt: torch.optim.Optimizer, steps: int) -> None:
    x, y = to_torch(X), to_torch(Y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()


def _assert_same_params(ours: _MLP, theirs: torch.nn.Module, rtol: float = RTOL) -> None:
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert_close(p, q, rtol=rtol, atol=1e-13)


CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=1e-3)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=5e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=1e-3, maximize=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.2, amsgrad=True, betas=(0.5, 0.9))),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, momentum=0.5)),
    ("RMSprop", dict(lr=1e-3, centered=True)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True, weight_decay=1e-2, eps=1e-6)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=1e-2, initial_accumulator_value=0.1, eps=1e-8)),
    ("Adamax", dict(lr=1e-2)),
    ("Adamax", dict(lr=1e-2, betas=(0.8, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=1e-2, momentum_decay=1e-2)),
    ("NAdam", dict(lr=5e-3, weight_decay=0.05, decoupled_weight_decay=True, betas=(0.8, 0.99))),
    ("RAdam", dict(lr=1e-2)),  # ρₜ > 5 from t = 6 on: both branches run
    ("RAdam", dict(lr=1e-2, weight_decay=0.1, betas=(0.9, 0.99))),
    ("RAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(name: str, kwargs: dict[str, Any], compiled: bool,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Both forms of every rule: compiled loops where a rule has one, and the NumPy form."""
    monkeypatch.setattr(kernels, "ENABLED", compiled)
    ours, theirs = _pair()
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    ref = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    start = [p.array.copy() for p in ours.parameters()]
    for _ in range(STEPS // 20):
        _train(ours, opt, 20)
        _train_torch(theirs, ref, 20)
        _assert_same_params(ours, theirs)
    assert not np.allclose(start[0], ours.hidden.weight.array)  # it moved: the test can fail


def test_internal_state_matches_torchs_buffers() -> None:
    ours, theirs = _pair()
    opt = optim.Adam(ours.parameters(), lr=1e-2, amsgrad=True)
    ref = torch.optim.Adam(theirs.parameters(), lr=1e-2, amsgrad=True)
    _train(ours, opt, 30)
    _train_torch(theirs, ref, 30)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert set(opt.state[p]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
        assert opt.state[p]["step"] == int(ref.state[q]["step"]) == 30
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert_close(opt.state[p][key], ref.state[q][key], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_per_group_options_match_torch(name: str) -> None:
    ours, theirs = _pair(3)
    extra = dict(momentum=0.9) if name != "Adam" else dict(betas=(0.8, 0.99))
    opt = getattr(optim, name)([{"params": ours.hidden.parameters(), "lr": 0.05},
                                {"params": ours.out.parameters(), "weight_decay": 0.1, **extra}], lr=0.01)
    ref = getattr(torch.optim, name)([{"params": theirs[0].parameters(), "lr": 0.05},
                                      {"params": theirs[2].parameters(), "weight_decay": 0.1, **extra}],
                                     lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01]
    _train(ours, opt, STEPS)
    _train_torch(theirs, ref, STEPS)
    _assert_same_params(ours, theirs)


def _is_plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, int | str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str | np.ndarray)


RESUMABLE: dict[str, dict[str, Any]] = {
    "SGD": dict(lr=0.05, momentum=0.9), "Adam": dict(lr=1e-2, amsgrad=True), "NAdam": dict(lr=2e-3),
    "Adagrad": dict(lr=0.05), "RMSprop": dict(lr=1e-3, momentum=0.9, centered=True),
}  # fmt: skip


@pytest.mark.parametrize("name", RESUMABLE)
def test_state_dict_round_trip_continues_bit_identically(name: str) -> None:
    kwargs = RESUMABLE[name]
    ours, theirs = _pair(5)
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    ref = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    _train(ours, opt, 50)
    _train_torch(theirs, ref, 50)
    saved = opt.state_dict()
    assert _is_plain(saved)
    resumed = _MLP(99)  # other weights, then the saved ones
    resumed.load_state_dict(ours.state_dict())
    opt2 = getattr(optim, name)(resumed.parameters(), lr=123.0)  # lr comes back from the state
    opt2.load_state_dict(saved)
    for array in saved["state"][0].values():
        if isinstance(array, np.ndarray):
            array += 1.0  # the loaded optimizer owns copies
    _train(ours, opt, 50)
    _train(resumed, opt2, 50)
    _train_torch(theirs, ref, 50)
    for p, q in zip(ours.parameters(), resumed.parameters(), strict=True):
        assert np.array_equal(p.array, q.array)
    _assert_same_params(resumed, theirs)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-2)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=1e-2, weight_decay=1e-2)),
    ("AdamW", dict(lr=1e-2, amsgrad=True)),
])  # fmt: skip
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_steps_on_array_api_strict_arrays_give_numpys_numbers(name: str, kwargs: dict[str, Any],
                                                              dtype: type) -> None:
    """The rules take their array module from θ; device1's arrays refuse to become NumPy arrays."""
    rng = np.random.default_rng(0)
    theta, grads = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((3, 4, 3)).astype(dtype)
    ours, theirs = nn.Parameter(theta.copy()), nn.Parameter(strict(theta))
    opt, opt_strict = getattr(optim, name)([ours], **kwargs), getattr(optim, name)([theirs], **kwargs)
    for g in grads:
        ours.grad, theirs.grad = g, strict(g)
        opt.step()
        opt_strict.step()
    assert_same(theirs.array, ours.array)
    assert opt_strict.state[theirs].keys() == opt.state[ours].keys()
    for key, value in opt.state[ours].items():
        if isinstance(value, np.ndarray):
            assert_same(opt_strict.state[theirs][key], value)


def test_step_skips_parameters_without_gradient_and_zero_grad_modes() -> None:
    w, frozen = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([w, frozen], lr=0.1)
    w.grad = np.array([1.0, -1.0])
    opt.step()
    assert np.array_equal(frozen.array, np.ones(2)) and frozen not in opt.state
    assert not np.array_equal(w.array, np.ones(2))
    opt.zero_grad(set_to_none=False)
    assert np.array_equal(w.grad, np.zeros(2)) and frozen.grad is None
    opt.zero_grad()
    assert w.grad is None


def test_adam_worked_example_by_hand() -> None:
    w = nn.Parameter(np.array([1.0]))
    opt = optim.Adam([w], lr=0.1, eps=0.0)
    w.grad = np.array([0.5])
    opt.step()
    # m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025; m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25
    # u = 0.5/√0.25 = 1  →  w = 1 − 0.1·1 = 0.9
    assert w.array[0] == pytest.approx(0.9, rel=1e-14)
    w.grad = np.array([0.25])
    opt.step()
    # m = 0.9·0.05 + 0.1·0.25 = 0.07,  v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
    # m̂ = 0.07/0.19 ≈ 0.368421,  v̂ = 0.00031225/0.001999 ≈ 0.156203,  √v̂ ≈ 0.395225
    # w = 0.9 − 0.1·m̂/√v̂ ≈ 0.9 − 0.1·0.932180 = 0.806782
    expected = 0.9 - 0.1 * (0.07 / 0.19) / math.sqrt(0.00031225 / 0.001999)
    assert w.array[0] == pytest.approx(expected, rel=1e-12)
    assert w.array[0] == pytest.approx(0.806782, abs=1e-6)


@pytest.mark.parametrize(("make", "match"), [
    (lambda w: optim.SGD([w], lr=-0.1), r"invalid lr=-0.1; .* e\.g\. lr=0\.001 \(the default\)"),
    (lambda w: optim.SGD([w], lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda w: optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
    (lambda w: optim.Adam([w], betas=(1.0, 0.999)), "betas"),
    (lambda w: optim.AdamW([w], betas=(0.9, -0.1)), "betas"),
    (lambda w: optim.RMSprop([w], alpha=-1.0), "alpha"),
    (lambda w: optim.Adagrad([w], lr_decay=-1.0), "lr_decay"),
    (lambda w: optim.NAdam([w], momentum_decay=-1.0), "momentum_decay"),
    (lambda w: optim.Adam([w], eps=float("nan")), "eps"),
    (lambda w: optim.Adam([{"params": [w], "weight_decay": -1.0}]), "weight_decay"),
    (lambda w: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda w: optim.SGD([w, w], lr=0.1), "appears twice"),
    (lambda w: optim.SGD(w, lr=0.1), "single Tensor"),
    (lambda w: optim.SGD([np.zeros(2)], lr=0.1), "floating-point Tensors"),
])  # fmt: skip
def test_invalid_arguments_raise_helpful_errors(make: Any, match: str) -> None:
    with pytest.raises(gn.GlassnetError, match=match):
        make(nn.Parameter(np.zeros(2)))


def test_load_state_dict_rejects_another_layout() -> None:
    a, b = _MLP(0), nn.Linear(4, 8, dtype=np.float64)
    saved = optim.Adam(a.parameters()).state_dict()
    with pytest.raises(gn.GlassnetError, match="groups of sizes"):
        optim.Adam(b.parameters()).load_state_dict(saved)


def test_registry_names_classes_with_torch_defaults_and_formulas() -> None:
    assert set(optim.OPTIMIZERS) == {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam", "radam"}
    w = nn.Parameter(np.zeros(1))
    for name, cls in optim.OPTIMIZERS.items():
        assert cls.__name__.lower() == name
        assert isinstance(cls.formula, gn.Formula) and cls.formula.name == cls.__name__
        assert cls.formula.text and cls.formula.latex and "θ" in cls.formula.derivative_text
        ours = cls([w]).defaults
        theirs = getattr(torch.optim, cls.__name__)([torch.zeros(1, requires_grad=True)]).defaults
        shared = [k for k in ours if k not in GLASSNET_ONLY]
        assert {k: ours[k] for k in shared} == {k: theirs[k] for k in shared}, name
        assert all(ours[k] is False for k in ours if k in GLASSNET_ONLY)  # off: PyTorch's behaviour


GLASSNET_ONLY = {"lr_in_momentum"}  # options PyTorch lacks (SGD's, for scikit-learn's MLP)


@pytest.mark.parametrize("nesterov", [False, True])
def test_lr_in_momentum_follows_scikit_learns_velocity_under_a_changing_lr(nesterov: bool) -> None:
    """SGD(lr_in_momentum=True) against scikit-learn's own SGDOptimizer (v ← μv − lr·g, θ ← θ + v)
    while the learning rate changes every few steps; the default (PyTorch's) rule differs there."""
    sklearn_optimizers = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    rng = np.random.default_rng(0)
    theta = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    theirs = [t.copy() for t in theta]
    ours = [nn.Parameter(t.copy()) for t in theta]
    torch_like = [nn.Parameter(t.copy()) for t in theta]
    ref = sklearn_optimizers.SGDOptimizer(theirs, 0.1, "constant", momentum=0.9, nesterov=nesterov)
    opt = optim.SGD(ours, lr=0.1, momentum=0.9, nesterov=nesterov, lr_in_momentum=True)
    plain = optim.SGD(torch_like, lr=0.1, momentum=0.9, nesterov=nesterov)
    for step in range(30):
        lr = 0.1 / (1 + step // 5) ** 0.5  # a new lr every 5 steps, as invscaling after each epoch
        ref.learning_rate = opt.param_groups[0]["lr"] = plain.param_groups[0]["lr"] = lr
        grads = [rng.standard_normal(t.shape) for t in theta]
        ref.update_params(theirs, grads)
        for p, q, g in zip(ours, torch_like, grads, strict=True):
            p.grad, q.grad = g.copy(), g.copy()
        opt.step()
        plain.step()
    for p, t in zip(ours, theirs, strict=True):
        assert_close(p.data, t, rtol=1e-10, atol=1e-12)
    assert not np.allclose(torch_like[0].data, theirs[0], rtol=1e-3)  # the default rule does differ


def test_lr_in_momentum_needs_a_positive_lr() -> None:
    w = nn.Parameter(np.ones(2))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, lr_in_momentum=True)
    opt.param_groups[0]["lr"] = 0.0
    w.grad = np.ones(2)
    with pytest.raises(gn.GlassnetError, match="lr_in_momentum=True\\) needs lr > 0"):
        opt.step()
