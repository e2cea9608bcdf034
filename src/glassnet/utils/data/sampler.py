"""Samplers: the order in which a DataLoader visits a data set's samples, under ``torch.utils.data``'s names.

Every built-in sampler draws one epoch's order as one index array (``order()``), so that a
DataLoader can cut it into batches and gather each batch's rows at once; iterating a sampler gives
the same indices as Python ints, as PyTorch's do. Randomness is explicit: a sampler takes an int
seed, a ``numpy.random.Generator`` or a ``gn.Generator``; without one it draws from
``default_generator()`` (the one ``gn.manual_seed`` seeds) at each epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from glassnet.engine.generator import Generator
from glassnet.engine.generator import as_generator as engine_generator
from glassnet.errors import GlassnetError

__all__ = [
    "BatchSampler", "GeneratorLike", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "as_generator", "default_generator",
]  # fmt: skip

T_co = TypeVar("T_co", covariant=True)
GeneratorLike = int | np.random.Generator | Generator | None


def default_generator() -> np.random.Generator:
    """The generator that shuffles and splits where no seed or generator is given: glassnet's
    default generator, which ``gn.manual_seed`` seeds (as PyTorch's global generator)."""
    return engine_generator(None)


def as_generator(generator: GeneratorLike, who: str = "generator") -> np.random.Generator | None:
    """An int seed becomes a Generator of its own, whose stream then advances epoch after epoch; a
    NumPy Generator or a ``gn.Generator`` passes through (its stream is shared with its other
    users); None stays None (the loader then draws from ``default_generator()`` each epoch).

    >>> as_generator(0).permutation(4).tolist() == as_generator(0).permutation(4).tolist()
    True
    """
    if generator is None:
        return None
    if isinstance(generator, np.random.Generator | Generator) or (
            isinstance(generator, int | np.integer) and not isinstance(generator, bool) and generator >= 0):
        return engine_generator(generator)
    raise GlassnetError(f"{who} must be a non-negative int seed, a numpy.random.Generator, a gn.Generator "
                        f"or None, got {type(generator).__name__} {generator!r}; e.g. generator=0 for a "
                        "seeded order")


def _count(value: Any, what: str) -> int:
    """A positive integer argument, checked where it enters."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise GlassnetError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


class Sampler(Generic[T_co]):
    """Base class of samplers: an iterable of the keys (sample indices) of one epoch.

    A subclass defines ``__iter__`` and usually ``__len__``. Any iterable of indices also works as a
    DataLoader's ``sampler``.
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        """``data_source`` is accepted for PyTorch's older signature and not used."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__, the indices of one epoch")


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1, every epoch.

    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def order(self) -> np.ndarray:
        """One epoch's indices as one array, shape (n_samples,)."""
        return np.arange(len(self.data_source))

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A new random order every epoch: a permutation, or draws with replacement.

    Args:
        data_source: the data set (only its length is used).
        replacement: draw ``num_samples`` indices with replacement instead of permuting.
        num_samples: indices per epoch; default len(data_source). Without replacement and more than
            len(data_source), whole permutations follow one another.
        generator: an int seed or a Generator; two samplers with the same seed give the same orders.

    >>> s = RandomSampler(range(5), generator=0)
    >>> sorted(s) == [0, 1, 2, 3, 4], list(s) != list(RandomSampler(range(5), generator=1))
    (True, True)
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: GeneratorLike = None) -> None:
        if not isinstance(replacement, bool):
            raise GlassnetError(f"RandomSampler: replacement must be True or False, got {replacement!r}")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples = None if num_samples is None else _count(num_samples, "RandomSampler: num_samples")
        self.generator = as_generator(generator, "RandomSampler: generator")

    @property
    def num_samples(self) -> int:
        """Indices per epoch (the data set's length unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def order(self) -> np.ndarray:
        """One epoch's indices as one array, shape (num_samples,), drawn now."""
        n, k = len(self.data_source), self.num_samples
        rng = self.generator if self.generator is not None else default_generator()
        if self.replacement:
            return rng.integers(n, size=k)
        return np.concatenate([rng.permutation(n) for _ in range(-(-k // n))])[:k] if n else np.arange(0)

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a new random order every epoch.

    >>> sorted(SubsetRandomSampler([4, 7, 9], generator=0))
    [4, 7, 9]
    """

    def __init__(self, indices: Sequence[int], generator: GeneratorLike = None) -> None:
        self.indices = indices
        self._indices = np.asarray(indices, dtype=np.int64).reshape(-1)  # (n_indices,)
        self.generator = as_generator(generator, "SubsetRandomSampler: generator")

    def order(self) -> np.ndarray:
        """One epoch's indices as one array, drawn now."""
        rng = self.generator if self.generator is not None else default_generator()
        return self._indices[rng.permutation(len(self._indices))]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return len(self._indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    Args:
        weights: one non-negative weight per sample (they need not sum to 1).
        num_samples: indices per epoch.
        replacement: draw with replacement (the usual way to rebalance classes).
        generator: an int seed or a Generator.

    >>> w = [0.0, 1.0, 0.0]
    >>> list(WeightedRandomSampler(w, 4, generator=0))
    [1, 1, 1, 1]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: GeneratorLike = None) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise GlassnetError("WeightedRandomSampler: weights must be one finite, non-negative number per "
                                f"sample with a positive sum, got shape {w.shape}; e.g. 1 / class count")
        self.weights, self.replacement = w, bool(replacement)
        self.num_samples = _count(num_samples, "WeightedRandomSampler: num_samples")
        if not replacement and self.num_samples > np.count_nonzero(w):
            raise GlassnetError(f"WeightedRandomSampler: {self.num_samples} samples without replacement but "
                                f"only {np.count_nonzero(w)} have a positive weight; pass replacement=True")
        self.generator = as_generator(generator, "WeightedRandomSampler: generator")

    def order(self) -> np.ndarray:
        """One epoch's indices as one array, shape (num_samples,), drawn now."""
        rng = self.generator if self.generator is not None else default_generator()
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                          p=self.weights / self.weights.sum())

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples


_ArraySampler = SequentialSampler | RandomSampler | SubsetRandomSampler | WeightedRandomSampler


class BatchSampler(Sampler[list[int]]):
    """Groups another sampler's indices into lists of ``batch_size``; the last one is shorter unless
    ``drop_last``.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(drop_last, bool):
            raise GlassnetError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last
        self.batch_size = _count(batch_size, "batch_size")

    def arrays(self) -> Iterator[np.ndarray]:
        """The batches as index arrays: a built-in sampler's epoch is drawn at once and cut in slices."""
        if not isinstance(self.sampler, _ArraySampler):
            for batch in self:
                yield np.asarray(batch)
            return
        order = self.sampler.order()  # (n_samples,), drawn when the epoch starts
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield order[start:start + self.batch_size]

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
