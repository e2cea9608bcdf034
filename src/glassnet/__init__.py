"""glassnet: neural networks whose math you can see.

Reverse-mode automatic differentiation, layers, activations, losses, optimizers and
regularizers on NumPy; every number checked against PyTorch.
"""

from glassnet import constraints, data, nn, optim, regularizers
from glassnet.engine import (
    Tensor,
    abs,
    clip,
    concatenate,
    enable_grad,
    exp,
    gradcheck,
    is_grad_enabled,
    log,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    no_grad,
    reshape,
    sqrt,
    stack,
    sum,
    tensor,
    transpose,
    where,
)  # fmt: skip
from glassnet.errors import GlassnetError, GradcheckError, ShapeError
from glassnet.formula import Formula

__version__ = "0.1.0"

__all__ = [
    "Formula", "GlassnetError", "GradcheckError", "ShapeError", "Tensor", "__version__", "abs",
    "clip", "concatenate", "constraints", "data", "enable_grad", "exp", "gradcheck", "is_grad_enabled",
    "log", "matmul", "max", "maximum", "mean", "min", "minimum", "nn", "no_grad", "optim",
    "regularizers", "reshape", "sqrt", "stack", "sum", "tensor", "transpose", "where",
]  # fmt: skip
