"""Every loss and reduction: forward and gradients against PyTorch in float64, gradchecks, stability."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet.nn import losses as L
from oracle import assert_close, pair, to_torch

REDUCTIONS = ("mean", "sum", "none")
FAST = settings(max_examples=20, deadline=None)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
EDGES = (0.0, 1.0, -1.0, 0.5, -0.5, 2.0)  # ties with δ, β and with each other


@st.composite
def _same_shape(draw: st.DrawFn, *ranges: tuple[float, float, tuple[float, ...]]) -> list[np.ndarray]:
    """Arrays of one drawn shape, uniform in [lo, hi], with a drawn share of entries set to edge values."""
    shape = draw(SHAPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    share = draw(st.sampled_from([0.0, 0.3, 1.0]))
    arrays = []
    for lo, hi, edges in ranges:
        a = rng.uniform(lo, hi, shape)
        at_edge = rng.random(shape) < share
        a[at_edge] = rng.choice([e for e in edges if lo <= e <= hi], size=shape)[at_edge]
        arrays.append(a)
    return arrays


def _compare(ours: Callable[..., gn.Tensor], theirs: Callable[..., torch.Tensor], arrays: list[Any],
             grads: list[bool], mask: list[np.ndarray | None] | None = None) -> None:
    """Same forward, and the same gradient for every array flagged in ``grads``, as torch.

    Non-scalar outputs are projected on a random r, so every output element is checked.
    ``mask`` limits a gradient comparison to where torch's derivative is defined.
    """
    g_in, t_in = zip(*(pair(a, requires_grad=d) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                       else (a, to_torch(a) if isinstance(a, np.ndarray) else a)
                       for a, d in zip(arrays, grads, strict=True)), strict=True)
    out, ref = ours(*g_in), theirs(*t_in)
    assert_close(out, ref)
    r = np.random.default_rng(0).standard_normal(out.shape)
    (out * gn.tensor(r)).sum().backward()
    (ref * to_torch(r)).sum().backward()
    for i, (g, t, d) in enumerate(zip(g_in, t_in, grads, strict=True)):
        if d:
            keep = np.ones(g.shape, bool) if mask is None or mask[i] is None else mask[i]
            assert_close(g.grad[keep], t.grad.numpy()[keep])


def _compare_reductions(ours: Callable[..., gn.Tensor], theirs: Callable[..., torch.Tensor],
                        arrays: list[Any], grads: list[bool], mask: list[np.ndarray | None] | None = None,
                        reductions: tuple[str, ...] = REDUCTIONS) -> None:
    """:func:`_compare` for every reduction, passed to both as the keyword ``reduction``."""
    for reduction in reductions:
        ours_r, theirs_r = partial(ours, reduction=reduction), partial(theirs, reduction=reduction)
        _compare(ours_r, theirs_r, arrays, grads, mask)


# ----------------------------------------------------------------------------- regression losses
REGRESSION = [
    ("mse", L.mse_loss, F.mse_loss, {}),
    ("l1", L.l1_loss, F.l1_loss, {}),
    ("huber", L.huber_loss, F.huber_loss, {}),
    ("huber_0.5", L.huber_loss, F.huber_loss, {"delta": 0.5}),
    ("smooth_l1", L.smooth_l1_loss, F.smooth_l1_loss, {}),
    ("smooth_l1_0.5", L.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.5}),
    ("smooth_l1_0", L.smooth_l1_loss, F.smooth_l1_loss, {"beta": 0.0}),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "options"), REGRESSION, ids=[c[0] for c in REGRESSION])
@FAST
@given(xy=_same_shape((-5, 5, EDGES), (-5, 5, EDGES)))
def test_regression_losses_match_torch(name: str, ours: Callable[..., gn.Tensor],
                                       theirs: Callable[..., torch.Tensor], options: dict,
                                       xy: list[np.ndarray]) -> None:
    _compare_reductions(partial(ours, **options), partial(theirs, **options), xy, [True, True])


# ----------------------------------------------------------------------------- binary cross-entropy
@st.composite
def _binary(draw: st.DrawFn, inputs: tuple[float, float, tuple[float, ...]]) -> tuple[np.ndarray, ...]:
    x, y = draw(_same_shape(inputs, (0, 1, (0.0, 1.0, 0.5))))
    w_shape = draw(st.sampled_from([None, x.shape, x.shape[-1:]]))
    w = None if w_shape is None else np.random.default_rng(draw(st.integers(0, 99))).uniform(0.1, 2, w_shape)
    return x, y, w


@FAST
@given(data=_binary((0, 1, (0.0, 1.0, 1e-300, 0.5))))
def test_binary_cross_entropy_matches_torch_including_the_clamp_at_0_and_1(data: tuple) -> None:
    x, y, w = data
    _compare_reductions(partial(L.binary_cross_entropy, weight=w),
                        partial(F.binary_cross_entropy, weight=None if w is None else to_torch(w)),
                        [x, y], [True, True])


@pytest.mark.parametrize("with_pos_weight", [False, True])
@FAST
@given(data=_binary((-40, 40, (0.0, 40.0, -40.0, 1e4, -1e4))))
def test_binary_cross_entropy_with_logits_matches_torch(with_pos_weight: bool, data: tuple) -> None:
    z, y, w = data
    p = np.linspace(0.5, 3.0, z.shape[-1]) if with_pos_weight else None
    _compare_reductions(
        partial(L.binary_cross_entropy_with_logits, weight=w, pos_weight=p),
        partial(F.binary_cross_entropy_with_logits, weight=None if w is None else to_torch(w),
                pos_weight=None if p is None else to_torch(p)), [z, y], [True, True])


# ----------------------------------------------------------------------------- cross-entropy, nll
@st.composite
def _classification(draw: st.DrawFn) -> dict[str, Any]:
    """Logits (C,), (N, C) or (N, C, d1, ...), targets, and which options are on."""
    C = draw(st.integers(1, 5))
    batch = (draw(st.integers(1, 4)),) if draw(st.booleans()) else ()
    shape = (C,) if not batch else (*batch, C, *draw(st.lists(st.integers(1, 3), max_size=2)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    z = rng.standard_normal(shape) * draw(st.sampled_from([1.0, 10.0]))
    class_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    probs = rng.dirichlet(np.ones(C), class_shape)  # (N, d1, ..., C)
    return dict(z=z, y=rng.integers(0, C, class_shape), probs=np.moveaxis(probs, -1, 0 if not batch else 1),
                weight=rng.uniform(0.1, 2.0, C) if draw(st.booleans()) else None,
                ignore_index=draw(st.sampled_from([-100, 0, C - 1])),
                smoothing=draw(st.sampled_from([0.0, 0.1, 0.7])))


@pytest.mark.parametrize("target", ["indices", "probabilities"])
@FAST
@given(case=_classification())
def test_cross_entropy_matches_torch_in_every_variant(target: str, case: dict) -> None:
    w, ii, eps = case["weight"], case["ignore_index"], case["smoothing"]
    y, ii = (case["y"], ii) if target == "indices" else (case["probs"], -100)  # torch: no ignore_index
    _compare_reductions(partial(L.cross_entropy, weight=w, ignore_index=ii, label_smoothing=eps),
                        partial(F.cross_entropy, weight=None if w is None else to_torch(w), ignore_index=ii,
                                label_smoothing=eps), [case["z"], y], [True, target == "probabilities"])


@FAST
@given(case=_classification())
def test_nll_loss_matches_torch(case: dict) -> None:
    w, ii = case["weight"], case["ignore_index"]
    _compare_reductions(partial(L.nll_loss, weight=w, ignore_index=ii),
                        partial(F.nll_loss, weight=None if w is None else to_torch(w), ignore_index=ii),
                        [case["z"], case["y"]], [True, False])


def test_cross_entropy_by_hand() -> None:
    # z = (2, 0), y = 0: softmax = (e²/(e² + 1), 1/(e² + 1)) = (0.880797, 0.119203)
    # ℓ = −log 0.880797 = log(1 + e⁻²) = 0.126928;  dℓ/dz = softmax − onehot = (−0.119203, 0.119203)
    z = gn.tensor(np.array([[2.0, 0.0]]), requires_grad=True)
    loss = L.cross_entropy(z, np.array([0]))
    loss.backward()
    assert loss.item() == pytest.approx(math.log1p(math.exp(-2)), abs=1e-15)
    s = 1 / (1 + math.exp(2))
    np.testing.assert_allclose(z.grad, [[-s, s]], rtol=1e-14)
    # ignore_index drops a row from both the sum and the divisor; weights make the mean a weighted one:
    # rows ℓ₀ = 0.126928 (w = 3), ℓ₁ = 2.126928 (w = 1) → (3·0.126928 + 1·2.126928) / (3 + 1) = 0.626928
    z2 = gn.tensor(np.array([[2.0, 0.0], [2.0, 0.0], [5.0, 1.0]]))
    got = L.cross_entropy(z2, np.array([0, 1, -100]), np.array([3.0, 1.0])).item()
    assert got == pytest.approx((3 * math.log1p(math.exp(-2)) + 2 + math.log1p(math.exp(-2))) / 4, abs=1e-14)


# ----------------------------------------------------------------------------- kl, poisson, gaussian
@pytest.mark.parametrize("log_target", [False, True])
@FAST
@given(xp=_same_shape((-5, 2, EDGES), (0, 1, (0.0, 1.0, 0.5))))
def test_kl_div_matches_torch(log_target: bool, xp: list[np.ndarray]) -> None:
    x, p = xp
    target = np.log(np.maximum(p, 1e-3)) if log_target else p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that 'mean' is not 'batchmean'
        _compare_reductions(partial(L.kl_div, log_target=log_target),
                            partial(F.kl_div, log_target=log_target), [x, target], [True, True],
                            mask=[None, log_target | (p > 0)],  # torch's target gradient is nan at p = 0
                            reductions=(*REDUCTIONS, "batchmean"))


@pytest.mark.parametrize(("log_input", "full"), [(True, False), (True, True), (False, False), (False, True)])
@FAST
@given(xy=_same_shape((-3, 3, EDGES), (0, 6, (0.0, 1.0, 2.0, 0.5))))
def test_poisson_nll_loss_matches_torch(log_input: bool, full: bool, xy: list[np.ndarray]) -> None:
    x, y = xy
    x = x if log_input else np.abs(x)  # a rate λ ≥ 0
    _compare_reductions(partial(L.poisson_nll_loss, log_input=log_input, full=full),
                        partial(F.poisson_nll_loss, log_input=log_input, full=full),
                        [x, y], [True, True], mask=[None, ~(full & (y == 0))])  # torch: nan at y = 0 if full


@pytest.mark.parametrize("var_shape", ["same", "drop_last", "one_axis", "float"])
@FAST
@given(xyv=_same_shape((-3, 3, EDGES), (-3, 3, EDGES), (0, 4, (0.0, 1e-8, 1.0))), full=st.booleans())
def test_gaussian_nll_loss_matches_torch(var_shape: str, xyv: list[np.ndarray], full: bool) -> None:
    x, y, v = xyv  # v below eps = 1e-6 is clamped, with the gradient passed as if it were not
    if var_shape == "drop_last":
        v = v[..., 0]
    elif var_shape == "one_axis":
        v = v[..., :1]
    var: Any = 0.75 if var_shape == "float" else v
    _compare_reductions(partial(L.gaussian_nll_loss, full=full), partial(F.gaussian_nll_loss, full=full),
                        [x, y, var], [True, True, var_shape != "float"])


# ----------------------------------------------------------------------------- modules
MODULES = [
    (L.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), "real"),
    (L.L1Loss(), torch.nn.L1Loss(), "real"),
    (L.HuberLoss(reduction="none", delta=0.3), torch.nn.HuberLoss(reduction="none", delta=0.3), "real"),
    (L.SmoothL1Loss(beta=0.3), torch.nn.SmoothL1Loss(beta=0.3), "real"),
    (L.BCELoss(np.array([1.0, 2.0, 3.0])), torch.nn.BCELoss(torch.tensor([1.0, 2.0, 3.0])), "prob"),
    (L.BCEWithLogitsLoss(pos_weight=np.array([1.0, 2.0, 3.0])),
     torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0])), "binary"),
    (L.CrossEntropyLoss(np.array([1.0, 2.0, 3.0]), ignore_index=2, label_smoothing=0.2),
     torch.nn.CrossEntropyLoss(torch.tensor([1.0, 2.0, 3.0]), ignore_index=2, label_smoothing=0.2), "class"),
    (L.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum"), "class"),
    (L.KLDivLoss(reduction="batchmean", log_target=True),
     torch.nn.KLDivLoss(reduction="batchmean", log_target=True), "real"),
    (L.PoissonNLLLoss(full=True), torch.nn.PoissonNLLLoss(full=True), "count"),
    (L.GaussianNLLLoss(full=True), torch.nn.GaussianNLLLoss(full=True), "var"),
]


@pytest.mark.parametrize(("ours", "theirs", "kind"), MODULES, ids=[type(m[0]).__name__ for m in MODULES])
def test_loss_modules_match_torch_modules(ours: gn.nn.Module, theirs: torch.nn.Module, kind: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0.05, 0.95, (4, 3)) if kind == "prob" else rng.standard_normal((4, 3))
    targets = {"class": rng.integers(0, 3, 4), "prob": rng.uniform(0, 1, (4, 3)),
               "binary": rng.uniform(0, 1, (4, 3)), "count": rng.integers(1, 5, (4, 3)).astype(float)}
    y = targets.get(kind, rng.standard_normal((4, 3)))
    extra = [rng.uniform(0.1, 2, (4, 1))] if kind == "var" else []
    _compare(ours, theirs, [x, y, *extra], [True, kind != "class", *[True] * len(extra)])


def test_every_loss_class_is_registered_carries_its_formula_and_shows_its_arguments() -> None:
    assert set(L.LOSSES.values()) == {type(m[0]) for m in MODULES}
    assert {"mse", "cross_entropy", "bce", "bce_with_logits", "huber", "nll", "kl_div"} <= set(L.LOSSES)
    for name, cls in L.LOSSES.items():
        assert name == name.lower() and issubclass(cls, gn.nn.Module) and cls.__name__ in L.__all__
        f = cls.formula
        assert isinstance(f, gn.Formula) and f.name == cls.__name__
        assert all([f.text, f.latex, f.derivative_text, f.derivative_latex]), name
    assert "p − onehot(y)" in L.CrossEntropyLoss.formula.derivative_text
    assert repr(L.HuberLoss(delta=0.5)) == "HuberLoss(reduction='mean', delta=0.5)"
    assert repr(L.CrossEntropyLoss(np.array([1.0, 2.0]))) == (
        "CrossEntropyLoss(reduction='mean', weight=[1., 2.], ignore_index=-100, label_smoothing=0.0)")
    assert all(hasattr(gn.nn, name) for name in L.__all__)


# ----------------------------------------------------------------------------- gradcheck
rng = np.random.default_rng(3)
_X, _Y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
_P, _Q = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0.1, 0.9, (3, 4))
_Z3 = rng.standard_normal((2, 4, 3))
GRADCHECKS: list[tuple[str, Callable[..., gn.Tensor], list[np.ndarray]]] = [
    ("mse", lambda x, y: L.mse_loss(x, y, reduction="none"), [_X, _Y]),
    ("l1", L.l1_loss, [_X, _Y]),
    ("huber", lambda x, y: L.huber_loss(x, y, "none", 0.7), [_X, _Y]),
    ("smooth_l1", lambda x, y: L.smooth_l1_loss(x, y, beta=0.7), [_X, _Y]),
    ("bce", lambda x, y: L.binary_cross_entropy(x, y, np.arange(1.0, 5.0), reduction="none"), [_P, _Q]),
    ("bce_logits", lambda z, y: L.binary_cross_entropy_with_logits(z, y, pos_weight=np.arange(1.0, 5.0)),
     [_X, _Q]),
    ("ce_probs", lambda z, t: L.cross_entropy(z, t / t.sum(axis=1, keepdims=True), label_smoothing=0.1),
     [_Z3, rng.uniform(0.1, 1, (2, 4, 3))]),
    ("ce_classes", lambda z: L.cross_entropy(z, np.array([[0, 3, 1], [2, 2, -100]]), np.arange(1.0, 5.0),
                                             label_smoothing=0.2, reduction="none"), [_Z3]),
    ("nll", lambda x: L.nll_loss(x, np.array([0, 3, 1]), np.arange(1.0, 5.0)), [_X]),
    ("kl", lambda x, p: L.kl_div(x, p, reduction="batchmean"), [_X, _P]),
    ("kl_log", lambda x, p: L.kl_div(x, p, log_target=True, reduction="none"), [_X, _Y]),
    ("poisson", lambda x, y: L.poisson_nll_loss(x, y * 5, full=True), [_X, _P]),
    ("poisson_rate", lambda x, y: L.poisson_nll_loss(x, y, log_input=False, reduction="sum"), [_P, _Q]),
    ("gaussian", lambda x, y, v: L.gaussian_nll_loss(x, y, v, full=True, reduction="none"),
     [_X, _Y, _P[:, :1]]),
]


@pytest.mark.parametrize(("name", "fn", "arrays"), GRADCHECKS, ids=[c[0] for c in GRADCHECKS])
def test_gradcheck(name: str, fn: Callable[..., gn.Tensor], arrays: list[np.ndarray]) -> None:
    assert gn.gradcheck(fn, [gn.tensor(a, requires_grad=True) for a in arrays])


# ----------------------------------------------------------------------------- stability and dtype
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_huge_logits_in_float32_give_finite_losses_and_gradients(smoothing: float) -> None:
    z = gn.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=np.float32), requires_grad=True)
    for loss in (L.cross_entropy(z, np.array([1, 0]), label_smoothing=smoothing),
                 L.cross_entropy(z, np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]), label_smoothing=smoothing),
                 L.binary_cross_entropy_with_logits(z, np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]]),
                                                    pos_weight=np.array([1.0, 2.0, 3.0]))):
        z.grad = None
        loss.backward()
        assert loss.dtype == np.float32 and np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))
    # −log softmax(z)_y for z = (1e4, −1e4, 0), y = 1 is 2·10⁴: exact, not inf
    assert L.cross_entropy(z[:1], np.array([1])).item() == 2e4
    assert L.binary_cross_entropy_with_logits(gn.tensor([1e4]), [0.0]).item() == 1e4


def test_bce_at_exactly_0_and_1_is_finite_with_the_log_clamped_at_minus_100() -> None:
    x = gn.tensor(np.array([0.0, 1.0], dtype=np.float32), requires_grad=True)
    loss = L.binary_cross_entropy(x, np.array([1.0, 0.0]), reduction="sum")
    loss.backward()
    assert loss.item() == 200.0 and np.all(np.isfinite(x.grad))


def test_float64_targets_do_not_promote_a_float32_loss() -> None:
    x = gn.tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    for loss in (L.mse_loss(x, np.ones((2, 3))), L.kl_div(x, np.full((2, 3), 0.5)),
                 L.cross_entropy(x, np.full((2, 3), 1 / 3)), L.nll_loss(x, np.array([0, 1]), np.ones(3)),
                 L.gaussian_nll_loss(x, np.ones((2, 3)), np.ones(2))):
        assert loss.dtype == np.float32


# ----------------------------------------------------------------------------- validation
ERRORS = [
    (lambda: L.mse_loss(gn.tensor(np.zeros((4, 1))), np.zeros(4)), gn.ShapeError,
     r"input of shape \(4, 1\) and target of shape \(4,\)"),
    (lambda: L.l1_loss(gn.tensor(np.zeros(3)), np.zeros(3), reduction="avg"), gn.GlassnetError,
     r"reduction='avg'; expected one of 'mean', 'sum', 'none'"),
    (lambda: L.MSELoss(reduction="batchmean"), gn.GlassnetError, r"MSELoss got reduction='batchmean'"),
    (lambda: L.mse_loss(np.array([1, 2]), np.array([1, 2])), gn.GlassnetError, r"dtype int64"),
    (lambda: L.cross_entropy(gn.tensor(np.zeros((2, 3))), np.array([0, 3])), gn.GlassnetError,
     r"class index 3 but the input has 3 classes; targets must be in \[0, 2\]"),
    (lambda: L.nll_loss(gn.tensor(np.zeros((2, 3))), np.array([-1, 0])), gn.GlassnetError, r"class index -1"),
    (lambda: L.cross_entropy(gn.tensor(np.zeros((2, 3))), np.zeros(2)), gn.ShapeError,
     r"floating-point target of shape \(2,\).*integer class indices of shape \(2,\)"),
    (lambda: L.cross_entropy(gn.tensor(np.zeros((2, 3, 5))), np.zeros((2, 3), int)), gn.ShapeError,
     r"class-index target of shape \(2, 3\); expected target of shape \(2, 5\)"),
    (lambda: L.cross_entropy(gn.tensor(np.zeros((2, 3))), np.array([0, 1]), np.ones(2)), gn.ShapeError,
     r"weight of shape \(2,\) for 3 classes"),
    (lambda: L.cross_entropy(gn.tensor(np.zeros((2, 3))), np.full((2, 3), 1 / 3), ignore_index=0),
     gn.GlassnetError, r"ignore_index=0 with class-probability targets"),
    (lambda: L.cross_entropy(gn.tensor(np.zeros((2, 3))), np.array([0, 1]), label_smoothing=1.5),
     gn.GlassnetError, r"label_smoothing=1.5"),
    (lambda: L.cross_entropy(gn.tensor(np.float64(1.0)), np.array(0)), gn.ShapeError, r"scalar input"),
    (lambda: L.binary_cross_entropy(gn.tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0])), gn.GlassnetError,
     r"input values outside \[0, 1\] \(min 0.5, max 1.5\).*sigmoid"),
    (lambda: L.binary_cross_entropy(gn.tensor(np.array([0.5])), np.array([2.0])), gn.GlassnetError,
     r"target values outside \[0, 1\]"),
    (lambda: L.binary_cross_entropy_with_logits(gn.tensor(np.zeros((2, 3))), np.zeros((2, 3)),
                                                pos_weight=np.ones(2)),
     gn.ShapeError, r"pos_weight of shape \(2,\) for input of shape \(2, 3\)"),
    (lambda: L.gaussian_nll_loss(gn.tensor(np.zeros((2, 3))), np.zeros((2, 3)), np.ones(3)), gn.ShapeError,
     r"var of shape \(3,\)"),
    (lambda: L.gaussian_nll_loss(gn.tensor(np.zeros(2)), np.zeros(2), np.array([1.0, -1.0])),
     gn.GlassnetError, r"negative var"),
    (lambda: L.huber_loss(gn.tensor(np.zeros(2)), np.zeros(2), delta=0.0), gn.GlassnetError, r"delta=0.0"),
    (lambda: L.smooth_l1_loss(gn.tensor(np.zeros(2)), np.zeros(2), beta=-1.0), gn.GlassnetError,
     r"beta=-1.0"),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_bad_arguments_raise_errors_that_say_what_and_how_to_fix(call: Callable[[], Any], error: type,
                                                                 message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_kl_div_accepts_batchmean_and_divides_by_the_batch_size() -> None:
    x, p = np.log(np.full((4, 2), 0.25)), np.full((4, 2), 0.5)  # each row: 2·0.5·log(0.5/0.25) = log 2
    assert L.kl_div(x, p, reduction="batchmean").item() == pytest.approx(math.log(2), abs=1e-15)
    assert L.kl_div(x, p, reduction="sum").item() == pytest.approx(4 * math.log(2), abs=1e-15)
