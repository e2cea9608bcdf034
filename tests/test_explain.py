"""explain: the walkthrough's numbers are the engine's, digit for digit (issue 6)."""

from __future__ import annotations

import copy
import re
from html import escape

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.cli import main
from glassnet.explain import Walkthrough, explain
from glassnet.nn.activations import ACTIVATIONS
from glassnet.regularizers import L1, L2


def classic() -> nn.Sequential:
    net = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Sigmoid(),
                        nn.Linear(2, 1, dtype=np.float64), nn.Sigmoid())
    net.load_state_dict({"0.weight": np.array([[0.15, 0.20], [0.25, 0.30]]), "0.bias": np.array([0.35, 0.35]),
                         "2.weight": np.array([[0.40, 0.45]]), "2.bias": np.array([0.60])})
    return net


def test_worked_example_digit_for_digit() -> None:
    # The numbers of tests/test_worked_example.py (each worked out by hand there).
    net = classic()
    opt = optim.SGD(net.parameters(), lr=0.5)
    w = explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), opt, digits=10)
    close = dict(rtol=0, atol=1e-15)
    np.testing.assert_allclose(w.find("linear", 1)[0].value, [[0.50, 0.60]], **close)
    a1 = [[0.6224593312018546, 0.6456563062257954]]
    np.testing.assert_allclose(w.find("activation", 1)[0].value, a1, **close)
    np.testing.assert_allclose(w.find("activation", 2)[0].value, [[0.7575931652488075]], **close)
    assert w.loss == pytest.approx(0.058761073534091955, abs=1e-15)
    np.testing.assert_allclose(w.find("delta", 2)[0].value, [[-0.08903397538422131]], **close)
    delta1 = [[-0.008369325890942959, -0.009166306694902109]]
    np.testing.assert_allclose(w.find("delta", 1)[0].value, delta1, **close)
    grads = w.find("grad", 2)[0].grads
    np.testing.assert_allclose(grads["2.weight"], [[-0.05542002877190478, -0.05748534767517472]], **close)
    np.testing.assert_allclose(grads["2.bias"], [-0.08903397538422131], **close)
    np.testing.assert_allclose(w.find("grad", 1)[0].grads["0.weight"],
                               [[-0.008369325890942959, 0.0], [-0.009166306694902109, 0.0]], **close)
    new = {s.title.split()[1]: s.value for s in w.find("update")}
    np.testing.assert_allclose(new["W²"], [[0.4277100143859524, 0.4787426738375874]], **close)
    np.testing.assert_allclose(new["b²"], [0.6445169876921106], **close)
    np.testing.assert_allclose(new["W¹"], [[0.15418466294547148, 0.20], [0.2545831533474511, 0.30]], **close)
    np.testing.assert_allclose(new["b¹"], [0.35418466294547146, 0.35458315334745105], **close)
    text = str(w)
    for shown in ("0.6224593312", "0.7575931652", "0.05876107353", "-0.08903397538", "-0.05542002877",
                  "-0.008369325891", "0.42771001", "0.64451698", "0.15418466"):
        assert shown in text, shown
    assert "0.7576" in explain(net, [1.0, 0.0], [1.0], nn.MSELoss()).to_text()  # 4 digits by default
    assert "σ(z) = 1 / (1 + exp(-z))" in text and nn.MSELoss.formula.derivative_text in text


def _net(activation: type[nn.Module], n_out: int, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(3, 4, dtype=np.float64, generator=rng), activation(),
                         nn.Linear(4, 3, dtype=np.float64, generator=rng), activation(),
                         nn.Linear(3, n_out, dtype=np.float64, generator=rng))


LOSSES = {"mse": (nn.MSELoss, 2), "cross_entropy": (nn.CrossEntropyLoss, 3),
          "bce_with_logits": (nn.BCEWithLogitsLoss, 1), "huber": (nn.HuberLoss, 2), "l1": (nn.L1Loss, 2),
          "smooth_l1": (nn.SmoothL1Loss, 2), "nll": (nn.NLLLoss, 3), "kl_div": (nn.KLDivLoss, 3),
          "poisson_nll": (nn.PoissonNLLLoss, 2), "bce": (nn.BCELoss, 1),
          "gaussian_nll": (nn.GaussianNLLLoss, 2)}
