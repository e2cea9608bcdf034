"""A training step recorded once and replayed with new arrays: the graph's speed without its cost.

A model's forward pass makes the same operations at every step: only the arrays change. While a
:class:`Tape` records, :func:`~glassnet.engine.tensor.apply` tells it each op it runs, with the
*slots* its inputs came from (a step input, a parameter, a constant, or an earlier op's
output), and ``backward()`` gives it the plan it ran (``autograd.plan``). :meth:`Tape.forward`
then runs the same ops' ``forward`` on new input arrays, in the same order, with no Tensor and
no graph to build, and :meth:`Tape.backward` runs the recorded plan through ``autograd.run``,
the function every ``backward()`` uses. The ops and the chain rule are the graph's own, so the
numbers are the graph's by construction; only the bookkeeping is gone.

A replay is right only for a step that would make the same operations on the new arrays. What
may differ is checked: each input's shape and dtype (:meth:`Tape.accepts`), each op's output
shape, and every parameter's ``requires_grad``. What cannot be seen from here is checked by the
caller recording the step twice, on two batches, and replaying only if the two recordings are
the same (:meth:`Tape.difference`): an array made from the data outside the engine's ops (a
constant that differs between batches) or a branch taken on the data shows up as a difference.
``glassnet.fit`` does this (``docs/engine.md``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from glassnet.engine import autograd
from glassnet.engine.autograd import _Recorder
from glassnet.engine.backend import has_namespace
from glassnet.engine.op import Op
from glassnet.engine.tensor import Tensor

__all__ = ["ReplayError", "Replayed", "Tape"]


class ReplayError(Exception):
    """A replay met arrays its recording does not fit (an op's output shape changed)."""


class _Entry(NamedTuple):
    op: type[Op]
    inputs: tuple[int, ...]  # slots
    static: dict[str, Any]
    out: int  # slot
    shape: tuple[int, ...]


class Replayed:
    """One replayed forward pass: every slot's array and what each op kept for backward."""

    __slots__ = ("saved", "values")

    def __init__(self, values: list[Any], saved: list[Any]) -> None:
        self.values, self.saved = values, saved

    def __getitem__(self, slot: int) -> Any:
        return self.values[slot]


class Tape:
    """The record of one step: its ops in forward order, wired by slots, and its backward plan.

    Args:
        inputs: the step's input Tensors (the batch, the targets, ...): slots 0, 1, ...
        parameters: the tensors to read afresh at every replay (a model's parameters): each is
            bound by identity, never copied, so an optimizer's update is seen.
    """

    def __init__(self, inputs: Sequence[Tensor], parameters: Iterable[Tensor]) -> None:
        self.inputs = list(inputs)  # while recording: the Tensors the step is run on
        self.n_inputs = len(inputs)
        self.input_types = [(t.shape, t.dtype) for t in inputs]
        self.parameters = list(parameters)
        self.grad_flags = [p.requires_grad for p in self.parameters]
        self._bound = {id(p) for p in self.parameters}
        self._slot = {id(t): i for i, t in enumerate(inputs)}
        self._alive: list[Tensor] = list(inputs)  # keeps ids unique while recording
        self.sources: list[tuple[str, Any]] = [("input", i) for i in range(len(inputs))]
        self.entries: list[_Entry] = []
        self.steps: list[autograd.Step] | None = None
        self.step_slots: list[int] = []
        self.root = -1
        self.failure = ""  # why this recording cannot be replayed ("" when it can)

    # ----------------------------------------------------------------- recording
    def recording(self) -> _Recording:
        """Context in which every op (and a ``backward()``) is recorded on this tape."""
        return _Recording(self)

    def slot(self, t: Tensor) -> int:
        """The slot of a Tensor seen while recording (an input, a parameter or an op's output)."""
        return self._slot[id(t)]

    def record(self, op: type[Op], inputs: Sequence[Tensor], static: dict[str, Any], result: Tensor) -> None:
        """Called by ``apply`` for each op run while recording."""
        slots = tuple(self._source(t) for t in inputs)
        out = len(self.sources)
        self.sources.append(("op", len(self.entries)))
        self._slot[id(result)] = out
        self._alive.append(result)
        self.entries.append(_Entry(op, slots, static, out, tuple(result.array.shape)))

    def _source(self, t: Tensor) -> int:
        found = self._slot.get(id(t))
        if found is not None:
            return found
        if id(t) in self._bound:
            self.sources.append(("parameter", t))
        elif t.requires_grad:
            self.sources.append(("parameter", t))
            self.failure = self.failure or (f"the step uses a tensor of shape {t.shape} that requires grad "
                                            "and is not one of the model's parameters")
        else:
            self.sources.append(("constant", t.array))
        self._slot[id(t)] = found = len(self.sources) - 1
        self._alive.append(t)
        return found

    def record_backward(self, steps: list[autograd.Step], nodes: list[Tensor], root: Tensor) -> None:
        """Called by ``backward()`` while recording: the plan it runs."""
        if self.steps is not None:
            self.failure = self.failure or "the step calls backward() more than once"
            return
        self.steps = steps
        slots = [self._slot.get(id(node)) for node in nodes]
        self.step_slots = [-1 if s is None else s for s in slots]
        self.root = self.step_slots[0]
        if any(s is None for s in slots) or self.root < 0:
            self.failure = self.failure or "the step's graph uses values computed before the step began"
        elif any(step.op is not None and step.tensor is not None for step in steps):
            self.failure = self.failure or "the step keeps the gradient of an intermediate (retain_grad)"

    def finish(self) -> None:
        """End the recording: drop the Tensors it kept alive (their arrays stay where needed)."""
        self._alive.clear()
        self._slot.clear()
        self.inputs = []
        self._constants = [source if kind == "constant" else None for kind, source in self.sources]
        self._inputs = [(slot, i) for slot, (kind, i) in enumerate(self.sources) if kind == "input"]
        self._parameters = [(slot, p) for slot, (kind, p) in enumerate(self.sources) if kind == "parameter"]
        self._calls = [(e.op.forward, _getter(e.inputs), e.static, e.out, e.shape) for e in self.entries]
        if self.steps is None:
            self.failure = self.failure or "the step ran no backward()"

    # ----------------------------------------------------------------- replaying
    def accepts(self, inputs: Sequence[Any]) -> bool:
        """Whether a replay can take these input arrays: the recorded shapes and dtypes, and every
        parameter still as it was (:meth:`unchanged`)."""
        if len(inputs) != self.n_inputs:
            return False
        for a, (shape, dtype) in zip(inputs, self.input_types, strict=True):
            if a.shape != shape or a.dtype != dtype:
                return False
        return self.unchanged()

    def unchanged(self) -> bool:
        """Whether every parameter still requires grad as it did when recorded."""
        return [p.requires_grad for p in self.parameters] == self.grad_flags

    def forward(self, inputs: Sequence[Any]) -> Replayed:
        """Every recorded op's forward on new input arrays, in the recorded order."""
        values: list[Any] = list(self._constants)  # constants in place, the rest None
        for slot, i in self._inputs:
            values[slot] = inputs[i]
        for slot, parameter in self._parameters:
            values[slot] = parameter.array
        saved: list[Any] = [None] * len(values)
        for forward, args, static, out, shape in self._calls:
            value, saved[out] = forward(*args(values), **static)
            if type(value) is not np.ndarray and isinstance(value, np.generic):
                value = np.asarray(value)
            if value.shape != shape:
                raise ReplayError(f"an operation gave shape {value.shape}, recorded {shape}")
            values[out] = value
        return Replayed(values, saved)

    def backward(self, replayed: Replayed) -> None:
        """The recorded backward plan on a replayed forward: gradients into the parameters' ``.grad``."""
        assert self.steps is not None, "a tape replays only a recorded backward"
        saved = [replayed.saved[s] for s in self.step_slots]
        autograd.run(self.steps, saved, replayed.values[self.root])

    # ----------------------------------------------------------------- comparing
    def difference(self, other: Tape) -> str:
        """The first way two recordings differ, in words, or "" when they are the same."""
        if len(self.entries) != len(other.entries):
            return f"{len(self.entries)} operations on one batch, {len(other.entries)} on the next"
        for i, (a, b) in enumerate(zip(self.entries, other.entries, strict=True)):
            if a.op is not b.op or a.inputs != b.inputs or a.shape != b.shape:
                return f"operation {i} was {a.op.name} on one batch and {b.op.name} on the next"
            if a.static.keys() != b.static.keys() or not all(map(_same, a.static.values(),
                                                                     b.static.values())):
                return f"operation {i} ({a.op.name}) had other arguments on the next batch"
        if len(self.sources) != len(other.sources):
            return "the step used other constants on the next batch"
        for slot, (mine, theirs) in enumerate(zip(self.sources, other.sources, strict=True)):
            if mine[0] != theirs[0] or not (mine[1] is theirs[1] or _same(mine[1], theirs[1])):
                return (f"a constant of operation {self._user_of(slot)} differed between batches (an array "
                        "made from the data outside glassnet's operations, or a random one)")
        if self.step_slots != other.step_slots or not _same_plan(self.steps or [], other.steps or []):
            return "the backward pass differed between batches"
        return ""

    def _user_of(self, slot: int) -> str:
        for i, entry in enumerate(self.entries):
            if slot in entry.inputs:
                return f"{i} ({entry.op.name})"
        return "?"


class _Recording:
    """Sets the active tape while its block runs; one tape records at a time in each thread."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape

    def __enter__(self) -> Tape:
        if _Recorder.active is not None:
            raise RuntimeError("a tape is already recording")
        _Recorder.active = self.tape
        return self.tape

    def __exit__(self, *exc: object) -> None:
        _Recorder.active = None


def _getter(slots: tuple[int, ...]) -> Any:
    """slots → a function giving the tuple of those slots' values from a list."""
    if len(slots) == 1:
        slot = slots[0]
        return lambda values: (values[slot],)
    return operator.itemgetter(*slots) if slots else (lambda values: ())


def _same(a: Any, b: Any) -> bool:
    """Equal arguments: arrays by shape, dtype and values (NaN equal to NaN), others by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if has_namespace(a) or has_namespace(b):
        return a is b
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _same_plan(a: list[autograd.Step], b: list[autograd.Step]) -> bool:
    return len(a) == len(b) and all(
        x.op is y.op and x.tensor is y.tensor and x.parents == y.parents and x.needs == y.needs
        for x, y in zip(a, b, strict=True))
