"""How a DataLoader turns a list of samples into one batch: PyTorch's ``default_collate`` rules.

======================  =========================================================
each sample is          the batch is
======================  =========================================================
Tensor, NumPy array     one Tensor, the samples stacked on a new first axis, dtype kept
NumPy scalar            a Tensor of shape (batch,), dtype kept
Python float            a float64 Tensor (PyTorch's ``collate_float_fn``)
Python int / bool       an int64 / bool Tensor
str, bytes              the list of samples, unchanged
dict (any Mapping)      the same keys, each value collated
namedtuple              the same namedtuple, each field collated
tuple, list             a list, one collated entry per position (PyTorch's rule)
======================  =========================================================
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, ShapeError

__all__ = ["default_collate", "default_convert"]

_NOT_NUMBERS = "SaUO"  # NumPy dtype kinds of strings and objects, which make no Tensor


def _stack(arrays: list[np.ndarray]) -> Tensor:
    if arrays[0].dtype.char in _NOT_NUMBERS or arrays[0].dtype.kind in _NOT_NUMBERS:
        raise GlassnetError(f"default_collate: samples of dtype {arrays[0].dtype} make no Tensor; give "
                            "numbers or pass a collate_fn")
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: samples of shapes {sorted(shapes)} cannot be stacked into one "
                         "batch; give every sample the same shape or pass a collate_fn")
    return Tensor(np.stack(arrays))  # (batch, *sample shape)


def default_collate(batch: Sequence[Any]) -> Any:
    """One batch from a list of samples, as PyTorch's ``default_collate`` makes it (see the table above).

    >>> xb, yb = default_collate([(np.array([1.0, 2.0]), 0), (np.array([3.0, 4.0]), 1)])
    >>> xb.shape, str(xb.dtype), yb.numpy().tolist(), str(yb.dtype)
    ((2, 2), 'float64', [0, 1], 'int64')
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([t.numpy() for t in batch])
    if isinstance(elem, np.ndarray):
        return _stack(list(batch))
    if isinstance(elem, np.bool_ | np.number | np.object_):
        return _stack([np.asarray(b) for b in batch])
    if isinstance(elem, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        if isinstance(elem, MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        return collated
    if isinstance(elem, Sequence):
        return _collate_sequences(batch)
    raise GlassnetError(f"default_collate: a batch must hold Tensors, NumPy arrays, numbers, strings, dicts "
                        f"or lists; found {type(elem).__name__}: pass a collate_fn for it")


def _collate_sequences(batch: Sequence[Any]) -> Any:
    """Tuples and lists position by position; a namedtuple keeps its type, a tuple becomes a list."""
    elem = batch[0]
    sizes = {len(sample) for sample in batch}
    if len(sizes) > 1:
        raise ShapeError(f"default_collate: samples of different lengths {sorted(sizes)} in one batch; every "
                         "sample needs the same number of fields")
    fields = [default_collate(samples) for samples in zip(*batch, strict=True)]
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple: rebuilt by field
        return type(elem)(*fields)
    if isinstance(elem, MutableSequence) and not isinstance(elem, list):
        clone = copy.copy(elem)
        for i, field in enumerate(fields):
            clone[i] = field
        return clone
    return fields


def default_convert(data: Any) -> Any:
    """A sample with its NumPy arrays and scalars made Tensors, without batching (``batch_size=None``).

    >>> default_convert({"x": np.zeros(2), "name": "a"})["x"].shape
    (2,)
    """
    if isinstance(data, np.ndarray | np.bool_ | np.number):
        array = np.asarray(data)
        return data if array.dtype.kind in _NOT_NUMBERS else Tensor(array)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple | list):
        return [default_convert(d) for d in data]
    return data
