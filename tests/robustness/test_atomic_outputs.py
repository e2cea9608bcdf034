"""Every file glassnet writes is all or nothing: a full disk, a file-size limit or an error while
writing leaves the previous file whole, no temporary behind, and one line naming the file."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.errors import GlassnetError
from glassnet.io import atomic
from glassnet.io.atomic import TEMPORARY_SUFFIX, write_atomic
from glassnet.train import HistoryLogger, fit

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMPORARY_SUFFIX))


def _full_disk_after(n_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every temporary file refuse writes past ``n_bytes`` with ENOSPC, as a full disk does."""
    real_open = open

    class Full(io.BufferedWriter):
        written = 0

        def write(self, data: object) -> int:
            self.written += len(data)  # type: ignore[arg-type]
            if self.written > n_bytes:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)  # type: ignore[arg-type]

    def fake_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if str(file).endswith(TEMPORARY_SUFFIX):
            return Full(real_open(file, "xb", buffering=0))  # type: ignore[call-overload]
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(atomic, "open", fake_open, raising=False)


def test_a_full_disk_keeps_the_previous_file_and_names_it(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notes.txt"
    write_atomic(path, "complete\n")
    _full_disk_after(10, monkeypatch)
    with pytest.raises(GlassnetError, match=r"cannot write .*notes\.txt: No space left on device") as e:
        write_atomic(path, "a much longer text\n" * 100)
    assert "\n" not in str(e.value)
    assert path.read_text() == "complete\n"
    assert _leftovers(tmp_path) == []


def test_an_error_while_producing_the_bytes_removes_the_temporary(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    write_atomic(path, b"old")

    def chunks() -> Iterator[bytes]:
        yield b"new part"
        raise KeyboardInterrupt  # not an I/O error: passed on unchanged

    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, chunks())
    assert path.read_bytes() == b"old" and _leftovers(tmp_path) == []


def test_a_missing_permission_is_one_line_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(GlassnetError, match=r"cannot write .*file/out\.csv"):
        write_atomic(blocker / "out.csv", "x")


def test_stale_temporaries_of_a_killed_writer_are_removed_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    stale = tmp_path / f".model.safetensors.99999-deadbeef{TEMPORARY_SUFFIX}"
    stale.write_bytes(b"half a model")
    old = time.time() - 3600
    os.utime(stale, (old, old))  # written before this process started: its writer is gone
    current = tmp_path / f".model.safetensors.{os.getpid()}-cafebabe{TEMPORARY_SUFFIX}"
    current.write_bytes(b"another writer, still running")
    other = tmp_path / f".other.csv.1-00000000{TEMPORARY_SUFFIX}"
    other.write_bytes(b"")
    os.utime(other, (old, old))
    gn.save(gn.nn.Sequential(gn.nn.Linear(2, 1)), path)
    assert not stale.exists()
    assert current.exists() and other.exists()  # only this file's temporaries, only dead writers'
    assert gn.load(path).model[0].weight.shape == (1, 2)


@pytest.mark.skipif(os.name != "posix", reason="kill -9 and process ids as POSIX has them")
def test_the_temporary_of_a_writer_killed_mid_write_is_removed_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    code = ("import time, sys; from glassnet.io.atomic import write_atomic\n"
            "def chunks():\n    while True:\n        yield b'x' * 1000\n        time.sleep(0.01)\n"
            f"write_atomic({str(path)!r}, chunks())")
    writer = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC})
    try:
        deadline = time.monotonic() + 60
        while not _leftovers(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        writer.kill()  # SIGKILL: no cleanup runs
        writer.wait()
    assert len(_leftovers(tmp_path)) == 1 and not path.exists()
    write_atomic(path, b"complete")
    assert path.read_bytes() == b"complete" and _leftovers(tmp_path) == []


def test_gn_save_on_a_full_disk_keeps_the_previous_model(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.safetensors"
    gn.save(gn.nn.Sequential(gn.nn.Linear(2, 1)), path)
    before = path.read_bytes()
    _full_disk_after(4096, monkeypatch)
    with pytest.raises(GlassnetError, match=r"model\.safetensors: No space left"):
        gn.save(gn.nn.Sequential(gn.nn.Linear(200, 100)), path)
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_history_logger_on_a_full_disk_names_the_file(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.csv"
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=np.int64)
    net = gn.nn.Sequential(gn.nn.Linear(2, 2))
    opt = gn.optim.SGD(net.parameters(), lr=0.1)
    _full_disk_after(0, monkeypatch)
    with pytest.raises(GlassnetError, match=r"cannot write .*history\.csv"):
        fit(net, gn.nn.CrossEntropyLoss(), opt, X, y, epochs=1, callbacks=[HistoryLogger(path)], verbose=0)
    assert not path.exists() and _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- a real file-size limit
def _limited(argv: list[str], limit: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``argv`` in a fresh Python whose files may not grow past ``limit`` bytes (RLIMIT_FSIZE)."""
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          preexec_fn=preexec, timeout=120)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["train", "--data", "moons", "--epochs", "2", "--layers", "4", "-q",
                     "--out", str(folder)])
    assert code == 0 and (folder / "report.html").is_file()
    return folder


def test_predict_under_a_file_size_limit_keeps_the_previous_csv(run_folder: Path, tmp_path: Path) -> None:
    names = gn.load(run_folder / "model.safetensors").extra["feature_names"]
    rows = np.random.default_rng(0).normal(size=(2000, 2))
    data = tmp_path / "points.csv"
    data.write_text(",".join(names) + "\n" + "".join(f"{a},{b}\n" for a, b in rows.tolist()))
    small = tmp_path / "few.csv"
    small.write_text(",".join(names) + "\n1,2\n3,4\n")
    out = tmp_path / "pred.csv"
    model = str(run_folder / "model.safetensors")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["predict", model, str(small), "-o", str(out)]) == 0
    before = out.read_text()
    done = _limited(["-m", "glassnet", "predict", model, str(data), "-o", str(out)], 8192, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "pred.csv" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert out.read_text() == before and _leftovers(tmp_path) == []


def test_report_under_a_file_size_limit_keeps_the_previous_report(run_folder: Path) -> None:
    report = run_folder / "report.html"
    before = report.read_bytes()
    done = _limited(["-m", "glassnet", "report", str(run_folder)], len(before) // 2, run_folder)
    assert done.returncode == 2, done.stderr
    assert "report.html" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert report.read_bytes() == before and _leftovers(run_folder) == []


def test_gn_save_under_a_file_size_limit_keeps_the_previous_model(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    gn.save(gn.nn.Sequential(gn.nn.Linear(2, 1)), path)
    before = path.read_bytes()
    code = f"import glassnet as gn; gn.save(gn.nn.Sequential(gn.nn.Linear(300, 100)), {str(path)!r})"
    done = _limited(["-c", code], 16384, tmp_path)
    assert done.returncode != 0 and "model.safetensors: File too large" in done.stderr, done.stderr
    assert path.read_bytes() == before and _leftovers(tmp_path) == []