# BCELoss gets a network ending in Sigmoid; GaussianNLLLoss gets a variance, explain(..., var=...).
OPTIMIZERS = {"sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9), "adam": lambda p: optim.Adam(p, lr=0.01),
              "adamw": lambda p: optim.AdamW(p, lr=0.01), "rmsprop": lambda p: optim.RMSprop(p, lr=0.01),
              "adagrad": lambda p: optim.Adagrad(p, lr=0.1), "adamax": lambda p: optim.Adamax(p, lr=0.01),
              "nadam": lambda p: optim.NAdam(p, lr=0.01), "radam": lambda p: optim.RAdam(p, lr=0.01)}
SMOOTH = [name for name in ACTIVATIONS if name not in ("relu", "leaky_relu", "hardtanh", "identity")]


def _net_for(activation: type[nn.Module], loss_name: str, seed: int) -> nn.Sequential:
    """The test network for a loss: BCELoss gets probabilities, from a final Sigmoid."""
    net = _net(activation, LOSSES[loss_name][1], seed)
    return nn.Sequential(*net, nn.Sigmoid()) if loss_name == "bce" else net


def _target(loss: str, n_out: int, rng: np.random.Generator) -> np.ndarray:
    if loss in ("cross_entropy", "nll"):
        return rng.integers(0, n_out, size=2)
    if loss == "kl_div":  # a probability distribution per sample
        p = rng.random((2, n_out)) + 0.1
        return p / p.sum(axis=1, keepdims=True)
    if loss == "bce":  # 0/1 labels
        return (rng.random((2, n_out)) > 0.5).astype(np.float64)
    if loss == "poisson_nll":  # counts
        return rng.integers(0, 5, size=(2, n_out)).astype(np.float64)
    if loss == "bce_with_logits":
        return (rng.random((2, n_out)) > 0.5).astype(np.float64)
    return rng.normal(size=(2, n_out))


