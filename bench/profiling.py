"""Where one glassnet training step of case 1 spends its time, at batch 32 and 2048.

    python bench/profile.py            # writes bench/PROFILE.md (about a minute)
    python bench/profile.py --quick    # fewer steps and samples, to a temp file

(bench/profile.py only launches this module: its name shadows the standard library's profile.)

Three passes over the same user loop: (1) time.perf_counter around its phases (batching, forward,
loss, zero_grad, backward, step); (2) the same loop with light instrumentation that times every
op's ``forward`` and ``backward`` (the static methods of the engine's ``Op`` classes) and the
backward's plan (``autograd.plan``: the topological sort and its layout), so each phase splits
into its ops and the rest (graph nodes, the chain rule's bookkeeping); (3) cProfile's top
functions by own time. Beside them, the time the same matmuls take as bare NumPy calls.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lib_glassnet
import machine
import numpy as np
from cases import CASES, init_weights, make_data, resized
from threadpoolctl import ThreadpoolController

import glassnet as gn
from glassnet.engine import autograd
from glassnet.engine.op import Op

HERE = Path(__file__).resolve().parent
PHASES = ("batching", "forward", "loss", "zero_grad", "backward", "step")
PLAN = "plan"  # the split's name for autograd.plan
REST = {"forward": "graph nodes, Tensors, module calls", "loss": "graph nodes, Tensors, the loss module",
        "backward": "the chain rule's bookkeeping: unbroadcast, summing, .grad"}


class Loop:
    """The user's training loop for case 1, one step at a time, each phase optionally timed."""

    def __init__(self, batch: int, n: int) -> None:
        case = resized(CASES["adam"], n)
        self.X, self.y = make_data(case)
        self.model = lib_glassnet.build(case, init_weights(case.sizes))
        self.opt = lib_glassnet.make_optimizer(case, self.model)
        self.loss_fn = gn.nn.CrossEntropyLoss()
        self.order = np.random.default_rng(0).permutation(len(self.X))
        self.batch, self.start = batch, 0
        self.split: Split | None = None  # the instrumented pass: told which phase runs

    def step(self, clock: dict[str, float] | None = None) -> None:
        split = self.split
        t = [time.perf_counter()]
        if self.start + self.batch > len(self.X):
            self.start = 0
        idx = self.order[self.start:self.start + self.batch]
        self.start += self.batch
        x, y = gn.tensor(self.X[idx]), gn.tensor(self.y[idx])
        t.append(time.perf_counter())
        if split is not None:
            split.phase = "forward"
        z = self.model(x)
        t.append(time.perf_counter())
        if split is not None:
            split.phase = "loss"
        loss = self.loss_fn(z, y)
        t.append(time.perf_counter())
        self.opt.zero_grad()
        t.append(time.perf_counter())
        if split is not None:
            split.phase = "backward"
        loss.backward()
        t.append(time.perf_counter())
        self.opt.step()
        t.append(time.perf_counter())
        if clock is not None:
            for phase, a, b in zip(PHASES, t, t[1:], strict=False):
                clock[phase] += b - a


def op_classes() -> list[type[Op]]:
    """Every Op class glassnet has defined (the subclasses of Op, walked): the ops a step can meet."""
    found: list[type[Op]] = []
    stack = list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


