"""The user's own data from files: CSV tables and NumPy .npy/.npz arrays, validated where they enter."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, Task, encode_target
from glassnet.errors import GlassnetError, ShapeError
from glassnet.io.tables_limits import check_declared_sizes

__all__ = ["load_csv", "load_npy", "load_npz"]

PathLike = str | os.PathLike[str]


def _existing_file(path: PathLike, what: str) -> Path:
    """The path as a Path, or a GlassnetError saying the file is missing."""
    p = Path(path)
    if not p.is_file():
        raise GlassnetError(f"{what}: no such file {str(p)!r}; check the path "
                            f"(current directory: {os.getcwd()})")
    return p


def _read_rows(p: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) for every non-blank row of a delimited text file."""
    with p.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        rows = [(reader.line_num, [c.strip() for c in row]) for row in reader]
    return [(line, row) for line, row in rows if any(row)]


def _column_index(target: str | int | None, names: list[str], header: bool, p: Path) -> int:
    """Resolve the target column (a name, an index that may be negative, or None for the last)."""
    listed = ", ".join(repr(n) for n in names)
    if target is None:
        return len(names) - 1
    if isinstance(target, str):
        if header and target in names:
            return names.index(target)
        hint = "" if header else " (the file has no header, so pass the column index)"
        raise GlassnetError(f"{p.name}: no target column {target!r}{hint}; the columns are {listed}")
    if not -len(names) <= target < len(names):
        raise GlassnetError(f"{p.name}: target column index {target} is out of range for {len(names)} "
                            f"columns ({listed})")
    return target % len(names)


def _to_float(cells: np.ndarray, lines: list[int], names: list[str], columns: list[int],
              p: Path) -> np.ndarray:
    """The feature cells as float32, or an error naming the first bad cell's line and column."""
    try:
        return cells.astype(np.float64).astype(np.float32)
    except ValueError:
        pass
    for i, row in enumerate(cells.tolist()):
        for j, cell in enumerate(row):
            try:
                float(cell)
            except ValueError:
                what = "is empty (missing value)" if cell == "" else f"has the non-numeric value {cell!r}"
                raise GlassnetError(
                    f"{p.name}: line {lines[i]}, column {names[columns[j]]!r} {what}; features must be "
                    "numbers: encode categories as numbers first, or choose this column as the target"
                ) from None
    raise AssertionError("unreachable: astype failed but every cell parses")  # pragma: no cover


def load_csv(path: PathLike, target: str | int | None = None, *, delimiter: str = ",", header: bool = True,
             task: Task | None = None) -> Dataset:
    """Load a delimited text table: numeric feature columns and one target column.

    Class labels (any strings or numbers) become indices 0..k-1 into ``Dataset.classes``, so
    predictions map back with ``ds.decode(y_pred)``. With task=None the task is inferred: a target
    that is not numeric, or holds few distinct integers, is a classification target.

    Args:
        path: the file. target: the target column's name or index (negative counts from the end);
            None means the last column. delimiter: the field separator. header: whether the first
            row holds column names (otherwise the columns are named col0, col1, ...).

    Returns:
        A Dataset with X float32 of shape (n_rows, n_columns - 1).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pets.csv"
    >>> _ = f.write_text("weight,legs,kind\\n4.0,4,cat\\n30.5,4,dog\\n3.5,4,cat\\n")
    >>> ds = load_csv(f, target="kind")
    >>> ds.X.tolist(), ds.y.tolist(), ds.classes.tolist(), ds.feature_names
    ([[4.0, 4.0], [30.5, 4.0], [3.5, 4.0]], [0, 1, 0], ['cat', 'dog'], ('weight', 'legs'))
    """
    p = _existing_file(path, "load_csv")
    rows = _read_rows(p, delimiter)
    if not rows:
        raise GlassnetError(f"{p.name}: the file is empty; expected a header line and rows of values")
    names = rows[0][1] if header else [f"col{j}" for j in range(len(rows[0][1]))]
    body = rows[1:] if header else rows
    if not body:
        raise GlassnetError(f"{p.name}: the file has a header but no data rows")
    if len(names) < 2:
        raise GlassnetError(f"{p.name}: found 1 column; expected features and a target separated by "
                            f"{delimiter!r} (pass delimiter=... if the file uses another separator)")
    for line, row in body:
        if len(row) != len(names):
            like = "the header" if header else "the first row"
            raise GlassnetError(f"{p.name}: line {line} has {len(row)} fields, expected {len(names)} like "
                                f"{like}; check for a missing or extra {delimiter!r}")
    t = _column_index(target, names, header, p)
    cells = np.array([row for _, row in body], dtype=str)  # (n_rows, n_columns)
    columns = [j for j in range(len(names)) if j != t]
    X = _to_float(cells[:, columns], [line for line, _ in body], names, columns, p)  # (n_rows, n_features)
    raw = cells[:, t]
    try:
        y_raw: np.ndarray = raw.astype(np.float64)
    except ValueError:
        y_raw = raw
    y, classes, task = encode_target(y_raw, task, p.name)
    return Dataset(X, y, task, p.stem, f"CSV file {p.name}: {len(body)} rows, target {names[t]!r}",
                   tuple(names[j] for j in columns), classes, names[t])