def _var(loss: str, n_out: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """explain's keyword var= for GaussianNLLLoss (a positive variance per output), none for the others."""
    return {"var": rng.random((2, n_out)) + 0.5} if loss == "gaussian_nll" else {}


def _engine_grads(net: nn.Module, X: np.ndarray, y: np.ndarray, loss: nn.Module, regs: list,
                  *args: np.ndarray) -> dict:
    data = loss(net(gn.tensor(X)), gn.tensor(y), *args)
    penalties = [r(net) for r in regs]
    total = data + sum(penalties) if penalties else data
    total.backward()
    return {name: p.grad for name, p in net.named_parameters()}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_gradients_are_the_engines(activation: str, loss_name: str) -> None:
    rng = np.random.default_rng(hash((activation, loss_name)) % 2**32)
    cls, n_out = LOSSES[loss_name]
    net = _net_for(ACTIVATIONS[activation], loss_name, 1)
    X, y = rng.normal(size=(2, 3)), _target(loss_name, n_out, rng)
    var = _var(loss_name, n_out, rng)
    w = explain(net, X, y, cls(), **var)
    twin = copy.deepcopy(net)
    expected = _engine_grads(twin, X, y, cls(), [], *var.values())
    shown = {k: v for s in w.find("grad") for k, v in s.grads.items()}
    assert shown.keys() == expected.keys()
    for name, g in expected.items():
        assert np.array_equal(shown[name], g), name
        assert np.array_equal(w.grads[name], g), name
    assert all(p.grad is None for p in net.parameters())  # the user's model is untouched
    if activation in SMOOTH and loss_name not in ("l1", "smooth_l1"):
        for name, p in copy.deepcopy(net).named_parameters():  # central differences, float64
            numeric = np.zeros_like(p.array)
            for i in np.ndindex(p.shape):
                old = p.array[i]
                p.array[i] = old + 1e-6
                up = cls()(net_with(net, name, p.array)(gn.tensor(X)), gn.tensor(y), *var.values()).item()
                p.array[i] = old - 1e-6
                down = cls()(net_with(net, name, p.array)(gn.tensor(X)), gn.tensor(y), *var.values()).item()
                p.array[i] = old
                numeric[i] = (up - down) / 2e-6
            np.testing.assert_allclose(shown[name], numeric, rtol=1e-4, atol=1e-7)


def net_with(net: nn.Module, name: str, value: np.ndarray) -> nn.Module:
    """A copy of net with one parameter replaced."""
    twin = copy.deepcopy(net)
    twin.load_state_dict({name: value}, strict=False)
    return twin


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_update_is_a_real_step_and_leaves_the_optimizer_alone(opt_name: str) -> None:
    rng = np.random.default_rng(3)
    net = _net(nn.Tanh, 2, 2)
    X, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    regs = [L1(0.01), L2(0.02)]
    opt = OPTIMIZERS[opt_name](net.parameters())
    for _ in range(2):  # some state to carry over
        opt.zero_grad()
        _engine_grads(net, X, y, nn.MSELoss(), regs)
        opt.step()
    before, state = net.state_dict(), opt.state_dict()
    w = explain(net, X, y, nn.MSELoss(), opt, regs)
    twin = copy.deepcopy(net)
    twin_opt = OPTIMIZERS[opt_name](twin.parameters())
    twin_opt.load_state_dict(state)
    twin.zero_grad()
    expected = _engine_grads(twin, X, y, nn.MSELoss(), regs)
    for name, g in expected.items():
        assert np.array_equal(w.grads[name], g), name
    twin_opt.step()
    updates = {s.title.split("(")[1].split(")")[0]: s for s in w.find("update")}
    for name, p in twin.named_parameters():
        assert np.array_equal(updates[name].value, p.array), name
        for key, value in twin_opt.state[p].items():
            assert np.array_equal(updates[name].grads[key], np.asarray(value)), (name, key)
    assert all(np.array_equal(v, net.state_dict()[k]) for k, v in before.items())
    after = opt.state_dict()
    assert after["param_groups"] == state["param_groups"]
    for i, buffers in state["state"].items():
        for key, value in buffers.items():
            assert np.array_equal(after["state"][i][key], value)
    assert len(w.find("regularizer")) == 3 and len(w.find("total")) == 6


def test_adam_shows_bias_corrected_moments() -> None:
    net = classic()
    w = explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.Adam(net.parameters(), lr=0.1))
    step = w.find("update")[-1]
    g = step.grads["g"]
    np.testing.assert_allclose(step.grads["m_hat"], g, rtol=1e-12)  # m̂ = g at t = 1
    np.testing.assert_allclose(step.grads["v_hat"], g * g, rtol=1e-12)
    assert "m̂ = m / (1 − β₁ᵗ)" in step.substituted and "exp_avg_sq" in step.substituted


def test_truncation_and_markdown() -> None:
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(10, 8, dtype=np.float64, generator=0), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(8, 3, dtype=np.float64, generator=1))
    net.eval()
    X, y = rng.normal(size=(2, 10)), np.array([0, 2])
    short = explain(net, X, y, nn.CrossEntropyLoss(), max_items=3)
    assert "…" in str(short) and "(shape (8, 10))" in str(short)
    full = explain(net, X, y, nn.CrossEntropyLoss(), max_items=None)
    assert "…" not in str(full) and "shape" not in str(full)
    md = full.to_markdown()
    assert "## Backward pass" in md and "```text" in md and "|---|" in md
    assert f"${nn.Linear.formula.latex}$" in md
    assert isinstance(short, Walkthrough)
    with pytest.raises(gn.GlassnetError, match="eval mode"):
        explain(net.train(), X, y, nn.CrossEntropyLoss())


@pytest.mark.parametrize("bad", [nn.Sequential(nn.Sigmoid(), nn.Linear(2, 1)), nn.Linear(2, 1)])
def test_unsupported_models_are_refused(bad: nn.Module) -> None:
    with pytest.raises(gn.GlassnetError):
        explain(bad, [1.0, 0.0], [1.0], nn.MSELoss())


def test_cli_default_prints_the_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    for shown in ("z¹₁ = 1·0.15 + 0·0.2 + 0.35 = 0.5", "z¹₂ = 1·0.25 + 0·0.3 + 0.35 = 0.6",
                  "[0.6225, 0.6457]", "0.05876", "δ² = ∂L/∂a² ⊙ f′(z²) = (-0.4848)·0.1836 = [-0.08903]",
                  "= [[0.154185, 0.2],\n", "[0.254583, 0.3]]"):
        assert shown in out, shown


