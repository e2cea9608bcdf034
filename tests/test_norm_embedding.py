"""LayerNorm, BatchNorm1d, Embedding, Flatten, Unflatten and LazyLinear against PyTorch (float64),
by finite differences, under fit's recorded steps, and in model files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim
from glassnet.errors import GlassnetError, ShapeError
from glassnet.train import steps
from oracle import assert_close, to_torch

RNG = np.random.default_rng(11)


def _copy_from_torch(ours: nn.Module, theirs: torch.nn.Module) -> None:
    """Give a glassnet module a torch module's parameters and buffers (PyTorch's state_dict keys)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _randomize(theirs: torch.nn.Module) -> None:
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(RNG.standard_normal(tuple(p.shape))))


def _check_step(ours: nn.Module, theirs: torch.nn.Module, x: np.ndarray) -> None:
    """One forward and backward of both on x: the outputs, ∂L/∂x and every parameter's gradient."""
    xg, xt = gn.tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    y, yt = ours(xg), theirs(xt)
    assert_close(y, yt)
    g = RNG.standard_normal(y.shape)
    y.backward(g)
    yt.backward(to_torch(g))
    assert_close(xg.grad, xt.grad)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert_close(p.grad, q.grad), name
    ours.zero_grad()
    theirs.zero_grad()


