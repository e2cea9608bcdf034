"""What the compiled helpers buy on a whole training step: ``python bench/kernels.py [--helpers H]``.

For each case (network, batch size, optimizer) two identical models train side by side in one
process, one with a family of compiled helpers and one with the array form of the same rules,
taking turns chunk by chunk so that both see the same load on a shared machine. ``--helpers``:
``optim`` (the optimizer loops of ``glassnet.optim.kernels``, the default), ``engine`` (every
helper of ``glassnet.engine.kernels``), ``relu`` (its ReLU and LeakyReLU helpers, both ways) or ``rows``
(its row maximum, row sum and log softmax, and the picking of each row's class). A step is what
``glassnet.fit`` runs per batch::

    step.forward(xb, yb, None); opt.zero_grad(); step.backward(); opt.step()

with ``step = glassnet.train.steps.TrainStep(model, loss, None, {}, np.float32)``. Each side keeps
its fastest chunk (the least disturbed); the table gives µs per step with the helper on and off,
and the gain 1 − on/off. glassnet keeps a helper only if its gain reaches 5 % in at least one
case. Set ``OPENBLAS_NUM_THREADS=1`` for steadier numbers.

Options: ``--repeats N`` (chunks per side, default 9), ``--seconds S`` (about how long one chunk
runs, default 0.25), ``--cases a,b`` (names from the first column), ``--out bench/KERNELS.md``
(every family in turn, written as markdown with the machine's details: the committed tables).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from machine import blas_info, cpu_flags, cpu_model

import glassnet as gn
from glassnet import nn, optim
from glassnet.engine import kernels as engine_kernels
from glassnet.optim import kernels
from glassnet.train.steps import TrainStep


@dataclass(frozen=True)
class Case:
    """A network (layer widths, activation), its loss, the batch size and the optimizer."""

    name: str
    sizes: tuple[int, ...]
    activation: type[nn.Module]
    regress: bool
    batch: int
    optimizer: str


NETWORKS = [("mlp", (784, 256, 128, 10), nn.ReLU, False, (32, 128, 512)),
            ("leaky", (784, 256, 128, 10), nn.LeakyReLU, False, (128, 512)),  # the relu family's other op
            ("digits", (64, 256, 10), nn.ReLU, False, (32,)),  # glassnet train's default network
            ("tanh", (2, 16, 16, 1), nn.Tanh, True, (32,))]
CASES = [Case(f"{net}-{batch}-{opt}", sizes, act, regress, batch, opt)
         for net, sizes, act, regress, batches in NETWORKS for batch in batches for opt in ("adam", "sgd")]
N_BATCHES = 16  # distinct batches, cycled


def _model(case: Case) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(case.sizes[:-1], case.sizes[1:], strict=True)):
        layers += [nn.Linear(n_in, n_out, dtype=np.float32, generator=i), case.activation()]
    return nn.Sequential(*layers[:-1])


def _optimizer(case: Case, model: nn.Module) -> optim.Optimizer:
    if case.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=1e-3)
    return optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)


def _data(case: Case) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N_BATCHES, case.batch, case.sizes[0])).astype(np.float32)
    if case.regress:
        y = rng.standard_normal((N_BATCHES, case.batch, 1)).astype(np.float32)
    else:
        y = rng.integers(0, case.sizes[-1], (N_BATCHES, case.batch))
    return list(zip(x, y, strict=True))


def _trainer(case: Case) -> Callable[[int], None]:
    """``train(n)``: n steps of the case's model, as fit runs them."""
    model = _model(case)
    loss = nn.MSELoss() if case.regress else nn.CrossEntropyLoss()
    step, opt, batches = TrainStep(model, loss, None, {}, np.float32), _optimizer(case, model), _data(case)
    position = [0]

    def train(n: int) -> None:
        for _ in range(n):
            xb, yb = batches[position[0] % N_BATCHES]
            position[0] += 1
            step.forward(xb, yb, None)
            opt.zero_grad()
            step.backward()
            opt.step()

    return train


HELPERS = ("optim", "engine", "relu", "rows")
_ROWS = engine_kernels._rows
_chosen = ["optim"]


def _switch(on: bool) -> None:
    """Turn the chosen family of helpers on or off (the others stay on)."""
    helpers = _chosen[0]
    kernels.ENABLED = on or helpers != "optim"
    engine_kernels.ENABLED = on or helpers != "engine"
    engine_kernels.MIN_SIZE = 4096 if on or helpers != "relu" else 2**62
    engine_kernels._rows = _ROWS if on or helpers != "rows" else (lambda x: False)  # every helper but ReLU's


def _timed(train: Callable[[int], None], compiled: bool, n: int) -> float:
    _switch(compiled)
    start = time.perf_counter()
    train(n)
    return (time.perf_counter() - start) / n


def measure(case: Case, repeats: int, seconds: float) -> tuple[float, float]:
    """The fastest chunk's seconds per step with the helper on, and off."""
    on, off = _trainer(case), _trainer(case)
    for train, compiled in ((on, True), (off, False)):
        _timed(train, compiled, 20)  # compile, record the tape, warm the caches
    n = max(20, int(seconds / _timed(on, True, 20)))
    best_on = best_off = float("inf")
    for _ in range(repeats):
        best_on = min(best_on, _timed(on, True, n))
        best_off = min(best_off, _timed(off, False, n))
    _switch(True)
    return best_on, best_off


def _machine() -> str:
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})" for b in blas_info()
                     if b["user_api"] == "blas")
    return f"{cpu_model()}, {os.cpu_count()} cores, {cpu_flags()}; BLAS {blas}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=0.25)
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--helpers", choices=HELPERS, default="optim", help="which helpers to switch off")
    parser.add_argument("--out", default="", help="also write the tables of every family of helpers, "
                        "as markdown, to this file (bench/KERNELS.md); --helpers is then ignored")
    args = parser.parse_args()
    chosen = [c for c in CASES if not args.cases or c.name in args.cases.split(",")]
    families = HELPERS if args.out else (args.helpers,)
    lines = [f"glassnet {gn.__version__}, NumPy {np.__version__}, numba "
             f"{'absent' if kernels.numba is None else kernels.numba.__version__}, "
             f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; {_machine()}"]
    print(lines[0])
    for family in families:
        _chosen[0] = family
        lines += ["", f"helpers switched off: {family}", "",
                  "| case | on µs/step | off µs/step | off/on | gain |", "|---|---|---|---|---|"]
        print(f"helpers {family}")
        print(f"{'case':<20} {'on µs/step':>11} {'off µs/step':>12} {'off/on':>7} {'gain':>7}")
        for case in chosen:
            on, off = measure(case, args.repeats, args.seconds)
            a, b, ratio, gain = on * 1e6, off * 1e6, off / on, 1 - on / off
            print(f"{case.name:<20} {a:>11.1f} {b:>12.1f} {ratio:>7.3f} {gain:>7.1%}", flush=True)
            lines.append(f"| {case.name} | {a:.1f} | {b:.1f} | {ratio:.3f} | {gain:.1%} |")
    if args.out:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        header = ["# What the compiled helpers buy on a training step", "",
                  f"Generated by `python bench/kernels.py --out {args.out}` on {stamp}; do not edit by hand. "
                  "See the script's docstring for the method; a family is kept if its gain reaches 5 % "
                  "in at least one case.", ""]
        with open(args.out, "w", encoding="utf-8") as f:
            f.write("\n".join(header + lines) + "\n")


if __name__ == "__main__":
    main()
