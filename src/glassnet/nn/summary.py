"""``model.summary()``: one row per layer with its output shape and parameter count, as Keras's
``model.summary()`` and torchinfo's ``summary(model, input_size)`` print them.

Rows are the model's modules in ``named_modules()`` order, named as ``state_dict`` names them
(``0``, ``2.1``, ``blocks.0``: row ``0`` holds ``0.weight``). Each row counts the parameters the
module holds itself, each parameter once, so the column adds up to the total.

Output shapes: given an input (``input_size`` or a Tensor), the model runs once on it under
``no_grad()`` in eval mode (each module's mode restored after) and every module's output shape
is recorded. Without one, nothing runs: a layer whose output width its arguments fix shows it,
``Linear(3, 16)`` as ``(-1, 16)`` (``-1``: any batch size); a layer that keeps its input's shape
(an activation, Dropout, a normalization) shows the shape of the row before it in a
``Sequential``; any other shows ``?``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dropout, Identity, LazyLinear, Linear, Sequential
from glassnet.nn.module import Module
from glassnet.nn.normalization import BatchNorm1d, LayerNorm

__all__ = ["ModelSummary", "SummaryRow", "summary"]

_KEEPS_SHAPE = (Dropout, Identity, LayerNorm, BatchNorm1d)  # and every activation (ACTIVATIONS)
_HEADER = ("Layer (type)", "Output shape", "Param #", "Trainable")


class SummaryRow(NamedTuple):
    """One module of a summary.

    Attributes:
        name: its dotted name in the model (``"0"``, ``"2.1"``), ``""`` for the model itself.
        type: its class name.
        depth: how deep it sits (0 for the model).
        output_shape: e.g. ``"(32, 16)"``; ``"(-1, 16)"`` for any batch size, ``"?"`` unknown,
            ``"--"`` for a module the forward pass did not call.
        params: the number of parameters the module holds itself (not inside its children).
        trainable: how many of those require grad.
    """

    name: str
    type: str
    depth: int
    output_shape: str
    params: int
    trainable: int

    def label(self) -> str:
        """``"0 (Linear)"``; the model's own row is its class name."""
        return f"{self.name} ({self.type})" if self.name else self.type

    def cells(self, has_children: bool) -> tuple[str, str, str, str]:
        """The row's four cells as text (its label without indentation)."""
        params = "--" if has_children and not self.params else f"{self.params:,}"
        trainable = ("" if not self.params else "yes" if self.trainable == self.params
                     else "no" if not self.trainable else f"{self.trainable:,} of {self.params:,}")
        return self.label(), self.output_shape, params, trainable


