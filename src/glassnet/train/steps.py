"""One training step of fit, forward → loss (+ penalty) → backward, taken in one of two ways.

``GraphStep`` is the engine's way, for any model and loss: the forward pass records a graph and
``backward()`` walks it. ``FusedStep`` (``fused.py``) runs a plain feed-forward network's step
as a fixed list of the engine's own array functions, without the graph, with the graph's
numbers bit for bit. ``make_step`` chooses: FusedStep where it applies, GraphStep otherwise.
Set ``FUSED = False`` to always take the graph (the tests compare the two).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from glassnet.engine import ops
from glassnet.engine.tensor import Tensor
from glassnet.nn.module import Module
from glassnet.regularizers import Regularizer
from glassnet.train.fused import FusedStep, StepLosses

__all__ = ["FUSED", "FusedStep", "GraphStep", "StepLosses", "make_step"]

FUSED = True  # tests set False to compare with the graph

Weighting = tuple[Module, np.ndarray] | None  # (the unreduced loss, per-sample weights)


def make_step(model: Module, loss: Module, weighting: Weighting, regularizers: Mapping[str, Regularizer],
              X: np.ndarray, y: np.ndarray) -> GraphStep | FusedStep:
    """The step for training ``model`` on (X, y): fused where it gives the graph's numbers, else the graph."""
    fused = FusedStep.build(model, loss, regularizers, X, y) if FUSED and weighting is None else None
    return fused if fused is not None else GraphStep(model, loss, weighting, regularizers)


class GraphStep:
    """The engine's step: record the graph in ``forward``, walk it back in ``backward``."""

    def __init__(self, model: Module, loss: Module, weighting: Weighting,
                 regularizers: Mapping[str, Regularizer]) -> None:
        self.model, self.loss, self.weighting, self.regularizers = model, loss, weighting, regularizers
        self.total: Tensor | None = None

    def forward(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[StepLosses, np.ndarray]:
        """The batch's losses and the network's outputs; ``idx`` picks the batch's sample weights."""
        out = self.model(Tensor(x))  # forward
        if self.weighting is None:
            data_loss = self.loss(out, y)
        else:  # Σ wᵢℓᵢ / Σ wᵢ over the batch
            data_loss = _weighted_mean(self.weighting[0](out, y), self.weighting[1][idx])
        penalties = {name: r(self.model) for name, r in self.regularizers.items()}
        self.total = total = data_loss + _sum(list(penalties.values())) if penalties else data_loss
        value = total.item()
        data = data_loss.item() if penalties else value
        return StepLosses(value, data, {name: p.item() for name, p in penalties.items()}), out.data

    def backward(self) -> None:
        """Backpropagation: add dL/dθ into every parameter's ``.grad``."""
        assert self.total is not None, "forward comes first"
        total, self.total = self.total, None
        total.backward()


def _sum(terms: list[Tensor]) -> Tensor:
    """t₁ + t₂ + ...: the numbers of ``sum(terms)``, without its extra node for 0 + t₁."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _weighted_mean(per_element: Tensor, w: np.ndarray) -> Tensor:
    """Σ wᵢℓᵢ / Σ wᵢ, with ℓᵢ the mean of sample i's elements."""
    per_sample = per_element.reshape(len(w), -1).mean(axis=1) if per_element.ndim > 1 else per_element
    weights = w.astype(per_sample.dtype)
    return ops.sum(per_sample * weights) / float(weights.sum())
