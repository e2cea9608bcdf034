"""Weight initialisers, with PyTorch's names and semantics (gain, fan mode); every one is seeded."""

from __future__ import annotations

import math

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.nn.module import as_generator

__all__ = ["kaiming_uniform_", "uniform_"]

Generator = int | np.random.Generator | None


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in and fan_out of a weight of shape (out_features, in_features, *receptive_field)."""
    if tensor.ndim < 2:
        raise ValueError("fan in and fan out need a tensor with at least 2 dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with samples from U(a, b)."""
    rng = as_generator(generator)
    tensor.data[...] = rng.uniform(a, b, size=tensor.shape)
    return tensor


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Generator = None) -> Tensor:
    """He et al. (2015) uniform: U(-bound, bound), bound = gain·√(3 / fan), gain = √(2 / (1 + a²))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = math.sqrt(2.0 / (1 + a**2)) if nonlinearity == "leaky_relu" else math.sqrt(2.0)
    bound = gain * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)
