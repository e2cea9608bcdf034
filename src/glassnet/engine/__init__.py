"""The engine: Tensor, primitive operations with their derivatives, backward, gradcheck."""

from glassnet.engine import memory
from glassnet.engine.gradcheck import gradcheck
from glassnet.engine.ops import (
    abs,
    add,
    clip,
    concatenate,
    div,
    exp,
    linear,
    log,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    pow,
    reshape,
    sqrt,
    stack,
    sub,
    sum,
    transpose,
    where,
)  # fmt: skip
from glassnet.engine.tensor import Tensor, enable_grad, is_grad_enabled, no_grad, tensor

memory.keep_freed_memory()  # large per-step temporaries are reused, not page-faulted anew

__all__ = [
    "Tensor", "abs", "add", "clip", "concatenate", "div", "enable_grad", "exp", "gradcheck",
    "is_grad_enabled", "linear", "log", "matmul", "max", "maximum", "mean", "memory", "min", "minimum",
    "mul", "neg", "no_grad", "pow", "reshape", "sqrt", "stack", "sub", "sum", "tensor",
    "transpose", "where",
]  # fmt: skip
