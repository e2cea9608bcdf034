"""Devices, as a CPU library answers PyTorch's questions about them.

glassnet computes on the CPU with NumPy. ``gn.device("cpu")``, ``device="cpu"`` arguments and
``.to("cpu")`` are accepted so that code written for PyTorch runs unchanged; ``gn.cuda.is_available()``
is False, so ``device = "cuda" if gn.cuda.is_available() else "cpu"`` picks the CPU. Asking for
another device raises a GlassnetError that says so.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from glassnet.errors import GlassnetError

__all__ = ["accelerator", "as_device", "backends", "cuda", "device"]


class device:  # noqa: N801  (PyTorch's name: torch.device)
    """A device name, ``"cpu"`` (or ``"cpu:0"``). Compares equal to the same name and to its string.

    >>> import glassnet as gn
    >>> gn.device("cpu"), gn.device("cpu").type
    (device(type='cpu'), 'cpu')
    """

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, name: str | device, index: int | None = None) -> None:
        if isinstance(name, device):
            index = name.index
        kind, _, number = (name.type if isinstance(name, device) else str(name)).partition(":")
        self.type = kind
        self.index = int(number) if number else index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def as_device(value: Any) -> device:
    """The device that ``value`` names (a string, a ``device``, or any object with ``.type``); only
    the CPU is available: any other raises a GlassnetError saying what to write instead."""
    if value is None:
        return CPU
    name = getattr(value, "type", value)
    found = device(name if isinstance(name, str | device) else str(value))
    if found.type != "cpu" or found.index not in (None, 0):
        raise GlassnetError(
            f"device '{found}' is not available: glassnet computes on the CPU; use device='cpu', or "
            "choose it as PyTorch code does: device = 'cuda' if gn.cuda.is_available() else 'cpu'"
        )
    return found


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _zero() -> int:
    return 0


def _none() -> None:
    return None


cuda = SimpleNamespace(is_available=_false, device_count=_zero, manual_seed=lambda seed: None,
                       manual_seed_all=lambda seed: None)
cuda.__doc__ = "No CUDA device: ``gn.cuda.is_available()`` is False, so PyTorch's device idiom picks the CPU."
accelerator = SimpleNamespace(is_available=_false, current_accelerator=_none, device_count=_zero)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false),
                           cuda=SimpleNamespace(is_built=_false))
