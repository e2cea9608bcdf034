"""Checks of data where it enters: numbers only, finite, within the model's dtype, two classes or more.

A NaN, an infinity or a value beyond the float type's range trains without complaint and is only
noticed later, as a NaN loss whose message points elsewhere. These checks run before training and
name the first bad value, so the message points at the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.errors import GlassnetError

__all__ = ["check_classes", "check_dtype", "check_numbers", "check_targets", "first_bad_value"]


def first_bad_value(a: np.ndarray, dtype: Any) -> tuple[tuple[int, ...], str] | None:
    """The index of the first value of ``a`` that is NaN, infinite or beyond ``dtype``'s range, and why.

    >>> first_bad_value(np.array([[1.0, 2.0], [np.nan, 1e308]]), np.float32)
    ((1, 0), 'is nan')
    >>> first_bad_value(np.array([1.0, 1e308]), np.float32)
    ((1,), 'is 1e+308, beyond the range of float32 (largest 3.4e+38)')
    >>> first_bad_value(np.array([1.0, 1e308]), np.float64) is None
    True
    """
    if a.dtype.kind not in "fc" and not (a.dtype.kind in "iu" and np.finfo(dtype).max < 2.0 ** 64):
        return None  # bool, or integers that every float type of the model holds
    largest = float(np.finfo(dtype).max)
    if a.dtype.kind == "f" and a.size:  # the common case, in one pass and no temporary: a finite sum
        with np.errstate(over="ignore", invalid="ignore"):  # means no NaN or inf (an overflowing
            total = np.add.reduce(a, axis=None)  # sum of finite values falls through to the search)
        fits = np.finfo(a.dtype).max <= largest or -largest <= a.min() <= a.max() <= largest
        if np.isfinite(total) and fits:
            return None
    magnitude = np.abs(a)
    bad = ~np.isfinite(magnitude) if a.dtype.kind in "fc" else np.zeros(a.shape, dtype=bool)
    if np.finfo(a.dtype if a.dtype.kind in "fc" else np.float64).max > largest:
        bad |= magnitude > largest
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), a.shape))
    value = a[index]
    if not np.isfinite(value):
        return index, f"is {float(np.real(value))}" if np.isreal(value) else f"is {value}"
    return index, f"is {float(value):g}, beyond the range of {np.dtype(dtype).name} (largest {largest:.2g})"


def check_dtype(a: Any, name: str) -> np.ndarray:
    """``a`` as an array of numbers (bool, integers, floats), or a GlassnetError naming the array.

    >>> check_dtype([["1.5", "x"]], "X")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: X holds text values like ['1.5', 'x'], not numbers; convert them ...
    """
    arr = np.asarray(a)
    if arr.dtype.kind not in "biufc":
        sample = arr.reshape(-1)[:3].tolist()
        kind = "text" if arr.dtype.kind in "US" else str(arr.dtype)
        raise GlassnetError(f"{name} holds {kind} values like {sample}, not numbers; convert them to "
                            "numbers first (class labels to indices 0..k-1 with "
                            "np.unique(y, return_inverse=True))")
    return arr


def check_numbers(a: Any, name: str, dtype: Any, rescale: str = "rescale the data (e.g. StandardScaler), "
                  "or use a float64 model (model.double())") -> np.ndarray:
    """``a`` as an array of numbers, or a GlassnetError naming the array and the index of the first
    non-numeric, NaN, infinite or out-of-range value; ``rescale`` is the fix offered for the last.

    >>> check_numbers(np.array([[0.5, np.inf]]), "X", np.float32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: X[0, 1] is inf; expected finite numbers: remove or impute missing ...
    """
    arr = check_dtype(a, name)
    found = first_bad_value(arr, dtype)
    if found is not None:
        index, why = found
        where = f"{name}[{', '.join(str(i) for i in index)}]"
        if "beyond" in why:
            raise GlassnetError(f"{where} {why}; {rescale}")
        raise GlassnetError(f"{where} {why}; expected finite numbers: remove or impute missing and infinite "
                            "values before training")
    return arr


def check_classes(y: np.ndarray, where: str) -> None:
    """A GlassnetError when class labels hold fewer than two classes: nothing to tell apart.

    >>> check_classes(np.array([3, 3, 3]), "y")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: y holds one class only (3); a classifier needs samples of at least ...
    """
    if y.size == 0:
        return
    classes = np.unique(y.reshape(len(y), -1)[:, 0])
    if len(classes) < 2:
        raise GlassnetError(f"{where} holds one class only ({classes[0].item()!r}); a classifier needs "
                            "samples of at least 2 classes")


def check_targets(y: np.ndarray, indices: bool, dtype: Any, name: str = "y") -> np.ndarray:
    """Targets checked for ``fit``: numbers (class indices when ``indices``), finite, and within ``dtype``
    (class labels need not fit it). One class is allowed here: a batch of ``partial_fit`` may hold one.

    >>> check_targets(np.array(["cat", "dog"]), True, np.float32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: y holds text values like ['cat', 'dog'], not numbers; convert them ...
    """
    return check_numbers(y, name, np.float64 if indices else dtype)