@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 4, 5), (4, 5)), ((3, 7), [7])])
@pytest.mark.parametrize("affine, bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_matches_torch(shape: tuple[int, ...], normalized: Any, affine: bool, bias: bool) -> None:
    ours = nn.LayerNorm(normalized, eps=1e-3, elementwise_affine=affine, bias=bias, dtype=np.float64)
    theirs = torch.nn.LayerNorm(normalized, eps=1e-3, elementwise_affine=affine, bias=bias)
    _randomize(theirs)
    _copy_from_torch(ours, theirs)
    _check_step(ours, theirs, RNG.standard_normal(shape) * 4 + 2)


@pytest.mark.parametrize("shape", [(8, 3), (5, 3, 4)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_matches_torch_in_training_then_eval(shape: tuple[int, ...],
                                                       momentum: float | None) -> None:
    ours = nn.BatchNorm1d(3, momentum=momentum, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum)
    _randomize(theirs)
    _copy_from_torch(ours, theirs)
    for _ in range(4):  # the running statistics follow torch's, batch after batch
        _check_step(ours, theirs, RNG.standard_normal(shape) * 3 + 1)
        assert_close(ours.running_mean, theirs.running_mean)
        assert_close(ours.running_var, theirs.running_var)  # unbiased, as torch
        assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked)
    ours.eval()
    theirs.eval()
    _check_step(ours, theirs, RNG.standard_normal(shape))  # normalized by the running estimates
    assert int(ours.num_batches_tracked.item()) == 4


@pytest.mark.parametrize("affine, track", [(False, True), (True, False), (False, False)])
def test_batch_norm_options_match_torch(affine: bool, track: bool) -> None:
    ours = nn.BatchNorm1d(4, eps=1e-2, affine=affine, track_running_stats=track, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(4, eps=1e-2, affine=affine, track_running_stats=track)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        _check_step(ours, theirs, RNG.standard_normal((6, 4)))
    if not track:
        assert ours.running_mean is None and list(ours.buffers()) == []


def test_normalization_passes_gradcheck_in_every_mode() -> None:
    F = nn.functional
    x = gn.tensor(RNG.standard_normal((4, 3, 4)), requires_grad=True)
    w, b = (gn.tensor(RNG.standard_normal((3, 4)), requires_grad=True) for _ in range(2))
    assert gn.gradcheck(lambda t, w, b: F.layer_norm(t, (3, 4), w, b), [x, w, b])
    m, v = gn.tensor(RNG.standard_normal(3)), gn.tensor(RNG.random(3) + 0.5)
    gamma, beta = (gn.tensor(RNG.standard_normal(3), requires_grad=True) for _ in range(2))
    # training: through the batch's mean and variance (the running ones move, the output does not use them)
    assert gn.gradcheck(lambda t, g, b: F.batch_norm(t, m, v, g, b, training=True), [x, gamma, beta])
    assert gn.gradcheck(lambda t, g, b: F.batch_norm(t[:, :, 0], None, None, g, b), [x, gamma, beta])
    m.requires_grad = v.requires_grad = True
    assert gn.gradcheck(lambda t, m, v, g: F.batch_norm(t, m, v, g), [x, m, v, gamma])  # eval: ∂/∂m, ∂/∂v too


def test_batch_norm_errors_say_what_to_do() -> None:
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ShapeError, match=r"BatchNorm1d\(4\) got input of shape \(2, 5\); expected \(N, 4\)"):
        bn(np.zeros((2, 5), dtype=np.float32))
    with pytest.raises(GlassnetError, match=r"more than one value per feature.*call .eval()"):
        bn(np.zeros((1, 4), dtype=np.float32))
    bn.eval()
    assert bn(np.zeros((1, 4), dtype=np.float32)).shape == (1, 4)  # eval takes a single sample
    with pytest.raises(ShapeError, match=r"LayerNorm\(\(3,\)\) got input of shape \(2, 4\)"):
        nn.LayerNorm(3)(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(GlassnetError, match="num_features > 0"):
        nn.BatchNorm1d(0)


def test_embedding_matches_torch_with_repeats_and_padding() -> None:
    theirs = torch.nn.Embedding(7, 3, padding_idx=2)
    ours = nn.Embedding(7, 3, padding_idx=2, dtype=np.float64)
    _copy_from_torch(ours, theirs)
    idx = np.array([[1, 2, 1], [6, 2, 0]])  # row 1 twice, the padding row twice
    y, yt = ours(idx), theirs(torch.from_numpy(idx))
    assert_close(y, yt)
    g = RNG.standard_normal(y.shape)
    y.backward(g)
    yt.backward(to_torch(g))
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert not ours.weight.grad[2].any() and not ours.weight.grad[3].any()
    assert np.allclose(ours.weight.grad[1], g[0, 0] + g[0, 2])
    assert gn.gradcheck(lambda w: nn.functional.embedding(idx, w), [gn.tensor(RNG.standard_normal((7, 3)),
                                                                              requires_grad=True)])
    fresh = nn.Embedding(7, 3, padding_idx=-1, generator=0)
    assert fresh.padding_idx == 6 and not fresh.weight.numpy()[6].any() and fresh.weight.numpy().std() > 0.5


def test_embedding_indices_are_checked_where_they_enter() -> None:
    emb = nn.Embedding(5, 2, generator=0)
    with pytest.raises(GlassnetError, match="embedding index 5 is out of range: the table has 5 rows"):
        emb(np.array([0, 5]))
    with pytest.raises(GlassnetError, match="integer indices, got dtype float64"):
        emb(np.array([0.5]))
    assert np.array_equal(emb(np.array([1.0, 3.0])).numpy(), emb(np.array([1, 3])).numpy())  # whole floats
    frozen = nn.Embedding.from_pretrained(np.eye(3))
    assert frozen.weight.dtype == np.float64 and not frozen.weight.requires_grad


def test_flatten_and_unflatten_match_torch() -> None:
    x = RNG.standard_normal((2, 3, 4, 5))
    for args in [(), (0, 1), (1, 2), (-2, -1), (0, -1)]:
        assert_close(nn.Flatten(*args)(x), torch.nn.Flatten(*args)(to_torch(x)))
    for dim, sizes in [(1, (3, 1)), (-1, (5, -1)), (2, (2, 2))]:
        assert_close(nn.Unflatten(dim, sizes)(x), torch.nn.Unflatten(dim, sizes)(to_torch(x)))
    with pytest.raises(ShapeError, match=r"axis 2 has 4 elements, which do not split into \(3, 2\)"):
        nn.Unflatten(2, (3, 2))(x)
    x_t = gn.tensor(x, requires_grad=True)
    assert gn.gradcheck(lambda t: nn.Unflatten(1, (1, 3))(nn.Flatten(2)(t)), [x_t])


def test_lazy_linear_becomes_the_linear_it_would_have_been() -> None:
    lazy, plain = nn.LazyLinear(4, generator=3), nn.Linear(5, 4, generator=3)
    assert [type(p) for p in lazy.parameters()] == [nn.UninitializedParameter] * 2
    assert repr(lazy) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    opt = optim.SGD(lazy.parameters(), lr=0.1)  # as in PyTorch, the same objects become Parameters
    with pytest.raises(GlassnetError, match=r"not initialized yet.*call the model once on a batch first"):
        lazy.state_dict()
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    assert np.array_equal(lazy(x).numpy(), plain(x).numpy())  # the same draws as a Linear(5, 4)
    assert type(lazy) is nn.Linear and repr(lazy) == repr(plain) and lazy.in_features == 5
    assert opt.param_groups[0]["params"][0] is lazy.weight and type(lazy.weight) is nn.Parameter
    lazy(x).sum().backward()
    opt.step()
    assert not np.array_equal(lazy.weight.numpy(), plain.weight.numpy())
    theirs = torch.nn.LazyLinear(4)
    theirs(torch.ones(2, 6))
    loaded = nn.LazyLinear(4).double()  # load_state_dict gives it its shape, as in PyTorch
    loaded.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert type(loaded) is nn.Linear and loaded.in_features == 6 and loaded.weight.dtype == np.float64
    assert_close(loaded(np.ones((2, 6))), theirs(torch.ones(2, 6)))


class Net(nn.Module):
    """Embedding → Flatten → Linear → BatchNorm1d → ReLU → LayerNorm → Linear, a user's own Module."""

    def __init__(self, dtype: Any = np.float64) -> None:
        super().__init__()
        self.emb = nn.Embedding(6, 3, dtype=dtype, generator=0)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(12, 8, dtype=dtype, generator=1),
                                  nn.BatchNorm1d(8, dtype=dtype), nn.ReLU(), nn.LayerNorm(8, dtype=dtype),
                                  nn.Linear(8, 3, dtype=dtype, generator=2))

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.body(self.emb(x))


def _fit(replay: bool, model: nn.Module, X: np.ndarray, y: np.ndarray) -> Any:
    steps.REPLAY = replay
    try:
        return gn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), X, y,
                      epochs=3, batch_size=10, seed=0, verbose=0, diagnostics=False)
    finally:
        steps.REPLAY = True


