"""Train small networks on XOR, two spirals and a sine with every glassnet optimizer.

    python examples/toys.py

Prints the loss every few epochs and the final accuracy (or mean squared error), so you can see
how the optimizers differ on the same problem, from the same initial weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import make_sine, make_spirals, make_xor

# One learning rate per optimizer that works for all three problems.
SETTINGS: dict[str, dict[str, float]] = {
    "sgd": {"lr": 0.1, "momentum": 0.9},
    "adam": {"lr": 0.01},
    "adamw": {"lr": 0.01},
    "rmsprop": {"lr": 0.005},
    "adagrad": {"lr": 0.1},
    "adamax": {"lr": 0.02},
    "nadam": {"lr": 0.01},
    "radam": {"lr": 0.01},
}

PROBLEMS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "xor": lambda: make_xor(200, noise=0.1, seed=0),
    "spirals": lambda: make_spirals(400, noise=0.2, seed=0),
    "sine": lambda: make_sine(200, noise=0.05, seed=0),
}


def build(problem: str, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """The network and loss for a problem: tanh MLPs, cross-entropy or MSE."""
    rng = np.random.default_rng(seed)
    n_out = 1 if problem == "sine" else 2
    net = nn.Sequential(nn.Linear(X_WIDTH[problem], 32, generator=rng), nn.Tanh(),
                        nn.Linear(32, 32, generator=rng), nn.Tanh(),
                        nn.Linear(32, n_out, generator=rng))
    loss = nn.MSELoss() if problem == "sine" else nn.CrossEntropyLoss()
    return net, loss


X_WIDTH = {"xor": 2, "spirals": 2, "sine": 1}


def train(problem: str, optimizer: str, epochs: int = 300, batch_size: int = 32,
          seed: int = 0) -> tuple[list[float], float]:
    """Minibatch training; returns the mean loss of each epoch and the final score.

    The score is accuracy for classification and mean squared error for the sine.
    """
    X, y = PROBLEMS[problem]()
    net, loss_fn = build(problem, seed)
    opt = optim.OPTIMIZERS[optimizer](net.parameters(), **SETTINGS[optimizer])
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss = loss_fn(net(gn.tensor(X[batch])), gn.tensor(y[batch]))  # forward
            opt.zero_grad()
            loss.backward()  # backpropagation
            opt.step()  # gradient descent
            total += loss.item() * len(batch)
        losses.append(total / len(X))
    with gn.no_grad():
        out = net(gn.tensor(X)).data
    score = float(np.mean((out - y) ** 2)) if problem == "sine" else float(np.mean(out.argmax(1) == y))
    return losses, score


def main() -> None:
    for problem in PROBLEMS:
        metric = "mse" if problem == "sine" else "accuracy"
        print(f"\n{problem}: loss at epochs 1, 50, 100, 200, 300 and final {metric}")
        for name in SETTINGS:
            start = time.perf_counter()
            losses, score = train(problem, name)
            shown = "  ".join(f"{losses[i]:.4f}" for i in (0, 49, 99, 199, 299))
            print(f"  {name:8s} {shown}   {metric} {score:.4f}   ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
