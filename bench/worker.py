"""A benchmark worker: one library in one process, driven over stdin/stdout with JSON lines.

    python bench/worker.py glassnet            # serve requests, one JSON object per line
    python bench/worker.py glassnet_fit --keep-freed-memory  # the same, after glibc's allocator opt-in
    python bench/worker.py torch --memory      # one epoch of case 1 at batch 128, print RSS
    python bench/worker.py torch --memory 4096 # the same on 4,096 samples

The parent starts it with the environment under test (OPENBLAS_CORETYPE is read when NumPy
loads), so every figure it returns was measured under that environment; PYTHONPATH names the
glassnet source it imports (the current tree's src, or the base commit's).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, TextIO

import machine
import numpy as np
from cases import ALL_CASES, CASES, Case, init_weights, make_data, resized
from threadpoolctl import ThreadpoolController

LIBRARIES = ("glassnet", "torch", "sklearn")
TRAINERS = ("glassnet", "glassnet_fit", "torch", "sklearn")  # the training cases also time glassnet.fit


class Worker:
    """The state between requests: the library module, cached data, the current trainer."""

    def __init__(self, library: str, keep_freed_memory: bool = False) -> None:
        self.library = library
        self.lib: ModuleType = importlib.import_module(f"lib_{library}")
        if keep_freed_memory:  # glassnet's allocator opt-in, before any array of the measurement
            from glassnet.engine import memory

            memory.keep_freed_memory()
        self.data: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        self.trainer: Any = None
        self.predict: Callable[[np.ndarray], Any] | None = None
        self.x: np.ndarray | None = None
        self.threads = 2
        self.n = 0
        self.controller = ThreadpoolController()  # built once: limit() then costs microseconds

    def case_data(self, case: Case) -> tuple[np.ndarray, np.ndarray]:
        key = (case.name, case.n_train)
        if key not in self.data:
            self.data = {key: make_data(case)}  # keep one data set: the 60,000 × 784 one is 188 MB
        return self.data[key]

    def limits(self) -> Any:
        """A context limiting BLAS and OpenMP to self.threads (and torch's pool)."""
        if self.library == "torch":
            self.lib.set_threads(self.threads)
        return self.controller.limit(limits=self.threads)

    # ------------------------------------------------------------------- requests
    def describe(self, req: dict[str, Any]) -> dict[str, Any]:
        return machine.describe()

    def gemm(self, req: dict[str, Any]) -> dict[str, Any]:
        self.threads = req["threads"]
        with self.limits():
            if self.library == "torch":
                import torch
                return machine.gemm_gflops(torch.mm, torch.from_numpy, req["n"], req["repeats"])
            return machine.gemm_gflops(np.matmul, np.asarray, req["n"], req["repeats"])

    def train(self, req: dict[str, Any]) -> dict[str, Any]:
        """Build a trainer for (case, batch), warm it up on a fraction of an epoch, reset weights.

        The warm-up covers at least 1,000 samples so that scikit-learn sees every class.
        """
        case = resized(ALL_CASES[req["case"]], req.get("n"))
        self.threads, self.n = req["threads"], case.n_train
        X, y = self.case_data(case)
        weights = init_weights(case.sizes)
        self.trainer = None
        self.trainer = self.lib.Trainer(case, req["batch"], weights, X, y)
        start = time.perf_counter()
        with self.limits():
            self.trainer.run(min(self.n, max(req["batch"], int(req["warmup"] * self.n), 1000)))
        self.trainer.load(weights)
        reply = {"warmup_s": time.perf_counter() - start}
        if self.library == "sklearn":
            reply["dtype"] = self.trainer.compute_dtype()
        return reply

    def epoch(self, req: dict[str, Any]) -> dict[str, Any]:
        """Time one epoch; glassnet.fit's reply also says how its steps ran (from the History)."""
        with self.limits(), machine.Meter() as meter:
            self.trainer.run(self.n)
        reply: dict[str, Any] = dict(meter.record())
        if self.library == "glassnet_fit":
            steps = self.trainer.steps()
            if steps:
                reply["steps"] = steps
        return reply

    def infer(self, req: dict[str, Any]) -> dict[str, Any]:
        """Build a predictor of case 1's network; the input is a fixed slice of the data."""
        case = resized(CASES["adam"], req.get("n"))
        self.threads = req["threads"]
        X, y = self.case_data(case)
        args = (X, y) if self.library == "sklearn" else ()
        self.predict = self.lib.predictor(case, init_weights(case.sizes), *args)
        self.x = np.ascontiguousarray(X[: req["batch"]])
        self.calls({"count": req.get("warmup_calls", 50)})
        return {}

    def calls(self, req: dict[str, Any]) -> dict[str, Any]:
        """Time `count` predictions one by one: median, min and max µs, and the load over all."""
        assert self.predict is not None and self.x is not None
        predict, x, times = self.predict, self.x, []
        with self.limits(), machine.Meter() as meter:
            for _ in range(req["count"]):
                start = time.perf_counter()
                predict(x)
                times.append((time.perf_counter() - start) * 1e6)
        return {"median_us": float(np.median(times)), "min_us": min(times), "max_us": max(times),
                "count": len(times), **meter.record()}


def serve(library: str, stdin: TextIO, stdout: TextIO, keep_freed_memory: bool = False) -> None:
    """Answer requests until 'quit' or end of input; errors come back as {'error': ...}."""
    worker = Worker(library, keep_freed_memory)
    for line in stdin:
        req = json.loads(line)
        if req["op"] == "quit":
            break
        try:
            reply = getattr(worker, req["op"])(req)
        except Exception as exc:  # the parent reports it and stops
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()


def memory(library: str, n: int | None = None) -> dict[str, Any]:
    """RSS after imports, after loading the data, and the peak of one epoch (case 1, batch 128)."""
    lib = importlib.import_module(f"lib_{library}")  # the library itself, then the data
    after_imports = machine.rss_mib()["rss"]
    case = resized(CASES["adam"], n)
    X, y = make_data(case)
    after_data = machine.rss_mib()["rss"]
    reset = machine.reset_peak_rss()
    trainer = lib.Trainer(case, 128, init_weights(case.sizes), X, y)
    trainer.run(case.n_train)
    peak = machine.rss_mib()["peak"]
    return {"after_imports": after_imports, "after_data": after_data, "peak": peak,
            "peak_reset": reset, "data_mib": (X.nbytes + y.nbytes) / 2**20}


def main(argv: list[str]) -> None:
    library = argv[0]
    if library not in TRAINERS:
        raise SystemExit(f"unknown library {library!r}; valid: {', '.join(TRAINERS)}")
    if "--memory" in argv:
        rest = argv[argv.index("--memory") + 1:]
        print(json.dumps(memory(library, int(rest[0]) if rest else None)))
        return
    protocol, sys.stdout = sys.stdout, sys.stderr  # stray prints must not break the protocol
    serve(library, sys.stdin, protocol, keep_freed_memory="--keep-freed-memory" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
