"""fit's recorded-and-replayed steps give the graph's numbers bit for bit, for any model the engine
runs; where a replay cannot vouch for a step, the graph serves it and the History says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.errors import GlassnetError, ShapeError
from glassnet.regularizers import L1, L2, ElasticNet
from glassnet.train import LambdaCallback, steps

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
    "cross_entropy_weighted": (lambda: nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]),
                                                           label_smoothing=0.1), "classes"),
    "nll": (lambda: nn.NLLLoss(), "classes"),  # after a LogSoftmax layer
    "mse": (lambda: nn.MSELoss(), "values"),
    "mse_sum": (lambda: nn.MSELoss(reduction="sum"), "values"),
    "huber": (lambda: nn.HuberLoss(delta=0.5), "values"),
    "bce_with_logits": (lambda: nn.BCEWithLogitsLoss(), "binary"),
    "bce_pos_weight": (lambda: nn.BCEWithLogitsLoss(pos_weight=np.array([0.5, 2.0, 3.0])), "binary"),
}
PENALTIES = {
    "none": lambda: None,
    "l2": lambda: L2(1e-2),
    "l1": lambda: L1(1e-2),
    "elastic_net": lambda: ElasticNet(l1=1e-2, l2=1e-2),
    "two": lambda: [L1(1e-2), L2(1e-2, include_bias=True)],
}


class Block(nn.Module):
    """A user's own Module: Linear → LeakyReLU(0.2) → Dropout → Linear, written with forward."""

    def __init__(self, k: int = 3) -> None:
        super().__init__()
        self.hidden = nn.Linear(D, 8, generator=0)
        self.drop = nn.Dropout(0.3, generator=6)
        self.out = nn.Linear(8, k, generator=1)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.out(self.drop(nn.functional.leaky_relu(self.hidden(x), 0.2)))


def network(dtype: Any, k: int = 3) -> nn.Module:
    """Every layer kind: Linear with and without bias, activations, dropout, nesting, a user's module."""
    net = nn.Sequential(
        nn.Dropout(0.2, generator=5), nn.Linear(D, 8, generator=0), nn.Tanh(),
        nn.Sequential(nn.Linear(8, 8, generator=1), nn.ReLU(), nn.Dropout(0.3, generator=6)),
        nn.Linear(8, 6, bias=False, generator=2), nn.GELU(), nn.Identity(), nn.Linear(6, D, generator=3),
        Block(k))
    return net.to(dtype)


def train(replay: bool, make_loss: Callable[[], nn.Module], y: np.ndarray, penalty: Any, dtype: Any,
          make_net: Callable[[Any], nn.Module] = network, epochs: int = 3, batch_size: int = 16,
          **fit_args: Any) -> tuple[list[np.ndarray], Any]:
    steps.REPLAY = replay
    try:
        model, loss = make_net(dtype), make_loss()
        if isinstance(loss, nn.NLLLoss):
            model = nn.Sequential(model, nn.LogSoftmax(dim=1))
        opt = optim.Adam(model.parameters(), lr=0.05)
        history = gn.fit(model, loss, opt, X, y, epochs=epochs, batch_size=batch_size, seed=0, verbose=0,
                         regularizer=penalty, **fit_args)
    finally:
        steps.REPLAY = True
    return [p.array.copy() for p in model.parameters()], history


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y)
                                    for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_replayed_training_equals_the_graph_bit_for_bit(loss: str, penalty: str, dtype: type) -> None:
    make_loss, kind = LOSSES[loss]
    y = TARGETS[kind](3)
    replayed, history = train(True, make_loss, y, PENALTIES[penalty](), dtype)
    graph, graph_history = train(False, make_loss, y, PENALTIES[penalty](), dtype)
    assert sum(history["steps/replayed"]) >= 6 and history.graph_reasons == []  # else: the graph twice
    assert sum(graph_history["steps/replayed"]) == 0
    assert _same(replayed, graph)
    for key, values in graph_history.history.items():
        if key != "time" and not key.startswith("steps/"):
            assert history[key] == values, key


def test_sample_weights_and_diagnostics_replay_too() -> None:
    y = TARGETS["classes"](3)
    weights = np.linspace(0.5, 2, N)
    options = {"sample_weight": weights, "diagnostics": True}
    replayed, history = train(True, nn.CrossEntropyLoss, y, L2(1e-2), np.float64, **options)
    graph, _ = train(False, nn.CrossEntropyLoss, y, L2(1e-2), np.float64, **options)
    assert sum(history["steps/replayed"]) >= 6 and _same(replayed, graph)


def test_gradients_accumulate_as_the_graphs_do() -> None:
    """Two backward passes without zero_grad add into .grad exactly as the graph's backward does."""
    y = TARGETS["classes"](3)
    grads = []
    for replay in (True, False):
        steps.REPLAY = replay
        model = network(np.float32)
        step = steps.TrainStep(model, nn.CrossEntropyLoss(), None, {"l2": L2(0.1)}, np.float32)
        for rows in [slice(0, 16)] * 5:
            step.forward(X[rows].astype(np.float32), y[rows], np.arange(N)[rows])
            step.backward()
        grads.append([p.grad_array.copy() for p in model.parameters()])
        assert step.counts["replayed"] == (3 if replay else 0)
    steps.REPLAY = True
    assert _same(*grads)


