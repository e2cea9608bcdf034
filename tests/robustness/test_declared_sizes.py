"""A .npy or .npz file cannot make glassnet allocate more than the file can honestly hold."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from glassnet.errors import GlassnetError
from glassnet.io import tables_limits
from glassnet.io.tables import load_npy, load_npz


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A version 1.0 .npy header declaring ``shape`` (no data follows)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def test_a_tiny_npy_claiming_a_huge_shape_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "liar.npy"
    path.write_bytes(_npy_header((2**33, 1)) + bytes(64))  # 192 bytes claiming 64 GiB
    assert path.stat().st_size == 192
    with pytest.raises(GlassnetError, match=r"liar\.npy: its header declares 68,719,476,736 bytes") as e:
        load_npy(path)
    assert "\n" not in str(e.value)


def test_a_truncated_npy_is_refused_and_an_honest_one_loads(tmp_path: Path) -> None:
    path = tmp_path / "t.npy"
    np.save(path, np.arange(12.0).reshape(6, 2))
    assert load_npy(path).X.shape == (6, 1)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(GlassnetError, match="truncated"):
        load_npy(path)


def test_a_small_npz_expanding_past_the_allowance_is_refused(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # the campaign's 18.8 MB archive held 4 GiB of zeros; the same ratio at a test's scale
    monkeypatch.setattr(tables_limits, "MIN_ALLOWANCE", 1 << 20)
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, X=np.zeros((400_000, 4)), y=np.zeros(400_000))  # 16 MB in a few KB
    with pytest.raises(GlassnetError, match=r"bomb\.npz: its arrays would take .* GiB of memory"):
        load_npz(path)
    honest = tmp_path / "honest.npz"
    np.savez_compressed(honest, X=np.arange(40.0).reshape(20, 2), y=np.arange(20) % 2)
    assert load_npz(honest).X.shape == (20, 2)


def test_an_npz_member_claiming_more_than_it_holds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", _npy_header((2**33, 1)))
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(3))
        archive.writestr("y.npy", buffer.getvalue())
    with pytest.raises(GlassnetError, match=r"liar\.npz: array 'X' declares"):
        load_npz(path)
