"""The playground's CONFIG: its defaults, the choices the page offers, and the checks of a change.

A CONFIG is one flat dict (every key always present, see ``DEFAULTS``); the page keeps it in its
URL. ``configure(config, changes, n_classes)`` returns the new CONFIG or raises one clear line
naming the key. Components are named as glassnet's registries name them (ACTIVATIONS, LOSSES,
OPTIMIZERS, SCHEDULERS, REGULARIZERS): the playground lists them, it does not keep its own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from glassnet.errors import GlassnetError
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.losses import LOSSES
from glassnet.optim import OPTIMIZERS
from glassnet.playground.datasets import DATASETS, FEATURES
from glassnet.regularizers.penalties import REGULARIZERS

__all__ = ["DEFAULTS", "DISPLAY_ONLY", "LIMITS", "LIVE", "SCHEDULES", "SIGNED_MSE", "choices", "configure",
           "losses_for"]

DEFAULTS: dict[str, Any] = {
    "dataset": "circle", "noise": 0, "train_share": 50, "n_samples": 500, "data_seed": 0,
    "features": ["x1", "x2"], "layers": [4, 2], "activations": ["tanh", "tanh"],
    "problem": "classification", "loss": "cross_entropy", "optimizer": "sgd", "lr": 0.03,
    "momentum": 0.0, "schedule": "none", "regularization": "none", "reg_rate": 0.0,
    "dropout": 0.0, "batch_size": 10, "seed": 0, "show_test": False, "discretize": False,
    "n_classes": 2,
}  # fmt: skip

LIMITS: dict[str, Any] = {"layers": 6, "neurons": 8, "noise": [0, 50], "train_share": [10, 90],
                          "n_samples": [10, 2000], "batch_size": [1, 500], "n_classes": [2, 6],
                          "lr": [0.0, 10.0], "reg_rate": [0.0, 10.0], "dropout": [0.0, 0.9],
                          "momentum": [0.0, 0.999]}

DISPLAY_ONLY = frozenset({"show_test", "discretize"})
"""Keys that change only what the page draws: the model and its training stay as they are."""

LIVE = frozenset({"lr"})
"""Keys that change the training from the next epoch on, without a reset (as TensorFlow Playground's
learning rate does), when no schedule is set; the change is recorded and the export replays it."""

SCHEDULES: dict[str, dict[str, float]] = {
    "none": {}, "step": {"step_size": 100, "gamma": 0.5}, "exponential": {"gamma": 0.995},
    "cosine": {"T_max": 500},
}  # fmt: skip
"""The schedules offered (names of ``lr_scheduler.SCHEDULERS``) with the arguments the playground gives them;
each steps once per epoch."""

SIGNED_MSE = "mse"
"""For 2 classes, ``mse`` is TensorFlow Playground's loss: one output fitted to the targets −1 and +1."""

_HIDDEN_ACTIVATIONS = [name for name in ACTIVATIONS if name not in ("softmax", "log_softmax")]


def losses_for(problem: str, n_classes: int) -> list[str]:
    """The LOSSES that fit a problem: regression losses, or classifier losses for the class count."""
    if problem == "regression":
        return LOSSES.select(task="regression")
    indices = LOSSES.select(task="classification", targets="indices")
    if n_classes != 2:
        return indices
    return [*LOSSES.select(task="classification", targets="binary"), *indices, SIGNED_MSE]


