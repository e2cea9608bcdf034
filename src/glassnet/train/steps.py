"""One training step of fit, forward → loss (+ penalties) → backward, through the engine.

Every step is the engine's: the model's ops and ``backward()``'s chain rule. ``TrainStep`` runs
the first steps of each batch shape through the graph and records them on a tape
(``glassnet.engine.tape``); once two recordings on two batches are the same, later steps of
that shape replay the tape: the same ops' forward, then the same backward plan, without building
a graph. Anything the replay cannot vouch for runs the graph, and ``counts`` and ``reasons`` say
how many steps took which way, and why (``History`` keeps them).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, NamedTuple

import numpy as np

from glassnet.engine import ops
from glassnet.engine.devices import CPU
from glassnet.engine.libraries import device_of, move
from glassnet.engine.tape import Replayed, ReplayError, Tape
from glassnet.engine.tensor import Tensor
from glassnet.nn.module import Module
from glassnet.regularizers.penalties import Regularizer

__all__ = ["REPLAY", "StepLosses", "TrainStep"]

REPLAY = True  # tests set False to compare with the graph alone

Weighting = tuple[Module, np.ndarray] | None  # (the unreduced loss, per-sample weights)


class StepLosses(NamedTuple):
    """The step's loss values: the total, the data loss and each penalty, by name."""

    total: float
    data: float
    penalties: dict[str, float]


class _Slots(NamedTuple):
    """Where a recorded step keeps its results: the model's output, the losses and penalties."""

    out: int
    total: int
    data: int
    penalties: dict[str, int]


class _Shape:
    """The recording state of one batch shape: recorded once, verified, or left to the graph."""

    def __init__(self) -> None:
        self.first: Tape | None = None  # the first recording, waiting for a second to compare
        self.tape: Tape | None = None  # verified: replay it
        self.slots: _Slots | None = None
        self.failure = ""  # why this shape runs the graph