def _np_load(p: Path) -> np.ndarray | np.lib.npyio.NpzFile:
    check_declared_sizes(p)  # before NumPy allocates what the header claims
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as e:
        raise GlassnetError(f"{p.name}: cannot read it as a NumPy file without pickle ({e}); save plain "
                            "numeric or string arrays (object arrays are refused: pickle runs code)") from e


def load_npy(path: PathLike, y_path: PathLike | None = None, *, target: int = -1,
             task: Task | None = None) -> Dataset:
    """Load a .npy array: X from ``path`` and y from ``y_path``, or one 2-D table with a target column.

    Pickled (object) arrays are always refused.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "table.npy"
    >>> np.save(f, np.array([[0.5, 0.0], [1.5, 1.0], [2.5, 1.0], [3.5, 0.0]]))
    >>> ds = load_npy(f)
    >>> ds.X.ravel().tolist(), ds.y.tolist(), ds.task
    ([0.5, 1.5, 2.5, 3.5], [0, 1, 1, 0], 'classification')
    """
    p = _existing_file(path, "load_npy")
    data = np.asarray(_np_load(p))
    if y_path is not None:
        y = np.asarray(_np_load(_existing_file(y_path, "load_npy")))
        X = data.reshape(data.shape[0], -1) if data.ndim != 1 else data[:, None]
        if y.shape[:1] != X.shape[:1]:
            raise ShapeError(f"{p.name} has {X.shape[0]} rows but {Path(y_path).name} has "
                             f"{y.shape[0]} targets")
        return Dataset.from_arrays(X, y, task=task, name=p.stem, description=f"NumPy file {p.name}")
    if data.ndim != 2 or data.shape[1] < 2:
        raise ShapeError(f"{p.name}: array of shape {data.shape}; expected a 2-D table "
                         "(n_samples, n_columns) with a target column, or pass y_path= for the targets")
    if not -data.shape[1] <= target < data.shape[1]:
        raise GlassnetError(f"{p.name}: target column {target} is out of range for {data.shape[1]} columns")
    t = target % data.shape[1]
    X = np.delete(data, t, axis=1)  # (n_samples, n_columns - 1)
    return Dataset.from_arrays(X, data[:, t], task=task, name=p.stem, description=f"NumPy file {p.name}",
                               target_name=f"column {t}")


def load_npz(path: PathLike, *, x_key: str = "X", y_key: str | None = "y",
             task: Task | None = None) -> Dataset:
    """Load features and targets from a .npz archive (``np.savez(path, X=X, y=y)``); y_key=None: unlabeled.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.npz"
    >>> np.savez(f, X=np.eye(3), y=np.array([0.5, 1.5, 2.5]))
    >>> ds = load_npz(f)
    >>> ds.X.shape, ds.y.shape, ds.task
    ((3, 3), (3, 1), 'regression')
    """
    p = _existing_file(path, "load_npz")
    archive = _np_load(p)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise GlassnetError(f"{p.name}: expected a .npz archive of named arrays, got a single array; "
                            "use load_npy")
    with archive:
        keys = list(archive.keys())
        for key in (x_key, y_key):
            if key is not None and key not in keys:
                raise GlassnetError(f"{p.name}: no array named {key!r}; the archive holds {keys}; "
                                    "pass x_key=... and y_key=...")
        X = archive[x_key]
        y = archive[y_key] if y_key is not None else np.empty(X.shape[0])
    X = X.reshape(X.shape[0], -1) if X.ndim != 1 else X[:, None]  # (n_samples, n_features)
    if y.shape[:1] != X.shape[:1]:
        raise ShapeError(f"{p.name}: {x_key!r} has {X.shape[0]} rows but {y_key!r} has {y.shape[0]}")
    return Dataset.from_arrays(X, y, task="unlabeled" if y_key is None else task, name=p.stem,
                               description=f"NumPy archive {p.name}", target_name=y_key or "")
