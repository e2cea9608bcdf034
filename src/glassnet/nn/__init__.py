"""Neural-network building blocks: Module, layers, activations, initialisers and losses."""

from glassnet.nn import custom, custom_losses, functional, init, utils
from glassnet.nn.activations import *  # noqa: F403
from glassnet.nn.activations import __all__ as _activations
from glassnet.nn.containers import ModuleDict, ModuleList
from glassnet.nn.layers import LAYERS, Dropout, Flatten, Identity, Linear, Sequential
from glassnet.nn.losses import *  # noqa: F403
from glassnet.nn.losses import __all__ as _losses
from glassnet.nn.module import Module, Parameter

__all__ = [
    "LAYERS", "Dropout", "Flatten", "Identity", "Linear", "Module", "ModuleDict", "ModuleList", "Parameter",
    "Sequential", "custom", "custom_losses", "functional", "init", "utils", *_activations, *_losses,
]  # fmt: skip
