"""glassnet.utils.data against torch.utils.data: data sets, collation, samplers, DataLoader, and
training loops over loaders (a tutorial's own loop, and fit)."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.errors import GlassnetError, ShapeError
from glassnet.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)  # fmt: skip

Point = namedtuple("Point", ["x", "label"])


def _plain(value: Any) -> Any:
    """A batch of either library as nested Python containers of (dtype name, shape, values)."""
    if isinstance(value, gn.Tensor | torch.Tensor):
        array = value.numpy()
        return (str(array.dtype), array.shape, array.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [_plain(v) for v in value])
    if isinstance(value, tuple | list):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


def _data(n: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)).astype(np.float32), rng.integers(0, 4, n)


# ----------------------------------------------------------------------------- data sets
def test_tensor_dataset_indexes_like_torch() -> None:
    X, y = _data()
    ours = TensorDataset(gn.tensor(X), y)  # a Tensor and an array
    theirs = tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    assert len(ours) == len(theirs) == 10
    for i in (0, 3, -1, slice(2, 5)):
        assert isinstance(ours[i], tuple) and all(isinstance(t, gn.Tensor) for t in ours[i])
        assert _plain(ours[i]) == _plain(theirs[i])
    assert ours.tensors[0].shape == (10, 3)


def test_tensor_dataset_says_which_shapes_do_not_match() -> None:
    with pytest.raises(ShapeError, match=r"\(10, 3\), \(9,\).*same first dimension"):
        TensorDataset(np.zeros((10, 3)), np.zeros(9))
    with pytest.raises(ShapeError, match="tensor 1 is a scalar"):
        TensorDataset(np.zeros(3), np.float32(1.0))
    with pytest.raises(GlassnetError, match="at least one tensor"):
        TensorDataset()


def test_subset_concat_and_add_follow_torch() -> None:
    X, y = _data(6)
    ours, theirs = TensorDataset(X, y), tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    sub, tsub = Subset(ours, [4, 0, 2]), tud.Subset(theirs, [4, 0, 2])
    assert len(sub) == 3 and _plain(sub[0]) == _plain(tsub[0]) and _plain(sub[-1]) == _plain(tsub[-1])
    both, tboth = ours + sub, theirs + tsub
    assert isinstance(both, ConcatDataset) and len(both) == len(tboth) == 9
    assert [_plain(both[i]) for i in range(-9, 9)] == [_plain(tboth[i]) for i in range(-9, 9)]
    assert both.cumulative_sizes == tboth.cumulative_sizes
    with pytest.raises(IndexError, match="out of range"):
        both[9]


@pytest.mark.parametrize("lengths", [[0.8, 0.2], [0.3, 0.3, 0.4], [0.5, 0.5], [1 / 3] * 3, [7, 3], [10, 0],
                                     [0.25, 0.25, 0.25, 0.25]])
@pytest.mark.filterwarnings("ignore:.*0 samples|.*Length of split")
def test_random_split_sizes_follow_torch(lengths: list[float]) -> None:
    for n in (3, 10, 11, 97):
        if all(isinstance(k, int) for k in lengths) and sum(lengths) != n:
            continue
        parts = random_split(range(n), lengths, generator=0)  # type: ignore[arg-type]
        theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(p) for p in parts] == [len(p) for p in theirs]
        assert sorted(i for p in parts for i in p.indices) == list(range(n))  # disjoint, all covered


def test_random_split_is_seeded_and_checks_lengths() -> None:
    ds = TensorDataset(np.arange(20))
    a = [p.indices for p in random_split(ds, [0.5, 0.5], generator=3)]
    b = [p.indices for p in random_split(ds, [0.5, 0.5], generator=np.random.default_rng(3))]
    assert a == b and a != [p.indices for p in random_split(ds, [0.5, 0.5], generator=4)]
    assert len(random_split(ds, [15, 5])[0]) == 15  # the default generator
    with pytest.raises(GlassnetError, match="sum to 19, but the data set has 20 samples"):
        random_split(ds, [15, 4])
    with pytest.raises(GlassnetError, match=r"non-negative int seed, a numpy\.random\.Generator"):
        random_split(ds, [15, 5], generator="seven")  # type: ignore[arg-type]
    with pytest.warns(UserWarning, match="part 1 has 0 samples"):
        random_split(TensorDataset(np.arange(2)), [0.9, 0.1])


# ----------------------------------------------------------------------------- collation
SAMPLES = {
    "tuples of arrays and ints": [(np.ones(2, np.float32), 1), (np.zeros(2, np.float32), 0)],
    "python floats are float64": [1.5, 2.0, -3.25],
    "python ints are int64": [1, 2, 3],
    "bools": [True, False],
    "numpy scalars keep their dtype": [np.float32(1.5), np.float32(2.0)],
    "float64 arrays stay float64": [np.arange(3.0), np.arange(3.0) + 1],
    "dicts": [{"x": np.ones(2), "y": 1, "name": "a"}, {"x": np.zeros(2), "y": 0, "name": "b"}],
    "namedtuples": [Point(np.ones(2), 0), Point(np.zeros(2), 1)],
    "lists of lists": [[1, [2.0, 3]], [4, [5.0, 6]]],
    "strings": ["a", "b"],
}


@pytest.mark.parametrize("name", SAMPLES)
def test_default_collate_matches_torch(name: str) -> None:
    batch = SAMPLES[name]
    assert _plain(default_collate(batch)) == _plain(tud.default_collate(batch))


def test_default_collate_of_tensors_matches_torch() -> None:
    X, y = _data(4)
    ours = default_collate([(gn.tensor(X[i]), gn.tensor(y[i])) for i in range(4)])
    theirs = tud.default_collate([(torch.from_numpy(X[i]), torch.tensor(y[i])) for i in range(4)])
    assert _plain(ours) == _plain(theirs)


@pytest.mark.parametrize("sample", [np.ones(3), (np.ones(2), 3), {"a": np.float32(2.0), "b": "x"}, 1.5,
                                    Point(np.zeros(1), 2)])
def test_default_convert_matches_torch(sample: Any) -> None:
    assert _plain(default_convert(sample)) == _plain(tud.default_convert(sample))


def test_default_collate_says_what_cannot_be_batched() -> None:
    with pytest.raises(ShapeError, match=r"shapes \[\(2,\), \(3,\)\].*pass a collate_fn"):
        default_collate([np.ones(2), np.ones(3)])
    with pytest.raises(ShapeError, match="different lengths"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(GlassnetError, match="found object"):
        default_collate([object()])


# ----------------------------------------------------------------------------- loaders
def _loaders(n: int, **options: Any) -> tuple[DataLoader[Any], tud.DataLoader[Any]]:
    X, y = _data(n)
    return (DataLoader(TensorDataset(X, y), **options),
            tud.DataLoader(tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), **options))


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 64])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_batches_match_torch(batch_size: int, drop_last: bool) -> None:
    ours, theirs = _loaders(10, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    assert ours.batch_size == batch_size and ours.drop_last == drop_last and ours.dataset is not None


def test_unbatched_loader_matches_torch() -> None:
    ours, theirs = _loaders(5, batch_size=None)
    assert len(ours) == len(theirs) == 5
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


class _Squares(Dataset[dict[str, Any]]):
    """A data set of the tutorial kind: samples made one at a time, as dicts."""

    def __len__(self) -> int:
        return 7

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"x": np.array([i, i * i], dtype=np.float64), "y": i % 2, "w": float(i)}


def test_a_users_data_set_sampler_and_batch_sampler_match_torch() -> None:
    class TorchSquares(tud.Dataset[dict[str, Any]]):
        __len__, __getitem__ = _Squares.__len__, _Squares.__getitem__

    order, batches = [6, 0, 3, 3, 1], [[0, 1], [5], [2, 4, 6]]
    for options in ({"batch_size": 2, "sampler": order}, {"batch_sampler": batches},
                    {"batch_size": 3, "sampler": SequentialSampler(range(7)), "drop_last": True},
                    {"batch_size": 2, "collate_fn": lambda b: len(b)}):
        theirs_options = dict(options)
        if isinstance(options.get("sampler"), SequentialSampler):
            theirs_options["sampler"] = tud.SequentialSampler(range(7))
        ours, theirs = DataLoader(_Squares(), **options), tud.DataLoader(TorchSquares(), **theirs_options)
        assert len(ours) == len(theirs)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs], options


def test_batch_sampler_and_samplers_follow_torch() -> None:
    for n, size, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = BatchSampler(SequentialSampler(range(n)), size, drop)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), size, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert [a.tolist() for a in ours.arrays()] == list(theirs)
    assert len(RandomSampler(range(5), replacement=True, num_samples=12)) == 12
    many = list(RandomSampler(range(5), num_samples=12, generator=0))  # whole permutations, then part of one
    assert len(many) == 12 and sorted(many[:5]) == sorted(many[5:10]) == list(range(5))
    assert sorted(SubsetRandomSampler([3, 8, 9], generator=1)) == [3, 8, 9]
    assert set(WeightedRandomSampler([0.0, 2.0, 0.0, 1.0], 50, generator=0)) == {1, 3}


def test_shuffled_loaders_with_one_seed_agree_and_every_epoch_is_a_permutation() -> None:
    X, y = _data(50)
    ds = TensorDataset(X, y)
    a, b = DataLoader(ds, batch_size=8, shuffle=True, generator=7), DataLoader(ds, batch_size=8, shuffle=True,
                                                                                generator=7)
    epochs = []
    for _ in range(3):
        labels_a = np.concatenate([yb.numpy() for _, yb in a])
        rows = np.concatenate([xb.numpy() for xb, _ in b])
        order = [int(np.flatnonzero((row == X).all(axis=1))[0]) for row in rows]
        assert sorted(order) == list(range(50))  # every sample exactly once
        assert labels_a.tolist() == y[order].tolist()  # the same order from the same seed
        epochs.append(order)
    assert epochs[0] != epochs[1] != epochs[2]  # a new permutation each epoch
    other = np.concatenate([yb.numpy() for _, yb in DataLoader(ds, batch_size=8, shuffle=True, generator=8)])
    assert other.tolist() != y[epochs[0]].tolist()
    unseeded = DataLoader(ds, batch_size=50, shuffle=True)  # the default generator
    assert sorted(next(iter(unseeded))[1].numpy().tolist()) == sorted(y.tolist())


def test_the_fast_path_gives_the_per_sample_batches() -> None:
    class Slow(TensorDataset):
        def __getitem__(self, index: Any) -> tuple[gn.Tensor, ...]:  # its own __getitem__: no fast path
            return super().__getitem__(index)

    X, y = _data(23)
    for make in (lambda d: d, lambda d: Subset(d, list(range(22, 2, -1))),
                 lambda d: random_split(d, [0.7, 0.3], generator=1)[0]):
        fast = DataLoader(make(TensorDataset(X, y)), batch_size=4, shuffle=True, generator=5, drop_last=True)
        slow = DataLoader(make(Slow(X, y)), batch_size=4, shuffle=True, generator=5, drop_last=True)
        assert [_plain(b) for b in fast] == [_plain(b) for b in slow]


def test_batches_are_copies_of_the_data() -> None:
    X, y = _data(6)
    for xb, _ in DataLoader(TensorDataset(X, y), batch_size=2):
        xb.numpy()[...] = 0.0
    assert np.any(X != 0.0)


def test_loader_options_are_checked_like_torch() -> None:
    ds = TensorDataset(*_data(6))
    with pytest.raises(GlassnetError, match="sampler and shuffle=True exclude each other"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(GlassnetError, match="batch_sampler excludes batch_size"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(GlassnetError, match="num_workers must be a non-negative integer"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(GlassnetError, match="batch_size must be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(GlassnetError, match="generator must be"):
        DataLoader(ds, shuffle=True, generator=1.5)  # type: ignore[arg-type]
    workers = DataLoader(ds, batch_size=4, num_workers=4, pin_memory=True)  # accepted, batches made here
    assert [_plain(b) for b in workers] == [_plain(b) for b in DataLoader(ds, batch_size=4)]
    assert DataLoader(ds, batch_sampler=[[0, 1], [2]]).batch_size is None


# ----------------------------------------------------------------------------- training loops
def _torch_loop(X: np.ndarray, y: np.ndarray, state: dict[str, np.ndarray], epochs: int) -> list[float]:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    loader = tud.DataLoader(tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=16)
    loss_fn, opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def _glassnet_loop(X: np.ndarray, y: np.ndarray, state: dict[str, np.ndarray], epochs: int) -> list[float]:
    model = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 3, dtype=np.float64))
    model.load_state_dict(state)
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    loss_fn, opt = nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def _problem(n: int = 70) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
    state = {"0.weight": rng.standard_normal((8, 4)) * 0.5, "0.bias": rng.standard_normal(8) * 0.1,
             "2.weight": rng.standard_normal((3, 8)) * 0.5, "2.bias": np.zeros(3)}
    return X, y, state


def test_a_tutorial_training_loop_over_a_loader_gives_torchs_losses() -> None:
    X, y, state = _problem()  # 70 samples in batches of 16: a short last batch of 6
    ours, theirs = _glassnet_loop(X, y, state, 4), _torch_loop(X, y, state, 4)
    assert len(ours) == 4 * 5
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert ours[-1] < ours[0]


def _model(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(4, 8, generator=rng), nn.Tanh(), nn.Linear(8, 3, generator=rng))


def _fit(data: Any, *args: Any, **options: Any) -> tuple[nn.Sequential, train.History]:
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    history = gn.fit(model, nn.CrossEntropyLoss(), opt, data, *args, epochs=3, verbose=0, **options)
    return model, history


def test_fit_over_a_sequential_loader_is_fit_over_its_arrays() -> None:
    X, y, _ = _problem()
    X = X.astype(np.float32)
    val = (X[:20], y[:20])
    a_model, a = _fit(X, y, batch_size=16, shuffle=False, metrics=["accuracy"], validation_data=val)
    b_model, b = _fit(DataLoader(TensorDataset(X, y), batch_size=16), metrics=["accuracy"],
                      validation_data=DataLoader(TensorDataset(*val), batch_size=7))
    assert a.to_dict()["history"].keys() == b.to_dict()["history"].keys()
    for key, values in a.to_dict()["history"].items():
        if key != "time":
            assert values == b[key], key  # the same steps, metrics, validation and diagnostics
    assert b["steps/replayed"][-1] > 0  # the loader's batches replay the recorded step too
    for (name, p), (_, q) in zip(a_model.named_parameters(), b_model.named_parameters(), strict=True):
        assert np.array_equal(p.numpy(), q.numpy()), name
    assert gn.evaluate(b_model, nn.CrossEntropyLoss(), DataLoader(TensorDataset(*val), batch_size=3),
                       metrics=["accuracy"]) == gn.evaluate(b_model, nn.CrossEntropyLoss(), *val,
                                                             metrics=["accuracy"])
    inputs_only = DataLoader(TensorDataset(val[0]), batch_size=6)
    assert np.array_equal(gn.predict(b_model, inputs_only), gn.predict(b_model, val[0]))


def test_fit_follows_a_shuffled_loaders_seed() -> None:
    X, y, _ = _problem()
    loader = lambda seed: DataLoader(TensorDataset(X.astype(np.float32), y), batch_size=8, shuffle=True,  # noqa: E731
                                     generator=seed)
    assert _fit(loader(3))[1]["loss"] == _fit(loader(3))[1]["loss"]
    assert _fit(loader(3))[1]["loss"] != _fit(loader(4))[1]["loss"]


def test_fit_resumes_a_seeded_loader_exactly(tmp_path: Path) -> None:
    X, y, _ = _problem()

    def run(epochs: int, path: Path, resume: bool) -> nn.Sequential:
        model = _model()
        opt = optim.Adam(model.parameters(), lr=0.01)
        loader = DataLoader(TensorDataset(X.astype(np.float32), y), batch_size=8, shuffle=True, generator=3)
        gn.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs, verbose=0,
               callbacks=[train.ModelCheckpoint(str(path))], resume_from=str(path) if resume else None)
        return model

    whole = run(4, tmp_path / "whole.safetensors", resume=False)
    run(2, tmp_path / "part.safetensors", resume=False)
    resumed = run(4, tmp_path / "part.safetensors", resume=True)
    for (name, p), (_, q) in zip(whole.named_parameters(), resumed.named_parameters(), strict=True):
        assert np.array_equal(p.numpy(), q.numpy()), name
    model = _model()
    with pytest.raises(GlassnetError, match="resume with the same data"):
        gn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), X.astype(np.float32), y,
               verbose=0, resume_from=str(tmp_path / "part.safetensors"))


@pytest.mark.parametrize(("options", "message"), [
    ({"y": np.zeros(3)}, "y=.* its batches hold the targets"),
    ({"batch_size": 8}, "set batch_size on the DataLoader"),
    ({"shuffle": True}, "set shuffle on the DataLoader"),
    ({"validation_split": 0.2}, "random_split"),
    ({"class_weight": "balanced"}, "WeightedRandomSampler"),
])
def test_fit_says_which_options_belong_to_the_loader(options: dict[str, Any], message: str) -> None:
    loader = DataLoader(TensorDataset(*_data()), batch_size=4)
    y = options.pop("y", None)
    with pytest.raises(GlassnetError, match=message):
        _fit(loader, *([] if y is None else [y]), **options)


def test_fit_needs_pairs_from_a_loader_and_targets_with_arrays() -> None:
    with pytest.raises(GlassnetError, match=r"\(inputs, targets\) pairs, got a dict"):
        _fit(DataLoader(_Squares(), batch_size=2))
    with pytest.raises(GlassnetError, match="no targets y"):
        _fit(np.zeros((4, 4), np.float32))
