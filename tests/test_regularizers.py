"""Regularizers and max-norm against PyTorch in float64; L2 + SGD == SGD(weight_decay=2·l2)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import regularizers
from glassnet.regularizers import L1, L2, REGULARIZERS, ElasticNet, Regularizer
from glassnet.regularizers.constraints import max_norm_
from oracle import assert_close, to_torch


class TwoLayer(gn.nn.Module):
    """4 → 5 → 3 without an activation (Sequential's activations are not needed here)."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.hidden = gn.nn.Linear(4, 5, dtype=np.float64, generator=seed)
        self.out = gn.nn.Linear(5, 3, dtype=np.float64, generator=seed + 1)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.out(self.hidden(x))


def torch_penalty(reg: Regularizer, params: list[gn.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The same penalty in torch with autograd: l1·Σ|w| + l2·Σw² over copies of the weights."""
    l1, l2 = getattr(reg, "l1", 0.0), getattr(reg, "l2", 0.0)
    copies = [to_torch(p, requires_grad=True) for p in params]
    total = sum(l1 * t.abs().sum() + l2 * (t**2).sum() for t in copies)
    assert isinstance(total, torch.Tensor)
    total.backward()
    return total, copies


REGS = [L1(0.03), L2(0.07), ElasticNet(0.03, 0.07), ElasticNet(0.0, 0.5)]


# ----------------------------------------------------------------------------- value, gradient
@pytest.mark.parametrize("reg", REGS, ids=repr)
@pytest.mark.parametrize("include_bias", [False, True])
def test_penalty_and_gradient_equal_torch(reg: Regularizer, include_bias: bool) -> None:
    reg = copy.copy(reg)
    reg.include_bias = include_bias
    model = TwoLayer(seed=0)
    penalty = reg(model)
    penalty.backward()
    named = dict(model.named_parameters())
    chosen = [n for n in named if include_bias or not n.endswith("bias")]
    assert chosen == (list(named) if include_bias else ["hidden.weight", "out.weight"])
    theirs, copies = torch_penalty(reg, [named[n] for n in chosen])
    assert penalty.shape == () and penalty.dtype == np.float64
    assert_close(penalty, theirs)
    for name, p in named.items():
        if name in chosen:
            assert_close(p.grad, copies[chosen.index(name)].grad)
        else:
            assert p.grad is None  # a bias is not touched unless include_bias


def test_gradients_are_the_formulas() -> None:
    w = gn.nn.Parameter(np.array([[1.5, -2.0, 0.0]]))
    ElasticNet(0.1, 0.2)([w]).backward()
    # l1·sign(w) + 2·l2·w = 0.1·[1, -1, 0] + 0.4·[1.5, -2, 0] = [0.7, -0.9, 0]
    np.testing.assert_allclose(w.grad, [[0.7, -0.9, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("reg", REGS, ids=repr)
def test_gradcheck(reg: Regularizer) -> None:
    rng = np.random.default_rng(0)
    W = rng.uniform(0.1, 1.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))  # away from the kink at 0
    assert gn.gradcheck(lambda w: reg([w]), [gn.tensor(W, requires_grad=True)])


def test_bare_parameters_treat_1d_tensors_as_biases() -> None:
    W = gn.nn.Parameter(np.array([[1.0, -2.0], [3.0, 0.5]]))
    b = gn.nn.Parameter(np.array([10.0, -10.0]))
    assert L2(1.0)([W, b]).item() == 1 + 4 + 9 + 0.25
    assert L2(1.0, include_bias=True)([W, b]).item() == 14.25 + 200
    assert L1(1.0)(W).item() == 6.5  # one tensor is accepted as is (not iterated by rows)
    assert L1(1.0)(iter([W, b])).item() == 6.5  # any iterable, e.g. model.parameters()


def test_module_names_decide_what_is_a_bias() -> None:
    model = TwoLayer(seed=3)
    expected = sum(float((p.array**2).sum()) for p in (model.hidden.weight, model.out.weight))
    assert L2(1.0)(model).item() == pytest.approx(expected, rel=1e-15)
    assert L2(1.0)(model.parameters()).item() == pytest.approx(expected, rel=1e-15)


def test_dtype_and_empty_selection() -> None:
    assert L2(0.1)(gn.nn.Linear(3, 2, generator=0)).dtype == np.float32
    zero = L2(0.1)([gn.nn.Parameter(np.ones(3))])  # only a bias, excluded
    assert zero.item() == 0.0 and zero.dtype == np.float32 and not zero.requires_grad


@pytest.mark.parametrize("make", [lambda: L1(-0.1), lambda: L2(float("nan")), lambda: ElasticNet(0.1, -1)])
def test_negative_strengths_are_rejected(make: Any) -> None:
    with pytest.raises(gn.GlassnetError, match=">= 0"):
        make()


def test_non_tensors_are_rejected() -> None:
    with pytest.raises(gn.GlassnetError, match=r"model\.parameters\(\)"):
        L2()(gn.nn.Linear(2, 2, generator=0).named_parameters())  # type: ignore[arg-type]


def test_formulas_and_names() -> None:
    names = [(k, v.__name__) for k, v in REGULARIZERS.items()]
    assert names == [("l1", "L1"), ("l2", "L2"), ("elastic_net", "ElasticNet")]
    assert L1.formula.derivative_text == "∂R/∂W = λ₁·sign(W)"
    assert L2.formula.derivative_text == "∂R/∂W = 2·λ₂·W"
    assert "λ₁·Σ|W| + λ₂·ΣW²" in ElasticNet.formula.text
    assert repr(ElasticNet(0.1, 0.2, include_bias=True)) == "ElasticNet(l1=0.1, l2=0.2, include_bias=True)"
    assert regularizers.__all__ == ["L1", "L2", "REGULARIZERS", "ElasticNet", "Regularizer", "constraints",
                                    "max_norm_"]


# ----------------------------------------------------------------------------- L2 vs weight decay
def train_both(ours: Any, theirs: Any, l2: float, include_bias: bool,
               steps: int = 20) -> tuple[TwoLayer, torch.nn.Module]:
    """Train on data loss + L2(l2) in glassnet and on the data loss alone in torch, same start.

    ``ours(params)`` makes a glassnet optimizer (None: plain step by hand); ``theirs(groups,
    weight_decay)`` a torch one given parameter groups and the decay of the penalised group.
    """
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((16, 4)), rng.standard_normal((16, 3))  # (n_samples, n_features)
    model = TwoLayer(seed=1)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for p, q in zip(model.parameters(), ref.parameters(), strict=True):
            q.copy_(to_torch(p))
    groups = [{"params": [q for n, q in ref.named_parameters() if not n.endswith("bias")]},
              {"params": [q for n, q in ref.named_parameters() if n.endswith("bias")]}]
    groups[1]["weight_decay"] = 2 * l2 if include_bias else 0.0  # torch would decay biases too
    opt, opt_ref = ours(list(model.parameters())), theirs(groups, 2 * l2)
    reg = L2(l2, include_bias=include_bias)
    for _ in range(steps):
        model.zero_grad()
        (((model(gn.tensor(X)) - Y) ** 2).mean() + reg(model)).backward()  # data loss + l2·Σw²
        if opt is None:
            for p in model.parameters():
                p.data -= 0.1 * p.grad  # plain gradient descent on the regularized loss, lr = 0.1
        else:
            opt.step()
        opt_ref.zero_grad()
        ((ref(to_torch(X)) - to_torch(Y)) ** 2).mean().backward()  # data loss only: decay in the step
        opt_ref.step()
    return model, ref


@pytest.mark.parametrize("include_bias", [False, True])
@pytest.mark.parametrize(("ours", "momentum"), [(lambda ps: None, 0.0),
                                                (lambda ps: gn.optim.SGD(ps, lr=0.1), 0.0),
                                                (lambda ps: gn.optim.SGD(ps, lr=0.1, momentum=0.9), 0.9)])
def test_l2_with_sgd_is_pytorch_sgd_with_weight_decay_two_l2(ours: Any, momentum: float,
                                                              include_bias: bool) -> None:
    theirs = lambda groups, wd: torch.optim.SGD(groups, lr=0.1, momentum=momentum, weight_decay=wd)  # noqa: E731
    model, ref = train_both(ours, theirs, l2=0.05, include_bias=include_bias)
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        assert_close(p, q)


def test_l2_with_adam_is_coupled_decay_not_adamw() -> None:
    adam = lambda ps: gn.optim.Adam(ps, lr=0.01)  # noqa: E731
    torch_adam = lambda g, wd: torch.optim.Adam(g, lr=0.01, weight_decay=wd)  # noqa: E731
    torch_adamw = lambda g, wd: torch.optim.AdamW(g, lr=0.01, weight_decay=wd)  # noqa: E731
    model, coupled = train_both(adam, torch_adam, l2=0.05, include_bias=False)
    for p, q in zip(model.parameters(), coupled.parameters(), strict=True):
        assert_close(p, q)
    _, decoupled = train_both(adam, torch_adamw, l2=0.05, include_bias=False)
    with torch.no_grad():
        gap = max(float((p - q).abs().max()) for p, q in zip(coupled.parameters(), decoupled.parameters(),
                                                             strict=True))
    assert gap > 1e-3  # the decay divided by √v̂ (Adam) is not the decay lr·λ·w (AdamW)


# ----------------------------------------------------------------------------- max_norm_
def rows_with_norms(norms: list[float], n_in: int = 6, seed: int = 0) -> np.ndarray:
    V = np.random.default_rng(seed).standard_normal((len(norms), n_in))
    return V / np.linalg.norm(V, axis=1, keepdims=True) * np.array(norms)[:, None]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_norm_rescales_rows_over_the_limit_exactly(dtype: Any) -> None:
    W0 = rows_with_norms([0.5, 2.0, 1.0, 7.0, 0.0]).astype(dtype)  # (out_features, in_features)
    W, b = gn.nn.Parameter(W0.copy()), gn.nn.Parameter(np.full(5, 9.0, dtype=dtype))
    buffer = W.array
    max_norm_([W, b], 1.0)
    norms = np.linalg.norm(W.array.astype(np.float64), axis=1)
    over = np.array([False, True, False, True, False])
    np.testing.assert_allclose(norms[over], 1.0, rtol=1e-15 if dtype == np.float64 else 1e-6)
    np.testing.assert_allclose(W.array[over], W0[over] / np.linalg.norm(W0[over], axis=1, keepdims=True),
                               rtol=1e-15 if dtype == np.float64 else 1e-6)  # direction kept
    assert np.array_equal(W.array[~over], W0[~over])  # at or under the limit: bit for bit
    assert (b.array == 9.0).all() and W.array is buffer and W.dtype == dtype


def test_max_norm_on_a_module_leaves_biases_and_gradients_alone() -> None:
    model = TwoLayer(seed=0)
    model.hidden.weight.array *= 10
    model.hidden.bias.array *= 100
    model.hidden.weight.grad = grad = np.ones((5, 4))
    before = {name: p.array.copy() for name, p in model.named_parameters()}
    max_norm_(model, 0.5)
    assert np.array_equal(model.hidden.bias.array, before["hidden.bias"])
    assert np.array_equal(model.out.bias.array, before["out.bias"])
    assert np.linalg.norm(model.hidden.weight.array, axis=1).max() == pytest.approx(0.5, rel=1e-15)
    assert model.hidden.weight.grad_array is grad and (grad == 1).all() and model.hidden.weight.is_leaf


def test_max_norm_with_eps_is_torch_renorm() -> None:
    W = gn.nn.Parameter(rows_with_norms([0.5, 2.0, 3.0, 1.0]))
    expected = torch.renorm(to_torch(W), p=2, dim=0, maxnorm=1.5)
    max_norm_([W], 1.5, eps=1e-7)
    assert_close(W, expected)
    K = gn.nn.Parameter(np.random.default_rng(1).standard_normal((4, 3, 2)))  # (out, in, kernel)
    expected = torch.renorm(to_torch(K), p=2, dim=0, maxnorm=2.0)
    max_norm_([K], 2.0, axis=(1, 2), eps=1e-7)
    assert_close(K, expected)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf")])
def test_max_norm_rejects_bad_limits(bad: float) -> None:
    with pytest.raises(gn.GlassnetError, match="max_value > 0"):
        max_norm_([gn.nn.Parameter(np.ones((2, 2)))], bad)
