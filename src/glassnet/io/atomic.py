"""Every file glassnet writes goes through ``write_atomic``: the old file or the new one, never half.

The bytes go to a temporary file in the same folder (``.<name>.<pid>-<random>.glassnet-tmp``),
which is flushed to disk and renamed over the target (``os.replace``, atomic on POSIX and
Windows). On any failure, a full disk, a file-size limit, a missing permission or an exception
while producing the bytes, the temporary is removed and the previous file is left as it was.
A process killed mid-write leaves its temporary behind; the next successful write of the same
file removes those older than the writing process or (on POSIX) named after a process that has
ended, so they never pile up, and no reader looks at them.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = write_atomic(os.path.join(folder, "notes.txt"), "hello\\n")
>>> path.read_text(), sorted(os.listdir(folder))
('hello\\n', ['notes.txt'])
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from glassnet.errors import GlassnetError

__all__ = ["TEMPORARY_SUFFIX", "write_atomic"]

TEMPORARY_SUFFIX = ".glassnet-tmp"
_STARTED = time.time()  # temporaries older than this process belong to one that died mid-write


def write_atomic(path: str | os.PathLike[str], content: str | bytes | Iterable[bytes], *,
                 make_parents: bool = False) -> Path:
    """Write ``content`` (text as UTF-8, bytes, or chunks of bytes) to ``path``, all or nothing.

    Args:
        path: the file to write or replace.
        content: what to write; chunks are written one at a time, never all held at once.
        make_parents: create missing folders above ``path`` (otherwise a missing one is an error).

    Returns:
        the path written.

    Raises:
        GlassnetError: one line naming the file, for any I/O error (the previous file unchanged).
    """
    path = Path(path)
    chunks = [content.encode("utf-8")] if isinstance(content, str) else (
        [content] if isinstance(content, bytes) else content)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "xb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)  # readers see the old file or the new one
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(e, OSError):
            raise GlassnetError(f"cannot write {path}: {e.strerror or e}; the old file (if any) is "
                                "unchanged; free disk space or check the folder is writable") from e
        raise
    _sync_folder(path.parent)
    _remove_stale(path)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; elsewhere a folder cannot be opened, and that is fine)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale(path: Path) -> None:
    """Remove the temporaries of ``path`` whose writer is gone: older than this process, or (POSIX)
    named after a process that no longer runs. A live writer's temporary is left alone."""
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f".{_glob_escape(path.name)}.*{TEMPORARY_SUFFIX}"):
            with contextlib.suppress(OSError):
                if stale.stat().st_mtime < _STARTED or _writer_is_gone(stale.name):
                    stale.unlink()


def _writer_is_gone(name: str) -> bool:
    """Whether the process whose id the temporary's name carries has ended (POSIX only)."""
    pid = name[: -len(TEMPORARY_SUFFIX)].rsplit(".", 1)[-1].split("-", 1)[0]
    if os.name != "posix" or not pid.isdigit() or int(pid) in (0, os.getpid()):
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
