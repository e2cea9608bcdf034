"""History: what fit() recorded, one value per epoch for each quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """Per-epoch records of a training run, as Keras's ``History``.

    ``history[key]`` is a list with one value per epoch. Keys: ``loss`` (what was minimised:
    data loss plus penalties), ``data_loss``, one ``penalty_<name>`` per regularizer, each
    metric, ``val_loss`` and ``val_<metric>`` with validation data, ``lr``, ``time`` (seconds),
    and per parameter ``weight_norm/<name>`` (‖W‖ after the epoch) and ``grad_norm/<name>``
    (‖∂L/∂W‖ of the epoch's last batch).

    >>> h = History()
    >>> h.append(0, {"loss": 0.5, "val_loss": 0.7})
    >>> h.append(1, {"loss": 0.3, "val_loss": 0.6})
    >>> h["val_loss"], h.best("val_loss")
    ([0.7, 0.6], (1, 0.6))
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    stop_reason: str = ""

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's values (a key missing from earlier epochs is padded with nan)."""
        for key in logs.keys() - self.history.keys():
            self.history[key] = [math.nan] * len(self.epoch)
        for key, values in self.history.items():
            values.append(float(logs.get(key, math.nan)))
        self.epoch.append(epoch)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def best(self, key: str, mode: str = "min") -> tuple[int, float]:
        """(epoch, value) where ``key`` was lowest (mode 'min') or highest ('max')."""
        values = self.history[key]
        pick = min if mode == "min" else max
        i = pick(range(len(values)), key=lambda j: values[j])
        return self.epoch[i], values[i]

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and strings: JSON, CSV and model files store this."""
        return {"history": {k: list(v) for k, v in self.history.items()}, "epoch": list(self.epoch),
                "stop_reason": self.stop_reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls({k: [float(x) for x in v] for k, v in data["history"].items()},
                   [int(e) for e in data["epoch"]], str(data.get("stop_reason", "")))
