"""Random operations: dropout, whose mask is drawn in ``forward`` from a generator it is given.

The generator is an argument of the op, so a recorded step (``tape.py``) that runs the op again
draws the next mask from the same generator, exactly as the graph would. On every device the mask
is drawn on the host from that generator and moved beside x (one copy of a bool mask per step):
a seed gives the same masks on a GPU as on the CPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.engine.backend import constant, is_numpy, namespace
from glassnet.engine.libraries import move_like
from glassnet.engine.op import Op, apply
from glassnet.engine.tensor import Tensor

__all__ = ["Dropout", "dropout", "dropout_mask"]


def dropout_mask(shape: tuple[int, ...], p: float, dtype: Any, generator: np.random.Generator) -> np.ndarray:
    """Each element 0 with probability p, else 1/(1 − p), for 0 ≤ p < 1: dropout's multiplier."""
    keep = generator.random(shape, dtype=np.float32) >= p  # (shape)
    mask = keep.astype(dtype)
    mask *= 1.0 / (1.0 - p)  # 0 or 1/(1 − p)
    return mask


class Dropout(Op):
    """Inverted dropout: x·m with m = 0 with probability p, else 1/(1 − p); ∂(x·m)/∂x = m."""

    @staticmethod
    def forward(x: Any, p: float, generator: np.random.Generator) -> tuple[Any, Any]:
        if is_numpy(x):
            mask = dropout_mask(x.shape, p, x.dtype, generator)
        else:  # the host's draw, moved beside x: the same mask as on the CPU
            keep = move_like(generator.random(x.shape, dtype=np.float32) >= p, x)  # (shape)
            mask = namespace(x).astype(keep, x.dtype) * constant(1.0 / (1.0 - p), x)
        return x * mask, mask

    @staticmethod
    def backward(g: Any, mask: Any, needs: tuple[bool, ...]) -> tuple[Any]:
        return (g * mask,)


def dropout(x: Tensor, p: float, generator: np.random.Generator) -> Tensor:
    """x·m with a fresh mask m drawn from ``generator`` (0 ≤ p < 1)."""
    return apply(Dropout, x, p=p, generator=generator)
