"""Full training on the bundled digits: glassnet against PyTorch and scikit-learn, in one run.

    python bench/digits.py                  # the markdown of one environment (this one) to stdout
    python bench/digits.py --json [--quick] # the raw figures as JSON, on the last stdout line

bench/run.py runs it with ``--json`` once per environment and renders the figures in section 6 of
bench/RESULTS.md. ``--quick`` shrinks every number (a smoke test of a few seconds, not real figures).
The heavy libraries are imported inside the functions that train, so that bench/report.py can import
``render`` without loading torch.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # Xtr, Xte, ytr, yte
DEFAULT_LIBS = ("glassnet", "torch", "sklearn")
ESTIMATOR_LIBS = ("glassnet.sklearn", "sklearn")

METHOD = """\
Three comparisons on scikit-learn's 8×8 digits (75/25 stratified split, random_state=0, StandardScaler
fitted on the training part), libraries alternating repeat by repeat, in one process per environment:

- A. The default network of `glassnet train` (64-256-10, ReLU, Adam lr 1e-3, batch 32), trained for a
  fixed {epochs} epochs with `glassnet.fit`; the same network and loop in PyTorch; scikit-learn's
  MLPClassifier(hidden_layer_sizes=(256,), batch_size=32, alpha=0, {epochs} iterations, no early stop).
