"""glassnet as its users write it: Sequential (or a Module subclass), a loss module, an optimizer,
the five-line loop.

bench/run.py also runs this file against an older glassnet (``--base``): it uses only public API
that both have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from cases import SEED, Case, Weights

import glassnet as gn
from glassnet import nn, optim
from glassnet.regularizers import L2


def activation(case: Case) -> nn.Module:
    if case.activation == "leaky_relu":
        return nn.LeakyReLU(case.negative_slope)
    return {"relu": nn.ReLU, "tanh": nn.Tanh}[case.activation]()


def build(case: Case, weights: Weights, dtype: type = np.float32, seed: int = SEED) -> nn.Module:
    """The case's network, loaded with the given weights; Dropout after each hidden activation."""
    if case.custom:
        model: nn.Module = UserMLP(case, dtype, seed)
    else:
        layers: list[nn.Module] = []
        last = len(case.sizes) - 2
        for i, (n_in, n_out) in enumerate(zip(case.sizes[:-1], case.sizes[1:], strict=True)):
            layers.append(nn.Linear(n_in, n_out, dtype=dtype, generator=seed + i))
            if i < last:
                layers.append(activation(case))
                if case.dropout:
                    layers.append(nn.Dropout(case.dropout, generator=seed + 100 + i))
        model = nn.Sequential(*layers)
    load(model, weights)
    return model


class UserMLP(nn.Module):
    """A two-hidden-layer network as a user writes one: layers as attributes, its own forward.

    The same Linear layers, activation and Dropout (and the same seeds) as ``build``'s Sequential.
    """

    def __init__(self, case: Case, dtype: type = np.float32, seed: int = SEED) -> None:
        super().__init__()
        n_in, h1, h2, n_out = case.sizes
        self.fc1 = nn.Linear(n_in, h1, dtype=dtype, generator=seed)
        self.fc2 = nn.Linear(h1, h2, dtype=dtype, generator=seed + 1)
        self.fc3 = nn.Linear(h2, n_out, dtype=dtype, generator=seed + 2)
        self.act = activation(case)
        self.drop1 = nn.Dropout(case.dropout, generator=seed + 100)
        self.drop2 = nn.Dropout(case.dropout, generator=seed + 101)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        h = self.drop1(self.act(self.fc1(x)))  # (n, h1)
        h = self.drop2(self.act(self.fc2(h)))  # (n, h2)
        return self.fc3(h)  # (n, n_out) logits


def load(model: nn.Module, weights: Weights) -> None:
    """Copy weights into the Linear layers, in order, in place."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer, (W, b) in zip(linears, weights, strict=True):
        layer.weight.data[...] = W
        assert layer.bias is not None
        layer.bias.data[...] = b


def make_optimizer(case: Case, model: nn.Module) -> optim.Optimizer:
    if case.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=case.lr, momentum=case.momentum)
    return optim.Adam(model.parameters(), lr=case.lr)


def loss_function(case: Case) -> Callable[[gn.Tensor, np.ndarray, nn.Module], gn.Tensor]:
    """loss(prediction, target, model): the data loss, plus l2·Σw² when the case has one."""
    data_loss = nn.MSELoss() if case.task == "regress" else nn.CrossEntropyLoss()
    penalty = L2(case.l2) if case.l2 else None

    def loss(z: gn.Tensor, y: np.ndarray, model: nn.Module) -> gn.Tensor:
        value = data_loss(z, gn.tensor(y))
        return value + penalty(model) if penalty is not None else value

    return loss


class Trainer:
    """One model, optimizer and shuffling generator; ``run(n)`` trains one epoch on X[:n]."""

    def __init__(self, case: Case, batch: int, weights: Weights, X: np.ndarray, y: np.ndarray,
                 seed: int = SEED) -> None:
        self.model = build(case, weights, seed=seed)
        self.opt = make_optimizer(case, self.model)
        self.loss_fn = loss_function(case)
        self.batch, self.X, self.y = batch, X, y
        self.rng = np.random.default_rng(seed)

    def run(self, n: int) -> None:
        model, opt, loss_fn, X, y = self.model, self.opt, self.loss_fn, self.X, self.y
        model.train()
        order = self.rng.permutation(n)
        for start in range(0, n, self.batch):
            idx = order[start:start + self.batch]
            loss = loss_fn(model(gn.tensor(X[idx])), y[idx], model)  # forward
            opt.zero_grad()
            loss.backward()  # backpropagation
            opt.step()

    def load(self, weights: Weights) -> None:
        load(self.model, weights)


class FitTrainer(Trainer):
    """The same network, optimizer and shuffling trained by ``glassnet.fit``, glassnet's own API:
    ``run(n)`` is one call for one epoch (whatever fit does to speed up its steps, as its users get)."""

    def __init__(self, case: Case, batch: int, weights: Weights, X: np.ndarray, y: np.ndarray,
                 seed: int = SEED) -> None:
        super().__init__(case, batch, weights, X, y, seed)
        self.data_loss = nn.MSELoss() if case.task == "regress" else nn.CrossEntropyLoss()
        self.penalty = L2(case.l2) if case.l2 else None
        self.history: gn.train.History | None = None

    def run(self, n: int) -> None:
        self.history = gn.fit(self.model, self.data_loss, self.opt, self.X[:n], self.y[:n], epochs=1,
                              batch_size=self.batch, regularizer=self.penalty, seed=self.rng, verbose=0,
                              diagnostics=False)

    def steps(self) -> dict[str, Any]:
        """How the last epoch's steps ran, from its History: replayed or through the graph, and why
        (empty for a glassnet whose History does not say)."""
        h = self.history
        if h is None or "steps/replayed" not in h:
            return {}
        return {"replayed": int(h["steps/replayed"][-1]), "graph": int(h["steps/graph"][-1]),
                "reasons": list(h.graph_reasons)}


def predictor(case: Case, weights: Weights) -> Callable[[np.ndarray], np.ndarray]:
    """Class probabilities for a NumPy batch, in eval mode under no_grad."""
    model = build(case, weights)
    model.eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with gn.no_grad():
            return nn.functional.softmax(model(gn.tensor(x)), dim=-1).data

    return predict
