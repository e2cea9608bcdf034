"""Full training on the bundled digits: glassnet against PyTorch and scikit-learn, in one run.

    python bench/digits.py            # writes bench/DIGITS.md

Two comparisons, libraries alternating repeat by repeat, on scikit-learn's 8×8 digits
(75/25 stratified split, random_state=0, StandardScaler fitted on the training part):

- A. The default network of ``glassnet train`` (64-256-10, ReLU, Adam lr 1e-3, batch 32), trained
  for a fixed 40 epochs with ``glassnet.fit``; the same network and loop in PyTorch; scikit-learn's
  MLPClassifier(hidden_layer_sizes=(256,), batch_size=32, alpha=0, 40 iterations, no early stop).
- B. The estimators as users call them: ``glassnet.sklearn.MLPClassifier`` against scikit-learn's
  MLPClassifier, both ``(hidden_layer_sizes=(64,), random_state=seed, max_iter=300)`` with their
  own tol-based stopping, seeds 0-4.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler

import glassnet as gn
from glassnet import nn, optim
from glassnet.sklearn import MLPClassifier as GnMLP

EPOCHS, REPEATS, SEEDS = 40, 3, range(5)


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return (scaler.transform(Xtr).astype(np.float32), scaler.transform(Xte).astype(np.float32),
            ytr, yte)


def glassnet_default(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, yte: np.ndarray) -> float:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 256, generator=rng), nn.ReLU(), nn.Linear(256, 10, generator=rng))
    gn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), Xtr, ytr,
           epochs=EPOCHS, batch_size=32, seed=0, verbose=0)
    return float((gn.predict(model, Xte).argmax(axis=1) == yte).mean())


def torch_default(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, yte: np.ndarray) -> float:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt, loss_fn = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()
    X, y, rng = torch.from_numpy(Xtr), torch.from_numpy(ytr), np.random.default_rng(0)
    for _ in range(EPOCHS):
        order = torch.from_numpy(rng.permutation(len(X)))
        for start in range(0, len(X), 32):
            idx = order[start:start + 32]
            loss = loss_fn(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.inference_mode():
        return float((model(torch.from_numpy(Xte)).argmax(1).numpy() == yte).mean())


def sklearn_default(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, yte: np.ndarray) -> float:
    clf = SkMLP(hidden_layer_sizes=(256,), batch_size=32, alpha=0.0, max_iter=EPOCHS, tol=0.0,
                n_iter_no_change=EPOCHS + 1, random_state=0)
    return float(clf.fit(Xtr, ytr).score(Xte, yte))


def timed(fn: Callable[[], float]) -> tuple[float, float]:
    start = time.perf_counter()
    score = fn()
    return time.perf_counter() - start, score


def compare_default(split: tuple[np.ndarray, ...]) -> dict[str, list[tuple[float, float]]]:
    Xtr, Xte, ytr, yte = split
    runs: dict[str, list[tuple[float, float]]] = {"glassnet": [], "torch": [], "sklearn": []}
    trainers = {"glassnet": glassnet_default, "torch": torch_default, "sklearn": sklearn_default}
    for train in trainers.values():  # warm-up: imports, JIT caches, BLAS threads
        train(Xtr[:256], ytr[:256], Xte, yte)
    for _ in range(REPEATS):
        for name, train in trainers.items():
            runs[name].append(timed(lambda train=train: train(Xtr, ytr, Xte, yte)))
    return runs


def compare_estimators(split: tuple[np.ndarray, ...]) -> dict[str, list[tuple[float, float]]]:
    Xtr, Xte, ytr, yte = split
    runs: dict[str, list[tuple[float, float]]] = {"glassnet.sklearn": [], "sklearn": []}
    GnMLP(hidden_layer_sizes=(8,), max_iter=2).fit(Xtr, ytr)  # warm-up
    for seed in SEEDS:
        for name, cls in (("glassnet.sklearn", GnMLP), ("sklearn", SkMLP)):
            clf = cls(hidden_layer_sizes=(64,), random_state=seed, max_iter=300)
            runs[name].append(timed(lambda clf=clf: float(clf.fit(Xtr, ytr).score(Xte, yte))))
    return runs


def diagnostics_cost(split: tuple[np.ndarray, ...]) -> list[str]:
    """fit with diagnostics on against off: the digits network, and case 1's MLP for one epoch."""
    Xtr, _, ytr, _ = split
    rng = np.random.default_rng(0)
    big_X = rng.standard_normal((60_000, 784)).astype(np.float32)
    big_y = rng.integers(0, 10, 60_000)
    cases = {"digits 64-256-10, 40 epochs, batch 32": ((64, 256, 10), Xtr, ytr, EPOCHS, 32),
             "784-256-128-10, 1 epoch of 60,000, batch 128": ((784, 256, 128, 10), big_X, big_y, 1, 128)}
    rows = ["| network | diagnostics off s | on s | cost |", "|---|---|---|---|"]
    for title, (sizes, X, y, epochs, batch) in cases.items():
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(REPEATS):
            for on in (False, True):
                gen = np.random.default_rng(0)
                layers: list[nn.Module] = []
                for n_in, n_out in itertools.pairwise(sizes):
                    layers += [nn.Linear(n_in, n_out, generator=gen), nn.ReLU()]
                model = nn.Sequential(*layers[:-1])
                opt = optim.Adam(model.parameters(), lr=1e-3)
                start = time.perf_counter()
                gn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=batch,
                       seed=0, verbose=0, diagnostics=on)
                times[on].append(time.perf_counter() - start)
        off, on_ = statistics.median(times[False]), statistics.median(times[True])
        rows.append(f"| {title} | {off:.3f} | {on_:.3f} | {100 * (on_ / off - 1):+.1f} % |")
    return rows


def table(runs: dict[str, list[tuple[float, float]]], base: str) -> list[str]:
    ref = statistics.median(t for t, _ in runs[base])
    rows = ["| library | fit s, median (min–max) | test accuracy, mean | time / glassnet's |",
            "|---|---|---|---|"]
    for name, results in runs.items():
        times, scores = [t for t, _ in results], [s for _, s in results]
        rows.append(f"| {name} | {statistics.median(times):.3f} ({min(times):.3f}–{max(times):.3f}) | "
                    f"{statistics.mean(scores):.4f} | {statistics.median(times) / ref:.2f} |")
    return rows


def main() -> None:
    warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning at a fixed iteration count
    split = data()
    default, estimators = compare_default(split), compare_estimators(split)
    lines = [
        "# Digits: full training, glassnet against PyTorch and scikit-learn",
        "",
        f"Generated by `python bench/digits.py`; do not edit by hand. OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, {os.cpu_count()} cores, glassnet "
        f"{gn.__version__}, torch {torch.__version__}, Python {sys.version.split()[0]}.",
        "",
        __doc__.split("\n\n", 2)[2].strip(),
        "",
        f"## A. Default `glassnet train` network, {EPOCHS} epochs, {REPEATS} repeats",
        "", *table(default, "glassnet"), "",
        f"## B. The estimators, seeds {SEEDS.start}–{SEEDS.stop - 1}",
        "", *table(estimators, "glassnet.sklearn"), "",
        "## C. Cost of fit's training diagnostics (on by default), medians of "
        f"{REPEATS} alternating runs",
        "", *diagnostics_cost(split), "",
    ]
    out = Path(__file__).with_name("DIGITS.md")
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
