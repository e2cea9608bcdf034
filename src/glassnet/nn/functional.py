"""Functional forms of layers, activations and losses: ``import glassnet.nn.functional as F``.

>>> import glassnet as gn
>>> import glassnet.nn.functional as F
>>> F.relu(gn.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from glassnet.engine.ops import linear
from glassnet.nn._loss_functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)  # fmt: skip
from glassnet.nn.activations import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    mish,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)  # fmt: skip
from glassnet.nn.layers import dropout

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "elu",
    "gaussian_nll_loss", "gelu", "hardtanh", "huber_loss", "kl_div", "l1_loss", "leaky_relu",
    "linear", "log_softmax", "mish", "mse_loss", "nll_loss", "poisson_nll_loss", "relu", "selu",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus", "softsign", "tanh",
]  # fmt: skip
