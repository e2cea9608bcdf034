"""Where a tensor or module computes and in which dtype: PyTorch's ``.to(...)`` arguments, read in
one place for ``Tensor.to`` and ``Module.to``.

A device is ``"cpu"``, ``"cuda"`` (CuPy on a GPU), ``"strict"`` (the test device) or any form
``gn.device`` takes; one the machine lacks raises a GlassnetError (``devices.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from glassnet.engine.devices import as_device, device
from glassnet.engine.dtypes import as_dtype
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError

__all__ = ["Placement", "placement"]


class Placement(NamedTuple):
    """What ``.to(...)`` asked for: a dtype and a device, each None where it keeps its own."""

    dtype: Any
    device: device | None


def _device_type(value: Any) -> str | None:
    """The device type of a device string (``"cuda:0"`` → ``"cuda"``) or device object (its
    ``.type``), or None when ``value`` is not a device."""
    if isinstance(value, str):
        return value.split(":")[0].strip().lower()
    found = getattr(value, "type", None)  # gn.device and torch.device alike
    if type(value).__name__ == "Device":  # an array library's own: cupy.cuda.Device, array_api_strict.Device
        return type(value).__module__
    return found if isinstance(found, str) else None


def _dtype(value: Any) -> Any:
    """``value`` as a dtype (``np.float64``, ``"float64"``, ``torch.float64``), or None."""
    if value is None:
        return None
    try:
        return as_dtype(value)
    except GlassnetError:
        return None


def placement(args: Sequence[Any], kwargs: Mapping[str, Any], where: str) -> Placement:
    """The dtype and device asked for by ``.to(*args, **kwargs)`` (None: keep it), the device checked.

    >>> import numpy as np
    >>> placement(("cpu", np.float64), {}, "to")
    Placement(dtype=dtype('float64'), device=device(type='cpu'))
    >>> placement(("tpu",), {}, "to")
    Traceback (most recent call last):
    glassnet.errors.GlassnetError: device 'tpu' is not known; glassnet's devices are cpu, cuda, strict \
(use device='cpu', or device = 'cuda' if gn.cuda.is_available() else 'cpu')
    """
    unknown = sorted(set(kwargs) - {"device", "dtype", "non_blocking", "copy"})
    if unknown or len(args) > 2:
        raise GlassnetError(f"{where}() takes a device, a dtype, both, or a tensor (and the keywords "
                            f"device=, dtype=), got {len(args)} arguments and the keywords {sorted(kwargs)}")
    devices, dtypes = [kwargs.get("device")], [kwargs.get("dtype")]
    for value in args:
        if value is None:
            continue
        if isinstance(value, Tensor):
            dtypes.append(value.dtype)
        elif isinstance(value, str) and _dtype(value) is not None and value != "cpu":
            dtypes.append(value)
        elif _device_type(value) is not None:
            devices.append(value)
        elif _dtype(value) is not None:
            dtypes.append(value)
        else:
            raise GlassnetError(f"{where}() got {value!r:.60}, which is neither a device (\"cpu\") nor a "
                                "dtype (np.float32, np.float64)")
    found = [as_device(d) for d in devices if d is not None]  # a device the machine lacks raises
    if len(found) > 1:
        raise GlassnetError(f"{where}() got {len(found)} devices; give one")
    chosen = [_dtype(d) for d in dtypes if d is not None]
    if len(chosen) > 1:  # as PyTorch: to(np.float32, np.float64) is a mistake, not the last one winning
        raise GlassnetError(f"{where}() got {len(chosen)} dtypes; give one (and at most one device)")
    if any(d is None for d in chosen):  # (not `None in`: a dtype equals None when it is float64)
        raise GlassnetError(f"{where}() got dtype={kwargs.get('dtype')!r:.60}, which is not a dtype; use "
                            "np.float32 or np.float64")
    return Placement(chosen[-1] if chosen else None, found[0] if found else None)
