"""The walkthroughs a learner reads, checked as a learner would: every expression written out with numbers
gives its printed result from the printed numbers, at the printed precision; every line fits 100
columns; text, Markdown and HTML carry the same lines; the engine's numbers are the ones shown."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from html import escape
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from explain_checks import _value, check, equations
from glassnet import nn, optim
from glassnet.explain import Walkthrough, explain
from glassnet.explain.record import settings_of
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.losses import LOSSES, Loss
from glassnet.notation import NOTATION, latex_symbols, text_symbols
from glassnet.regularizers import L1, L2
from glassnet.regularizers.penalties import REGULARIZERS, Regularizer

F64 = np.float64
IRIS_X = np.array([[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]])
IRIS_Y = np.array([0, 1, 2])


def _classic() -> nn.Sequential:
    net = nn.Sequential(nn.Linear(2, 2, dtype=F64), nn.Sigmoid(), nn.Linear(2, 1, dtype=F64), nn.Sigmoid())
    net.load_state_dict({"0.weight": np.array([[0.15, 0.2], [0.25, 0.3]]), "0.bias": np.array([0.35, 0.35]),
                         "2.weight": np.array([[0.4, 0.45]]), "2.bias": np.array([0.6])})
    return net


def _net(*sizes_and_activations: object, seed: int = 0) -> nn.Sequential:
    """Linear layers of the given sizes with the activation classes between, seeded."""
    gn.manual_seed(seed)
    sizes = [s for s in sizes_and_activations if isinstance(s, int)]
    acts = [a for a in sizes_and_activations if not isinstance(a, int)]
    layers: list[nn.Module] = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out, dtype=F64))
        if k < len(acts) and acts[k] is not None:
            layers.append(acts[k]())  # type: ignore[operator]
    return nn.Sequential(*layers)


def defaults() -> Walkthrough:
    net = _classic()
    return explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.5))


def two_hidden_tanh() -> Walkthrough:
    net = _net(2, nn.Tanh, 3, nn.Tanh, 3, nn.Sigmoid, 1)
    return explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.5))


def cross_entropy() -> Walkthrough:
    net = _net(2, nn.Sigmoid, 2, None, 2, seed=1)
    return explain(net, [1.0, 0.0], 1, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.5))


def adam_l2() -> Walkthrough:
    net = _classic()
    return explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.Adam(net.parameters(), lr=0.01), L2(0.01))


def relu_l1() -> Walkthrough:
    net = _net(2, nn.ReLU, 4, None, 1, seed=2)
    return explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.1), L1(0.01))


def iris_sgd() -> Walkthrough:
    net = _net(4, nn.Sigmoid, 3, None, 3, seed=3)
    return explain(net, IRIS_X[1], IRIS_Y[1], nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1))


def iris_adam() -> Walkthrough:
    net = _net(4, nn.Sigmoid, 3, None, 3, seed=3)
    return explain(net, IRIS_X[2], IRIS_Y[2], nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.001))


def iris_batch_momentum() -> Walkthrough:
    net = _net(4, nn.Tanh, 3, None, 3, seed=4)
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    return explain(net, IRIS_X, IRIS_Y, nn.CrossEntropyLoss(), opt, [L1(0.001), L2(0.01)])


def softmax_hidden() -> Walkthrough:
    net = _net(2, nn.Softmax, 3, nn.Sigmoid, 1, seed=5)
    return explain(net, [0.5, -1.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.5))


def normalization() -> Walkthrough:
    net = nn.Sequential(nn.Linear(4, 3, dtype=F64), nn.LayerNorm(3, dtype=F64), nn.ReLU(),
                        nn.Linear(3, 3, dtype=F64))
    return explain(net, IRIS_X, IRIS_Y, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.01))


def float32_after_training() -> Walkthrough:
    gn.manual_seed(6)
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 3))
    opt = optim.Adam(net.parameters(), lr=1e-5)
    for _ in range(3):  # Adam's moments are no longer zero
        opt.zero_grad()
        nn.CrossEntropyLoss()(net(gn.tensor(IRIS_X.astype(np.float32))), IRIS_Y).backward()
        opt.step()
    return explain(net, IRIS_X[:1].astype(np.float32), IRIS_Y[:1], nn.CrossEntropyLoss(), opt)


def gaussian_nll() -> Walkthrough:
    net = _net(2, nn.Tanh, 3, None, 2, seed=7)
    X, y = np.array([[0.5, -1.0], [1.5, 0.2]]), np.array([[0.1, -0.3], [0.7, 0.2]])
    return explain(net, X, y, nn.GaussianNLLLoss(eps=0.3), optim.RMSprop(net.parameters(), lr=0.01),
                   var=np.array([[0.2, 1.4], [0.9, 0.5]]))


WALKTHROUGHS: dict[str, Callable[[], Walkthrough]] = {
    f.__name__: f for f in (defaults, two_hidden_tanh, cross_entropy, adam_l2, relu_l1, iris_sgd, iris_adam,
                            iris_batch_momentum, softmax_hidden, normalization, float32_after_training,
                            gaussian_nll)
}


@pytest.fixture(scope="module", params=list(WALKTHROUGHS))
def walkthrough(request: pytest.FixtureRequest) -> Walkthrough:
    return WALKTHROUGHS[request.param]()


def test_every_printed_expression_gives_its_printed_result(walkthrough: Walkthrough) -> None:
    checked = [c for step in walkthrough.steps for c in check(step.substituted, walkthrough.digits)]
    n_params = sum(1 for s in walkthrough.steps if s.kind == "update")
    assert len(checked) >= 10 + 2 * n_params  # neurons, products, sums, every update's η·u and θ_new


def _unit(literal: str) -> float:
    """One unit in the last printed digit of a number as printed, e.g. 0.4874053 → 1e-7."""
    mantissa, _, exponent = literal.lower().lstrip("-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def test_every_update_adds_up_at_the_precision_of_theta_new(walkthrough: Walkthrough) -> None:
    """θ_new printed = θ − η·u from the printed θ and η·u, to half a unit of each one's last digit."""
    number = r"\(?-?\d+\.?\d*(?:e[-+]?\d+)?\)?"
    for step in walkthrough.find("update"):
        equation = next(e for e in equations(step.substituted) if e.startswith("θ_new"))
        _, _, difference, result = equation.split(" = ")
        pairs = re.findall(rf"({number}) − ({number})", difference)
        printed = re.findall(number, result)
        rounding = re.search(r"off by up to ([\d.e+-]+)", step.substituted)
        slack = float(rounding.group(1)) if rounding else 0.0
        assert pairs and len(pairs) <= len(printed)
        for (theta, lr_u), shown in zip(pairs, printed, strict=False):
            theta, lr_u = theta.strip("()"), lr_u.strip("()")
            bound = (_unit(theta) + _unit(lr_u) + _unit(shown)) / 2 + slack
            assert abs(float(theta) - float(lr_u) - float(shown)) <= bound * (1 + 1e-9), (theta, lr_u, shown)


