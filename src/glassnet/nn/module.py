"""Module and Parameter: parameter discovery, state and train/eval mode, written once for every layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Self, cast

import numpy as np

from glassnet.engine.backend import is_numpy, kind, namespace
from glassnet.engine.generator import as_generator
from glassnet.engine.libraries import move, move_like
from glassnet.engine.placement import placement
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, ShapeError

if TYPE_CHECKING:
    from glassnet.nn.summary import ModelSummary

__all__ = ["IncompatibleKeys", "Module", "Parameter", "UninitializedParameter", "as_generator"]


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


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet: a lazy layer's before its first input.

    It holds no values (an empty array of its dtype). :meth:`materialize` gives it a shape and
    turns this very object into a ``Parameter``, so an optimizer built over it before the first
    input still holds it afterwards, as in PyTorch.
    """

    __slots__ = ()

    def __init__(self, requires_grad: bool = True, dtype: Any = np.float32) -> None:
        super().__init__(np.empty((0,), dtype=dtype), requires_grad=requires_grad)

    def materialize(self, shape: tuple[int, ...]) -> None:
        """Become a Parameter of ``shape`` (values uninitialized: the layer fills them)."""
        self.array = np.empty(shape, dtype=self.dtype)
        self.__class__ = Parameter  # type: ignore[assignment]  # the same object, as PyTorch does

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


_PLAIN_CONTAINERS = (list, tuple, set, frozenset, dict)


def _holds_module(value: Any, depth: int = 0) -> bool:
    """Whether a plain list, tuple, set or dict holds a Module, looking up to three levels down."""
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(item, Module) or (depth < 2 and isinstance(item, _PLAIN_CONTAINERS)
                                            and _holds_module(item, depth + 1)) for item in items)


