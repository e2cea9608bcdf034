"""Constraints: projections applied to the weights after each optimizer step, outside the graph.

A constraint is not a loss term. It changes no gradient; after ``optimizer.step()`` it maps the
weights back into an allowed set, in place.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.regularizers.penalties import Params, weights_of

__all__ = ["max_norm_"]


def max_norm_(module_or_params: Params, max_value: float, axis: int | tuple[int, ...] = 1,
              eps: float = 0.0) -> None:
    """Max-norm constraint: scale each neuron's incoming weights back onto ‖w‖₂ <= max_value.

    Srivastava et al. (2014, JMLR 15, sec. 5.1): after each update, every row w of a Linear
    weight W (out_features, in_features), the weights into one neuron, becomes::

        w ← w · max_value / (‖w‖₂ + eps)   if ‖w‖₂ > max_value,   else w (untouched, bit for bit)

    so a row over the limit ends with norm max_value (exactly, up to rounding, with eps = 0).
    Because only rows with ‖w‖₂ > max_value > 0 are divided, no eps is needed against division
    by zero. Keras's ``MaxNorm`` instead multiplies every row by min(‖w‖, c) / (‖w‖ + 1e-7),
    which also shrinks rows under the limit slightly; ``eps=1e-7`` reproduces PyTorch's
    ``torch.renorm(W, 2, 0, max_value)``. Biases are never constrained (see
    ``glassnet.regularizers`` for what counts as a bias). No graph is recorded.

    Args:
        module_or_params: a Module, one Tensor, or an iterable of Tensors.
        max_value: the largest allowed norm c > 0.
        axis: the axis (or axes) the norm is taken over: 1 for a Linear weight's rows; for a
            weight (out, in, *kernel) pass ``(1, 2, ...)`` to constrain each output filter.
        eps: added to the norm in the divisor; 0 lands rescaled rows exactly on max_value.

    >>> import glassnet as gn, numpy as np
    >>> W = gn.nn.Parameter(np.array([[6.0, 8.0], [0.3, 0.4]]))   # row norms 10 and 0.5
    >>> max_norm_([W], 5.0)                                        # row 0 scaled by 5/10
    >>> W.array.tolist()
    [[3.0, 4.0], [0.3, 0.4]]
    """
    if not (isinstance(max_value, int | float) and math.isfinite(max_value) and max_value > 0):
        raise GlassnetError(f"max_norm_ needs a finite max_value > 0, got {max_value!r}")
    if not eps >= 0:
        raise GlassnetError(f"max_norm_ needs eps >= 0, got {eps!r}")
    for w in weights_of(module_or_params):
        W = w.array
        norms = np.sqrt(np.sum(np.square(W, dtype=np.float64), axis=axis, keepdims=True))  # (out, 1)
        over = norms > max_value
        scale = np.divide(max_value, norms + eps, out=np.ones_like(norms), where=over).astype(W.dtype)
        np.multiply(W, scale, out=W, where=over)  # rows under the limit are not written at all