class ModelSummary(str):
    """A summary's table as text (the ``str`` itself), with its rows and totals as attributes.

    Attributes:
        rows: one :class:`SummaryRow` per module, the model first.
        total_params: ``sum(p.numel() for p in model.parameters())``.
        trainable_params, non_trainable_params: the part that requires grad, and the rest.
        buffer_values: the number of values in buffers (state, such as BatchNorm's running mean,
            that is saved but not learned; not counted as parameters).
    """

    rows: list[SummaryRow]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    buffer_values: int
    _totals: list[str]

    def __new__(cls, rows: list[SummaryRow], buffer_values: int) -> ModelSummary:
        total, trainable = sum(r.params for r in rows), sum(r.trainable for r in rows)
        totals = [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {total - trainable:,}"]
        if buffer_values:
            totals.append(f"Buffers: {buffer_values:,} values (saved, not learned; not counted above)")
        made = super().__new__(cls, _text(rows, totals))
        made.rows, made.buffer_values, made.total_params = rows, buffer_values, total
        made.trainable_params, made.non_trainable_params = trainable, total - trainable
        made._totals = totals
        return made

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter; every name escaped."""
        left, right = ' style="text-align:left;padding:1px 8px"', ' style="text-align:right;padding:1px 8px"'
        head = "".join(f"<th{a}>{html.escape(h)}</th>" for h, a in zip(_HEADER, (left, left, right, left),
                                                                        strict=True))
        body = []
        for row, children in zip(self.rows, _parents(self.rows), strict=True):
            label, shape, params, trainable = (html.escape(c) for c in row.cells(children))
            indent = f' style="padding:1px 8px 1px {0.5 + 1.2 * row.depth:.1f}em;text-align:left"'
            body.append(f"<tr><td{indent}><code>{label}</code></td><td{left}><code>{shape}</code></td>"
                        f"<td{right}>{params}</td><td{left}>{trainable}</td></tr>")
        foot = "<br/>".join(html.escape(t) for t in self._totals)
        return (f'<table class="glassnet-summary"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
                f'</tbody><tfoot><tr><td colspan="4"{left}>{foot}</td></tr></tfoot></table>')


def summary(model: Module, input_size: Sequence[int] | Tensor | np.ndarray | None = None, *,
            input_data: Tensor | np.ndarray | None = None) -> ModelSummary:
    """The summary of ``model`` (see the module docstring; :meth:`Module.summary` calls this).

    Args:
        model: the network.
        input_size: the shape of an input, e.g. ``(32, 4)``: the model runs on zeros of that shape
            (in its parameters' dtype). A Tensor or array here is taken as ``input_data``.
        input_data: an example input to run the model on (an Embedding's indices, for example).

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(4, 8), gn.nn.ReLU(), gn.nn.Linear(8, 3))
    >>> print(summary(net, (32, 4)))
    Layer (type)  Output shape  Param #  Trainable
    ==============================================
    Sequential    (32, 3)            --
      0 (Linear)  (32, 8)            40  yes
      1 (ReLU)    (32, 8)             0
      2 (Linear)  (32, 3)            27  yes
    ==============================================
    Total params: 67
    Trainable params: 67
    Non-trainable params: 0
    """
    if isinstance(input_size, Tensor | np.ndarray):
        input_size, input_data = None, input_size
    modules = list(model.named_modules())
    if input_size is not None or input_data is not None:
        shapes = _run(model, modules, _example(model, input_size, input_data))
    else:
        shapes = {}
        _static_shape(model, "?", shapes)
    seen: set[int] = set()
    rows = []
    for name, module in modules:
        own = [p for p in module.parameters(recurse=False) if id(p) not in seen]
        seen.update(id(p) for p in own)
        rows.append(SummaryRow(name, type(module).__name__, name.count(".") + 1 if name else 0,
                               shapes.get(id(module), "--"), sum(p.numel() for p in own),
                               sum(p.numel() for p in own if p.requires_grad)))
    return ModelSummary(rows, sum(b.numel() for b in model.buffers()))


def _example(model: Module, input_size: Sequence[int] | None, input_data: Any) -> Tensor:
    """The input to run the model on: ``input_data``, or zeros of ``input_size``."""
    if input_data is not None:
        return input_data if isinstance(input_data, Tensor) else Tensor(np.asarray(input_data))
    size = tuple(input_size) if isinstance(input_size, tuple | list) else ()
    if not size or not all(isinstance(n, int | np.integer) and n > 0 for n in size):
        raise GlassnetError(f"summary(input_size=...) takes the shape of one input as positive integers, "
                            f"such as (32, 4), got {input_size!r:.60}; for other inputs pass input_data=")
    dtype = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"), np.dtype(np.float32))
    return Tensor(np.zeros(size, dtype=dtype))


def _run(model: Module, modules: list[tuple[str, Module]], x: Tensor) -> dict[int, str]:
    """Each module's output shape from one forward pass on ``x``, in eval mode and without a graph."""
    shapes: dict[int, str] = {}
    modes = [(m, m.training) for _, m in modules]
    kept = [(m, m.__dict__.get("forward")) for _, m in modules]  # a forward set on the instance, if any
    try:
        for _, m in modules:
            object.__setattr__(m, "forward", _recording(m.forward, id(m), shapes))
        model.eval()
        with no_grad():
            model(x)
    finally:
        for m, forward in kept:
            m.__dict__.pop("forward", None)
            if forward is not None:
                object.__setattr__(m, "forward", forward)
        for m, training in modes:
            object.__setattr__(m, "training", training)
    return shapes


def _recording(forward: Callable[..., Any], key: int, shapes: dict[int, str]) -> Callable[..., Any]:
    def forward_and_record(*args: Any, **kwargs: Any) -> Any:
        out = forward(*args, **kwargs)
        shapes.setdefault(key, _shape_text(out))  # a module called twice: its first output
        return out
    return forward_and_record


def _shape_text(out: Any) -> str:
    if isinstance(out, Tensor | np.ndarray):
        return str(tuple(out.shape))
    if isinstance(out, tuple | list):
        return "[" + ", ".join(_shape_text(o) for o in out) + "]"
    return "?"


def _static_shape(module: Module, before: str, shapes: dict[int, str]) -> str:
    """The output shape ``module``'s arguments fix, given the shape of its input (see the module doc)."""
    if isinstance(module, Sequential):
        shape = before
        for child in module.children():
            shape = _static_shape(child, shape, shapes)
    elif isinstance(module, Linear | LazyLinear):
        shape = f"(-1, {module.out_features})"
    elif isinstance(module, _KEEPS_SHAPE) or ACTIVATIONS.name_of(module) is not None:
        shape = before
    else:
        for child in module.children():
            _static_shape(child, "?", shapes)
        shape = "?"
    shapes[id(module)] = shape
    return shape


def _parents(rows: list[SummaryRow]) -> list[bool]:
    """Whether each row has children (the row after it is one level deeper)."""
    return [i + 1 < len(rows) and rows[i + 1].depth > row.depth for i, row in enumerate(rows)]


def _text(rows: list[SummaryRow], totals: list[str]) -> str:
    cells = [(("  " * r.depth + c[0]), *c[1:]) for r, c in
             zip(rows, (r.cells(p) for r, p in zip(rows, _parents(rows), strict=True)), strict=True)]
    widths = [max(len(c[k]) for c in [_HEADER, *cells]) for k in range(4)]

    def line(c: Sequence[str]) -> str:
        return f"{c[0]:<{widths[0]}}  {c[1]:<{widths[1]}}  {c[2]:>{widths[2]}}  {c[3]}".rstrip()

    lines = [line(c) for c in cells]
    rule = "=" * max(len(text) for text in [line(_HEADER), *lines])
    return "\n".join([line(_HEADER), rule, *lines, rule, *totals])
