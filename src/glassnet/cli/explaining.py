"""``glassnet explain``: one training step derived with its numbers, on a built-in sample or a run's model.

Built in: the 2-2-1 sigmoid network with the classic worked example's weights on XOR's four points
(``tests/test_worked_example.py``), or with ``--classes N`` the seeded N-arm spirals, 4 points per
class, with N softmax outputs and cross-entropy. With ``--model``, a trained run's network on one
row of ``--data``, stepped with the run's optimizer, learning rate, weight decay and penalties,
each unless an option gives it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.cli.build import (
    build_loss,
    build_optimizer,
    build_regularizers,
    check_loss,
    check_parameters,
    targets,
)
from glassnet.cli.commands import _features, _is_builtin, _load
from glassnet.cli.scoring import ModelInfo, load_model
from glassnet.data import make_spirals
from glassnet.errors import GlassnetError
from glassnet.explain import explain as explain_step
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.losses import LOSSES
from glassnet.nn.module import Module

__all__ = ["CLASSIC_LR", "XOR", "explain", "spirals_sample", "step_settings"]

# XOR's four points and the weights of the classic 2-2-1 worked example (tests/test_worked_example.py)
XOR = (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0]))
_CLASSIC = {"0.weight": np.array([[0.15, 0.20], [0.25, 0.30]]), "0.bias": np.array([0.35, 0.35]),
            "2.weight": np.array([[0.40, 0.45]]), "2.bias": np.array([0.60])}  # fmt: skip
CLASSIC_LR = 0.5  # the classic example's η: with SGD's own 1e-3, W¹ would not move within 4 digits
_PER_CLASS = 4  # points per class of the --classes sample


def spirals_sample(n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The built-in N-class sample: ``make_spirals(4·N, n_arms=N, seed=0)``, class k in rows 4k..4k+3.

    >>> X, y = spirals_sample(3)
    >>> X.shape, y.tolist()
    ((12, 2), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    """
    X, y = make_spirals(_PER_CLASS * n_classes, n_arms=n_classes, seed=0)
    return X.astype(np.float64), y  # (4N, 2), (4N,)


def _network(hidden: list[int], activation: str, loss: str, n_out: int) -> Sequential:
    """A float64 network 2 → hidden → n_out; the classic weights when it is 2-2-1."""
    check_parameters([2, *hidden, n_out])
    act = ACTIVATIONS.lookup(activation)
    rngs = np.random.SeedSequence(0).spawn(len(hidden) + 1)
    layers: list[Module] = []
    for n_in, n, rng in zip([2, *hidden[:-1]], hidden, rngs, strict=False):
        layers += [Linear(n_in, n, dtype=np.float64, generator=np.random.default_rng(rng)), act()]
    last = np.random.default_rng(rngs[-1])
    layers.append(Linear(([2, *hidden])[-1], n_out, dtype=np.float64, generator=last))
    classifier = LOSSES.fact(loss, "task") == "classification"
    head = LOSSES.fact(loss, "head") if classifier else "sigmoid"  # regression on XOR: σ(z) against 0/1
    if head is not None:
        layers.append(ACTIVATIONS[head]())
    model = Sequential(*layers)
    if hidden == [2] and n_out == 1:
        model.load_state_dict(_CLASSIC)
    return model


def _sample(X: np.ndarray, y: np.ndarray, index: int | None, default: int,
            where: str) -> tuple[np.ndarray, np.ndarray]:
    i = default if index is None else index
    if not 0 <= i < len(X):
        raise GlassnetError(f"--sample {i} is out of range: {where} has {len(X)} samples, 0 to {len(X) - 1}")
    return X[i : i + 1], y[i : i + 1]


def _builtin_loss(args: dict[str, Any]) -> str:
    """--loss, checked; cross_entropy by default with --classes, else mse."""
    classes = args.get("classes")
    name = (args.get("loss") or ("cross_entropy" if classes else "mse")).strip().lower()
    LOSSES.lookup(name)  # an unknown name: the error lists the losses
    if name == "gaussian_nll" and not classes:  # explain only: it takes a variance
        return name
    task = "classification" if LOSSES.fact(name, "task") == "classification" else "regression"
    loss = check_loss(name, task, classes or 2)
    if classes and LOSSES.fact(loss, "targets") != "indices":
        raise GlassnetError(f"--classes {classes} means {classes} softmax outputs and class indices as "
                            f"targets, which the loss {loss!r} does not take; drop --loss (cross_entropy) "
                            "or pass --loss nll")
    return loss


