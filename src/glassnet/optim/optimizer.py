"""The Optimizer base class: parameter groups, per-parameter state, step, zero_grad, state_dict.

Every named optimizer gives, for a group of options, its *rule*: a function of numbers composed
of the small rules in ``rules.py`` that takes the step's numbers c, the gradient g, the parameter
θ and the buffers the optimizer keeps (m, v, ...) and returns the *update direction* u and the
new buffers. The base class then takes the step ``θ ← θ − lr·u`` (:func:`descend`): this is the
one place where the sign flips from "direction" to "descent". The same rule and step run either
on whole arrays (NumPy broadcasting, or any array API library: the array module comes from θ) or,
for the rules that have one, in a compiled loop over the elements (``kernels.py``).
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from glassnet.engine.backend import device, is_numpy, kind, namespace
from glassnet.engine.libraries import host_dtype, is_array, move_like, to_host
from glassnet.engine.tensor import Tensor, enable_grad, no_grad
from glassnet.errors import GlassnetError, ShapeError
from glassnet.optim import kernels
from glassnet.registry import Formula

__all__ = ["Optimizer", "ParamGroup", "Params", "Rule", "descend"]

ParamGroup = dict[str, Any]
Params = Iterable[Tensor] | Iterable[Mapping[str, Any]]
Rule = Callable[..., tuple[Any, ...]]  # (xp, c, g, θ, *buffers) → (u, *new buffers)


@kernels.elementwise
def descend(theta: Any, lr: Any, u: Any) -> Any:
    """θ ← θ − lr·u: the step along the update direction u, the one place where the sign flips.

    In place on an array θ; inside compiled loops, the same on one element.

    >>> descend(3.0, 0.5, 6.0)   # θ ← 3 − 0.5·6
    0.0
    """
    theta -= lr * u
    return theta


class Optimizer:
    """Base class of every optimizer: holds parameter groups and per-parameter state.

    Subclasses set ``formula`` and write ``_rule`` (a group's rule and the buffers it keeps),
    ``_count`` and ``_numbers`` (the numbers of a step) and ``_validate`` (checks of one group's
    options); the base class applies ``θ ← θ − lr·u`` to every parameter that has a gradient.

    Args:
        params: an iterable of Parameters, or of (name, Parameter) pairs such as
            ``model.named_parameters()``, or of dicts (parameter groups) each with a ``"params"``
            entry (Parameters or pairs) and any options that differ from ``defaults`` for that
            group. Named parameters keep their names in the group's ``"param_names"``, as in
            PyTorch; all groups are named or none is.
        defaults: the options of every group that does not set its own.

    Attributes:
        param_groups: list of dicts; ``group["lr"]`` may be changed (schedulers do).
        state: ``state[p]`` is the dict of buffers of parameter ``p`` (e.g. ``"exp_avg"``).
    """

    formula: ClassVar[Formula]

    def __init__(self, params: Params, defaults: Mapping[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[ParamGroup] = []
        if isinstance(params, Tensor):
            raise GlassnetError(
                f"{type(self).__name__} got a single Tensor as params; pass an iterable of "
                "parameters, e.g. model.parameters() or [w]"
            )
        groups: list[Any] = list(params)
        if not groups:
            raise GlassnetError(
                f"{type(self).__name__} got an empty parameter list; pass model.parameters() "
                "of a model that has parameters"
            )
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----------------------------------------------------------------- subclass hooks
    def _rule(self, group: ParamGroup) -> tuple[Rule, dict[str, float]]:
        """The group's rule, and the buffers it keeps.

        The buffers map state names to initial values, in the order the rule takes them:
        ``{"exp_avg": 0.0, "exp_avg_sq": 0.0}`` for Adam's m and v.
        """
        raise NotImplementedError(f"{type(self).__name__} must define _rule()")

    def _count(self, group: ParamGroup, state: dict[str, Any]) -> Hashable:
        """Advance this parameter's counters in ``state`` and return what its numbers depend on.

        The counters are the step t and the like; the key returned is what the numbers need
        besides the group's options (t, say). Parameters of a group with the same key share one
        computation of the numbers in a step.
        """
        return None

    def _numbers(self, group: ParamGroup, key: Any) -> Any:
        """The numbers the group's rule takes, from its options and the key from ``_count``.

        A NamedTuple of floats (β, 1 − β, 1 − βᵗ, ...), computed once per step and key.
        """
        raise NotImplementedError(f"{type(self).__name__} must define _numbers()")

    def _validate(self, group: ParamGroup) -> None:
        """Raise GlassnetError if an option of this group is out of range."""
        _check_at_least(self, group, "lr", 0.0)

    # ----------------------------------------------------------------- groups
    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest are taken from ``defaults``).

        >>> import numpy as np, glassnet as gn
        >>> w, b = gn.nn.Parameter(np.ones(2)), gn.nn.Parameter(np.zeros(1))
        >>> opt = gn.optim.SGD([w], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, Mapping) or "params" not in param_group:
            raise GlassnetError(
                f"a parameter group must be a dict with a 'params' entry, got {param_group!r:.80}"
            )
        group: ParamGroup = dict(param_group)
        raw = group["params"]
        if isinstance(raw, set):
            raise GlassnetError("parameters must be in an ordered collection (a list), not a set")
        params = [raw] if isinstance(raw, Tensor) else list(raw)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params) or not all(len(p) == 2 and isinstance(p[0], str) for p in params):
                raise GlassnetError("a parameter group mixes named and unnamed parameters; pass "
                                    "model.named_parameters() (pairs) or model.parameters(), not both")
            params = [p[1] for p in params]
            group["param_names"] = names
        if any(("param_names" in g) != bool(names) for g in self.param_groups):
            raise GlassnetError(f"cannot add a parameter group {'with' if names else 'without'} names to an "
                                f"optimizer whose groups are {'without' if names else 'with'} names; name "
                                "all groups (named_parameters()) or none")
        for p in params:
            if not isinstance(p, Tensor) or kind(p.array) != "f":
                raise GlassnetError(
                    f"{type(self).__name__} can only optimize floating-point Tensors, got "
                    f"{type(p).__name__}; pass model.parameters()"
                )
        seen = {id(q) for g in self.param_groups for q in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise GlassnetError(
                "a parameter appears twice (in one group or in two groups); give each parameter "
                "to exactly one group"
            )
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._validate(group)
        self.param_groups.append(group)

    # ----------------------------------------------------------------- the step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient: θ ← θ − lr·u (u from the rules).

        Args:
            closure: optional function that recomputes the loss (with backward) and returns it.

        Returns:
            the closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                rule, buffers = self._rule(group)
                numbers: dict[Hashable, Any] = {}  # by key (see _count): usually one for the group
                for p in group["params"]:
                    if p.grad_array is None:
                        continue
                    state = self.state.setdefault(p, {})
                    key = self._count(group, state)
                    c = numbers.get(key)
                    if c is None:
                        c = numbers[key] = self._numbers(group, key)
                    self._update(rule, buffers, c, p.array, p.grad_array, state, group)
        return loss

    def _update(self, rule: Rule, buffers: dict[str, float], c: Any, theta: Any, g: Any,
                state: dict[str, Any], group: ParamGroup) -> None:
        """θ ← θ − lr·u for one parameter, u and the new buffers from the rule; θ changes in place."""
        if group["maximize"]:
            g = -g  # ascend: g ← −∇f
        arrays = _buffers(state, buffers, theta)
        if kernels.run(rule, descend, group["lr"], c, theta, g, arrays):  # the same, compiled
            return
        u, *new = rule(namespace(theta), c, g, theta, *arrays)
        descend(theta, group["lr"], u)  # in place: the one sign flip
        state.update(zip(buffers, new, strict=True))

    def directions(self) -> dict[Tensor, Any]:
        """The direction u the next ``step()`` takes for each parameter with a gradient, by the same rules.

        Nothing changes: the rules run on copies of the state. θ_new = θ − lr·u.

        >>> import numpy as np, glassnet as gn
        >>> w = gn.nn.Parameter(np.array([1.0]))
        >>> w.grad = np.array([0.5])
        >>> opt = gn.optim.SGD([w], lr=0.1, weight_decay=0.2)
        >>> opt.directions()[w]   # u = g + λθ = 0.5 + 0.2·1
        array([0.7])
        """
        found: dict[Tensor, Any] = {}
        for group in self.param_groups:
            rule, buffers = self._rule(group)
            for p in group["params"]:
                if p.grad_array is None:
                    continue
                state = {k: _device_copy(v) for k, v in self.state.get(p, {}).items()}
                c = self._numbers(group, self._count(group, state))
                g = -p.grad_array if group["maximize"] else p.grad_array
                arrays = _buffers(state, buffers, p.array)
                found[p] = rule(namespace(p.array), c, g, _device_copy(p.array), *arrays)[0]
        return found

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (set them to None, or fill them with 0)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad_array is None:
                    p.grad_array = None
                else:
                    p.grad_array[...] = 0

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """A copy of the options and buffers: plain Python numbers, strings, lists and ndarrays.

        Parameters are named by their position (0, 1, ...) across the groups, as in PyTorch:
        ``{"state": {index: {"step": 3, "exp_avg": ndarray, ...}}, "param_groups": [...]}``.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _copy(v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore options and buffers from ``state_dict()`` of an optimizer of the same layout.

        The restored optimizer continues exactly as the saved one would have.
        """
        saved = state_dict["param_groups"]
        sizes = [len(g["params"]) for g in self.param_groups]
        if [len(g["params"]) for g in saved] != sizes:
            raise GlassnetError(
                f"load_state_dict: the state has groups of sizes {[len(g['params']) for g in saved]} "
                f"but this optimizer has {sizes}; build the optimizer over the same parameters"
            )
        params = {i: p for s, g in zip(saved, self.param_groups, strict=True)
                  for i, p in zip(s["params"], g["params"], strict=True)}
        self.state = {}
        for key, buffers in state_dict["state"].items():
            p = params[int(key)]
            self.state[p] = {name: _restore(name, v, p) for name, v in buffers.items()}
        for group, s in zip(self.param_groups, saved, strict=True):
            for k, v in s.items():  # saved "param_names" replace the group's, as in PyTorch
                if k != "params":
                    group[k] = tuple(v) if isinstance(self.defaults.get(k), tuple) else copy.deepcopy(v)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def _buffers(state: dict[str, Any], buffers: dict[str, float], theta: Any) -> list[Any]:
    """The rule's buffers from ``state``, in its order; at the first step, their initial values.
    Buffers follow their parameter: after ``model.to(device)`` they are moved beside θ, once."""
    try:
        found = [state[name] for name in buffers]
    except KeyError:  # the first step: the buffers start at 0 (Adagrad's sum at s₀)
        for name, initial in buffers.items():
            state.setdefault(name, namespace(theta).full_like(theta, initial))
        return [state[name] for name in buffers]
    first = found[0] if found else theta
    if type(first) is not type(theta) or not (is_numpy(theta) or device(first) == device(theta)):
        for name in buffers:
            state[name] = move_like(state[name], theta)
        return [state[name] for name in buffers]
    return found


def _copy(value: Any) -> Any:
    """A copy of a state value; arrays come back to the host (state dicts are NumPy, for files)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return to_host(value).copy() if is_array(value) else copy.deepcopy(value)


def _device_copy(value: Any) -> Any:
    """A copy of a state value where it lies (``directions`` runs the rules beside θ)."""
    if is_array(value) and not is_numpy(value):
        return namespace(value).asarray(value, copy=True)
    return _copy(value)


def _restore(name: str, value: Any, p: Tensor) -> Any:
    """A saved buffer for parameter p: arrays take p's dtype and must have p's shape."""
    if not isinstance(value, np.ndarray | list):
        return value
    array = np.array(value, dtype=host_dtype(p.array))  # on the host; moved beside p at its next step
    if array.shape != p.shape:
        raise ShapeError(
            f"load_state_dict: buffer '{name}' has shape {array.shape} but its parameter has "
            f"shape {p.shape}; the state comes from a different model"
        )
    return array


# --------------------------------------------------------------------- validation helpers
_COUPLED_DECAY = ("g ← g + λ·θ", r"g \leftarrow g + \lambda\theta")
"""Weight decay folded into the gradient (PyTorch's ``weight_decay``), as a rule of a formula."""


def _update_formula(name: str, *steps: tuple[str, str]) -> Formula:
    """An optimizer's Formula: its steps to the direction u (plain text, LaTeX), then θ ← θ − η·u.

    >>> _update_formula("Plain", ("u = g", "u = g")).derivative_text
    'θ ← θ − η·u'
    """
    return Formula(name, ";  ".join(text for text, _ in steps), r",\quad ".join(tex for _, tex in steps),
                   "θ ← θ − η·u", r"\theta \leftarrow \theta - \eta\, u")


def _check_at_least(opt: Optimizer, group: ParamGroup, name: str, low: float) -> None:
    value = group[name]
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < low:
        raise GlassnetError(
            f"{type(opt).__name__}: invalid {name}={value!r}; expected a finite number >= {low}, "
            f"e.g. {name}={inspect.signature(type(opt)).parameters[name].default!r} (the default)"
        )


def _check_betas(opt: Optimizer, group: ParamGroup) -> None:
    betas = group["betas"]
    if not isinstance(betas, tuple | list) or len(betas) != 2 or not all(
        isinstance(b, int | float) and 0.0 <= b < 1.0 for b in betas
    ):
        raise GlassnetError(
            f"{type(opt).__name__}: invalid betas={betas!r}; expected two numbers in [0, 1), "
            "e.g. betas=(0.9, 0.999)"
        )
    group["betas"] = (float(betas[0]), float(betas[1]))
