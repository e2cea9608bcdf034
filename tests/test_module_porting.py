"""Module and optimizer surface as PyTorch's: buffers, state_dict keys, to(device, dtype), apply,
named_modules, named parameters and parameter groups in optimizers; and a tutorial-style MLP
written once for torch and once for glassnet, giving the same losses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim
from glassnet.errors import GlassnetError
from oracle import assert_close

RNG = np.random.default_rng(5)


def _as_numpy(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


class TorchMLP(torch.nn.Module):
    """The tutorial's model, in torch: Linear → LayerNorm → ReLU, blocks in a ModuleList, BatchNorm1d."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = torch.nn.Linear(4, 8)
        self.blocks = torch.nn.ModuleList([torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.LayerNorm(8),
                                                               torch.nn.ReLU()) for _ in range(2)])
        self.bn = torch.nn.BatchNorm1d(8)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.nn.functional.relu(self.inp(x))
        for block in self.blocks:
            x = block(x)
        return self.out(self.bn(x))


class MLP(nn.Module):
    """The same model, the same code, with glassnet's nn."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.ReLU())
                                     for _ in range(2)])
        self.bn = nn.BatchNorm1d(8)
        self.out = nn.Linear(8, 3)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        x = nn.functional.relu(self.inp(x))
        for block in self.blocks:
            x = block(x)
        return self.out(self.bn(x))


def test_a_tutorial_mlp_trains_to_torchs_losses_then_evaluates_alike() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"  # the tutorials' idiom (a CPU torch here)
    theirs = TorchMLP()
    ours = MLP().to(device).double()
    ours.load_state_dict(_as_numpy(theirs))
    X, y = RNG.standard_normal((40, 4)), RNG.integers(0, 3, 40)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    opt_g = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    for step in range(5):
        batch = slice(8 * step, 8 * step + 8)
        xt, yt, xg = torch.from_numpy(X[batch]), torch.from_numpy(y[batch]), gn.tensor(X[batch])
        for model, opt, loss_fn, x, t in ((theirs, opt_t, torch.nn.CrossEntropyLoss(), xt, yt),
                                          (ours, opt_g, nn.CrossEntropyLoss(), xg, y[batch])):
            opt.zero_grad()
            loss = loss_fn(model(x), t)
            loss.backward()
            opt.step()
            if model is theirs:
                expected = loss.item()
        assert loss.item() == pytest.approx(expected, rel=1e-10, abs=1e-12)
    for name, value in _as_numpy(theirs).items():
        assert_close(ours.state_dict()[name], value, rtol=1e-10, atol=1e-12)
    ours.eval()
    theirs.eval()
    with gn.no_grad(), torch.no_grad():
        assert_close(ours(X), theirs(torch.from_numpy(X)), rtol=1e-10, atol=1e-12)


def test_state_dict_has_torchs_keys_and_loads_torchs_values() -> None:
    theirs, ours = TorchMLP(), MLP()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # same names, same order
    ours.load_state_dict(_as_numpy(theirs))
    assert ours.bn.num_batches_tracked.dtype == np.int64 and ours.inp.weight.dtype == np.float32
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    keys = ours.load_state_dict({"inp.weight": np.zeros((8, 4)), "extra": np.zeros(1)}, strict=False)
    assert keys.unexpected_keys == ["extra"] and "bn.running_mean" in keys.missing_keys
    assert not ours.inp.weight.numpy().any()
    assert repr(ours.load_state_dict(ours.state_dict())) == "<All keys matched successfully>"


def test_register_buffer_is_saved_moved_and_not_learned() -> None:
    m = nn.Module()
    m.register_buffer("scale", gn.tensor(np.ones(3)))
    m.register_buffer("cache", gn.tensor(np.zeros(2)), persistent=False)
    m.register_buffer("empty", None)
    assert [n for n, _ in m.named_buffers()] == ["scale", "cache"] and list(m.parameters()) == []
    assert list(m.state_dict()) == ["scale"]
    m.float()
    assert m.scale.dtype == np.float32 and m.cache.dtype == np.float32
    m.empty = gn.tensor(np.ones(1))  # assigning to a registered name keeps it a buffer
    assert "empty" in m.state_dict()
    with pytest.raises(GlassnetError, match="cannot assign a int to the buffer 'empty'"):
        m.empty = 3
    with pytest.raises(GlassnetError, match=r"register_buffer.*Parameter"):
        m.register_buffer("w", nn.Parameter(np.ones(1)))
    bn = nn.BatchNorm1d(2).to(dtype=np.float64)
    assert bn.running_var.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64  # floats only
    assert bn.type(np.float32).num_batches_tracked.dtype == np.float32  # type(): every tensor, as torch


def test_to_takes_torchs_forms_and_refuses_other_devices() -> None:
    layer = nn.Linear(2, 2)
    assert layer.to("cpu") is layer and layer.cpu() is layer and layer.weight.dtype == np.float32
    layer.to(torch.device("cpu"), np.float64)
    assert layer.weight.dtype == np.float64
    layer.to(device="cpu", dtype=np.float32)
    assert layer.weight.dtype == np.float32
    layer.to(gn.tensor(np.zeros(1)))  # a tensor's dtype
    assert layer.bias.dtype == np.float64
    layer.to(torch.float32).to(None)  # a torch dtype by its name; None keeps the dtype
    assert layer.bias.dtype == np.float32
    if not gn.cuda.is_available():  # a GPU machine moves the layer (tests/backends)
        for device in ("cuda", "cuda:0"):
            with pytest.raises(GlassnetError, match=r"'cuda(:0)?' is not available.*cuda.is_available"):
                layer.to(device)
        with pytest.raises(GlassnetError, match="not available"):
            layer.cuda()
    for device in (torch.device("meta"), "mps"):
        with pytest.raises(GlassnetError, match=r"device '\w+' is not known.*cuda.is_available"):
            layer.to(device)
    with pytest.raises(GlassnetError, match="floating-point dtype"):
        layer.to(np.int64)
    with pytest.raises(GlassnetError, match="neither a device"):
        layer.to([1])


def test_apply_requires_grad_zero_grad_and_named_modules_as_torch() -> None:
    shared = nn.Linear(2, 2)
    net, ref_shared = nn.Sequential(shared, nn.ReLU(), shared), torch.nn.Linear(2, 2)
    ref = torch.nn.Sequential(ref_shared, torch.nn.ReLU(), ref_shared)
    assert [n for n, _ in net.named_modules()] == [n for n, _ in ref.named_modules()] == ["", "0", "1"]
    assert ([n for n, _ in net.named_modules(prefix="net", remove_duplicate=False)]
            == [n for n, _ in ref.named_modules(prefix="net", remove_duplicate=False)])
    assert len(list(net.children())) == len(list(ref.children())) == 2
    order: list[str] = []
    net.apply(lambda m: order.append(type(m).__name__))
    ref_order: list[str] = []
    ref.apply(lambda m: ref_order.append(type(m).__name__))
    assert order == ref_order == ["Linear", "ReLU", "Sequential"]
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(np.ones((1, 2), dtype=np.float32)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert not shared.weight.grad.any()
    net.zero_grad()
    assert shared.weight.grad is None


def _pair() -> tuple[torch.nn.Module, nn.Module]:
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    ours.load_state_dict(_as_numpy(theirs))
    return theirs, ours


def _steps(theirs: torch.nn.Module, ours: nn.Module, opt_t: Any, opt_g: Any, n: int = 6,
           between: Any = None) -> None:
    X, Y = RNG.standard_normal((n, 5, 3)), RNG.standard_normal((n, 5, 2))
    for i in range(n):
        for model, opt, x, y in ((theirs, opt_t, torch.from_numpy(X[i]), torch.from_numpy(Y[i])),
                                 (ours, opt_g, gn.tensor(X[i]), Y[i])):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
        if between is not None:
            between(i)
    for name, value in _as_numpy(theirs).items():
        assert_close(ours.state_dict()[name], value)


def test_optimizers_take_named_parameters_and_groups_with_their_own_options() -> None:
    theirs, ours = _pair()
    opt_t = torch.optim.Adam(theirs.named_parameters(), lr=0.01)
    opt_g = optim.Adam(ours.named_parameters(), lr=0.01)
    assert opt_g.param_groups[0]["param_names"] == opt_t.param_groups[0]["param_names"]
    _steps(theirs, ours, opt_t, opt_g)
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert opt_g.state_dict()["param_groups"][0]["param_names"] == names

    theirs, ours = _pair()
    named_t, named_g = list(theirs.named_parameters()), list(ours.named_parameters())
    opt_t = torch.optim.SGD([{"params": named_t[:2], "lr": 0.05}, {"params": named_t[2:]}], lr=0.1,
                            momentum=0.9)
    opt_g = optim.SGD([{"params": named_g[:2], "lr": 0.05}, {"params": named_g[2:]}], lr=0.1, momentum=0.9)

    def decay(i: int) -> None:  # a write into param_groups takes effect at the next step
        for opt in (opt_t, opt_g):
            opt.param_groups[1]["lr"] *= 0.5

    _steps(theirs, ours, opt_t, opt_g, between=decay)
    assert [g["lr"] for g in opt_g.param_groups] == [g["lr"] for g in opt_t.param_groups]
    with pytest.raises(GlassnetError, match="without names to an optimizer whose groups are with names"):
        opt_g.add_param_group({"params": [nn.Parameter(np.ones(1))]})
    with pytest.raises(GlassnetError, match="mixes named and unnamed"):
        optim.SGD([named_g[0], named_g[1][1]], lr=0.1)


def test_add_param_group_and_optimizer_state_round_trip_as_torch() -> None:
    theirs, ours = _pair()
    opt_t = torch.optim.Adam(theirs[0].parameters(), lr=0.01)
    opt_g = optim.Adam(ours[0].parameters(), lr=0.01)
    opt_t.add_param_group({"params": theirs[2].parameters(), "lr": 0.002, "betas": (0.8, 0.99)})
    opt_g.add_param_group({"params": ours[2].parameters(), "lr": 0.002, "betas": (0.8, 0.99)})
    _steps(theirs, ours, opt_t, opt_g, n=3)
    again = optim.Adam([{"params": ours[0].parameters()}, {"params": ours[2].parameters()}], lr=0.5)
    again.load_state_dict(opt_g.state_dict())
    assert again.param_groups[1]["lr"] == 0.002 and again.param_groups[1]["betas"] == (0.8, 0.99)
    _steps(theirs, ours, opt_t, again, n=3)  # the restored optimizer continues torch's trajectory


def test_state_dict_keep_vars_gives_the_parameters_themselves() -> None:
    import glassnet as gn

    net = gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.BatchNorm1d(3))
    kept, copied = net.state_dict(keep_vars=True), net.state_dict()
    assert kept["0.weight"] is net[0].weight and kept["1.running_mean"] is net[1].running_mean
    assert list(kept) == list(copied) and copied["0.weight"] is not net[0].weight