def _builtin(args: dict[str, Any]) -> tuple[Module, str, np.ndarray, np.ndarray]:
    """The built-in network, its loss and one sample: XOR's, or the --classes N spirals'."""
    if args.get("data") is not None:
        raise GlassnetError("--data is for --model; without --model, explain uses XOR's 4 points (or the "
                            "spirals of --classes)")
    loss, classes = _builtin_loss(args), args.get("classes") or 2
    indices = LOSSES.fact(loss, "targets") == "indices"
    if classes == 2:
        x, y = _sample(*XOR, args.get("sample"), 2, "XOR")
    else:
        x, y = _sample(*spirals_sample(classes), args.get("sample"), 0, f"the {classes}-class spirals")
    y = y if indices else y.reshape(-1, 1).astype(np.float64)  # (1,) or (1, 1)
    return _network(args["layers"], args["activation"], loss, classes if indices else 1), loss, x, y


def _from_run(args: dict[str, Any]) -> tuple[ModelInfo, np.ndarray, np.ndarray]:
    """A run's model file and one row of --data, preprocessed as in training."""
    given = [f"--{k}" for k in ("classes", "loss") if args.get(k) is not None]
    if given:
        raise GlassnetError(f"{' and '.join(given)} describe the built-in network; with --model the run's "
                            "own network and loss are used: drop them")
    if args.get("data") is None:
        raise GlassnetError("--model needs --data: the data set or file to take the sample from")
    info = load_model(args["model"])
    ds = _load(args["data"], None if _is_builtin(args["data"]) else info.target, info.task)
    y = info.class_indices(ds.decode(ds.y), args["data"]) if info.task == "classification" else ds.y
    x, y = _sample(_features(info, ds, args["data"]), y, args.get("sample"), 0, args["data"])
    return info, x, targets(info.loss, y)


def step_settings(args: dict[str, Any], info: ModelInfo | None) -> dict[str, Any]:
    """The optimizer's name, lr and weight decay and the penalties l1, l2 of the step.

    An option given wins; with ``--model`` the run's saved settings come next (its lr and weight
    decay only while the optimizer is the run's); then the defaults: SGD, each optimizer's own lr
    and weight decay (None), no penalties, and ``CLASSIC_LR`` for SGD on the built-in sample.
    """
    saved = None if info is None else info.optimizer
    name = (args.get("optimizer") or saved or "sgd").strip().lower()
    run = info.steps if info is not None and saved is not None and saved.strip().lower() == name else {}
    penalties = {} if info is None else info.steps
    lr = args.get("lr") or run.get("lr") or (CLASSIC_LR if info is None and name == "sgd" else None)
    return {"optimizer": name, "lr": lr, "weight_decay": run.get("weight_decay"),
            "l1": penalties.get("l1", 0.0) if args.get("l1") is None else args["l1"],
            "l2": penalties.get("l2", 0.0) if args.get("l2") is None else args["l2"]}


def explain(args: dict[str, Any]) -> int:
    """Print one training step derived with its numbers (``glassnet explain``)."""
    if args.get("model") is None:
        info, (model, loss, x, y) = None, _builtin(args)
    else:
        info, x, y = _from_run(args)
        model, loss = info.model.double(), info.loss
    var = args.get("var")
    if loss != "gaussian_nll" and var is not None:
        raise GlassnetError(f"--var is the variance of --loss gaussian_nll; the loss {loss!r} takes none")
    step = step_settings(args, info)
    optimizer = build_optimizer(step["optimizer"], model.parameters(), step["lr"], step["weight_decay"])
    walkthrough = explain_step(model, x, y, build_loss(loss), optimizer,
                               build_regularizers(step["l1"], step["l2"]) or None,
                               var=(1.0 if var is None else var) if loss == "gaussian_nll" else None,
                               max_items=None if args["show_all"] else 6, digits=args.get("digits", 4))
    print(walkthrough.render(args["format"]))
    return 0
