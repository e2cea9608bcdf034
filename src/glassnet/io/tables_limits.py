"""Sizes a .npy or .npz file declares, checked against the file before NumPy allocates anything.

A .npy header states the array's shape and dtype; the data that follows must be that long, so a
192-byte file cannot honestly hold (2**33, 1) floats. A .npz archive is a zip of .npy files,
usually compressed: its arrays may be larger than the archive, but not without bound, or an
18 MB file of zeros would fill 4 GiB of memory. Both are refused with a line saying what the
file claims.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
>>> np.save(path, np.zeros((3, 2)))
>>> check_declared_sizes(path)  # an honest file: nothing to say
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from glassnet.errors import GlassnetError

__all__ = ["MAX_EXPANSION", "MIN_ALLOWANCE", "check_declared_sizes"]

MAX_EXPANSION = 64  # a .npz's arrays may take this many times the archive's size in memory...
MIN_ALLOWANCE = 1 << 30  # ... or 1 GiB, whichever is larger
_NPY_MAGIC, _ZIP_MAGIC = b"\x93NUMPY", b"PK\x03\x04"


def check_declared_sizes(path: str | os.PathLike[str]) -> None:
    """Raise a GlassnetError if ``path`` declares arrays it cannot hold (.npy) or too large to load (.npz)."""
    p = Path(path)
    with open(p, "rb") as f:
        magic = f.read(6)
        f.seek(0)
        if magic == _NPY_MAGIC:
            needed, offset = _declared_bytes(f, p.name)
            size = os.fstat(f.fileno()).st_size
            if needed > size - offset:
                raise GlassnetError(f"{p.name}: its header declares {needed:,} bytes of data but the file "
                                    f"holds {size - offset:,}; the file is truncated or damaged (save it "
                                    "again)")
    if magic[:4] == _ZIP_MAGIC:
        _check_archive(p)


def _declared_bytes(f: IO[bytes], name: str) -> tuple[int, int]:
    """(bytes of data the .npy header at the start of ``f`` declares, offset where the data starts)."""
    try:
        version = np.lib.format.read_magic(f)
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)(f)
    except ValueError as e:
        raise GlassnetError(f"{name}: the .npy header is not valid ({e}); the file is damaged or not "
                            "a NumPy file") from e
    shape, dtype = header[0], header[2]
    return math.prod(shape) * dtype.itemsize, f.tell()


def _check_archive(p: Path) -> None:
    """Every member's declared array against its own size, and their total against the allowance."""
    allowance = max(MAX_EXPANSION * p.stat().st_size, MIN_ALLOWANCE)
    total = 0
    try:
        with zipfile.ZipFile(p) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    needed, offset = _declared_bytes(member, f"{p.name}/{info.filename}")
                if needed > info.file_size - offset:
                    raise GlassnetError(f"{p.name}: array {info.filename[:-4]!r} declares {needed:,} bytes "
                                        f"but holds {info.file_size - offset:,}; the archive is damaged "
                                        "(save it again)")
                total += needed
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise GlassnetError(f"{p.name}: not a readable .npz archive ({e}); save it with np.savez") from e
    if total > allowance:
        raise GlassnetError(f"{p.name}: its arrays would take {total / 2**30:.1f} GiB of memory, over the "
                            f"{allowance / 2**30:.1f} GiB allowed for a {p.stat().st_size / 2**20:.1f} MiB "
                            "archive; load a smaller part of the data, or save it uncompressed with np.savez")
