"""Regularization: penalties added to the loss (L1, L2, elastic net) and constraints on the weights.

``penalties`` holds the loss terms, differentiable scalars built from engine operations;
``constraints`` the projections applied to the weights after an optimizer step (max-norm).
"""

from glassnet.regularizers import constraints
from glassnet.regularizers.constraints import max_norm_
from glassnet.regularizers.penalties import L1, L2, REGULARIZERS, ElasticNet, Regularizer

__all__ = ["L1", "L2", "REGULARIZERS", "ElasticNet", "Regularizer", "constraints", "max_norm_"]