def test_every_line_fits_100_columns(walkthrough: Walkthrough) -> None:
    text = walkthrough.to_text()
    assert max(len(line) for line in text.splitlines()) <= 100


def test_text_markdown_and_html_show_the_same_numbers(walkthrough: Walkthrough) -> None:
    md = walkthrough.to_markdown()
    page = re.sub(r"</?span[^>]*>", "", walkthrough.to_html())  # numbers in e-notation sit in nowrap spans
    for step in walkthrough.steps:
        assert f"```text\n{step.substituted}\n```" in md
        assert escape(step.substituted) in page


def test_the_header_names_network_sample_target_loss_and_optimizer(walkthrough: Walkthrough) -> None:
    labels = [label for label, _ in walkthrough.header]
    assert labels[:4] == ["network", "sample", "target", "loss"] and "optimizer" in labels
    text = walkthrough.to_text()
    assert text.index("optimizer:") < text.index("== Forward pass ==")


def test_cross_entropy_shows_softmax_log_and_p_minus_onehot() -> None:
    w = iris_sgd()
    loss = w.find("loss")[0]
    p = loss.grads["p"]
    assert "p = softmax(ŷ)" in loss.substituted and "ℓ = −log p_y" in loss.substituted
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    delta = w.find("delta", 2)[0]
    assert "(p − onehot(y)) / 1" in delta.substituted
    np.testing.assert_allclose(delta.value, p - np.eye(3)[[1]], rtol=1e-13)


def test_a_hidden_softmax_shows_its_jacobian() -> None:
    w = softmax_hidden()
    delta = w.find("delta", 1)[0]
    assert "J = ∂a¹/∂z¹" in delta.substituted and "δ¹ = ∂L/∂a¹·J" in delta.substituted


