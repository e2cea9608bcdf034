"""Callbacks: code that fit() calls at fixed points of training (Keras's names and defaults).

Hooks, in the order fit() calls them: ``on_train_begin``, then per epoch ``on_epoch_begin``,
per batch ``on_loss`` (after the loss, before backward) and ``on_batch_end``, then
``on_epoch_end`` with the epoch's logs, ``on_epoch_saved`` (after every callback's ``on_epoch_end``:
the epoch's final state, whatever the order of the callbacks; checkpoints are written there), and
``on_train_end``. A callback may stop training
(``run.stop(reason)``) or hand weights for the loop to restore (``run.restore_weights``); it
never changes parameters itself. ``state_dict`` holds what a checkpoint must keep to resume.

``changes_model`` says whether a callback may change the model between batches (its layers,
their arguments, which parameters train). fit replays a recorded step only while nothing that
may have changed the model has run since the recording (``glassnet.train.steps``): after a hook
of a callback whose ``changes_model`` is True it records the step anew. It is True unless a
callback says otherwise, and False for every callback here that only reads.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, check_whole
from glassnet.io.atomic import write_atomic
from glassnet.io.state import save_state
from glassnet.train.run import Run

__all__ = [
    "Callback", "EarlyStopping", "HistoryLogger", "LRSchedulerCallback", "LambdaCallback",
    "ModelCheckpoint", "better", "monitor_mode",
]  # fmt: skip

Logs = dict[str, float]


class Callback:
    """Base class: every hook does nothing."""

    changes_model: bool = True  # may change the model between batches; False for read-only callbacks
    writes: bool = False  # writes files or prints: in data-parallel training only rank 0 runs it

    def on_train_begin(self, run: Run) -> None: ...
    def on_epoch_begin(self, run: Run) -> None: ...
    def on_loss(self, run: Run, loss: float) -> None: ...
    def on_batch_end(self, run: Run, logs: Logs) -> None: ...
    def on_epoch_end(self, run: Run, logs: Logs) -> None: ...
    def on_epoch_saved(self, run: Run, logs: Logs) -> None: ...
    def on_train_end(self, run: Run) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of this callback (plain numbers, strings and arrays)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``."""


def monitor_mode(monitor: str, mode: str = "auto") -> str:
    """'min' for losses and errors, 'max' for scores such as accuracy ('auto' decides by name)."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise GlassnetError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if not isinstance(monitor, str) or not monitor:
        raise GlassnetError(f"monitor must name a logged quantity such as 'val_loss', got {monitor!r}")
    name = monitor.removeprefix("val_")
    higher = ("accuracy", "precision", "recall", "f1", "r2", "score")
    return "max" if any(h in name for h in higher) else "min"


def better(value: float, best: float, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` improves on ``best`` by more than ``min_delta``."""
    if math.isnan(value):
        return False
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _monitored(run: Run, logs: Logs, monitor: str, who: str) -> float:
    if monitor not in logs:
        hint = " pass validation_split or validation_data to fit," if monitor.startswith("val_") else ""
        raise GlassnetError(
            f"{who} monitors '{monitor}', which fit does not log;{hint} or choose one of "
            f"{sorted(logs)}"
        )
    return float(logs[monitor])


