"""nn.ModuleList, nn.ModuleDict and Sequential's list methods, checked against torch.nn; layers in a
plain list or dict are refused; a model of containers trains, converts and switches mode throughout."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import nn
from oracle import assert_close, to_torch

# ----------------------------------------------------------------------------- the same edits as torch
# Each layer is Linear(1, tag) with a distinct tag, so a container's contents read as its tags.
INDEX = st.integers(-6, 6)
SEQUENCE_EDITS = st.lists(st.one_of(
    st.tuples(st.just("append")), st.tuples(st.just("extend"), st.integers(0, 3)),
    st.tuples(st.just("iadd"), st.integers(0, 3)), st.tuples(st.just("insert"), INDEX),
    st.tuples(st.just("pop"), INDEX), st.tuples(st.just("del"), INDEX), st.tuples(st.just("set"), INDEX),
    st.tuples(st.just("del slice"), INDEX, INDEX, st.sampled_from([None, 1, 2, -1])),
), max_size=12)


def tags(container: Any) -> list[int]:
    return [layer.out_features for layer in container]


def shapes(state: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(value.shape) for name, value in state.items()}


def make(lib: Any, kind: str, layers: list[Any]) -> Any:
    """A glassnet or torch ModuleList or Sequential of ``layers``."""
    return getattr(lib, kind)(layers) if kind == "ModuleList" else getattr(lib, kind)(*layers)


def apply(container: Any, edit: tuple[Any, ...], lib: Any, tag: int) -> Any:
    """Make ``edit`` to a glassnet or torch container; what it returns, or IndexError if it raised one."""
    op, *args = edit
    layer = lib.Linear
    new = [layer(1, tag + i) for i in range(args[0])] if op in ("extend", "iadd") else []
    try:
        if op == "append":
            container.append(layer(1, tag))
        elif op == "extend":
            container.extend(new)
        elif op == "iadd":  # torch's Sequential adds only a Sequential
            container += make(lib, type(container).__name__, new)
        elif op == "insert":
            container.insert(args[0], layer(1, tag))
        elif op == "pop":
            return container.pop(args[0]).out_features
        elif op == "del":
            del container[args[0]]
        elif op == "set":
            container[args[0]] = layer(1, tag)
        else:
            del container[slice(*args)]
    except IndexError:
        return IndexError
    return None


@settings(max_examples=120, deadline=None)
@given(edits=SEQUENCE_EDITS, kind=st.sampled_from(["ModuleList", "Sequential"]))
def test_list_edits_match_torch(edits: list[tuple[Any, ...]], kind: str) -> None:
    ours, theirs = make(nn, kind, [nn.Linear(1, 1)]), make(torch.nn, kind, [torch.nn.Linear(1, 1)])
    for step, edit in enumerate(edits):
        if kind == "ModuleList" and edit[0] == "insert" and not 0 <= edit[1] <= len(theirs):
            continue  # torch's ModuleList.insert mishandles these; ours takes them as Sequential.insert does
        tag = 10 * step + 2
        assert apply(ours, edit, nn, tag) == apply(theirs, edit, torch.nn, tag), edit
        assert tags(ours) == tags(theirs) and len(ours) == len(theirs)
        assert shapes(ours.state_dict()) == shapes(theirs.state_dict())
        assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("kind", ["ModuleList", "Sequential"])
def test_indexing_and_slicing(kind: str) -> None:
    layers = [nn.Linear(1, k) for k in range(1, 6)]
    container = nn.ModuleList(layers) if kind == "ModuleList" else nn.Sequential(*layers)
    assert container[0] is layers[0] and container[-1] is layers[-1] and container[np.int64(2)] is layers[2]
    part = container[1:4:2]
    assert type(part) is type(container) and list(part) == [layers[1], layers[3]]
    assert list(part.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]  # numbered anew
    assert part[0] is layers[1]  # the same modules, not copies
    longer = container + [nn.ReLU()]  # noqa: RUF005 (the container's own +)
    assert type(longer) is type(container) and list(longer)[:5] == layers and len(container) == 5
    with pytest.raises(IndexError, match=r"index 5 is out of range.*from -5 to 4"):
        container[5]
    with pytest.raises(gn.GlassnetError, match="index -6 is out of range"):
        container[-6]
    with pytest.raises(gn.GlassnetError, match="indices are ints or slices, got str"):
        container["0"]  # type: ignore[call-overload]
    assert container.pop(slice(0, 2))[1] is layers[1] and list(container) == layers[2:]


def test_module_dict_edits_match_torch() -> None:
    ours = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Linear(1, 2)})
    theirs = torch.nn.ModuleDict({"b": torch.nn.Linear(1, 1), "a": torch.nn.Linear(1, 2)})
    for d, lib in ((ours, nn), (theirs, torch.nn)):
        d["c"] = lib.Linear(1, 3)
        d["b"] = lib.Linear(1, 4)  # replacing keeps the key's place
        d.update([("d", lib.Linear(1, 5)), ("a", lib.Linear(1, 6))])
        d.update({"e": lib.Linear(1, 7)})
        del d["c"]
        assert d.pop("d").out_features == 5
    assert list(ours) == list(theirs) == ["b", "a", "e"]
    assert list(ours.keys()) == list(theirs.keys()) and tags(ours.values()) == tags(theirs.values())
    assert [(k, v.out_features) for k, v in ours.items()] == [(k, v.out_features) for k, v in theirs.items()]
    assert list(ours.state_dict()) == list(theirs.state_dict()) and len(ours) == len(theirs) == 3
    assert "a" in ours and "c" not in ours and "training" not in ours and 1 not in ours
    assert ours.a is ours["a"]  # each module is an attribute too, as in torch
    ours.clear()
    assert len(ours) == 0 and not list(ours.parameters())


@pytest.mark.parametrize(("key", "match"), [
    ("training", "'training' is already an attribute"), ("keys", "'keys' is already an attribute"),
    ("a.b", "cannot be empty or contain '.'"), ("", "cannot be empty"),
    (3, "keys are strings, got the int 3"),
])
def test_module_dict_refuses_keys_torch_refuses(key: Any, match: str) -> None:
    with pytest.raises(gn.GlassnetError, match=match):
        nn.ModuleDict({key: nn.ReLU()})
    with pytest.raises((KeyError, TypeError)):
        torch.nn.ModuleDict({key: torch.nn.ReLU()})


def test_module_dict_errors() -> None:
    d = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(KeyError, match=r"ModuleDict has no key 'b'; its keys are \['a'\]") as caught:
        d["b"]
    assert isinstance(caught.value, gn.GlassnetError)
    with pytest.raises(gn.GlassnetError, match="item 1 should be a \\(key, module\\) pair"):
        d.update([("x", nn.ReLU()), ("y",)])
    assert list(d) == ["a"]  # nothing added from a refused update
    with pytest.raises(gn.GlassnetError, match=r"ModuleDict\['x'\] must be a Module.*got 3 of type int"):
        d["x"] = 3  # type: ignore[assignment]
    with pytest.raises(gn.GlassnetError, match="takes a mapping or \\(key, module\\) pairs, got int"):
        d.update(3)  # type: ignore[arg-type]


def test_what_is_not_a_module_is_refused_with_a_hint() -> None:
    with pytest.raises(gn.GlassnetError, match=r"item 1 must be a Module.*did you mean ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)  # type: ignore[arg-type]
    with pytest.raises(gn.GlassnetError, match=r"ModuleList\.append must be a Module.*of type function"):
        nn.ModuleList().append(lambda x: x)  # type: ignore[arg-type]
    with pytest.raises(gn.GlassnetError, match="takes an iterable of Modules, got Linear; wrap"):
        nn.ModuleList(nn.Linear(2, 2))  # type: ignore[arg-type]
    blocks = nn.ModuleList([nn.ReLU()])
    with pytest.raises(gn.GlassnetError, match="item 1 must be a Module"):
        blocks.extend([nn.Tanh(), "tanh"])  # type: ignore[list-item]
    assert len(blocks) == 1  # checked before any was added


def test_calling_a_container_raises_as_in_torch() -> None:
    for container in (nn.ModuleList([nn.ReLU()]), nn.ModuleDict({"a": nn.ReLU()})):
        with pytest.raises(NotImplementedError, match="cannot be called: it only holds modules") as caught:
            container(gn.tensor(np.ones(2)))
        assert isinstance(caught.value, gn.GlassnetError)
    with pytest.raises(NotImplementedError):
        torch.nn.ModuleList([torch.nn.ReLU()])(torch.ones(2))


def test_a_sequential_holds_modules_only_by_position() -> None:
    net = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(gn.GlassnetError, match="by position, so a module cannot be added as attribute 'head"):
        net.head = nn.Linear(2, 1)
    net.note = "kept"  # anything else is an ordinary attribute
    setattr(net, "0", nn.Linear(2, 3))  # replacing a position is net[0] = ...
    assert net[0].out_features == 3 and len(net) == 1


# ----------------------------------------------------------------------------- plain lists and dicts
class Holder(nn.Module):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.blocks = value


@pytest.mark.parametrize(("value", "kind", "fix"), [
    ([nn.Linear(2, 2)], "list", "ModuleList"), ((nn.ReLU(), nn.Tanh()), "tuple", "ModuleList"),
    ({nn.ReLU()}, "set", "ModuleList"), ({"a": nn.ReLU()}, "dict", "ModuleDict"),
    ([[nn.ReLU()]], "list", "ModuleList"), ([("head", nn.Linear(2, 1))], "list", "ModuleList"),
    ({"a": {"b": nn.ReLU()}}, "dict", "ModuleDict"), ([nn.ModuleList()], "list", "ModuleList"),
])
def test_layers_in_a_plain_container_are_refused(value: Any, kind: str, fix: str) -> None:
    with pytest.raises(gn.GlassnetError, match=rf"Holder\.blocks was given a plain {kind} holding Modules"
                                               rf".*never be trained, saved.*nn\.{fix}"):
        Holder(value)


@pytest.mark.parametrize("value", [[], [1, 2], (np.zeros(2), "a"), {"lr": 0.1}, {1, 2}, [[[1]]]])
def test_plain_containers_without_layers_are_fine(value: Any) -> None:
    assert Holder(value).blocks is value


# ----------------------------------------------------------------------------- a model of containers
class Net(nn.Module):
    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.stem = nn.Linear(3, 4, dtype=np.float64, generator=seed)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(4, 4, dtype=np.float64, generator=seed + i),
                                                   nn.Tanh()) for i in range(1, 3)])
        self.heads = nn.ModuleDict({"out": nn.Linear(4, 2, dtype=np.float64, generator=seed + 3),
                                    "aux": nn.Linear(4, 1, dtype=np.float64, generator=seed + 4)})

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        h = self.stem(x)
        for block in self.blocks:
            h = block(h) + h
        return self.heads["out"](h) + self.heads["aux"](h)


class TorchNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Linear(3, 4)
        self.blocks = torch.nn.ModuleList([torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh())
                                           for _ in range(2)])
        self.heads = torch.nn.ModuleDict({"out": torch.nn.Linear(4, 2), "aux": torch.nn.Linear(4, 1)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for block in self.blocks:
            h = block(h) + h
        return self.heads["out"](h) + self.heads["aux"](h)


def test_state_dict_names_and_numbers_match_torch() -> None:
    ours, theirs = Net(), TorchNet()
    assert shapes(ours.state_dict()) == shapes(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())  # same names, same order
    assert "blocks.1.0.weight" in ours.state_dict() and "heads.aux.bias" in ours.state_dict()
    theirs.load_state_dict({k: to_torch(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3))
    out, ref = ours(gn.tensor(x)), theirs(to_torch(x))
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    for (name, p), (ref_name, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert name == ref_name
        assert_close(p.grad, q.grad)


def test_mode_gradients_dtype_and_state_reach_inside_containers() -> None:
    net = Net()
    assert [type(m).__name__ for m in net.modules()] == [
        "Net", "Linear", "ModuleList", "Sequential", "Linear", "Tanh", "Sequential", "Linear", "Tanh",
        "ModuleDict", "Linear", "Linear"]
    assert len(list(net.parameters())) == 10
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(gn.tensor(np.ones((1, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    other = Net(seed=10).float()
    other.load_state_dict(net.state_dict())
    assert all(np.array_equal(a, b) for a, b in zip(net.state_dict().values(), other.state_dict().values(),
                                                      strict=True))
    twin = copy.deepcopy(net)
    assert twin.blocks[0][0] is not net.blocks[0][0]
    assert len(twin.blocks) == 2 and list(twin.heads) == ["out", "aux"]
    assert "(heads): ModuleDict(\n    (out): Linear" in repr(net)


def test_fit_trains_every_parameter_of_a_model_with_a_module_list() -> None:
    X, y = gn.data.make_spirals(120, seed=0)
    net = nn.Sequential(nn.Linear(2, 8, generator=0), nn.Tanh())
    blocks = nn.ModuleList([nn.Linear(8, 8, generator=i) for i in range(1, 4)])
    model = Stack(net, blocks, nn.Linear(8, 2, generator=4))
    before = model.state_dict()
    history = gn.fit(model, nn.CrossEntropyLoss(), gn.optim.Adam(model.parameters(), lr=0.01), X, y,
                     epochs=3, batch_size=32, seed=0, verbose=0)
    after = model.state_dict()
    assert list(after) == list(before) and len(after) == 10  # stem.0.weight, blocks.0.weight, ... out.bias
    assert all(not np.array_equal(before[name], after[name]) for name in before), "a parameter never moved"
    assert history["loss"][-1] < history["loss"][0]


class Stack(nn.Module):
    def __init__(self, stem: nn.Module, blocks: nn.ModuleList, out: nn.Module) -> None:
        super().__init__()
        self.stem, self.blocks, self.out = stem, blocks, out

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        h = self.stem(x)
        for block in self.blocks:
            h = nn.functional.relu(block(h)) + h
        return self.out(h)
