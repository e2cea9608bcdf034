"""Components as data: each carries its Formula, and each family of them is one Registry.

A component (an activation, a loss, an optimizer, a schedule, a regularizer, an initializer, a
layer) is registered once, in its family's :class:`Registry`, with what the rest of glassnet
needs to know about it: its class or function, and *facts* (the functional form of an
activation, whether a loss is for classification, which divisor its mean uses, ...). Everything
else reads the registry: ``__all__``, the command line's choices, model files, ``explain``, the
estimators, ``docs/reference.md`` and the tests' case tables. Docs, the report and the explain
walkthrough render each component's ``formula``, so the words shown to a reader cannot drift
from the code that computes the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from glassnet.errors import GlassnetError

__all__ = ["Entry", "Formula", "Registry", "lookup"]

T = TypeVar("T")


@dataclass(frozen=True)
class Formula:
    """A component's math, in plain text and in LaTeX.

    Args:
        name: the component's name, e.g. ``"Sigmoid"``.
        text: the forward formula in plain text, e.g. ``"σ(z) = 1 / (1 + exp(-z))"``.
        latex: the same in LaTeX.
        derivative_text: its derivative (or update rule) in plain text; empty if none.
        derivative_latex: the same in LaTeX.
        plug: the forward formula's right-hand side as a template with one element's numbers
            plugged in, e.g. ``"1 / (1 + exp(−{z}))"``: explain fills ``{z}`` (an activation's
            input), ``{a}`` (its output), ``{yhat}`` and ``{y}`` (a loss's prediction and target).
        derivative_plug: the same for the derivative, e.g. ``"{a}·(1 − {a})"``.

    >>> f = Formula("Identity", "f(z) = z", "f(z) = z", "f'(z) = 1", "f'(z) = 1")
    >>> f.text
    'f(z) = z'
    """

    name: str
    text: str
    latex: str
    derivative_text: str = ""
    derivative_latex: str = ""
    plug: str = ""
    derivative_plug: str = ""


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered component: its name, the object the name gives, and the facts about it."""

    name: str
    value: T
    facts: Mapping[str, Any] = field(default_factory=dict)
    built_in: bool = False


class Registry(Mapping[str, T]):
    """One family of components by name: the one place a name becomes an object.

    A Registry is a read-only mapping from each name to its object (a class or a function);
    :meth:`register` adds one, with facts. The names registered while glassnet itself is set up
    are built in (:meth:`seal`): they cannot be replaced or removed; a user's can.

    >>> shapes = Registry("shape", facts=("sides",))
    >>> @shapes.register("square", sides=4)
    ... class Square: ...
    >>> shapes["square"] is Square, shapes.fact("square", "sides"), shapes.name_of(Square)
    (True, 4, 'square')
    >>> shapes.lookup("Squar")
    Traceback (most recent call last):
    glassnet.errors.GlassnetError: unknown shape 'Squar'; choose one of square
    """

    def __init__(self, family: str, facts: tuple[str, ...] = ()) -> None:
        self.family = family
        self.allowed = facts  # the facts an entry of this family may carry
        self._entries: dict[str, Entry[T]] = {}
        self._sealed = False
        self.version = 0  # counts changes, for a reader that keeps what it derived from the registry

    # ----------------------------------------------------------------- registering
    def register(self, name: str, value: T | None = None, **facts: Any) -> Any:
        """Register ``value`` under ``name`` with ``facts``; without a value, a class decorator.

        A user's registration replaces an earlier one of the same name; a built-in name is refused.
        """
        if value is None:
            def decorate(obj: T) -> T:
                self.register(name, obj, **facts)
                return obj

            return decorate
        if not name.isidentifier() or name != name.lower():
            raise GlassnetError(f"a {self.family} needs a lower-case name like 'my_{self.family}', "
                                f"got {name!r}")
        unknown = sorted(set(facts) - set(self.allowed))
        if unknown:
            raise GlassnetError(f"unknown facts {unknown} for a {self.family}; the known ones are "
                                f"{', '.join(self.allowed) or 'none'}")
        if name in self._entries and self._entries[name].built_in:
            raise GlassnetError(f"{name!r} is a built-in {self.family}; choose another name (taken: "
                                f"{', '.join(sorted(self.built_ins()))})")
        self._entries[name] = Entry(name, value, dict(facts), built_in=not self._sealed)
        self.version += 1
        return value

    def unregister(self, name: str) -> None:
        """Remove a user's registration (built-ins stay)."""
        entry = self._entries.get(name)
        if entry is None:
            custom = sorted(set(self._entries) - self.built_ins())
            raise GlassnetError(f"no custom {self.family} named {name!r}; registered: {custom or 'none'}")
        if entry.built_in:
            raise GlassnetError(f"{name!r} is a built-in {self.family} and cannot be unregistered")
        del self._entries[name]
        self.version += 1

    def seal(self) -> None:
        """Mark every name registered so far as built in; later registrations are a user's."""
        self._sealed = True

    # ----------------------------------------------------------------- reading
    def __getitem__(self, name: str) -> T:
        return self._entries[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.family!r}: {', '.join(self._entries)})"

    def lookup(self, name: str) -> T:
        """The object called ``name`` (case and surrounding spaces ignored), or an error listing the names."""
        return lookup(self, name, self.family)

    def entry(self, name: str) -> Entry[T]:
        """The whole registration of ``name``."""
        return self._entries[name]

    def entries(self) -> list[Entry[T]]:
        """Every registration, in the order they were made."""
        return list(self._entries.values())

    def fact(self, name: str, fact: str, default: Any = None) -> Any:
        """One fact of ``name``'s registration, or ``default``."""
        return self._entries[name].facts.get(fact, default)

    def name_of(self, value: Any) -> str | None:
        """The name ``value`` (an object, or an instance of a registered class) is registered under."""
        for entry in self._entries.values():
            if entry.value is value or entry.value is type(value):
                return entry.name
        return None

    def select(self, **facts: Any) -> list[str]:
        """The names whose facts equal every one given, e.g. ``LOSSES.select(task="regression")``."""
        return [e.name for e in self._entries.values() if all(e.facts.get(k) == v for k, v in facts.items())]

    def built_ins(self) -> set[str]:
        """The names glassnet itself registered."""
        return {name for name, e in self._entries.items() if e.built_in}

    def where(self, predicate: Callable[[Entry[T]], bool]) -> list[Entry[T]]:
        """The registrations for which ``predicate(entry)`` holds."""
        return [e for e in self._entries.values() if predicate(e)]


def lookup(table: Mapping[str, T], name: str, family: str) -> T:
    """``table[name]`` (case and surrounding spaces ignored), or an error listing the valid names.

    >>> lookup({"relu": 1, "tanh": 2}, " ReLU", "activation")
    1
    >>> lookup({"adam": 1, "sgd": 2}, "adamm", "optimizer")
    Traceback (most recent call last):
    glassnet.errors.GlassnetError: unknown optimizer 'adamm'; choose one of adam, sgd
    """
    key = str(name).strip().lower()
    if key not in table:
        raise GlassnetError(f"unknown {family} {name!r}; choose one of {', '.join(sorted(table))}")
    return table[key]
