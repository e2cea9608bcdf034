"""Run the benchmark suite: glassnet against PyTorch and scikit-learn, in two BLAS environments.

    python bench/run.py            # full run (about 20-25 minutes on 2 cores), writes bench/RESULTS.md
    python bench/run.py --quick    # small data, 1 repeat: a smoke test of the harness (2-4 minutes)
    python bench/run.py --out PATH # write the markdown elsewhere (the raw figures go beside it, .json)
    python bench/run.py --base C   # the base commit glassnet is measured against (default 8d3a92f)
    python bench/run.py --base ''  # no base commit

One long-lived worker process per library per environment (bench/worker.py) does the measuring;
this process only schedules, alternating the workers repeat by repeat, and writes the report.
For the training cases glassnet has several workers: its five-line loop and ``glassnet.fit`` on the
current source; the same two on the base commit's source (its ``src/`` taken from git into a
temporary directory, removed at the end), so that old and new are measured in the same run; and,
at case 1's large batches, ``glassnet.fit`` after glassnet's allocator opt-in
(``glassnet.engine.memory.keep_freed_memory()``). Every worker imports glassnet from the source it
measures (PYTHONPATH), never from wherever the environment installed it, and says which it got.
Then, per environment, fresh processes measure peak memory (worker.py --memory) and full training
on digits (digits.py --json).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import machine
import report
from cases import CASES, INFER_BATCHES, for_base, resized
from worker import LIBRARIES

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"  # the current glassnet source
WORKER = HERE / "worker.py"
DIGITS = HERE / "digits.py"
BASE = "8d3a92f"  # the last commit before the engine's rewrite: fit's fused step
ENVS: dict[str, dict[str, str]] = {
    "OPENBLAS_CORETYPE=Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "OPENBLAS_CORETYPE unset": {},
}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Asker(Protocol):
    """A worker: a process here, or an in-process stand-in in the smoke tests."""

    def ask(self, op: str, **req: Any) -> dict[str, Any]: ...


Pool = Mapping[str, Asker]  # worker name -> its worker


@dataclass(frozen=True)
class Spec:
    """A worker: its bench/lib_<library>.py, whether it imports the base commit's glassnet, and
    whether it opts in to glassnet's allocator setting before measuring."""

    library: str
    base: bool = False
    keep_freed_memory: bool = False


# Every worker, in the order a repeat visits them (each old/new pair side by side).
WORKERS: dict[str, Spec] = {
    "glassnet": Spec("glassnet"), "glassnet@base": Spec("glassnet", base=True),
    "glassnet_fit": Spec("glassnet_fit"), "glassnet_fit@base": Spec("glassnet_fit", base=True),
    "glassnet_fit+keep": Spec("glassnet_fit", keep_freed_memory=True),
    "torch": Spec("torch"), "sklearn": Spec("sklearn"),
}


@dataclass(frozen=True)
class Plan:
    """How much to measure: repeats, warm-up, calls; ``--quick`` shrinks every number."""

    quick: bool = False
    n: int | None = None  # at most this many samples per case (None: the cases' sizes)
    repeats: int = 3
    small_repeats: int = 5
    warmup: float = 0.05  # fraction of an epoch run (untimed) before the first timed epoch
    infer_rounds: int = 5
    infer_calls: dict[int, int] = field(default_factory=lambda: {1: 400, 64: 200})
    one_thread_batches: tuple[int, ...] = (128, 2048)
    gemm_n: int = 2048
    gemm_repeats: int = 8
    threads: int = os.cpu_count() or 1
    budget_s: float = 1800.0  # past this, the remaining training rows get 1 repeat each
    settle_s: float = 0.15  # pause before each measurement: idle BLAS threads stop spinning
    base: str = BASE  # the commit glassnet is also measured at ("": none)
    keep_batches: tuple[int, ...] = (512, 2048)  # case 1's batches also timed with the allocator opt-in

    @classmethod
    def make(cls, quick_mode: bool, base: str = BASE) -> Plan:
        if not quick_mode:
            return cls(base=base)
        return cls(True, 4096, 1, 1, 0.25, 1, {1: 20, 64: 10}, (128,), 256, 2, budget_s=600.0, base=base)