@pytest.mark.parametrize("argv", [["--loss", "cross_entropy", "--optimizer", "adam", "--l2", "0.01"],
                                  ["--layers", "3,2", "--activation", "tanh", "--format", "md", "--all"],
                                  ["--sample", "0", "--l1", "0.1", "--optimizer", "rmsprop"],
                                  ["--loss", "gaussian_nll", "--var", "0.5"]])
def test_cli_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *argv]) == 0
    assert "Backward" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--sample", "9"], ["--activation", "foo"], ["--format", "pdf"],
                                  ["--model", "nope.safetensors"], ["--data", "xor"], ["--lr", "-1"],
                                  ["--loss", "mse", "--var", "0.5"],
                                  ["--loss", "gaussian_nll", "--var", "0"]])
def test_cli_errors_are_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet: error:") and err.count("\n") == 1


def test_cli_explains_gaussian_nll_with_its_variance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--loss", "gaussian_nll"]) == 0  # var 1 by default
    assert "s² = max(var, ε) = max(1, 1e-06) = 1" in capsys.readouterr().out
    assert main(["explain", "--loss", "gaussian_nll", "--var", "0.25"]) == 0
    assert "s² = max(var, ε) = max(0.25, 1e-06) = 0.25" in capsys.readouterr().out


class _WeightedMSE(nn.Module):
    """A loss of three arguments that explain does not know: refused, not called wrongly."""

    def forward(self, input: gn.Tensor, target: gn.Tensor, weight: gn.Tensor) -> gn.Tensor:
        return (weight * (input - target) ** 2).mean()


def test_var_is_required_by_gaussian_nll_and_refused_elsewhere() -> None:
    net = _net(nn.Tanh, 2, 0)
    X, y = np.ones((2, 3)), np.ones((2, 2))
    Error = gn.GlassnetError
    with pytest.raises(Error, match=r"GaussianNLLLoss also needs var; pass .*explain\(\.\.\., var="):
        explain(net, X, y, nn.GaussianNLLLoss())
    with pytest.raises(Error, match=r"MSELoss takes no variance \(only GaussianNLLLoss .*leave var out"):
        explain(net, X, y, nn.MSELoss(), var=np.ones((2, 2)))
    with pytest.raises(gn.GlassnetError, match="_WeightedMSE also needs weight"):
        explain(net, X, y, _WeightedMSE())
    with pytest.raises(gn.GlassnetError, match=r"var of shape \(3,\) for input of shape \(2, 2\)"):
        explain(net, X, y, nn.GaussianNLLLoss(), var=np.ones(3))  # the loss's own shape check
    with pytest.raises(gn.GlassnetError, match="negative var"):
        explain(net, X, y, nn.GaussianNLLLoss(), var=-np.ones((2, 2)))


def _gaussian_case(var_shape: tuple[int, ...], reduction: str) -> tuple[nn.Sequential, np.ndarray, np.ndarray,
                                                                       np.ndarray, nn.GaussianNLLLoss]:
    """A tanh network 3-4-3-2, two samples, a var of var_shape with entries below eps = 0.3."""
    rng = np.random.default_rng(7)
    net = _net(nn.Tanh, 2, 4)
    X, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    var = np.where(rng.random(var_shape) > 0.5, 0.1, 1.5) + rng.random(var_shape)  # some below eps
    return net, X, y, var, nn.GaussianNLLLoss(eps=0.3, reduction=reduction)


