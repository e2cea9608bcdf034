"""``glassnet train --distributed``: the run's processes under mpiexec, and what rank 0 alone does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassnet.distributed.replicas import Replicas

__all__ = ["SILENT_ERROR", "replicas_for", "same_folder"]

SILENT_ERROR = 2  # the exit status of a rank other than 0 when the run fails: rank 0 says why


def replicas_for(distributed: bool) -> Replicas | None:
    """This process's Replicas under ``--distributed`` (an error without mpi4py or outside mpiexec)."""
    return Replicas() if distributed else None


def same_folder(replicas: Replicas | None, choose: Any) -> Path:
    """The run folder rank 0 chooses (``choose()``), on every rank; only rank 0 makes it."""
    if replicas is None:
        return Path(choose())
    chosen = str(choose()) if replicas.rank == 0 else ""
    return Path(replicas.broadcast(chosen))