def test_updates_add_up_and_float32_rounding_is_named() -> None:
    w = float32_after_training()
    for step in w.find("update"):
        u, lr_u = step.grads["u"], step.grads["lr_u"]
        np.testing.assert_allclose(lr_u, 1e-5 * u.astype(F64), rtol=1e-15)
        assert "η·u = " in step.substituted and "θ_new = " in step.substituted
    assert any("float32: θ_new is θ − η·u rounded to float32" in s.substituted for s in w.find("update"))
    # with lr 1e-5 the change shows: θ and θ_new are printed with enough digits to differ
    first = w.find("update")[0]
    theta_line = next(e for e in equations(first.substituted) if e.startswith("θ_new"))
    assert theta_line.split(" = ")[-1] != theta_line.split(" = ")[2].split(" − ")[0]


def test_digits_option_changes_the_precision() -> None:
    net = _classic()
    w = explain(net, [1.0, 0.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.5), digits=8)
    assert "0.62245933" in w.to_text() and w.digits == 8
    assert sum(len(check(s.substituted, 8)) for s in w.steps) >= 20


def test_the_checker_catches_a_wrong_number() -> None:
    w = defaults()
    step = w.find("linear", 1)[0]
    assert check(step.substituted, 4)
    with pytest.raises(AssertionError, match="printed"):
        check(step.substituted.replace("= 0.5\n", "= 0.51\n"), 4)


def _components() -> list[Any]:
    """One instance of every registered activation, loss and penalty whose formula carries templates."""
    found = []
    for registry in (ACTIVATIONS, LOSSES, REGULARIZERS):
        for name in registry:
            component = registry[name]()
            if component.formula.plug or component.formula.derivative_plug:
                found.append(component)
    return found


def _filled(component: Any, template: str, **numbers: float) -> float:
    """A template with the component's settings and these numbers in it, evaluated as a learner would."""
    settings = {k: repr(float(v)) for k, v in settings_of(component).items()}
    text = template.format(**settings, **{k: f"({float(v)!r})" for k, v in numbers.items()})
    result = _value(text)
    assert result is not None, text
    return float(result)


@pytest.mark.parametrize("component", _components(), ids=lambda c: type(c).__name__)
def test_each_formula_template_computes_what_the_engine_computes(component: Any) -> None:
    """A template filled with numbers, as explain prints it, gives the engine's value and derivative."""
    f, values = component.formula, np.array([-1.3, -0.2, 0.4, 2.1])
    if isinstance(component, Regularizer):
        w = gn.nn.Parameter(values.reshape(2, 2).copy())
        term = component([w])
        term.backward()
        assert sum(_filled(component, f.plug, t=v) for v in values) == pytest.approx(term.item(), rel=1e-12)
        grads = [_filled(component, f.derivative_plug, t=v) for v in values]
        np.testing.assert_allclose(grads, w.grad_array.reshape(-1), rtol=1e-12)
        return
    if isinstance(component, Loss):
        yhat = np.array([0.2, 0.7, 0.45, 0.9]) if isinstance(component, nn.BCELoss) else values
        y, pred = np.array([0.0, 1.0, 1.0, 0.0]), gn.tensor(yhat.copy(), requires_grad=True)
        component.reduction = "sum"
        loss = component(pred, y)
        loss.backward()
        pairs = list(zip(yhat, y, strict=True))
        total = sum(_filled(component, f.plug, yhat=a, y=b) for a, b in pairs)
        assert total == pytest.approx(loss.item(), rel=1e-12)
        grads = [_filled(component, f.derivative_plug, yhat=a, y=b) for a, b in pairs]
        np.testing.assert_allclose(grads, pred.grad_array, rtol=1e-12)
        return
    z = gn.tensor(values.copy(), requires_grad=True)
    a = component(z)
    a.backward(np.ones(4))
    pairs = list(zip(values, a.array, strict=True))
    if f.plug:
        values_shown = [_filled(component, f.plug, z=v, a=o) for v, o in pairs]
        np.testing.assert_allclose(values_shown, a.array, rtol=1e-12)
    if f.derivative_plug:
        grads = [_filled(component, f.derivative_plug, z=v, a=o) for v, o in pairs]
        np.testing.assert_allclose(grads, z.grad_array, rtol=1e-12)


def test_every_symbol_is_defined_and_text_and_latex_name_the_same(walkthrough: Walkthrough) -> None:
    known = {s.text for s in NOTATION}
    listed = {symbol for symbol, _, _ in walkthrough.notation}
    for step in walkthrough.steps:
        used = text_symbols(step.title) | text_symbols(step.formula_text) | text_symbols(step.substituted)
        assert used <= known, (step.title, used - known)
        assert used <= listed, (step.title, used - listed)  # the walkthrough's own table defines them
        if step.formula_latex:
            assert text_symbols(step.formula_text) == latex_symbols(step.formula_latex), step.title
    text = walkthrough.to_text()
    assert text.index("notation:") < text.index("== Input ==")
