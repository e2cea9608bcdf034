"""The engine on another array library: every operation, forward and backward, on array-api-strict
arrays on its non-default device, equal to the same operation on NumPy.

array-api-strict refuses to turn an array on ``device1`` into a NumPy array, so a case that passes
proves that its rules convert nothing behind the user's back. The two runs compute the same formulas
with two libraries (the NumPy run takes its fast paths: ufunc reductions, compiled row sums,
``np.add.at``), so they agree to a few units in the last place. The training step is in
``test_array_api_training.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import array_api_strict as xps
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.engine import activation_ops, loss_ops, ops
from glassnet.engine.backend import device, namespace
from glassnet.engine.penalty_ops import weight_penalty
from test_activations import CASES as ACTIVATION_CASES
from test_ops import GRADCHECK_CASES

DEVICE = xps.Device("device1")
HOST = xps.Device("CPU_DEVICE")
ARRAY = type(xps.asarray(0.0))  # the library's array class
ULPS = 4  # units of the last place, relative to the largest value: sums add in another order on NumPy


def strict(a: np.ndarray) -> Any:
    """``a`` on device1: an explicit move."""
    return xps.asarray(a, device=DEVICE)


def host(a: Any) -> np.ndarray:
    """A device1 array back as a NumPy array: an explicit move."""
    a = a.array if isinstance(a, gn.Tensor) else a
    return np.asarray(a.to_device(HOST))


def like(t: gn.Tensor, values: Any) -> Any:
    """A constant in ``t``'s array library, on its device (integers stay integers)."""
    return namespace(t.array).asarray(values, device=device(t.array))


def assert_same(ours: Any, numpy_result: np.ndarray) -> None:
    """A device1 array (or a Tensor over one) holding the NumPy run's values, to a few ulps."""
    ours = ours.array if isinstance(ours, gn.Tensor) else ours
    assert isinstance(ours, ARRAY), f"got {type(ours).__name__}, expected an array-api-strict Array"
    assert ours.device == DEVICE
    values = host(ours)
    assert values.shape == numpy_result.shape and values.dtype == numpy_result.dtype
    scale = float(np.max(np.abs(numpy_result), initial=0.0))
    eps = float(np.finfo(values.dtype).eps) if values.dtype.kind == "f" else 0.0
    np.testing.assert_allclose(values, numpy_result, rtol=ULPS * eps, atol=ULPS * eps * scale)


class Case(NamedTuple):
    fn: Callable[..., gn.Tensor]
    arrays: list[np.ndarray]
    n_grad: int | None = None  # the first n_grad arrays require grad (None: every floating one)


def run(case: Case, move: Callable[[np.ndarray], Any]) -> tuple[Any, list[Any]]:
    """The case's output and its inputs' gradients for a random upstream gradient (arrays put by ``move``)."""
    n_grad = len(case.arrays) if case.n_grad is None else case.n_grad
    tensors = [gn.tensor(move(a), requires_grad=i < n_grad and a.dtype.kind == "f")
               for i, a in enumerate(case.arrays)]
    out = case.fn(*tensors)
    if out.requires_grad:
        out.backward(move(np.random.default_rng(1).standard_normal(out.shape).astype(case.arrays[0].dtype)))
    return out.array, [t.grad for t in tensors if t.requires_grad]


def check(case: Case) -> None:
    """The case on device1 gives the NumPy run's output and gradients, and keeps them on device1."""
    expected, expected_grads = run(case, np.asarray)
    ours, grads = run(case, strict)
    assert_same(ours, np.asarray(expected))
    assert len(grads) == len(expected_grads)
    for g, expected_g in zip(grads, expected_grads, strict=True):
        if expected_g is None:  # an input cut off from the graph (detach)
            assert g is None
        else:
            assert_same(g, expected_g)


