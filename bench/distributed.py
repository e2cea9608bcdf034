"""Data-parallel training: time per step on 1 and on 2 processes, and the cost of combining gradients.

The 784-256-128-10 network (ReLU, float32, Adam, cross-entropy) at a global batch of 2048 rows,
trained by ``gn.fit`` on random data. Each configuration runs in fresh processes, the
configurations taking turns ``--repeats`` times so that all see the same background load:

- ``1 proc, 1 BLAS thread`` and ``1 proc, 2 BLAS threads``: plain fit (the fair baseline on a
  2-core machine is the second: one process may use both cores through BLAS);
- ``2 procs (allgather)`` and ``2 procs (allreduce)``: ``mpiexec -n 2``, fit with
  ``distributed=Replicas(reduce=...)``, 1 BLAS thread each.

In each run the first epoch (recording, warm-up) is dropped and the median over the later epochs
of epoch time / steps is the time per step. The 2-process runs also time, between the epochs'
training, the combine alone: an allgather of the gradient vector (235,146 float32 numbers,
0.94 MB) plus the sum in rank order, and MPI's Allreduce of the same vector, and the
forward + backward pass of one 1024-row shard. Writes bench/DISTRIBUTED.md.

    python bench/distributed.py [--repeats 3] [--epochs 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

from glassnet.train import Callback

HERE = Path(__file__).resolve().parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"
SIZES, BATCH, STEPS = (784, 256, 128, 10), 2048, 6  # steps per epoch
CONFIGS = {  # name: (processes, BLAS threads per process, reduce)
    "1 proc, 1 BLAS thread": (1, 1, ""),
    "1 proc, 2 BLAS threads": (1, 2, ""),
    "2 procs (allgather), 1 BLAS thread each": (2, 1, "allgather"),
    "2 procs (allreduce), 1 BLAS thread each": (2, 1, "allreduce"),
}


def worker(reduce: str, epochs: int) -> None:
    """One run (in each process of it): per-step times, and in 2-process runs the parts of a step."""
    import numpy as np

    import glassnet as gn
    from glassnet import nn, optim

    replicas = None
    if reduce:
        from glassnet.distributed import Replicas

        replicas = Replicas(reduce=reduce)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH * STEPS, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], len(X))
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    cpu = CPUTime()
    history = gn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=BATCH, seed=0,
                     verbose=0, diagnostics=False, distributed=replicas, callbacks=[cpu])
    cpu_ms = median(cpu.epochs[1:]) / STEPS * 1e3
    result = {"step_ms": median(t / STEPS * 1e3 for t in history["time"][1:]), "cpu_ms": cpu_ms}
    if replicas is not None:  # the busier process's CPU time
        result["cpu_ms"] = float(replicas.link.gather(np.array([cpu_ms]), "the CPU times").max())
        result |= _parts(replicas, model, X[:BATCH // 2], y[:BATCH // 2])
    else:
        result |= _alone(model, opt, X[:BATCH], y[:BATCH])
    if replicas is None or replicas.rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


class CPUTime(Callback):
    """This process's CPU time (user + system) in each epoch's training steps."""

    changes_model = False

    def __init__(self) -> None:
        self.epochs: list[float] = []

    def on_epoch_begin(self, run: Any) -> None:
        self._start = time.process_time()

    def on_epoch_end(self, run: Any, logs: Any) -> None:
        self.epochs.append(time.process_time() - self._start)


def _alone(model, opt, x, y, repeats: int = 15) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """One process: the forward + backward pass of a whole global batch, and the optimizer's update, in
    CPU time (with 1 BLAS thread, the time on a core of its own, whatever else the machine runs)."""
    import glassnet as gn
    from glassnet import nn

    loss = nn.CrossEntropyLoss()

    def batch() -> None:
        model.zero_grad()
        loss(model(gn.tensor(x)), gn.tensor(y)).backward()

    times = {}
    for name, call in (("batch_compute_ms", batch), ("update_ms", opt.step)):
        samples = []
        for _ in range(repeats):
            start = time.process_time()
            call()
            samples.append((time.process_time() - start) * 1e3)
        times[name] = median(samples)
    return times


def _parts(replicas, model, x, y, repeats: int = 40) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The combine (allgather + sum, allreduce) of a gradient-sized vector, and one shard's compute."""
    import numpy as np

    import glassnet as gn
    from glassnet import nn

    comm = replicas.link.comm
    vector = np.ones(sum(p.numel() for p in model.parameters()), dtype=np.float32)
    gathered = np.empty((comm.Get_size(), vector.size), dtype=np.float32)

    def gather_sum() -> None:
        comm.Allgather(vector, gathered)
        total = gathered[0].copy()
        for row in gathered[1:]:
            total += row

    def allreduce() -> None:
        comm.Allreduce(vector, np.empty_like(vector))

    loss = nn.CrossEntropyLoss()

    def shard() -> None:
        model.zero_grad()
        loss(model(gn.tensor(x)), gn.tensor(y)).backward()

    times = {}
    def add() -> None:
        np.add(gathered[0], gathered[1], out=vector)

    calls = {"allgather_sum_ms": gather_sum, "allreduce_ms": allreduce, "shard_compute_ms": shard,
             "add_ms": add}
    for name, call in calls.items():
        samples = []
        for _ in range(repeats):
            comm.Barrier()
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1e3)
        times[name] = median(samples)
    return times | {"bytes": vector.nbytes}


