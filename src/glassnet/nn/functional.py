"""Functional forms of layers, activations and losses: ``import glassnet.nn.functional as F``."""

from glassnet.engine.ops import linear
from glassnet.nn.layers import dropout

__all__ = ["dropout", "linear"]
