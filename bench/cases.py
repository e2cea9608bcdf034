"""The benchmark cases, their synthetic data, initial weights and FLOP counts (NumPy only).

Every library trains the same network from the same weights on the same data: weights follow
PyTorch's (and glassnet's) default Linear initialisation, W, b ~ U(-1/√fan_in, 1/√fan_in),
drawn from one seeded generator; data come from a seeded generator too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

SEED = 0
Weights = list[tuple[np.ndarray, np.ndarray]]  # per Linear layer: W (out, in), b (out,)


@dataclass(frozen=True)
class Case:
    """One training benchmark: a network, its loss and optimizer, the data size and batches."""

    name: str
    title: str
    sizes: tuple[int, ...]
    activation: str = "relu"  # "relu", "tanh" or "leaky_relu" (with negative_slope)
    negative_slope: float = 0.01
    task: str = "classify"  # softmax cross-entropy; "regress": mean squared error
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    n_train: int = 60_000
    batches: tuple[int, ...] = (32, 128, 512, 2048)
    notes: tuple[str, ...] = field(default_factory=tuple)
    custom: bool = False  # glassnet's network is a Module subclass with its own forward, not Sequential
    base_equivalent: str = ""  # the case the base commit's workers train instead (see BASE_EQUIVALENTS)


MLP = (784, 256, 128, 10)
L2 = 1e-4

CASES: dict[str, Case] = {
    "adam": Case("adam", "1. MLP 784-256-128-10, ReLU, cross-entropy, Adam(lr=1e-3)", MLP),
    "sgd": Case("sgd", "2. MLP 784-256-128-10, ReLU, cross-entropy, SGD(lr=0.01, momentum=0.9)", MLP,
                optimizer="sgd", lr=0.01, momentum=0.9),
    "l2_dropout": Case(
        "l2_dropout", f"3. Case 1 + L2 penalty {L2}·Σw² + Dropout(0.2) after each hidden ReLU", MLP,
        l2=L2, dropout=0.2,
        notes=("scikit-learn has no dropout: its column trains the network with the L2 penalty only.",
               "scikit-learn's penalty is alpha/(2·batch)·Σw² (added to the batch-mean loss), so it runs "
               "with alpha = 2·l2·batch, which is the same math as glassnet's L2(l2) and torch's "
               "l2·Σw² term.")),
    "small": Case(
        "small", "4. Small network 2-16-16-1, tanh, MSE, Adam(lr=1e-3): per-operation overhead",
        (2, 16, 16, 1), activation="tanh", task="regress", n_train=20_000, batches=(32,),
        notes=("scikit-learn's MLPRegressor minimises ½·MSE (same steps up to the gradient's factor "
               "2, which does not change the time).",)),
    "module": Case(
        "module", "8. A user's Module: 784-256-128-10 written with forward, LeakyReLU(0.2) and Dropout(0.2) "
        "after each hidden Linear, cross-entropy, Adam(lr=1e-3)", MLP, activation="leaky_relu",
        negative_slope=0.2, dropout=0.2, batches=(32, 128, 512), custom=True,
        base_equivalent="module_sequential",
        notes=("glassnet's network is a Module subclass with its own forward (not a Sequential), and "
               "LeakyReLU was not among the layers the base commit's fused step accepted: the base's "
               "`glassnet.fit` (`fit@base`) trains the equivalent Sequential, Linear → ReLU → Dropout(0.2) "
               "per hidden layer, then Linear, through that step (the speed its users had for such a "
               "network). `fit/base` ≤ 1.1 is the target.",
               "PyTorch trains LeakyReLU(0.2) and Dropout(0.2) (a Sequential: the same ops as a subclass).",
               "scikit-learn has neither LeakyReLU nor dropout: its column trains the network with ReLU "
               "and no dropout.")),
}
# What the base commit's glassnet.fit trains for a case its fused step could not (bench/run.py --base):
# the same network with the layers that step accepted.
BASE_EQUIVALENTS: dict[str, Case] = {
    "module_sequential": Case(
        "module_sequential", "Case 8's network as a Sequential of the layers the base's fused step took: "
        "ReLU in place of LeakyReLU(0.2)", MLP, dropout=0.2, batches=(32, 128, 512)),
}
ALL_CASES = {**CASES, **BASE_EQUIVALENTS}  # what a worker may be asked to train
INFER_BATCHES = (1, 64)


def resized(case: Case, n: int | None) -> Case:
    """The case on at most n samples (smoke tests), or unchanged when n is None."""
    return case if n is None else Case(**{**case.__dict__, "n_train": min(case.n_train, n)})


def for_base(case: Case) -> Case:
    """The case the base commit's workers train for this one: its base equivalent, or itself."""
    return BASE_EQUIVALENTS[case.base_equivalent] if case.base_equivalent else case


def make_data(case: Case, n: int | None = None, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic float32 data: Gaussian class blobs (balanced labels), or a smooth surface.

    Returns X (n, n_in) float32 and y: (n,) int64 class labels, or (n, 1) float32 targets.
    """
    n = case.n_train if n is None else n
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, case.sizes[0]), dtype=np.float32)  # (n, n_in), no float64 copy
    if case.task == "regress":
        y = np.sin(2 * X[:, :1]) * np.cos(X[:, 1:2])  # (n, 1)
        return X, y.astype(np.float32)
    y = rng.permutation(np.arange(n) % case.sizes[-1])  # (n,) every class in every few dozen rows
    centers = rng.standard_normal((case.sizes[-1], case.sizes[0]), dtype=np.float32)  # (C, n_in)
    X += 0.3 * centers[y]
    return X, y.astype(np.int64)


def init_weights(sizes: tuple[int, ...], seed: int = SEED, dtype: type = np.float32) -> Weights:
    """PyTorch's default Linear init for every layer: W, b ~ U(-1/√fan_in, 1/√fan_in)."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in pairwise(sizes):
        bound = 1.0 / np.sqrt(fan_in)
        W: np.ndarray = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype)  # (out, in)
        b: np.ndarray = rng.uniform(-bound, bound, fan_out).astype(dtype)  # (out,)
        weights.append((W, b))
    return weights


def epoch_flops(sizes: tuple[int, ...], n: int) -> float:
    """Matmul FLOPs of one training epoch: 2·n·(forward MACs + backward MACs).

    Forward: Σ in·out per sample. Backward: the weight gradient of every layer (in·out) and the
    input gradient of every layer but the first (nothing needs dL/dX).
    """
    macs = [i * o for i, o in pairwise(sizes)]
    return 2.0 * n * (sum(macs) + sum(macs) + sum(macs[1:]))


def forward_flops(sizes: tuple[int, ...], n: int) -> float:
    """Matmul FLOPs of a forward pass over n samples."""
    return 2.0 * n * sum(i * o for i, o in pairwise(sizes))
