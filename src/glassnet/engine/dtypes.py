"""Data types by PyTorch's names: ``gn.float32`` (also ``gn.float``), ``gn.float64`` (``gn.double``), ...

Each name is NumPy's scalar type, so ``t.dtype == gn.float32`` holds and ``np.float32`` works
wherever a dtype is asked for. glassnet's default floating dtype is float32, as PyTorch's.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError

__all__ = [
    "as_dtype",
    "bool",
    "double",
    "float",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_floating_point",
    "long",
    "short",
    "type_name",
    "uint8",
]  # fmt: skip

float32 = float = np.float32
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor"}
_BY_TYPE_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def get_default_dtype() -> Any:
    """The dtype of floating-point tensors made from Python numbers: float32."""
    return np.float32


def as_dtype(value: Any) -> Any:
    """A NumPy dtype from a dtype, a type, or a name ('float32', 'glassnet.FloatTensor', 'torch.float64')."""
    if type(value).__module__ == "torch" and str(value).startswith("torch."):  # torch.float64
        value = str(value)
    if isinstance(value, str):
        name = value.rpartition(".")[2]
        value = _BY_TYPE_NAME.get(name, {"float": "float32", "double": "float64", "half": "float16",
                                         "long": "int64", "int": "int32", "short": "int16"}.get(name, name))
    if type(value).__module__.partition(".")[0] not in ("builtins", "numpy", "glassnet"):
        return value  # a dtype of another array library (see backend.py), kept as it is
    try:
        return np.dtype(value)
    except (TypeError, ValueError):
        raise GlassnetError(f"{value!r} is not a dtype; use one of gn.float32, gn.float64, gn.int64, "
                            "gn.bool, ...") from None


def numeric_dtype(value: Any, who: str) -> Any:
    """``as_dtype(value)``, refused unless it holds numbers (bool, integer, floating, complex), as PyTorch's.

    >>> numeric_dtype("U3", "zeros()")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: zeros() got dtype <U3, which holds no numbers; use gn.float32, ...
    """
    dtype = as_dtype(value)
    if isinstance(dtype, np.dtype) and dtype.kind not in "biufc":
        raise GlassnetError(f"{who} got dtype {dtype}, which holds no numbers; use gn.float32, gn.float64, "
                            "gn.int64, ...")
    return dtype


def type_name(dtype: Any) -> str:
    """PyTorch's legacy type string for a dtype: float32 → 'glassnet.FloatTensor'."""
    return "glassnet." + _TYPE_NAMES.get(np.dtype(dtype).name, f"{np.dtype(dtype).name}Tensor")


def is_floating_point(dtype: Any) -> builtins.bool:
    return np.dtype(dtype).kind == "f"