def test_fit_with_batch_norm_replays_the_graphs_numbers_and_eval_uses_running_stats() -> None:
    X = RNG.integers(0, 6, (60, 4)).astype(np.float64)  # indices as fit gives them: the model's dtype
    y = RNG.integers(0, 3, 60)
    replayed, graph = Net(), Net()
    history = _fit(True, replayed, X, y)
    _fit(False, graph, X, y)
    assert sum(history.history["steps/replayed"]) > 0 and not history.graph_reasons
    for (name, a), b in zip(replayed.state_dict().items(), graph.state_dict().values(), strict=True):
        assert np.array_equal(a, b), name  # weights and running statistics, bit for bit
    bn = replayed.body[2]
    assert int(bn.num_batches_tracked.item()) == 18
    assert history.history["loss"][-1] < history.history["loss"][0]
    replayed.eval()
    h = replayed.body[1](replayed.body[0](replayed.emb(X[:5]))).numpy()
    expected = (h - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + bn.eps) * bn.weight.numpy()
    assert np.allclose(bn(h).numpy(), expected + bn.bias.numpy(), rtol=1e-12, atol=1e-12)
    assert np.array_equal(gn.predict(replayed, X[:5]), gn.predict(replayed, X[:5]))  # eval: no update
    assert int(bn.num_batches_tracked.item()) == 18


def test_new_layers_and_buffers_round_trip_through_model_files(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Embedding(6, 3, padding_idx=0, dtype=np.float64), nn.Flatten(),
                          nn.ModuleList([nn.Linear(12, 8), nn.BatchNorm1d(8, momentum=None)]),
                          nn.ModuleDict({"norm": nn.LayerNorm((2, 4), bias=False),
                                         "up": nn.Unflatten(1, (2, 4))}))
    model[2][1](gn.tensor(RNG.standard_normal((5, 8)).astype(np.float32)))  # running stats move
    gn.save(model, tmp_path / "m.safetensors")
    loaded = gn.load(tmp_path / "m.safetensors").model
    assert repr(loaded) == repr(model) and not loaded.training
    for (name, a), (other, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert name == other and a.dtype == b.dtype and np.array_equal(a, b), name
    assert loaded[2][1].momentum is None and loaded[0].padding_idx == 0
    assert "2.1.num_batches_tracked" in gn.io.load_state_dict(tmp_path / "m.safetensors")
    with pytest.raises(GlassnetError, match="not initialized yet"):
        gn.save(nn.Sequential(nn.LazyLinear(2)), tmp_path / "lazy.safetensors")


def test_explain_says_plainly_what_it_cannot_walk() -> None:
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.Unflatten(1, (3, 1)),
                          nn.Linear(1, 1, dtype=np.float64))
    with pytest.raises(GlassnetError, match=r"explain handles Linear, Embedding, LayerNorm.*got Unflatten"):
        gn.explain(model, [1.0, 2.0], [0.5], nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
