"""glassnet: neural networks whose math you can see.

Reverse-mode automatic differentiation, layers, activations, losses, optimizers and
regularizers on NumPy; every number checked against PyTorch.
"""

from glassnet import data, io, metrics, nn, optim, regularizers, train, utils
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
from glassnet.engine.model_check import GradientReport, check_gradients
from glassnet.errors import GlassnetError, GradcheckError, ShapeError
from glassnet.explain import Walkthrough, explain  # glassnet.explain(...) is the function
from glassnet.io import load, save
from glassnet.registry import Formula
from glassnet.train import evaluate, fit, predict

__version__ = "0.1.0"

__all__ = [
    "Formula",
    "GlassnetError",
    "GradcheckError",
    "GradientReport",
    "ShapeError",
    "Tensor",
    "Walkthrough",
    "__version__",
    "abs",
    "check_gradients",
    "clip",
    "concatenate",
    "data",
    "enable_grad",
    "evaluate",
    "exp",
    "explain",
    "fit",
    "gradcheck",
    "io",
    "is_grad_enabled",
    "load",
    "log",
    "matmul",
    "max",
    "maximum",
    "mean",
    "metrics",
    "min",
    "minimum",
    "nn",
    "no_grad",
    "optim",
    "predict",
    "regularizers",
    "reshape",
    "save",
    "sqrt",
    "stack",
    "sum",
    "tensor",
    "train",
    "transpose",
    "utils",
    "where",
]  # fmt: skip
