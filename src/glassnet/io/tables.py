"""The user's own data from files: CSV tables and NumPy .npy/.npz arrays, validated where they enter."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from glassnet.data.checks import first_bad_value
from glassnet.data.dataset import Dataset, Task, encode_target
from glassnet.errors import GlassnetError, ShapeError
from glassnet.io.tables_limits import check_declared_sizes

__all__ = ["is_header", "load_csv", "load_npy", "load_npz", "read_rows", "sniff_delimiter"]

PathLike = str | os.PathLike[str]


def _existing_file(path: PathLike, what: str) -> Path:
    """The path as a Path, or a GlassnetError saying the file is missing."""
    p = Path(path)
    if not p.is_file():
        raise GlassnetError(f"{what}: no such file {str(p)!r}; check the path "
                            f"(current directory: {os.getcwd()})")
    return p


_DELIMITERS = ",;\t|"


def sniff_delimiter(p: Path) -> str:
    """The field separator of a delimited text file: one of , ; tab | (csv.Sniffer on its first
    lines), or ',' when the sample shows none of them."""
    with p.open(newline="", encoding="utf-8-sig", errors="replace") as f:
        sample = f.read(65536)  # the first lines: at most 64 KiB, however long a line is
    lines = sample.splitlines()
    if len(sample) == 65536 and len(lines) > 1:
        lines.pop()  # cut short
    sample = "\n".join(lines[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_rows(p: Path, delimiter: str | None = None) -> list[tuple[int, list[str]]]:
    """(line number, fields) for every non-blank row of a delimited text file (delimiter None: sniffed)."""
    delimiter = sniff_delimiter(p) if delimiter is None else delimiter
    with p.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            rows = [(reader.line_num, [c.strip() for c in row]) for row in reader]
        except csv.Error as e:
            raise GlassnetError(f"{p.name}: line {reader.line_num} cannot be read as CSV ({e}); expected "
                                f"rows of short fields separated by {delimiter!r}") from None
        except UnicodeDecodeError as e:
            raise GlassnetError(f"{p.name}: not UTF-8 text ({e.reason} at byte {e.start}); save the table "
                                "as UTF-8 CSV") from None
    return [(line, row) for line, row in rows if any(row)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def is_header(first: list[str], rest: list[list[str]]) -> bool:
    """Whether the first row of a table names its columns, judged against the rows after it (a sample).

    It does when one of its cells is text (not a number, not empty) in a column whose other cells are
    all numbers
    (``weight`` above 4.0, 30.5, ...). Otherwise it is data: a first row of numbers, with perhaps a
    text label in a column of text labels, is a headerless file's first row. A header of numbers
    only cannot be told from data, so such a file is read as headerless.

    >>> is_header(["weight", "kind"], [["4.0", "cat"]]), is_header(["3.5", "dog"], [["4.0", "cat"]])
    (True, False)
    """
    for j, cell in enumerate(first):
        below = [row[j] for row in rest if j < len(row)]
        if cell and not _number(cell) and all(_number(c) for c in below):
            return True
    return False


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


def _check_values(values: np.ndarray, lines: list[int], names: list[str], columns: list[int],
                  p: Path) -> None:
    """An error naming the line and column of the first NaN, infinity or value beyond float32's range."""
    found = first_bad_value(values, np.float32)
    if found is not None:
        (i, j), why = found
        fix = ("rescale the column (for example to other units)" if "beyond" in why
               else "remove the row or fill in the value")
        raise GlassnetError(f"{p.name}: line {lines[i]}, column {names[columns[j]]!r} {why}; expected finite "
                            f"numbers: {fix}")


def _to_float(cells: np.ndarray, lines: list[int], names: list[str], columns: list[int],
              p: Path) -> np.ndarray:
    """The cells as float32, or an error naming the first bad cell's line and column: not a number,
    NaN, infinite, or beyond float32's range."""
    try:
        values = cells.astype(np.float64)  # (n_rows, n_columns)
    except ValueError:
        values = None
    if values is not None:
        _check_values(values, lines, names, columns, p)
        return values.astype(np.float32)
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


