"""A playground session: the CONFIG, the data, the network and its training, and the page's commands.

Training is the plain loop, one epoch per ``step()``, exactly as the exported ``train.py`` runs it::

    for batch in seeded shuffled batches of the training points:
        output = model(x)
        loss = loss_fn(output, y) + penalty(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

then the schedule steps, and the epoch's train and test losses are the data loss over each whole
set (eval mode, no graph). ``reset()`` rebuilds everything from the CONFIG's seed: the same
initial weights, dropout masks and batches. A Session is not thread-safe: the server holds a lock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module
from glassnet.optim.lr_scheduler import LRScheduler
from glassnet.optim.optimizer import Optimizer
from glassnet.playground.config import DEFAULTS, DISPLAY_ONLY, LIVE, configure
from glassnet.playground.datasets import DOMAIN, Data, make_data, read_upload, split
from glassnet.playground.network import Setup
from glassnet.regularizers.penalties import Regularizer
from glassnet.train.diagnostics import Diagnostics, layer_numbers
from glassnet.train.history import DiagnosticWarning, History
from glassnet.train.run import Run

__all__ = ["HISTORY_LIMIT", "OPS", "Session"]

HISTORY_LIMIT = 1000
"""Epochs of (epoch, train loss, test loss) kept for the loss chart; the export keeps every epoch's."""

OPS = ("play", "pause", "step", "reset", "reseed", "configure", "regenerate", "set_weight", "set_bias",
       "add_point", "clear_points", "explain")

_MAX_POINTS = 5000
_MAX_WEIGHT = 1e3


def _number(op: Mapping[str, Any], key: str, limit: float) -> float:
    value = op.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= limit:
        raise GlassnetError(f"{op['op']}: {key!r} must be a number from {-limit:g} to {limit:g}, "
                            f"got {value!r}")
    return float(value)


def _index(op: Mapping[str, Any], key: str, n: int, first: int = 0) -> int:
    value = op.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not first <= value < n + first:
        raise GlassnetError(f"{op['op']}: {key!r} must be a whole number from {first} to {n + first - 1}, "
                            f"got {value!r}")
    return value


