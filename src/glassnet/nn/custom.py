"""User-defined activations, checked against finite differences when they are registered.

An activation is elementwise: ``f`` maps each value ``z`` to ``f(z)``. Give it as

- a NumPy ``forward(z) -> f(z)`` and ``derivative(z) -> f'(z)``: the op is one engine node
  (an ``Op``) whose backward is ``dL/dz = g ⊙ f'(z)``, like the built-ins in ``activation_ops``; or
- a ``forward`` composed from glassnet operations (Tensor in, Tensor out) and no derivative:
  backward derives it through the engine.

Registration checks ``f'`` in float64 on fixed points (200 seeded values in [-3, 3], plus 0 and
±0.5) against finite differences, and raises ``GradcheckError`` (a ``GlassnetError``) giving the
input value, the derivative given and the finite difference where they disagree. At a kink
(``relu`` at 0) any value between the left and right slopes is accepted, as PyTorch picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from glassnet.engine.op import Op, apply, as_tensor
from glassnet.engine.tensor import ArrayLike, Tensor, no_grad
from glassnet.errors import GlassnetError, GradcheckError
from glassnet.nn.activations import ACTIVATIONS, register_activation
from glassnet.nn.module import Module
from glassnet.registry import Formula, Registry

__all__ = ["activation", "check_elementwise", "sample_points", "unregister"]

NumpyFn = Callable[..., np.ndarray]
ATOL, RTOL, EPS = 1e-5, 1e-3, 1e-6  # the tolerances of glassnet.gradcheck


def sample_points(seed: int = 0) -> np.ndarray:
    """The fixed float64 points a registration checks: 200 seeded values in [-3, 3], 0 and ±0.5.

    >>> sample_points().shape
    (203,)
    """
    return np.concatenate([np.random.default_rng(seed).uniform(-3.0, 3.0, 200), [0.0, 0.5, -0.5]])


def check_elementwise(what: str, fn: Callable[[Tensor], Tensor], z: np.ndarray,
                      where: Callable[[int], str] = lambda i: "") -> None:
    """Check backward of an elementwise ``fn`` against finite differences at every point of ``z``.

    With ``c``, ``l``, ``r`` the central, left and right differences at step ``EPS``, the
    derivative ``a`` from backward passes where ``min(c, l, r) − tol ≤ a ≤ max(c, l, r) + tol``,
    ``tol = ATOL + RTOL·|c|``: as strict as ``gradcheck`` where ``f`` is smooth, and accepting any
    slope between the one-sided ones at a kink.

    Raises:
        GradcheckError: naming the input value (and ``where(i)``), both numbers and how many
            points disagree.

    >>> check_elementwise("cube", lambda t: t * t * t, sample_points())  # passes silently
    """
    z = np.asarray(z, dtype=np.float64)
    x = Tensor(z.copy(), requires_grad=True)
    out = fn(x)
    if out.shape != z.shape or not np.all(np.isfinite(out.array)):
        raise GlassnetError(f"{what}: forward must return finite values of the input's shape {z.shape}, "
                            f"got shape {out.shape}; check forward on values in [-3, 3] or pass points=")
    if out.requires_grad:
        out.sum().backward()  # elementwise: d(Σ f(z))/dzᵢ = f'(zᵢ)
    a = x.grad_array if x.grad_array is not None else np.zeros_like(z)
    with no_grad():
        def f(v: np.ndarray) -> np.ndarray:
            return fn(Tensor(v)).array
        minus, centre, plus = f(z - EPS), f(z), f(z + EPS)
    c, l, r = (plus - minus) / (2 * EPS), (centre - minus) / EPS, (plus - centre) / EPS
    tol = ATOL + RTOL * np.abs(c)
    bad = ~((a >= np.minimum(np.minimum(c, l), r) - tol) & (a <= np.maximum(np.maximum(c, l), r) + tol))
    if bad.any():
        i = int(np.argmax(np.where(bad, np.abs(a - c), -1.0)))
        raise GradcheckError(
            f"{what}: the derivative is wrong at input {float(z.flat[i])!r}{where(i)}: the derivative gave "
            f"{float(a.flat[i])!r}, finite differences give {float(c.flat[i])!r} ({int(bad.sum())} of "
            f"{z.size} sample points disagree); fix the derivative, or pass check=False to skip the check"
        )


def elementwise_op(name: str, forward: NumpyFn, derivative: NumpyFn) -> type[Op]:
    """An engine op from NumPy functions: ``out = forward(x, *rest)``, ``∂L/∂x = g ⊙ derivative(x, *rest)``.

    The other inputs (a loss's target) get no gradient.
    """

    def op_forward(x: np.ndarray, *rest: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        return np.asarray(forward(x, *rest)).astype(x.dtype, copy=False), (x, *rest)

    def op_backward(g: np.ndarray, saved: tuple[np.ndarray, ...], needs: tuple[bool, ...]) -> tuple[Any, ...]:
        x, *rest = saved  # the user's local derivative, beside forward
        return (g * np.asarray(derivative(x, *rest)).astype(x.dtype, copy=False), *[None] * len(rest))

    namespace = {"name": name, "forward": staticmethod(op_forward), "backward": staticmethod(op_backward),
                 "__module__": __name__}
    return type(_class_name(name) + "Op", (Op,), namespace)


def _class_name(name: str) -> str:
    """``'my_swish'`` → ``'MySwish'``: the generated class's name."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) or name


def _default_formula(name: str, derivative: Callable[..., Any] | None,
                     call: tuple[str, str, str, str] = ("f(z)", "z", "f(z)", "z")) -> Formula:
    """A placeholder formula naming the user's functions (pass ``formula=`` for real math).

    ``call`` is what the function is called and its arguments, in plain text then in LaTeX.
    """
    how = f"given by {getattr(derivative, '__name__', 'derivative')}" if derivative else "derived by backward"
    word = name.replace("_", r"\_")
    return Formula(_class_name(name), f"{call[0]} = {name}({call[1]})  (user-defined)",
                   rf"{call[2]} = \mathrm{{{word}}}({call[3]})", f"derivative {how}", "")


def _check_name(name: str, registry: Registry[Any]) -> None:
    """A valid name that is not a built-in's, or an error saying which names are taken."""
    if not name.isidentifier():
        raise GlassnetError(f"a custom {registry.family} needs a name like 'my_swish', got {name!r}")
    if name in registry.built_ins():
        raise GlassnetError(f"{name!r} is a built-in {registry.family}; choose another name (taken: "
                            f"{', '.join(sorted(registry.built_ins()))})")


def activation(name: str, forward: Callable[..., Any], derivative: NumpyFn | None = None, *,
               formula: Formula | None = None, check: bool = True,
               points: ArrayLike | None = None) -> type[Module]:
    """Define an elementwise activation, check its derivative, and register it in ``ACTIVATIONS``.

    Args:
        name: its key in ``ACTIVATIONS``, e.g. ``'my_swish'``; a built-in name is refused,
            an earlier custom one is replaced.
        forward: ``f(z)`` on ndarrays, or on Tensors (composed from glassnet ops) when
            ``derivative`` is None.
        derivative: ``f'(z)`` on ndarrays.
        formula: its math for docs and explain; a placeholder naming the functions by default.
        check: run the finite-difference check (in float64, on ``points``) before registering.
        points: where to check; default :func:`sample_points` (for a domain such as z > 0).

    Returns:
        A new Module class (``'my_swish'`` gives ``MySwish``) with no constructor arguments.

    Raises:
        GradcheckError: the derivative disagrees with finite differences (value and both numbers).

    >>> import numpy as np, glassnet as gn
    >>> Cube = activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    >>> Cube()(gn.tensor([2.0]))
    tensor([8.])
    >>> activation("bad_cube", lambda z: z**3, lambda z: 2 * z**2)
    Traceback (most recent call last):
    ...
    glassnet.errors.GradcheckError: custom activation 'bad_cube': the derivative is wrong at input ...
    >>> unregister("cube")
    """
    _check_name(name, ACTIVATIONS)

    op = None if derivative is None else elementwise_op(name, forward, derivative)

    def function(z: Tensor) -> Tensor:
        return as_tensor(forward(z)) if op is None else apply(op, z)

    function.__name__ = function.__qualname__ = name  # its functional form: nn.functional.<name>
    if check:
        z = sample_points() if points is None else np.asarray(points, dtype=np.float64)
        check_elementwise(f"custom activation {name!r}", function, z)
    cls = _module_class(name, function, formula or _default_formula(name, derivative))
    return register_activation(name, function)(cls)


def _module_class(name: str, apply: Callable[[Tensor], Tensor], formula: Formula) -> type[Module]:
    def forward(self: Module, input: ArrayLike) -> Tensor:
        return apply(as_tensor(input))

    doc = f"User-defined activation {name!r}.\n"  # the registration adds the formula
    namespace = {"forward": forward, "formula": formula, "__doc__": doc, "__module__": __name__}
    cls: type[Module] = type(_class_name(name), (Module,), namespace)
    cls.__annotations__ = {"formula": ClassVar[Formula]}
    return cls


def unregister(name: str) -> None:
    """Remove a custom activation from ``ACTIVATIONS`` (built-ins stay).

    >>> unregister("relu")
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: 'relu' is a built-in activation and cannot be unregistered
    """
    ACTIVATIONS.unregister(name)