class Process:
    """A worker process (one of WORKERS) in one environment: send a request, read one reply."""

    def __init__(self, name: str, env: dict[str, str], settle_s: float = 0.0) -> None:
        spec = WORKERS[name]
        self.name, self.settle_s = name, settle_s
        options = ["--keep-freed-memory"] if spec.keep_freed_memory else []
        self.proc = subprocess.Popen([sys.executable, str(WORKER), spec.library, *options],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                     cwd=HERE.parent)

    def ask(self, op: str, **req: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        time.sleep(self.settle_s)  # the previous worker's BLAS threads spin ~0.1 s before sleeping
        self.proc.stdin.write(json.dumps({"op": op, **req}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker exited (code {self.proc.wait()}) during {op}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.name} worker failed on {op} {req}: {reply['error']}")
        return reply

    def close(self) -> None:
        """Ask the worker to quit; kill it if it does not within a minute."""
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def environment(extra: dict[str, str], src: Path = SRC) -> dict[str, str]:
    """This process's environment without OPENBLAS_CORETYPE, plus the variables under test, with
    ``src`` first on PYTHONPATH: the glassnet measured is that source, however the venv installed one."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    path = os.pathsep.join([str(src), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    return {**env, "PYTHONPATH": path, **extra}


def git(*args: str) -> str:
    out = subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {out.stderr.strip()} (pass --base '' to measure "
                         "without a base commit)")
    return out.stdout.strip()


@contextmanager
def base_source(commit: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The base commit's src/ in a temporary directory (removed on exit), and what it is.

    ``git archive`` writes the files: the repository's worktrees and index are left alone.
    """
    sha = git("rev-parse", "--verify", f"{commit}^{{commit}}")
    info = {"given": commit, "commit": sha, "subject": git("show", "-s", "--format=%s", sha),
            "date": git("show", "-s", "--format=%cI", sha)}
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", "--format=tar", sha, "src"],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="glassnet-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        src = Path(tmp) / "src"
        yield src, {**info, "glassnet_source": machine.source_fingerprint(src / "glassnet")}


def log(message: str, start: float = time.perf_counter()) -> None:
    print(f"[{time.perf_counter() - start:7.1f} s] {message}", file=sys.stderr, flush=True)


def row_workers(plan: Plan, case_name: str, batch: int, threads: int) -> list[str]:
    """The workers of one training row: the loop and fit, their base twins, torch and scikit-learn;
    fit with the allocator opt-in at case 1's large batches. The base's loop is left out of a case
    whose network the base trains in another form (its five-line loop would time the stand-in)."""
    wanted = {"glassnet", "glassnet_fit", "torch", "sklearn"}
    if plan.base:
        wanted |= {"glassnet_fit@base"} | (set() if CASES[case_name].base_equivalent else {"glassnet@base"})
    if case_name == "adam" and threads == plan.threads and batch in plan.keep_batches:
        wanted.add("glassnet_fit+keep")
    return [name for name in WORKERS if name in wanted]


def train_row(pool: Pool, plan: Plan, case_name: str, batch: int, threads: int,
              repeats: int) -> dict[str, Any]:
    """Warm up every worker, then time `repeats` epochs, alternating workers repeat by repeat."""
    case = resized(CASES[case_name], plan.n)
    names = row_workers(plan, case_name, batch, threads)
    trains = {name: for_base(case).name if WORKERS[name].base else case_name for name in names}
    row: dict[str, Any] = {"case": case_name, "batch": batch, "threads": threads, "n": case.n_train,
                           "trains": {name: c for name, c in trains.items() if c != case_name},
                           "setup": {}, "runs": {name: [] for name in names}}
    for name in names:
        row["setup"][name] = pool[name].ask("train", case=trains[name], batch=batch, threads=threads,
                                            warmup=plan.warmup, n=plan.n)
    for _ in range(repeats):
        for name in names:
            row["runs"][name].append(pool[name].ask("epoch"))
    medians = {lib: sorted(r["seconds"] for r in runs)[len(runs) // 2] for lib, runs in row["runs"].items()}
    log(f"  {case_name} batch {batch} threads {threads}: " +
        ", ".join(f"{lib} {s:.3f} s" for lib, s in medians.items()))
    return row


def infer_row(pool: Pool, plan: Plan, batch: int) -> dict[str, Any]:
    """Per-call latencies, `infer_rounds` rounds of `infer_calls` calls, libraries alternating."""
    row: dict[str, Any] = {"batch": batch, "threads": plan.threads, "runs": {lib: [] for lib in LIBRARIES}}
    for lib in LIBRARIES:
        pool[lib].ask("infer", batch=batch, threads=plan.threads, n=plan.n)
    for _ in range(plan.infer_rounds):
        for lib in LIBRARIES:
            row["runs"][lib].append(pool[lib].ask("calls", count=plan.infer_calls[batch]))
    return row


def gemm(pool: Pool, plan: Plan) -> dict[str, dict[str, Any]]:
    """The GEMM ceiling with NumPy (glassnet's worker) and torch, at every thread count used."""
    found: dict[str, dict[str, Any]] = {"numpy": {}, "torch": {}}
    for threads in sorted({1, plan.threads}, reverse=True):
        for name, lib in (("numpy", "glassnet"), ("torch", "torch")):
            found[name][str(threads)] = pool[lib].ask("gemm", threads=threads, n=plan.gemm_n,
                                                      repeats=plan.gemm_repeats)
    return found


def best_gemm(first: dict[str, dict[str, Any]], last: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ceiling measured before and after the cases: the better of the two, both kept."""
    merged: dict[str, Any] = {}
    for name, by_threads in first.items():
        merged[name] = {}
        for threads, a in by_threads.items():
            b = last[name][threads]
            merged[name][threads] = {"best": max(a["best"], b["best"]), "before": a["best"],
                                     "after": b["best"], "median": max(a["median"], b["median"]), "n": a["n"]}
    return merged


def schedule(plan: Plan) -> list[tuple[str, int, int, int]]:
    """(case, batch, threads, repeats) of every training row, the 1-thread rows last."""
    rows = [(name, batch, plan.threads, plan.small_repeats if name == "small" else plan.repeats)
            for name, case in CASES.items() for batch in case.batches]
    return rows + [("adam", batch, 1, plan.repeats) for batch in plan.one_thread_batches]


def check_sources(machines: Mapping[str, dict[str, Any]], sources: Mapping[bool, Path]) -> None:
    """Stop unless every glassnet worker imported glassnet from the source it is meant to measure."""
    for name, info in machines.items():
        if not name.startswith("glassnet"):
            continue
        src = sources[WORKERS[name].base].resolve()
        if not Path(info.get("glassnet_package", "?")).is_relative_to(src):
            raise RuntimeError(f"the {name} worker imported glassnet from {info.get('glassnet_package')}, "
                               f"expected {src}; check PYTHONPATH")


def measure(pools: Mapping[str, Pool], plan: Plan,
            sources: Mapping[bool, Path] | None = None) -> dict[str, dict[str, Any]]:
    """Every case, the environments alternating row by row (so both see the same background).

    ``sources``: the glassnet source each worker must have imported (by ``Spec.base``), checked first.
    """
    results: dict[str, dict[str, Any]] = {}
    for env_name, pool in pools.items():
        machines = {name: worker.ask("describe") for name, worker in pool.items()}
        if sources is not None:
            check_sources(machines, sources)
        results[env_name] = {"machine": machines, "gemm": gemm(pool, plan), "train": [], "infer": []}
    start = time.perf_counter()
    for case_name, batch, threads, repeats in schedule(plan):
        if time.perf_counter() - start > plan.budget_s:
            repeats = 1  # over budget (a busy machine): finish the rows rather than drop them
        for env_name, pool in pools.items():
            log(f"{env_name}:")
            results[env_name]["train"].append(train_row(pool, plan, case_name, batch, threads, repeats))
    for batch in INFER_BATCHES:
        for env_name, pool in pools.items():
            results[env_name]["infer"].append(infer_row(pool, plan, batch))
    for env_name, pool in pools.items():
        results[env_name]["gemm"] = best_gemm(results[env_name]["gemm"], gemm(pool, plan))
        log(f"{env_name} GEMM GFLOP/s: " + json.dumps(results[env_name]["gemm"]))
    return results


def memory(library: str, env: dict[str, str], plan: Plan) -> dict[str, Any]:
    """Peak RSS of one epoch (case 1, batch 128) in a fresh process."""
    cmd = [sys.executable, str(WORKER), library, "--memory", *([str(plan.n)] if plan.n else [])]
    out = subprocess.run(cmd, env=env, cwd=HERE.parent, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def digits(env_name: str, env: dict[str, str], plan: Plan) -> dict[str, Any]:
    """bench/digits.py's figures (full training on digits) in a fresh process with this environment."""
    log(f"{env_name}: digits (full training, estimators, diagnostics' cost)")
    cmd = [sys.executable, str(DIGITS), "--json", *(["--quick"] if plan.quick else [])]
    out = subprocess.run(cmd, env=env, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=True)
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    times = {lib: sorted(t for t, _ in runs)[len(runs) // 2] for lib, runs in found["default"].items()}
    log("  default network: " + ", ".join(f"{lib} {t:.3f} s" for lib, t in times.items()))
    return found


def header(plan: Plan, start: float) -> dict[str, Any]:
    """What the report says about the run itself: plan, thread variables, start time."""
    return {"plan": asdict(plan), "thread_vars": {k: os.environ.get(k, "(unset)") for k in THREAD_VARS},
            "login_OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(start)),
            "glassnet_source": machine.source_fingerprint(SRC / "glassnet")}


def run(plan: Plan) -> dict[str, Any]:
    """Start every worker per environment, measure everything, then the memory and digits runs."""
    start = time.time()
    results = header(plan, start)
    envs = {name: environment(extra) for name, extra in ENVS.items()}
    with ExitStack() as stack:  # the workers close before the base's source is removed
        sources = {False: SRC}
        if plan.base:
            sources[True], results["base"] = stack.enter_context(base_source(plan.base))
            log(f"base: {results['base']['commit'][:12]} {results['base']['subject'][:60]}")
        pools: dict[str, dict[str, Process]] = {}
        for env_name, extra in ENVS.items():
            pools[env_name] = {}
            for name, spec in WORKERS.items():
                if spec.base and not plan.base:
                    continue
                process = Process(name, environment(extra, sources[spec.base]), plan.settle_s)
                stack.callback(process.close)
                pools[env_name][name] = process
        results["envs"] = measure(pools, plan, sources)
    for name, env in envs.items():
        results["envs"][name]["memory"] = {lib: memory(lib, env, plan) for lib in LIBRARIES}
    for name, env in envs.items():
        results["envs"][name]["digits"] = digits(name, env, plan)
    results["wall_s"] = time.time() - start
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data and 1 repeat (smoke test)")
    parser.add_argument("--out", type=Path, default=None,
                        help="markdown path (default bench/RESULTS.md; with --quick, a temp file)")
    parser.add_argument("--base", default=BASE,
                        help=f"the commit glassnet is also measured at (default {BASE}; '' for none)")
    args = parser.parse_args(argv)
    # a stopped run (kill, timeout) still closes its workers and removes the base's source
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    out = args.out or (Path(tempfile.gettempdir()) / "glassnet-bench" / "RESULTS-quick.md" if args.quick
                       else HERE / "RESULTS.md")
    results = run(Plan.make(args.quick, args.base))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    out.write_text(report.render(results))
    log(f"wrote {out} and {out.with_suffix('.json')} in {results['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
