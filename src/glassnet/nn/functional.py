"""Functional forms of layers, activations and losses: ``import glassnet.nn.functional as F``.

The activations' and losses' functional forms are their registrations' ``function`` facts
(``ACTIVATIONS``, ``LOSSES``), one registration each: a new one is here too.

>>> import glassnet as gn
>>> import glassnet.nn.functional as F
>>> F.relu(gn.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from collections.abc import Callable
from typing import Any

from glassnet.engine.ops import linear
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.embedding import embedding
from glassnet.nn.layers import dropout
from glassnet.nn.losses import LOSSES
from glassnet.nn.normalization import batch_norm, layer_norm


def _registered() -> dict[str, Callable[..., Any]]:
    """Every registered activation's and loss's functional form, by its function's name (kept until
    either registry changes)."""
    versions = (ACTIVATIONS.version, LOSSES.version)
    if _found.get("versions") != versions:
        _found.clear()
        _found["versions"] = versions
        _found["table"] = {entry.facts["function"].__name__: entry.facts["function"]
                           for registry in (ACTIVATIONS, LOSSES) for entry in registry.entries()
                           if "function" in entry.facts}
    return _found["table"]


_found: dict[str, Any] = {}


def __getattr__(name: str) -> Callable[..., Any]:
    found = _registered().get(name)
    if found is None:
        raise AttributeError(f"module 'glassnet.nn.functional' has no attribute {name!r}")
    return found


def __dir__() -> list[str]:
    return sorted([*globals(), *_registered()])


__all__ = ["batch_norm", "dropout", "embedding", "layer_norm", "linear", *_registered()]
