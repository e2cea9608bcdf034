"""The MPI calls of data-parallel training, each with a deadline: mpi4py, imported only when used.

Every collective call is started non-blocking and waited for here, so that a replica that
stopped or hangs ends the job with one clear line after ``timeout`` seconds instead of a hang.
Trees of arrays (the model's and optimizer's state) travel as the JSON text and arrays of
``glassnet.io.state.pack_tree``, in MPI buffers: nothing is pickled.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.io.state import pack_tree, unpack_tree

__all__ = ["Link", "import_mpi"]

MESSAGE_BYTES = 400  # a failed replica's message, as rank 0 prints it
SPIN, PAUSE = 0.005, 0.0002  # seconds: how long a wait polls without pause, then the pause between polls


def import_mpi() -> Any:
    """mpi4py's MPI module, or a clear error saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise GlassnetError("distributed training needs mpi4py and an MPI library: pip install "
                            "'glassnet[mpi]' (mpi4py with the mpich wheels), then start the processes "
                            "with mpiexec -n 2 ...") from None
    return MPI


class Link:
    """One process's end of an MPI communicator, with a deadline on every collective call."""

    def __init__(self, comm: Any, timeout: float) -> None:
        self.mpi = import_mpi()
        self.comm = comm
        self.rank, self.size, self.timeout = comm.Get_rank(), comm.Get_size(), timeout
        self._received: dict[tuple[int, np.dtype[Any]], np.ndarray] = {}  # gather's buffers, kept

    def wait(self, request: Any, what: str) -> None:
        """Wait for a non-blocking call; past the deadline, say so and end the whole job.

        It polls without pause for SPIN seconds (a combine itself takes under a millisecond), then
        sleeps PAUSE between polls: a replica waiting for a slower one leaves the core to others.
        """
        start = time.monotonic()
        deadline = start + self.timeout
        while not request.Test():
            now = time.monotonic()
            if now > start + SPIN:
                time.sleep(PAUSE)
            if now > deadline:
                self.abort(f"rank {self.rank} of {self.size} waited {self.timeout:g} s for the other ranks "
                           f"while {what}: a rank has stopped or hangs; the job ends. Resume from the last "
                           "checkpoint (ModelCheckpoint, or glassnet train --resume RUN)")

    def abort(self, message: str) -> None:
        """Print one line and end every process of the job (the others may be stuck in a call)."""
        print(f"glassnet: error: {message}", file=sys.stderr, flush=True)
        self.comm.Abort(2)

    def gather(self, vector: np.ndarray, what: str) -> np.ndarray:
        """Every rank's ``vector``, one row per rank in rank order: (size, len(vector)); valid until
        the next gather of a vector of this length and dtype."""
        key = (vector.size, vector.dtype)
        out = self._received.get(key)
        if out is None:
            out = self._received[key] = np.empty((self.size, vector.size), dtype=vector.dtype)
        self.wait(self.comm.Iallgather(vector, out), what)
        return out

    def allreduce(self, vector: np.ndarray, what: str) -> np.ndarray:
        """Σ over ranks of ``vector``, summed in the order MPI chooses."""
        out = np.empty_like(vector)
        self.wait(self.comm.Iallreduce(vector, out, op=self.mpi.SUM), what)
        return out

    def broadcast(self, array: np.ndarray, what: str) -> None:
        """Rank 0's ``array`` into every rank's (same shape and dtype)."""
        self.wait(self.comm.Ibcast(array, root=0), what)

    def gather_rows(self, local: np.ndarray, what: str) -> list[np.ndarray]:
        """Every rank's 1-d ``local`` (of any length), in rank order."""
        sizes = self.gather(np.array([local.size], dtype=np.int64), what)[:, 0]
        out = np.empty(int(sizes.sum()), dtype=local.dtype)
        self.wait(self.comm.Iallgatherv(local, (out, sizes)), what)
        return np.split(out, np.cumsum(sizes)[:-1])

    def messages(self, text: str) -> list[str]:
        """Every rank's ``text`` (cut to MESSAGE_BYTES bytes), in rank order."""
        raw = np.zeros(MESSAGE_BYTES, dtype=np.uint8)
        encoded = text.encode("utf-8", "replace")[:MESSAGE_BYTES]
        raw[:len(encoded)] = np.frombuffer(encoded, dtype=np.uint8)
        rows = self.gather(raw, "collecting the ranks' errors")
        return [row.tobytes().rstrip(b"\0").decode("utf-8", "replace") for row in rows]

    def broadcast_tree(self, tree: Any, what: str) -> Any:
        """Rank 0's state tree (dicts, lists, numbers, strings, arrays, Tensors) on every rank."""
        header = np.zeros(1, dtype=np.int64)
        if self.rank == 0:
            text, arrays = pack_tree(tree)
            names = list(arrays)
            encoded = json.dumps({"text": text, "arrays": [[n, arrays[n].dtype.str, arrays[n].shape]
                                                           for n in names]}).encode()
            header[0] = len(encoded)
        self.broadcast(header, what)
        raw = np.empty(header[0], np.uint8) if self.rank else np.frombuffer(encoded, dtype=np.uint8).copy()
        self.broadcast(raw, what)
        described = json.loads(raw.tobytes())
        received = {}
        for name, dtype, shape in described["arrays"]:
            array = np.ascontiguousarray(arrays[name]) if self.rank == 0 else np.empty(shape, dtype=dtype)
            self.broadcast(array.reshape(-1).view(np.uint8), what)
            received[name] = array
        return unpack_tree(described["text"], received, "rank 0's state")[0]
