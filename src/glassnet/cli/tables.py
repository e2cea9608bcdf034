"""CSV in and out for ``glassnet predict``: feature columns matched to the model's, predictions written."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.io.atomic import write_atomic

__all__ = ["read_features", "write_csv"]


def _rows(path: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows (with their line numbers) of a CSV file."""
    p = Path(path)
    if not p.is_file():
        raise GlassnetError(f"no such file {path!r}; check the path")
    with p.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        rows = [(reader.line_num, [c.strip() for c in row]) for row in reader]
    rows = [(line, row) for line, row in rows if any(row)]
    if len(rows) < 2:
        raise GlassnetError(f"{path}: expected a header line and at least one row of values")
    return rows[0][1], rows[1:]


def _columns(header: list[str], names: Sequence[str], n_features: int, target: str, path: str) -> list[int]:
    """Which columns feed the model: its feature names in order, else every column but the target."""
    if names and all(n in header for n in names):
        return [header.index(n) for n in names]
    columns = [j for j, name in enumerate(header) if name != target]
    if len(columns) != n_features:
        expected = f" ({', '.join(names)})" if names else ""
        raise GlassnetError(f"{path} has {len(columns)} feature columns but the model takes {n_features}"
                            f"{expected}; pass a CSV file with those columns")
    return columns


def read_features(path: str, names: Sequence[str], n_features: int, target: str) -> np.ndarray:
    """The feature matrix (n_rows, n_features) of a CSV file with a header; a target column is dropped."""
    header, body = _rows(path)
    columns = _columns(header, names, n_features, target, path)
    X = np.empty((len(body), len(columns)), dtype=np.float32)  # (n_rows, n_features)
    for i, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise GlassnetError(f"{path}: line {line} has {len(row)} fields, expected {len(header)} like "
                                "the header")
        for k, j in enumerate(columns):
            try:
                X[i, k] = float(row[j])
            except ValueError:
                raise GlassnetError(f"{path}: line {line}, column {header[j]!r} has the non-numeric value "
                                    f"{row[j]!r}; features must be numbers") from None
    return X


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
