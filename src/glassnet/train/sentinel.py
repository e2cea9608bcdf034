"""The divergence guard ``TerminateOnNaN`` and its sentinel: which layer, and which operation in it,
first produced a non-finite value, and the likely cause."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from glassnet.engine.libraries import move_like, to_host
from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import check_number
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module
from glassnet.train.callbacks import Callback
from glassnet.train.run import Run

__all__ = ["DATA", "LEARNING_RATE", "PENALTY", "TerminateOnNaN", "first_nonfinite"]

# TerminateOnNaN.cause: what most likely diverged
LEARNING_RATE, DATA, PENALTY = "learning rate", "data", "penalty"


def _layers(module: Module, prefix: str = "") -> Iterator[tuple[str, Module]]:
    """The leaf modules of nested Sequentials, in the order the data flows through them."""
    if isinstance(module, Sequential):
        for name, child in module.named_children():
            yield from _layers(child, f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix or type(module).__name__, module


def _where(values: np.ndarray) -> str:
    bad = np.argwhere(~np.isfinite(values))[0]
    return f"{values[tuple(bad)]} at index {tuple(int(i) for i in bad)}"


def first_nonfinite(model: Module, x: np.ndarray) -> str:
    """Replay the forward pass of one batch and say where a NaN or inf first appears.

    Returns a sentence naming the input, or the first layer (its dotted name and type) and the
    operation in it: a weight that is already non-finite, or the layer's own computation
    (e.g. an overflow in z = W·a + b); or the loss itself when every layer's output is finite.

    >>> import numpy as np, glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 2, generator=0), gn.nn.ReLU())
    >>> net[0].weight.array[0, 0] = np.nan
    >>> first_nonfinite(net, np.ones((1, 2), dtype=np.float32))
    "layer '0' (Linear): its weight is already non-finite (nan at index (0, 0)); an earlier update diverged"
    """
    if not np.isfinite(x).all():
        return f"the input batch holds {_where(x)}; clean the data (NaN or inf in the features)"
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            first = next(model.parameters(), None)
            a = Tensor(x if first is None else move_like(x, first.array))  # to the model's device
            for name, layer in _layers(model):
                for pname, p in layer.named_parameters():
                    if not np.isfinite(to_host(p.array)).all():
                        return (f"layer '{name}' ({type(layer).__name__}): its {pname} is already "
                                f"non-finite ({_where(to_host(p.array))}); an earlier update diverged")
                a = layer(a)
                if not np.isfinite(a.numpy()).all():
                    what = "z = W·a + b overflowed" if isinstance(layer, Linear) else "its function gave"
                    return (f"layer '{name}' ({type(layer).__name__}): {what} {_where(a.numpy())} from "
                            "finite inputs; lower the learning rate or scale the inputs")
    finally:
        model.train(was_training)
    return "every layer's output is finite: the loss itself produced it from the outputs and the targets"


class TerminateOnNaN(Callback):
    """Stop when training diverges, and keep the last good state (fit adds this one).

    Training has diverged when

    - a batch's loss is NaN or infinite, or above ``growth`` · max(|L₀|, 10⁻³), L₀ being the run's
      first batch loss (the untrained model's): a loss that grew by orders of magnitude. Checked on
      every batch, after the loss and before backward, so that batch never reaches the weights;
    - a weight is NaN or infinite, or beyond √(the largest float of its dtype) (1.8e19 in float32,
      1.3e154 in float64), where its square overflows. Checked after every epoch.

    ``cause`` names what most likely diverged: ``LEARNING_RATE`` when the loss grew (above twice
    max(|L₀|, 10⁻³)) before it became NaN or inf, when it exploded, or when a weight did; else
    ``DATA`` (a loss that was not growing turned non-finite: a bad value in the data or the targets,
    or targets the loss cannot take). The reason says which, with the numbers.

    The last good state is the one at the start of the epoch in which training diverged (after the
    last recorded epoch): fit restores the weights, buffers and the optimizer's state to it (the
    optimizer's options, such as lr, are left as they are), records nothing of that epoch and stops.
    The granularity is the epoch because a step that blows the weights up shows only in the next
    batch's loss; keeping it costs one copy of the model and optimizer state per epoch.

    Args:
        growth: how many times the loss may exceed max(|L₀|, 10⁻³) before training counts as diverged.
    """

    changes_model = False

    def __init__(self, growth: float = 1e4) -> None:
        self.growth = check_number("TerminateOnNaN", "growth", growth, 1.0, open_low=True, example=1e4,
                                   finite=False)  # inf: no limit on the growth
        self.reference: float | None = None  # L₀: the run's first finite batch loss
        self.last: float | None = None  # the last finite batch loss
        self.diverged, self.cause = "", ""  # why training diverged and its likely cause, once it has
        self._good: tuple[dict[str, Any], dict[str, Any]] | None = None

    def on_epoch_begin(self, run: Run) -> None:
        self._good = run.model.state_dict(), run.optimizer.state_dict()  # the last good state

    def on_loss(self, run: Run, loss: float) -> None:
        if math.isfinite(loss) and self.reference is None:
            self.reference = loss
        where = f"at epoch {run.epoch + 1}, batch {run.batch + 1}"
        if not math.isfinite(loss):
            self._nonfinite(run, f"the loss became {loss} {where}")
        elif self.reference is not None and loss > self.growth * self._scale():
            self._stop(run, f"the loss became {loss:.4g} {where}, over {self.growth:g} × the first batch's "
                           f"loss {self.reference:.4g}", " Lower the learning rate.")
        else:
            self.last = loss

    def _scale(self) -> float:
        return max(abs(self.reference or 0.0), 1e-3)

    def _nonfinite(self, run: Run, what: str) -> None:
        """A NaN or inf loss: after a growing loss or a broken weight, the learning rate; else the data."""
        penalties = [(name, v) for name, v in run.penalties.items() if not math.isfinite(v)]
        if penalties and all(np.isfinite(p.array).all() for p in run.model.parameters()):
            name, value = penalties[0]
            self._stop(run, f"{what}: the {name} penalty is {value} while every weight is finite", " Lower "
                            f"the {name} penalty's strength.", PENALTY)
            return
        where = "" if run.inputs is None else first_nonfinite(run.model, run.inputs)
        source = f" First non-finite value: {where}." if where else ""
        grew = self.last is not None and self.last > 2.0 * self._scale()
        broken = not all(np.isfinite(to_host(p.array)).all() for p in run.model.parameters())
        if grew or broken:
            before = (f" after growing from {self.reference:.4g} (the first batch's) to {self.last:.4g}"
                      if grew else " after an update made a weight non-finite")
            self._stop(run, f"{what}{before}: the learning rate is likely too large", f"{source} Lower the "
                            "learning rate.", LEARNING_RATE)
        else:
            last = "" if self.last is None else f" (the last finite loss {self.last:.4g})"
            self._stop(run, f"{what} without growing first{last}: likely a bad value in the data or targets "
                            "the loss cannot take", f"{source} Check the data and the targets.", DATA)

    def check_weights(self, run: Run) -> None:
        """After an epoch's steps: stop if a weight is non-finite or beyond √(its dtype's largest float)."""
        if run.rollback is not None:  # already diverged on a loss
            return
        for name, p in run.model.named_parameters():
            a = to_host(p.array)  # once an epoch: a copy from the device
            bound = math.sqrt(float(np.finfo(a.dtype).max))
            if a.size and not (-bound <= a.min() and a.max() <= bound):  # NaN compares False
                worst = a.flat[int(np.nanargmax(np.abs(a)))] if not np.isnan(a).all() else math.nan
                how = "too large" if np.isfinite(a).all() else "non-finite"
                self._stop(run, f"the weights became {how} in epoch {run.epoch + 1}: {name} holds "
                               f"{worst:.4g} (beyond ±{bound:.2g}, where squares overflow)",
                               " Lower the learning rate.")
                return

    def _stop(self, run: Run, what: str, hint: str, cause: str = LEARNING_RATE) -> None:
        epoch, self.cause = run.epoch + 1, cause
        self.diverged = (f"{what}; the weights and optimizer state are restored to the start of epoch "
                         f"{epoch}{f' (after epoch {epoch - 1})' if epoch > 1 else ''}.{hint}")
        run.stop(self.diverged)
        run.rollback = self._good

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("reference", self.reference), ("last", self.last)) if v is not None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.reference, self.last = state.get("reference"), state.get("last")
