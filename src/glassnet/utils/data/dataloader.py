"""DataLoader: a data set's samples in batches, in a sampler's order, as ``torch.utils.data.DataLoader``.

One epoch: the batch sampler cuts the sampler's order into batches of indices; each batch is
fetched and collated. The fast path is the same rule run batched: for a TensorDataset (or a
Subset of one) and the default collate, a batch is one NumPy gather per tensor,
``array[indices]``, instead of ``default_collate([dataset[i] for i in indices])``: the same
Tensors without a Python loop over the samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.utils.data.collate import default_collate, default_convert
from glassnet.utils.data.dataset import Subset, TensorDataset
from glassnet.utils.data.sampler import (
    BatchSampler,
    GeneratorLike,
    RandomSampler,
    Sampler,
    SequentialSampler,
    as_generator,
)  # fmt: skip

__all__ = ["DataLoader", "fetch_batch"]

T_co = TypeVar("T_co", covariant=True)


def _gather(dataset: Any, indices: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The rows of a TensorDataset (through any Subsets) at ``indices``, one gather per array; None
    for any other data set, or a subclass with its own ``__getitem__``."""
    while isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        indices, dataset = dataset._positions[indices], dataset.dataset
    if isinstance(dataset, TensorDataset) and type(dataset).__getitem__ is TensorDataset.__getitem__:
        return tuple(np.take(a, indices, axis=0) for a in dataset.arrays)  # (batch, ...) each, copies
    return None


def fetch_batch(dataset: Any, indices: Sequence[int] | np.ndarray,
                collate_fn: Callable[[list[Any]], Any] = default_collate) -> Any:
    """The batch of ``dataset``'s samples at ``indices``, as a DataLoader gives it:
    ``collate_fn([dataset[i] for i in indices])``, gathered at once for a TensorDataset.

    >>> xb, yb = fetch_batch(TensorDataset(np.eye(3), np.arange(3)), [2, 0])
    >>> xb.numpy().tolist(), yb.numpy().tolist()
    ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [2, 0])
    """
    index = np.asarray(indices)
    if collate_fn is default_collate and index.dtype.kind in "iu" and index.ndim == 1:
        rows = _gather(dataset, index)
        if rows is not None:
            return [Tensor(r) for r in rows]  # default_collate makes a list of a tuple's stacked fields
    keys = indices.tolist() if isinstance(indices, np.ndarray) else indices
    return collate_fn([dataset[i] for i in keys])


def _check_options(batch_size: int | None, shuffle: bool | None, sampler: Any, batch_sampler: Any,
                   drop_last: bool, num_workers: int) -> None:
    """PyTorch's rules for which options go together, each broken one said in one line."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise GlassnetError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
    if sampler is not None and shuffle:
        raise GlassnetError("DataLoader: sampler and shuffle=True exclude each other; the sampler decides "
                            "the order (use RandomSampler for a shuffled one)")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
        raise GlassnetError("DataLoader: batch_sampler excludes batch_size, shuffle, sampler and drop_last; "
                            "the batch sampler decides them all")
    if batch_size is None and drop_last:
        raise GlassnetError("DataLoader: batch_size=None (no batching) excludes drop_last=True")


class DataLoader(Generic[T_co]):
    """Iterate over a data set in batches: ``for xb, yb in DataLoader(ds, batch_size=64, shuffle=True)``.

    Args:
        dataset: a map-style data set (``dataset[i]``, ``len(dataset)``), e.g. a TensorDataset.
        batch_size: samples per batch; None gives the samples one by one, unbatched.
        shuffle: a new random order every epoch (from ``generator``).
        sampler: the order of the sample indices (excludes shuffle).
        batch_sampler: yields lists of indices, one list per batch (excludes batch_size, shuffle,
            sampler, drop_last).
        num_workers: accepted for PyTorch's scripts and otherwise ignored: batches are made in this
            process. Worker processes would send every batch through pickle, and a TensorDataset's
            batch is already one NumPy gather.
        collate_fn: list of samples → batch; default ``default_collate`` (``default_convert``
            without batching).
        pin_memory: accepted and ignored (NumPy arrays live in ordinary memory).
        drop_last: drop the last batch when it is shorter than batch_size.
        generator: an int seed, a NumPy Generator or a ``gn.Generator`` for the shuffle: two loaders with
            the same seed give the same orders, epoch after epoch. Default: ``default_generator()``.

    Attributes:
        dataset, batch_size, drop_last, sampler, batch_sampler, collate_fn, generator (the resolved
        Generator, or None).

    >>> loader = DataLoader(TensorDataset(np.arange(10.0)[:, None], np.arange(10)), batch_size=4)
    >>> len(loader), [yb.numpy().tolist() for _, yb in loader]
    (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler[Any] | Iterable[Any] | None = None,
                 batch_sampler: Sampler[Any] | Iterable[Sequence[Any]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, *, generator: GeneratorLike = None) -> None:
        _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, num_workers)
        self.dataset: Any = dataset  # map-style: dataset[i] and len(dataset)
        self.num_workers, self.pin_memory = num_workers, pin_memory
        self.generator = as_generator(generator, "DataLoader: generator")
        if sampler is None:
            sampler = (RandomSampler(self.dataset, generator=self.generator) if shuffle
                       else SequentialSampler(self.dataset))
        if batch_sampler is not None:  # the user's batches: PyTorch then reports no batch_size
            batch_size = None
        elif batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size, self.drop_last = batch_size, drop_last
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn: Callable[[Any], Any] = collate_fn

    def __iter__(self) -> Iterator[Any]:
        """One epoch of batches; a shuffling sampler draws this epoch's order when it starts."""
        if self.batch_sampler is None:  # no batching: each sample converted on its own
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        if isinstance(self.batch_sampler, BatchSampler):
            batches: Iterator[Any] = self.batch_sampler.arrays()
        else:
            batches = iter(self.batch_sampler)
        return (fetch_batch(self.dataset, indices, self.collate_fn) for indices in batches)

    def __len__(self) -> int:
        """Batches per epoch (samples, without batching)."""
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)  # type: ignore[arg-type]