def load_csv(path: PathLike, target: str | int | None = None, *, delimiter: str | None = None,
             header: bool | None = None, task: Task | None = None) -> Dataset:
    """Load a delimited text table: numeric feature columns and one target column.

    Class labels (any strings or numbers) become indices 0..k-1 into ``Dataset.classes``, so
    predictions map back with ``ds.decode(y_pred)``. With task=None the task is inferred: a target
    that is not numeric, or holds few distinct integers, is a classification target. Every feature
    (and a numeric target) must be a finite number within float32's range; the first one that is
    not is an error naming its line and column.

    Args:
        path: the file. target: the target column's name or index (negative counts from the end);
            None means the last column. delimiter: the field separator; None detects one of
            , ; tab | from the first lines. header: whether the first row holds column names
            (otherwise the columns are named col0, col1, ...); None: it does when it holds text
            in a column of numbers (see ``is_header``).

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
    delimiter = sniff_delimiter(p) if delimiter is None else delimiter
    rows = read_rows(p, delimiter)
    if not rows:
        raise GlassnetError(f"{p.name}: the file is empty; expected a header line and rows of values")
    header = is_header(rows[0][1], [row for _, row in rows[1:101]]) if header is None else header
    names = rows[0][1] if header else [f"col{j}" for j in range(len(rows[0][1]))]
    body = rows[1:] if header else rows
    if not body:
        raise GlassnetError(f"{p.name}: the file has a header but no data rows")
    if len(names) < 2:
        raise GlassnetError(f"{p.name}: found 1 column; expected features and a target separated by "
                            "one of , ; tab or |")
    for line, row in body:
        if len(row) != len(names):
            like = "the header" if header else "the first row"
            raise GlassnetError(f"{p.name}: line {line} has {len(row)} fields, expected {len(names)} like "
                                f"{like}; check for a missing or extra {delimiter!r}")
    t = _column_index(target, names, header, p)
    cells = np.array([row for _, row in body], dtype=str)  # (n_rows, n_columns)
    columns = [j for j in range(len(names)) if j != t]
    lines = [line for line, _ in body]
    X = _to_float(cells[:, columns], lines, names, columns, p)  # (n_rows, n_features)
    raw = cells[:, t]
    try:
        y_raw: np.ndarray = raw.astype(np.float64)
    except ValueError:
        y_raw = raw
    else:
        _check_values(y_raw[:, None], lines, names, [t], p)
    y, classes, task = encode_target(y_raw, task, p.name)
    return Dataset(X, y, task, p.stem, f"CSV file {p.name}: {len(body)} rows, target {names[t]!r}",
                   tuple(names[j] for j in columns), classes, names[t])


_MAGIC = {b"\x93NUMPY": ".npy", b"PK\x03\x04": ".npz"}  # the first bytes of each format (.npz is a zip)


def _check_magic(p: Path) -> None:
    """An error for a file that is neither a .npy array nor a .npz archive, before NumPy guesses at it
    (it reads any other file as pickled data)."""
    with p.open("rb") as f:
        head = f.read(6)
    if not any(head.startswith(magic) for magic in _MAGIC):
        raise GlassnetError(f"{p.name}: not a valid NumPy file (a .npy file starts with \\x93NUMPY, a .npz "
                            f"archive is a zip file; it starts with {head!r}); save it with np.save or "
                            "np.savez")


def _np_load(p: Path) -> np.ndarray | np.lib.npyio.NpzFile:
    _check_magic(p)
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
                raise GlassnetError(f"{p.name}: no array named {key!r}; the archive holds {keys}; save the "
                                    "arrays as np.savez(path, X=X, y=y), or read it with load_npz(path, "
                                    "x_key=..., y_key=...)")
        X = archive[x_key]
        y = archive[y_key] if y_key is not None else np.empty(X.shape[0])
    X = X.reshape(X.shape[0], -1) if X.ndim != 1 else X[:, None]  # (n_samples, n_features)
    if y.shape[:1] != X.shape[:1]:
        raise ShapeError(f"{p.name}: {x_key!r} has {X.shape[0]} rows but {y_key!r} has {y.shape[0]}")
    return Dataset.from_arrays(X, y, task="unlabeled" if y_key is None else task, name=p.stem,
                               description=f"NumPy archive {p.name}", target_name=y_key or "")
