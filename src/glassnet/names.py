"""Names to objects: the one lookup the CLI, the report and the estimator use on the name dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from glassnet.errors import GlassnetError

__all__ = ["lookup"]

T = TypeVar("T")


def lookup(table: Mapping[str, T], name: str, family: str) -> T:
    """``table[name]`` (case and surrounding spaces ignored), or an error listing the valid names.

    >>> lookup({"relu": 1, "tanh": 2}, " ReLU", "activation")
    1
    >>> lookup({"adam": 1, "sgd": 2}, "adamm", "optimizer")
    Traceback (most recent call last):
    glassnet.errors.GlassnetError: unknown optimizer 'adamm'; choose one of adam, sgd
    """
    key = str(name).strip().lower()
    if key not in table:
        raise GlassnetError(f"unknown {family} {name!r}; choose one of {', '.join(sorted(table))}")
    return table[key]