# ----------------------------------------------------------------------------- the tables
def _normal(shape: tuple[int, ...], seed: int, dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _uniform(shape: tuple[int, ...], seed: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, shape)


STRICT_FORMS: dict[str, Callable[..., gn.Tensor]] = {  # test_ops' cases that make NumPy constants
    "where": lambda a, b: gn.where(like(a, [True, False, True]), a, b),
    "getitem gather": lambda a: a[like(a, [0, 0, 1]), like(a, [2, 2, 0])],
}
OPS = {name: Case(STRICT_FORMS.get(name, fn), [t.array for t in inputs])
       for name, (fn, inputs) in GRADCHECK_CASES.items()}
OPS |= {
    "compare": Case(lambda a, b: gn.where(ops.compare(a, b, "less"), a, b),
                    [_normal((3, 4), 0), _normal((4,), 1)]),
    "detach": Case(lambda a, b: a * ops.detach(b), [_normal((2, 3), 2), _normal((2, 3), 3)]),
    "add scalar": Case(lambda a: 2.0 * a - 1 + a**2, [_normal((2, 3), 4)]),
    "linear float32": Case(gn.engine.linear, [_normal((5, 3), 5, np.float32), _normal((4, 3), 6, np.float32),
                                              _normal((4,), 7, np.float32)]),
}
ACTIVATIONS = {f"{c.name} {c.kwargs}": Case(lambda x, c=c: c.ours(x, **c.kwargs), [_normal((4, 5), i)])
               for i, c in enumerate(ACTIVATION_CASES)}
ACTIVATIONS |= {
    f"{name} float32": Case(getattr(activation_ops, name), [_normal((6, 5), 9, np.float32) * 3])
    for name in ("relu", "tanh", "sigmoid", "softmax", "log_softmax", "gelu")
}

X, Y = _normal((4, 3), 10), _normal((4, 3), 11)
P, T = _uniform((4, 3), 12), _uniform((4, 3), 13)
LABELS = np.array([0, 2, 1, 2])
Q = np.random.default_rng(14).dirichlet(np.ones(3), 4)  # class probabilities, rows sum to 1
ZEROS = np.where(Q > 0.3, Q, 0.0)  # probabilities with zeros (kl_div's p·log p at p = 0)
LOSSES = {
    "mse_loss": Case(F.mse_loss, [X, Y]),
    "mse_loss sum": Case(lambda x, y: F.mse_loss(x, y, reduction="sum"), [X, Y]),
    "mse_loss none": Case(lambda x, y: F.mse_loss(x, y, reduction="none"), [X, Y]),
    "l1_loss": Case(F.l1_loss, [X, Y]),
    "huber_loss": Case(lambda x, y: F.huber_loss(x, y, delta=0.5), [X, Y]),
    "smooth_l1_loss": Case(lambda x, y: F.smooth_l1_loss(x, y, beta=0.5, reduction="sum"), [X, Y]),
    "binary_cross_entropy": Case(F.binary_cross_entropy, [P, T, _uniform((3,), 15)], 2),
    "binary_cross_entropy_with_logits": Case(
        lambda z, t, w, pw: F.binary_cross_entropy_with_logits(z, t, w, pos_weight=pw),
        [X, T, _uniform((4, 3), 16), _uniform((3,), 17, 0.5, 3.0)], 2),
    "binary_cross_entropy_with_logits none": Case(
        lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction="none"), [X, T]),
    "cross_entropy": Case(F.cross_entropy, [X, LABELS]),
    "cross_entropy float32": Case(F.cross_entropy, [_normal((4, 3), 18, np.float32), LABELS]),
    "cross_entropy sum": Case(lambda z, y: F.cross_entropy(z, y, reduction="sum"), [X, LABELS]),
    "cross_entropy none": Case(lambda z, y: F.cross_entropy(z, y, reduction="none"), [X, LABELS]),
    "cross_entropy weighted": Case(
        lambda z, y, w: F.cross_entropy(z, y, w, ignore_index=1, label_smoothing=0.1), [X, LABELS, P[0]], 1),
    "cross_entropy list weight": Case(lambda z, y: F.cross_entropy(z, y, [0.5, 1.0, 2.0]), [X, LABELS]),
    "cross_entropy 3-D": Case(F.cross_entropy, [_normal((2, 3, 4), 19), LABELS.reshape(2, 2).repeat(2, 1)]),
    "cross_entropy probabilities": Case(
        lambda z, q, w: F.cross_entropy(z, q, w, label_smoothing=0.2), [X, Q, P[1]], 2),
    "nll_loss": Case(F.nll_loss, [np.log(Q), LABELS]),
    "nll_loss weighted": Case(lambda lp, y, w: F.nll_loss(lp, y, w, ignore_index=2),
                              [np.log(Q), LABELS, P[2]], 1),
    "kl_div": Case(lambda x, p: F.kl_div(x, p, reduction="batchmean"), [np.log(Q), ZEROS]),
    "kl_div log_target": Case(lambda x, p: F.kl_div(x, p, log_target=True), [np.log(Q), np.log(P)]),
    "poisson_nll_loss": Case(lambda x, y: F.poisson_nll_loss(x, y, full=True), [X, P * 4]),
    "poisson_nll_loss rate": Case(lambda x, y: F.poisson_nll_loss(x, y, log_input=False), [P, T * 3]),
    "gaussian_nll_loss": Case(lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True), [X, Y, P]),
    "gaussian_nll_loss per row": Case(F.gaussian_nll_loss, [X, Y, P[:, :1]]),
    "gaussian_nll_loss float": Case(lambda x, y: F.gaussian_nll_loss(x, y, 0.5), [X, Y]),
    "softmax_cross_entropy": Case(lambda z, q: loss_ops.softmax_cross_entropy(z, q, axis=0), [X, Q]),
    "reduce": Case(lambda x: loss_ops.reduce(x, "mean", divisor=3), [X]),
    "weight_penalty": Case(lambda a, b: weight_penalty([a, b], l1=0.1, l2=0.2), [X, _normal((3,), 20)]),
    "weight_penalty l2": Case(lambda a: weight_penalty([a], l2=0.5), [X]),
    "dropout": Case(lambda x: F.dropout(x, 0.3, generator=0), [_normal((8, 5), 21)]),
    "dropout float32": Case(lambda x: F.dropout(x, 0.5, generator=1), [_normal((8, 5), 22, np.float32)]),
}
TABLES = {"op": OPS, "activation": ACTIVATIONS, "loss": LOSSES}
ALL = [(f"{kind}: {name}", case) for kind, table in TABLES.items() for name, case in table.items()]


