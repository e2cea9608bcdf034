"""Devices, named as PyTorch names them: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``gn.device("cuda")``.

Each device type is computed on by one array library (``libraries.py`` holds that table): the
CPU by NumPy, ``cuda`` by CuPy on an NVIDIA GPU, ``strict`` by array-api-strict (a test device:
the CPU through a library that refuses implicit conversions). ``gn.cuda.is_available()`` is True
only when CuPy is installed and finds a GPU, so ``device = "cuda" if gn.cuda.is_available() else
"cpu"`` works as in PyTorch; asking for a device the machine lacks raises a GlassnetError that says
why. A device object of an array library (``cupy.cuda.Device(0)``, ``array_api_strict.Device``) is
taken too.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from glassnet.errors import GlassnetError

__all__ = ["accelerator", "as_device", "backends", "cuda", "device"]


class device:  # noqa: N801  (PyTorch's name: torch.device)
    """A device name, ``"cpu"``, ``"cuda"``, ``"cuda:0"``. Compares equal to the same name and to its string.

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
        if number and not number.isdigit():
            raise GlassnetError(f"device '{name}' has the index '{number}'; write a whole number after the "
                                "colon, e.g. 'cuda:0'")
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
    """The device that ``value`` names (a string, a ``device``, any object with ``.type`` such as
    ``torch.device``, or an array library's own device object), checked to exist on this machine:
    a GlassnetError says why not and what to write instead."""
    if value is None:
        return CPU
    from glassnet.engine import libraries  # it builds on this module's device

    name = getattr(value, "type", value)
    found = device(name) if isinstance(name, str | device) else libraries.native_device(value)
    libraries.check_available(found)
    return found


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _none() -> None:
    return None


def _gpus() -> int:
    """How many CUDA devices CuPy finds (0 without CuPy, a driver or a GPU); CuPy is imported here."""
    from glassnet.engine.libraries import LIBRARIES

    return LIBRARIES["cuda"].count()


def _has_gpu() -> bool:
    return _gpus() > 0


def _cuda_device() -> device | None:
    return device("cuda") if _has_gpu() else None


def _built() -> bool:
    from importlib.util import find_spec

    return find_spec("cupy") is not None


cuda = SimpleNamespace(is_available=_has_gpu, device_count=_gpus, is_built=_built,
                       manual_seed=lambda seed: None, manual_seed_all=lambda seed: None)
cuda.__doc__ = ("CUDA through CuPy: ``gn.cuda.is_available()`` is True when CuPy is installed and finds a "
                "GPU. Random numbers are drawn on the host from glassnet's generators, so ``manual_seed`` "
                "here does nothing: ``gn.manual_seed`` seeds them on every device.")
accelerator = SimpleNamespace(is_available=_has_gpu, current_accelerator=_cuda_device, device_count=_gpus)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false),
                           cuda=SimpleNamespace(is_built=_built))
