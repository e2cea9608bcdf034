"""Backpropagation: the chain rule, applied to a recorded computation in this one place.

``backward(root)`` lays the graph below ``root`` out as a *plan*: its nodes in reverse
topological order (``root`` first, each node before every node it was computed from), each
with its op and the positions of its inputs in the plan. :func:`run` then walks the plan: it
calls each op's ``backward`` once, on the sum of the gradients that flowed into the node, sums
broadcasting away (``broadcast.py``) and adds each result to what that input has received so
far. That sum is the multivariable chain rule::

    ∂L/∂x = Σ over every use u of x:  ∂L/∂u · ∂u/∂x

A leaf (a parameter, an input made with ``requires_grad=True``) keeps its sum in ``.grad``.
A recorded step (``tape.py``) keeps the plan of its first ``backward`` and runs it again with
the arrays of each new batch: the same function, in the same order, so its gradients are the
graph's by construction.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from glassnet.engine.backend import namespace
from glassnet.engine.broadcast import unbroadcast
from glassnet.errors import GlassnetError

if TYPE_CHECKING:
    from glassnet.engine.op import Op
    from glassnet.engine.tensor import Tensor

__all__ = ["FREED", "Step", "backward", "plan", "run"]

FREED = object()  # a node's ``_saved`` once backward has used it (without retain_graph)


class _RecorderState(threading.local):
    """The tape recording the current step, if any (``tape.py`` sets it): one per thread, so that
    two threads training at once (joblib or Dask threads fitting estimators) record their own steps."""

    active: Any = None


_Recorder = _RecorderState()


class Step(NamedTuple):
    """One node of a plan.

    Attributes:
        op: the node's op, or None for a leaf.
        tensor: the leaf that keeps the gradient, or a node that retains it (``retain_grad``).
        parents: for each input of the op, (its position in the plan, its shape, its dtype,
            whether it is a leaf), or None when the input needs no gradient.
        needs: for each input, whether it needs a gradient (what the op's backward is told).
    """

    op: type[Op] | None
    tensor: Tensor | None
    parents: tuple[tuple[int, tuple[int, ...], Any, bool] | None, ...]
    needs: tuple[bool, ...]


def backward(root: Tensor, seed: Any, retain_graph: bool) -> None:
    """∂root/∂t into ``t.grad`` for every leaf t below ``root``; ``seed`` is ∂L/∂root (None: 1)."""
    steps, nodes = plan(root)
    saved = [node._saved for node in nodes]
    if not retain_graph:  # the plan holds the only references: each is dropped once used
        for node in nodes:
            if node._op is not None:
                node._parents, node._saved = (), FREED
    if _Recorder.active is not None:
        _Recorder.active.record_backward(steps, nodes, root)
    run(steps, saved, root.array, seed)


def plan(root: Tensor) -> tuple[list[Step], list[Tensor]]:
    """The plan below ``root`` and its nodes, ``root`` first (see the module docstring)."""
    nodes = _topological_order(root)
    nodes.reverse()
    position = {id(node): i for i, node in enumerate(nodes)}
    steps = []
    for node in nodes:
        if node._op is None:
            steps.append(Step(None, node, (), ()))
            continue
        if node._saved is FREED:
            raise GlassnetError(
                "backward() went through a graph that was already freed by an earlier backward(); "
                "pass retain_graph=True to the first call, or recompute the forward pass"
            )
        parents = tuple((position[id(p)], p.array.shape, p.array.dtype, p._op is None) if p.requires_grad
                        else None for p in node._parents)
        needs = tuple(p.requires_grad for p in node._parents)
        steps.append(Step(node._op, node if node._retains_grad else None, parents, needs))
    return steps, nodes


def run(steps: list[Step], saved: list[Any], root: Any, seed: Any = None) -> None:
    """The chain rule over a plan: each op's backward runs once, on the sum of its output's grads.

    Args:
        steps: the plan, root first.
        saved: what each node's op kept in forward, by position; each is dropped once used.
        root: the root's array (for the seed's shape and dtype).
        seed: ∂L/∂root; None for 1.
    """
    if seed is None:
        is_numpy = type(root) is np.ndarray
        seed = np.ones(root.shape, root.dtype) if is_numpy else namespace(root).ones_like(root)
    grads: list[Any] = [None] * len(steps)  # by position: the sum of what flowed in so far
    grads[0] = seed
    fresh = [False] * len(steps)  # whether nothing else holds that array: a leaf may keep it
    for key, (op, tensor, parents, needs) in enumerate(steps):
        g = grads[key]
        if g is None:
            continue
        grads[key] = None
        if op is None:  # a leaf: its gradient is the sum of what flowed in
            if tensor.grad_array is None and fresh[key] and type(g) is np.ndarray and g.flags.writeable:  # type: ignore[union-attr]
                tensor.grad_array = g  # type: ignore[union-attr]  # nothing else holds g: kept, not copied
            else:
                _accumulate(tensor, g)  # type: ignore[arg-type]
            continue
        if tensor is not None:
            _accumulate(tensor, g)
        outputs = op.backward(g, saved[key], needs)
        saved[key] = None
        for parent, pg in zip(parents, outputs):  # noqa: B905  (one per input, by the Op contract)
            if parent is None or pg is None:
                continue
            pkey, shape, dtype, leaf = parent
            if type(pg) is np.ndarray and pg.shape == shape and (pg.dtype is dtype or pg.dtype == dtype):
                reduced = pg  # nothing to undo: what unbroadcast would return
            else:
                reduced = unbroadcast(pg, shape, dtype)
            earlier = grads[pkey]
            if earlier is not None:
                if fresh[pkey] and type(reduced) is np.ndarray and reduced.shape == earlier.shape:
                    earlier += reduced  # nothing else holds that sum: added to in place (a leaf's)
                else:
                    grads[pkey] = earlier + reduced
                    fresh[pkey] = leaf
            else:
                grads[pkey] = reduced
                fresh[pkey] = leaf and (reduced is not pg or _is_new(pg, g, outputs))


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that need grad, each after all of its inputs (iterative DFS: no recursion limit)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    pop, push, mark = stack.pop, stack.append, seen.add
    while stack:
        node, expanded = pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        mark(id(node))
        push((node, True))
        for p in node._parents:
            if p.requires_grad and id(p) not in seen:
                push((p, False))
    return order


def _is_new(pg: Any, g: Any, outputs: Sequence[Any]) -> bool:
    """A backward's result that nothing else holds: not g, not a view, given for one input only."""
    if pg is g or getattr(pg, "base", None) is not None:
        return False
    n = 0
    for o in outputs:
        n += o is pg
    return n == 1


def _accumulate(node: Tensor, g: Any, owned: bool = False) -> None:
    """Add g into ``node.grad`` (in place, as PyTorch accumulates)."""
    if node.grad_array is None:  # keep g itself when nothing else holds it, else an own copy
        flags = getattr(g, "flags", None)
        if owned and (flags is None or flags.writeable):
            node.grad_array = g
        else:
            xp = namespace(g)
            node.grad_array = xp.astype(g, node.array.dtype, copy=True)
    elif hasattr(node.grad_array, "flags"):
        node.grad_array += g
    else:
        node.grad_array = node.grad_array + g