@pytest.mark.parametrize(("name", "case"), ALL, ids=[name for name, _ in ALL])
def test_operation_on_device1_equals_numpy(name: str, case: Case) -> None:
    check(case)


def test_the_tables_cover_every_operation() -> None:
    covered = {name.split()[0] for table in TABLES.values() for name in table}
    helpers = {"as_tensor", "raw", "check"}  # check: run by binary_cross_entropy's cases
    assert set(ops.__all__) - helpers <= covered
    functions = {name for name in activation_ops.__all__ if name.islower()} - {"erf", "stable_sigmoid"}
    assert functions <= covered
    losses = {name for name in F.__all__ if "loss" in name or "entropy" in name or name == "kl_div"}
    assert losses | {"softmax_cross_entropy", "reduce", "weight_penalty", "dropout"} <= covered


# ----------------------------------------------------------------------------- tensors and errors
def test_a_tensor_keeps_its_array_and_device() -> None:
    x = gn.tensor(strict(np.array([[1.0, -2.0]])), requires_grad=True)
    assert isinstance(x.array, ARRAY) and x.array.device == DEVICE
    assert x.dtype == xps.float64 and x.shape == (1, 2)
    assert gn.tensor(x.array, dtype=xps.float32).dtype == xps.float32
    assert x.astype(xps.float32).array.device == DEVICE
    assert x[0, 1].item() == -2.0 and x[:, 1:].item() == -2.0
    assert "device1" in repr(x)
    with pytest.raises(gn.GlassnetError, match="only floating-point"):
        gn.tensor(strict(np.array([1, 2])), requires_grad=True)


def test_erf_on_device1_equals_numpy() -> None:
    x = np.linspace(-7.0, 7.0, 101)
    assert_same(activation_ops.erf(strict(x)), activation_ops.erf(x))


def test_gradcheck_runs_on_device1() -> None:
    x = gn.tensor(strict(_normal((2, 3), 23)), requires_grad=True)
    w = gn.tensor(strict(_normal((4, 3), 24)), requires_grad=True)
    assert gn.gradcheck(lambda x, w: activation_ops.tanh(gn.engine.linear(x, w)), [x, w])


MIXED = {
    "tensor + ndarray": lambda s, n: s + n.array,
    "ndarray + tensor": lambda s, n: n.array + s,
    "add": lambda s, n: gn.engine.add(n, s),
    "matmul": lambda s, n: n @ s.T,
    "linear": lambda s, n: gn.engine.linear(s, n),
    "where": lambda s, n: gn.where(n.array > 0, s, s),
    "getitem": lambda s, n: s[np.array([0, 1])],
    "mse_loss": lambda s, n: F.mse_loss(s, n.array),
    "cross_entropy": lambda s, n: F.cross_entropy(s, np.array([0, 1])),
    "backward": lambda s, n: (s * s).backward(n.array),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_arrays_of_two_libraries_raise_a_clear_error(name: str) -> None:
    s = gn.tensor(strict(_normal((2, 2), 25)), requires_grad=True)
    n = gn.tensor(_normal((2, 2), 26))
    with pytest.raises(gn.GlassnetError, match="two array libraries") as info:
        MIXED[name](s, n)
    assert "NumPy" in str(info.value) and "device1" in str(info.value)


def test_arrays_on_two_devices_raise_a_clear_error() -> None:
    a = gn.tensor(strict(_normal((2, 2), 27)))
    b = gn.tensor(xps.asarray(_normal((2, 2), 28), device=HOST))
    with pytest.raises(gn.GlassnetError, match="two devices"):
        a * b
