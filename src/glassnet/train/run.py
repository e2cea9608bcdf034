"""Run: the state of one fit() call that callbacks read, and that a checkpoint saves and restores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.nn.module import Module
from glassnet.optim.optimizer import Optimizer
from glassnet.train.history import History

if TYPE_CHECKING:
    from glassnet.train.callbacks import Callback
    from glassnet.train.parallel import Parallel

__all__ = ["CHECKPOINT_FORMAT", "Run"]

CHECKPOINT_FORMAT = ("glassnet-checkpoint", 1)


@dataclass
class Run:
    """What a callback sees of a training run.

    Callbacks read everything here and may set ``stop_training`` (with ``stop_reason``),
    ``restore_weights`` (a state_dict the loop loads when training ends) or ``rollback`` (the model's
    and the optimizer's state_dicts the loop loads at once, leaving the epoch unrecorded: training
    diverged); only the loop itself changes the model's parameters.
    """

    model: Module
    optimizer: Optimizer
    rng: np.random.Generator
    epochs: int
    steps_per_epoch: int
    has_validation: bool
    callbacks: list[Callback] = field(default_factory=list)
    history: History = field(default_factory=History)
    epoch: int = 0  # the epoch being trained, from 0
    batch: int = 0
    start_epoch: int = 0  # > 0 when resumed from a checkpoint
    stop_training: bool = False
    stop_reason: str = ""
    restore_weights: dict[str, Tensor] | None = None
    inputs: np.ndarray | None = None  # the current batch's inputs, for the NaN sentinel
    penalties: dict[str, float] = field(default_factory=dict)  # the current batch's penalty values, by name
    data_rng: np.random.Generator | None = None  # a DataLoader's own shuffling generator
    rollback: tuple[dict[str, Any], dict[str, Any]] | None = None  # diverged: model, optimizer state to load
    parallel: Parallel | None = None  # data-parallel training: this process's group (fit's distributed)

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current batch."""
        self.stop_training, self.stop_reason = True, reason

    # ----------------------------------------------------------------- checkpoints
    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this run is, after epoch ``self.epoch``."""
        return {
            "format": CHECKPOINT_FORMAT[0], "version": CHECKPOINT_FORMAT[1],
            "epochs_done": self.epoch + 1,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "data_rng": None if self.data_rng is None else self.data_rng.bit_generator.state,
            "generators": {name: g.bit_generator.state for name, g in _generators(self.model)},
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "history": self.history.to_dict(),
            "stop_reason": self.stop_reason,  # a callback stopped the run at this epoch (early stopping)
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from ``state()`` of an earlier run of the same model, optimizer and callbacks."""
        if (state.get("format"), state.get("version")) != CHECKPOINT_FORMAT:
            raise GlassnetError(
                f"not a glassnet checkpoint (format {state.get('format')!r}, version "
                f"{state.get('version')!r}); resume from a file written by ModelCheckpoint"
            )
        self.adopt(state)
        saved = state["callbacks"]
        if len(saved) != len(self.callbacks):
            raise GlassnetError(
                f"the checkpoint was written with {len(saved)} callbacks, this run has "
                f"{len(self.callbacks)}; resume with the same callbacks"
            )
        for callback, callback_state in zip(self.callbacks, saved, strict=True):
            callback.load_state_dict(callback_state)
        self.history = History.from_dict(state["history"])
        self.start_epoch = int(state["epochs_done"])
        if state.get("stop_reason"):  # it had stopped there: it ends as it would have, training no more
            self.stop(str(state["stop_reason"]))
            self.start_epoch = max(self.start_epoch, self.epochs)


    def adopt(self, state: dict[str, Any]) -> None:
        """Take the model, the optimizer and the random generators of ``state()`` (a checkpoint's, or
        another replica's in data-parallel training), nothing else."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self._restore_data_rng(state.get("data_rng"))
        own = dict(_generators(self.model))
        if own.keys() != state["generators"].keys():
            raise GlassnetError("the checkpoint's model has other random layers (dropout) than this one")
        for name, generator in own.items():
            generator.bit_generator.state = state["generators"][name]

    def _restore_data_rng(self, saved: dict[str, Any] | None) -> None:
        """The DataLoader's shuffle continues where the checkpoint left it (a seeded loader on both sides)."""
        if (saved is None) != (self.data_rng is None):
            had = "a DataLoader shuffled by a generator of its own" if saved is not None else "no such loader"
            raise GlassnetError(f"the checkpoint was written with {had}, this run differs; resume with the "
                                "same data: a DataLoader with generator=<seed> resumes exactly")
        if saved is not None and self.data_rng is not None:
            self.data_rng.bit_generator.state = saved


def _generators(model: Module) -> list[tuple[str, np.random.Generator]]:
    """Every random Generator a module keeps (dropout masks), by dotted name."""
    found = []
    for prefix, module in model.named_modules():
        for name, value in vars(module).items():
            if isinstance(value, np.random.Generator):
                found.append((f"{prefix}.{name}" if prefix else name, value))
    return found
