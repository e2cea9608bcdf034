"""Where fit's batches come from: arrays cut into (shuffled) batches, or a DataLoader's batches in its order.

Both give, for each step, ``(indices, x, y)``: the batch's inputs and targets as arrays in the
model's dtype (class indices as int64), and the positions of its samples in X for per-sample
weights (None from a loader, whose samples have no fixed positions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from glassnet.data.splits import epoch_batches
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, ShapeError
from glassnet.train.outputs import OutputKind
from glassnet.utils.data.dataloader import DataLoader, fetch_batch
from glassnet.utils.data.sampler import RandomSampler, SubsetRandomSampler, WeightedRandomSampler

__all__ = ["FROM_THE_LOADER", "ArrayBatches", "Batch", "LoaderBatches", "as_array", "loader_inputs",
           "loader_options", "shuffle_generator", "targets_as"]

Batch = tuple[np.ndarray | None, np.ndarray, np.ndarray]  # (positions in X or None, x, y)


def as_array(value: Any) -> np.ndarray:
    """A Tensor's array, or anything np.asarray takes."""
    return np.asarray(value.numpy() if isinstance(value, Tensor) else value)


def targets_as(y: np.ndarray, kind: OutputKind, dtype: Any) -> np.ndarray:
    """Targets as the loss takes them: int64 class indices, or values in the model's dtype."""
    if kind.classes_as_indices:
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise GlassnetError(f"{kind.name} needs integer class labels, got non-integer values in y")
        return y.astype(np.int64, copy=False)
    return y.astype(dtype, copy=False)


class ArrayBatches:
    """Batches of ``(X, y)`` arrays: batch_size rows at a time, in a new order every epoch when shuffled."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool) -> None:
        self.X, self.y, self.batch_size, self.shuffle = X, y, batch_size, shuffle

    def __len__(self) -> int:
        """Steps per epoch."""
        return -(-len(self.X) // self.batch_size)

    def epoch(self, rng: np.random.Generator) -> Iterator[Batch]:
        """One pass over the data; the order is drawn from ``rng`` now."""
        order = rng.permutation(len(self.X)) if self.shuffle else None
        return epoch_batches(self.X, self.y, self.batch_size, len(self.X), order)

    def n_samples(self) -> int:
        return len(self.X)

    def inputs_at(self, indices: np.ndarray) -> np.ndarray:
        """The inputs of these samples (for the diagnostics' probe)."""
        return self.X[indices]


class LoaderBatches:
    """A DataLoader's batches, each an (inputs, targets) pair, turned into the arrays fit's step takes."""

    def __init__(self, loader: DataLoader[Any], dtype: Any, kind: OutputKind) -> None:
        self.loader, self.dtype, self.kind = loader, dtype, kind

    def __len__(self) -> int:
        return len(self.loader)

    def epoch(self, rng: np.random.Generator) -> Iterator[Batch]:
        """One pass in the loader's order (its own generator shuffles; ``rng`` is not used)."""
        for batch in self.loader:
            x, y = self.pair(batch)
            yield None, x, y

    def pair(self, batch: Any) -> tuple[np.ndarray, np.ndarray]:
        """A batch's (inputs, targets) as arrays, checked."""
        if not isinstance(batch, list | tuple) or len(batch) != 2:
            size = f" of {len(batch)}" if isinstance(batch, list | tuple) else ""
            raise GlassnetError(f"fit takes a DataLoader whose batches are (inputs, targets) pairs, got a "
                                f"{type(batch).__name__}{size}; use a TensorDataset(X, y) or a collate_fn "
                                "that returns (x, y)")
        x, y = as_array(batch[0]).astype(self.dtype, copy=False), as_array(batch[1])
        if len(x) != len(y):
            raise ShapeError(f"a batch has {len(x)} inputs but {len(y)} targets; they must match")
        return x, targets_as(y, self.kind, self.dtype)

    def inputs_at(self, indices: np.ndarray) -> np.ndarray:
        """The inputs of these samples of the loader's data set (for the diagnostics' probe)."""
        return self.pair(fetch_batch(self.loader.dataset, indices, self.loader.collate_fn))[0]

    def n_samples(self) -> int:
        return len(self.loader.dataset)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every batch of one pass, concatenated (validation data)."""
        pairs = [self.pair(batch) for batch in self.loader]
        if not pairs:
            raise GlassnetError("the validation DataLoader gave no batches; check its data set and drop_last")
        return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


FROM_THE_LOADER = {  # fit's options a DataLoader decides itself, and what to do instead
    "y": "its batches hold the targets",
    "batch_size": "set batch_size on the DataLoader",
    "shuffle": "set shuffle on the DataLoader",
    "validation_split": "split the data set with random_split and pass validation_data=DataLoader(val_set)",
    "class_weight": "weight the loss (CrossEntropyLoss(weight=...)) or sample with WeightedRandomSampler",
    "sample_weight": "weight the loss or sample with WeightedRandomSampler",
}


def loader_options(**given: Any) -> None:
    """With a DataLoader as X, the options that belong to arrays must be left out."""
    for name, value in given.items():
        if value is not None:
            raise GlassnetError(f"{name}={value!r} cannot be given with a DataLoader: "
                                f"{FROM_THE_LOADER[name]}")


def loader_inputs(loader: DataLoader[Any]) -> np.ndarray:
    """The inputs of one pass of a loader, concatenated: each batch, or its first element when it is
    a list or tuple (inputs, targets, ...)."""
    parts = [as_array(batch[0] if isinstance(batch, list | tuple) else batch) for batch in loader]
    if not parts:
        raise GlassnetError("the DataLoader gave no batches; check its data set and drop_last")
    return np.concatenate(parts)


def shuffle_generator(loader: DataLoader[Any]) -> np.random.Generator | None:
    """The Generator that orders a loader's epochs, if it has one of its own (a seed or a Generator)."""
    sampler = loader.sampler
    if isinstance(sampler, RandomSampler | SubsetRandomSampler | WeightedRandomSampler):
        return sampler.generator
    return None