class Session:
    """The playground's state: the CONFIG, its data, the network, the optimizer and the run so far.

    >>> s = Session()
    >>> s.step(); s.epoch, len(s.history)
    (1, 1)
    """

    data: Data  # the points, labels and train/test split

    def __init__(self, config: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        self._seeds = np.random.default_rng(seed)  # the seeds that 'reseed' and 'regenerate' draw
        self.custom_points, self.custom_labels = np.zeros((0, 2)), np.zeros(0)
        self.classes: list[Any] | None = None  # the labels of uploaded classes
        self.data_version = 0
        self.playing = False
        self.config = configure(DEFAULTS, {"seed": seed} | dict(config or {}))
        self._load(self.config)

    # ----------------------------------------------------------------- data and model
    def _data_for(self, config: Mapping[str, Any]) -> Data:
        if config["dataset"] != "custom":
            return make_data(dict(config))
        rng = np.random.default_rng(config["data_seed"])
        labels = self.custom_labels
        indices = not len(labels) or (np.all(labels == np.round(labels)) and labels.min() >= 0
                                      and labels.max() < config["n_classes"])
        if config["problem"] == "classification" and not indices:
            raise GlassnetError(f"your points' labels are not class indices 0 to {config['n_classes'] - 1}; "
                                "choose regression, more classes, or other points")
        return Data(self.custom_points, labels, split(len(labels), config["train_share"], rng))

    def _load(self, config: dict[str, Any], new_data: bool = True) -> None:
        """Make the data (when asked) and the network of ``config``, then commit them all, or raise and
        change nothing."""
        data = self._data_for(config) if new_data else self.data
        parts = Setup(config, data)
        self.config, self.data, self._setup = config, data, parts
        if new_data:
            self.data_version += 1
        self.reset()

    @property
    def model(self) -> Sequential:
        return self._setup.model

    @property
    def loss(self) -> Module:
        return self._setup.loss

    @property
    def optimizer(self) -> Optimizer:
        return self._setup.optimizer

    @property
    def schedule(self) -> LRScheduler | None:
        return self._setup.schedule

    @property
    def penalty(self) -> Regularizer | None:
        return self._setup.penalty

    @property
    def X_train(self) -> np.ndarray:
        return self._setup.X_train

    @property
    def y_train(self) -> np.ndarray:
        return self._setup.y_train

    @property
    def X_test(self) -> np.ndarray:
        return self._setup.X_test

    @property
    def y_test(self) -> np.ndarray:
        return self._setup.y_test

    def reset(self) -> None:
        """Back to epoch 0: the seed's initial weights, a fresh optimizer, schedule and batch order."""
        self._setup.rebuild()
        self.initial = {k: v.numpy() for k, v in self.model.state_dict().items()}
        self.epoch, self.steps = 0, 0
        self.history: list[tuple[int, float, float]] = []  # (epoch, train loss, test loss)
        self.lrs: list[float] = []
        self.edits: list[tuple[int, str, list[int], float]] = []  # (epoch, parameter, index, value)
        self.start_lr = self.config["lr"]  # the optimizer's lr at epoch 0
        self.rates: list[tuple[int, float]] = []  # (epoch, lr): learning rates changed while training
        self.warnings: list[DiagnosticWarning] = []  # crossed after the last epoch
        self.warning_log: list[DiagnosticWarning] = []  # each crossing when it began
        self._rng = np.random.default_rng(self.config["seed"])  # the batches' order
        self._diagnostics = Diagnostics()
        self._diagnostics.use_data(self.X_train)
        self._run = Run(self.model, self.optimizer, self._rng, 0, self.n_batches, False)
        self.losses = self._losses()

    @property
    def n_batches(self) -> int:
        return math.ceil(len(self.X_train) / self.config["batch_size"])

    # ----------------------------------------------------------------- training
    def step(self) -> None:
        """Train one epoch: the five-line loop over seeded shuffled batches, then the schedule."""
        if len(self.X_train) == 0:
            raise GlassnetError("step: there are no training points; add points by clicking, upload a CSV "
                                "file, or choose a data set")
        model, loss_fn, optimizer, penalty = self.model, self.loss, self.optimizer, self.penalty
        size, run = self.config["batch_size"], self._run
        self._diagnostics.on_epoch_begin(run)
        model.train()
        order = self._rng.permutation(len(self.X_train))
        for run.batch, start in enumerate(range(0, len(order), size)):
            batch = order[start:start + size]
            output = model(Tensor(self.X_train[batch]))
            loss = loss_fn(output, Tensor(self.y_train[batch]))
            if penalty is not None:
                loss = loss + penalty(model)
            if run.batch == self.n_batches - 1:
                self._diagnostics.on_loss(run, loss.item())  # keeps the weights before the last step
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            self.steps += 1
        self.lrs.append(float(optimizer.param_groups[0]["lr"]))
        if self.schedule is not None:
            self.schedule.step()
        self.epoch += 1
        self.losses = self._losses()
        self.history.append((self.epoch, *self.losses))
        self._diagnose()

    def _losses(self) -> tuple[float, float]:
        """The data loss over the whole training set and the whole test set (nan for an empty set)."""
        self.model.eval()
        with no_grad():
            values = [self.loss(self.model(Tensor(X)), Tensor(y)).item() if len(X) else math.nan
                      for X, y in ((self.X_train, self.y_train), (self.X_test, self.y_test))]
        self.model.train()
        return values[0], values[1]

    def _diagnose(self) -> None:
        """glassnet.train.Diagnostics after the epoch: every threshold crossed now (not only new ones)."""
        previous = {(w.name, w.layer) for w in self.warnings}
        diag, run = self._diagnostics, self._run
        diag.load_state_dict({"best_loss": diag.best_loss, "active": []})
        run.history, run.epoch = History(), self.epoch - 1
        diag.measure(run, {"loss": self.losses[0]})
        self.warnings = list(run.history.warnings)
        self.warning_log += [w for w in self.warnings if (w.name, w.layer) not in previous]

    def diagnostics(self) -> list[dict[str, Any]]:
        """The current warnings for the page: the Linear layer l they concern (None: the whole network),
        then each dead or saturated neuron j (from 0) of layer l, whatever its layer's share."""
        numbers = layer_numbers(self.model)
        layers = [{"layer": numbers.get(w.layer) if w.layer else None, "neuron": None, "kind": w.name,
                   "message": w.reason, "fix": w.fix, "value": w.value if math.isfinite(w.value) else None,
                   "threshold": w.threshold}
                  for w in self.warnings]
        return layers + [{"layer": layer, "neuron": j, "kind": kind, "message": reason, "fix": fix,
                          "value": None, "threshold": None}
                         for layer, j, kind, reason, fix in self._diagnostics.unit_warnings(self.model)]

    def linears(self) -> list[tuple[str, Linear]]:
        """(dotted name, layer) of every Linear layer; layer l of the page is the l-th (from 1)."""
        return [(name, m) for name, m in self.model.named_modules() if isinstance(m, Linear)]

    # ----------------------------------------------------------------- commands
    def command(self, op: Mapping[str, Any]) -> dict[str, Any]:
        """Run one command of the page (docs/playground.md); returns what the reply adds (explain)."""
        name = op.get("op") if isinstance(op, Mapping) else None
        if name not in OPS:
            raise GlassnetError(f"unknown op {name!r}; the ops are {', '.join(OPS)}")
        handler = getattr(self, f"_op_{name}")
        return handler(op) or {}

    def _op_play(self, op: Mapping[str, Any]) -> None:
        if len(self.X_train) == 0:
            raise GlassnetError("play: there are no training points; add points by clicking, upload a CSV "
                                "file, or choose a data set")
        self.playing = True

    def _op_pause(self, op: Mapping[str, Any]) -> None:
        self.playing = False

    def _op_step(self, op: Mapping[str, Any]) -> None:
        self.playing = False
        self.step()

    def _op_reset(self, op: Mapping[str, Any]) -> None:
        self.reset()

    def _op_reseed(self, op: Mapping[str, Any]) -> None:
        self.configure({"seed": int(self._seeds.integers(2**31))})

    def _op_regenerate(self, op: Mapping[str, Any]) -> None:
        self.configure({"data_seed": int(self._seeds.integers(2**31))})

    def _op_configure(self, op: Mapping[str, Any]) -> None:
        self.configure(op.get("changes"))

    def configure(self, changes: Any) -> None:
        """Apply a partial CONFIG: new data and/or a new network and a reset, or only a display change."""
        classes = len(self.classes) if self.classes is not None else None
        new = configure(self.config, changes, classes)
        changed = {k for k in new if new[k] != self.config[k]}
        live = LIVE if new["schedule"] == "none" and self.config["schedule"] == "none" else frozenset()
        if not changed - DISPLAY_ONLY - live:
            if "lr" in changed:  # from the next epoch on; recorded for the export
                for group in self.optimizer.param_groups:
                    group["lr"] = new["lr"]
                self.rates.append((self.epoch, new["lr"]))
            self.config = self._setup.config = new  # a reset rebuilds with the new settings
            return
        data_keys = {"dataset", "noise", "train_share", "n_samples", "data_seed", "n_classes", "problem"}
        self._load(new, new_data=bool(changed & data_keys))

    def _parameter(self, op: Mapping[str, Any], kind: str) -> tuple[str, np.ndarray]:
        layers = self.linears()
        layer = _index(op, "layer", len(layers), first=1)
        name, linear = layers[layer - 1]
        p = linear.weight if kind == "weight" else linear.bias
        if p is None:
            raise GlassnetError(f"{op['op']}: layer {layer} has no bias")
        return f"{name}.{kind}", p.numpy()

    def _op_set_weight(self, op: Mapping[str, Any]) -> None:
        name, W = self._parameter(op, "weight")  # (out_features, in_features), the live array
        i, j = _index(op, "row", W.shape[0]), _index(op, "col", W.shape[1])
        W[i, j] = _number(op, "value", _MAX_WEIGHT)
        self.edits.append((self.epoch, name, [i, j], float(W[i, j])))
        self.losses = self._losses()

    def _op_set_bias(self, op: Mapping[str, Any]) -> None:
        name, b = self._parameter(op, "bias")  # (out_features,), the live array
        i = _index(op, "row", b.shape[0])
        b[i] = _number(op, "value", _MAX_WEIGHT)
        self.edits.append((self.epoch, name, [i], float(b[i])))
        self.losses = self._losses()

    def _op_add_point(self, op: Mapping[str, Any]) -> None:
        x1, x2 = _number(op, "x1", 2 * DOMAIN), _number(op, "x2", 2 * DOMAIN)
        if self.config["problem"] == "classification":
            label = float(_index(op, "label", self.config["n_classes"]))
        else:
            label = _number(op, "label", _MAX_WEIGHT)
        if self.config["dataset"] != "custom":
            self.custom_points, self.custom_labels = self.data.points, self.data.labels
            self.classes = None
        if len(self.custom_labels) >= _MAX_POINTS:
            raise GlassnetError(f"add_point: the playground holds at most {_MAX_POINTS} points")
        self.custom_points = np.concatenate([self.custom_points, [[x1, x2]]])
        self.custom_labels = np.concatenate([self.custom_labels, [label]])
        self._load(self.config | {"dataset": "custom"})

    def _op_clear_points(self, op: Mapping[str, Any]) -> None:
        self.custom_points, self.custom_labels, self.classes = np.zeros((0, 2)), np.zeros(0), None
        self._load(self.config | {"dataset": "custom"})

    def upload(self, text: str) -> None:
        """Replace the data by an uploaded CSV table (two feature columns, then the label column)."""
        points, labels, problem, classes = read_upload(text)
        changes: dict[str, Any] = {"dataset": "custom", "problem": problem}
        if classes is not None:
            changes["n_classes"] = len(classes)
        old = self.custom_points, self.custom_labels, self.classes
        self.custom_points, self.custom_labels, self.classes = points, labels, classes
        try:
            self._load(configure(self.config, changes))
        except GlassnetError:
            self.custom_points, self.custom_labels, self.classes = old
            raise

    def _op_explain(self, op: Mapping[str, Any]) -> dict[str, Any]:
        from glassnet.playground.explaining import explain_target  # explain's modules load on first use

        return {"explain": explain_target(self, op.get("target"), op.get("sample", 0))}

    def settings(self) -> dict[str, Any]:
        """What the export and the report record: the CONFIG and the run's facts."""
        return {"config": dict(self.config), "epochs": self.epoch, "steps": self.steps,
                "classes": self.classes, "n_train": len(self.X_train), "n_test": len(self.X_test)}
