"""PyTorch as the test oracle: conversions and the float64 closeness check used by every test."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import glassnet as gn

torch.set_default_dtype(torch.float64)

RTOL = 1e-12
ATOL = 1e-12


def to_torch(x: Any, requires_grad: bool = False) -> torch.Tensor:
    """A float64 (or integer) torch tensor with the same values as a glassnet Tensor or array."""
    data = np.asarray(x.array if isinstance(x, gn.Tensor) else x)
    t = torch.from_numpy(data.copy())
    return t.requires_grad_(requires_grad) if requires_grad else t


def pair(data: Any, requires_grad: bool = True) -> tuple[gn.Tensor, torch.Tensor]:
    """The same float64 values as a glassnet Tensor and a torch tensor, both requiring grad."""
    array = np.asarray(data, dtype=np.float64)
    return gn.tensor(array.copy(), requires_grad=requires_grad), to_torch(array, requires_grad)


def assert_close(ours: Any, theirs: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Assert glassnet's values equal torch's to ~1e-12 (relative), shapes included."""
    a = np.asarray(ours.array if isinstance(ours, gn.Tensor) else ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, f"shape {a.shape} != torch's {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
