"""Every activation: forward and gradient against PyTorch (float64, ~1e-12 relative) on
hypothesis-generated shapes and values (kinks and huge values included), a finite-difference
gradcheck, float32 and float64 stability at extreme inputs, dtypes, modules, formulas, names.

The gradient is taken for a random upstream gradient G = dL/d(out), not for out.sum(), so that a
rule that mixes up output elements (softmax's Jacobian) cannot pass by symmetry.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet import nn
from glassnet.engine.activation_ops import erf
from glassnet.nn import activations
from oracle import assert_close, pair, to_torch

SETTINGS = settings(max_examples=25, deadline=None, database=None)
# 0, signed zero, tiny, ±1 (hardtanh's bounds), 20 (softplus's threshold), and values where
# a naive exp(±x) overflows in float64 (exp(710) = inf)
EDGES = [0.0, -0.0, 1e-12, -1e-12, 1.0, -1.0, 20.0, np.nextafter(20.0, 21.0), 40.0, -40.0,
         1e3, -1e3, 1e4, -1e4]  # fmt: skip


class Case(NamedTuple):
    """One row: a registered activation (its functional form from ACTIVATIONS) and PyTorch's."""

    name: str
    theirs: Callable[..., torch.Tensor]
    kwargs: dict[str, Any]
    kinks: tuple[float, ...]  # where f or f' jumps

    @property
    def ours(self) -> Callable[..., gn.Tensor]:
        return nn.ACTIVATIONS.fact(self.name, "function")  # type: ignore[no-any-return]


CASES = [
    Case("sigmoid", torch.sigmoid, {}, ()),
    Case("tanh", torch.tanh, {}, ()),
    Case("relu", F.relu, {}, (0.0,)),
    Case("leaky_relu", F.leaky_relu, {}, (0.0,)),
    Case("leaky_relu", F.leaky_relu, {"negative_slope": 0.2}, (0.0,)),
    Case("elu", F.elu, {}, (0.0,)),
    Case("elu", F.elu, {"alpha": 1.5}, (0.0,)),
    Case("selu", F.selu, {}, (0.0,)),
    Case("gelu", F.gelu, {}, ()),
    Case("gelu", F.gelu, {"approximate": "tanh"}, ()),
    Case("silu", F.silu, {}, ()),
    Case("mish", F.mish, {}, ()),
    Case("softplus", F.softplus, {}, (20.0,)),
    Case("softplus", F.softplus, {"beta": 2.0, "threshold": 5.0}, (2.5, np.nextafter(2.5, 3.0))),
    Case("softsign", F.softsign, {}, ()),
    Case("hardtanh", F.hardtanh, {}, (-1.0, 1.0)),
    Case("hardtanh", F.hardtanh, {"min_val": -0.5, "max_val": 2.0}, (-0.5, 2.0)),
    Case("softmax", F.softmax, {"dim": -1}, ()),
    Case("softmax", F.softmax, {"dim": 0}, ()),
    Case("log_softmax", F.log_softmax, {"dim": -1}, ()),
    Case("log_softmax", F.log_softmax, {"dim": 0}, ()),
]  # fmt: skip
IDS = [f"{case.name}-{case.kwargs}" for case in CASES]
CLASSES = [cls for name, cls in vars(activations).items() if name in activations.__all__
           and isinstance(cls, type) and issubclass(cls, nn.Module)]  # fmt: skip


def values(kinks: tuple[float, ...], min_dims: int) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of any small shape, mixing ordinary values with kinks and edge values."""
    elements = st.one_of(st.floats(-30.0, 30.0), st.sampled_from(EDGES + list(kinks)))
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4)
    return hnp.arrays(np.float64, shapes, elements=elements)


def away_from(kinks: tuple[float, ...], shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values in [-3, 3] at least 0.01 from every kink: finite differences are exact there."""
    x = np.random.default_rng(seed).uniform(-3.0, 3.0, shape)
    for kink in kinks:
        x = np.where(np.abs(x - kink) < 0.01, x + 0.05, x)
    return x


# ----------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("case", CASES, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_forward_and_gradient_match_torch(case: Case, data: st.DataObject) -> None:
    x = data.draw(values(case.kinks, min_dims=1 if "dim" in case.kwargs else 0), label="x")
    G = np.random.default_rng(x.size).standard_normal(x.shape)  # dL/d(out)
    a, t = pair(x)
    y, y_t = case.ours(a, **case.kwargs), case.theirs(t, **case.kwargs)
    assert_close(y, y_t)
    y.backward(G)
    y_t.backward(to_torch(G))
    assert_close(a.grad, t.grad)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case: Case) -> None:
    for seed, shape in enumerate([(5,), (3, 4), (2, 3, 2)]):
        x = gn.tensor(away_from(case.kinks, shape, seed), requires_grad=True)
        assert gn.gradcheck(lambda t: case.ours(t, **case.kwargs), [x], atol=1e-7, rtol=1e-5)


def test_kink_derivatives_follow_pytorch() -> None:
    """The one-sided choices, written out: relu'(0) = 0, leaky'(0) = a, elu'(0) = α,
    hardtanh' = 0 at both bounds, softplus' = σ(threshold) at exactly the threshold."""
    cases = [(nn.relu, {}, [0.0], [0.0]), (nn.leaky_relu, {"negative_slope": 0.1}, [0.0], [0.1]),
             (nn.elu, {"alpha": 2.0}, [0.0], [2.0]), (nn.hardtanh, {}, [-1.0, 1.0], [0.0, 0.0]),
             (nn.softplus, {"threshold": 20.0}, [20.0], [1 / (1 + math.exp(-20.0))])]  # fmt: skip
    for f, kwargs, x, expected in cases:
        a = gn.tensor(np.array(x), requires_grad=True)
        f(a, **kwargs).backward(np.ones(len(x)))
        np.testing.assert_array_equal(a.grad, expected)