def run(name: str, epochs: int) -> dict[str, float]:
    procs, threads, reduce = CONFIGS[name]
    env = os.environ | {k: str(threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                  "MKL_NUM_THREADS")}
    command = [sys.executable, __file__, "--worker", reduce or "-", "--epochs", str(epochs)]
    if procs > 1:
        command = [str(MPIEXEC), "-n", str(procs), *command]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--worker", default=None)
    parser.add_argument("--report", action="store_true", help="rewrite DISTRIBUTED.md from DISTRIBUTED.json")
    args = parser.parse_args()
    if args.report:
        (HERE / "DISTRIBUTED.md").write_text(report(json.loads((HERE / "DISTRIBUTED.json").read_text())))
        return
    if args.worker is not None:
        worker("" if args.worker == "-" else args.worker, args.epochs)
        return
    results: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    load = [os.getloadavg()[0]]
    for turn in range(args.repeats):
        for name in CONFIGS:  # alternating: every configuration once per turn
            results[name].append(run(name, args.epochs))
            print(f"turn {turn + 1}: {name}: {results[name][-1]}", flush=True)
            load.append(os.getloadavg()[0])
    raw = {"results": results, "load": load, "repeats": args.repeats, "epochs": args.epochs,
           "date": time.strftime("%Y-%m-%d")}
    (HERE / "DISTRIBUTED.json").write_text(json.dumps(raw, indent=1))
    (HERE / "DISTRIBUTED.md").write_text(report(raw))
    print((HERE / "DISTRIBUTED.md").read_text())


