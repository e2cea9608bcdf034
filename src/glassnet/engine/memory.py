"""Keep freed buffers for reuse: no page faults for the large temporaries of every training step.

A training step allocates and frees the same large arrays over and over (a batch, each layer's
output, each gradient: megabytes apiece at batch 512 and up). glibc's allocator serves blocks
above its mmap threshold (128 KiB at first) straight from the operating system and gives them
back on free, so every step touches fresh pages, and each first touch is a page fault that
zeroes a page. Raising the threshold keeps such blocks in the heap, where a freed block is
reused by the next step; bench/RESULTS.md measures what it buys at large batches.

The cost: memory freed by Python stays reserved by the process (its resident size does not
shrink after a peak). It is a setting of the whole process, so glassnet never makes it on its
own: a program that owns its process opts in (the ``glassnet`` command does, for ``train``);
``release_freed_memory()`` restores glibc's behaviour. Other C libraries (musl, macOS, Windows)
are left as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["KEEP_BELOW", "keep_freed_memory", "release_freed_memory"]

KEEP_BELOW = 64 * 2**20  # blocks below 64 MiB come from the heap and are reused
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
_GLIBC_DEFAULT = 128 * 1024


def _mallopt(parameter: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(parameter, value))
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return False


def keep_freed_memory(below: int = KEEP_BELOW) -> bool:
    """Serve blocks smaller than ``below`` bytes from the heap and keep them when freed.

    Returns True if the C library took the setting (glibc), else False. A setting of the whole
    process: call it from a program's entry point, not from a library.
    """
    return _mallopt(_M_MMAP_THRESHOLD, below) and _mallopt(_M_TRIM_THRESHOLD, 2 * below)


def release_freed_memory() -> bool:
    """Give large freed blocks back to the operating system again (glibc's initial setting)."""
    return _mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT) and _mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
