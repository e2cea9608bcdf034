"""Where a tensor or module computes and in which dtype: PyTorch's ``.to(...)`` arguments, read in
one place for ``Tensor.to`` and ``Module.to``.

glassnet computes on the CPU with NumPy, so the one device is ``"cpu"`` (``devices.py``); PyTorch
code that picks its device with ``device = "cuda" if torch.cuda.is_available() else "cpu"`` gets
``"cpu"`` from ``gn.cuda.is_available()`` (False) and runs unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from glassnet.engine.devices import as_device
from glassnet.engine.dtypes import as_dtype
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError

__all__ = ["placement"]

def _device_type(value: Any) -> str | None:
    """The device type of a device string (``"cuda:0"`` → ``"cuda"``) or device object (its
    ``.type``), or None when ``value`` is not a device."""
    if isinstance(value, str):
        return value.split(":")[0].strip().lower()
    found = getattr(value, "type", None)  # gn.device and torch.device alike
    return found if isinstance(found, str) else None


def _dtype(value: Any) -> Any:
    """``value`` as a dtype (``np.float64``, ``"float64"``, ``torch.float64``), or None."""
    if value is None:
        return None
    try:
        return as_dtype(value)
    except GlassnetError:
        return None


def placement(args: Sequence[Any], kwargs: Mapping[str, Any], where: str) -> Any:
    """The dtype asked for by ``.to(*args, **kwargs)`` (None: keep it), after checking the device.

    >>> import numpy as np
    >>> placement(("cpu", np.float64), {}, "to"), placement((), {"device": "cpu"}, "to")
    (dtype('float64'), None)
    >>> placement(("cuda",), {}, "to")
    Traceback (most recent call last):
    glassnet.errors.GlassnetError: device 'cuda' is not available: glassnet computes on the CPU; use \
device='cpu', or choose it as PyTorch code does: device = 'cuda' if gn.cuda.is_available() else 'cpu'
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
    for device in devices:
        as_device(device)  # only the CPU: anything else raises
    chosen = [_dtype(d) for d in dtypes if d is not None]
    if len(chosen) > 1:  # as PyTorch: to(np.float32, np.float64) is a mistake, not the last one winning
        raise GlassnetError(f"{where}() got {len(chosen)} dtypes; give one (and at most one device)")
    if any(d is None for d in chosen):  # (not `None in`: a dtype equals None when it is float64)
        raise GlassnetError(f"{where}() got dtype={kwargs.get('dtype')!r:.60}, which is not a dtype; use "
                            "np.float32 or np.float64")
    return chosen[-1] if chosen else None
