"""Replicas: one model trained by the processes of an MPI job, Horovod's recipe in fit's one loop.

Every process runs the same ``fit(..., distributed=Replicas())``. Before the first step every
replica takes rank 0's initial weights, optimizer state and random generators (so ranks started
with different seeds train rank 0's model on rank 0's shuffling). Every global batch the seeded
sampler draws is the same on every replica; replica r takes its contiguous share of rows, runs
the engine's forward and backward on them, and the replicas combine:

    L_r = (1/N_r) Σ_{i∈r} ℓ_i                    the loss's mean over the shard (N_r its divisor:
                                                  samples, elements, Σ class or sample weights)
    g   = ∂L/∂θ = (1/N) Σ_r N_r · ∂L_r/∂θ,  N = Σ_r N_r      the global batch's mean gradient

so a short or empty shard (the last batch) weighs what its rows weigh; a loss with
``reduction='sum'`` adds (g = Σ_r ∂L_r/∂θ). Penalties are in every L_r once, and the weights
N_r/N sum to 1, so R(W) counts once.

How the sum is taken: ``reduce='allgather'`` (the default) gathers every replica's vector and
adds them in rank order on each replica: every replica does the same additions on the same
numbers, so the replicas hold bit-identical weights after every step and a rerun gives the same
bits. ``reduce='allreduce'`` lets MPI add in the order its algorithm picks (faster with many
ranks, not bit-reproducible across runs or replica counts; replicas still agree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.distributed.comm import Link, import_mpi
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, check_number
from glassnet.explain.divisor import divisor
from glassnet.explain.record import Recorder
from glassnet.train.parallel import Parallel
from glassnet.train.sources import Batch
from glassnet.train.steps import StepLosses, TrainStep

if TYPE_CHECKING:
    from glassnet.train.run import Run

__all__ = ["REDUCTIONS", "Replicas"]

REDUCTIONS = ("allgather", "allreduce")


class Replicas(Parallel):
    """This process's place in a group of processes that train one model: pass it to ``fit``.

    Args:
        comm: an mpi4py communicator (default ``MPI.COMM_WORLD``: every process ``mpiexec`` started).
        reduce: ``'allgather'`` (reproducible: a sum in rank order) or ``'allreduce'`` (MPI's order).
        timeout: seconds any rank waits for the others before it ends the job with a message
            (a rank that stopped or hangs).

    Run it with ``mpiexec -n 2 python train.py``, where train.py calls
    ``gn.fit(..., distributed=Replicas())`` and writes files when ``replicas.rank == 0``.
    """

    def __init__(self, comm: Any = None, *, reduce: str = "allgather", timeout: float = 120.0) -> None:
        if reduce not in REDUCTIONS:
            raise GlassnetError(f"Replicas got reduce={reduce!r}; expected 'allgather' (reproducible) or "
                                "'allreduce' (MPI's order)")
        timeout = check_number("Replicas", "timeout", timeout, 0.0, open_low=True, example=120)
        comm = import_mpi().COMM_WORLD if comm is None else comm
        self.link = Link(comm, float(timeout))
        self.rank, self.size, self.reduce = self.link.rank, self.link.size, reduce
        if self.size < 2:
            raise GlassnetError("distributed training runs in 2 or more processes started by mpiexec, e.g. "
                                "'mpiexec -n 2 glassnet train ... --distributed'; this process is alone "
                                "(a single process trains without distributed)")
        self._parameters: list[Tensor] = []

    # ----------------------------------------------------------------- Parallel
    def start(self, run: Run, step: TrainStep) -> None:
        _check_combinable(step)
        shared = {k: v for k, v in run.state().items() if k in ("model", "optimizer", "rng", "data_rng",
                                                                  "generators")}
        run.adopt(self.link.broadcast_tree(shared, "sharing rank 0's initial state"))
        self._parameters = [p for p in run.model.parameters() if p.requires_grad]
        if self.rank != 0:
            run.callbacks = [cb for cb in run.callbacks if not cb.writes]

    def step(self, run: Run, step: TrainStep, batch: Batch) -> tuple[StepLosses, np.ndarray]:
        idx, xb, yb = batch
        rows = self.shard(len(xb))
        names = list(step.regularizers)
        out, local, n_r, failure = np.empty((0,), xb.dtype), np.zeros(2 + len(names)), 0.0, ""
        run.optimizer.zero_grad()
        try:
            if rows.stop > rows.start:  # an empty shard (a short last batch) adds nothing
                losses, out = step.forward(xb[rows], yb[rows], None if idx is None else idx[rows])
                step.backward()  # the chain rule, in the engine
                local = np.array([losses.total, losses.data, *(losses.penalties[n] for n in names)])
                n_r = self._divisor(step, idx, rows, out, yb[rows])
        except (Exception, KeyboardInterrupt) as error:  # every rank must still meet the others
            failure, n_r = f"{type(error).__name__}: {error}", 0.0
        total = self._combine(self._vector(n_r, local, failure), run, failure)
        return self._unpack(total, step, len(names), names), out

    def rows(self, outputs: list[np.ndarray], batch_sizes: list[int]) -> np.ndarray:
        local = [o.reshape(len(o), -1) for o in outputs if len(o)]
        dtype = local[0].dtype if local else self._dtype()
        blocks = self.link.gather_rows(np.concatenate(local).reshape(-1) if local else np.empty(0, dtype),
                                       "gathering the epoch's outputs")
        counts = [self._counts(batch_sizes, r) for r in range(self.size)]
        width = max(b.size // max(sum(c), 1) for b, c in zip(blocks, counts, strict=True)) or 1
        parts = [np.split(b.reshape(-1, width), np.cumsum(c)[:-1])
                 for b, c in zip(blocks, counts, strict=True)]
        joined = np.concatenate([part[i] for i in range(len(batch_sizes)) for part in parts])  # (n, width)
        trailing = next((o.shape[1:] for o in outputs if len(o)), (width,))
        return joined.reshape(len(joined), *trailing)

    def agree(self, logs: dict[str, float]) -> dict[str, float]:
        return dict(self.link.broadcast_tree(logs, "sharing rank 0's epoch logs"))

    def broadcast(self, value: Any) -> Any:
        """Rank 0's ``value`` (numbers, strings, arrays; dicts, lists and tuples of them) on every rank."""
        return self.link.broadcast_tree(value, "sharing a value of rank 0")

    def _dtype(self) -> np.dtype[Any]:
        return self._parameters[0].dtype if self._parameters else np.dtype(np.float64)

    # ----------------------------------------------------------------- shards
    def shard(self, n: int) -> slice:
        """This replica's rows of a global batch of ``n``: contiguous, sizes differing by at most 1."""
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (self.rank < extra))

    def _counts(self, batch_sizes: list[int], rank: int) -> list[int]:
        base = [divmod(n, self.size) for n in batch_sizes]
        return [q + (rank < r) for q, r in base]

    def _divisor(self, step: TrainStep, idx: np.ndarray | None, rows: slice, out: np.ndarray,
                 y: np.ndarray) -> float:
        """N_r, the shard's divisor of its mean loss (1 for a summed loss)."""
        if step.weights is not None and idx is not None:  # Σ wᵢℓᵢ / Σ wᵢ
            return float(step.weights[idx[rows]].sum(dtype=np.float64))
        found = divisor(step.loss, Tensor(out), Tensor(y), Recorder(6, None))
        return 1.0 if found is None else found[0]

    # ----------------------------------------------------------------- the sum
    def _vector(self, n_r: float, local: np.ndarray, failure: str) -> np.ndarray:
        """[N_r·g_r of every parameter | N_r·(loss, data loss, penalties) | N_r | failed]."""
        dtype = self._dtype()
        sizes = [p.array.size for p in self._parameters]
        vector = np.zeros(sum(sizes) + len(local) + 2, dtype=np.result_type(dtype, np.float32))
        at = 0
        for p, size in zip(self._parameters, sizes, strict=True):
            if p.grad_array is not None and not failure:
                np.multiply(p.grad_array.reshape(-1), n_r, out=vector[at:at + size])
            at += size
        vector[at:at + len(local)] = local * n_r
        vector[-2:] = n_r, bool(failure)
        return vector

    def _combine(self, vector: np.ndarray, run: Run, failure: str) -> np.ndarray:
        where = f"combining the gradients of epoch {run.epoch + 1}, batch {run.batch + 1}"
        if self.reduce == "allreduce":
            total = self.link.allreduce(vector, where)
        else:
            rows = self.link.gather(vector, where)
            total = rows[0].copy()
            for row in rows[1:]:  # in rank order: the same additions on every replica
                total += row
        if total[-1]:
            self._fail(run, failure)
        return total

    def _fail(self, run: Run, failure: str) -> None:
        failed = [(r, text) for r, text in enumerate(self.link.messages(failure)) if text]
        said = "; ".join(f"rank {r}: {text}" for r, text in failed)
        raise GlassnetError(f"distributed training stopped in epoch {run.epoch + 1}, batch {run.batch + 1}: "
                            f"{len(failed)} of {self.size} ranks failed ({said}); every rank stopped. "
                            "Resume from the last checkpoint (ModelCheckpoint, or glassnet train --resume "
                            "RUN)")

    def _unpack(self, total: np.ndarray, step: TrainStep, k: int, names: list[str]) -> StepLosses:
        """The global batch's gradients into every parameter's .grad; its losses."""
        n = float(total[-2])
        scale = 1.0 / n if _is_mean(step.loss) and n > 0 else 1.0
        at = 0
        for p in self._parameters:
            size = p.array.size
            p.grad_array = (total[at:at + size] * scale).astype(p.dtype, copy=False).reshape(p.shape)
            at += size
        numbers = [float(v) * scale for v in total[at:at + 2 + k]]
        return StepLosses(numbers[0], numbers[1], dict(zip(names, numbers[2:], strict=True)))


def _is_mean(loss: Any) -> bool:
    return vars(loss).get("reduction") in ("mean", "batchmean")


def _check_combinable(step: TrainStep) -> None:
    """The recipe's sum is exact for means and sums of per-sample terms; say where it is not."""
    reduction = vars(step.loss).get("reduction")
    if reduction not in ("mean", "batchmean", "sum"):
        raise GlassnetError(f"distributed training combines losses with reduction 'mean', 'batchmean' or "
                            f"'sum'; {type(step.loss).__name__} has reduction={reduction!r}")
    if step.penalty_per_sample and step.regularizers:
        raise GlassnetError("distributed training does not take penalty_per_sample=True: each shard would "
                            "divide the penalty by its own sample count; leave it False")
    if reduction == "sum" and step.regularizers:
        raise GlassnetError("distributed training with a summed loss (reduction='sum') and a penalty would "
                            "count the penalty once per rank; use reduction='mean' or no penalty")
