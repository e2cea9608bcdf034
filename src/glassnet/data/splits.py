"""Seeded, stratified train/validation/test splits and minibatches for the training loop.

Stratification keeps each class's share in every part within one sample of exact: the per-class
counts are the ideal counts c_k · size / n rounded up or down so that every class and every part
still add up (controlled rounding of a two-way table; Cox 1987, "A constructive procedure for
unbiased controlled rounding", JASA 82(398)). The rounding is random and unbiased, driven by the seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from glassnet.data.dataset import Seed, _rng
from glassnet.errors import GlassnetError, ShapeError

__all__ = ["epoch_batches", "minibatches", "split3", "train_test_split"]


def _n_of(size: float, n: int, what: str) -> int:
    """A part's size as a count: a fraction of n (rounded up) or a number of samples."""
    if isinstance(size, int | np.integer) and not isinstance(size, bool) and 0 <= size <= n:
        return int(size)
    if isinstance(size, float) and 0.0 <= size < 1.0:
        return math.ceil(size * n)
    raise GlassnetError(f"{what} must be a fraction in [0, 1) or a number of samples in 0..{n}, got {size!r}")


def _find_cycle(mask: np.ndarray) -> list[tuple[int, int]]:
    """Cells (row, col) of a cycle through True cells, alternating row and column moves (even length).

    Every row and column of ``mask`` holds zero or at least two True cells, so the walk never stalls.
    """
    node: tuple[str, int] = ("r", int(np.flatnonzero(mask.any(axis=1))[0]))
    seen = {node: 0}  # node -> index of the edge that leaves it
    edges: list[tuple[int, int]] = []
    while True:
        kind, i = node
        line = mask[i] if kind == "r" else mask[:, i]
        cells = [(i, int(j)) if kind == "r" else (int(j), i) for j in np.flatnonzero(line)]
        cell = next(c for c in cells if not edges or c != edges[-1])
        j = cell[1] if kind == "r" else cell[0]
        edges.append(cell)
        node = ("c" if kind == "r" else "r", j)
        if node in seen:
            return edges[seen[node]:]
        seen[node] = len(edges)


def _apportion(counts: np.ndarray, sizes: list[int], rng: np.random.Generator) -> np.ndarray:
    """Per-class, per-part counts: the ideal table counts ⊗ sizes / n, each cell rounded down or up.

    Rows still sum to counts and columns to sizes. Cycle canceling: the fractional cells form a graph
    in which every row and column has zero or at least two of them, so a cycle exists; moving mass
    +δ, -δ, ... around it keeps all sums and makes at least one more cell whole. The direction is
    drawn so that each cell's expectation stays exactly ideal.
    """
    n = int(counts.sum())
    base, frac = np.divmod(np.outer(counts, sizes).astype(np.int64), n)  # T = base + frac/n, 0 <= frac < n
    while frac.any():
        cycle = _find_cycle(frac > 0)
        plus, minus = tuple(np.array(cycle[0::2]).T), tuple(np.array(cycle[1::2]).T)
        up = min(int((n - frac[plus]).min()), int(frac[minus].min()))  # largest step +,-,+,- around the cycle
        down = min(int(frac[plus].min()), int((n - frac[minus]).min()))  # largest step -,+,-,+
        step = up if rng.integers(up + down) < down else -down  # unbiased: E[step] = 0
        frac[plus] += step
        frac[minus] -= step
        full = frac >= n  # rounded up: one more sample for this class in this part
        base += full
        frac[full] = 0
    return base


def _split_indices(n: int, sizes: list[int], labels: np.ndarray | None, rng: np.random.Generator
                   ) -> list[np.ndarray]:
    """Shuffled sample indices of each part; stratified by labels when given."""
    codes = np.zeros(n, np.int64) if labels is None else np.unique(labels, return_inverse=True)[1].reshape(-1)
    counts = np.bincount(codes)
    table = _apportion(counts, sizes, rng)  # (n_classes, n_parts)
    by_class = np.split(np.argsort(codes, kind="stable"), np.cumsum(counts)[:-1])
    parts: list[list[np.ndarray]] = [[] for _ in sizes]
    for members, row in zip(by_class, table, strict=True):
        for k, chunk in enumerate(np.split(rng.permutation(members), np.cumsum(row)[:-1])):
            parts[k].append(chunk)
    return [rng.permutation(np.concatenate(p)) for p in parts]


def _labels(y: np.ndarray, stratify: np.ndarray | bool | None, n: int) -> np.ndarray | None:
    """The labels to stratify by: None, an explicit array, or y itself when it holds class labels."""
    if stratify is None or stratify is False:
        return None
    if stratify is True:
        return y if y.ndim == 1 and y.dtype.kind in "biuUSO" else None
    labels = np.asarray(stratify)
    if labels.shape != (n,):
        raise ShapeError(f"stratify must hold one label per sample, shape ({n},), got {labels.shape}")
    return labels