def test_erf_matches_math_erf() -> None:
    edges = [0.0, 1e-300, 2.0, np.nextafter(2.0, 0.0), 6.0, 1e300]  # 2: where the series hands over
    x = np.concatenate([np.linspace(-7.0, 7.0, 20001), edges])
    reference = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), reference, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(erf(-x), -erf(x))  # odd, exactly


# ----------------------------------------------------------------------------- stability and dtype
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize(("dtype", "big"), [(np.float32, 1e4), (np.float32, 1e30), (np.float64, 1e300)])
def test_extreme_inputs_stay_finite_and_keep_dtype(case: Case, dtype: type, big: float) -> None:
    ours, theirs, kwargs = case.ours, case.theirs, case.kwargs
    row = [-big, -1e3, -100.0, -20.0, -1.0, -1e-30, 0.0, 1e-30, 1.0, 20.0, 100.0, 1e3, big]
    x = gn.tensor(np.array([row, row[::-1]], dtype=dtype), requires_grad=True)  # (2, 13)
    # underflow (e^-1e4 -> 0) is the right answer; overflow, 0/0 and x/0 are bugs
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ours(x, **kwargs)
        y.backward(np.ones(x.shape, dtype=dtype))
    assert y.dtype == dtype and x.grad is not None and x.grad.dtype == dtype
    assert np.isfinite(y.array).all() and np.isfinite(x.grad).all()
    if big <= 1e4:  # and right, not just finite: float32 agrees with float64 torch
        t = to_torch(x.array.astype(np.float64), requires_grad=True)
        theirs(t, **kwargs).backward(torch.ones(x.shape))
        np.testing.assert_allclose(y.array, theirs(t.detach(), **kwargs).numpy(), rtol=1e-5, atol=1e-6)
        assert t.grad is not None
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- modules and names
MODULE_ARGS: dict[str, dict[str, Any]] = {
    "leaky_relu": {"negative_slope": 0.2}, "elu": {"alpha": 1.5}, "gelu": {"approximate": "tanh"},
    "softplus": {"beta": 2.0, "threshold": 5.0}, "hardtanh": {"min_val": -0.5, "max_val": 2.0},
    "softmax": {"dim": 0}, "log_softmax": {"dim": 0},
}  # fmt: skip
NAMES = [name for name in nn.ACTIVATIONS if name != "identity"]


@pytest.mark.parametrize("name", NAMES)
def test_module_equals_functional(name: str) -> None:
    cls, functional = nn.ACTIVATIONS[name], getattr(activations, name)
    kwargs = MODULE_ARGS.get(name, {})
    x = gn.tensor(np.random.default_rng(0).uniform(-3.0, 3.0, (4, 3)))
    np.testing.assert_array_equal(cls()(x).array, functional(x).array)
    np.testing.assert_array_equal(cls(**kwargs)(x).array, functional(x, **kwargs).array)
    for key, value in kwargs.items():
        assert f"{key}={value!r}" in repr(cls(**kwargs))


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_pytorchs(name: str) -> None:
    cls, functional = nn.ACTIVATIONS[name], getattr(activations, name)
    theirs = inspect.signature(getattr(torch.nn, cls.__name__)).parameters
    ours = inspect.signature(cls).parameters
    assert set(ours) <= set(theirs), f"{cls.__name__} has arguments torch.nn lacks: {set(ours) - set(theirs)}"
    for key, parameter in ours.items():
        functional_default = inspect.signature(functional).parameters[key].default
        assert parameter.default == functional_default
        if key != "dim":  # torch's dim=None means "guess the axis", deprecated; we take the last
            assert parameter.default == theirs[key].default, (cls.__name__, key)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_class_has_a_complete_formula_shown_in_its_docstring(cls: Any) -> None:
    f = cls.formula
    assert isinstance(f, gn.Formula) and f.name == cls.__name__
    assert all([f.text, f.latex, f.derivative_text, f.derivative_latex])
    assert f.text in (cls.__doc__ or "") and f.derivative_text in (cls.__doc__ or "")


def test_activations_dict_covers_every_class() -> None:
    assert nn.ACTIVATIONS["identity"] is nn.Identity
    assert set(nn.ACTIVATIONS.values()) == {*CLASSES, nn.Identity}
    assert all(name == name.lower() for name in nn.ACTIVATIONS)


def test_every_registered_activation_has_a_row() -> None:
    """Adding an activation is one registration and one row of CASES: this test asks for the row."""
    assert set(nn.ACTIVATIONS.built_ins()) - {"identity"} == {case.name for case in CASES}
    assert {case.name for case in CASES} == set(NAMES)  # every activation is tested against torch


# ----------------------------------------------------------------------------- errors
def test_bad_arguments_raise_clear_errors() -> None:
    x = gn.tensor([0.0, 1.0])
    for make in (lambda: nn.GELU("fast"), lambda: nn.gelu(x, "fast")):
        with pytest.raises(gn.GlassnetError, match=r"'none', 'tanh'"):
            make()
    with pytest.raises(gn.GlassnetError, match="beta"):
        nn.Softplus(beta=0.0)
    with pytest.raises(gn.GlassnetError, match="min_val"):
        nn.Hardtanh(min_val=1.0, max_val=-1.0)
    with pytest.raises(gn.ShapeError, match=r"axis must be in \[-1, 0\]"):
        nn.softmax(x, dim=1)