class TrainStep:
    """fit's step for ``model`` under ``loss``, with optional sample weights and penalties.

    Call :meth:`forward` then :meth:`backward` for each batch; :meth:`invalidate` after anything
    that may have changed the model (a callback), so the next steps record anew.
    """

    def __init__(self, model: Module, loss: Module, weighting: Weighting,
                 regularizers: Mapping[str, Regularizer], dtype: Any,
                 penalty_per_sample: bool = False) -> None:
        self.model, self.loss, self.regularizers = model, loss, regularizers
        self.penalty_per_sample = penalty_per_sample  # each penalty / the batch's n (or Σw)
        self.per_sample = None if weighting is None else weighting[0]
        self.weights = None if weighting is None else weighting[1].astype(dtype)
        self.parameters = list(model.parameters())
        self.device = device_of(self.parameters[0].array) if self.parameters else CPU  # where batches go
        self.shapes: dict[tuple[Any, ...], _Shape] = {}
        self.counts = {"replayed": 0, "graph": 0}
        self.reasons: list[str] = []  # why steps ran the graph, each reason once
        self._pending: Any = None  # what backward needs: (Tape or None, shape, total or Replayed)

    # ----------------------------------------------------------------- the step
    def forward(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None) -> tuple[StepLosses, np.ndarray]:
        """The batch's losses and the model's outputs; ``idx`` picks the batch's sample weights."""
        arrays = (x, y) if self.weights is None or idx is None else (x, y, self.weights[idx])
        shape = self._shape_of(arrays)
        if self.device.type != "cpu":  # the batch copied to the model's device
            arrays = tuple(move(a, self.device) for a in arrays)
        if shape.tape is not None and shape.tape.unchanged():
            try:
                return self._replay(shape, arrays)
            except ReplayError as error:  # nothing has changed yet but the dropout generators
                shape.tape, shape.failure = None, f"a replay met other shapes than its recording ({error})"
        return self._graph(shape, arrays)

    def backward(self) -> None:
        """Backpropagation: add ∂L/∂θ into every parameter's ``.grad``."""
        tape, shape, result = self._pending
        self._pending = None
        if isinstance(result, Replayed):
            tape.backward(result)
            return
        with tape.recording() if tape is not None else nullcontext():
            result.backward()
        if tape is not None:
            tape.finish()
            self._compare(shape, tape)

    def invalidate(self) -> None:
        """Record every shape anew: the model may have changed since its recording."""
        for shape in self.shapes.values():
            if not shape.failure:
                shape.first = shape.tape = None

    # ----------------------------------------------------------------- the two ways
    def _replay(self, shape: _Shape, arrays: tuple[np.ndarray, ...]) -> tuple[StepLosses, np.ndarray]:
        assert shape.tape is not None and shape.slots is not None
        replayed = shape.tape.forward(arrays)
        slots = shape.slots
        total = float(replayed[slots.total])
        data = total if slots.data == slots.total else float(replayed[slots.data])
        penalties = {name: float(replayed[s]) for name, s in slots.penalties.items()}
        self.counts["replayed"] += 1
        self._pending = (shape.tape, shape, replayed)
        return StepLosses(total, data, penalties), replayed[slots.out]

    def _graph(self, shape: _Shape, arrays: tuple[np.ndarray, ...]) -> tuple[StepLosses, np.ndarray]:
        self.counts["graph"] += 1
        tape = None
        if REPLAY and not shape.failure and shape.tape is None:
            tape = Tape([Tensor(a) for a in arrays], self.parameters)
        inputs = [Tensor(a) for a in arrays] if tape is None else tape.inputs
        with tape.recording() if tape is not None else nullcontext():
            out = self.model(inputs[0])  # forward
            if self.per_sample is None:
                data_loss = self.loss(out, inputs[1])
            else:  # Σ wᵢℓᵢ / Σ wᵢ over the batch
                data_loss = _weighted_mean(self.per_sample(out, inputs[1]), inputs[2])
            penalties = {name: r(self.model) for name, r in self.regularizers.items()}
            if penalties and self.penalty_per_sample:  # R(W) / n, or R(W) / Σ wᵢ when weighted
                n = float(len(arrays[0])) if self.per_sample is None else ops.sum(inputs[2])
                penalties = {name: p / n for name, p in penalties.items()}
            total = data_loss + _sum(list(penalties.values())) if penalties else data_loss
        if tape is not None:
            shape.slots = _Slots(tape.slot(out), tape.slot(total), tape.slot(data_loss),
                                 {name: tape.slot(p) for name, p in penalties.items()})
        self._pending = (tape, shape, total)
        value = total.item()
        data = data_loss.item() if penalties else value
        return StepLosses(value, data, {name: p.item() for name, p in penalties.items()}), out.array

    def _compare(self, shape: _Shape, tape: Tape) -> None:
        """Keep a recording until a second one agrees with it; then replay it from the next step."""
        if tape.failure:
            self._give_up(shape, tape.failure)
        elif shape.first is None:
            shape.first = tape
        else:
            difference = shape.first.difference(tape)
            shape.first = None
            if difference:
                self._give_up(shape, f"the step made different operations on two batches: {difference}")
            else:
                shape.tape = tape

    def _give_up(self, shape: _Shape, reason: str) -> None:
        shape.failure = reason
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _shape_of(self, arrays: tuple[np.ndarray, ...]) -> _Shape:
        x, y, *rest = arrays
        key = (x.shape, x.dtype, y.shape, y.dtype, *[(a.shape, a.dtype) for a in rest])
        found = self.shapes.get(key)
        if found is None:
            found = self.shapes[key] = _Shape()
        return found


def _sum(terms: list[Tensor]) -> Tensor:
    """t₁ + t₂ + ...: the numbers of ``sum(terms)``, without its extra node for 0 + t₁."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _weighted_mean(per_element: Tensor, w: Tensor) -> Tensor:
    """Σ wᵢℓᵢ / Σ wᵢ, with ℓᵢ the mean of sample i's elements."""
    per_sample = per_element.reshape(len(w), -1).mean(axis=1) if per_element.ndim > 1 else per_element
    return ops.sum(per_sample * w) / ops.sum(w)