class Noisy(nn.Module):
    """Adds fresh noise made outside glassnet's operations: a constant that changes every step."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(D, 3, generator=0)
        self.rng = np.random.default_rng(3)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.layer(x + gn.tensor(self.rng.standard_normal(x.shape)))


def _first_batches() -> tuple[np.ndarray, np.ndarray]:
    """fit's first two batches of X with seed 0 and batch size 15."""
    order = np.random.default_rng(0).permutation(N)
    return X[order[:15]], X[order[15:30]]


class Branchy(nn.Module):
    """Takes a branch on the data, one way for fit's first batch and the other for its second."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(D, 3, generator=0)
        first, second = _first_batches()
        self.pivot = (first.sum() + second.sum()) / 2

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        z = self.layer(x)
        return z * 2.0 if x.array.sum() > self.pivot else z.exp()


@pytest.mark.parametrize(("make", "reason"), [(Noisy, "a constant of operation"),
                                              (Branchy, "different operations on two batches")])
def test_a_step_that_differs_between_batches_takes_the_graph(make: Callable[[], nn.Module],
                                                             reason: str) -> None:
    y = TARGETS["classes"](3)
    replayed, history = train(True, nn.CrossEntropyLoss, y, None, np.float64, lambda dt: make().to(dt),
                              batch_size=15)  # one batch shape
    graph, _ = train(False, nn.CrossEntropyLoss, y, None, np.float64, lambda dt: make().to(dt), batch_size=15)
    assert sum(history["steps/replayed"]) == 0 and reason in history.graph_reasons[0]
    assert _same(replayed, graph)


def test_a_callback_that_may_change_the_model_records_anew() -> None:
    """A callback that freezes a layer after the first epoch: the later steps leave it alone."""
    y = TARGETS["classes"](3)

    def freeze(run: Any, logs: Any) -> None:
        run.model[1].weight.requires_grad = False

    def go(replay: bool) -> tuple[list[np.ndarray], Any]:
        return train(replay, nn.CrossEntropyLoss, y, None, np.float64, epochs=3,
                     callbacks=[LambdaCallback(on_epoch_end=freeze)])

    (replayed, history), (graph, _) = go(True), go(False)
    assert _same(replayed, graph)
    # every epoch records its 3 full batches' step twice (and the short batch once) before replaying
    assert history["steps/graph"] == [3.0, 3.0, 3.0] and history["steps/replayed"] == [1.0, 1.0, 1.0]


def test_a_callback_that_only_reads_keeps_the_replay() -> None:
    y = TARGETS["classes"](3)
    seen: list[float] = []
    callback = LambdaCallback(on_batch_end=lambda run, logs: seen.append(logs["loss"]), changes_model=False)
    _, history = train(True, nn.CrossEntropyLoss, y, None, np.float64, callbacks=[callback])
    assert len(seen) == 12 and sum(history["steps/replayed"]) >= 6
    busy = LambdaCallback(on_batch_end=lambda run, logs: None)  # may change the model: recorded every step
    _, history = train(True, nn.CrossEntropyLoss, y, None, np.float64, callbacks=[busy])
    assert sum(history["steps/replayed"]) == 0


def test_targets_out_of_range_in_a_replayed_batch_get_the_losses_own_message() -> None:
    y = TARGETS["classes"](3).copy()
    y[-1] = 3  # in the last batch: the earlier steps were recorded and replayed
    with pytest.raises(GlassnetError, match="class index 3 but the input has 3 classes"):
        train(True, nn.CrossEntropyLoss, y, None, np.float64)


def test_an_ignored_target_in_a_replayed_batch_gives_the_graphs_numbers() -> None:
    y = TARGETS["classes"](3).copy()
    y[50] = -100  # only in a late batch, after the recordings
    replayed, history = train(True, nn.CrossEntropyLoss, y, None, np.float64)
    graph, _ = train(False, nn.CrossEntropyLoss, y, None, np.float64)
    assert sum(history["steps/replayed"]) >= 6 and _same(replayed, graph)


def test_a_width_mismatch_gets_the_layers_own_message() -> None:
    wide = np.hstack([X, X])
    model = network(np.float64)
    with pytest.raises(ShapeError, match=r"Linear\(5 -> 8\) got input of shape"):
        gn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), wide,
               TARGETS["classes"](3), epochs=1, verbose=0)


def test_a_layer_used_twice_sums_both_uses() -> None:
    def shared(dtype: Any) -> nn.Module:
        square = nn.Linear(D, D, generator=0)  # used twice: its gradient is the sum of both uses
        return nn.Sequential(square, nn.Tanh(), square, nn.Tanh(), nn.Linear(D, 3, generator=1)).to(dtype)

    y = TARGETS["classes"](3)
    replayed, history = train(True, nn.CrossEntropyLoss, y, L2(1e-2), np.float64, shared)
    graph, _ = train(False, nn.CrossEntropyLoss, y, L2(1e-2), np.float64, shared)
    assert sum(history["steps/replayed"]) >= 6 and _same(replayed, graph)


def test_history_says_how_the_steps_ran() -> None:
    y = TARGETS["classes"](3)
    _, history = train(True, nn.CrossEntropyLoss, y, None, np.float64, epochs=2)
    # 60 samples in batches of 16: 3 full batches and one of 12 per epoch; each shape is recorded twice
    assert history["steps/graph"] == [3.0, 1.0] and history["steps/replayed"] == [1.0, 3.0]
    assert history.graph_reasons == []
    assert gn.train.History.from_dict(history.to_dict()).graph_reasons == []
