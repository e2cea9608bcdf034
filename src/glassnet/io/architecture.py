"""Architectures as plain data: a model's layers and their arguments to JSON-ready dicts and back.

Only the classes registered in ``nn.LAYERS`` and ``nn.ACTIVATIONS`` (``MODULES``, by class name)
can be written or rebuilt; a config never names a Python path, so loading can only construct
these layers, never import or run anything else.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.containers import ModuleDict, ModuleList
from glassnet.nn.layers import LAYERS, Sequential
from glassnet.nn.module import Module

__all__ = ["MAX_DEPTH", "MAX_MODULES", "MODULES", "module_from_config", "module_to_config"]

class _Modules(Mapping[str, type[Module]]):
    """The classes a model file may hold, by class name: what LAYERS and ACTIVATIONS register now
    (so an activation a user registers is saved and loaded like a built-in one)."""

    _cache: tuple[tuple[int, int], dict[str, type[Module]]] = ((-1, -1), {})

    def _table(self) -> dict[str, type[Module]]:
        """Rebuilt only when a registry changed: a file may name thousands of layers."""
        versions = (LAYERS.version, ACTIVATIONS.version)
        if self._cache[0] != versions:
            table = {cls.__name__: cls for registry in (LAYERS, ACTIVATIONS) for cls in registry.values()}
            self._cache = (versions, table)
        return self._cache[1]

    def __getitem__(self, name: str) -> type[Module]:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


MODULES: Mapping[str, type[Module]] = _Modules()
MAX_DEPTH = 64  # containers inside containers: far beyond real models, far below Python's recursion limit
MAX_MODULES = 100_000  # modules in one architecture, so a hostile file cannot make loading crawl
_CONTAINERS = (Sequential, ModuleList, ModuleDict)
_FLOAT_DTYPES = ("float16", "float32", "float64")
_WEIGHTS_ONLY = ("to keep a model with other modules, save its weights with "
                 "glassnet.io.save_state_dict(model, path) and load them into a model your code builds "
                 "with model.load_state_dict(glassnet.io.load_state_dict(path))")


def module_to_config(module: Module) -> dict[str, Any]:
    """The architecture of ``module`` as a JSON-ready dict: ``{"type": ..., "args": {...}}``.

    A Sequential or ModuleList is ``{"type": ..., "modules": [...]}``, a ModuleDict
    ``{"type": "ModuleDict", "modules": [[key, ...], ...]}``, nested in any way up to
    ``MAX_DEPTH`` levels. Each layer keeps the constructor arguments its ``LAYERS`` registration
    names (Linear its in_features, out_features, bias and dtype; Dropout its p); activations
    their constructor arguments.

    >>> import glassnet as gn
    >>> module_to_config(gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.LeakyReLU(0.2)))
    {'type': 'Sequential', 'modules': [{'type': 'Linear', 'args': {'in_features': 2, 'out_features': 3, \
'bias': True, 'dtype': 'float32'}}, {'type': 'LeakyReLU', 'args': {'negative_slope': 0.2}}]}
    >>> module_to_config(gn.nn.ModuleDict({"act": gn.nn.Tanh()}))
    {'type': 'ModuleDict', 'modules': [['act', {'type': 'Tanh', 'args': {}}]]}

    Raises:
        GlassnetError: naming the first module (and where it sits) that is not in ``MODULES``, or
            for an architecture deeper than ``MAX_DEPTH`` or larger than ``MAX_MODULES``.
    """
    return _to_config(module, "", 0, [MAX_MODULES])


def _where(path: str) -> str:
    return f"module '{path}'" if path else "the model"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _to_config(module: Module, path: str, depth: int, room: list[int]) -> dict[str, Any]:
    kind, where = type(module).__name__, _where(path)
    if MODULES.get(kind) is not type(module):
        raise GlassnetError(f"cannot save {where}: {kind} is not a layer model files can hold (they hold "
                            f"only {sorted(MODULES)}); {_WEIGHTS_ONLY}")
    _count(depth, room, f"cannot save {where}")
    if isinstance(module, _CONTAINERS):
        children = [(name, _to_config(m, _child(path, name), depth + 1, room))
                    for name, m in module.named_children()]
        pairs = isinstance(module, ModuleDict)
        return {"type": kind, "modules": [[n, c] if pairs else c for n, c in children]}
    inside = next(module.named_children(), None)
    if inside is not None:
        raise GlassnetError(f"cannot save {where}: a {kind} holding the module '{inside[0]}' is not a "
                            f"layer model files can hold; {_WEIGHTS_ONLY}")
    name = LAYERS.name_of(type(module))
    config = None if name is None else LAYERS.fact(name, "config")
    if config is not None:
        args = dict(config(module))
    else:
        args = {name: getattr(module, name) for name in _argument_types(kind)}
    args = {k: v.item() if isinstance(v, np.generic) else list(v) if isinstance(v, tuple) else v
            for k, v in args.items()}
    return {"type": kind, "args": _checked(type(module), args, f"cannot save {where}")}


def _count(depth: int, room: list[int], where: str) -> None:
    """Take one module from ``room`` (modules still allowed); raise past either limit."""
    room[0] -= 1
    if room[0] < 0:
        raise _too_many(where)
    if depth > MAX_DEPTH:
        raise GlassnetError(f"{where}: it sits {depth} containers deep; model files nest containers at "
                            f"most {MAX_DEPTH} deep")


def _too_many(where: str) -> GlassnetError:
    return GlassnetError(f"{where}: the architecture has more than {MAX_MODULES:,} modules, the most a "
                         "model file holds")


def _argument_types(kind: str) -> dict[str, type]:
    """The constructor arguments a config stores for ``MODULES[kind]``, with the type each must have."""
    cls = MODULES[kind]
    name = LAYERS.name_of(cls)
    declared = None if name is None else LAYERS.fact(name, "arguments")
    return dict(declared) if declared is not None else _signature_types(cls)


def _signature_types(cls: type[Module]) -> dict[str, type]:
    """Every constructor argument of ``cls``, typed by its default (read once per class: signatures
    are slow to read, and a file may hold thousands of layers)."""
    return {name: type(default) for name, default in _signature(cls).items()}


def _signature(cls: type[Module]) -> dict[str, Any]:
    """Every constructor argument of ``cls`` and its default (``inspect.Parameter.empty`` if none)."""
    found = _SIGNATURES.get(cls)
    if found is None:
        found = _SIGNATURES[cls] = {n: p.default for n, p in inspect.signature(cls).parameters.items()}
    return found


_SIGNATURES: dict[type[Module], dict[str, Any]] = {}


def _fits(value: Any, kind: Any) -> bool:
    """Whether a JSON value is of an argument's declared type (``tuple``: a list of ints; ``float``:
    any number; ``X | None``: None or an X)."""
    if isinstance(kind, types.UnionType):
        return any(_fits(value, k) for k in kind.__args__)
    if kind is type(None):
        return value is None
    if kind is tuple:
        return isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in value)
    expected = (int, float) if kind is float else (kind,)
    return isinstance(value, bool) == (kind is bool) and isinstance(value, expected)


def _checked(cls: type[Module], args: Any, where: str) -> dict[str, Any]:
    """``args`` if it holds exactly the arguments of ``cls``, each of the right type."""
    kinds = _argument_types(cls.__name__)
    if not isinstance(args, dict) or set(args) != set(kinds):
        raise GlassnetError(f"{where}: {cls.__name__} takes the arguments {sorted(kinds)}, got {args!r:.100}")
    for name, value in args.items():
        if not _fits(value, kinds[name]):
            raise GlassnetError(f"{where}: {cls.__name__} argument {name}={value!r:.40} should be a "
                                f"{getattr(kinds[name], '__name__', kinds[name])}")
    if args.get("dtype", "float32") not in _FLOAT_DTYPES:
        raise GlassnetError(f"{where}: {cls.__name__} needs a dtype in {_FLOAT_DTYPES}, got {args}")
    return args


def module_from_config(config: Mapping[str, Any], *, max_parameters: int | None = None) -> Module:
    """Build the module a ``module_to_config`` dict describes (fresh weights, training mode).

    Args:
        config: the dict; every type must be in ``MODULES``, nested at most ``MAX_DEPTH``
            containers deep, ``MAX_MODULES`` modules in all.
        max_parameters: refuse (before allocating) an architecture with more learnable scalars.

    >>> import glassnet as gn
    >>> net = module_from_config({"type": "Sequential", "modules": [
    ...     {"type": "Linear", "args": {"in_features": 2, "out_features": 1, "bias": False,
    ...                                 "dtype": "float64"}}, {"type": "Tanh", "args": {}}]})
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=1, bias=False)  # weight(1, 2): 2 params
      (1): Tanh()
    )  # 2 params in total
    """
    budget = [float("inf") if max_parameters is None else max_parameters]
    return _from_config(config, "", 0, budget, [MAX_MODULES])


def _from_config(config: Any, path: str, depth: int, budget: list[float], room: list[int]) -> Module:
    kind = config.get("type") if isinstance(config, dict) else None
    where = f"architecture of {_where(path)}"
    if not isinstance(kind, str) or kind not in MODULES:
        raise GlassnetError(f"{where}: unknown module type {kind!r:.60}; model files may hold only "
                            f"{sorted(MODULES)}")
    _count(depth, room, where)
    cls = MODULES[kind]
    if cls in _CONTAINERS:
        return _container_from_config(cls, config, path, depth, budget, room)
    if set(config) != {"type", "args"}:
        raise GlassnetError(f"{where}: a {kind} needs exactly the keys 'type' and 'args'")
    args = dict(_checked(cls, config["args"], where))
    name = LAYERS.name_of(cls)
    count = None if name is None else LAYERS.fact(name, "n_parameters")
    if count is not None:  # a layer with parameters: its sizes are counts, checked before allocating
        sizes = [v for v in args.values() if isinstance(v, int) and not isinstance(v, bool)]
        sizes += [n for v in args.values() if isinstance(v, list) for n in v]
        if min(sizes, default=0) < 0:
            raise GlassnetError(f"{where}: {kind} needs sizes >= 0, got {config['args']}")
        budget[0] -= count(args)
        if budget[0] < 0:
            raise GlassnetError(f"{where}: {kind}({config['args']}) has more parameters than the file "
                                "holds weights")
    kinds = _argument_types(kind)
    args = {k: tuple(v) if kinds[k] is tuple else np.dtype(v) if k == "dtype" else v for k, v in args.items()}
    if "generator" in _signature(cls):
        args["generator"] = 0  # fresh weights are overwritten by the file's: no entropy needed
    try:
        return cls(**args)
    except (GlassnetError, TypeError, ValueError) as e:
        raise GlassnetError(f"{where}: cannot build {kind}({config['args']}): {e}") from e


def _container_from_config(cls: type[Module], config: dict[str, Any], path: str, depth: int,
                           budget: list[float], room: list[int]) -> Module:
    """A Sequential or ModuleList from a list of configs, a ModuleDict from [key, config] pairs."""
    where, entries = f"architecture of {_where(path)}", config.get("modules")
    if set(config) != {"type", "modules"} or not isinstance(entries, list):
        raise GlassnetError(f"{where}: a {cls.__name__} needs exactly 'type' and a 'modules' list")
    if len(entries) > room[0]:  # refused before building any of them
        raise _too_many(where)
    if cls is not ModuleDict:
        children = [_from_config(c, _child(path, str(i)), depth + 1, budget, room)
                    for i, c in enumerate(entries)]
        return Sequential(*children) if cls is Sequential else ModuleList(children)
    held = ModuleDict()
    for entry in entries:
        pair = isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
        if not pair or entry[0] in held:
            raise GlassnetError(f"{where}: a ModuleDict's 'modules' is a list of [key, module] pairs with "
                                f"distinct string keys, got {entry!r:.60}")
        child = _from_config(entry[1], _child(path, entry[0]), depth + 1, budget, room)
        try:
            held[entry[0]] = child
        except GlassnetError as e:
            raise GlassnetError(f"{where}: {e}") from e
    return held