- B. The estimators as users call them: `glassnet.sklearn.MLPClassifier` against scikit-learn's
  MLPClassifier, both `(hidden_layer_sizes=(64,), random_state=seed, max_iter={max_iter})` with their
  own tol-based stopping, seeds {seeds}; `iterations` is each fit's `n_iter_`. Both start from the
  same weights (scikit-learn's draws); glassnet computes in float32 (its default `dtype`),
  scikit-learn in float64 (X's dtype).
- C. The cost of `glassnet.fit`'s training diagnostics (on by default): the same fit with
  `diagnostics=False` and `True`, alternating, medians of {diag_repeats} runs.
"""


@dataclass(frozen=True)
class Settings:
    """How much to measure; ``quick`` shrinks every number."""

    quick: bool = False
    epochs: int = 40
    repeats: int = 3
    diag_repeats: int = 7  # C compares two close times: more runs for a steadier median
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    max_iter: int = 300
    big_n: int = 60_000  # samples of the 784-256-128-10 network in C

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(True, epochs=2, repeats=1, diag_repeats=1, seeds=(0,), max_iter=5, big_n=2048)
        return cls()


def data() -> Split:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return (scaler.transform(Xtr).astype(np.float32), scaler.transform(Xte).astype(np.float32), ytr, yte)


# ------------------------------------------------------------------- A. the default network
def glassnet_default(split: Split, epochs: int) -> float:
    import glassnet as gn
    from glassnet import nn, optim

    Xtr, Xte, ytr, yte = split
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 256, generator=rng), nn.ReLU(), nn.Linear(256, 10, generator=rng))
    gn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), Xtr, ytr,
           epochs=epochs, batch_size=32, seed=0, verbose=0)
    return float((gn.predict(model, Xte).argmax(axis=1) == yte).mean())


def torch_default(split: Split, epochs: int) -> float:
    import torch

    Xtr, Xte, ytr, yte = split
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256, dtype=torch.float32), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10, dtype=torch.float32))
    opt, loss_fn = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()
    X, y, rng = torch.from_numpy(Xtr), torch.from_numpy(ytr), np.random.default_rng(0)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(X)))
        for start in range(0, len(X), 32):
            idx = order[start:start + 32]
            loss = loss_fn(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.inference_mode():
        return float((model(torch.from_numpy(Xte)).argmax(1).numpy() == yte).mean())


def sklearn_default(split: Split, epochs: int) -> float:
    from sklearn.neural_network import MLPClassifier

    Xtr, Xte, ytr, yte = split
    clf = MLPClassifier(hidden_layer_sizes=(256,), batch_size=32, alpha=0.0, max_iter=epochs, tol=0.0,
                        n_iter_no_change=epochs + 1, random_state=0)
    return float(clf.fit(Xtr, ytr).score(Xte, yte))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def compare_default(split: Split, s: Settings) -> dict[str, list[tuple[float, float]]]:
    """(seconds, test accuracy) of each repeat, per library."""
    trainers = dict(zip(DEFAULT_LIBS, (glassnet_default, torch_default, sklearn_default), strict=True))
    Xtr, Xte, ytr, yte = split
    for train in trainers.values():  # warm-up: imports, JIT caches, BLAS threads
        train((Xtr[:256], Xte, ytr[:256], yte), s.epochs)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in trainers}
    for _ in range(s.repeats):
        for name, train in trainers.items():
            runs[name].append(timed(lambda train=train: train(split, s.epochs)))
    return runs


# ------------------------------------------------------------------- B. the estimators
def compare_estimators(split: Split, s: Settings) -> dict[str, list[dict[str, Any]]]:
    """Each seed's fit: seconds, test accuracy and n_iter_, per library."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    from glassnet.sklearn import MLPClassifier as GnMLP

    Xtr, Xte, ytr, yte = split
    GnMLP(hidden_layer_sizes=(8,), max_iter=2).fit(Xtr, ytr)  # warm-up
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ESTIMATOR_LIBS}
    for seed in s.seeds:
        for name, cls in zip(ESTIMATOR_LIBS, (GnMLP, SkMLP), strict=True):
            clf = cls(hidden_layer_sizes=(64,), random_state=seed, max_iter=s.max_iter)
            seconds, _ = timed(lambda clf=clf: clf.fit(Xtr, ytr))
            runs[name].append({"seed": seed, "seconds": seconds, "accuracy": float(clf.score(Xte, yte)),
                               "n_iter": int(getattr(clf, "n_iter_", -1))})
    return runs


# ------------------------------------------------------------------- C. the diagnostics' cost
def diagnostics_cost(split: Split, s: Settings) -> dict[str, dict[str, Any]]:
    """fit with diagnostics off and on, per network: the digits network, and case 1's MLP for one epoch."""
    import glassnet as gn
    from glassnet import nn, optim

    Xtr, _, ytr, _ = split
    rng = np.random.default_rng(0)
    big_X = rng.standard_normal((s.big_n, 784)).astype(np.float32)  # (big_n, 784)
    big_y = rng.integers(0, 10, s.big_n)
    cases = {"64-256-10": (f"digits, {s.epochs} epochs, batch 32", Xtr, ytr, s.epochs, 32),
             "784-256-128-10": (f"1 epoch of {s.big_n:,} random samples, batch 128", big_X, big_y, 1, 128)}
    found: dict[str, dict[str, Any]] = {}
    for network, (setting, X, y, epochs, batch) in cases.items():
        found[network] = {"setting": setting, "off": [], "on": []}
        for _ in range(s.diag_repeats):
            for on in (False, True):
                gen = np.random.default_rng(0)
                layers: list[nn.Module] = []
                for n_in, n_out in itertools.pairwise(int(k) for k in network.split("-")):
                    layers += [nn.Linear(n_in, n_out, generator=gen), nn.ReLU()]
                model = nn.Sequential(*layers[:-1])
                opt = optim.Adam(model.parameters(), lr=1e-3)
                start = time.perf_counter()
                gn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=batch, seed=0,
                       verbose=0, diagnostics=on)
                found[network]["on" if on else "off"].append(time.perf_counter() - start)
    return found


def versions() -> dict[str, str]:
    import sklearn
    import torch

    import glassnet as gn

    return {"glassnet": gn.__version__, "torch": torch.__version__, "sklearn": sklearn.__version__,
            "numpy": np.__version__, "python": sys.version.split()[0]}


