"""Training diagnostics: after each epoch, measure what usually goes wrong and say how to fix it.

``fit`` adds a :class:`Diagnostics` callback unless ``diagnostics=False``. After every epoch it
logs, under ``diag/...`` keys of the History:

- ``diag/dead_relu/<layer>``: the fraction of a ReLU's units that output 0 for every sample of a
  fixed probe batch (at most 256 training samples, chosen once with a seed).
- ``diag/saturated/<layer>``: the fraction of a Sigmoid's or Tanh's units that are saturated
  (σ outside (0.01, 0.99), |tanh| > 0.99) for more than half of the probe samples.
- ``diag/grad_ratio/<layer>``: ‖∂L/∂Wˡ‖ / ‖∂L/∂Wˡ⁺¹‖ between consecutive weight matrices, and
  ``diag/grad_ratio``: ‖∂L/∂W¹‖ / ‖∂L/∂Wᴸ‖, first over last (Frobenius norms of the gradients
  of the epoch's last batch, those the optimizer last used).
- ``diag/update_ratio/<layer>``: ‖ΔW‖ / ‖W‖ of the epoch's last optimizer step (CS231n's
  update/weight ratio, about 1e-3 when healthy). Not over the whole epoch: early epochs of a
  healthy network move its weights by more than their own norm, so that ratio says little.
- ``diag/loss_ratio``: the epoch's loss over the best loss of the epochs before.

When training ends, ``still_improving`` warns if the last epoch's validation loss (the training
loss without validation data) is still clearly below the best one before the last 10 % of the
epochs: training stopped while the model was still learning.

A :class:`DiagnosticWarning` goes to ``History.warnings`` (and the progress output) when a value
crosses its threshold, once per crossing: a layer that stays dead is reported when it dies, again
only if it recovers and dies again. The probe runs under ``no_grad`` in eval mode with its own
random generator, so diagnostics never change the training numbers; they only read.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.engine.libraries import move_like, to_host
from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError, check_number, check_whole
from glassnet.nn.activations import ReLU, Sigmoid, Tanh
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module
from glassnet.train.callbacks import Callback, Logs
from glassnet.train.history import DiagnosticWarning
from glassnet.train.run import Run

__all__ = ["DiagnosticWarning", "Diagnostics", "improvement_at_end", "layer_numbers", "unit_flags"]

_SATURATED = "σ(z) ∉ (0.01, 0.99) or |tanh(z)| > 0.99 for more than half of the probe samples"
_FORMULAS = {
    "dead_relu": "dead = (1/n_units) · #{j : relu(z_ij) = 0 for every probe sample i}",
    "saturated": f"saturated = (1/n_units) · #{{j : {_SATURATED}}}",
    "vanishing_gradient": "r = ‖∂L/∂W¹‖ / ‖∂L/∂Wᴸ‖ (first over last weight matrix, last batch)",
    "exploding_gradient": "r = ‖∂L/∂W¹‖ / ‖∂L/∂Wᴸ‖ (first over last weight matrix, last batch)",
    "large_update": "r = ‖W_after − W_before‖ / ‖W_before‖ of the epoch's last step",
    "small_update": "r = ‖W_after − W_before‖ / ‖W_before‖ of the epoch's last step",
    "loss_spike": "r = L_epoch / min(L of the epochs before)",
    "still_improving": "r = (min L before the last 10% of epochs − L_last) / min L before them "
                       "(validation loss, else training loss)",
}


_UNIT_REASONS = {  # what the flag means, for a layer's units and for one unit
    "dead_relu": ("output 0 for every probe sample, so they get no gradient and stop learning",
                  "outputs 0 for every probe sample, so it gets no gradient and stops learning"),
    "saturated": ("are saturated for most probe samples, where their derivative is near 0 and "
                  "learning stalls",
                  "is saturated for most probe samples, where its derivative is near 0 and it stops "
                  "learning"),
}
_UNIT_FIXES = {
    "dead_relu": "lower the learning rate, use LeakyReLU or He initialization",
    "saturated": "standardize the inputs, use Xavier initialization or smaller weights, lower the learning "
                 "rate, or use ReLU",
}


def _check_range(name: str, pair: Any) -> None:
    """A (low, high) pair of thresholds: two finite numbers, 0 < low < high."""
    ok = isinstance(pair, tuple | list) and len(pair) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in pair)
    if not ok or not pair[0] < pair[1]:
        raise GlassnetError(f"Diagnostics got {name}={pair!r}; expected two finite numbers 0 < low < high, "
                            f"e.g. {name}=(0.001, 1000.0)")


class Diagnostics(Callback):
    """Measure dead and saturated units, gradient flow, update sizes and loss spikes every epoch.

    ``fit`` hands it the training inputs (``use_data``) and calls ``measure`` after each epoch,
    before the epoch's logs go into the History; its hooks only copy the weights before the
    epoch's last step.

    Args:
        probe_size: samples in the probe batch (at most this many training samples).
        seed: seed for choosing the probe batch (a generator of its own: training is unaffected).
        dead_relu: warn when more than this fraction of a ReLU's units are dead.
        saturated: warn when more than this fraction of a Sigmoid's or Tanh's units are saturated.
        grad_ratio: (low, high): warn when ‖∂L/∂W¹‖ / ‖∂L/∂Wᴸ‖ leaves this range.
        update_ratio: (low, high): warn when ‖ΔW‖ / ‖W‖ of one step leaves this range.
        loss_spike: warn when the epoch loss exceeds this multiple of the best earlier one.
        still_improving: warn at the end when the last 10 % of the epochs (at least 2) lowered the
            loss by more than this fraction of the best loss before them.

    >>> Diagnostics().grad_ratio
    (0.001, 1000.0)
    """

    changes_model = False

    def __init__(self, probe_size: int = 256, seed: int = 0, dead_relu: float = 0.5,
                 saturated: float = 0.5, grad_ratio: tuple[float, float] = (1e-3, 1e3),
                 update_ratio: tuple[float, float] = (1e-6, 1e-1), loss_spike: float = 2.0,
                 still_improving: float = 0.02) -> None:
        check_whole("Diagnostics", "probe_size", probe_size, 1, example=256)
        check_whole("Diagnostics", "seed", seed, 0, example=0)
        fractions = (("dead_relu", dead_relu), ("saturated", saturated), ("still_improving", still_improving))
        for name, value in fractions:
            check_number("Diagnostics", name, value, 0.0, 1.0, open_high=False, example=0.5)
        check_number("Diagnostics", "loss_spike", loss_spike, 1.0, open_low=True, example=2.0)
        for name, pair in (("grad_ratio", grad_ratio), ("update_ratio", update_ratio)):
            _check_range(name, pair)
        self.probe_size, self.seed, self.still_improving = probe_size, seed, still_improving
        self.dead_relu, self.saturated, self.loss_spike = dead_relu, saturated, loss_spike
        self.grad_ratio, self.update_ratio = grad_ratio, update_ratio
        self.probe: np.ndarray | None = None
        self.best_loss = math.inf
        self._active: set[tuple[str, str]] = set()  # (name, layer) over its threshold last epoch
        self._before: dict[str, np.ndarray] = {}  # weights before the epoch's last step
        # the last measure's units: activation's dotted name -> (dead_relu or saturated, a flag per unit)
        self.units: dict[str, tuple[str, np.ndarray]] = {}

    def use_data(self, X: np.ndarray) -> None:
        """Choose the probe batch from the training inputs X (n_samples, ...), once, seeded."""
        self.use_samples(len(X), X.__getitem__)

    def use_samples(self, n_samples: int, inputs_at: Callable[[np.ndarray], np.ndarray]) -> None:
        """Choose the probe batch among n_samples training samples, once, seeded; ``inputs_at(indices)``
        gives the inputs of those samples (a DataLoader's data set, rows of X)."""
        rng = np.random.default_rng(self.seed)
        n = min(self.probe_size, n_samples)
        self.probe = inputs_at(np.sort(rng.choice(n_samples, size=n, replace=False)))  # (n, ...)

    def on_epoch_begin(self, run: Run) -> None:
        self._before = {}

    def on_loss(self, run: Run, loss: float) -> None:
        if run.batch == run.steps_per_epoch - 1:  # one copy per epoch: cheap
            self._before = {layer: to_host(p.array).copy() for layer, p in _weights(run.model)}

    def measure(self, run: Run, logs: Logs) -> dict[str, float]:
        """The epoch's ``diag/...`` values; warnings for new threshold crossings go to the History."""
        found: list[tuple[str, str, float, float, str, str]] = []  # name, layer, value, limit, reason, fix
        values = self._units(run.model, found) | self._gradients(run.model, found)
        values |= self._updates(run, found) | self._loss(logs, found)
        crossed = {(name, layer) for name, layer, *_ in found}
        for name, layer, value, limit, reason, fix in found:
            if (name, layer) not in self._active:
                run.history.warnings.append(DiagnosticWarning(
                    name, run.epoch, layer, value, limit, _FORMULAS[name], reason, fix))
        self._active = crossed
        return values

    # ----------------------------------------------------------------- the measurements
    def _units(self, model: Module, found: list[Any]) -> dict[str, float]:
        """Dead ReLU and saturated Sigmoid/Tanh fractions from one probe forward pass."""
        values, numbers = {}, layer_numbers(model)
        self.units = {}
        for layer, module, a in _activations(model, self.probe):
            number, name = numbers.get(layer, layer), type(module).__name__
            kind, flags = unit_flags(module, a)
            self.units[layer] = kind, flags
            fraction = float(np.mean(flags))
            values[f"diag/{kind}/{layer}"] = fraction
            limit = self.dead_relu if kind == "dead_relu" else self.saturated
            if fraction > limit:
                found.append((kind, layer, fraction, limit,
                              f"{fraction:.0%} of layer {number}'s {name} units {_UNIT_REASONS[kind][0]}",
                              _UNIT_FIXES[kind]))
        return values

    def unit_warnings(self, model: Module) -> list[tuple[int, int, str, str, str]]:
        """(layer number, unit from 0, kind, reason, fix) of each unit the last ``measure`` flagged
        (dead or saturated), whatever its layer's fraction: what a drawing marks on the neuron."""
        numbers, modules = layer_numbers(model), dict(model.named_modules())
        found = []
        for layer, (kind, flags) in self.units.items():
            number, name = numbers.get(layer, 0), type(modules[layer]).__name__
            found += [(number, int(j), kind, f"neuron {j + 1} of layer {number} ({name}) "
                       f"{_UNIT_REASONS[kind][1]}", _UNIT_FIXES[kind]) for j in np.flatnonzero(flags)]
        return found

    def _gradients(self, model: Module, found: list[Any]) -> dict[str, float]:
        """Gradient-norm ratios between consecutive weight matrices, and first over last."""
        norms = [(layer, float(np.linalg.norm(to_host(p.grad_array)))) for layer, p in _weights(model)
                 if p.grad_array is not None]
        values = {f"diag/grad_ratio/{a}": g / h for (a, g), (_, h) in itertools.pairwise(norms) if h > 0}
        if len(norms) < 2 or norms[-1][1] == 0 or not math.isfinite(norms[0][1] + norms[-1][1]):
            return values
        r = norms[0][1] / norms[-1][1]
        values["diag/grad_ratio"] = r
        low, high = self.grad_ratio
        if r < low:
            found.append(("vanishing_gradient", "", r, low,
                          f"the first layer's gradient is {r:.1e} times the last layer's: gradients "
                          "vanish on their way back and the early layers barely learn",
                          "use ReLU instead of sigmoid/tanh, He or Xavier initialization, or fewer layers"))
        elif r > high:
            found.append(("exploding_gradient", "", r, high,
                          f"the first layer's gradient is {r:.1e} times the last layer's: gradients "
                          "explode on their way back",
                          "lower the learning rate, clip gradients (nn.utils.clip_grad_norm_) or use "
                          "smaller initial weights"))
        return values

    def _updates(self, run: Run, found: list[Any]) -> dict[str, float]:
        """‖ΔW‖ / ‖W‖ of every weight matrix in the epoch's last step (none if it was stopped)."""
        values: dict[str, float] = {}
        low, high = self.update_ratio
        if run.stop_training:  # the last batch may never have reached the weights
            return values
        numbers = layer_numbers(run.model)
        for layer, p in _weights(run.model):
            number, start = numbers.get(layer, layer), self._before.get(layer)
            size = 0.0 if start is None else float(np.linalg.norm(start))
            if start is None or start.shape != p.shape or size == 0:
                continue
            r = float(np.linalg.norm(to_host(p.array) - start)) / size
            values[f"diag/update_ratio/{layer}"] = r
            if r > high:
                found.append(("large_update", layer, r, high,
                              f"one step moved layer {number}'s weights by {r:.0%} of their norm: "
                              "steps this large make training unstable",
                              "lower the learning rate or decay it with a schedule"))
            elif r < low:
                found.append(("small_update", layer, r, low,
                              f"one step moved layer {number}'s weights by only {r:.1e} of their norm: "
                              "it is barely learning",
                              "raise the learning rate, or check that its gradients do not vanish"))
        return values

    def _loss(self, logs: Logs, found: list[Any]) -> dict[str, float]:
        """The epoch loss over the best earlier one; a spike when above ``loss_spike``."""
        loss, best = float(logs.get("loss", math.nan)), self.best_loss
        if not math.isnan(loss):
            self.best_loss = min(best, loss)
        if not (math.isfinite(best) and best > 0) or math.isnan(loss):
            return {}
        r = loss / best
        if r > self.loss_spike:
            found.append(("loss_spike", "", r, self.loss_spike,
                          f"the loss jumped to {r:.1f}× its best so far ({loss:.4g} against {best:.4g})",
                          "lower the learning rate, clip gradients, or look for outliers in the data"))
        return {"diag/loss_ratio": r}

    def on_train_end(self, run: Run) -> None:
        """Warn when training stopped while the loss was still falling fast."""
        key = "val_loss" if "val_loss" in run.history else "loss"
        r = improvement_at_end(run.history.history.get(key, []))
        if r is not None and r > self.still_improving and run.history.epoch:
            what = "validation loss" if key == "val_loss" else "training loss"
            run.history.warnings.append(DiagnosticWarning(
                "still_improving", run.history.epoch[-1], "", r, self.still_improving,
                _FORMULAS["still_improving"],
                f"still improving when training stopped: the {what} fell by {r:.1%} over the last "
                f"10% of the epochs",
                "train longer (more epochs: --epochs on the command line)"))

    # ----------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        return {"best_loss": self.best_loss, "active": sorted([name, layer] for name, layer in self._active)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_loss = float(state["best_loss"])
        self._active = {(str(name), str(layer)) for name, layer in state["active"]}


def layer_numbers(model: Module) -> dict[str, int]:
    """The layer number of each leaf module by its dotted name, as ``glassnet explain`` numbers layers:
    layer l is the l-th Linear layer, and an activation belongs to the Linear layer before it.

    >>> from glassnet.nn import Linear, ReLU
    >>> layer_numbers(Sequential(Linear(2, 4, generator=0), ReLU(), Linear(4, 1, generator=0)))
    {'0': 1, '1': 1, '2': 2}
    """
    numbers, count = {}, 0
    for name, module in model.named_modules():
        if list(module.children()):
            continue
        count += isinstance(module, Linear)
        numbers[name or "0"] = count
    return numbers


def improvement_at_end(losses: Sequence[float]) -> float | None:
    """How much the last 10 % of the epochs (at least 2) lowered the loss, as a fraction of the best
    loss before them: (min L before − L_last) / min L before; None for fewer than 5 finite epochs.

    >>> round(improvement_at_end([1.0, 0.8, 0.6, 0.5, 0.45, 0.4]), 3)  # still falling: 0.5 → 0.4
    0.2
    >>> improvement_at_end([1.0, 0.5, 0.5, 0.5, 0.5, 0.5])  # flat
    0.0
    """
    values = [v for v in losses if math.isfinite(v)]
    recent = max(2, round(0.1 * len(values)))
    if len(values) < 5 or min(values[:-recent]) <= 0:
        return None
    before = min(values[:-recent])
    return (before - values[-1]) / before


def _weights(model: Module) -> list[tuple[str, Any]]:
    """(layer name, parameter) of every weight matrix (2 or more axes), in the model's order."""
    return [(name.rpartition(".")[0] or name, p) for name, p in model.named_parameters() if p.ndim >= 2]


def unit_flags(module: Module, a: np.ndarray) -> tuple[str, np.ndarray]:
    """What the probe's outputs ``a`` (n_probe, ...) of a ReLU, Sigmoid or Tanh say of each unit:
    ``("dead_relu", dead)`` for a ReLU (0 for every probe sample), else ``("saturated", flags)``
    (σ outside (0.01, 0.99), |tanh| > 0.99, for more than half of the probe samples); one flag per unit.

    >>> from glassnet.nn import ReLU
    >>> unit_flags(ReLU(), np.array([[0.0, 1.0], [0.0, 0.0]]))
    ('dead_relu', array([ True, False]))
    """
    a = a.reshape(len(a), -1)  # (n_probe, n_units)
    if isinstance(module, ReLU):
        return "dead_relu", np.all(a == 0, axis=0)
    off = np.abs(a) > 0.99 if isinstance(module, Tanh) else (a <= 0.01) | (a >= 0.99)
    return "saturated", np.mean(off, axis=0) > 0.5


def _activations(model: Module, probe: np.ndarray | None) -> list[tuple[str, Module, np.ndarray]]:
    """(dotted name, module, output) of each ReLU, Sigmoid and Tanh on the probe batch.

    Walks the Sequential containers (nested ones too) and runs every other module as a whole, in
    eval mode and without a graph, up to the last activation (the layers after it are not
    needed); each module's train/eval mode is restored afterwards.
    """
    if probe is None or len(probe) == 0:
        return []
    chain = _leaves(model, "")
    last = max((i for i, (_, m) in enumerate(chain) if isinstance(m, ReLU | Sigmoid | Tanh)), default=-1)
    found: list[tuple[str, Module, np.ndarray]] = []
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            first = next(model.parameters(), None)
            x = Tensor(probe if first is None else move_like(probe, first.array))  # to the model's device
            for name, module in chain[:last + 1]:
                x = module(x)
                if isinstance(module, ReLU | Sigmoid | Tanh):
                    found.append((name, module, to_host(x.array)))
    finally:
        for m, training in modes:
            m.training = training
    return found


def _leaves(module: Module, name: str) -> list[tuple[str, Module]]:
    """(dotted name, module) in the order a forward pass runs them, nested Sequentials unpacked."""
    if not isinstance(module, Sequential):
        return [(name, module)]
    found: list[tuple[str, Module]] = []
    for child_name, child in module.named_children():
        found += _leaves(child, f"{name}.{child_name}" if name else child_name)
    return found
