"""CSV in and out for ``glassnet predict``: feature columns matched to the model's, predictions written."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.data.checks import first_bad_value
from glassnet.errors import GlassnetError
from glassnet.io.atomic import write_atomic
from glassnet.io.tables import is_header, read_rows

__all__ = ["match_columns", "read_features", "write_csv"]


def _rows(path: str) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header (None for a headerless file, see ``is_header``) and the non-blank rows, with their line
    numbers, of a CSV file."""
    p = Path(path)
    if not p.is_file():
        raise GlassnetError(f"no such file {path!r}; check the path")
    rows = read_rows(p)
    if not rows:
        raise GlassnetError(f"{path}: the file is empty; expected rows of feature values")
    if is_header(rows[0][1], [row for _, row in rows[1:101]]):
        if len(rows) < 2:
            raise GlassnetError(f"{path}: the file has a header but no rows of values")
        return rows[0][1], rows[1:]
    return None, rows


def match_columns(header: Sequence[str] | None, names: Sequence[str], n_features: int, target: str,
                  source: str) -> list[int]:
    """Which columns of a table feed the model, in the model's order.

    By name when the model knows its feature names and the table names them all (in any order); a
    table that names some of them but not all is an error; otherwise (no names on either side, or
    other names) every column but the target, in the table's order, and their number must match.
    A headerless table (``header`` None) is taken column by column.
    """
    if header is not None and names and all(n in header for n in names):
        return [list(header).index(n) for n in names]
    if header is not None and names and any(n in header for n in names):
        missing = [n for n in names if n not in header]
        absent = ", ".join(repr(n) for n in missing)
        raise GlassnetError(f"{source} has no feature column {absent}; the model "
                            f"takes {', '.join(repr(n) for n in names)}; pass data with those columns")
    columns = [j for j, name in enumerate(header or []) if name != target] if header is not None else []
    if header is None:
        columns = list(range(n_features))
    if len(columns) != n_features:
        expected = f" ({', '.join(names)})" if names else ""
        raise GlassnetError(f"{source} has {len(columns)} feature columns but the model takes {n_features}"
                            f"{expected}; pass a table with those columns")
    return columns


def read_features(path: str, names: Sequence[str], n_features: int, target: str) -> np.ndarray:
    """The feature matrix (n_rows, n_features) of a CSV file; a target column is dropped.

    A first row of numbers only is data, not a header: its columns are then the model's features in
    order. Every value must be a finite number within float32's range.
    """
    header, body = _rows(path)
    columns = match_columns(header, names, n_features, target, path)
    width = len(header) if header is not None else n_features
    X = np.empty((len(body), len(columns)), dtype=np.float64)  # (n_rows, n_features)
    for i, (line, row) in enumerate(body):
        if len(row) != width:
            like = "the header" if header is not None else "the model's features"
            raise GlassnetError(f"{path}: line {line} has {len(row)} fields, expected {width} like {like}")
        for k, j in enumerate(columns):
            try:
                X[i, k] = float(row[j])
            except ValueError:
                raise GlassnetError(f"{path}: line {line}, column {_name(header, j)} has the non-numeric "
                                    f"value {row[j]!r}; features must be numbers") from None
    found = first_bad_value(X, np.float32)
    if found is not None:
        (i, k), why = found
        raise GlassnetError(f"{path}: line {body[i][0]}, column {_name(header, columns[k])} {why}; features "
                            "must be finite numbers: remove the row or fill in the value")
    return X.astype(np.float32)


def _name(header: Sequence[str] | None, j: int) -> str:
    return repr(header[j]) if header is not None else str(j + 1)


def write_csv(output: str | None, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path | None:
    """Write a CSV table to ``output``, or to standard output when it is None."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    if output is None:
        sys.stdout.write(text.getvalue())
        return None
    return write_atomic(output, text.getvalue(), make_parents=True)


def _cell(value: Any) -> Any:
    """Floats with full precision but without NumPy's type in the text."""
    return repr(float(value)) if isinstance(value, float | np.floating) else value