def measure(quick: bool) -> dict[str, Any]:
    """Every figure of A, B and C in this process's environment, as plain JSON-serialisable data."""
    s = Settings.make(quick)
    split = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at a fixed iteration count
        default, estimators = compare_default(split, s), compare_estimators(split, s)
        diagnostics = diagnostics_cost(split, s)
    return {"settings": asdict(s), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
            "cores": os.cpu_count(), "versions": versions(),
            "default": {lib: [list(run) for run in runs] for lib, runs in default.items()},
            "estimators": estimators, "diagnostics": diagnostics}


# ------------------------------------------------------------------- rendering
def method(data: dict[str, Any]) -> str:
    """What A, B and C measure, with the settings of the run that measured ``data``."""
    s = data["settings"]
    seeds = s["seeds"]
    shown = f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    return METHOD.format(epochs=s["epochs"], max_iter=s["max_iter"], seeds=shown, repeats=s["repeats"],
                         diag_repeats=s.get("diag_repeats", s["repeats"]))


def table(runs: dict[str, list[tuple[float, float]]], extra: dict[str, str] | None = None) -> list[str]:
    """fit time median (min–max), mean accuracy, time over the first library's; an optional last column."""
    ref = statistics.median(t for t, _ in next(iter(runs.values())))
    rows = ["| library | fit s, median (min–max) | test accuracy, mean | time / glassnet's |"
            + (" iterations per seed |" if extra else ""), "|---|---|---|---|" + ("---|" if extra else "")]
    for name, results in runs.items():
        times, scores = [t for t, _ in results], [a for _, a in results]
        rows.append(f"| {name} | {statistics.median(times):.3f} ({min(times):.3f}–{max(times):.3f}) | "
                    f"{statistics.mean(scores):.4f} | {statistics.median(times) / ref:.2f} |"
                    + (f" {extra[name]} |" if extra else ""))
    return rows


def diagnostics_table(found: dict[str, dict[str, Any]]) -> list[str]:
    rows = ["| network | fit | diagnostics off s | on s | cost |", "|---|---|---|---|---|"]
    for network, m in found.items():
        off, on = statistics.median(m["off"]), statistics.median(m["on"])
        rows.append(f"| {network} | {m['setting']} | {off:.3f} | {on:.3f} | {100 * (on / off - 1):+.1f} % |")
    return rows


def render(data: dict[str, Any]) -> str:
    """The markdown of one environment's figures: tables A, B and C (headings at level 4)."""
    s, est = data["settings"], data["estimators"]
    iterations = {lib: ", ".join(str(r["n_iter"]) for r in runs) for lib, runs in est.items()}
    lines = [
        f"OPENBLAS_CORETYPE={data['OPENBLAS_CORETYPE']}, {data['cores']} cores, "
        + ", ".join(f"{k} {v}" for k, v in data["versions"].items()) + ".",
        "", f"#### A. Default `glassnet train` network, {s['epochs']} epochs, {s['repeats']} repeats",
        "", *table({lib: [(t, a) for t, a in runs] for lib, runs in data["default"].items()}), "",
        f"#### B. The estimators, max_iter={s['max_iter']}, {len(s['seeds'])} seeds",
        "", *table({lib: [(r["seconds"], r["accuracy"]) for r in runs] for lib, runs in est.items()},
                   iterations), "",
        f"#### C. Cost of fit's training diagnostics, medians of {s.get('diag_repeats', s['repeats'])} "
        "alternating runs",
        "", *diagnostics_table(data["diagnostics"]), "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON (last line)")
    parser.add_argument("--quick", action="store_true", help="tiny settings: a smoke test, not real figures")
    args = parser.parse_args(argv)
    found = measure(args.quick)
    if args.json:
        print(json.dumps(found))
    else:
        print(f"# Digits: full training, glassnet against PyTorch and scikit-learn\n\n{method(found)}\n"
              + render(found))


if __name__ == "__main__":
    main()
