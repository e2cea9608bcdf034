"""The NaN/inf sentinel: which layer, and which operation in it, first produced a non-finite value."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.nn.layers import Linear, Sequential
from glassnet.nn.module import Module

__all__ = ["first_nonfinite"]


def _layers(module: Module, prefix: str = "") -> Iterator[tuple[str, Module]]:
    """The leaf modules of nested Sequentials, in the order the data flows through them."""
    if isinstance(module, Sequential):
        for name, child in module.named_children():
            yield from _layers(child, f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix or type(module).__name__, module


def _where(values: np.ndarray) -> str:
    bad = np.argwhere(~np.isfinite(values))[0]
    return f"{values[tuple(bad)]} at index {tuple(int(i) for i in bad)}"


def first_nonfinite(model: Module, x: np.ndarray) -> str:
    """Replay the forward pass of one batch and say where a NaN or inf first appears.

    Returns a sentence naming the input, or the first layer (its dotted name and type) and the
    operation in it: a weight that is already non-finite, or the layer's own computation
    (e.g. an overflow in z = W·a + b); or the loss itself when every layer's output is finite.

    >>> import numpy as np, glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 2, generator=0), gn.nn.ReLU())
    >>> net[0].weight.array[0, 0] = np.nan
    >>> first_nonfinite(net, np.ones((1, 2), dtype=np.float32))
    "layer '0' (Linear): its weight is already non-finite (nan at index (0, 0)); an earlier update diverged"
    """
    if not np.isfinite(x).all():
        return f"the input batch holds {_where(x)}; clean the data (NaN or inf in the features)"
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            a = Tensor(x)
            for name, layer in _layers(model):
                for pname, p in layer.named_parameters():
                    if not np.isfinite(p.array).all():
                        return (f"layer '{name}' ({type(layer).__name__}): its {pname} is already "
                                f"non-finite ({_where(p.array)}); an earlier update diverged")
                a = layer(a)
                if not np.isfinite(a.array).all():
                    what = "z = W·a + b overflowed" if isinstance(layer, Linear) else "its function gave"
                    return (f"layer '{name}' ({type(layer).__name__}): {what} {_where(a.array)} from "
                            "finite inputs; lower the learning rate or scale the inputs")
    finally:
        model.train(was_training)
    return "every layer's output is finite: the loss itself produced it (check the targets and the loss)"
