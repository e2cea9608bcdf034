"""The seam of data-parallel training: what ``fit(..., distributed=...)`` asks of a group of replicas.

Several processes (replicas) run the same ``fit`` on the same data; each replica computes the
forward and backward pass of its share of every global batch, and the replicas combine their
gradients before every optimizer step, so that all of them take the same step. The loop stays
the one loop of ``train/loop.py``; a ``Parallel`` object (``glassnet.distributed.Replicas``, over
MPI) decides the rest:

- ``start``: every replica continues from rank 0's model, optimizer state and random generators
  (the shuffling too, so every replica draws the same global batches);
- ``step``: the forward and backward pass of this replica's shard of a global batch, then the
  global batch's losses and gradients, the same on every replica;
- ``rows``: the epoch's outputs of all replicas, in the order of the global batches (training metrics);
- ``agree``: rank 0's epoch logs on every replica, so every callback decides alike.

Callbacks that write or print (``Callback.writes``) run on rank 0 only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from glassnet.train.sources import Batch
from glassnet.train.steps import StepLosses, TrainStep

if TYPE_CHECKING:
    from glassnet.train.run import Run

__all__ = ["Parallel"]


class Parallel(ABC):
    """A group of processes that train one model together (data parallelism); ``rank`` 0 leads."""

    rank: int  # this process's number in the group, 0 ... size - 1
    size: int  # the number of processes

    @abstractmethod
    def start(self, run: Run, step: TrainStep) -> None:
        """Before the first step: every replica takes rank 0's model, optimizer state and generators."""

    @abstractmethod
    def step(self, run: Run, step: TrainStep, batch: Batch) -> tuple[StepLosses, np.ndarray]:
        """Forward and backward on this replica's shard of ``batch``; leaves the global batch's
        gradients in the parameters' ``.grad`` and returns its losses and this shard's outputs."""

    @abstractmethod
    def rows(self, outputs: list[np.ndarray], batch_sizes: list[int]) -> np.ndarray:
        """Every replica's ``outputs`` (one array per batch of ``batch_sizes`` rows in all),
        concatenated in the order of the global batches' rows."""

    @abstractmethod
    def agree(self, logs: dict[str, float]) -> dict[str, float]:
        """Rank 0's epoch logs, on every replica."""