def _check_xy(X: np.ndarray, y: np.ndarray, who: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ShapeError(f"{who}: X of shape {X.shape} and y of shape {y.shape} need the same number of rows")
    return X, y


def train_test_split(X: np.ndarray, y: np.ndarray, *, test_size: float = 0.25,
                     stratify: np.ndarray | bool | None = None, seed: Seed = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into train and test parts, as scikit-learn does (same order of results).

    Args:
        test_size: a fraction of the samples (rounded up) or a number of samples.
        stratify: labels to keep in proportion (usually y), True for y itself, or None.

    Returns:
        X_train, X_test, y_train, y_test; rows are copies, in shuffled order.

    >>> X, y = np.arange(20).reshape(10, 2), np.array([0] * 6 + [1] * 4)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y, seed=0)
    >>> X_tr.shape, X_te.shape, np.bincount(y_te).tolist()
    ((5, 2), (5, 2), [3, 2])
    """
    X, y = _check_xy(X, y, "train_test_split")
    n = X.shape[0]
    n_test = _n_of(test_size, n, "test_size")
    if not 0 < n_test < n:
        raise GlassnetError(f"train_test_split: test_size={test_size!r} of {n} samples leaves an empty part")
    train, test = _split_indices(n, [n - n_test, n_test], _labels(y, stratify, n), _rng(seed))
    X_train, X_test = np.take(X, train, axis=0), np.take(X, test, axis=0)
    return X_train, X_test, np.take(y, train, axis=0), np.take(y, test, axis=0)


Pair = tuple[np.ndarray, np.ndarray]


def split3(X: np.ndarray, y: np.ndarray, *, val_size: float = 0.15, test_size: float = 0.15,
           stratify: np.ndarray | bool | None = True, seed: Seed = 0) -> tuple[Pair, Pair, Pair]:
    """Shuffle and split into train, validation and test parts in one stratified draw.

    Args:
        val_size, test_size: fractions of all samples (each rounded up) or numbers of samples.
        stratify: True stratifies by y when y holds class labels (1-D integers or strings) and does a
            plain shuffled split for regression targets; False or None never; an array: its labels.

    Returns:
        (X_train, y_train), (X_val, y_val), (X_test, y_test).

    >>> X, y = np.zeros((20, 1)), np.array([0] * 10 + [1] * 10)
    >>> (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = split3(X, y, val_size=0.2, test_size=0.2)
    >>> len(y_tr), np.bincount(y_va).tolist(), np.bincount(y_te).tolist()
    (12, [2, 2], [2, 2])
    """
    X, y = _check_xy(X, y, "split3")
    n = X.shape[0]
    n_val, n_test = _n_of(val_size, n, "val_size"), _n_of(test_size, n, "test_size")
    if n_val < 1 or n_test < 1 or n_val + n_test >= n:
        raise GlassnetError(f"split3: val_size={val_size!r} and test_size={test_size!r} of {n} samples leave "
                            "an empty part; each part needs at least one sample")
    parts = _split_indices(n, [n - n_val - n_test, n_val, n_test], _labels(y, stratify, n), _rng(seed))
    tr, va, te = ((np.take(X, i, axis=0), np.take(y, i, axis=0)) for i in parts)
    return tr, va, te


def minibatches(X: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool = True, seed: Seed = 0,
                drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of (X_batch, y_batch) pairs: every sample exactly once, in batches of batch_size.

    Shuffling draws one permutation per call and gives each batch as a contiguous copy of its
    rows (``np.take``, several batches at a time: ``epoch_batches``); without shuffling the
    batches are views. The last batch is shorter when
    batch_size does not divide n_samples, unless drop_last. Pass a Generator as seed to get a new
    order every epoch from one seeded stream (an int seed repeats the same order).

    >>> batches = list(minibatches(np.arange(5)[:, None], np.arange(5), 2, shuffle=False))
    >>> [yb.tolist() for _, yb in batches]
    [[0, 1], [2, 3], [4]]
    """
    X, y = _check_xy(X, y, "minibatches")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise GlassnetError(f"minibatches: batch_size must be a positive integer, got {batch_size!r}")
    n = X.shape[0]
    stop = n - n % batch_size if drop_last else n
    order = _rng(seed).permutation(n) if shuffle else None  # drawn now, not at the first next()
    return ((Xb, yb) for _, Xb, yb in epoch_batches(X, y, int(batch_size), stop, order))


GATHER_BYTES = 512 * 1024  # rows of X gathered by one np.take when shuffling


def epoch_batches(X: np.ndarray, y: np.ndarray, batch_size: int, stop: int, order: np.ndarray | None
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(sample indices, X rows, y rows) of each batch of X[:stop] (or X[order[:stop]]), in turn.

    Shuffled rows are gathered with one ``np.take`` for as many whole batches as fit in
    GATHER_BYTES, and each batch is a slice of that copy: the same rows in the same order as one
    ``np.take`` per batch, for fewer calls (a small data set is one gather per epoch). Without
    an order the batches are views of X.
    """
    if order is None:
        for start in range(0, stop, batch_size):
            end = min(start + batch_size, stop)
            yield np.arange(start, end), X[start:end], y[start:end]
        return
    row_bytes = X.itemsize * int(np.prod(X.shape[1:], dtype=np.int64))
    chunk = max(1, GATHER_BYTES // max(1, batch_size * row_bytes)) * batch_size  # whole batches
    for first in range(0, stop, chunk):
        rows = order[first:min(first + chunk, stop)]
        Xc, yc = np.take(X, rows, axis=0), np.take(y, rows, axis=0)
        for start in range(0, len(rows), batch_size):
            yield rows[start:start + batch_size], Xc[start:start + batch_size], yc[start:start + batch_size]
