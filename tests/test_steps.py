"""fit's fused step gives the graph's numbers bit for bit, and the graph serves everything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.errors import GlassnetError, ShapeError
from glassnet.regularizers import L1, L2, ElasticNet
from glassnet.train import loop, steps

N, D = 60, 5
RNG = np.random.default_rng(7)
X = RNG.standard_normal((N, D))
TARGETS: dict[str, Callable[[int], np.ndarray]] = {
    "classes": lambda k: RNG.integers(0, k, N),
    "values": lambda k: RNG.standard_normal((N, k)),
    "binary": lambda k: (RNG.random((N, k)) > 0.5).astype(float),
}
LOSSES = {
    "cross_entropy": (lambda: nn.CrossEntropyLoss(), "classes"),
    "cross_entropy_sum": (lambda: nn.CrossEntropyLoss(reduction="sum"), "classes"),
    "mse": (lambda: nn.MSELoss(), "values"),
    "mse_sum": (lambda: nn.MSELoss(reduction="sum"), "values"),
    "bce_with_logits": (lambda: nn.BCEWithLogitsLoss(), "binary"),
    "bce_pos_weight": (lambda: nn.BCEWithLogitsLoss(pos_weight=np.array([0.5, 2.0, 3.0])), "binary"),
}
PENALTIES = {
    "none": lambda: None,
    "l2": lambda: L2(1e-2),
    "l1": lambda: L1(1e-2),
    "elastic_net": lambda: ElasticNet(l1=1e-2, l2=1e-2),
    "l2_with_bias": lambda: L2(1e-2, include_bias=True),
}


def network(dtype: Any, k: int = 3) -> nn.Sequential:
    """Every fused layer kind: Linear with and without bias, each activation, dropout, nesting."""
    net = nn.Sequential(
        nn.Dropout(0.2, generator=5), nn.Linear(D, 8, generator=0), nn.Tanh(),
        nn.Sequential(nn.Linear(8, 8, generator=1), nn.ReLU(), nn.Dropout(0.3, generator=6)),
        nn.Linear(8, 6, bias=False, generator=2), nn.Sigmoid(), nn.Identity(), nn.Linear(6, k, generator=3))
    return net.to(dtype)


def train(fused: bool, make_loss: Callable[[], nn.Module], y: np.ndarray, penalty: Any, dtype: Any,
          make_net: Callable[[Any], nn.Module] = network, **fit_args: Any) -> tuple[list[np.ndarray], Any]:
    steps.FUSED = fused
    try:
        model = make_net(dtype)
        opt = optim.Adam(model.parameters(), lr=0.05)
        history = gn.fit(model, make_loss(), opt, X, y, epochs=3, batch_size=16, seed=0, verbose=0,
                         regularizer=penalty, **fit_args)
    finally:
        steps.FUSED = True
    return [p.data.copy() for p in model.parameters()], history


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_fused_training_equals_the_graph_bit_for_bit(loss: str, penalty: str, dtype: type) -> None:
    make_loss, kind = LOSSES[loss]
    y = TARGETS[kind](3)
    Xc = X.astype(dtype)
    yc = y if kind == "classes" else y.astype(dtype)
    step = steps.make_step(network(dtype), make_loss(), None, {"p": PENALTIES[penalty]()}
                           if penalty != "none" else {}, Xc, yc)
    assert isinstance(step, steps.FusedStep)  # else this test would compare the graph with itself
    fused, fused_history = train(True, make_loss, y, PENALTIES[penalty](), dtype)
    graph, graph_history = train(False, make_loss, y, PENALTIES[penalty](), dtype)
    for a, b in zip(fused, graph, strict=True):
        assert a.dtype == b.dtype == dtype
        assert np.array_equal(a, b)
    for key, values in graph_history.history.items():
        if key != "time":
            assert fused_history.history[key] == values, key


def test_gradients_accumulate_as_the_graphs_do() -> None:
    """Two backward passes without zero_grad add into .grad exactly as the graph's backward does."""
    y = TARGETS["classes"](3)
    grads = []
    for fused in (True, False):
        steps.FUSED = fused
        model = network(np.float32)
        step = steps.make_step(model, nn.CrossEntropyLoss(), None, {"l2": L2(0.1)}, X.astype(np.float32), y)
        assert isinstance(step, steps.FusedStep if fused else steps.GraphStep)
        for rows in (slice(0, 20), slice(20, 45)):
            step.forward(X[rows].astype(np.float32), y[rows], np.arange(N)[rows])
            step.backward()
        grads.append([p.grad.copy() for p in model.parameters()])
    steps.FUSED = True
    for a, b in zip(*grads, strict=True):
        assert np.array_equal(a, b)


def _leaky(dtype: Any) -> nn.Module:
    return nn.Sequential(nn.Linear(D, 4, generator=0), nn.LeakyReLU(), nn.Linear(4, 3, generator=1)).to(dtype)


class MyLinear(nn.Linear):
    """A subclass may compute something else in forward: the graph must serve it."""


def _subclass(dtype: Any) -> nn.Module:
    return nn.Sequential(MyLinear(D, 3, generator=0)).to(dtype)


def _frozen(dtype: Any) -> nn.Module:
    net = nn.Sequential(nn.Linear(D, 4, generator=0), nn.ReLU(), nn.Linear(4, 3, generator=1)).to(dtype)
    net[0].weight.requires_grad = False
    return net