def _collect_modules(module: Module, prefix: str, found: list[tuple[str, Module]],
                     seen: set[int] | None) -> None:
    """Append (dotted name, module) for ``module`` and, depth first, every module inside it; with
    ``seen``, a module reached twice (shared) only the first time, as PyTorch does."""
    if seen is not None:
        if id(module) in seen:
            return
        seen.add(id(module))
    found.append((prefix, module))
    for name, value in vars(module).items():
        if isinstance(value, Module):
            _collect_modules(value, f"{prefix}.{name}" if prefix else name, found, seen)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` did not match: the model's names the state lacked, and the state's
    names the model does not have (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


def _astype(a: Any, dtype: np.dtype[Any]) -> Any:
    """``a`` cast to ``dtype``, in its own array library (which may name the dtype its own way)."""
    if is_numpy(a):
        return a.astype(dtype)
    xp = namespace(a)
    return xp.astype(a, getattr(xp, np.dtype(dtype).name))


def _copy_into(target: Any, value: np.ndarray) -> None:
    """target[...] = value, in target's dtype, on target's device (an explicit copy there)."""
    if is_numpy(target):
        target[...] = value
    else:
        target[...] = namespace(target).astype(move_like(value, target), target.dtype)


def _state_value(name: str, value: Any) -> np.ndarray:
    """One value of a state dict as an array of numbers (integers are cast on copy, as PyTorch's)."""
    try:
        array = np.asarray(value.numpy() if isinstance(value, Tensor) else value)
    except ValueError as e:  # ragged nested lists
        reason = " ".join(str(e).split())
        raise GlassnetError(f"load_state_dict: '{name}' is not an array: {reason}") from None
    if array.dtype.kind not in "biuf":
        raise GlassnetError(f"load_state_dict: '{name}' holds {array.dtype} values, not numbers; the state "
                            "must hold the arrays of state_dict()")
    return array


class Module:
    """Base class of every layer and network.

    Parameters, buffers and sub-modules are found by looking at the attributes, in the order they
    were assigned: a ``Parameter`` attribute is a parameter, a ``Module`` attribute is a child, and
    a Tensor given to :meth:`register_buffer` is a buffer (state that is saved but not learned,
    such as BatchNorm's running mean). Subclasses write ``__init__`` and ``forward`` only. Layers
    kept in a plain list, tuple, set or dict would be invisible to that walk (never trained,
    saved or switched to eval), so assigning one raises; hold them in ``nn.ModuleList`` or
    ``nn.ModuleDict``.

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 3, generator=0), gn.nn.ReLU())
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias']
    """

    training: bool
    _buffers: Mapping[str, bool] = MappingProxyType({})  # buffer name → persistent (in state_dict);
    # a dict of the instance's own from its first register_buffer (a Module whose __init__ skipped
    # Module.__init__ still has none)

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
        if name in self.__dict__.get("_buffers", ()) and not (value is None or isinstance(value, Tensor)):
            raise GlassnetError(f"cannot assign a {type(value).__name__} to the buffer '{name}' of "
                                f"{type(self).__name__}: a buffer holds a Tensor or None")
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, tensor: Tensor | np.ndarray | None, persistent: bool = True) -> None:
        """Keep ``tensor`` as ``self.<name>``: state that is not learned (no gradient, not in
        ``parameters()``) but moves with ``to(dtype)`` and, if ``persistent``, is in ``state_dict``
        and model files. ``None`` registers the name without a value (left out of ``state_dict``).

        >>> import numpy as np, glassnet as gn
        >>> m = gn.nn.Module()
        >>> m.register_buffer("count", gn.tensor(np.array(0)))
        >>> list(m.state_dict()), list(m.parameters())
        (['count'], [])
        """
        if not isinstance(name, str) or not name or "." in name:
            raise GlassnetError(f"a buffer needs a non-empty name without '.', got {name!r:.40}")
        if name in self.__dict__ and name not in self._buffers:
            raise GlassnetError(f"{type(self).__name__} already has an attribute '{name}'; choose "
                                "another buffer name")
        if isinstance(tensor, Parameter):
            raise GlassnetError(f"register_buffer('{name}') got a Parameter: a buffer is not learned; "
                                "assign a Parameter as an attribute instead, or pass a plain Tensor")
        if tensor is not None and not isinstance(tensor, Tensor):
            if not isinstance(tensor, np.ndarray):
                raise GlassnetError(f"register_buffer('{name}') takes a Tensor, an ndarray or None, got "
                                    f"{type(tensor).__name__}")
            tensor = Tensor(tensor)
        if "_buffers" not in self.__dict__:
            object.__setattr__(self, "_buffers", {})
        cast(dict[str, bool], self._buffers)[name] = persistent
        object.__setattr__(self, name, tensor)

    # ----------------------------------------------------------------- discovery
    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, value in vars(self).items():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, memo: set[Module] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and all modules inside it, depth first, with dotted names ('' for this one,
        or ``prefix``); a module held twice is listed once unless ``remove_duplicate=False``."""
        found: list[tuple[str, Module]] = []
        seen = None if not remove_duplicate else {id(m) for m in memo or ()}
        _collect_modules(self, prefix, found, seen)  # a list, not nested generators: cheap per call
        if memo is not None:
            memo.update(m for _, m in found)
        return iter(found)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _named(self, kind: str, prefix: str, recurse: bool,
               remove_duplicate: bool) -> list[tuple[str, Tensor]]:
        """(dotted name, tensor) of every parameter (kind "parameter") or buffer ("buffer")."""
        seen: set[int] = set()
        found: list[tuple[str, Tensor]] = []
        modules = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            own = vars(module)
            names = ([n for n, v in own.items() if isinstance(v, Parameter)] if kind == "parameter"
                     else [n for n in module._buffers if own.get(n) is not None])
            for name in names:
                if not remove_duplicate or id(own[name]) not in seen:
                    seen.add(id(own[name]))
                    found.append(((f"{module_name}.{name}" if module_name else name), own[name]))
        return found

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with a dotted name such as ``'0.weight'``."""
        found = self._named("parameter", prefix, recurse, remove_duplicate)
        return iter(cast(list[tuple[str, Parameter]], found))

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return iter([parameter for _, parameter in self.named_parameters(recurse=recurse)])

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer (``register_buffer``) that holds a Tensor, with a dotted name such as
        ``'bn.running_mean'``."""
        return iter(self._named("buffer", prefix, recurse, remove_duplicate))

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return iter([buffer for _, buffer in self.named_buffers(recurse=recurse)])

    def apply(self, fn: Callable[[Module], Any]) -> Self:
        """Call ``fn`` on every sub-module (depth first, children before their parent) and then on
        this one, e.g. ``net.apply(init_weights)``; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- mode and gradients
    def train(self, mode: bool = True) -> Self:
        """Training mode (dropout active) for this module and all inside it; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)  # a bool: nothing for __setattr__ to check
        return self

    def eval(self) -> Self:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Whether every parameter takes part in backward (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients before the next backward (None, or zeros in place)."""
        for p in self.parameters():
            if set_to_none or p.grad_array is None:
                p.grad_array = None
            else:
                p.grad_array[...] = 0  # in place, in any array library

    # ----------------------------------------------------------------- dtype and device
    def to(self, *args: Any, **kwargs: Any) -> Self:
        """Convert the floating-point parameters and buffers to a dtype, in place; returns self.

        Takes PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)`` and the keywords ``device=``, ``dtype=``. A device is ``"cpu"``, ``"cuda"``
        (CuPy on a GPU), ``"strict"`` (the test device) or a ``gn.device``/``torch.device``: the
        parameters, their gradients and the buffers are copied there, each staying the same
        object, so an optimizer built over them keeps them (its state follows at its next step).

        >>> import numpy as np, glassnet as gn
        >>> net = gn.nn.Linear(2, 1, generator=0).to("cpu", np.float64)
        >>> net.weight.dtype
        dtype('float64')
        """
        dtype, where = placement(args, kwargs, f"{type(self).__name__}.to")
        if where is not None:
            for t in [*self.parameters(), *self.buffers()]:
                t.array = move(t.array, where)
                if t.grad_array is not None:
                    t.grad_array = move(t.grad_array, where)
        if dtype is not None:
            if dtype.kind != "f":
                raise GlassnetError(f"{type(self).__name__}.to() takes a floating-point dtype, got {dtype}; "
                                    "use np.float32 or np.float64")
            self._cast(dtype, floating_only=True)
        return self

    def _cast(self, dtype: np.dtype[Any], floating_only: bool) -> None:
        for t in [*self.parameters(), *self.buffers()]:
            if not floating_only or kind(t.array) == "f":
                t.array = _astype(t.array, dtype)
                if t.grad_array is not None:
                    t.grad_array = _astype(t.grad_array, dtype)

    def type(self, dst_type: Any) -> Self:
        """Convert every parameter and buffer to ``dst_type`` (integer buffers too, as PyTorch)."""
        self._cast(np.dtype(dst_type), floating_only=False)
        return self

    def double(self) -> Self:
        return self.to(np.float64)

    def float(self) -> Self:
        return self.to(np.float32)

    def cpu(self) -> Self:
        """Move the parameters and buffers to the CPU (NumPy), in place; returns self."""
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Self:
        """Move the parameters and buffers to a CUDA GPU (CuPy), in place; without one, a
        GlassnetError says so."""
        return self.to("cuda" if device is None else device)

    # ----------------------------------------------------------------- state
    def _state_tensors(self) -> dict[str, Tensor]:
        """The tensors of ``state_dict``, by name: each module's parameters, then its persistent buffers."""
        found: dict[str, Tensor] = {}
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            own = vars(module)
            names = [n for n, v in own.items() if isinstance(v, Parameter) and id(v) not in seen]
            names += [n for n, persistent in module._buffers.items() if persistent and own.get(n) is not None]
            for name in names:
                seen.add(id(own[name]))
                found[f"{module_name}.{name}" if module_name else name] = own[name]
        return found

    def state_dict(self, *, keep_vars: bool = False) -> dict[str, Tensor]:
        """Every parameter's and persistent buffer's values as Tensors, by dotted name (PyTorch's
        keys: ``'0.weight'``, ``'bn.running_mean'``). They are copies, so later training cannot
        change them (PyTorch's share memory with the model; ``.clone()`` is not needed here).
        ``keep_vars=True`` (PyTorch's) gives the parameters and buffers themselves, no copy."""
        state = self._state_tensors()
        for name, t in state.items():
            if isinstance(t, UninitializedParameter):
                raise GlassnetError(f"state_dict: '{name}' is not initialized yet (a lazy layer that has "
                                    "not seen an input); call the model once on a batch first")
        if keep_vars:
            return state
        return {name: Tensor(t.numpy().copy()) for name, t in state.items()}

    def load_state_dict(self, state: Mapping[str, ArrayLike], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers (each keeps its dtype); checks names and
        shapes first. A PyTorch model's ``{k: v.numpy() for k, v in m.state_dict().items()}``
        loads into the same glassnet model. Returns the keys that did not match (strict=False)."""
        own = self._state_tensors()
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        if strict and (missing or unexpected):
            raise GlassnetError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}; the state "
                f"must come from a model of the same architecture (or pass strict=False)"
            )
        values = {name: _state_value(name, v) for name, v in state.items() if name in own}
        for name, value in values.items():
            if value.shape != own[name].shape and not isinstance(own[name], UninitializedParameter):
                raise ShapeError(
                    f"load_state_dict: '{name}' has shape {value.shape} in the state but "
                    f"{own[name].shape} in the model; the layer sizes differ"
                )
        for name, value in values.items():
            target = own[name]
            if isinstance(target, UninitializedParameter):
                target.materialize(value.shape)
            if value is not target.array:  # a file read straight into the model: already in place
                _copy_into(target.array, value)
        for module in self.modules():
            module._state_loaded()
        return IncompatibleKeys(missing, unexpected)

    def _state_loaded(self) -> None:
        """Called on every module once ``load_state_dict`` has copied values in (a lazy layer whose
        parameters were loaded becomes its concrete layer)."""

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """Arguments shown inside this module's repr, e.g. ``in_features=2, out_features=3``."""
        return ""

    def num_parameters(self) -> int:
        """Number of learnable scalars."""
        return int(np.sum([p.numel() for p in self.parameters()], dtype=np.int64))

    def summary(self, input_size: Any = None, *, input_data: Any = None) -> ModelSummary:
        """A table of the layers, Keras's ``model.summary()``: name, type, output shape, parameter
        count and whether they train, then the totals. It is a ``str`` (``print`` it) whose ``rows``
        and ``total_params`` hold the numbers. With ``input_size=(n, d)`` or an example Tensor,
        the model runs once on it (eval mode, no graph) to find every output shape; without, shapes
        come from the layers' arguments, ``(-1, 16)`` for ``Linear(3, 16)`` (``glassnet.nn.summary``).

        >>> import glassnet as gn
        >>> net = gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.Tanh())
        >>> net.summary().total_params, net.summary((5, 2)).rows[2].output_shape
        (9, '(5, 3)')
        """
        from glassnet.nn.summary import summary  # summary.py builds on Module and the layers

        return summary(self, input_size, input_data=input_data)

    def _repr_html_(self) -> str:
        """Jupyter shows a module as its summary table."""
        return self.summary()._repr_html_()

    def __repr__(self) -> str:
        own = [f"{n}{tuple(v.shape)}" for n, v in vars(self).items()
               if isinstance(v, Parameter) and not isinstance(v, UninitializedParameter)]
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
