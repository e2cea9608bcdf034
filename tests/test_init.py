"""Initialisers against PyTorch: the bound or std torch itself uses, measured on large tensors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.stats
import torch

import glassnet as gn
from glassnet.nn import init

SHAPES = [(256, 512), (512, 256), (128, 64, 3, 3)]  # fan_in != fan_out; a conv-like receptive field
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
RANDOM_INITS: list[Callable[..., gn.Tensor]] = [
    init.uniform_, init.normal_, init.trunc_normal_, init.xavier_uniform_, init.xavier_normal_,
    init.kaiming_uniform_, init.kaiming_normal_, init.lecun_uniform_, init.lecun_normal_,
    init.orthogonal_,
]  # fmt: skip


def empty(shape: tuple[int, ...], dtype: Any = np.float64) -> gn.Tensor:
    return gn.tensor(np.zeros(shape, dtype=dtype))


def torch_sampling(monkeypatch: pytest.MonkeyPatch, torch_fn: Callable[..., Any],
                   shape: tuple[int, ...], **kwargs: Any) -> tuple[str, float, float]:
    """Run a torch initialiser and return the (distribution, low|mean, high|std) it sampled from."""
    calls: list[tuple[str, float, float]] = []
    uniform, normal = torch.Tensor.uniform_, torch.Tensor.normal_

    def spy_uniform(self: torch.Tensor, a: float = 0.0, b: float = 1.0, **kw: Any) -> torch.Tensor:
        calls.append(("uniform", a, b))
        return uniform(self, a, b, **kw)

    def spy_normal(self: torch.Tensor, mean: float = 0.0, std: float = 1.0, **kw: Any) -> torch.Tensor:
        calls.append(("normal", mean, std))
        return normal(self, mean, std, **kw)

    monkeypatch.setattr(torch.Tensor, "uniform_", spy_uniform)
    monkeypatch.setattr(torch.Tensor, "normal_", spy_normal)
    torch_fn(torch.empty(shape), **kwargs)
    monkeypatch.undo()
    assert len(calls) == 1, calls
    return calls[0]


def check_uniform(w: np.ndarray, low: float, high: float) -> None:
    assert w.min() >= low and w.max() <= high  # exact bounds
    span = high - low
    # and they are reached: with n >= 1e5 samples the extremes lie within ~span/n of the bounds
    assert w.min() < low + 2e-4 * span and w.max() > high - 2e-4 * span
    np.testing.assert_allclose(w.std(), span / math.sqrt(12), rtol=0.01)


def check_normal(w: np.ndarray, mean: float, std: float) -> None:
    assert abs(w.mean() - mean) < 5 * std / math.sqrt(w.size)
    np.testing.assert_allclose(w.std(), std, rtol=0.01)


# ----------------------------------------------------------------------------- gain
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_equals_torch(nonlinearity: str) -> None:
    assert init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)


@pytest.mark.parametrize("slope", [None, 0.0, 0.2, 1, 3.5])
def test_leaky_relu_gain_uses_the_slope(slope: float | None) -> None:
    assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)


def test_gain_rejects_unknown_names_and_bool_slopes() -> None:
    with pytest.raises(gn.GlassnetError, match=r"valid names are .*tanh.*relu"):
        init.calculate_gain("relu6")
    with pytest.raises(gn.GlassnetError, match="negative slope"):
        init.calculate_gain("leaky_relu", True)


# ----------------------------------------------------------------------------- against torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(("nonlinearity", "a"), [("leaky_relu", 0.0), ("leaky_relu", math.sqrt(5)),
                                                 ("relu", 0.0), ("tanh", 0.0), ("selu", 0.0)])
def test_kaiming_matches_torch(monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...], mode: str,
                               nonlinearity: str, a: float) -> None:
    kw = dict(a=a, mode=mode, nonlinearity=nonlinearity)
    _, low, high = torch_sampling(monkeypatch, torch.nn.init.kaiming_uniform_, shape, **kw)
    check_uniform(init.kaiming_uniform_(empty(shape), **kw, generator=0).array, low, high)
    _, mean, std = torch_sampling(monkeypatch, torch.nn.init.kaiming_normal_, shape, **kw)
    check_normal(init.kaiming_normal_(empty(shape), **kw, generator=0).array, mean, std)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3, 0.25])
def test_xavier_matches_torch(monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...], gain: float) -> None:
    _, low, high = torch_sampling(monkeypatch, torch.nn.init.xavier_uniform_, shape, gain=gain)
    check_uniform(init.xavier_uniform_(empty(shape), gain, generator=1).array, low, high)
    _, mean, std = torch_sampling(monkeypatch, torch.nn.init.xavier_normal_, shape, gain=gain)
    check_normal(init.xavier_normal_(empty(shape), gain, generator=1).array, mean, std)


def test_uniform_and_normal_match_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = (300, 400)
    _, low, high = torch_sampling(monkeypatch, torch.nn.init.uniform_, shape, a=-0.3, b=2.0)
    check_uniform(init.uniform_(empty(shape), -0.3, 2.0, generator=2).array, low, high)
    _, mean, std = torch_sampling(monkeypatch, torch.nn.init.normal_, shape, mean=1.5, std=0.2)
    check_normal(init.normal_(empty(shape), 1.5, 0.2, generator=2).array, mean, std)


@pytest.mark.parametrize("shape", SHAPES)
def test_lecun_has_variance_one_over_fan_in(monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...]) -> None:
    # LeCun uniform is torch's kaiming_uniform_ with gain 1 ("linear")
    _, low, high = torch_sampling(monkeypatch, torch.nn.init.kaiming_uniform_, shape, nonlinearity="linear")
    check_uniform(init.lecun_uniform_(empty(shape), generator=3).array, low, high)
    fan_in = math.prod(shape[1:])
    w = init.lecun_normal_(empty(shape), generator=3).array
    s = math.sqrt(1 / fan_in) / 0.87962566103423978  # Keras's constant for the cut at ±2
    assert np.abs(w).max() <= 2 * s
    check_normal(w, 0.0, math.sqrt(1 / fan_in))


def test_truncation_constant_is_the_std_of_a_normal_cut_at_two() -> None:
    np.testing.assert_allclose(init._TRUNC2_STD, scipy.stats.truncnorm(-2, 2).std(), rtol=1e-15)


@pytest.mark.parametrize(("mean", "std", "a", "b"), [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0),
                                                    (0.0, 1.0, 1.0, 3.0), (1.0, 2.0, 4.0, 7.0)])
def test_trunc_normal_has_the_truncated_moments(mean: float, std: float, a: float, b: float) -> None:
    # both sampling regimes: redraw from N when [a, b] holds > 30% of the mass, else U(a, b) + accept
    w = init.trunc_normal_(empty((200, 500)), mean, std, a, b, generator=4).array
    ref = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    theirs = torch.nn.init.trunc_normal_(torch.empty(200, 500), mean, std, a, b).numpy()
    assert a <= w.min() and w.max() <= b
    for sample in (w, theirs):
        assert abs(sample.mean() - ref.mean()) < 5 * ref.std() / math.sqrt(w.size)
        np.testing.assert_allclose(sample.std(), ref.std(), rtol=0.01)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 3), (2, 3, 4), (100, 300)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape: tuple[int, ...], gain: float) -> None:
    W = init.orthogonal_(empty(shape), gain, generator=5).array.reshape(shape[0], -1)
    ours = W @ W.T if W.shape[0] <= W.shape[1] else W.T @ W
    Wt = torch.nn.init.orthogonal_(torch.empty(shape), gain).reshape(shape[0], -1)
    theirs = Wt @ Wt.T if W.shape[0] <= W.shape[1] else Wt.T @ Wt
    np.testing.assert_allclose(ours, gain**2 * np.eye(len(ours)), atol=1e-12)
    np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-12)


def test_orthogonal_is_haar_so_entries_have_variance_one_over_n() -> None:
    # a Haar orthogonal n×n matrix has E[w_ij] = 0, E[w_ij²] = 1/n; the sign fix of diag R matters
    W = np.stack([init.orthogonal_(empty((4, 4)), generator=s).array for s in range(2000)])
    np.testing.assert_allclose(W.mean(axis=0), 0.0, atol=0.08)
    np.testing.assert_allclose((W**2).mean(axis=0), 0.25, atol=0.03)


def test_constant_fills() -> None:
    w = empty((2, 3), np.float32)
    assert init.constant_(w, 0.5) is w and w.dtype == np.float32 and (w.array == 0.5).all()
    assert (init.ones_(w).array == 1).all() and (init.zeros_(w).array == 0).all()


def test_linear_layer_keeps_pytorch_default_bound() -> None:
    layer = gn.nn.Linear(50, 2000, dtype=np.float64, generator=0)  # U(-1/√in, 1/√in) for W and b
    check_uniform(layer.weight.array, -1 / math.sqrt(50), 1 / math.sqrt(50))
    assert np.abs(layer.bias.array).max() <= 1 / math.sqrt(50)


# ----------------------------------------------------------------------------- seeds, dtype
def call(fn: Callable[..., gn.Tensor], w: gn.Tensor, generator: Any) -> gn.Tensor:
    return fn(w, generator=generator)


@pytest.mark.parametrize("fn", RANDOM_INITS)
def test_same_seed_same_weights_different_seed_different(fn: Callable[..., gn.Tensor]) -> None:
    a = call(fn, empty((20, 30)), 7).array
    assert np.array_equal(a, call(fn, empty((20, 30)), 7).array)
    assert np.array_equal(a, call(fn, empty((20, 30)), np.random.default_rng(7)).array)
    assert not np.array_equal(a, call(fn, empty((20, 30)), 8).array)
    assert not np.array_equal(call(fn, empty((20, 30)), None).array, call(fn, empty((20, 30)), None).array)
    rng = np.random.default_rng(0)  # a Generator is used as is: it advances between calls
    assert not np.array_equal(call(fn, empty((20, 30)), rng).array, call(fn, empty((20, 30)), rng).array)


@pytest.mark.parametrize("fn", RANDOM_INITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fills_in_place_and_keeps_dtype(fn: Callable[..., gn.Tensor], dtype: Any) -> None:
    w = gn.nn.Parameter(np.zeros((20, 30), dtype=dtype))
    buffer = w.array
    assert call(fn, w, 0) is w and w.array is buffer and w.dtype == dtype
    # samples are drawn in float64 and rounded once
    np.testing.assert_array_equal(w.array, call(fn, empty((20, 30)), 0).array.astype(dtype))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn", [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
                                init.kaiming_normal_, init.lecun_uniform_, init.lecun_normal_,
                                init.orthogonal_])
def test_fan_of_a_1d_tensor_is_a_clear_error(fn: Callable[..., gn.Tensor]) -> None:
    with pytest.raises(gn.GlassnetError, match=r"at least 2 dimensions.*\(5,\)"):
        fn(empty((5,)))


def test_bad_mode_and_nonlinearity_list_the_valid_ones() -> None:
    with pytest.raises(gn.GlassnetError, match="valid modes are fan_in, fan_out"):
        init.kaiming_uniform_(empty((2, 3)), mode="fan_avg")
    with pytest.raises(gn.GlassnetError, match="valid names are"):
        init.kaiming_normal_(empty((2, 3)), nonlinearity="swish")
    init.kaiming_normal_(empty((2, 3)), mode="FAN_OUT")  # case-insensitive, as torch


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(gn.GlassnetError, match="a <= b"):
        init.uniform_(empty((2,)), 1.0, 0.0)
    with pytest.raises(gn.GlassnetError, match="std >= 0"):
        init.normal_(empty((2,)), 0.0, -1.0)
    with pytest.raises(gn.GlassnetError, match="floating-point"):
        init.normal_(gn.tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(gn.GlassnetError, match=r"gn\.tensor"):
        init.zeros_(np.zeros(3))  # type: ignore[arg-type]


def test_zero_element_weights_are_left_alone() -> None:
    assert gn.nn.Linear(0, 3, generator=0).weight.shape == (3, 0)
    for fn in (init.xavier_uniform_, init.kaiming_normal_, init.lecun_normal_, init.orthogonal_):
        assert fn(empty((0, 4))).shape == (0, 4)