class Split:
    """Time every op's forward and backward, by phase of the loop and op class, and the backward's plan.

    ``clock`` keys are "phase: op class" (or "backward: plan"); ``phase`` is set by the loop. A timed
    call made inside another (a fused op's forward calling another op's) counts in the outer one only.
    """

    def __init__(self) -> None:
        self.clock: dict[str, float] = defaultdict(float)
        self.phase = ""
        self.depth = 0

    def timed(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return fn(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.clock[f"{self.phase}: {name}"] += time.perf_counter() - start  # this chunk's clock
                self.depth -= 1

        return wrapper

    @contextmanager
    def patched(self) -> Iterator[None]:
        """Every Op class's forward and backward, and autograd.plan, timed while the block runs."""
        saved: list[tuple[Any, str, Any]] = [(autograd, "plan", autograd.plan)]
        autograd.plan = self.timed(autograd.plan, PLAN)
        try:
            for cls in op_classes():
                for method in ("forward", "backward"):
                    if method in cls.__dict__:  # a static method of this class (not inherited)
                        saved.append((cls, method, cls.__dict__[method]))
                        setattr(cls, method, staticmethod(self.timed(getattr(cls, method), cls.__name__)))
            yield
        finally:
            for owner, name, original in reversed(saved):
                setattr(owner, name, original)


def bare_gemm_s(loop: Loop, repeats: int) -> float:
    """The same matmuls as one step (forward, weight and input gradients) as bare NumPy calls.

    The fastest of `repeats` steps: a lower bound for the matmul part of a step.
    """
    acts, weights = [loop.X[: loop.batch]], [W for W, _ in init_weights(CASES["adam"].sizes)]
    for W in weights:
        acts.append(acts[-1] @ W.T)  # (batch, out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i, W in enumerate(weights):
            G = acts[i + 1]  # a stand-in for dL/dz: same shape and dtype
            _ = acts[i] @ W.T, G.T @ acts[i]
            if i > 0:
                _ = G @ W
        times.append(time.perf_counter() - start)
    return min(times)


def relative(path: str) -> str:
    """A source path without this machine's prefix: repo-relative, or from site-packages on."""
    if path.startswith(("~", "<")):
        return "(built-in)"
    stdlib = sysconfig.get_path("stdlib") + os.sep
    if path.startswith(stdlib) and "site-packages" not in path:
        return "stdlib/" + path[len(stdlib):]
    for root in (str(HERE.parent) + os.sep, "site-packages" + os.sep):
        if root in path:
            return path.split(root, 1)[1]
    return Path(path).name


def cprofile_top(loop: Loop, steps: int, top: int = 15) -> list[tuple[str, str, float, float, float]]:
    """(function, where, calls/step, own µs/step, cumulative µs/step) of the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        loop.step()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    return [(f"`{func}`", f"{relative(file)}:{line}", calls / steps, tt / steps * 1e6, ct / steps * 1e6)
            for (file, line, func), (_cc, calls, tt, ct, _callers) in rows]


def best_chunk(loop: Loop, steps: int, chunks: int, split: Split | None = None) -> dict[str, Any]:
    """Run `chunks` chunks of steps; keep the fastest (least disturbed by other processes).

    Returns per-step phase times (and split times) of that chunk, the median chunk's step time
    and the cores other processes used during the chosen chunk.
    """
    found: list[dict[str, Any]] = []
    per_chunk = max(1, steps // chunks)
    for _ in range(chunks):
        clock: dict[str, float] = defaultdict(float)
        if split is not None:
            split.clock = defaultdict(float)
        with machine.Meter() as meter:
            for _ in range(per_chunk):
                loop.step(clock)
        timed = split.clock if split is not None else {}
        found.append({"phases": {k: v / per_chunk for k, v in clock.items()},
                      "split": {k: v / per_chunk for k, v in timed.items()},
                      "other_cores": meter.other_cores})
    totals = [sum(c["phases"].values()) for c in found]
    best = found[int(np.argmin(totals))]
    return {**best, "median_total": float(np.median(totals)), "steps": per_chunk * chunks}


def profile(batch: int, n: int, steps: int, threads: int, chunks: int = 5) -> dict[str, Any]:
    """The passes at one batch size and thread count (BLAS and OpenMP limited; glassnet's numba kernels
    run on the calling thread)."""
    with ThreadpoolController().limit(limits=threads):
        return {**passes(batch, n, steps, chunks), "threads": threads}


def passes(batch: int, n: int, steps: int, chunks: int) -> dict[str, Any]:
    """The three passes (plain, instrumented, cProfile) and the bare-GEMM time at one batch size."""
    loop = Loop(batch, n)
    for _ in range(max(5, steps // 10)):
        loop.step()  # warm-up
    plain = best_chunk(loop, steps, chunks)
    split = Split()
    loop.split = split
    with split.patched():
        instrumented = best_chunk(loop, steps, chunks, split)
    loop.split = None
    return {"batch": batch, "steps": plain["steps"], "chunks": chunks, "phases": plain["phases"],
            "median_total": plain["median_total"], "other_cores": plain["other_cores"],
            "instrumented": instrumented["phases"], "split": instrumented["split"],
            "bare_gemm": bare_gemm_s(loop, max(10, steps // chunks)), "cprofile": cprofile_top(loop, steps)}


def table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    return "\n".join(["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
                      *("| " + " | ".join(str(c) for c in r) + " |" for r in rows)]) + "\n"


def us(seconds: float, total: float) -> tuple[str, str]:
    return f"{seconds * 1e6:,.0f}", f"{seconds / total:.0%}"


def split_rows(p: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Per phase (forward, loss, backward): each op's timed part, largest first, then the rest."""
    total = sum(p["phases"].values())
    rows = []
    for phase in ("forward", "loss", "backward"):
        parts = {key.split(": ", 1)[1]: v for key, v in p["split"].items() if key.startswith(f"{phase}: ")}
        for name, v in sorted(parts.items(), key=lambda kv: -kv[1]):
            what = ("the plan (topological sort and layout)" if name == PLAN
                    else f"`{name}` {'backward' if phase == 'backward' else 'forward'}")
            rows.append((f"{phase}: {what}", *us(v, total)))
        rows.append((f"{phase}: the rest ({REST[phase]})",
                     *us(p["instrumented"].get(phase, 0.0) - sum(parts.values()), total)))
    rows.append(("bare NumPy: the same matmuls alone (fastest step)", *us(p["bare_gemm"], total)))
    return rows


def render_batch(p: dict[str, Any]) -> str:
    total = sum(p["phases"].values())
    text = (f"## Batch {p['batch']}, {p['threads']} thread{'s' if p['threads'] > 1 else ''}: "
            f"{total * 1e6:,.0f} µs per step\n\nFastest of {p['chunks']} chunks "
            f"({p['steps']} steps in all; the median chunk took {p['median_total'] * 1e6:,.0f} µs per step; "
            f"other processes used {p['other_cores']:.2f} cores meanwhile).\n\n")
    text += table(["phase of the user loop", "µs/step", "share"],
                  [(k, *us(v, total)) for k, v in p["phases"].items()])
    text += ("\nSplit (instrumented pass, " + f"{sum(p['instrumented'].values()) * 1e6:,.0f} µs per step; "
             "shares of the plain step):\n\n")
    text += table(["part", "µs/step", "share"], split_rows(p))
    text += "\ncProfile, top functions by own time (per step; cProfile inflates small calls):\n\n"
    text += table(["function", "where", "calls/step", "own µs/step", "cumulative µs/step"],
                  [(f, w, f"{c:.0f}", f"{t:,.1f}", f"{ct:,.1f}") for f, w, c, t, ct in p["cprofile"]])
    return text


def render(profiles: list[dict[str, Any]], wall: float, quick_mode: bool) -> str:
    blas = "; ".join(f"{b['internal_api']} {b['version']} core type {b.get('architecture')}, "
                     f"{b['num_threads']} threads" for b in machine.blas_info())
    head = (f"# Where a glassnet training step spends its time\n\nGenerated by `python bench/profile.py`"
            f"{' --quick (not real figures)' if quick_mode else ''} in {wall:.0f} s; do not edit by hand. "
            "Case 1 (MLP 784-256-128-10, ReLU, cross-entropy, Adam), the loop users write: "
            "`loss = loss_fn(model(gn.tensor(X[idx])), gn.tensor(y[idx])); opt.zero_grad(); "
            "loss.backward(); opt.step()`.\n\n"
            f"Machine: {machine.cpu_model()}, {os.cpu_count()} cores; {blas}; "
            f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
            f"glassnet {gn.__version__} (source "
            f"{machine.source_fingerprint(HERE.parent / 'src' / 'glassnet')}), NumPy {np.__version__}.\n\n"
            "Each pass runs in chunks and keeps the fastest chunk (the least disturbed on a shared "
            "machine); phases are its mean µs per step. The split comes from a second pass that wraps "
            "every op's `forward` and `backward` (the static methods of the engine's `Op` classes) and "
            "`glassnet.engine.autograd.plan` with timers; its 'rest' rows are the phase time minus the "
            "timed parts. "
            "1 thread comes first: on this shared 2-core machine a 2-thread BLAS stalls whenever another "
            "process holds a core (see the load beside each section), which can swamp a 2-thread profile.\n")
    return "\n".join([head, *(render_batch(p) for p in profiles)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few steps on 4,096 samples")
    parser.add_argument("--out", type=Path, default=None, help="default bench/PROFILE.md")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, os.cpu_count() or 1],
                        help="thread counts to profile (default: 1 and all cores)")
    args = parser.parse_args(argv)
    out = args.out or (Path(tempfile.gettempdir()) / "glassnet-bench" / "PROFILE-quick.md" if args.quick
                       else HERE / "PROFILE.md")
    start = time.perf_counter()
    n = 4096 if args.quick else CASES["adam"].n_train
    plan = ((32, 20), (2048, 2)) if args.quick else ((32, 400), (2048, 25))
    profiles = [profile(batch, n, steps, threads) for threads in sorted(set(args.threads))
                for batch, steps in plan]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(profiles, time.perf_counter() - start, args.quick))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
