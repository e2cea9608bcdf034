"""PyTorch as its users write it: preloaded tensors, a shuffled index, the standard step."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from cases import SEED, Case, Weights
from torch import nn


def activation(case: Case) -> nn.Module:
    if case.activation == "leaky_relu":
        return nn.LeakyReLU(case.negative_slope)
    return {"relu": nn.ReLU, "tanh": nn.Tanh}[case.activation]()


def build(case: Case, weights: Weights, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """The case's network, loaded with the given weights; Dropout after each hidden activation."""
    layers: list[nn.Module] = []
    last = len(case.sizes) - 2
    for i, (n_in, n_out) in enumerate(zip(case.sizes[:-1], case.sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out, dtype=dtype))
        if i < last:
            layers.append(activation(case))
            if case.dropout:
                layers.append(nn.Dropout(case.dropout))
    model = nn.Sequential(*layers)
    load(model, weights)
    return model


def load(model: nn.Module, weights: Weights) -> None:
    """Copy weights into the Linear layers, in order, in place."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for layer, (W, b) in zip(linears, weights, strict=True):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))


def make_optimizer(case: Case, model: nn.Module) -> torch.optim.Optimizer:
    if case.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=case.lr, momentum=case.momentum)
    return torch.optim.Adam(model.parameters(), lr=case.lr)


def loss_function(case: Case) -> Callable[[torch.Tensor, torch.Tensor, nn.Module], torch.Tensor]:
    """loss(prediction, target, model): the data loss, plus l2·Σw² over the weights (not biases)."""
    data_loss = nn.MSELoss() if case.task == "regress" else nn.CrossEntropyLoss()
    l2 = case.l2

    def loss(z: torch.Tensor, y: torch.Tensor, model: nn.Module) -> torch.Tensor:
        value = data_loss(z, y)
        if l2:
            value = value + l2 * sum((p**2).sum() for name, p in model.named_parameters()
                                     if name.endswith("weight"))
        return value

    return loss


class Trainer:
    """One model, optimizer and shuffling generator; ``run(n)`` trains one epoch on X[:n]."""

    def __init__(self, case: Case, batch: int, weights: Weights, X: np.ndarray, y: np.ndarray,
                 seed: int = SEED) -> None:
        torch.manual_seed(seed)  # dropout masks
        self.model = build(case, weights)
        self.opt = make_optimizer(case, self.model)
        self.loss_fn = loss_function(case)
        self.batch = batch
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)  # preloaded, no copy
        self.gen = torch.Generator().manual_seed(seed)

    def run(self, n: int) -> None:
        model, opt, loss_fn, X, y = self.model, self.opt, self.loss_fn, self.X, self.y
        model.train()
        order = torch.randperm(n, generator=self.gen)
        for start in range(0, n, self.batch):
            idx = order[start:start + self.batch]
            loss = loss_fn(model(X[idx]), y[idx], model)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def load(self, weights: Weights) -> None:
        load(self.model, weights)


def predictor(case: Case, weights: Weights) -> Callable[[np.ndarray], np.ndarray]:
    """Class probabilities for a NumPy batch, in eval mode under inference_mode."""
    model = build(case, weights)
    model.eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()

    return predict


def set_threads(n: int) -> None:
    torch.set_num_threads(n)
