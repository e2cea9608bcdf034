"""What one CONFIG trains on one data set: the features and targets, the network, the loss, the
optimizer, the schedule and the penalty, each made from glassnet's registries by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from glassnet.cli.build import build_model
from glassnet.errors import GlassnetError
from glassnet.nn.losses import LOSSES
from glassnet.optim import OPTIMIZERS
from glassnet.optim.lr_scheduler import SCHEDULERS, LRScheduler
from glassnet.optim.optimizer import Optimizer
from glassnet.playground.config import SCHEDULES, SIGNED_MSE
from glassnet.playground.datasets import Data, feature_matrix, target_array
from glassnet.regularizers.penalties import REGULARIZERS, Regularizer

__all__ = ["Setup", "target_kind"]


def target_kind(config: Mapping[str, Any]) -> str:
    """How the loss wants the labels: a kind of ``datasets.TARGETS``."""
    if config["problem"] == "regression":
        return "values"
    if config["loss"] == SIGNED_MSE:
        return "signed"
    return "binary" if LOSSES.fact(config["loss"], "targets") == "binary" else "indices"


class Setup:
    """The inputs and targets, network, loss, optimizer, schedule and penalty of one CONFIG on one data
    set; ``rebuild()`` makes the network and what trains it afresh from the seed."""

    def __init__(self, config: dict[str, Any], data: Data) -> None:
        self.config = config
        kind = target_kind(config)
        self.X_train = feature_matrix(data.points[data.train], config["features"])  # (n_train, n_features)
        self.X_test = feature_matrix(data.points[data.test], config["features"])
        self.y_train = target_array(data.labels[data.train], kind)
        self.y_test = target_array(data.labels[data.test], kind)
        self.n_out = config["n_classes"] if kind == "indices" else 1
        make = OPTIMIZERS.lookup(config["optimizer"])
        if config["momentum"] > 0 and "momentum" not in inspect.signature(make).parameters:
            takes = ", ".join(n for n in OPTIMIZERS
                              if "momentum" in inspect.signature(OPTIMIZERS[n]).parameters)
            raise GlassnetError(f"configure: 'momentum' is an option of {takes}, not of "
                                f"{config['optimizer']}; set momentum to 0")
        self.loss = LOSSES.lookup(config["loss"])()
        self.rebuild()

    def rebuild(self) -> None:
        c = self.config
        self.model, _ = build_model(len(c["features"]), c["layers"], c["activations"], c["dropout"],
                                    self.n_out, c["loss"], c["seed"])
        options = {"lr": c["lr"]} | ({"momentum": c["momentum"]} if c["momentum"] > 0 else {})
        make: Callable[..., Optimizer] = OPTIMIZERS.lookup(c["optimizer"])  # each takes lr (and momentum)
        self.optimizer = make(self.model.parameters(), **options)
        self.schedule: LRScheduler | None = None
        if c["schedule"] != "none":
            schedule: Callable[..., LRScheduler] = SCHEDULERS.lookup(c["schedule"])
            self.schedule = schedule(self.optimizer, **SCHEDULES[c["schedule"]])
        self.penalty: Regularizer | None = None
        if c["regularization"] != "none" and c["reg_rate"] > 0:
            penalty: Callable[..., Regularizer] = REGULARIZERS.lookup(c["regularization"])  # L1(l1), L2(l2)
            self.penalty = penalty(c["reg_rate"])

