"""Module and Parameter: parameter discovery, state and train/eval mode, written once for every layer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from glassnet.engine.generator import as_generator
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, ShapeError

__all__ = ["Module", "Parameter", "as_generator"]


class Parameter(Tensor):
    """A Tensor that is a learnable weight or bias of a Module: it always requires grad.

    >>> import numpy as np
    >>> Parameter(np.zeros(3)).requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: ArrayLike, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_PLAIN_CONTAINERS = (list, tuple, set, frozenset, dict)


def _holds_module(value: Any, depth: int = 0) -> bool:
    """Whether a plain list, tuple, set or dict holds a Module, looking up to three levels down."""
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(item, Module) or (depth < 2 and isinstance(item, _PLAIN_CONTAINERS)
                                            and _holds_module(item, depth + 1)) for item in items)


def _collect_modules(module: Module, prefix: str, found: list[tuple[str, Module]]) -> None:
    """Append (dotted name, module) for ``module`` and, depth first, every module inside it."""
    found.append((prefix, module))
    for name, value in vars(module).items():
        if isinstance(value, Module):
            _collect_modules(value, f"{prefix}.{name}" if prefix else name, found)


class Module:
    """Base class of every layer and network.

    Parameters and sub-modules are found by looking at the attributes, in the order they were
    assigned: a ``Parameter`` attribute is a parameter, a ``Module`` attribute is a child.
    Subclasses write ``__init__`` and ``forward`` only. Layers kept in a plain list, tuple, set
    or dict would be invisible to that walk (never trained, saved or switched to eval), so
    assigning one raises; hold them in ``nn.ModuleList`` or ``nn.ModuleDict``.

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 3, generator=0), gn.nn.ReLU())
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias']
    """

    training: bool

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        # one isinstance per assignment; assignments happen in __init__, not in forward passes
        if isinstance(value, _PLAIN_CONTAINERS) and _holds_module(value):
            kind = type(value).__name__
            holder = "nn.ModuleDict({...})" if isinstance(value, dict) else "nn.ModuleList([...])"
            raise GlassnetError(
                f"{type(self).__name__}.{name} was given a plain {kind} holding Modules: glassnet "
                f"cannot see layers inside a {kind}, so they would never be trained, saved or "
                f"switched to eval mode; assign {holder} instead"
            )
        object.__setattr__(self, name, value)

    # ----------------------------------------------------------------- discovery
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all modules inside it, with dotted names ('' for this one)."""
        found: list[tuple[str, Module]] = []
        _collect_modules(self, prefix, found)  # a list, not nested generators: cheap per call
        return iter(found)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with a dotted name such as ``'0.weight'``."""
        seen: set[int] = set()
        found: list[tuple[str, Parameter]] = []
        for module_name, module in self.named_modules(prefix):
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    found.append(((f"{module_name}.{name}" if module_name else name), value))
        return iter(found)

    def parameters(self) -> Iterator[Parameter]:
        return iter([parameter for _, parameter in self.named_parameters()])

    # ----------------------------------------------------------------- mode and gradients
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all inside it; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)  # a bool: nothing for __setattr__ to check
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients before the next backward."""
        for p in self.parameters():
            if set_to_none or p.grad_array is None:
                p.grad_array = None
            else:
                p.grad_array.fill(0)

    def to(self, dtype: Any) -> Module:
        """Convert every parameter to ``dtype`` (e.g. ``np.float64``) in place; returns self."""
        for p in self.parameters():
            p.array = p.array.astype(dtype)
            p.grad_array = None
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter's values, by dotted name (later training cannot change them)."""
        return {name: p.array.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, ArrayLike], strict: bool = True) -> None:
        """Copy values into the parameters (each keeps its dtype); checks names and shapes first."""
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if strict and (missing or unexpected):
            raise GlassnetError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}; the state "
                f"must come from a model of the same architecture (or pass strict=False)"
            )
        for name in own.keys() & state.keys():
            value = np.asarray(state[name].array if isinstance(state[name], Tensor) else state[name])
            if value.shape != own[name].shape:
                raise ShapeError(
                    f"load_state_dict: '{name}' has shape {value.shape} in the state but "
                    f"{own[name].shape} in the model; the layer sizes differ"
                )
        for name in own.keys() & state.keys():
            value = state[name]
            own[name].array[...] = value.array if isinstance(value, Tensor) else value

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """Arguments shown inside this module's repr, e.g. ``in_features=2, out_features=3``."""
        return ""

    def num_parameters(self) -> int:
        """Number of learnable scalars."""
        return int(np.sum([p.numel() for p in self.parameters()], dtype=np.int64))

    def __repr__(self) -> str:
        own = [f"{n}{tuple(v.shape)}" for n, v in vars(self).items() if isinstance(v, Parameter)]
        shapes = f"  # {', '.join(own)}: {self.num_parameters():,} params" if own else ""
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()}){shapes}"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            lines.append("  (" + name + "): " + repr(child).replace("\n", "\n  "))
        total = self.num_parameters()
        lines.append(f")  # {total:,} params in total" if total else ")")
        return "\n".join(lines)
