"""Architectures as plain data: a model's layers and their arguments to JSON-ready dicts and back.

Only the classes in ``MODULES`` can be written or rebuilt; a config never names a Python path,
so loading can only construct these layers, never import or run anything else.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from glassnet.nn.module import Module

__all__ = ["MODULES", "module_from_config", "module_to_config"]

MODULES: dict[str, type[Module]] = {
    "Sequential": Sequential, "Linear": Linear, "Identity": Identity, "Flatten": Flatten,
    "Dropout": Dropout, **{cls.__name__: cls for cls in ACTIVATIONS.values()},
}  # fmt: skip
_LINEAR_DTYPES = ("float16", "float32", "float64")


def module_to_config(module: Module) -> dict[str, Any]:
    """The architecture of ``module`` as a JSON-ready dict: ``{"type": ..., "args": {...}}``.

    A Sequential is ``{"type": "Sequential", "modules": [...]}``. Linear keeps in_features,
    out_features, bias and dtype; Dropout its p; activations their constructor arguments.

    >>> import glassnet as gn
    >>> module_to_config(gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.LeakyReLU(0.2)))
    {'type': 'Sequential', 'modules': [{'type': 'Linear', 'args': {'in_features': 2, 'out_features': 3, \
'bias': True, 'dtype': 'float32'}}, {'type': 'LeakyReLU', 'args': {'negative_slope': 0.2}}]}

    Raises:
        GlassnetError: naming the first module (and where it sits) that is not in ``MODULES``.
    """
    return _to_config(module, "")


def _where(path: str) -> str:
    return f"module '{path}'" if path else "the model"


def _to_config(module: Module, path: str) -> dict[str, Any]:
    kind, where = type(module).__name__, _where(path)
    if MODULES.get(kind) is not type(module):
        raise GlassnetError(f"cannot save {where}: {kind} is not a layer model files can hold; use "
                            f"only {sorted(MODULES)} (custom modules cannot be saved)")
    if isinstance(module, Sequential):
        return {"type": kind, "modules": [_to_config(m, f"{path}.{name}" if path else name)
                                          for name, m in module.named_children()]}
    if isinstance(module, Linear):
        args = {"in_features": module.in_features, "out_features": module.out_features,
                "bias": module.bias is not None, "dtype": module.weight.dtype.name}
    else:
        args = {name: getattr(module, name) for name in _argument_types(type(module))}
    args = {k: v.item() if isinstance(v, np.generic) else v for k, v in args.items()}
    return {"type": kind, "args": _checked(type(module), args, f"cannot save {where}")}


def _argument_types(cls: type[Module]) -> dict[str, type]:
    """The constructor arguments a config stores for ``cls``, with the type each must have."""
    if cls is Linear:
        return {"in_features": int, "out_features": int, "bias": bool, "dtype": str}
    if cls is Dropout:
        return {"p": float}
    return {name: type(p.default) for name, p in inspect.signature(cls).parameters.items()}


def _checked(cls: type[Module], args: Any, where: str) -> dict[str, Any]:
    """``args`` if it holds exactly the arguments of ``cls``, each of the right type."""
    types = _argument_types(cls)
    if not isinstance(args, dict) or set(args) != set(types):
        raise GlassnetError(f"{where}: {cls.__name__} takes the arguments {sorted(types)}, got {args!r:.100}")
    for name, value in args.items():
        expected = (int, float) if types[name] is float else (types[name],)
        if isinstance(value, bool) != (types[name] is bool) or not isinstance(value, expected):
            raise GlassnetError(f"{where}: {cls.__name__} argument {name}={value!r:.40} should be a "
                                f"{types[name].__name__}")
    if cls is Linear and (min(args["in_features"], args["out_features"]) < 0
                          or args["dtype"] not in _LINEAR_DTYPES):
        raise GlassnetError(f"{where}: Linear needs sizes >= 0 and a dtype in {_LINEAR_DTYPES}, got {args}")
    return args


def module_from_config(config: Mapping[str, Any], *, max_parameters: int | None = None) -> Module:
    """Build the module a ``module_to_config`` dict describes (fresh weights, training mode).

    Args:
        config: the dict; every type must be in ``MODULES``.
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
    return _from_config(config, "", budget)


def _from_config(config: Any, path: str, budget: list[float]) -> Module:
    kind = config.get("type") if isinstance(config, dict) else None
    where = f"architecture of {_where(path)}"
    if not isinstance(kind, str) or kind not in MODULES:
        raise GlassnetError(f"{where}: unknown module type {kind!r:.60}; model files may hold only "
                            f"{sorted(MODULES)}")
    cls = MODULES[kind]
    if cls is Sequential:
        modules = config.get("modules")
        if set(config) != {"type", "modules"} or not isinstance(modules, list):
            raise GlassnetError(f"{where}: a Sequential needs exactly 'type' and a 'modules' list")
        paths = [f"{path}.{i}" if path else str(i) for i in range(len(modules))]
        return Sequential(*[_from_config(c, p, budget) for c, p in zip(modules, paths, strict=True)])
    if set(config) != {"type", "args"}:
        raise GlassnetError(f"{where}: a {kind} needs exactly the keys 'type' and 'args'")
    args = dict(_checked(cls, config["args"], where))
    if cls is Linear:
        budget[0] -= args["out_features"] * (args["in_features"] + args["bias"])
        if budget[0] < 0:
            raise GlassnetError(f"{where}: Linear({args['in_features']} -> {args['out_features']}) "
                                "has more parameters than the file holds weights")
        args.update(dtype=np.dtype(args["dtype"]), generator=0)
    try:
        return cls(**args)
    except (GlassnetError, TypeError, ValueError) as e:
        raise GlassnetError(f"{where}: cannot build {kind}({config['args']}): {e}") from e