def _check_stopping(patience: Any, start_from_epoch: Any, min_delta: Any) -> None:
    """EarlyStopping's numbers, refused with one line each when they cannot work."""
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
        raise GlassnetError(f"EarlyStopping got patience={patience!r}; expected a whole number >= 0, "
                            "e.g. patience=5")
    if isinstance(start_from_epoch, bool) or not isinstance(start_from_epoch, numbers.Integral) \
            or start_from_epoch < 0:
        raise GlassnetError(f"EarlyStopping got start_from_epoch={start_from_epoch!r}; expected a whole "
                            "number >= 0")
    if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not math.isfinite(min_delta):
        raise GlassnetError(f"EarlyStopping got min_delta={min_delta!r}; expected a finite number, "
                            "e.g. min_delta=1e-4")


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; restore the best weights.

    As Keras counts: with ``patience=3`` training stops at the end of the third epoch in a row
    without improvement (``patience=0`` stops at the first), never after the first epoch. Unlike
    Keras, ``restore_best_weights`` is on by default, and the best weights are restored at the end
    of training whether or not early stopping triggered.

    Args:
        monitor: a logged quantity, by default the validation loss.
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: 'min', 'max' or 'auto' (by the monitor's name).
        restore_best_weights: load the weights of the best epoch when training ends.
        start_from_epoch: epochs to wait before counting (warm-up).
    """

    changes_model = False

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = True, start_from_epoch: int = 0) -> None:
        _check_stopping(patience, start_from_epoch, min_delta)
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.mode, self.restore_best_weights = monitor_mode(monitor, mode), restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.best, self.best_epoch, self.wait = math.inf if self.mode == "min" else -math.inf, -1, 0
        self.best_weights: dict[str, Tensor] | None = None

    def on_train_begin(self, run: Run) -> None:
        if self.monitor.startswith("val_") and not run.has_validation:
            _monitored(run, {}, self.monitor, "EarlyStopping")

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        value = _monitored(run, logs, self.monitor, "EarlyStopping")
        if run.epoch < self.start_from_epoch:
            return
        if better(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, run.epoch, 0
            if self.restore_best_weights:
                self.best_weights = run.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience and run.epoch > 0:  # Keras: `patience` epochs without improvement
            run.stop(f"early stopping: {self.monitor} has not improved for {self.wait} epochs, patience "
                     f"{self.patience} (best {self.best:.6g} at epoch {self.best_epoch + 1})")

    def on_train_end(self, run: Run) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            run.restore_weights = self.best_weights

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "best_weights": self.best_weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.best_weights = state["best_weights"]


class ModelCheckpoint(Callback):
    """Write a checkpoint (model, optimizer, schedules, random states, epoch, history) atomically.

    ``fit(..., resume_from=path)`` continues from it exactly as if training had never stopped. The
    file is written after every callback's ``on_epoch_end`` (``on_epoch_saved``), so it holds the
    epoch's final state (the schedule already stepped) wherever this callback is in the list.

    Args:
        path: file to write; ``{epoch}`` in it is replaced by the epoch number (from 1).
        monitor, mode: with ``save_best_only``, the quantity that decides what is best.
        save_best_only: write only when ``monitor`` improves.
        every: otherwise, write every ``every`` epochs.
    """

    changes_model = False
    writes = True

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = False, every: int = 1) -> None:
        check_whole("ModelCheckpoint", "every", every, 1, example=1)
        self.path, self.monitor, self.every = str(path), monitor, every
        self.mode, self.save_best_only = monitor_mode(monitor, mode), save_best_only
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path: str | None = None
        self._due = False  # this epoch is to be written, once every callback has seen it

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        self._due = False
        if self.save_best_only:
            value = _monitored(run, logs, self.monitor, "ModelCheckpoint")
            if not better(value, self.best, self.mode):
                return
            self.best = value
        elif (run.epoch + 1) % self.every:
            return
        self._due = True

    def on_epoch_saved(self, run: Run, logs: Logs) -> None:
        if not self._due:
            return
        self._due = False
        self.last_path = self.path.format(epoch=run.epoch + 1)
        Path(self.last_path).parent.mkdir(parents=True, exist_ok=True)
        save_state(self.last_path, run.state())

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler after every epoch (or batch); ReduceLROnPlateau gets ``monitor``."""

    changes_model = False

    def __init__(self, scheduler: Any, interval: str = "epoch", monitor: str = "val_loss") -> None:
        if interval not in ("epoch", "batch"):
            raise GlassnetError(f"interval must be 'epoch' or 'batch', got {interval!r}")
        if not isinstance(monitor, str):
            raise GlassnetError(f"LRSchedulerCallback got monitor={monitor!r}; expected a logged quantity "
                                "such as 'val_loss'")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor
        self.on_plateau = type(scheduler).__name__ == "ReduceLROnPlateau"

    def on_batch_end(self, run: Run, logs: Logs) -> None:
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        if self.on_plateau:
            self.scheduler.step(_monitored(run, logs, self.monitor, "ReduceLROnPlateau"))
        elif self.interval == "epoch":
            self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return dict(self.scheduler.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state)


class HistoryLogger(Callback):
    """Write the history after every epoch to a CSV or JSON file (by its suffix), atomically."""

    changes_model = False
    writes = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.suffix not in (".csv", ".json"):
            raise GlassnetError(f"HistoryLogger writes .csv or .json files, got {self.path.name!r}")

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        history = run.history
        if self.path.suffix == ".json":
            text = json.dumps(history.to_dict(), indent=1)
        else:
            out = io.StringIO()
            writer = csv.writer(out)
            keys = sorted(history.history)
            writer.writerow(["epoch", *keys])
            writer.writerows([e + 1, *(history[k][i] for k in keys)] for i, e in enumerate(history.epoch))
            text = out.getvalue()
        write_atomic(self.path, text, make_parents=True)


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda run, logs: ...)``.

    Only the hooks given run. It may change the model unless ``changes_model=False`` is passed.
    """

    def __init__(self, on_epoch_end: Callable[[Run, Logs], None] | None = None,
                 on_batch_end: Callable[[Run, Logs], None] | None = None,
                 on_train_begin: Callable[[Run], None] | None = None,
                 on_train_end: Callable[[Run], None] | None = None, *, changes_model: bool = True) -> None:
        self.changes_model = changes_model
        given = {"on_epoch_end": on_epoch_end, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for hook, function in given.items():
            if function is not None:
                setattr(self, hook, function)  # called as function(run, ...) in place of the no-op


