"""PyTorch's Tensor surface on glassnet: methods, functions, factories, dtypes, devices, seeds.

Every differentiable method is checked against PyTorch 2.13 in float64 (values and gradients to
1e-12) and by gradcheck; the rest (indices, dtypes, shapes, errors) against PyTorch or by value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetError

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((3, 4, 2))  # no ties: max/min have one winner


def same_as_torch(ours: Callable[[Any], Any], theirs: Callable[[Any], Any], x: np.ndarray = X) -> None:
    """Values and the gradient of a random projection of the output agree with PyTorch to 1e-12."""
    a = gn.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out, ref = ours(a), theirs(t)
    np.testing.assert_allclose(np.asarray(out), ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    r = np.random.default_rng(1).standard_normal(ref.shape)
    (out * gn.tensor(r)).sum().backward()
    (ref * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert gn.gradcheck(ours, [gn.tensor(x, requires_grad=True)])


def _grids(pair: Any) -> Any:
    return pair[0] + 2 * pair[1]  # both grids reach the output, with different weights


DIFFERENTIABLE = {
    "view": (lambda a: a.view(4, 6), lambda t: t.view(4, 6)),
    "view -1": (lambda a: a.view(-1, 2), lambda t: t.view(-1, 2)),
    "unsqueeze": (lambda a: a.unsqueeze(1), lambda t: t.unsqueeze(1)),
    "unsqueeze -1": (lambda a: a.unsqueeze(-1), lambda t: t.unsqueeze(-1)),
    "squeeze": (lambda a: a[:, :1].squeeze(1), lambda t: t[:, :1].squeeze(1)),
    "squeeze all": (lambda a: a[:1, :, :1].squeeze(), lambda t: t[:1, :, :1].squeeze()),
    "flatten": (lambda a: a.flatten(), lambda t: t.flatten()),
    "flatten 1": (lambda a: a.flatten(1), lambda t: t.flatten(1)),
    "flatten 0 1": (lambda a: a.flatten(0, 1), lambda t: t.flatten(0, 1)),
    "permute": (lambda a: a.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    "transpose swap": (lambda a: a.transpose(0, 2), lambda t: t.transpose(0, 2)),
    "t": (lambda a: a[0].t(), lambda t: t[0].t()),
    "T": (lambda a: a[0].T, lambda t: t[0].T),
    "mm": (lambda a: a[0].mm(a[1].t()), lambda t: t[0].mm(t[1].t())),
    "matmul": (lambda a: gn.matmul(a, a.transpose(1, 2)), lambda t: torch.matmul(t, t.transpose(1, 2))),
    "pow": (lambda a: a.pow(3), lambda t: t.pow(3)),
    "square": (lambda a: a.square(), lambda t: t.square()),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5)),
    "clamp min": (lambda a: gn.clamp(a, min=0.1), lambda t: torch.clamp(t, min=0.1)),
    "sin": (lambda a: a.sin(), lambda t: t.sin()),
    "cos": (lambda a: gn.cos(a), lambda t: torch.cos(t)),
    "tanh": (lambda a: a.tanh(), lambda t: t.tanh()),
    "sigmoid": (lambda a: gn.sigmoid(a), lambda t: torch.sigmoid(t)),
    "relu": (lambda a: a.relu(), lambda t: t.relu()),
    "softmax": (lambda a: a.softmax(dim=1), lambda t: t.softmax(dim=1)),
    "log_softmax": (lambda a: gn.log_softmax(a, dim=-1), lambda t: torch.log_softmax(t, dim=-1)),
    "sum dim keepdim": (lambda a: a.sum(dim=1, keepdim=True), lambda t: t.sum(dim=1, keepdim=True)),
    "mean dims": (lambda a: a.mean(dim=(0, 2)), lambda t: t.mean(dim=(0, 2))),
    "var": (lambda a: a.var(), lambda t: t.var()),
    "var dim": (lambda a: a.var(dim=1), lambda t: t.var(dim=1)),
    "var biased": (lambda a: a.var(1, unbiased=False), lambda t: t.var(1, unbiased=False)),
    "var correction": (lambda a: a.var(dim=(0, 1), correction=0, keepdim=True),
                       lambda t: t.var(dim=(0, 1), correction=0, keepdim=True)),
    "std": (lambda a: a.std(), lambda t: t.std()),
    "std dim": (lambda a: gn.std(a, dim=0), lambda t: torch.std(t, dim=0)),
    "norm": (lambda a: a.norm(), lambda t: t.norm()),
    "norm dim": (lambda a: a.norm(dim=1), lambda t: t.norm(dim=1)),
    "norm 1": (lambda a: a.norm(p=1, dim=-1), lambda t: t.norm(p=1, dim=-1)),
    "norm 3": (lambda a: a.norm(p=3), lambda t: t.norm(p=3)),
    "max": (lambda a: a.max(), lambda t: t.max()),
    "max dim values": (lambda a: a.max(dim=1).values, lambda t: t.max(dim=1).values),
    "min dim keepdim": (lambda a: gn.min(a, 2, keepdim=True)[0], lambda t: torch.min(t, 2, keepdim=True)[0]),
    "max other": (lambda a: gn.max(a, -a), lambda t: torch.max(t, -t)),
    "maximum": (lambda a: gn.maximum(a, a * 0.5), lambda t: torch.maximum(t, t * 0.5)),
    "clone": (lambda a: a.clone() * a, lambda t: t.clone() * t),
    "to float64": (lambda a: a.to(gn.float64) + 1, lambda t: t.to(torch.float64) + 1),
    "double": (lambda a: a.double(), lambda t: t.double()),
    "add alpha": (lambda a: a.add(a * a, alpha=2.0), lambda t: t.add(t * t, alpha=2.0)),
    "sub alpha": (lambda a: a.sub(1.0, alpha=3.0), lambda t: t.sub(1.0, alpha=3.0)),
    "neg": (lambda a: gn.neg(a), lambda t: torch.neg(t)),
    "sinh": (lambda a: gn.sinh(a), lambda t: torch.sinh(t)),
    "cosh": (lambda a: a.cosh(), lambda t: t.cosh()),
    "bmm": (lambda a: gn.bmm(a, a.transpose(1, 2)), lambda t: torch.bmm(t, t.transpose(1, 2))),
    "expand": (lambda a: a[:, :1].expand(3, 4, 2) * a, lambda t: t[:, :1].expand(3, 4, 2) * t),
    "expand -1": (lambda a: a[0, :1].expand(2, -1, 2), lambda t: t[0, :1].expand(2, -1, 2)),
    "repeat": (lambda a: a[0].repeat(2, 3), lambda t: t[0].repeat(2, 3)),
    "repeat new axis": (lambda a: a[0, 0].repeat(2, 1, 2), lambda t: t[0, 0].repeat(2, 1, 2)),
    "swapaxes": (lambda a: gn.swapaxes(a, 0, -1), lambda t: torch.swapaxes(t, 0, -1)),
    "meshgrid": (lambda a: _grids(gn.meshgrid(a[0, :, 0], a[1, :3, 1])),
                 lambda t: _grids(torch.meshgrid(t[0, :, 0], t[1, :3, 1], indexing="ij"))),
    "meshgrid xy": (lambda a: gn.meshgrid(a[0, :, 0], a[1, :3, 1], indexing="xy")[0],
                    lambda t: torch.meshgrid(t[0, :, 0], t[1, :3, 1], indexing="xy")[0]),
}


def test_the_names_a_helper_library_aliases_exist() -> None:
    """A d2l-style helper library binds these torch names at import; each exists in glassnet."""
    names = ["ones_like", "ones", "zeros_like", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos",
             "cosh", "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "int64",
             "float32", "concat", "stack", "abs", "eye", "sigmoid", "bmm", "cat", "no_grad", "manual_seed"]
    assert [n for n in names if not hasattr(gn, n)] == []
    x = gn.arange(6.0).reshape(2, 3)
    assert x.numel() == 6 and x.t().shape == (3, 2) and x.swapaxes(0, 1).shape == (3, 2)
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.type(gn.int32).dtype == gn.int32
    assert x.repeat(2, 1).shape == (4, 3) and x.detach().numpy().shape == (2, 3)


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_differentiable_methods_match_torch(name: str) -> None:
    same_as_torch(*DIFFERENTIABLE[name])


def test_max_and_min_along_a_dim_give_values_and_indices() -> None:
    a, t = gn.tensor(X), torch.tensor(X)
    for dim in (0, 1, -1):
        values, indices = a.max(dim)
        ref = t.max(dim)
        np.testing.assert_array_equal(np.asarray(values), ref.values.numpy())
        np.testing.assert_array_equal(np.asarray(indices), ref.indices.numpy())
        assert indices.dtype == gn.int64
        np.testing.assert_array_equal(np.asarray(gn.min(a, dim).indices), torch.min(t, dim).indices.numpy())
    np.testing.assert_array_equal(np.asarray(a.max(axis=1)), X.max(axis=1))  # NumPy's form: values
    np.testing.assert_array_equal(np.asarray(a.argmax()), t.argmax().numpy())
    np.testing.assert_array_equal(np.asarray(a.argmin(dim=2, keepdim=True)),
                                  t.argmin(dim=2, keepdim=True).numpy())


def test_comparisons_are_elementwise_boolean_tensors() -> None:
    a, b = gn.tensor([1, 2, 3]), gn.tensor([1, 0, 3])
    for ours, theirs in [(a == b, [True, False, True]), (a != b, [False, True, False]),
                         (a > b, [False, True, False]), (a.le(b), [True, False, True]),
                         (a.ge(2), [False, True, True]), (a.lt(b), [False] * 3),
                         (a.eq(b), [True, False, True]), (gn.ne(a, b), [False, True, False])]:
        assert isinstance(ours, gn.Tensor) and ours.dtype == gn.bool
        assert ours.tolist() == theirs
    accuracy = (a == b).type(gn.float).sum().item() / len(a)
    assert accuracy == pytest.approx(2 / 3)
    assert float(np.mean(a == b)) == pytest.approx(2 / 3)  # NumPy's mean of a boolean Tensor
    assert (a == b).float().mean().item() == pytest.approx(2 / 3)
    assert (a == b).any() and not (a == b).all()
    assert a.equal(gn.tensor([1, 2, 3])) and not a.equal(b)


def test_tensors_stay_hashable_and_lists_of_them_work() -> None:
    a, b = gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1
    assert a in [a] and [a, b].index(a) == 0  # found by identity before == is asked (as in PyTorch)
    with pytest.raises(GlassnetError, match="ambiguous"):
        bool(a == b)


def test_python_conversions() -> None:
    loss = gn.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and f"{gn.tensor([1.0, 2.0])}" == str(gn.tensor([1.0, 2.0]))
    with pytest.raises(GlassnetError, match="format"):
        f"{gn.tensor([1.0, 2.0]):.2f}"
    classes = ["a", "b", "c"]
    assert classes[gn.tensor(2)] == "c" and classes[gn.tensor([1]).argmax()] == "a"
    with pytest.raises(TypeError):
        classes[gn.tensor(1.0)]
    assert float(gn.tensor([2.5])) == 2.5 and int(gn.tensor(3)) == 3 and bool(gn.tensor(1.0))
    assert gn.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(GlassnetError, match="one element"):
        float(gn.tensor([1.0, 2.0]))


def test_size_dim_numel_type_and_casts() -> None:
    a = gn.zeros(2, 3)
    assert a.size() == (2, 3) and a.size(1) == 3 and a.size(-1) == 3 and a.dim() == 2 and a.numel() == 6
    assert a.type() == "glassnet.FloatTensor" and a.double().type() == "glassnet.DoubleTensor"
    assert a.long().dtype == gn.int64 and a.int().dtype == gn.int32 and a.bool().dtype == gn.bool
    assert a.type(gn.float64).dtype == gn.float64 and a.to(gn.float16).dtype == gn.float16
    assert a.float() is a and a.to("cpu") is a and a.cpu() is a
    assert a.to(gn.zeros(1, dtype=gn.float64)).dtype == gn.float64
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    assert w.long().requires_grad is False and w.double().requires_grad is True
    assert w.grad_fn is None and (w * 2).grad_fn.name() == "MulBackward0"
    assert repr((w + w).grad_fn) == "<AddBackward0 object>"
    assert gn.tensor([1, 2]).is_floating_point() is False and w.is_floating_point()


# ----------------------------------------------------------------------------- .data and .grad
def test_data_and_grad_are_tensors_sharing_memory() -> None:
    net = gn.nn.Linear(3, 2)
    net.weight.data.normal_(0.0, 0.01, generator=0)
    net.bias.data.fill_(0.01)
    assert np.all(np.asarray(net.bias) == np.float32(0.01)) and abs(np.asarray(net.weight)).max() < 0.1
    net.weight.data.uniform_(-1, 1)
    assert net.weight.requires_grad and isinstance(net.weight.data, gn.Tensor)
    assert not net.weight.data.requires_grad
    x = gn.ones(4, 3)
    net(x).sum().backward()
    g = net.weight.grad
    assert isinstance(g, gn.Tensor) and g.shape == (2, 3)
    before = np.asarray(net.weight).copy()
    net.weight.data.add_(g, alpha=-0.1)  # p.data.add_(-lr, grad) in older tutorials
    np.testing.assert_allclose(np.asarray(net.weight), before - 0.1 * np.asarray(g), rtol=1e-6)
    net.weight.grad.zero_()
    assert not np.asarray(net.weight.grad).any() and net.weight.grad_array is not None
    net.weight.data = gn.zeros(2, 3)
    assert not np.asarray(net.weight).any() and net.weight.requires_grad


def test_assigning_grad_is_checked_at_once() -> None:
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GlassnetError, match="must be a Tensor"):
        w.grad = 0.0
    with pytest.raises(GlassnetError, match="shape"):
        w.grad = gn.zeros(3)
    with pytest.raises(GlassnetError, match="floating"):
        w.grad = np.array([1, 2])
    w.grad = gn.ones(2)
    (w * w).sum().backward()  # accumulates into the given gradient: 1 + 2w
    assert w.grad.tolist() == [3.0, 5.0]
    w.grad = None
    assert w.grad is None


def test_item_assignment_follows_the_in_place_rules() -> None:
    t = gn.zeros(3)
    t[1] = 5.0
    t[gn.tensor([True, False, True])] = 2.0
    assert t.tolist() == [2.0, 5.0, 2.0]
    w = gn.zeros(2, requires_grad=True)
    with pytest.raises(GlassnetError, match="no_grad"):
        w[0] = 1.0
    with gn.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0]


def test_requires_grad_() -> None:
    x = gn.ones(2).requires_grad_()
    assert x.requires_grad and x.is_leaf
    with pytest.raises(GlassnetError, match="floating"):
        gn.tensor([1, 2]).requires_grad_()
    with pytest.raises(GlassnetError, match="leaf"):
        (x * 2).requires_grad_(False)


# ----------------------------------------------------------------------------- factories
@pytest.fixture
def torch_float32() -> Any:
    """PyTorch's own default dtype, float32 (tests/oracle.py sets float64 for the other tests)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(before)


