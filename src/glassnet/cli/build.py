"""Names to objects for the CLI: network, loss, optimizer and penalties, through the one dict per family.

The network is a Sequential of Linear + activation (+ Dropout) per hidden layer, then a Linear output
layer with one unit per class (or per target column), followed by the output activation its loss
expects (``nll`` wants log-probabilities, ``bce`` probabilities).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dropout, Linear, Sequential
from glassnet.nn.losses import LOSSES
from glassnet.nn.module import Module
from glassnet.optim import OPTIMIZERS
from glassnet.optim.optimizer import Optimizer
from glassnet.regularizers.penalties import REGULARIZERS, Regularizer
from glassnet.train.outputs import output_kind

__all__ = [
    "MAX_PARAMETERS",
    "build_loss",
    "build_model",
    "build_optimizer",
    "build_regularizers",
    "check_loss",
    "check_parameters",
    "default_loss",
    "n_outputs",
    "probabilities",
    "targets",
]  # fmt: skip


def _losses(task: str) -> tuple[str, ...]:
    """The losses registered for a task (their ``task`` fact in LOSSES)."""
    return tuple(LOSSES.select(task=task))


def _binary(loss: str) -> bool:
    """A loss of 0/1 targets: one output unit, P(second class)."""
    return LOSSES.fact(loss, "targets") == "binary"


def default_loss(task: str) -> str:
    """cross_entropy for classification, mse for regression."""
    return "cross_entropy" if task == "classification" else "mse"


def check_loss(name: str, task: str, n_classes: int) -> str:
    """The loss name, checked: it exists, suits the task, and a binary loss gets two classes."""
    LOSSES.lookup(name)
    key = name.strip().lower()
    valid = _losses("classification" if task == "classification" else "regression")
    if key not in valid:
        raise GlassnetError(f"the loss {key!r} does not fit {task} data; choose one of {', '.join(valid)}")
    if _binary(key) and n_classes != 2:
        raise GlassnetError(f"the loss {key!r} is for 2 classes but the data have {n_classes}; "
                            "use cross_entropy")
    return key


def n_outputs(loss: str, task: str, n_classes: int, n_targets: int) -> int:
    """Output units: one per class (one for a binary loss), or one per regression target column."""
    if task != "classification":
        return n_targets
    return 1 if _binary(loss) else n_classes


def _generators(seed: int, n: int) -> Iterator[np.random.Generator]:
    """n independent generators from one seed (NumPy's SeedSequence.spawn)."""
    return (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n))


def _activations(names: Sequence[str], n_hidden: int) -> list[str]:
    """One activation name per hidden layer: a single name is repeated."""
    if len(names) == 1:
        return list(names) * n_hidden
    if len(names) != n_hidden:
        raise GlassnetError(f"got {len(names)} activations for {n_hidden} hidden layers; give one "
                            "name, or one per hidden layer")
    return list(names)


MAX_PARAMETERS = 100_000_000  # 400 MB of float32 weights, about 1.6 GB with gradients and Adam's moments


def check_parameters(sizes: Sequence[int]) -> int:
    """The number of weights and biases of the Linear layers sizes[0] → sizes[1] → ..., checked
    against MAX_PARAMETERS before anything is allocated.

    >>> check_parameters([4, 8, 3])
    67
    """
    n = sum((n_in + 1) * n_out for n_in, n_out in pairwise(sizes))
    if n > MAX_PARAMETERS:
        shape = "-".join(str(k) for k in sizes)
        raise GlassnetError(f"--layers: the network {shape} would have {n:,} parameters, more than the "
                            f"limit of {MAX_PARAMETERS:,}; choose smaller hidden layers")
    return n


def build_model(n_features: int, hidden: Sequence[int], activation: Sequence[str], dropout: float,
                n_out: int, loss: str, seed: int) -> tuple[Sequential, list[str]]:
    """The network n_features → hidden... → n_out and the activation used per hidden layer."""
    names = _activations(activation, len(hidden))
    classes = [ACTIVATIONS.lookup(name) for name in names]
    rngs = _generators(seed, 2 * len(hidden) + 1)
    layers: list[Module] = []
    sizes = [n_features, *hidden]
    check_parameters([*sizes, n_out])
    for n_in, n_hidden, cls in zip(sizes[:-1], hidden, classes, strict=True):
        layers += [Linear(n_in, n_hidden, generator=next(rngs)), cls()]  # z = x Wᵀ + b, a = g(z)
        if dropout > 0:
            layers.append(Dropout(dropout, generator=next(rngs)))
    layers.append(Linear(sizes[-1], n_out, generator=next(rngs)))
    head = LOSSES.fact(loss, "head")  # the output activation the loss expects, if any
    if head is not None:
        layers.append(ACTIVATIONS[head]())
    return Sequential(*layers), [name.strip().lower() for name in names]


def build_loss(name: str) -> Module:
    """The loss module called ``name`` in LOSSES."""
    return LOSSES.lookup(name)()


def build_optimizer(name: str, params: Any, lr: float | None, weight_decay: float | None) -> Optimizer:
    """The optimizer called ``name`` in OPTIMIZERS; None keeps that optimizer's own default."""
    make: Callable[..., Optimizer] = OPTIMIZERS.lookup(name)  # each takes lr, weight_decay
    options = {k: v for k, v in (("lr", lr), ("weight_decay", weight_decay)) if v is not None}
    return make(params, **options)


def build_regularizers(l1: float, l2: float) -> list[Regularizer]:
    """The L1 and L2 penalties with a nonzero strength, from REGULARIZERS."""
    chosen = []
    for name, strength in (("l1", l1), ("l2", l2)):
        if strength > 0:
            make: Callable[..., Regularizer] = REGULARIZERS.lookup(name)  # L1(l1), L2(l2)
            chosen.append(make(strength))
    return chosen


def targets(loss: str, y: np.ndarray) -> np.ndarray:
    """y as the loss wants it: class indices (n,), a float column (n, 1) for binary losses, or values."""
    return y.reshape(-1, 1).astype(np.float32) if _binary(loss) else y


def probabilities(loss: str, outputs: np.ndarray) -> np.ndarray:
    """Class probabilities P of shape (n_samples, n_classes) from a classifier's outputs."""
    kind = output_kind(build_loss(loss))
    if kind.proba is None:
        raise GlassnetError(f"the loss {loss!r} is not a classification loss; it gives no probabilities")
    P = kind.proba(outputs).astype(np.float64)  # (n_samples, n_outputs)
    return np.concatenate([1.0 - P, P], axis=1) if P.shape[1] == 1 else P  # binary: P(class 1)
