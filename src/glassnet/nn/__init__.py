"""Neural-network building blocks: Module, layers, activations, initialisers and losses."""

from glassnet.nn import custom, custom_losses, functional, init, utils
from glassnet.nn.activations import *  # noqa: F403
from glassnet.nn.activations import __all__ as _activations
from glassnet.nn.containers import ModuleDict, ModuleList
from glassnet.nn.embedding import Embedding
from glassnet.nn.layers import LAYERS, Dropout, Flatten, Identity, LazyLinear, Linear, Sequential, Unflatten
from glassnet.nn.losses import *  # noqa: F403
from glassnet.nn.losses import __all__ as _losses
from glassnet.nn.module import Module, Parameter, UninitializedParameter
from glassnet.nn.normalization import BatchNorm1d, LayerNorm

__all__ = [
    "LAYERS", "BatchNorm1d", "Dropout", "Embedding", "Flatten", "Identity", "LayerNorm", "LazyLinear",
    "Linear", "Module", "ModuleDict", "ModuleList", "Parameter", "Sequential", "Unflatten",
    "UninitializedParameter",
    "custom", "custom_losses", "functional", "init", "utils", *_activations, *_losses,
]  # fmt: skip