def report(raw: dict[str, Any]) -> str:
    """bench/DISTRIBUTED.md from the raw results (``--report`` rewrites it from bench/DISTRIBUTED.json)."""
    results, load = raw["results"], raw["load"]
    import numpy as np  # noqa: F401  (loads the BLAS threadpoolctl describes)
    from machine import blas_info, cpu_flags, cpu_model

    step = {name: median(r["step_ms"] for r in runs) for name, runs in results.items()}
    cpu = {name: median(r["cpu_ms"] for r in runs) for name, runs in results.items()}
    base = min(step["1 proc, 1 BLAS thread"], step["1 proc, 2 BLAS threads"])
    two = [r for name, runs in results.items() if CONFIGS[name][0] == 2 for r in runs]
    parts = {k: median(r[k] for r in two) for k in ("allgather_sum_ms", "allreduce_ms", "shard_compute_ms")}
    blas = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads)"
                     for b in blas_info())
    lines = [
        "# Data-parallel training: 1 vs 2 processes",
        "",
        f"`python bench/distributed.py --repeats {raw['repeats']} --epochs {raw['epochs']}` on "
        f"{raw['date']}.",
        f"CPU: {cpu_model()} ({os.cpu_count()} cores seen; flags {cpu_flags()}); BLAS: {blas}; "
        f"MPI: mpich from PyPI, `mpiexec -n 2` on one machine (shared memory). The machine is shared: "
        f"its 1-minute load average (runnable processes, all users) read between the runs went from "
        f"{min(load):.1f} to {max(load):.1f} on {os.cpu_count()} cores.",
        "",
        f"784-256-128-10 MLP (ReLU, float32, Adam, cross-entropy), global batch {BATCH}, {STEPS} steps per "
        f"epoch, median over epochs 2..{raw['epochs']} of each run, then over {raw['repeats']} alternating "
        "runs.",
        "",
        "Wall time per step, and its ratio to the faster 1-process line. On a loaded machine two processes "
        "get a larger share of the cores than one does, which flatters the 2-process lines; the CPU time "
        "per step of each process (the busier of the two) does not depend on that share, and on an idle "
        "machine, where every process has a core of its own, it is the wall time. Its ratio is the estimate "
        "of the speed-up on an idle machine (1 process on 1 BLAS thread against the busier of 2 processes; "
        "with 2 BLAS threads the CPU time counts both threads).",
        "",
        "| configuration | wall ms per step (each run) | median | wall ratio | CPU ms per step per process | "
        "CPU ratio (idle-machine estimate) |",
        "|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        each = ", ".join(f"{r['step_ms']:.1f}" for r in runs)
        ratio = f"{cpu['1 proc, 1 BLAS thread'] / cpu[name]:.2f}x" if CONFIGS[name][1] == 1 else "-"
        lines.append(f"| {name} | {each} | {step[name]:.1f} | {base / step[name]:.2f}x | {cpu[name]:.1f} | "
                     f"{ratio} |")
    alone = results["1 proc, 1 BLAS thread"]
    F, U = (median(r[k] for r in alone) for k in ("batch_compute_ms", "update_ms"))
    lines += [
        "",
        f"Parts of a 1-process step (1 BLAS thread, CPU time, medians of 15 calls): forward + backward of "
        f"the {BATCH}-row batch F = {F:.1f} ms, Adam's update U = {U:.1f} ms.",
        "",
        f"Parts of a 2-process step (medians of 40 calls, in the 2-process runs): forward + backward of one "
        f"{BATCH // 2}-row shard {parts['shard_compute_ms']:.1f} ms; combining the "
        f"{two[0]['bytes'] / 1e6:.2f} MB "
        f"gradient vector: allgather + sum in rank order {parts['allgather_sum_ms']:.2f} ms, MPI Allreduce "
        f"{parts['allreduce_ms']:.2f} ms.",
        "",
        *scaling(F, U, median(r["add_ms"] for r in two), two[0]["bytes"]),
    ]
    return "\n".join(lines)


def scaling(F: float, U: float, add_ms: float, size: int) -> list[str]:
    """The model T(P) = F/P + U + K(P) for P machines on a 10 Gb/s network (a model, not a measurement)."""
    wire = size / 1.25e9 * 1e3  # ms for one gradient vector at 10 Gb/s
    lines = [
        "Expected step time on P machines, one process each, over 10 Gb/s Ethernet: a model, not a "
        f"measurement. T(P) = F/P + U + K(P), F and U from above; one vector on the wire takes "
        f"{wire:.2f} ms, adding one vector (measured) {add_ms:.2f} ms; allgather + sum in rank order "
        f"K(P) = (P-1)·({wire:.2f} + {add_ms:.2f}) ms, MPI's ring Allreduce K(P) = 2(P-1)/P·{wire:.2f} ms; "
        "latency, stragglers and the input pipeline left out.",
        "",
        "| P | T(P) allgather | speed-up | T(P) allreduce | speed-up |",
        "|---|---|---|---|---|",
    ]
    for P in (1, 2, 4, 8, 16, 32):
        gather = F / P + U + (P - 1) * (wire + add_ms)
        ring = F / P + U + 2 * (P - 1) / P * wire
        lines.append(f"| {P} | {gather:.1f} ms | {(F + U) / gather:.2f}x | {ring:.1f} ms | "
                     f"{(F + U) / ring:.2f}x |")
    return [*lines, ""]


if __name__ == "__main__":
    main()