class Quartic(L2):
    """A regularizer with a penalty of its own (l2·Σw⁴): the graph must serve it."""

    def penalty(self, w: gn.Tensor) -> gn.Tensor:
        return self.l2 * ((w * w) * (w * w)).sum()


def _plain(dtype: Any) -> nn.Module:
    return nn.Sequential(nn.Linear(D, 4, generator=0), nn.ReLU(), nn.Linear(4, 3, generator=1)).to(dtype)


def _shared(dtype: Any) -> nn.Module:
    square = nn.Linear(D, D, generator=0)  # used twice: its gradient is the sum of both uses
    return nn.Sequential(square, nn.Tanh(), square, nn.Tanh(), nn.Linear(D, 3, generator=1)).to(dtype)


GRAPH_CASES: dict[str, tuple[Callable[[Any], nn.Module], Callable[[], nn.Module], Any, dict[str, Any]]] = {
    "a layer used twice": (_shared, nn.CrossEntropyLoss, L2(1e-2), {}),
    "another activation": (_leaky, nn.CrossEntropyLoss, None, {}),
    "a subclass of Linear": (_subclass, nn.CrossEntropyLoss, None, {}),
    "a frozen parameter": (_frozen, nn.CrossEntropyLoss, None, {}),
    "two penalties": (_plain, nn.CrossEntropyLoss, [L1(1e-2), L2(1e-2)], {}),
    "a penalty of its own": (_plain, nn.CrossEntropyLoss, Quartic(0.1), {}),
    "sample weights": (_plain, nn.CrossEntropyLoss, None, {"sample_weight": np.linspace(0.5, 2, N)}),
    "class weights": (_plain, lambda: nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0])), None, {}),
    "label smoothing": (_plain, lambda: nn.CrossEntropyLoss(label_smoothing=0.1), None, {}),
    "another loss": (_plain, nn.L1Loss, None, {}),
}


@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_the_graph_serves_what_the_fused_step_does_not_cover(case: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_net, make_loss, penalty, fit_args = GRAPH_CASES[case]
    kind = "values" if case == "another loss" else "classes"
    y = TARGETS[kind](3)
    chosen = []

    def spy(*args: Any) -> Any:
        chosen.append(steps.make_step(*args))
        return chosen[-1]

    monkeypatch.setattr(loop, "make_step", spy)
    trained, _ = train(True, make_loss, y, penalty, np.float64, make_net, **fit_args)
    assert chosen and all(isinstance(step, steps.GraphStep) for step in chosen)
    reference, _ = train(False, make_loss, y, penalty, np.float64, make_net, **fit_args)
    assert all(np.array_equal(a, b) for a, b in zip(trained, reference, strict=True))


def test_targets_out_of_range_get_the_losses_own_message() -> None:
    y = TARGETS["classes"](3).copy()
    y[-1] = 3  # one label too many for 3 outputs: the fused step declines, the loss explains
    step = steps.make_step(_plain(np.float64), nn.CrossEntropyLoss(), None, {}, X, y)
    assert isinstance(step, steps.GraphStep)
    with pytest.raises(GlassnetError, match="class index 3 but the input has 3 classes"):
        train(True, nn.CrossEntropyLoss, y, None, np.float64, _plain)


def test_a_width_mismatch_gets_the_layers_own_message() -> None:
    wide = np.hstack([X, X])
    with pytest.raises(ShapeError, match=r"Linear\(5 -> 4\) got input of shape"):
        gn.fit(_plain(np.float64), nn.CrossEntropyLoss(), optim.SGD(_plain(np.float64).parameters(), lr=0.1),
               wide, TARGETS["classes"](3), epochs=1, verbose=0)


def test_ignore_index_takes_the_graph_only_when_a_target_equals_it() -> None:
    y = TARGETS["classes"](3)
    net = network(np.float64)
    ignoring = nn.CrossEntropyLoss(ignore_index=int(y[0]))  # a class that occurs: positions are ignored
    assert isinstance(steps.make_step(net, ignoring, None, {}, X, y), steps.GraphStep)
    absent = nn.CrossEntropyLoss(ignore_index=7)
    assert isinstance(steps.make_step(net, absent, None, {}, X, y), steps.FusedStep)


def test_a_penalised_parameter_no_layer_uses_gets_the_penalty_alone() -> None:
    """A Parameter the Sequential holds outside its layers: the graph gives it dR/dw only."""
    def held(dtype: Any) -> nn.Module:
        net = _plain(dtype)
        net.unused = nn.Parameter(np.linspace(-1, 1, 6, dtype=dtype).reshape(2, 3))
        return net

    y = TARGETS["classes"](3)
    step = steps.make_step(held(np.float64), nn.CrossEntropyLoss(), None, {"l2": L2(0.1)}, X, y)
    assert isinstance(step, steps.FusedStep)
    fused, _ = train(True, nn.CrossEntropyLoss, y, L2(0.1), np.float64, held)
    graph, _ = train(False, nn.CrossEntropyLoss, y, L2(0.1), np.float64, held)
    assert all(np.array_equal(a, b) for a, b in zip(fused, graph, strict=True))
    unused = fused[0]  # the Sequential's own Parameter comes first, before its layers'
    assert unused.shape == (2, 3) and not np.array_equal(unused, np.linspace(-1, 1, 6).reshape(2, 3))
