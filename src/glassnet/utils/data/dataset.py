"""Map-style data sets under ``torch.utils.data``'s names: Dataset, TensorDataset, Subset, ConcatDataset,
and random_split.

Not to be confused with ``glassnet.data.Dataset``, the record of features, targets and task that
glassnet's own loaders return; ``TensorDataset(ds.X, ds.y)`` turns one into the other.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, ShapeError
from glassnet.utils.data.sampler import GeneratorLike, as_generator, default_generator

__all__ = ["ConcatDataset", "Dataset", "Subset", "TensorDataset", "random_split"]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """Base class of map-style data sets: ``dataset[i]`` is sample i, ``len(dataset)`` their number.

    A subclass defines ``__getitem__`` and ``__len__``; ``a + b`` chains two data sets.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, i): return i * i
    >>> [s for s in Squares() + Squares()]
    [0, 1, 4, 0, 1, 4]
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__, sample i of the data set")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


def _as_array(value: Any, position: int) -> np.ndarray:
    """A Tensor's array (shared, not copied), or anything np.asarray takes."""
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if array.ndim == 0:
        raise ShapeError(f"TensorDataset: tensor {position} is a scalar; every tensor needs a first "
                         "dimension of samples, e.g. shape (n_samples,) or (n_samples, n_features)")
    return array


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples of Tensors (or NumPy arrays) along their first dimension: ``ds[i]`` is
    ``(tensors[0][i], tensors[1][i], ...)``, a tuple of Tensors.

    A DataLoader over a TensorDataset (or a Subset of one) gathers each batch's rows with one
    NumPy indexing per tensor, with no per-sample Python loop.

    Args:
        *tensors: Tensors or arrays with the same first dimension (n_samples, ...); arrays keep
            their dtype, and neither is copied.

    Attributes:
        tensors: the data as Tensors (PyTorch's attribute); arrays: the same as NumPy arrays.

    >>> ds = TensorDataset(np.arange(6.0).reshape(3, 2), np.array([0, 1, 0]))
    >>> len(ds), [t.numpy().tolist() for t in ds[1]]
    (3, [[2.0, 3.0], 1])
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise GlassnetError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        self.arrays = tuple(_as_array(t, i) for i, t in enumerate(tensors))
        rows = [len(a) for a in self.arrays]
        if len(set(rows)) > 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in self.arrays)
            raise ShapeError(f"TensorDataset: the tensors have shapes {shapes}, with {rows} samples; every "
                             "tensor needs the same first dimension (n_samples): check that X and y match")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(a) for t, a in zip(tensors, self.arrays,
                                                                                       strict=True))

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is ``dataset[indices[i]]``.

    >>> Subset(TensorDataset(np.array([10, 20, 30])), [2, 0])[0][0].item()
    30
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self) -> Sequence[int]:
        """The positions in ``dataset`` of this subset's samples."""
        return self._indices

    @indices.setter
    def indices(self, indices: Sequence[int]) -> None:
        self._indices = indices
        self._positions = np.asarray(indices, dtype=np.int64).reshape(-1)  # (n_samples,), for batch gathers

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self._indices[i] for i in index]]
        return self.dataset[self._indices[index]]

    def __len__(self) -> int:
        return len(self._indices)


class ConcatDataset(Dataset[T_co]):
    """Several data sets one after another: samples 0..len(a)-1 are a's, the next b's, ...

    >>> c = ConcatDataset([TensorDataset(np.array([1, 2])), TensorDataset(np.array([3]))])
    >>> len(c), c[2][0].item(), c[-1][0].item()
    (3, 3, 3)
    """

    def __init__(self, datasets: Sequence[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise GlassnetError("ConcatDataset needs at least one data set, got an empty list")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())  # type: ignore[arg-type]

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index: int) -> T_co:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {n} samples")
        index = index + n if index < 0 else index
        part = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


def _split_lengths(lengths: Sequence[float], n: int) -> list[int]:
    """PyTorch's rule: fractions summing to 1 become floor(f · n) samples each, the remainder handed
    out one by one from the first part; otherwise the lengths are sample counts and must sum to n."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise GlassnetError(f"random_split: fraction {fraction!r} at index {i} is not in [0, 1]")
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: part {i} has 0 samples", stacklevel=3)
        return counts
    if not all(isinstance(k, int | np.integer) and not isinstance(k, bool) and k >= 0 for k in lengths):
        raise GlassnetError(f"random_split: lengths must be sample counts or fractions summing to 1, got "
                            f"{list(lengths)}")
    if sum(lengths) != n:
        raise GlassnetError(f"random_split: lengths {list(lengths)} sum to {sum(lengths)}, but the data set "
                            f"has {n} samples; give counts that sum to {n} or fractions that sum to 1")
    return [int(k) for k in lengths]


def random_split(dataset: Dataset[T_co], lengths: Sequence[float],
                 generator: GeneratorLike = None) -> list[Subset[T_co]]:
    """Split ``dataset`` into non-overlapping Subsets of the given lengths, in a random order.

    Args:
        dataset: any data set with ``len``.
        lengths: sample counts summing to len(dataset), or fractions summing to 1 (PyTorch 2's rule:
            floor(f · n) each, the remainder one by one from the first part).
        generator: an int seed or a Generator for the permutation; default ``default_generator()``.

    Returns:
        One Subset per length; its ``indices`` are a list of ints.

    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], generator=0)
    >>> len(train), len(val), sorted(train.indices + val.indices) == list(range(10))
    (8, 2, True)
    """
    n = len(dataset)  # type: ignore[arg-type]
    counts = _split_lengths(lengths, n)
    rng = as_generator(generator, "random_split: generator")
    order = (rng if rng is not None else default_generator()).permutation(n).tolist()
    ends = np.cumsum(counts).tolist()
    return [Subset(dataset, order[end - count:end]) for count, end in zip(counts, ends, strict=True)]
