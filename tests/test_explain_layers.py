"""explain walks LayerNorm, BatchNorm1d (training and eval mode) and Embedding like the rest: every δ,
every gradient and the update equal PyTorch's in float64, and each layer's step shows its numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim
from glassnet.explain import explain
from oracle import assert_close

F64 = np.float64


def _torch_twin(net: nn.Sequential) -> torch.nn.Sequential:
    """The same network in torch, weights copied by state_dict key."""
    layers: list[torch.nn.Module] = []
    for m in net.children():
        if isinstance(m, nn.Linear):
            layers.append(torch.nn.Linear(m.in_features, m.out_features))
        elif isinstance(m, nn.LayerNorm):
            layers.append(torch.nn.LayerNorm(m.normalized_shape))
        elif isinstance(m, nn.BatchNorm1d):
            layers.append(torch.nn.BatchNorm1d(m.num_features))
        elif isinstance(m, nn.Embedding):
            layers.append(torch.nn.Embedding(m.num_embeddings, m.embedding_dim))
        else:
            layers.append(getattr(torch.nn, type(m).__name__)())
    twin = torch.nn.Sequential(*layers).double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v.array)) for k, v in net.state_dict().items()})
    twin.train(net.training)
    for ours, theirs in zip(net.children(), twin.children(), strict=True):
        theirs.train(ours.training)
    return twin


def _check(net: nn.Sequential, X: np.ndarray, y: np.ndarray, lr: float = 0.1) -> gn.explain.Walkthrough:
    """explain with CrossEntropyLoss and SGD; every gradient and the update equal torch's."""
    twin = _torch_twin(net)
    w = explain(net, X, y, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=lr))
    loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    assert w.loss == pytest.approx(loss.item(), rel=1e-12)
    theirs = dict(twin.named_parameters())
    for name, g in w.grads.items():
        assert_close(g, theirs[name].grad)
    with torch.no_grad():
        for p in twin.parameters():
            p -= lr * p.grad
    new = {s.title.split()[1]: s for s in w.find("update")}
    assert len(new) == len(theirs)
    for step in new.values():
        name = step.title.split("(")[1].split(")")[0]
        assert_close(step.value, theirs[name])
    return w


def test_layer_norm_and_batch_norm_in_training_mode_match_torch() -> None:
    gn.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4, dtype=F64), nn.LayerNorm(4, dtype=F64), nn.ReLU(),
                        nn.Linear(4, 3, dtype=F64), nn.BatchNorm1d(3, dtype=F64), nn.Tanh(),
                        nn.Linear(3, 2, dtype=F64))
    X, y = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.2], [-0.4, 0.8, 0.1]]), np.array([1, 0, 1])
    w = _check(net, X, y)
    norms = w.find("norm")
    assert [s.layer for s in norms] == [1, 2] and "h¹ = LayerNorm(z¹)" in norms[0].title
    assert "over the batch" in norms[1].substituted and "x̂ = (z² − x̄)/√(s² + ε)" in norms[1].substituted
    text = str(w)
    assert "∂L/∂Wₕ² and ∂L/∂bₕ² (BatchNorm1d)" in text and "update Wₕ¹ (1.weight)" in text
    assert "e = Wₕ¹ ⊙ ∂L/∂h¹" in text


def test_batch_norm_in_eval_mode_uses_the_running_estimates_and_matches_torch() -> None:
    gn.manual_seed(1)
    net = nn.Sequential(nn.Linear(3, 4, dtype=F64), nn.BatchNorm1d(4, dtype=F64), nn.Sigmoid(),
                        nn.Linear(4, 3, dtype=F64))
    net.train()
    net(gn.tensor(np.random.default_rng(0).normal(size=(8, 3))))  # moves the running estimates
    net.eval()
    w = _check(net, np.array([[0.2, -0.7, 1.1]]), np.array([2]))
    step = w.find("norm")[0]
    assert "the running estimates (eval mode)" in step.substituted
    assert "δ¹ = e/√(s² + ε)" in w.find("delta", 1)[0].substituted


def test_norm_after_the_activation_matches_torch() -> None:
    gn.manual_seed(2)
    net = nn.Sequential(nn.Linear(2, 3, dtype=F64), nn.ReLU(), nn.LayerNorm(3, dtype=F64),
                        nn.Linear(3, 2, dtype=F64))
    w = _check(net, np.array([[1.0, -0.5], [0.3, 0.9]]), np.array([0, 1]))
    assert "h¹ = LayerNorm(a¹)" in w.find("norm")[0].title


def test_embedding_matches_torch_and_sums_the_rows_it_picked() -> None:
    net = nn.Sequential(nn.Embedding(5, 3, dtype=F64, generator=0), nn.Flatten(), nn.Linear(6, 2, dtype=F64))
    X, y = np.array([[1, 3], [3, 0]]), np.array([1, 0])
    w = _check(net, X, y)
    assert w.find("embedding")[0].title.startswith("embedding: a⁰ = W⁰[x]")
    grad = w.find("grad")[-1]
    assert grad.title == "embedding: ∂L/∂W⁰" and "∂L/∂W⁰[3] = " in grad.substituted  # row 3 picked twice
    assert np.all(grad.value[[2, 4]] == 0)  # rows no index picked
