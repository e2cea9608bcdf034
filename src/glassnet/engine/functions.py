"""The functions of the ``glassnet`` namespace by PyTorch's names: ``gn.exp(x)``, ``gn.max(x, 1)``, ...

Each is the Tensor method of the same name (``tensor_methods.py``) called on its first argument,
so a function and its method can never disagree: ``gn.max(x, dim)`` gives ``(values, indices)``,
``gn.max(x, other)`` the elementwise maximum, ``gn.max(x, axis=...)`` the values, as
``x.max(...)`` does. The engine's own primitives keep NumPy's signatures (``glassnet.engine``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glassnet.engine.op import as_tensor
from glassnet.engine.tensor_methods import TensorMethods
from glassnet.errors import GlassnetError

__all__ = [
    "abs",
    "all",
    "any",
    "argmax",
    "argmin",
    "bmm",
    "clamp",
    "clip",
    "cos",
    "cosh",
    "eq",
    "exp",
    "flatten",
    "ge",
    "gt",
    "le",
    "log",
    "log_softmax",
    "lt",
    "matmul",
    "max",
    "maximum",
    "mean",
    "meshgrid",
    "min",
    "minimum",
    "mm",
    "ne",
    "neg",
    "norm",
    "permute",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "sinh",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "std",
    "sum",
    "swapaxes",
    "t",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
]  # fmt: skip


def _function(name: str) -> Callable[..., Any]:
    """``gn.<name>(input, *args, **kwargs)`` = ``input.<name>(*args, **kwargs)``."""
    method = getattr(TensorMethods, name)

    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(as_tensor(input), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``gn.{name}(input, ...)`` is ``input.{name}(...)``. " + (method.__doc__ or "")
    return function


abs = _function("abs")
bmm = _function("bmm")
cosh = _function("cosh")
sinh = _function("sinh")
swapaxes = _function("swapaxes")
all = _function("all")
any = _function("any")
argmax = _function("argmax")
argmin = _function("argmin")
clamp = _function("clamp")
clip = _function("clip")
cos = _function("cos")
eq = _function("eq")
exp = _function("exp")
flatten = _function("flatten")
ge = _function("ge")
gt = _function("gt")
le = _function("le")
log = _function("log")
log_softmax = _function("log_softmax")
lt = _function("lt")
matmul = _function("matmul")
max = _function("max")
maximum = _function("maximum")
mean = _function("mean")
min = _function("min")
minimum = _function("minimum")
mm = _function("mm")
ne = _function("ne")
neg = _function("neg")
norm = _function("norm")
permute = _function("permute")
pow = _function("pow")
relu = _function("relu")
reshape = _function("reshape")
sigmoid = _function("sigmoid")
sin = _function("sin")
softmax = _function("softmax")
sqrt = _function("sqrt")
square = _function("square")
squeeze = _function("squeeze")
std = _function("std")
sum = _function("sum")
t = _function("t")
tanh = _function("tanh")
transpose = _function("transpose")
unsqueeze = _function("unsqueeze")
var = _function("var")


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Any, ...]:
    """Coordinate grids from 1-D tensors (``indexing="ij"``, PyTorch's default, or ``"xy"``)."""
    if indexing not in ("ij", "xy"):
        raise GlassnetError(f"meshgrid(indexing={indexing!r}): use 'ij' or 'xy'")
    axes = [as_tensor(t) for t in (tensors[0] if len(tensors) == 1 and isinstance(tensors[0], list | tuple)
                                     else tensors)]
    order = list(range(len(axes)))
    if indexing == "xy" and len(axes) >= 2:
        order[0], order[1] = 1, 0
    shape = tuple(axes[i].numel() for i in order)
    grids = []
    for k, t in enumerate(axes):
        at = order.index(k)
        grids.append(t.reshape(tuple(-1 if d == at else 1 for d in range(len(axes)))).expand(shape))
    return tuple(grids)
