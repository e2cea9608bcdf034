"""Gradient clipping agrees with torch.nn.utils: the total norm returned and the clipped gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn
from glassnet.nn.utils import clip_grad_norm_, clip_grad_value_
from oracle import assert_close, to_torch

SHAPES = [(3, 4), (4,), (2, 2, 3), ()]


def _params(seed: int, scale: float = 1.0, dtype: type = np.float64,
            ) -> tuple[list[nn.Parameter], list[torch.Tensor]]:
    """Parameters with random gradients (the last one has none) in glassnet and torch."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        p, q = nn.Parameter(np.zeros(shape, dtype=dtype)), torch.zeros(shape, dtype=torch.float64)
        if i < len(SHAPES) - 1:
            g = scale * rng.standard_normal(shape)
            p.grad, q.grad = g.astype(dtype), to_torch(g)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 100.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float, seed: int) -> None:
    ours, theirs = _params(seed)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(ref.item(), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        if q.grad is None:
            assert p.grad is None
        else:
            assert_close(p.grad, q.grad)


def test_clip_grad_norm_by_hand_and_only_shrinks() -> None:
    w, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    w.grad, b.grad = np.array([3.0, 0.0]), np.array([4.0])
    assert clip_grad_norm_([w, b], max_norm=10.0) == 5.0  # √(3² + 4²); already short: unchanged
    assert np.array_equal(w.grad, [3.0, 0.0]) and np.array_equal(b.grad, [4.0])
    assert clip_grad_norm_([w, b], max_norm=1.0) == 5.0
    # scale = 1 / (5 + 1e-6): the joint vector (3, 0, 4) keeps its direction, length ≈ 1
    assert w.grad_array == pytest.approx([0.6, 0.0], rel=1e-6)
    assert b.grad_array == pytest.approx([0.8], rel=1e-6)
    assert clip_grad_norm_([w, b], 1.0, norm_type="inf") == pytest.approx(0.8, rel=1e-6)  # type: ignore[arg-type]


def test_clip_grad_norm_accepts_one_tensor_keeps_float32_and_handles_no_grads() -> None:
    ours, theirs = _params(3, scale=10.0, dtype=np.float32)
    total = clip_grad_norm_(ours[0], 1.0)
    ref = torch.nn.utils.clip_grad_norm_(theirs[0], 1.0)
    assert total == pytest.approx(ref.item(), rel=1e-6)
    assert ours[0].grad is not None and ours[0].grad.dtype == np.float32
    np.testing.assert_allclose(ours[0].grad, theirs[0].grad.numpy(), rtol=1e-6)
    assert clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0) == 0.0
    assert clip_grad_norm_([], 1.0) == 0.0


def test_clip_grad_norm_nonfinite() -> None:
    w = nn.Parameter(np.zeros(2))
    w.grad = np.array([np.inf, 1.0])
    with pytest.raises(gn.GlassnetError, match="inf"):
        clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    q = torch.zeros(2, requires_grad=True)
    q.grad = torch.tensor([math.inf, 1.0])
    assert clip_grad_norm_([w], 1.0) == torch.nn.utils.clip_grad_norm_([q], 1.0).item() == math.inf
    np.testing.assert_array_equal(w.grad, q.grad.numpy())  # torch scales by 1/inf too: (nan, 0)


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 1.0, 5.0])
def test_clip_grad_value_matches_torch(clip_value: float) -> None:
    ours, theirs = _params(4, scale=2.0)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours[:-1], theirs[:-1], strict=True):
        assert_close(p.grad, q.grad)
        assert p.grad is not None and np.abs(p.grad).max() <= clip_value
    assert ours[-1].grad is None


def test_clip_grad_value_rejects_a_negative_bound() -> None:
    with pytest.raises(gn.GlassnetError, match="clip_value must be >= 0"):
        clip_grad_value_([nn.Parameter(np.zeros(1))], -1.0)


def test_utils_exports() -> None:
    assert set(nn.utils.__all__) == {"clip_grad_norm_", "clip_grad_value_"}
