"""Containers: ModuleList and ModuleDict hold sub-modules where parameter discovery sees them.

A container keeps each module as an attribute, named by its position (``"0"``, ``"1"``, ...)
or its key, so the base class's one walk over attributes finds them and names their
parameters as PyTorch does: ``blocks.0.weight``, ``heads.out.bias``. Containers have no
forward of their own; the module holding one calls its modules.
"""

from __future__ import annotations

import operator
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Self, overload

from glassnet.errors import GlassnetError
from glassnet.nn.module import Module

__all__ = ["ModuleDict", "ModuleList"]


class _IndexRangeError(GlassnetError, IndexError):
    """A position a ModuleList or Sequential does not have (an IndexError too, as in PyTorch)."""


class _MissingKeyError(GlassnetError, KeyError):
    """A key a ModuleDict does not hold (a KeyError too, as in PyTorch)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class _NoForwardError(GlassnetError, NotImplementedError):
    """A container was called: it holds modules but computes nothing itself."""


def _no_forward(container: Module) -> _NoForwardError:
    kind = type(container).__name__
    return _NoForwardError(f"a {kind} cannot be called: it only holds modules and has no forward; call "
                      f"them from your module's forward, e.g. `for block in self.blocks: x = block(x)`")


def _not_a_module(value: Any, where: str) -> GlassnetError:
    """The error for a ``value`` given where a Module belongs, saying what it is instead."""
    hint = (f"; did you mean {value.__name__}() (an instance, not the class)?"
            if isinstance(value, type) and issubclass(value, Module) else "")
    return GlassnetError(f"{where} must be a Module such as nn.Linear(2, 3) or nn.ReLU(), got "
                         f"{value!r:.60} of type {type(value).__name__}{hint}")


def _modules_in(modules: Iterable[Module], kind: str) -> list[Module]:
    """The modules of an iterable, all checked before any is added."""
    if not isinstance(modules, Iterable) or isinstance(modules, str):
        raise GlassnetError(f"{kind} takes an iterable of Modules, got {type(modules).__name__}; wrap a "
                            "single module in a list: [module]")
    modules = list(modules)
    for i, module in enumerate(modules):
        if not isinstance(module, Module):
            raise _not_a_module(module, f"{kind}: item {i}")
    return modules


class _ModuleSequence(Module):
    """Modules held by position, the part Sequential and ModuleList share.

    The modules are the attributes ``"0"`` to ``"n-1"``, in that order, and ``_length`` is n,
    so ``len`` and ``append`` are O(1); inserting or deleting renumbers the ones after it, O(n).
    """

    _length: int

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self._length = 0
        for module in _modules_in(modules, type(self).__name__):
            self.append(module)

    def _like(self, modules: list[Module]) -> Self:
        """A new container of this kind holding ``modules``."""
        raise NotImplementedError

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Module) and not isinstance(vars(self).get(name), Module):
            raise GlassnetError(f"{type(self).__name__} holds its modules by position, so a module cannot "
                                f"be added as attribute '{name}'; use .append(module) or .insert(i, module)")
        super().__setattr__(name, value)

    def _position(self, index: Any, end: int | None = None) -> int:
        """``index`` as a position in [0, end) (end: ``len(self)`` unless given; negative from the end)."""
        kind, n = type(self).__name__, self._length
        end = n if end is None else end
        try:
            i = operator.index(index)
        except TypeError:
            raise GlassnetError(f"{kind} indices are ints or slices, got {type(index).__name__}") from None
        if not -n <= i < end:
            raise _IndexRangeError(f"index {i} is out of range: this {kind} has {n} modules, so use an "
                                   f"index from {-n} to {end - 1}")
        return i + n if i < 0 else i

    def _items(self) -> list[Module]:
        own = vars(self)
        return [own[str(i)] for i in range(self._length)]

    def _renumber(self, modules: list[Module]) -> None:
        own = vars(self)
        for i in range(self._length):
            del own[str(i)]
        own.update((str(i), m) for i, m in enumerate(modules))  # in order: discovery follows it
        self._length = len(modules)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items())

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Self: ...
    def __getitem__(self, index: int | slice) -> Module | Self:
        """The module at ``index``, or for a slice a new container of those same modules."""
        if isinstance(index, slice):
            return self._like(self._items()[index])
        return vars(self)[str(self._position(index))]

    def __setitem__(self, index: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise _not_a_module(module, f"{type(self).__name__}[{index}]")
        vars(self)[str(self._position(index))] = module

    def __delitem__(self, index: int | slice) -> None:
        items = self._items()
        del items[index if isinstance(index, slice) else self._position(index)]
        self._renumber(items)

    def append(self, module: Module) -> Self:
        """Add ``module`` at the end; returns self."""
        if not isinstance(module, Module):
            raise _not_a_module(module, f"{type(self).__name__}.append")
        vars(self)[str(self._length)] = module
        self._length += 1
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Add every module of ``modules`` at the end, in order; returns self."""
        for module in _modules_in(modules, f"{type(self).__name__}.extend"):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index`` (``-len(self) <= index <= len(self)``)."""
        if not isinstance(module, Module):
            raise _not_a_module(module, f"{type(self).__name__}.insert")
        items = self._items()
        items.insert(self._position(index, self._length + 1), module)
        self._renumber(items)

    @overload
    def pop(self, index: int) -> Module: ...
    @overload
    def pop(self, index: slice) -> Self: ...
    def pop(self, index: int | slice) -> Module | Self:
        """Remove and return the module at ``index`` (a container of them for a slice)."""
        popped = self[index]
        del self[index]
        return popped

    def __add__(self, other: Iterable[Module]) -> Self:
        """A new container with this one's modules, then ``other``'s."""
        return self._like([*self._items(), *_modules_in(other, f"{type(self).__name__} +")])

    def __iadd__(self, other: Iterable[Module]) -> Self:
        return self.extend(other)


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the model sees: ``self.blocks = nn.ModuleList([...])``.

    Indexing, ``append``, ``extend``, ``insert``, ``pop``, ``del``, ``len``, iteration and ``+``
    / ``+=`` work as on a Python list (and as ``torch.nn.ModuleList``); a slice is a new
    ModuleList of the same modules. Parameters are named by position: ``blocks.0.weight``.
    It has no forward: the module that holds it calls its modules.

    Args:
        modules: the modules to hold, in order.

    >>> import glassnet as gn
    >>> blocks = gn.nn.ModuleList([gn.nn.Linear(2, 2, generator=0), gn.nn.Tanh()])
    >>> blocks.append(gn.nn.Linear(2, 1, generator=1))[2]
    Linear(in_features=2, out_features=1, bias=True)  # weight(1, 2), bias(1,): 3 params
    >>> [name for name, _ in blocks.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(() if modules is None else modules)

    def _like(self, modules: list[Module]) -> Self:
        return type(self)(modules)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise _no_forward(self)


class ModuleDict(Module):
    """A dict of modules whose parameters the model sees: ``self.heads = nn.ModuleDict({...})``.

    Keys are kept in insertion order (replacing a module keeps its place). Indexing, ``del``,
    ``len``, iteration over keys, ``in``, ``keys``, ``values``, ``items``, ``update``, ``pop``
    and ``clear`` work as on a dict (and as ``torch.nn.ModuleDict``). Parameters are named by
    key: ``heads.out.bias``. A key is a non-empty str without ``"."`` that is not already an
    attribute or method (``"training"``, ``"keys"``). It has no forward.

    Args:
        modules: a mapping of key → module, or an iterable of (key, module) pairs.

    >>> import glassnet as gn
    >>> heads = gn.nn.ModuleDict({"mean": gn.nn.Linear(4, 1, generator=0)})
    >>> heads["scale"] = gn.nn.Softplus()
    >>> list(heads), "mean" in heads, [name for name, _ in heads.named_parameters()]
    (['mean', 'scale'], True, ['mean.weight', 'mean.bias'])
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _checked_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise GlassnetError(f"ModuleDict keys are strings, got the {type(key).__name__} {key!r:.40}; "
                                f"use str(key)")
        if not key or "." in key:
            raise GlassnetError(f"ModuleDict key {key!r:.60} cannot be empty or contain '.': keys become "
                                "parts of dotted parameter names such as 'heads.out.weight'")
        if hasattr(type(self), key) or (key in vars(self) and key not in self):
            raise GlassnetError(f"ModuleDict key {key!r} is already an attribute of {type(self).__name__}; "
                                "choose another key")
        return key

    def _children(self) -> dict[str, Module]:
        return dict(self.named_children())

    def __getitem__(self, key: str) -> Module:
        value = vars(self).get(key) if isinstance(key, str) else None
        if not isinstance(value, Module):
            raise _MissingKeyError(f"ModuleDict has no key {key!r:.60}; its keys are {list(self)[:20]}")
        return value

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise _not_a_module(module, f"ModuleDict[{key!r:.60}]")
        vars(self)[self._checked_key(key)] = module

    def __delitem__(self, key: str) -> None:
        self[key]  # raises for a missing key
        del vars(self)[key]

    def __len__(self) -> int:
        return len(self._children())

    def __iter__(self) -> Iterator[str]:
        return iter(self._children())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def keys(self) -> KeysView[str]:
        """The keys, in order."""
        return self._children().keys()

    def values(self) -> ValuesView[Module]:
        """The modules, in the order of their keys."""
        return self._children().values()

    def items(self) -> ItemsView[str, Module]:
        """(key, module) pairs, in order."""
        return self._children().items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace modules from a mapping or an iterable of (key, module) pairs."""
        if isinstance(modules, Mapping | ModuleDict):
            pairs = list(modules.items())
        elif isinstance(modules, Iterable) and not isinstance(modules, str):
            pairs = list(modules)
        else:
            raise GlassnetError(f"ModuleDict.update takes a mapping or (key, module) pairs, got "
                                f"{type(modules).__name__}")
        for j, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise GlassnetError(f"ModuleDict.update: item {j} should be a (key, module) pair, got "
                                    f"{pair!r:.60}")
            self._checked_key(pair[0])
            if not isinstance(pair[1], Module):
                raise _not_a_module(pair[1], f"ModuleDict[{pair[0]!r:.60}]")
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove and return the module under ``key``."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self):
            del self[key]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise _no_forward(self)