def test_factories_give_torch_dtypes_and_shapes(torch_float32: None) -> None:
    cases = [
        (gn.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])),
        (gn.tensor([1, 2]), torch.tensor([1, 2])),
        (gn.tensor([True]), torch.tensor([True])),
        (gn.zeros(2, 3), torch.zeros(2, 3)),
        (gn.zeros((2, 3)), torch.zeros((2, 3))),
        (gn.ones([4], dtype=gn.float64), torch.ones([4], dtype=torch.float64)),
        (gn.empty(2), torch.zeros(2)),
        (gn.full((2, 2), 7), torch.full((2, 2), 7)),
        (gn.full((2,), 0.5), torch.full((2,), 0.5)),
        (gn.full((2,), True), torch.full((2,), True)),
        (gn.eye(3), torch.eye(3)),
        (gn.eye(2, 3), torch.eye(2, 3)),
        (gn.arange(5), torch.arange(5)),
        (gn.arange(1, 7, 2), torch.arange(1, 7, 2)),
        (gn.arange(0.0, 1.0, 0.25), torch.arange(0.0, 1.0, 0.25)),
        (gn.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)),
        (gn.zeros_like(gn.ones(2, dtype=gn.float64)), torch.zeros_like(torch.ones(2, dtype=torch.float64))),
        (gn.ones_like(gn.tensor([1, 2])), torch.ones_like(torch.tensor([1, 2]))),
        (gn.full_like(gn.zeros(2), 3.0), torch.full_like(torch.zeros(2), 3.0)),
        (gn.cat([gn.ones(2, 1), gn.zeros(2, 2)], dim=1),
         torch.cat([torch.ones(2, 1), torch.zeros(2, 2)], dim=1)),
        (gn.stack([gn.ones(2), gn.zeros(2)], dim=1), torch.stack([torch.ones(2), torch.zeros(2)], dim=1)),
        (gn.from_numpy(np.arange(3.0)), torch.from_numpy(np.arange(3.0))),
        (gn.as_tensor([1.5]), torch.as_tensor([1.5])),
    ]
    for ours, theirs in cases:
        assert ours.shape == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-7)
    for random in (gn.rand(2, 3), gn.randn((2, 3)), gn.normal(0.0, 1.0, (2, 3)),
                   gn.randn_like(gn.zeros(2, 3)), gn.rand_like(gn.zeros(2, 3))):
        assert random.shape == (2, 3) and random.dtype == gn.float32
    r = gn.randint(0, 10, (100,))
    assert r.dtype == gn.int64 and r.min().item() >= 0 and r.max().item() < 10
    assert gn.randint(3, (5,)).max().item() < 3 and sorted(gn.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    assert gn.normal(gn.zeros(3, dtype=gn.float64), gn.ones(3, dtype=gn.float64)).dtype == gn.float64
    assert gn.zeros(2, requires_grad=True).requires_grad


def test_tensor_copies_and_from_numpy_shares() -> None:
    a = np.zeros(2)
    copied, shared = gn.tensor(a), gn.from_numpy(a)
    a[0] = 1.0
    assert copied.tolist() == [0.0, 0.0] and shared.tolist() == [1.0, 0.0]
    assert gn.as_tensor(shared) is shared and gn.is_tensor(shared) and not gn.is_tensor(a)
    with pytest.raises(TypeError):
        gn.from_numpy([1.0])


def test_manual_seed_seeds_factories_and_layers_and_an_explicit_generator_wins() -> None:
    gn.manual_seed(123)
    a, net_a = gn.randn(4), gn.nn.Linear(3, 2)
    gn.manual_seed(123)
    b, net_b = gn.randn(4), gn.nn.Linear(3, 2)
    assert a.equal(b) and net_a.weight.equal(net_b.weight)
    c = gn.randn(4)
    assert not c.equal(a)
    assert gn.initial_seed() == 123
    g1, g2 = gn.Generator().manual_seed(5), gn.Generator().manual_seed(5)
    gn.manual_seed(1)
    x = gn.rand(3, generator=g1)
    gn.manual_seed(2)
    assert x.equal(gn.rand(3, generator=g2))  # the default generator's seed does not matter
    assert gn.nn.Linear(3, 2, generator=7).weight.equal(gn.nn.Linear(3, 2, generator=7).weight)


def test_manual_seed_reaches_a_dropout_made_before_it() -> None:
    drop = gn.nn.Dropout(0.5)
    x = gn.ones(1000)
    gn.manual_seed(0)
    first = drop(x)
    gn.manual_seed(0)
    assert drop(x).equal(first)


# ----------------------------------------------------------------------------- devices
def test_devices_answer_pytorchs_questions() -> None:
    """PyTorch's device idiom picks the CPU on a machine without a GPU; tests/backends covers the rest."""
    if gn.cuda.is_available():
        pytest.skip("this machine has a GPU: tests/backends/test_devices.py runs the cuda case")
    device = "cuda" if gn.cuda.is_available() else "cpu"
    assert device == "cpu" and gn.cuda.device_count() == 0 and not gn.backends.mps.is_available()
    assert not gn.accelerator.is_available() and gn.accelerator.current_accelerator() is None
    assert gn.device("cpu") == "cpu" and gn.device("cpu").type == "cpu" and str(gn.device("cpu:0")) == "cpu:0"
    x = gn.ones(2, device=device)
    assert x.to(device) is x and x.device == gn.device("cpu") and not x.is_cuda
    assert x.to(torch.device("cpu")) is x  # any object with .type names a device
    for bad in ("cuda", gn.device("cuda:0")):
        with pytest.raises(GlassnetError, match=r"device 'cuda(:0)?' is not available"):
            x.to(bad)
    with pytest.raises(GlassnetError, match="device 'mps' is not known"):
        x.to("mps")
    with pytest.raises(GlassnetError, match="not available"):
        gn.zeros(2, device="cuda")
    with pytest.raises(GlassnetError, match="not available"):
        x.cuda()
    layers = [gn.nn.Linear(2, 3, device=device), gn.nn.LazyLinear(3, device=device),
              gn.nn.LayerNorm(3, device=device), gn.nn.BatchNorm1d(3, device=device),
              gn.nn.Embedding(4, 2, device=device)]
    assert all(isinstance(layer, gn.nn.Module) for layer in layers)
    with pytest.raises(GlassnetError, match="not available"):
        gn.nn.Linear(2, 3, device="cuda")


def test_grad_mode_helpers() -> None:
    w = gn.ones(2, requires_grad=True)
    with gn.inference_mode():
        assert not (w * 2).requires_grad
    with gn.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad
    gn.set_grad_enabled(False)
    assert not gn.is_grad_enabled()
    gn.set_grad_enabled(True)
    assert gn.is_grad_enabled()


def test_integers_meeting_floats_take_the_floats_dtype_as_in_torch(torch_float32: None) -> None:
    i, f = np.array([1, 2, 3]), np.array([0.5, 1.5, 2.5], dtype=np.float32)
    cases = [lambda a, b: a * 2.5, lambda a, b: a / 2, lambda a, b: a / a, lambda a, b: 3 / a,
             lambda a, b: b ** a, lambda a, b: a + b, lambda a, b: b - a, lambda a, b: a * a,
             lambda a, b: a.unsqueeze(-1).pow(a), lambda a, b: gn.maximum(a, b) if isinstance(a, gn.Tensor)
             else torch.maximum(a, b)]
    for case in cases:
        ours, theirs = case(gn.tensor(i), gn.tensor(f)), case(torch.tensor(i), torch.tensor(f))
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), case
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-6)