@pytest.mark.parametrize("var_shape", [(2, 2), (2, 1), (2,), ()])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gaussian_nll_shows_var_clamped_and_delta_from_the_engine(var_shape: tuple[int, ...],
                                                                   reduction: str) -> None:
    net, X, y, var, loss = _gaussian_case(var_shape, reduction)
    given = float(var) if var.ndim == 0 else var
    w = explain(net, X, y, loss, optim.SGD(net.parameters(), lr=0.1), var=given)
    out = net(gn.tensor(X)).array  # (2, 2)
    expected = _engine_grads(copy.deepcopy(net), X, y, loss, [], given)
    assert w.loss == loss(gn.tensor(out), y, given).item()
    for name, g in expected.items():
        assert np.array_equal(w.grads[name], g), name
    step = w.find("loss")[0]
    v = np.maximum(var.reshape(2, 1) if var.ndim == 1 else var, 0.3)  # the clamp, (2, 1) per row
    np.testing.assert_array_equal(step.grads["v"], v)
    assert step.grads["loss_elements"].shape == (2, 2)
    reduce = np.mean if reduction == "mean" else np.sum
    assert reduce(step.grads["loss_elements"]) == pytest.approx(w.loss, rel=1e-14)
    # δ at the output (no activation there) is the engine's ∂L/∂ŷ = (ŷ − y)/v, ÷ N = 4 for 'mean'
    delta = w.find("delta", 3)[0]
    n = 4 if reduction == "mean" else 1
    np.testing.assert_allclose(delta.value, (out - y) / v / n, rtol=1e-13)
    text = str(w)
    assert any(line.startswith("s² = max(var, ε) = max(") for line in step.substituted.splitlines())
    assert ", 0.3) = " in text
    assert "ℓ = ½(log s² + (ŷ − y)²/s²)" in text and f"L = {reduction}(ℓ)" in text
    assert ("(ŷ − y)/s² / N" in delta.substituted) == (reduction == "mean")
    assert ("N = 4, the elements of ŷ" in delta.substituted) == (reduction == "mean")


def test_gaussian_nll_numbers_worked_by_hand() -> None:
    # One Linear 1 → 1 with W = 2, b = 0 on x = 1: ŷ = 2; y = 1, var = 0.5 (eps = 1e-6 leaves it).
    # ℓ = ½(log 0.5 + (2 − 1)²/0.5) = ½(−0.693147 + 2) = 0.653426; δ = (2 − 1)/0.5 = 2 (N = 1);
    # ∂L/∂W = δ·x = 2, ∂L/∂b = δ = 2.
    net = nn.Sequential(nn.Linear(1, 1, dtype=np.float64))
    net.load_state_dict({"0.weight": np.array([[2.0]]), "0.bias": np.array([0.0])})
    w = explain(net, [1.0], [1.0], nn.GaussianNLLLoss(), var=[0.5])
    assert w.loss == pytest.approx(0.5 * (np.log(0.5) + 2.0), abs=1e-15)
    assert w.grads["0.weight"].tolist() == [[2.0]] and w.grads["0.bias"].tolist() == [2.0]
    text = str(w)
    assert "s² = max(var, ε) = max([0.5], 1e-06) = [0.5]" in text and "= [0.6534]" in text
    assert "∂L/∂z¹ = (ŷ − y)/s² / N = ([2] − [1])/[0.5] / 1 = [2]" in text
    assert "(reduction='mean': N = 1" in text


def test_gaussian_nll_renders_in_every_format() -> None:
    net, X, y, var, loss = _gaussian_case((2, 2), "mean")
    w = explain(net, X, y, loss, optim.Adam(net.parameters(), lr=0.01), L2(0.01), var=var)
    step, delta = w.find("loss")[0], w.find("delta", 3)[0]
    text, md, page = w.to_text(), w.to_markdown(), w.to_html()
    assert nn.GaussianNLLLoss.formula.text in text and step.substituted.splitlines()[0] in text
    assert "(ŷ − y)/s² / N" in text and "var = [[" in text and "s² = max(var, ε)" in text
    formula = nn.GaussianNLLLoss.formula
    assert f"${formula.latex}$" in md and f"${formula.derivative_latex}$" in md
    assert f"```text\n{step.substituted}\n```" in md and f"```text\n{delta.substituted}\n```" in md
    assert page.startswith("<!DOCTYPE html>") and escape(step.substituted) in page
    assert f'<div class="math">{escape(nn.GaussianNLLLoss.formula.latex)}</div>' in page
    assert escape(delta.substituted) in page


def test_a_single_sample_var_gets_the_batch_axis() -> None:
    net, X, y, var, loss = _gaussian_case((2, 2), "mean")
    one, batch = explain(net, X[0], y[0], loss, var=var[0]), explain(net, X[:1], y[:1], loss, var=var[:1])
    assert one.loss == batch.loss and one.to_text() == batch.to_text()
    for name, g in batch.grads.items():
        assert np.array_equal(one.grads[name], g), name