def choices() -> dict[str, Any]:
    """What the page may choose from (CHOICES in docs/playground.md)."""
    return {
        "datasets": [{"name": name, "problem": d.problem, "label": d.label} for name, d in DATASETS.items()],
        "features": [{"name": name, "label": f.label} for name, f in FEATURES.items()],
        "activations": _HIDDEN_ACTIVATIONS,
        "losses": {"classification": losses_for("classification", 2),
                   "classification_multiclass": losses_for("classification", 3),
                   "regression": losses_for("regression", 1)},
        "optimizers": list(OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "regularizations": ["none", *(name for name in REGULARIZERS if name in ("l1", "l2"))],
        "limits": LIMITS,
    }


# ----------------------------------------------------------------------------- checks of one value
def _number(key: str, value: Any, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise GlassnetError(f"configure: {key!r} must be a number, got {value!r}")
    if integer and float(value) != int(value):
        raise GlassnetError(f"configure: {key!r} must be a whole number, got {value!r}")
    return value


def _ranged(key: str, integer: bool = False, low_open: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        lo, hi = LIMITS[key]
        number = _number(key, value, integer)
        if not lo <= number <= hi or (low_open and number == lo):
            bound = f"above {lo:g} and at most {hi:g}" if low_open else f"from {lo:g} to {hi:g}"
            raise GlassnetError(f"configure: {key!r} must be {bound}, got {value!r}")
        return int(number) if integer else float(number)
    return check


def _seed(key: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = _number(key, value, integer=True)
        if not 0 <= number < 2**32:
            raise GlassnetError(f"configure: {key!r} must be a seed from 0 to 2**32 - 1, got {value!r}")
        return int(number)
    return check


def _name(key: str, valid: Callable[[], list[str]]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in valid():
            raise GlassnetError(f"configure: {key!r} must be one of {', '.join(valid())}, got {value!r}")
        return str(name)
    return check


def _flag(key: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise GlassnetError(f"configure: {key!r} must be true or false, got {value!r}")
        return value
    return check


def _layers(value: Any) -> list[int]:
    if not isinstance(value, list) or len(value) > LIMITS["layers"]:
        raise GlassnetError(f"configure: 'layers' must be a list of at most {LIMITS['layers']} hidden layer "
                            f"sizes, got {value!r}")
    for size in value:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= LIMITS["neurons"]:
            raise GlassnetError(f"configure: 'layers' holds {size!r}; each hidden layer has 1 to "
                                f"{LIMITS['neurons']} neurons")
    return list(value)


def _names(key: str, valid: list[str], unique: bool = False) -> Callable[[Any], list[str]]:
    """A list of valid names; with ``unique``, a set kept in its first order (repeats dropped)."""
    def check(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise GlassnetError(f"configure: {key!r} must be a list of names, got {value!r}")
        names = [_name(key, lambda: valid)(v) for v in value]
        return list(dict.fromkeys(names)) if unique else names
    return check


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dataset": _name("dataset", lambda: list(DATASETS)), "noise": _ranged("noise"),
    "train_share": _ranged("train_share"), "n_samples": _ranged("n_samples", integer=True),
    "data_seed": _seed("data_seed"), "features": _names("features", list(FEATURES), unique=True),
    "layers": _layers,
    "activations": _names("activations", _HIDDEN_ACTIVATIONS),
    "problem": _name("problem", lambda: ["classification", "regression"]),
    "loss": _name("loss", lambda: losses_for("classification", 2) + losses_for("regression", 1)),
    "optimizer": _name("optimizer", lambda: list(OPTIMIZERS)), "lr": _ranged("lr", low_open=True),
    "momentum": _ranged("momentum"), "schedule": _name("schedule", lambda: list(SCHEDULES)),
    "regularization": _name("regularization", lambda: choices()["regularizations"]),
    "reg_rate": _ranged("reg_rate"), "dropout": _ranged("dropout"),
    "batch_size": _ranged("batch_size", integer=True), "seed": _seed("seed"),
    "show_test": _flag("show_test"), "discretize": _flag("discretize"),
    "n_classes": _ranged("n_classes", integer=True),
}  # fmt: skip


def configure(config: Mapping[str, Any], changes: Any, custom_classes: int | None = None) -> dict[str, Any]:
    """The CONFIG after ``changes`` (a partial CONFIG), each value checked, the rest made consistent.

    The data set decides the problem (and the class count, but for blobs3 and custom data); a
    change of problem alone picks that problem's first data set; the activations follow the layers
    (the last one repeated); a loss that no longer fits falls back to the problem's default, but a
    loss given in ``changes`` must fit. ``custom_classes`` is the class count of uploaded data.

    >>> configure(DEFAULTS, {"layers": [3, 3, 3]})["activations"]
    ['tanh', 'tanh', 'tanh']
    """
    if not isinstance(changes, Mapping):
        raise GlassnetError(f"configure: 'changes' must be an object of CONFIG keys, got {changes!r}")
    unknown = sorted(str(k) for k in changes if k not in _CHECKS)
    if unknown:
        raise GlassnetError(f"configure: unknown key {unknown[0]!r}; the keys are {', '.join(_CHECKS)}")
    new = dict(config) | {k: _CHECKS[k](v) for k, v in changes.items()}
    if "problem" in changes and "dataset" not in changes and DATASETS[new["dataset"]].problem not in (
            None, new["problem"]):
        new["dataset"] = next(n for n, d in DATASETS.items() if d.problem == new["problem"])
    data = DATASETS[new["dataset"]]
    new["problem"] = data.problem or new["problem"]
    if data.n_classes is not None:
        new["n_classes"] = data.n_classes
    elif new["dataset"] == "blobs3" and "n_classes" not in changes and config["dataset"] != "blobs3":
        new["n_classes"] = 3
    elif new["dataset"] == "custom" and custom_classes is not None and "n_classes" not in changes:
        new["n_classes"] = max(custom_classes, new["n_classes"])
    if not new["features"]:
        raise GlassnetError("configure: 'features' must name at least one input feature")
    new["activations"] = _follow(new["activations"], len(new["layers"]))
    return _fit_loss(new, "loss" in changes)


def _follow(activations: list[str], n_hidden: int) -> list[str]:
    """One activation per hidden layer: the list cut, or its last name repeated (tanh when empty)."""
    fill = activations[-1] if activations else "tanh"
    return (activations + [fill] * n_hidden)[:n_hidden]


def _fit_loss(config: dict[str, Any], given: bool) -> dict[str, Any]:
    valid = losses_for(config["problem"], config["n_classes"])
    if config["loss"] in valid:
        return config
    if given:
        raise GlassnetError(f"configure: the loss {config['loss']!r} does not fit {config['problem']} with "
                            f"{config['n_classes']} classes; choose one of {', '.join(valid)}")
    default = "cross_entropy" if config["problem"] == "classification" else "mse"
    return config | {"loss": default}
