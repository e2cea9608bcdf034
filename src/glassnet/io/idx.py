"""IDX files, the format of MNIST and Fashion-MNIST: a magic number, big-endian dimensions, raw data.

Layout (LeCun et al., http://yann.lecun.com/exdb/mnist/): two zero bytes, one byte naming the dtype,
one byte with the number of dimensions d, then d big-endian uint32 sizes, then the values in
big-endian C order. Files may be gzip-compressed (recognised by their first two bytes, not the name).
"""

from __future__ import annotations

import gzip
import itertools
import zlib

import numpy as np

from glassnet.data.dataset import Dataset, encode_target
from glassnet.errors import GlassnetError, ShapeError
from glassnet.io.tables import PathLike, _existing_file

__all__ = ["IDX_DTYPES", "load_idx", "read_idx"]

# The third byte of the magic number names the element type.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}  # fmt: skip
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: PathLike) -> tuple[str, bytes]:
    p = _existing_file(path, "read_idx")
    raw = p.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise GlassnetError(f"{p.name}: gzip data is corrupt or truncated ({e}); "
                                "download it again") from e
    return p.name, raw


def read_idx(path: PathLike) -> np.ndarray:
    """Read one IDX file (plain or gzip) into an array of its stored shape, in native byte order.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = f.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(f).tolist()
    [7, 2, 1]
    """
    name, raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise GlassnetError(f"{name}: not an IDX file: the magic number {raw[:4].hex()!r} should start "
                            "with two zero bytes (0000TTDD); is this the right file, and not HTML from a "
                            "failed download?")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise GlassnetError(f"{name}: unknown IDX dtype code 0x{code:02X}; expected one of {known}")
    if ndim == 0:
        raise GlassnetError(f"{name}: IDX header says 0 dimensions; expected at least 1")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise GlassnetError(f"{name}: file ends inside the header ({len(raw)} bytes, header needs {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        state = "truncated" if len(raw) - header < expected else "longer than its header says"
        raise GlassnetError(f"{name}: file is {state}: dims {shape} of {dtype.name} need {expected} "
                            f"data bytes, found {len(raw) - header}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def load_idx(images_path: PathLike, labels_path: PathLike | None = None) -> Dataset:
    """Load IDX images (and labels) as a Dataset: each image flattened to one row of float32 values.

    Pixel values are kept as stored (0..255 for MNIST); scale them with MinMaxScaler or X / 255.
    Without labels the Dataset is 'unlabeled' and y has shape (n_samples, 0).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "img").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 9, 9]))
    >>> _ = (d / "lab").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 5, 3]))
    >>> ds = load_idx(d / "img", d / "lab")
    >>> ds.X.tolist(), ds.y.tolist(), ds.classes.tolist()
    ([[0.0, 255.0], [9.0, 9.0]], [1, 0], [3, 5])
    """
    images = read_idx(images_path)
    n = images.shape[0]
    X = images.reshape(n, -1).astype(np.float32)  # (n_samples, n_pixels)
    names = tuple("pixel_" + "_".join(map(str, i)) for i in itertools.product(*map(range, images.shape[1:])))
    name = _existing_file(images_path, "load_idx").name
    if labels_path is None:
        return Dataset(X, np.empty((n, 0), np.float32), "unlabeled", name, f"IDX images {name}", names)
    labels = read_idx(labels_path)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ShapeError(f"{name} holds {n} images but the labels file holds shape {labels.shape}; "
                         "expected one label per image (are the files from the same split?)")
    y, classes, _ = encode_target(labels, "classification", name)
    return Dataset(X, y, "classification", name, f"IDX images {name} with labels", names, classes, "label")