def _divisor(note: str) -> float:
    """N as the note after δ at the output states it: 'N = 6, the elements ...' or 'N = Σ w_y = 4.5, ...'."""
    found = re.search(r"\(reduction='\w+': (?:includes 1/N, )?N = (?:Σ w_y = )?([0-9.]+)", note)
    assert found is not None, note
    return float(found.group(1))

def test_mse_divides_by_the_elements_of_the_output() -> None:
    # A 3 → 2 linear network on a batch of 3: L = Σ(ŷ − y)²/6, so δ = ∂L/∂ŷ = 2(ŷ − y)/6 and 6·δ = 2(ŷ − y).
    rng = np.random.default_rng(3)
    net = nn.Sequential(nn.Linear(3, 2, dtype=np.float64, generator=rng))
    X, y = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    delta = explain(net, X, y, nn.MSELoss()).find("delta", 1)[0]
    note = "(reduction='mean': includes 1/N, N = 6, the elements of ŷ (3 samples × 2 outputs))"
    assert note in delta.substituted
    assert "N = 3" not in delta.substituted
    out = net(gn.tensor(X)).array  # (3, 2)
    np.testing.assert_allclose(delta.value * 6, 2 * (out - y), rtol=1e-14)
    assert "N =" not in explain(net, X, y, nn.MSELoss(reduction="sum")).find("delta", 1)[0].substituted


def test_cross_entropy_divides_by_the_batch_size() -> None:
    # Class indices: L = Σₙ ℓₙ / n_samples, however many classes: 3 samples × 4 classes gives N = 3.
    rng = np.random.default_rng(4)
    net = nn.Sequential(nn.Linear(3, 4, dtype=np.float64, generator=rng))
    X, y = rng.normal(size=(3, 3)), np.array([0, 3, 1])
    delta = explain(net, X, y, nn.CrossEntropyLoss()).find("delta", 1)[0]
    assert delta.substituted.endswith("(reduction='mean': includes 1/N, N = 3 samples)")
    z = net(gn.tensor(X)).array  # (3, 4)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(delta.value * 3, p - np.eye(4)[y], rtol=1e-13)  # softmax(z) − onehot(y)


# (loss, constructor options, class-index target or None for _target's, N): with 2 samples, the
# element-wise losses divide by 2 × n_outputs, the class-index ones by 2 or by Σ w_y of the kept targets.
DIVISORS = [*((name, {}, None, 2.0 if name in ("cross_entropy", "nll") else 2.0 * LOSSES[name][1])
              for name in sorted(LOSSES)),
            ("kl_div", {"reduction": "batchmean"}, None, 2.0),
            ("cross_entropy", {"weight": [0.5, 2.0, 1.0]}, np.array([1, 2]), 2.0 + 1.0),
            ("cross_entropy", {"ignore_index": 0}, np.array([0, 2]), 1.0),
            ("nll", {"weight": [0.5, 2.0, 1.0], "ignore_index": 2}, np.array([1, 2]), 2.0)]


@pytest.mark.parametrize(("loss_name", "options", "classes", "n"), DIVISORS)
def test_the_divisor_stated_is_the_engines(loss_name: str, options: dict, classes: np.ndarray | None,
                                           n: float) -> None:
    # N·δ with the mean equals δ with reduction='sum', both the engine's: the note states the divisor.
    rng = np.random.default_rng(5)
    cls, n_out = LOSSES[loss_name]
    net = _net_for(nn.Tanh, loss_name, 2)
    X, y = rng.normal(size=(2, 3)), _target(loss_name, n_out, rng) if classes is None else classes
    var = _var(loss_name, n_out, rng)
    mean = explain(net, X, y, cls(**options), **var).find("delta")[0]
    summed = explain(net, X, y, cls(**{**options, "reduction": "sum"}), **var).find("delta")[0]
    assert _divisor(mean.substituted) == n
    np.testing.assert_allclose(mean.value * n, summed.value, rtol=1e-12, atol=1e-15)
    assert "N =" not in summed.substituted
